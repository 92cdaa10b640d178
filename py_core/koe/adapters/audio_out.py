"""Audio encoding for the native interfaces (the server's responses and the CLI's files).

One module, so both write the same PCM (rounded to nearest, as :mod:`koe.wav` does) and
the same containers. Every format streams: :meth:`Encoder.encode` returns whatever bytes the
encoder has finished so far, :meth:`Encoder.finish` the rest.

* ``pcm``: raw 16-bit little-endian mono at the engine's rate (24 kHz).
* ``wav``: the same PCM after a 44-byte header. A stream cannot know its
  length up front, so streamed WAV declares the maximum size (0xFFFFFFFF), as
  OpenAI and most streaming servers do; libsndfile, ffmpeg, browsers and
  Python's ``wave`` read such files to their real end.
* ``mp3``, ``opus`` (Ogg), ``aac`` (ADTS), ``flac``: FFmpeg's encoders through
  PyAV, writing into a non-seekable sink so the muxers emit a true stream
  (no MP3 Xing/LAME frame to patch afterwards; libsndfile's MP3 writer
  patches one at close, which a stream cannot honor, and decoders then
  trust its stale frame count and cut the audio short). A streamed FLAC's
  STREAMINFO says "total samples unknown" (0), which the FLAC spec allows;
  libsndfile (``soundfile.read``) refuses such files, so clients that need
  exact headers ask for ``stream: false``.

With ``streaming=False`` the encoder writes to a seekable buffer and returns
one complete file from :meth:`finish`: exact WAV sizes, MP3 with its Xing
frame, FLAC with total samples and MD5. :class:`AudioFileWriter` writes a
file chunk by chunk with those exact headers (the CLI: book-length text in
flat memory).
"""

from __future__ import annotations

import io
import os
from array import array
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..wav import wav_header


@dataclass(frozen=True)
class AudioFormat:
    name: str
    media_type: str
    #: FFmpeg muxer and encoder (None for the hand-made PCM/WAV).
    muxer: str | None = None
    codec: str | None = None
    bit_rate: int | None = None
    options: dict[str, str] = field(default_factory=dict)


FORMATS: dict[str, AudioFormat] = {
    "mp3": AudioFormat("mp3", "audio/mpeg", "mp3", "libmp3lame", 96_000, {"id3v2_version": "0"}),
    # Ogg pages close every 100 ms: small enough to stream, large enough to keep page overhead low.
    "opus": AudioFormat("opus", "audio/ogg; codecs=opus", "ogg", "libopus", 48_000, {"page_duration": "100000"}),
    "aac": AudioFormat("aac", "audio/aac", "adts", "aac", 64_000),
    "flac": AudioFormat("flac", "audio/flac", "flac", "flac"),
    "wav": AudioFormat("wav", "audio/wav"),
    "pcm": AudioFormat("pcm", "audio/pcm"),
}


class Encoder(Protocol):
    def encode(self, samples: array) -> bytes:
        """Encode more mono float32 samples; returns the bytes completed so far."""
        ...

    def finish(self) -> bytes:
        """Flush the encoder; returns the remaining bytes (the whole file when not streaming)."""
        ...


