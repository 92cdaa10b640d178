"""The speech endpoint in every language: the voice's language by default, ``lang`` to override,
and the odd voice values a client may send."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from server_fixtures import koe_server


@pytest.fixture(scope="module")
def server(engine):
    with koe_server(engine, threads=2, max_concurrency=1, max_queue=4) as running:
        yield running


def speak(server, **body) -> httpx.Response:
    body = {"model": "kokoro", "response_format": "pcm", "stream": False, **body}
    return httpx.post(server.url + "/v1/audio/speech", json=body, timeout=120)


def loud(response: httpx.Response) -> float:
    return float(np.abs(np.frombuffer(response.content, "<i2")).mean())


def test_a_spanish_voice_reads_spanish(server):
    response = speak(server, input="¿Dónde está la estación de tren?", voice="ef_dora")
    assert response.status_code == 200, response.text
    assert len(response.content) > 2 * 24000 and loud(response) > 100


def test_lang_reads_the_text_in_another_language(server, engine):
    from koe.runtime import run_sync

    text = "Hola, me llamo Pedro."
    as_spanish = run_sync(engine.aplan(text, "af_heart", lang="es"))
    as_english = run_sync(engine.aplan(text, "af_heart"))
    assert as_spanish.language == "es" and as_spanish.chunks[0].phonemes != as_english.chunks[0].phonemes
    response = speak(server, input=text, voice="af_heart", lang="es")
    assert response.status_code == 200 and loud(response) > 100
    bad = speak(server, input=text, voice="af_heart", lang="tlh")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "lang"


def test_voice_objects_need_an_id_and_huge_weights_still_mix(server):
    response = speak(server, input="Hello.", voice={})
    assert response.status_code == 422 and response.json()["error"]["param"] == "voice"
    assert speak(server, input="Hello.", voice={"id": "af_heart"}).status_code == 200
    weight = "9" + "0" * 307  # 9e307: the two sum past the largest float
    huge = speak(server, input="Hello there.", voice=f"af_heart({weight})+bf_emma({weight})")
    assert huge.status_code == 200 and loud(huge) > 100


def test_a_request_s_audio_is_bounded_before_synthesis(engine):
    import time

    with koe_server(engine, threads=2, max_audio_seconds=60) as small:
        started = time.monotonic()
        digits = speak(small, input="1" * 4096, voice="af_heart")
        assert digits.status_code == 400 and digits.json()["error"]["code"] == "audio_too_long"
        assert "--max-audio-seconds" in digits.json()["error"]["message"] and time.monotonic() - started < 20
        assert speak(small, input="Short and sweet.", voice="af_heart").status_code == 200
