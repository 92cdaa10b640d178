"""WAV (RIFF) encoding and decoding in pure Python: 16-bit PCM and 32-bit float."""

from __future__ import annotations

import struct
import sys
from array import array
from typing import Iterable

PCM16, FLOAT32 = "pcm16", "float32"
_FORMAT_TAG = {PCM16: 1, FLOAT32: 3}
_BITS = {PCM16: 16, FLOAT32: 32}


def float_to_pcm16(samples: Iterable[float]) -> array:
    """Clip to [-1, 1] and scale to signed 16-bit (little-endian on every host); NaN becomes 0."""
    out = array("h", [round(32767.0 * (1.0 if s > 1.0 else -1.0 if s < -1.0 else s)) if s == s else 0 for s in samples])
    if sys.byteorder == "big":
        out.byteswap()
    return out


def pcm16_bytes(samples: Iterable[float]) -> bytes:
    return float_to_pcm16(samples).tobytes()


def float32_bytes(samples: Iterable[float]) -> bytes:
    data = samples if isinstance(samples, array) and samples.typecode == "f" else array("f", samples)
    if sys.byteorder == "big":
        data = array("f", data)
        data.byteswap()
    return data.tobytes()


def wav_header(sample_rate: int, data_bytes: int, sample_format: str = PCM16, channels: int = 1) -> bytes:
    """A 44-byte canonical header (a float file also gets a 'fact' chunk, as the spec asks)."""
    if sample_format not in _FORMAT_TAG:
        raise ValueError(f"unknown WAV sample format {sample_format!r}")
    bits = _BITS[sample_format]
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", _FORMAT_TAG[sample_format], channels, sample_rate, sample_rate * block, block, bits)
    extra = b""
    if sample_format == FLOAT32:
        fmt += struct.pack("<H", 0)
        extra = b"fact" + struct.pack("<II", 4, data_bytes // block)
    riff_size = min(0xFFFFFFFF, 4 + 8 + len(fmt) + len(extra) + 8 + data_bytes)
    return (b"RIFF" + struct.pack("<I", riff_size) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra
            + b"data" + struct.pack("<I", min(data_bytes, 0xFFFFFFFF)))


def encode_wav(samples: Iterable[float], sample_rate: int, sample_format: str = PCM16) -> bytes:
    """A complete WAV file from mono float samples in [-1, 1]."""
    body = pcm16_bytes(samples) if sample_format == PCM16 else float32_bytes(samples)
    return wav_header(sample_rate, len(body), sample_format) + body


def decode_wav(data: bytes) -> tuple[array, int]:
    """Mono float samples and the sample rate of a PCM16 or float32 WAV (first channel)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos, fmt, body = 12, None, None
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        payload = data[pos + 8:pos + 8 + size]
        if chunk == b"fmt ":
            fmt = struct.unpack("<HHIIHH", payload[:16])
        elif chunk == b"data":
            body = payload
            break
        pos += 8 + size + (size & 1)
    if fmt is None or body is None:
        raise ValueError("WAV file lacks a fmt or data chunk")
    tag, channels, rate, _, _, bits = fmt
    if (tag, bits) == (1, 16):
        ints = array("h")
        ints.frombytes(body[: len(body) // 2 * 2])
        if sys.byteorder == "big":
            ints.byteswap()
        values = array("f", [v / 32767.0 for v in ints[::channels]])
    elif (tag, bits) == (3, 32):
        values = array("f")
        values.frombytes(body[: len(body) // 4 * 4])
        if sys.byteorder == "big":
            values.byteswap()
        values = values[::channels]
    else:
        raise ValueError(f"unsupported WAV encoding (format tag {tag}, {bits} bits)")
    return values, rate
