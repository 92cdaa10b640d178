"""Pure-Python WAV encoding: round trips and compatibility with the stdlib reader."""

from __future__ import annotations

import io
import math
import wave
from array import array

from hypothesis import given, settings, strategies as st

from koe.wav import FLOAT32, PCM16, decode_wav, encode_wav


def tone(n=2400, rate=24000):
    return array("f", [0.5 * math.sin(2 * math.pi * 440 * i / rate) for i in range(n)])


def test_pcm16_readable_by_stdlib_wave():
    data = encode_wav(tone(), 24000, PCM16)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 24000, 2400)


def test_float32_round_trip_is_exact():
    samples = tone()
    decoded, rate = decode_wav(encode_wav(samples, 24000, FLOAT32))
    assert rate == 24000 and list(decoded) == list(samples)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=-2, max_value=2, allow_nan=False, width=32), max_size=500))
def test_pcm16_round_trip_within_one_step(values):
    decoded, rate = decode_wav(encode_wav(array("f", values), 16000, PCM16))
    assert rate == 16000 and len(decoded) == len(values)
    for original, got in zip(values, decoded):
        assert abs(max(-1.0, min(1.0, original)) - got) <= 1.5 / 32768
