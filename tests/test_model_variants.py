"""The float variants made by tools/make_float_model.py sound like the int8 model they came from.

Uses the variants in web/public/model/ when build.sh has produced up-to-date ones there;
otherwise builds them into a temporary folder (about 6 s). Each check runs three
sentences with the af_heart voice through onnxruntime (2 threads):

* every variant loads and its audio lasts as long as int8's (within 2%, or one
  25 ms duration frame for very short phrases);
* log-mel spectrograms correlate >= 0.95 with int8 after DTW alignment (waveforms
  cannot be compared: int8 and float differ in phase);
* fp32 and int8w (with ``session.disable_quant_qdq``) are the same float computation
  on the same weights, so their waveforms match;
* every variant is deterministic: two runs give bit-identical audio.
"""

from __future__ import annotations

from conftest import load_tool
import json
from pathlib import Path

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from audio_compare import dtw_logmel_correlation, waveform_correlation  # noqa: E402

SR = 24000
DURATION_FRAME = 600  # samples per predicted-duration unit (25 ms at 24 kHz)

# Phonemes in the model's alphabet (from the en-us lexicon), so this test does not depend on G2P.
SENTENCES = [
    "həlˈO wˈɜɹld!",
    "ði kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˈOvəɹ ði lˈAzi dˈɔɡ.",
    "wˈʌns əpˈɑn A tˈIm, ɪn A smˈɔl vˈɪlɪʤ æt ði ˈɛʤ ʌv A kwˈIət fˈɔɹəst, "
    "ðɛɹ lˈɪvd æn ˈOld klˈɑkmˌAkəɹ hˌu ɹəpˈɛɹd ˈɛvəɹi bɹˈOkən klˈɑk ɪn tˈWn.",
]


def _load_tool():
    return load_tool("make_float_model")


@pytest.fixture(scope="module")
def tool():
    return _load_tool()


@pytest.fixture(scope="module")
def variant_paths(assets_dir, tool, tmp_path_factory) -> dict[str, Path]:
    model_dir = assets_dir / "model"
    src = model_dir / "kokoro-v1.0.int8.onnx"
    variants = list(tool.VARIANTS)
    out_dir = model_dir if not tool.stale(src, model_dir, variants) else tmp_path_factory.mktemp("model_variants")
    paths = tool.build(src, out_dir, variants)
    return {"int8": src, **paths}


def _session(path: Path, options: dict[str, str] | None = None):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    for key, value in (options or {}).items():
        opts.add_session_config_entry(key, value)
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def sessions(variant_paths, tool):
    return {name: _session(path, tool.SESSION_OPTIONS.get(name)) for name, path in variant_paths.items()}


@pytest.fixture(scope="module")
def inputs(assets_dir):
    vocab = json.loads((assets_dir / "model" / "vocab.json").read_text(encoding="utf-8"))
    vocab = vocab.get("vocab", vocab)
    voice = np.fromfile(assets_dir / "embeddings" / "af_heart.bin", dtype="<f4").reshape(-1, 256)
    feeds = []
    for phonemes in SENTENCES:
        ids = [vocab[c] for c in phonemes]
        feeds.append({"tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                      "style": voice[len(ids)][None, :].copy(),
                      "speed": np.ones(1, dtype=np.float32)})
    return feeds


def synth(session, feed) -> np.ndarray:
    return session.run(["audio"], feed)[0].ravel()


@pytest.fixture(scope="module")
def audio(sessions, inputs):
    return {name: [synth(s, feed) for feed in inputs] for name, s in sessions.items()}


def test_variant_files(variant_paths, tool):
    import onnx

    int8_size = variant_paths["int8"].stat().st_size
    assert variant_paths["fp32"].stat().st_size > 3 * int8_size  # float weights
    assert variant_paths["int8w"].stat().st_size < 1.01 * int8_size  # int8 weights kept
    for name in tool.VARIANTS:
        model = onnx.load(str(variant_paths[name]), load_external_data=False)
        ops = {n.op_type for n in model.graph.node}
        assert not ops & tool.QUANT_OPS, f"{name} still has {ops & tool.QUANT_OPS}"
        assert {"MatMul", "Conv", "LSTM"} <= ops
        assert ("DequantizeLinear" in ops) == (name == "int8w")


