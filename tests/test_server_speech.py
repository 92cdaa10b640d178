"""POST /v1/audio/speech driven by the official openai client against a real server and model.

Every format is decoded and checked: 24 kHz, a duration matching the raw PCM
of the same request, and actual sound. Plus SSE, complete files
(``stream: false``), streaming latency on a long input, voices, the catalogue
endpoints, and request ids.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import time

import httpx
import numpy as np
import pytest
import soundfile as sf
from openai import OpenAI

from server_fixtures import koe_server

TEXT = "The quick brown fox jumps over the lazy dog."
SAMPLE_RATE = 24000
LONG_TEXT = " ".join([
    "Once upon a time, in a small village by the sea, there lived an old fisherman and his wife.",
    "Every morning he rowed his little boat out past the rocks, and every evening he came home tired.",
    "One day his net brought up nothing but a single golden fish, which spoke to him in a clear voice.",
    "It begged to be let go, and promised him anything he might wish for in return.",
    "The fisherman, who was a kind man, set the fish free and asked for nothing at all.",
    "When he told his wife the story that night, she was not pleased, and sent him back at dawn.",
])


@pytest.fixture(scope="module")
def server(engine):
    with koe_server(engine, threads=2, max_concurrency=2, max_queue=4) as running:
        yield running


@pytest.fixture(scope="module")
def client(server) -> OpenAI:
    return OpenAI(base_url=server.url + "/v1", api_key="not-needed", max_retries=0, timeout=120)


def decode(data: bytes, fmt: str) -> tuple[np.ndarray, int]:
    """Mono float samples and the sample rate, by the decoder a client would use."""
    if fmt == "pcm":
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, SAMPLE_RATE
    if fmt in ("aac", "flac-stream"):
        import av

        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate
            frames = [frame.to_ndarray().reshape(-1) for frame in container.decode(stream)]
        values = np.concatenate(frames).astype(np.float32)
        if values.dtype.kind == "i" or np.abs(values).max() > 2:  # integer PCM from the decoder
            values = values / 32768.0
        return values, rate
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    return samples.reshape(len(samples), -1)[:, 0], rate


def check_audio(samples: np.ndarray, rate: int, expected_seconds: float, tolerance: float = 0.2) -> None:
    assert rate == SAMPLE_RATE
    seconds = len(samples) / rate
    assert abs(seconds - expected_seconds) <= tolerance, (seconds, expected_seconds)
    assert np.sqrt(np.mean(samples ** 2)) > 0.01, "audio is silent"
    assert np.abs(samples).max() > 0.05


@pytest.fixture(scope="module")
def reference_seconds(client) -> float:
    """Duration of TEXT in raw PCM: what every encoded format must match."""
    data = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm").content
    samples, rate = decode(data, "pcm")
    check_audio(samples, rate, len(samples) / rate)
    assert 1.0 < len(samples) / rate < 8.0
    return len(samples) / rate


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_every_format_decodes(client, reference_seconds, fmt):
    response = client.audio.speech.with_raw_response.create(model="tts-1", voice="alloy", input=TEXT,
                                                            response_format=fmt)
    data = response.content
    expected_type = {"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac",
                     "wav": "audio/wav", "pcm": "audio/pcm"}[fmt]
    assert response.headers["content-type"].startswith(expected_type)
    assert "content-length" not in response.headers  # streamed (chunked)
    samples, rate = decode(data, "flac-stream" if fmt == "flac" else fmt)
    # Lossy codecs pad the start (encoder delay) and the end (last frame).
    check_audio(samples, rate, reference_seconds, tolerance=0.02 if fmt in ("wav", "pcm", "flac") else 0.2)


def test_streamed_wav_declares_unknown_length(client, reference_seconds):
    data = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="wav").content
    riff_size, = struct.unpack("<I", data[4:8])
    data_size, = struct.unpack("<I", data[40:44])
    assert (data[:4], data[8:12], data[36:40]) == (b"RIFF", b"WAVE", b"data")
    assert riff_size == data_size == 0xFFFFFFFF
    assert (len(data) - 44) / 2 / SAMPLE_RATE == pytest.approx(reference_seconds, abs=1e-3)


@pytest.mark.parametrize("fmt", ["flac", "wav", "mp3"])
def test_stream_false_returns_a_complete_file(client, reference_seconds, fmt):
    response = client.audio.speech.with_raw_response.create(model="kokoro", voice="alloy", input=TEXT,
                                                            response_format=fmt, extra_body={"stream": False})
    data = response.content
    assert int(response.headers["content-length"]) == len(data)
    info = sf.info(io.BytesIO(data))
    assert info.samplerate == SAMPLE_RATE
    if fmt != "mp3":  # exact sample counts in the header
        assert info.frames == round(reference_seconds * SAMPLE_RATE)
    samples, rate = decode(data, fmt)
    check_audio(samples, rate, reference_seconds, tolerance=0.02 if fmt != "mp3" else 0.2)


def test_sse_stream(server, reference_seconds):
    events = []
    with httpx.stream("POST", server.url + "/v1/audio/speech", timeout=120, json={
            "model": "gpt-4o-mini-tts", "input": TEXT, "voice": "alloy", "response_format": "pcm",
            "stream_format": "sse", "instructions": "Speak cheerfully."}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for block in response.iter_text():
            events.append(block)
    text = "".join(events)
    payloads = [json.loads(line[len("data: "):]) for line in text.splitlines() if line.startswith("data: ")]
    names = [line[len("event: "):] for line in text.splitlines() if line.startswith("event: ")]
    assert names[-1] == "speech.audio.done" and set(names[:-1]) == {"speech.audio.delta"}
    deltas = [p for p in payloads if p["type"] == "speech.audio.delta"]
    done = payloads[-1]
    assert done["type"] == "speech.audio.done"
    usage = done["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    audio = b"".join(base64.b64decode(p["audio"]) for p in deltas)
    samples, rate = decode(audio, "pcm")
    check_audio(samples, rate, reference_seconds, tolerance=0.02)


def test_first_bytes_leave_before_synthesis_ends(server, engine):
    """On a long input the first audio arrives well before the last: the response really streams."""
    from koe.runtime import run_sync

    chunks_planned = len(run_sync(engine.aplan(LONG_TEXT, "af_heart")).chunks)
    assert chunks_planned >= 3
    started = time.perf_counter()
    first_byte = None
    arrivals = []
    total = 0
    with httpx.stream("POST", server.url + "/v1/audio/speech", timeout=300, json={
            "input": LONG_TEXT, "voice": "af_heart", "response_format": "pcm"}) as response:
        assert response.status_code == 200
        for piece in response.iter_raw():
            now = time.perf_counter() - started
            if first_byte is None:
                first_byte = now
            arrivals.append(now)
            total += len(piece)
    elapsed = time.perf_counter() - started
    print(f"\nlong input: {len(LONG_TEXT)} chars, {total / 2 / SAMPLE_RATE:.1f}s audio, "
          f"first byte {first_byte:.2f}s, total {elapsed:.2f}s, chunks planned {chunks_planned}")
    assert total / 2 / SAMPLE_RATE > 20  # a long utterance: several chunks
    assert first_byte < elapsed / 2, (first_byte, elapsed)


@pytest.mark.parametrize("voice", ["ALLOY", "shimmer", "af_heart(2)+bf_emma(1)", "nova(1)+bm_george(1)"])
def test_voice_names_blends_and_presets(client, voice):
    data = client.audio.speech.create(model="tts-1-hd", voice=voice, input="Hello there.", response_format="wav",
                                      speed=1.25).content
    samples, rate = decode(data, "wav")
    check_audio(samples, rate, len(samples) / rate)
    assert 0.3 < len(samples) / rate < 4


def test_speed_changes_duration(client):
    slow = client.audio.speech.create(model="tts-1", voice="af_heart", input=TEXT, response_format="pcm",
                                      speed=0.5).content
    fast = client.audio.speech.create(model="tts-1", voice="af_heart", input=TEXT, response_format="pcm",
                                      speed=2.0).content
    assert len(slow) > 2.5 * len(fast)


def test_models_listing(client, server):
    models = client.models.list()
    ids = [m.id for m in models.data]
    assert {"kokoro", "tts-1", "tts-1-hd", "gpt-4o-mini-tts"} <= set(ids)
    assert all(m.object == "model" for m in models.data)
    assert client.models.retrieve("tts-1").id == "tts-1"
    audio_models = httpx.get(server.url + "/v1/audio/models").json()
    assert {"id": "kokoro", "name": "kokoro"} in audio_models["models"]


def test_voices_listing(server, engine):
    body = httpx.get(server.url + "/v1/audio/voices").json()
    voices = {v["id"]: v for v in body["voices"]}
    assert len(voices) == len(engine.voices()) >= 54
    heart = voices["af_heart"]
    assert {"id", "name", "language", "gender"} <= set(heart)
    assert heart["language"] == "en-us" and heart["gender"] == "female"
    assert "alloy" in voices["af_alloy"]["aliases"]
    british = httpx.get(server.url + "/v1/audio/voices", params={"language": "en-gb"}).json()["voices"]
    assert british and all(v["language"] == "en-gb" for v in british)


def test_health(server):
    response = httpx.get(server.url + "/health")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["model_loaded"] is True
    assert body["version"] and body["uptime_s"] > 0 and body["sample_rate"] == SAMPLE_RATE


def test_openapi_schema(server):
    schema = httpx.get(server.url + "/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/v1/audio/speech", "/v1/audio/voices", "/v1/models", "/health", "/llm/v1/chat/completions"} <= set(
        schema["paths"])
    request = schema["components"]["schemas"]["SpeechRequest"]["properties"]
    formats = [f for f in request["response_format"]["enum"] if f is not None]  # null: the default
    assert formats == ["mp3", "opus", "aac", "flac", "wav", "pcm"]


def test_request_id_is_honored_or_made(server, caplog):
    caplog.set_level("INFO")
    from koe.server.observability import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    mine = httpx.post(server.url + "/v1/audio/speech", headers={"X-Request-ID": "test-id-42"},
                      json={"input": "Hi.", "voice": "af_heart", "response_format": "pcm"})
    assert mine.headers["x-request-id"] == "test-id-42"
    made = httpx.get(server.url + "/health", headers={"X-Request-ID": "bad id\twith spaces" + "x" * 200})
    assert made.headers["x-request-id"] != "" and " " not in made.headers["x-request-id"]
    deadline = time.monotonic() + 5  # the metrics line is written just after the last byte leaves
    while True:
        ours = [r for r in caplog.records if getattr(r, "request_id", None) == "test-id-42"]
        if any(r.name == "koe.server.access" for r in ours) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert any(r.name == "koe.server.speech" and "chars=3" in r.getMessage() and "rtf=" in r.getMessage()
               for r in ours), [r.getMessage() for r in ours]
    assert any(r.name == "koe.server.access" for r in ours)
