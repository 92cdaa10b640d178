"""Speaker embeddings: the front-end graphs against the package's reference, the encoder, reference checks.

Uses the real model and the real encoder (web/public/model/speaker/, built by
tools/build_speaker_assets.py) on speech synthesized here.
"""

from __future__ import annotations

from conftest import load_tool
import json
import math
from array import array

import numpy as np
import pytest

from koe.errors import ReferenceAudioError
from koe.runtime import run_sync
from koe.speaker import SpeakerEncoder, cosine, keep_speech, prepare_reference, speech_segments


SENTENCES = ("The birch canoe slid on the smooth planks.", "A large size in stockings is hard to sell.")


def _tool():
    return load_tool("build_speaker_assets")


@pytest.fixture(scope="module")
def build_tool():
    return _tool()


@pytest.fixture(scope="module")
def encoder(engine, assets_dir):
    if not SpeakerEncoder.available(engine.assets):
        pytest.fail("speaker encoder missing: run tools/build_speaker_assets.py", pytrace=False)
    return SpeakerEncoder.load(engine.assets, engine.runtime)


@pytest.fixture(scope="module")
def speech(engine):
    """(voice, sentence index) -> 24 kHz samples, for two voices and two sentences."""
    return {(voice, i): engine.synthesize_all(text, voice)
            for voice in ("af_heart", "am_adam") for i, text in enumerate(SENTENCES)}


def to_16k(samples: array) -> array:
    import soxr

    return array("f", soxr.resample(np.frombuffer(samples, np.float32), 24000, 16000).astype(np.float32).tobytes())


