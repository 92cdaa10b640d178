"""Word timestamps over HTTP: SSE ``speech.word`` events and the JSON form; plain requests unchanged."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from server_fixtures import koe_server

TEXT = "Dr. Smith paid $5.50 on Jan. 5, 2024. ♥ Everybody went home."


@pytest.fixture(scope="module")
def server(engine):
    with koe_server(engine, threads=2, max_concurrency=1, max_queue=4) as running:
        yield running


def sse_events(response: httpx.Response) -> list[tuple[str, dict]]:
    events = []
    for block in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_sse_word_events_follow_their_audio(server):
    body = {"model": "kokoro", "input": TEXT, "voice": "af_heart", "response_format": "pcm",
            "stream_format": "sse", "timestamps": True}
    events = sse_events(httpx.post(server.url + "/v1/audio/speech", json=body, timeout=120))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "speech.audio.delta" and kinds[-1] == "speech.audio.done"
    words = [data for kind, data in events if kind == "speech.word"]
    assert [w["text"] for w in words[:4]] == ["Dr.", "Smith", "paid", "$5.50"]
    assert all(TEXT[w["char_start"]:w["char_end"]] == w["text"] for w in words)
    assert any(w.get("skipped") and w["text"] == "♥" for w in words)
    audio = b"".join(base64.b64decode(d["audio"]) for k, d in events if k == "speech.audio.delta")
    assert max(w["end"] for w in words) <= len(audio) / 2 / 24000
    plain = sse_events(httpx.post(server.url + "/v1/audio/speech", json={**body, "timestamps": False}, timeout=120))
    assert "speech.word" not in {kind for kind, _ in plain}


def test_json_form_gives_the_file_and_the_words(server):
    body = {"model": "kokoro", "input": TEXT, "voice": "af_heart", "response_format": "wav"}
    response = httpx.post(server.url + "/v1/audio/speech/timestamps", json=body, timeout=120)
    assert response.status_code == 200, response.text
    answer = response.json()
    audio = base64.b64decode(answer["audio"])
    assert audio[:4] == b"RIFF" and answer["format"] == "wav" and answer["sample_rate"] == 24000
    starts = [w["start"] for w in answer["words"]]
    assert starts == sorted(starts) and answer["words"][-1]["text"] == "home"
    assert answer["words"][-1]["end"] <= (len(audio) - 44) / 2 / 24000
    bad = httpx.post(server.url + "/v1/audio/speech/timestamps", json={**body, "input": ""}, timeout=30)
    assert bad.status_code == 400 and "error" in bad.json()
