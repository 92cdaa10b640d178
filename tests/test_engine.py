"""Real synthesis with the real int8 model on onnxruntime."""

from __future__ import annotations

import math

import pytest

from koe.errors import EmptyTextError, InvalidSpeedError, UnknownVoiceError
from koe.runtime import iterate_sync
from koe.wav import decode_wav

SENTENCE = "Hello from Koe, a text to speech engine that runs in your browser."


def rms(samples) -> float:
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


@pytest.fixture(scope="module")
def hello(engine):
    return engine.synthesize_all(SENTENCE, "af_heart")


def test_short_sentence_is_24khz_plausible_length_and_not_silent(engine, hello):
    seconds = len(hello) / engine.sample_rate
    assert engine.sample_rate == 24000
    # 12 words: between 1.5 and 3 words per second of speech.
    assert 3.0 < seconds < 8.0, seconds
    assert rms(hello) > 0.02
    assert max(abs(s) for s in hello) <= 1.5


def test_synthesis_is_deterministic(engine, hello):
    assert engine.synthesize_all(SENTENCE, "af_heart") == hello


def test_speed_changes_duration(engine):
    slow = len(engine.synthesize_all("Speed test sentence.", "am_adam", speed=0.75))
    fast = len(engine.synthesize_all("Speed test sentence.", "am_adam", speed=1.5))
    assert 1.5 < slow / fast < 2.5


def test_streaming_yields_chunks_in_order_with_progress(engine):
    text = "First sentence here. " + "This is a much longer second sentence that keeps going for a while. " * 6
    chunks = list(engine.synthesize(text, "bf_emma"))
    assert len(chunks) >= 2
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(c.total == len(chunks) for c in chunks)
    assert chunks[0].text.startswith("First sentence")
    assert all(rms(c.samples) > 0.01 for c in chunks)


def test_blend_and_wav_output(engine):
    samples, rate = decode_wav(engine.synthesize_wav("Blended voices.", "af_heart(2)+bm_george(1)"))
    assert rate == 24000 and len(samples) > 12000 and rms(samples) > 0.02


@pytest.mark.parametrize("speed", [0.1, 4.5, float("nan"), "fast"])
def test_speed_out_of_range_is_a_clear_error(engine, speed):
    with pytest.raises(InvalidSpeedError, match="0.25"):
        list(engine.synthesize("hi", speed=speed))


@pytest.mark.parametrize("text", ["", "   \n ", "🙂🙂"])
def test_empty_text_is_a_clear_error(engine, text):
    with pytest.raises(EmptyTextError):
        list(engine.synthesize(text))


def test_unknown_voice(engine):
    with pytest.raises(UnknownVoiceError):
        list(iterate_sync(engine.astream("hi", "nobody")))
