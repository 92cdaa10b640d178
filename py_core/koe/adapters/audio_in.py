"""Reference audio from files, natively: decode, mix to mono, resample to 16 kHz.

The CLI and the server use this; the browser decodes with its own audio decoder and hands
16 kHz samples straight to the pure-Python checks (:func:`koe.speaker.prepare_reference`).
Decoding is soundfile (libsndfile: wav, flac, ogg/vorbis/opus, mp3), with PyAV (the
server extra's FFmpeg) as a fallback for containers libsndfile lacks (m4a, webm).
Resampling is soxr (high quality). Size and duration are checked before the samples are
decoded, so an oversized upload is refused at once.
"""

from __future__ import annotations

import io
import os
from array import array

import numpy as np

from ..errors import ReferenceAudioError
from ..rules import MAX_REFERENCE_BYTES
from ..speaker import MAX_INPUT_S, SAMPLE_RATE

MIN_SAMPLE_RATE = 8000


def _too_large(size: int) -> ReferenceAudioError:
    return ReferenceAudioError("too_large", f"The audio file is {size / 1e6:.0f} MB; the limit is "
                                            f"{MAX_REFERENCE_BYTES / 1e6:.0f} MB (a reference needs only 10 to 60 s).")


def _too_long(seconds: float) -> ReferenceAudioError:
    return ReferenceAudioError("too_long", f"The recording is {seconds:.0f} s long; use at most {MAX_INPUT_S:.0f} s.")


def _not_audio(detail: str = "") -> ReferenceAudioError:
    return ReferenceAudioError("not_audio", "The file is not audio Koe can read (use wav, flac, ogg or mp3)"
                                            + (f": {detail}" if detail else "."))


def _decode_soundfile(source) -> tuple[np.ndarray, int]:
    import soundfile as sf

    with sf.SoundFile(source) as handle:
        if handle.samplerate <= 0 or handle.frames == 0:
            raise _not_audio("it holds no audio")
        if handle.frames > 0 and handle.frames / handle.samplerate > MAX_INPUT_S:
            raise _too_long(handle.frames / handle.samplerate)
        data = handle.read(dtype="float32", always_2d=True, frames=int((MAX_INPUT_S + 1) * handle.samplerate))
        return data.mean(axis=1), handle.samplerate


def _decode_av(source) -> tuple[np.ndarray, int]:
    import av

    with av.open(source) as container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise _not_audio("it has no audio track")
        if stream.duration and stream.time_base and float(stream.duration * stream.time_base) > MAX_INPUT_S:
            raise _too_long(float(stream.duration * stream.time_base))
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        parts, total = [], 0
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1)
                parts.append(chunk)
                total += len(chunk)
            if total > MAX_INPUT_S * SAMPLE_RATE:
                raise _too_long(total / SAMPLE_RATE)
        for out in resampler.resample(None):
            parts.append(out.to_ndarray().reshape(-1))
    if not parts:
        raise _not_audio("it holds no audio")
    return np.concatenate(parts).astype(np.float32), SAMPLE_RATE


def decode(data: bytes | str | os.PathLike) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their rate from file bytes or a path; raises ReferenceAudioError."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) > MAX_REFERENCE_BYTES:
            raise _too_large(len(data))
        if not data:
            raise _not_audio("the file is empty")
        open_source = lambda: io.BytesIO(data)  # noqa: E731
    else:
        try:
            size = os.path.getsize(data)
        except OSError as error:
            raise ReferenceAudioError("not_audio", f"Cannot read {os.fspath(data)}: {error.strerror}.") from None
        if size > MAX_REFERENCE_BYTES:
            raise _too_large(size)
        if size == 0:
            raise _not_audio("the file is empty")
        open_source = lambda: os.fspath(data)  # noqa: E731
    try:
        samples, rate = _decode_soundfile(open_source())
    except ReferenceAudioError:
        raise
    except Exception as first:  # libsndfile: unknown format, corrupt data
        try:
            samples, rate = _decode_av(open_source())
        except ReferenceAudioError:
            raise
        except Exception:  # no PyAV, or FFmpeg cannot read it either
            raise _not_audio(str(first).split(":")[-1].strip() or "unknown format") from None
    if rate < MIN_SAMPLE_RATE:
        raise _not_audio(f"its sample rate ({rate} Hz) is too low for speech")
    if not np.isfinite(samples).all():
        raise _not_audio("it contains invalid samples")
    return samples, rate


def resample_16k(samples: np.ndarray, rate: int) -> array:
    """Float samples at ``rate`` -> float32 ``array`` at 16 kHz (soxr, high quality)."""
    if rate != SAMPLE_RATE:
        import soxr

        samples = soxr.resample(np.ascontiguousarray(samples, dtype=np.float32), rate, SAMPLE_RATE)
    out = array("f")
    out.frombytes(np.ascontiguousarray(samples, dtype=np.float32).tobytes())
    return out


def load_reference(data: bytes | str | os.PathLike) -> array:
    """A reference recording (file bytes or path) as 16 kHz mono float samples.

    Pass the result to :func:`koe.speaker.prepare_reference` or
    :meth:`koe.service.KoeService.create_voice`.
    """
    samples, rate = decode(data)
    return resample_16k(samples, rate)