@pytest.mark.parametrize("variant", ["fp32", "int8w"])
def test_variant_sounds_like_int8(audio, variant):
    for n, (ref, got) in enumerate(zip(audio["int8"], audio[variant])):
        assert got.dtype == np.float32 and np.isfinite(got).all()
        assert abs(got.size - ref.size) <= max(0.02 * ref.size, DURATION_FRAME), \
            f"sentence {n}: {variant} lasts {got.size / SR:.3f} s, int8 {ref.size / SR:.3f} s"
        corr = dtw_logmel_correlation(ref, got, SR)
        assert corr >= 0.95, f"sentence {n}: log-mel correlation {corr:.4f} with int8"


def test_fp32_and_int8w_compute_the_same(audio):
    for n, (a, b) in enumerate(zip(audio["fp32"], audio["int8w"])):
        assert a.size == b.size, f"sentence {n}: lengths differ"
        assert waveform_correlation(a, b) >= 0.999, f"sentence {n}"
        assert np.abs(a - b).max() <= 1e-3, f"sentence {n}"


def test_int8w_needs_disable_quant_qdq(variant_paths, audio, inputs):
    """Without the option ORT fuses DequantizeLinear -> MatMul into 8-bit kernels and the waveform drifts.

    If this starts failing, onnxruntime changed its QDQ handling: update the docstring of
    tools/make_float_model.py (the option may then no longer be needed).
    """
    plain = _session(variant_paths["int8w"])
    feed, fp32 = inputs[1], audio["fp32"][1]
    assert waveform_correlation(synth(plain, feed), fp32) < 0.99


@pytest.mark.parametrize("variant", ["int8", "fp32", "int8w"])
def test_deterministic(sessions, inputs, audio, variant):
    again = synth(sessions[variant], inputs[1])
    assert np.array_equal(again, audio[variant][1])


def test_dtw_logmel_correlation_separates_sentences(audio):
    """Guards the metric itself: a different sentence must score well below the 0.95 bar."""
    a, b = audio["int8"][1], audio["int8"][2]
    assert dtw_logmel_correlation(a, a) > 0.999
    assert dtw_logmel_correlation(a, b) < 0.9


def test_build_is_idempotent(variant_paths, tool, capsys):
    out_dir = variant_paths["fp32"].parent
    before = {v: variant_paths[v].stat().st_mtime_ns for v in tool.VARIANTS}
    tool.build(variant_paths["int8"], out_dir, list(tool.VARIANTS))
    assert "up to date" in capsys.readouterr().out
    assert before == {v: variant_paths[v].stat().st_mtime_ns for v in tool.VARIANTS}


def test_dtw_logmel_correlation_ignores_timing_shifts():
    """A delayed, slightly slower copy still matches; the same notes in another order do not."""
    def notes(freqs, seconds):
        t = np.arange(int(seconds * SR)) / SR
        return np.concatenate([0.3 * np.sin(2 * np.pi * f * t) for f in freqs]).astype(np.float32)

    def pause(seconds):
        return np.zeros(int(seconds * SR), np.float32)

    melody = np.concatenate([pause(0.1), notes([220, 440, 330, 660, 550], 0.4)])
    shifted = np.concatenate([pause(0.3), notes([220, 440, 330, 660, 550], 0.45)])
    assert waveform_correlation(melody, shifted) < 0.5
    assert dtw_logmel_correlation(melody, shifted) > 0.95
    reordered = np.concatenate([pause(0.1), notes([660, 220, 550, 330, 440], 0.4)])
    assert dtw_logmel_correlation(melody, reordered) < 0.9