def to_pcm16(samples: array | np.ndarray) -> bytes:
    """Clip to [-1, 1], scale by 32767 and round to nearest; NaN becomes 0 (exactly koe.wav.float_to_pcm16)."""
    values = np.frombuffer(samples, dtype=np.float32) if isinstance(samples, array) else samples
    values = np.nan_to_num(values.astype(np.float64), nan=0.0)
    return np.rint(np.clip(values, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


class PcmEncoder:
    def __init__(self, sample_rate: int, streaming: bool = True) -> None:
        self.streaming = streaming
        self._held: list[bytes] = []

    def encode(self, samples: array) -> bytes:
        data = to_pcm16(samples)
        if self.streaming:
            return data
        self._held.append(data)
        return b""

    def finish(self) -> bytes:
        return b"".join(self._held)


class WavEncoder(PcmEncoder):
    """PCM16 WAV: header first (max size when streaming, exact otherwise)."""

    STREAM_SIZE = 0xFFFFFFFF

    def __init__(self, sample_rate: int, streaming: bool = True) -> None:
        super().__init__(sample_rate, streaming)
        self.sample_rate = sample_rate
        self._header_sent = False

    def encode(self, samples: array) -> bytes:
        data = super().encode(samples)
        if self.streaming and not self._header_sent:
            self._header_sent = True
            return wav_header(self.sample_rate, self.STREAM_SIZE) + data
        return data

    def finish(self) -> bytes:
        if self.streaming:
            return b"" if self._header_sent else wav_header(self.sample_rate, self.STREAM_SIZE)
        body = super().finish()
        return wav_header(self.sample_rate, len(body)) + body


class _StreamSink:
    """A write-only, non-seekable file for PyAV: muxers then write a pure stream."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._pieces.append(bytes(data))
        return len(data)

    def seekable(self) -> bool:
        return False

    def drain(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces.clear()
        return data


class AvEncoder:
    """An FFmpeg encoder + muxer (PyAV); one per response, used from one thread."""

    def __init__(self, fmt: AudioFormat, sample_rate: int, streaming: bool = True, file=None) -> None:
        import av  # imported lazily: only these formats need FFmpeg

        self._av = av
        self.sample_rate = sample_rate
        self.streaming = streaming
        # ``file``: a seekable binary file the muxer writes itself (exact headers, nothing returned).
        self._sink = file if file is not None else _StreamSink() if streaming else io.BytesIO()
        self._container = av.open(self._sink, mode="w", format=fmt.muxer, options=dict(fmt.options))
        self._stream = self._container.add_stream(fmt.codec, rate=sample_rate, layout="mono")
        if fmt.bit_rate:
            self._stream.bit_rate = fmt.bit_rate
        self._pts = 0
        self._closed = False

    def _drain(self) -> bytes:
        return self._sink.drain() if isinstance(self._sink, _StreamSink) else b""

    def encode(self, samples: array) -> bytes:
        values = np.frombuffer(samples, dtype=np.float32) if isinstance(samples, array) else samples
        if len(values):
            frame = self._av.AudioFrame.from_ndarray(values.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = self.sample_rate
            frame.pts = self._pts
            self._pts += len(values)
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        return self._drain()

    def finish(self) -> bytes:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self._closed = True
        if isinstance(self._sink, io.BytesIO):
            return self._sink.getvalue()
        return self._drain()

    def close(self) -> None:
        """Release FFmpeg's resources when a stream is abandoned before :meth:`finish`."""
        if not self._closed:
            self._closed = True
            try:
                self._container.close()
            except Exception:  # an abandoned stream: nothing to report
                pass


def make_encoder(name: str, sample_rate: int, *, streaming: bool = True) -> Encoder:
    """An encoder for format ``name`` (a key of :data:`FORMATS`)."""
    fmt = FORMATS[name]
    if name == "pcm":
        return PcmEncoder(sample_rate, streaming)
    if name == "wav":
        return WavEncoder(sample_rate, streaming)
    return AvEncoder(fmt, sample_rate, streaming)


def encoder_available(name: str) -> bool:
    """Whether this install can encode ``name`` (PyAV is needed for the compressed formats)."""
    if FORMATS[name].codec is None:
        return True
    try:
        import av
    except ImportError:
        return False
    return FORMATS[name].codec in av.codecs_available


#: File extensions the CLI maps to a format (the rest are the format's own name).
EXTENSIONS = {"ogg": "opus", "oga": "opus", "opus": "opus", "m4a": "aac", "raw": "pcm"}


def format_for_path(path: str) -> str | None:
    """The audio format a file name asks for, or None if its extension is not one."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    ext = EXTENSIONS.get(ext, ext)
    return ext if ext in FORMATS else None


class AudioFileWriter:
    """Writes audio chunk by chunk to ``path + '.part'`` and renames it into place when complete.

    Streaming keeps memory flat for book-length input; the muxers write to the seekable file
    themselves (exact WAV sizes, FLAC total samples, MP3 Xing frame); the rename means a
    failed or interrupted run never leaves a truncated file under the requested name.
    """

    def __init__(self, path: str, sample_rate: int, fmt: str) -> None:
        self.path, self.tmp, self.sample_rate, self.fmt = path, f"{path}.part", sample_rate, fmt
        self.frames = 0
        self._handle = open(self.tmp, "wb")
        try:
            if fmt in ("wav", "pcm"):
                self._encoder: Encoder = make_encoder(fmt, sample_rate, streaming=True)
            else:
                self._encoder = AvEncoder(FORMATS[fmt], sample_rate, file=self._handle)
        except BaseException:
            self.abort()
            raise

    def write(self, samples: array) -> None:
        data = self._encoder.encode(samples)
        if data:
            self._handle.write(data)
        self.frames += len(samples)

    def close(self) -> None:
        tail = self._encoder.finish()
        if tail:
            self._handle.write(tail)
        if self.fmt == "wav":  # streamed with the maximum size: now the size is known
            self._handle.seek(0)
            self._handle.write(wav_header(self.sample_rate, 2 * self.frames))
        self._handle.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            close = getattr(self._encoder, "close", None) if hasattr(self, "_encoder") else None
            if close is not None:
                close()
            self._handle.close()
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)
