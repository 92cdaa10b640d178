"""The style space of custom voices: the basis asset, packs rebuilt from recipes, v1/v2 recipe fields."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import load_tool
from koe.errors import InvalidRecipeError
from koe.runtime import run_sync
from koe.style_space import (MAX_OFFSET_VALUE, STYLE_VERSION, StyleBasis, StyleVoice, build_pack, style_from_dict,
                             style_row, style_to_dict)
from koe.voices import PACK_ROWS, STYLE_DIM


@pytest.fixture(scope="module")
def basis(engine):
    return run_sync(StyleBasis.aload(engine.assets))


def test_basis_asset_is_what_the_tool_computes(basis, engine, assets_dir):
    tool = load_tool("build_style_basis")
    index = json.loads((assets_dir / "embeddings" / "index.json").read_text())
    ids, packs = tool.load_packs(index)
    fresh = StyleBasis.from_json(json.dumps(tool.compute_basis(ids, packs)))
    assert basis.dimension == fresh.dimension == sum(tool.COMPONENTS.values())
    assert set(basis.preset_coords) == set(engine.voice_bank.presets)
    assert np.allclose(basis.center, fresh.center, atol=1e-6)
    assert basis.radius == pytest.approx(fresh.radius, abs=1e-3)
    # The coefficients are in standard deviations: the presets' coordinates have unit variance.
    coords = np.array(list(basis.preset_coords.values()))
    assert np.allclose(coords.std(axis=0, ddof=1), 1.0, atol=1e-3)
    assert max(np.linalg.norm(coords, axis=1)) == pytest.approx(basis.radius, abs=1e-3)


def test_offset_and_coordinates_are_inverse(basis):
    coefficients = [0.1 * (k % 7) - 0.3 for k in range(basis.dimension)]
    offset = basis.offset(coefficients)
    assert len(offset) == STYLE_DIM
    back = basis.coordinates([c + o for c, o in zip(basis.center, offset)])
    assert np.allclose(back, coefficients, atol=1e-4)
    with pytest.raises(ValueError):
        basis.offset([0.0] * (basis.dimension - 1))


def test_mix_coordinates_match_the_mixed_voice_mean(basis, engine):
    components = (("af_heart", 0.7), ("bm_george", 0.3))
    rows = range(20, 200)
    mean = [0.0] * STYLE_DIM
    for n in rows:
        for i, v in enumerate(run_sync(style_row(engine.voice_bank, StyleVoice(components), n))):
            mean[i] += v / len(rows)
    assert np.allclose(basis.mix_coordinates(components), basis.coordinates(mean), atol=1e-3)


@pytest.mark.parametrize("components", [(("af_heart", 1.0),), (("af_heart", 0.6), ("bf_emma", 0.4)),
                                        (("bm_george", 2.0), ("am_adam", 1.0), ("af_sky", 1.0))])
def test_a_v1_recipe_rebuilds_exactly_the_old_blend(engine, components):
    bank = engine.voice_bank
    voice = style_from_dict({"version": 1, "components": [{"voice": v, "weight": w} for v, w in components]})
    blend = bank.resolve("+".join(f"{v}({w:g})" for v, w in components))
    for n in (0, 1, 17, 120, 509, 800):
        assert run_sync(style_row(bank, voice, n)).tobytes() == run_sync(bank.style(blend, n)).tobytes()


def test_a_v2_offset_moves_every_row_and_stays_in_the_region(basis, engine):
    bank = engine.voice_bank
    components = (("af_heart", 0.5), ("am_adam", 0.5))
    far = [4.0] * basis.dimension                       # far outside: pulled back to the ball
    voice = StyleVoice.from_coefficients(basis, components, far)
    base = basis.mix_coordinates(components)
    assert basis.distance(voice.coefficients, base) == pytest.approx(basis.radius, abs=1e-3)
    near = [0.2] * basis.dimension
    assert list(StyleVoice.from_coefficients(basis, components, near).coefficients) == pytest.approx(near)
    pack = np.frombuffer(run_sync(build_pack(bank, voice)).tobytes(), dtype=np.float32).reshape(PACK_ROWS, STYLE_DIM)
    plain = np.frombuffer(run_sync(build_pack(bank, StyleVoice(components))).tobytes(),
                          dtype=np.float32).reshape(PACK_ROWS, STYLE_DIM)
    assert np.allclose(pack - plain, np.array(voice.offset, dtype=np.float32)[None, :], atol=1e-5)
    assert voice.has_offset and np.abs(voice.offset).max() < MAX_OFFSET_VALUE


def test_recipe_fields_round_trip(basis):
    components = (("af_heart", 0.6), ("bf_emma", 0.4))
    plain = StyleVoice(components)
    assert style_to_dict(plain) == {"version": 1, "components": [{"voice": "af_heart", "weight": 0.6},
                                                                 {"voice": "bf_emma", "weight": 0.4}]}
    assert style_from_dict(json.loads(json.dumps(style_to_dict(plain)))) == plain
    moved = StyleVoice.from_coefficients(basis, components, [0.5] * basis.dimension)
    data = json.loads(json.dumps(style_to_dict(moved)))
    assert data["version"] == STYLE_VERSION and len(data["style"]["offset"]) == STYLE_DIM
    assert len(json.dumps(data)) < 4096
    assert style_from_dict(data) == moved


@pytest.mark.parametrize("change, message", [
    ({"version": 3}, "newer Koe"),
    ({"version": "2"}, "whole number"),
    ({"components": []}, "list of components"),
    ({"components": [{"voice": "af_heart", "weight": -1}]}, "positive weight"),
    ({"style": {"offset": [0.0] * 10}}, "256"),
    ({"style": {"offset": [math.nan] + [0.0] * 255}}, "finite"),
    ({"style": {"offset": [5.0] * 256}}, "out of range"),
    ({"style": [1, 2]}, "an object"),
    ({"version": 1, "style": {"offset": [0.0] * 256}}, "version-1"),
])
def test_bad_recipe_fields_are_refused(change, message):
    data = {"version": 2, "components": [{"voice": "af_heart", "weight": 1.0}], "style": {"offset": [0.0] * 256}}
    data.update(change)
    with pytest.raises(InvalidRecipeError, match=message):
        style_from_dict(data)
