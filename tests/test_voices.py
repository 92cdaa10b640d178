"""Voice resolution and blend arithmetic."""

from __future__ import annotations

import json
import math

import pytest

from koe.errors import InvalidVoiceSpecError, UnknownVoiceError
from koe.runtime import run_sync
from koe.voices import PACK_ROWS, STYLE_DIM, VoiceBank, parse_blend


@pytest.fixture(scope="module")
def bank(assets_dir):
    from koe.assets import DirectoryAssets

    assets = DirectoryAssets(assets_dir)
    return VoiceBank(json.loads((assets_dir / "embeddings" / "index.json").read_text()), assets.read)


def test_index_lists_54_voices_with_metadata(assets_dir):
    index = json.loads((assets_dir / "embeddings" / "index.json").read_text())
    voices = index["voices"]
    assert len(voices) == 54
    heart = next(v for v in voices if v["id"] == "af_heart")
    assert heart["language"] == "en-us" and heart["gender"] == "female" and heart["name"] == "Heart"
    assert heart["bytes"] == PACK_ROWS * STYLE_DIM * 4 and len(heart["sha256"]) == 64
    assert sum(v["language"].startswith("en") for v in voices) == 28


def test_parse_blend():
    assert parse_blend("af_heart(2)+bf_emma(1)") == [("af_heart", 2.0), ("bf_emma", 1.0)]
    assert parse_blend("af_heart + am_adam(0.5)") == [("af_heart", 1.0), ("am_adam", 0.5)]
    for bad in ("", "af_heart(", "af_heart(0)", "af_heart(-1)", "a b", "+"):
        with pytest.raises(InvalidVoiceSpecError):
            parse_blend(bad)


def test_blend_weights_are_normalized_and_language_follows_the_heaviest(bank):
    blend = bank.resolve("af_heart(2)+bf_emma(1)")
    assert dict(blend.components) == pytest.approx({"af_heart": 2 / 3, "bf_emma": 1 / 3})
    assert blend.language == "en-us"
    assert bank.resolve("af_heart(1)+bf_emma(3)").language == "en-gb"
    assert dict(bank.resolve("af_heart+af_heart").components) == {"af_heart": 1.0}


def test_blended_style_is_the_weighted_mean_of_rows(bank):
    n = 42
    a = run_sync(bank.pack("af_heart"))[n * STYLE_DIM:(n + 1) * STYLE_DIM]
    b = run_sync(bank.pack("bf_emma"))[n * STYLE_DIM:(n + 1) * STYLE_DIM]
    mixed = run_sync(bank.style(bank.resolve("af_heart(3)+bf_emma(1)"), n))
    assert len(mixed) == STYLE_DIM
    for x, y, m in zip(a, b, mixed):
        assert math.isclose(m, 0.75 * x + 0.25 * y, rel_tol=1e-5, abs_tol=1e-6)


def test_style_row_is_chosen_by_token_count_and_clamped(bank):
    pack = run_sync(bank.pack("am_adam"))
    blend = bank.resolve("am_adam")
    assert list(run_sync(bank.style(blend, 7))) == list(pack[7 * STYLE_DIM:8 * STYLE_DIM])
    assert list(run_sync(bank.style(blend, 10_000))) == list(pack[509 * STYLE_DIM:510 * STYLE_DIM])


def test_unknown_voice_suggests_close_ids(bank):
    with pytest.raises(UnknownVoiceError) as info:
        bank.resolve("af_hart")
    assert "af_heart" in info.value.suggestions
    assert "af_heart" in info.value.message


def test_weights_too_large_to_add_still_normalize(bank):
    weight = "9" + "0" * 307  # each fits a float, their sum does not
    blend = bank.resolve(f"af_heart({weight})+bf_emma({weight})")
    assert [w for _, w in blend.components] == [0.5, 0.5]