def test_front_end_graph_matches_the_reference_features(encoder, build_tool, speech):
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(16000 * 2) * 0.1).astype(np.float32)
    voiced = np.frombuffer(to_16k(speech["af_heart", 0]), np.float32)
    for samples in (noise, voiced):
        graph = run_sync(encoder.alog_mel(array("f", samples.tobytes()), 16000))
        got = np.frombuffer(graph.data, np.float32).reshape(graph.shape)
        want = build_tool.reference_log_mel(samples)
        assert got.shape == want.shape == (1 + (len(samples) - 512) // 160, 40)
        assert np.abs(got - want).max() < 1e-3


def test_mel_basis_is_librosas_slaney_basis(build_tool):
    basis = build_tool.mel_basis()
    assert basis.shape == (40, 257)
    # Slaney-normalized triangles: each filter's area (in Hz) is 1; first filter starts at 0 Hz.
    hz_per_bin = 16000 / 512
    areas = basis.sum(axis=1) * hz_per_bin
    assert np.allclose(areas[5:], 1.0, rtol=0.08)
    assert basis[:, 0].max() == 0.0 and basis[0, 1] > 0


def test_24k_front_end_agrees_with_soxr_resampling(encoder, build_tool, speech):
    audio = speech["am_adam", 1]
    graph = run_sync(encoder.alog_mel(audio, 24000))
    got = np.frombuffer(graph.data, np.float32).reshape(graph.shape)
    want = build_tool.reference_log_mel(np.frombuffer(to_16k(audio), np.float32))
    rows = min(len(got), len(want))
    assert abs(len(got) - len(want)) <= 1
    assert np.abs(got[:rows, :-1] - want[:rows, :-1]).max() < 0.01  # all but the band touching 8 kHz
    assert cosine(encoder.embed(audio, 24000), encoder.embed(to_16k(audio), 16000)) > 0.995


def test_embedding_is_deterministic_and_unit_length(encoder, speech):
    first = encoder.embed(speech["af_heart", 0], 24000)
    assert len(first) == 256
    assert math.isclose(math.sqrt(sum(v * v for v in first)), 1.0, rel_tol=1e-5)
    assert encoder.embed(speech["af_heart", 0], 24000) == first


def test_same_voice_is_closer_than_a_different_voice(encoder, speech):
    emb = {key: encoder.embed(audio, 24000) for key, audio in speech.items()}
    for voice, other in (("af_heart", "am_adam"), ("am_adam", "af_heart")):
        same = cosine(emb[voice, 0], emb[voice, 1])
        for i in (0, 1):
            assert same > cosine(emb[voice, i], emb[other, 1 - i]) + 0.2
        assert same > 0.7


def test_level_and_pauses_barely_change_the_embedding(encoder, speech):
    audio = to_16k(speech["af_heart", 1])
    base = encoder.embed(audio, 16000)
    quiet = array("f", (0.1 * v for v in audio))
    paused = array("f", bytes(4 * 16000)) + audio[:len(audio) // 2] + array("f", bytes(4 * 32000)) + audio[len(audio) // 2:]
    assert cosine(base, encoder.embed(quiet, 16000)) > 0.99
    assert cosine(base, encoder.embed(paused, 16000)) > 0.95


def test_preset_embeddings_are_in_the_index(assets_dir, encoder, engine):
    voices = json.loads((assets_dir / "embeddings" / "index.json").read_text())["voices"]
    assert len(voices) == 54
    for voice in voices:
        vector = voice.get("speaker_embedding")
        assert vector and len(vector) == 256, f"{voice['id']} has no speaker embedding"
        assert abs(math.sqrt(sum(v * v for v in vector)) - 1.0) < 1e-3
    # A new sentence spoken by a preset is closest to that preset's stored embedding.
    probe = encoder.embed(engine.synthesize_all("Four hours of steady work faced us.", "bm_george"), 24000)
    ranked = sorted(voices, key=lambda v: -cosine(probe, v["speaker_embedding"]))
    assert "bm_george" in [v["id"] for v in ranked[:3]]


# --- reference checks (pure Python) -----------------------------------------------------------

@pytest.fixture(scope="module")
def reference_16k(speech):
    """About 6 s of speech at 16 kHz."""
    return to_16k(speech["am_adam", 0] + speech["am_adam", 1])


def test_a_good_reference_passes_and_long_pauses_are_cut(reference_16k):
    gap = array("f", bytes(4 * 16000 * 4))
    ref = prepare_reference(gap + reference_16k + gap)
    assert 3.0 < ref.speech_seconds < len(reference_16k) / 16000 + 0.6
    assert ref.input_seconds > 13 and not ref.truncated
    assert len(speech_segments(reference_16k, 16000)) >= 1


def test_speech_past_60_s_is_not_used(reference_16k):
    long = reference_16k * 12
    ref = prepare_reference(long)
    assert ref.truncated and ref.speech_seconds == pytest.approx(60.0, abs=0.01)
    assert len(keep_speech(long, 16000, max_seconds=10)) == 160000


@pytest.mark.parametrize("case, code", [
    ("one_second", "too_short"), ("silence", "silent"), ("quiet_hiss", "silent"), ("clipped", "clipped"),
    ("nan", "not_audio"), ("empty", "not_audio"), ("six_minutes", "too_long"),
])
def test_bad_references_are_refused_with_a_reason(reference_16k, case, code):
    rng = np.random.default_rng(1)
    samples = {
        "one_second": lambda: reference_16k[8000:24000],
        "silence": lambda: array("f", bytes(4 * 16000 * 5)),
        "quiet_hiss": lambda: array("f", (rng.standard_normal(16000 * 5) * 1e-4).astype(np.float32).tobytes()),
        "clipped": lambda: array("f", (max(-1.0, min(1.0, 30 * v)) for v in reference_16k)),
        "nan": lambda: reference_16k[:16000] + array("f", [float("nan")]) + reference_16k,
        "empty": lambda: array("f"),
        "six_minutes": lambda: array("f", bytes(4 * 16000 * 360)),
    }[case]()
    with pytest.raises(ReferenceAudioError) as caught:
        prepare_reference(samples)
    assert caught.value.code == code
    assert caught.value.message and caught.value.param == "audio"


# --- the GE2E encoder (the search's second encoder) ----------------------------------------------------

@pytest.fixture(scope="module")
def ge2e_tool():
    return load_tool("build_ge2e_encoder")


@pytest.fixture(scope="module")
def ge2e(engine):
    from koe.speaker import Ge2eEncoder

    if not Ge2eEncoder.available(engine.assets):
        pytest.fail("GE2E encoder missing: run tools/build_ge2e_encoder.py", pytrace=False)
    return run_sync(Ge2eEncoder.aload(engine.assets, engine.runtime))


def test_ge2e_graphs_match_the_numpy_reference(ge2e, ge2e_tool, speech):
    """The mel graph is Resemblyzer's librosa front end; the encoder graph its LSTM forward pass,
    with the weights read from the wheel's checkpoint without torch."""
    samples = np.asarray(to_16k(speech[("af_heart", 0)]), dtype=np.float32)
    graph = run_sync(ge2e.mel_sessions[16000].run({"samples": _tensor(samples)}))["mel"]
    mel = np.asarray(graph.data, dtype=np.float64).reshape(graph.shape)
    expected = ge2e_tool.reference_mel(samples)
    assert mel.shape == expected.shape
    assert np.abs(mel - expected).max() <= 1e-5 * expected.max()
    weights = ge2e_tool.load_weights(ge2e_tool.locate_weights())
    mels = np.stack([expected[i:i + 160] for i in (0, 40)]).astype(np.float32)
    out = run_sync(ge2e.encoder.run({"mels": _tensor(mels)}))["embedding"]
    assert np.allclose(np.asarray(out.data).reshape(out.shape), ge2e_tool.reference_forward(weights, mels), atol=1e-5)


def _tensor(values: np.ndarray):
    from koe.runtime import Tensor

    return Tensor("float32", tuple(values.shape), array("f", values.astype(np.float32).ravel().tobytes()))


def test_ge2e_partials_are_resemblyzers():
    from koe.speaker import ge2e_partials

    assert ge2e_partials(16000 * 1) == ([0], 160 * 160)               # shorter than a partial: one, padded
    starts, padded = ge2e_partials(16000 * 5)
    assert starts == [0, 77, 154, 231, 308] and padded == (308 + 160) * 160
    assert ge2e_partials(37200)[0] == [0, 77]   # the last partial covers >= 75% of its window: kept
    assert ge2e_partials(30000)[0] == [0]       # less: dropped


def test_ge2e_separates_voices_and_the_combined_encoder_averages(ge2e, encoder, speech):
    from koe.speaker import CombinedEncoder

    same = cosine(ge2e.embed(speech[("af_heart", 0)], 24000), ge2e.embed(speech[("af_heart", 1)], 24000))
    other = cosine(ge2e.embed(speech[("af_heart", 0)], 24000), ge2e.embed(speech[("am_adam", 1)], 24000))
    assert same > other + 0.1
    both = CombinedEncoder({"dvector": (encoder, 1.0), "ge2e": (ge2e, 1.0)})
    a, b = both.embed(speech[("af_heart", 0)], 24000), both.embed(speech[("am_adam", 1)], 24000)
    d = cosine(encoder.embed(speech[("af_heart", 0)], 24000), encoder.embed(speech[("am_adam", 1)], 24000))
    g = cosine(ge2e.embed(speech[("af_heart", 0)], 24000), ge2e.embed(speech[("am_adam", 1)], 24000))
    assert cosine(a, b) == pytest.approx((d + g) / 2, abs=1e-6)


def test_the_checkpoint_reader_refuses_anything_but_tensors(ge2e_tool, tmp_path):
    import pickle

    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        for header in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(header, handle)
        pickle.dump({"model_state": tmp_path}, handle)  # a pathlib object, as any other class would be
        pickle.dump([], handle)
    with pytest.raises(pickle.UnpicklingError):
        ge2e_tool.read_legacy_checkpoint(path)


def test_ge2e_matches_resemblyzer_itself_where_installed(ge2e, speech, tmp_path):
    """Dev check against the original package (in the evaluation venv, $KOE_EVAL_PYTHON)."""
    import os
    import subprocess

    python = os.environ.get("KOE_EVAL_PYTHON")
    if not python or not os.path.exists(python):
        pytest.skip("no evaluation venv with resemblyzer ($KOE_EVAL_PYTHON)")
    samples = np.asarray(to_16k(speech[("am_adam", 0)]), dtype=np.float32)
    np.save(tmp_path / "x.npy", samples)
    code = ("import sys, json, numpy as np; from resemblyzer import VoiceEncoder;"
            "e = VoiceEncoder('cpu', verbose=False); x = np.load(sys.argv[1]);"
            "print(json.dumps(e.embed_utterance(x).astype(float).tolist()))")
    done = subprocess.run([python, "-c", code, str(tmp_path / "x.npy")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    ours = run_sync(ge2e.aembed_prepared(array("f", samples.tobytes())))
    assert cosine(ours, theirs) > 0.9999
