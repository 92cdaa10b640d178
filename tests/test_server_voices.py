"""Custom voices over HTTP against a real server, model and speaker encoder.

A reference synthesized with bm_george is uploaded (with a small search budget),
becomes a saved recipe, is listed, spoken with through /v1/audio/speech, read,
loaded again by a restarted server, and deleted. Bad references (too short,
silent, not audio, oversized) get the OpenAI error envelope with a fitting
status and leave the existing custom voice untouched.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time

import httpx
import numpy as np
import pytest
import soundfile as sf
from array import array

from koe.wav import encode_wav
from server_fixtures import assert_envelope, koe_server

VOICES = "/v1/audio/voices"
REFERENCE_TEXT = "Four hours of steady work faced us. The swan dive was far short of perfect."
BUDGET = "0.5"  # one measurement: the search's first candidate, whatever the machine
MB = 1024 * 1024


@pytest.fixture(scope="module")
def voices_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("server-voices") / "voices"


@pytest.fixture(scope="module")
def server(engine, voices_dir):
    with koe_server(engine, threads=2, max_concurrency=1, max_queue=0, voices_dir=str(voices_dir)) as running:
        yield running


@pytest.fixture(scope="module")
def reference(engine) -> bytes:
    """About 5 s of bm_george as a 24 kHz WAV."""
    return encode_wav(engine.synthesize_all(REFERENCE_TEXT, "bm_george"), engine.sample_rate)


def upload(server, data: bytes, file_name: str = "george.wav", timeout: float = 120, **fields) -> httpx.Response:
    fields.setdefault("budget", BUDGET)
    return httpx.post(server.url + VOICES, files={"file": (file_name, data, "audio/wav")},
                      data={k: str(v) for k, v in fields.items()}, timeout=timeout)


def listing(server) -> dict[str, dict]:
    response = httpx.get(server.url + VOICES, timeout=30)
    assert response.status_code == 200
    return {v["id"]: v for v in response.json()["voices"]}


def snapshot(voices_dir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in voices_dir.iterdir()} if voices_dir.exists() else {}


@pytest.fixture(scope="module")
def george(server, reference, voices_dir) -> dict:
    """The custom voice every test may rely on: created once through the API."""
    started = time.monotonic()
    response = upload(server, reference, name="George Clone", language="en-gb")
    assert response.status_code == 201, response.text
    assert time.monotonic() - started < 60
    return response.json()


@pytest.fixture
def unchanged(server, george, voices_dir):
    """Asserts that the test leaves the custom voices exactly as they were."""
    before_files, before_list = snapshot(voices_dir), listing(server)
    yield
    assert snapshot(voices_dir) == before_files
    assert listing(server) == before_list
    assert httpx.get(server.url + f"{VOICES}/{george['id']}").status_code == 200


# --- create, list, speak, read -----------------------------------------------------------------------

def test_create_returns_the_saved_recipe(server, george, voices_dir):
    assert george["id"] == "george_clone" and george["name"] == "George Clone" and george["custom"] is True
    components = george["components"]
    assert 1 <= len(components) <= 8 and all(set(c) == {"voice", "weight"} for c in components)
    assert abs(sum(c["weight"] for c in components) - 1) < 1e-3
    assert "bm_george" in {c["voice"] for c in components}
    assert len(george["embedding"]) == 256 and george["score"] > 0.5
    assert george["source"] == "file:george.wav" and george["seconds"] > 3 and george["created"].endswith("Z")
    assert george["language"] == "en-gb" and george["language_name"]
    saved = json.loads((voices_dir / "george_clone.json").read_text())
    assert saved["components"] == components and saved["embedding"] == george["embedding"]
    assert [p.name for p in voices_dir.iterdir()] == ["george_clone.json"]  # no temporary files left


def test_list_shows_presets_and_custom_voices(server, george, engine):
    voices = listing(server)
    assert voices["af_heart"]["custom"] is False and "components" not in voices["af_heart"]
    custom = voices["george_clone"]
    assert custom["custom"] is True and custom["components"] == george["components"]
    assert custom["name"] == "George Clone" and "embedding" not in custom
    british = httpx.get(server.url + VOICES, params={"language": "en-gb"}).json()["voices"]
    assert "george_clone" in {v["id"] for v in british}


def test_speech_with_the_custom_voice(server, george):
    response = httpx.post(server.url + "/v1/audio/speech", timeout=120, json={
        "input": "Hello from a custom voice.", "voice": george["id"], "response_format": "wav", "stream": False})
    assert response.status_code == 200, response.text
    samples, rate = sf.read(io.BytesIO(response.content), dtype="float32")
    assert rate == 24000 and len(samples) > rate and np.sqrt(np.mean(samples ** 2)) > 0.01
    blended = httpx.post(server.url + "/v1/audio/speech", timeout=120, json={
        "input": "Hi.", "voice": f"{george['id']}(1)+af_heart(1)", "response_format": "pcm", "stream": False})
    assert blended.status_code == 200 and len(blended.content) > 4800


def test_get_one_voice(server, george):
    full = httpx.get(server.url + f"{VOICES}/george_clone").json()
    assert full == {**george}
    assert httpx.get(server.url + f"{VOICES}/af_heart").json()["id"] == "af_heart"
    assert httpx.get(server.url + f"{VOICES}/alloy").json()["id"] == "af_alloy"
    error = assert_envelope(httpx.get(server.url + f"{VOICES}/no_such_voice"), 404, "voice_not_found")
    assert "no_such_voice" in error["message"]


def test_a_restarted_server_loads_saved_voices(engine, george, voices_dir, tmp_path):
    """A recipe file in --voices-dir is a voice after startup (a copy under a new id: the engine is shared)."""
    recipe = json.loads((voices_dir / "george_clone.json").read_text())
    other = tmp_path / "voices"
    other.mkdir()
    (other / "restored.json").write_text(json.dumps({**recipe, "id": "restored", "name": "Restored"}))
    (other / "broken.json").write_text("{not json")
    with koe_server(engine, threads=2, voices_dir=str(other)) as second:
        voices = listing(second)
        assert voices["restored"]["custom"] and voices["restored"]["components"] == recipe["components"]
        response = httpx.post(second.url + "/v1/audio/speech", timeout=60, json={
            "input": "Back again.", "voice": "restored", "response_format": "pcm", "stream": False})
        assert response.status_code == 200 and len(response.content) > 4800
    assert "restored" not in {v.id for v in engine.voices()}  # taken back from the shared engine at shutdown


# --- bad references change nothing -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def bad_references(engine) -> dict[str, bytes]:
    one_second = engine.synthesize_all("Hello there, my friend.", "af_heart")[:engine.sample_rate]
    return {
        "too_short": encode_wav(one_second, engine.sample_rate),
        "silent": encode_wav(array("f", bytes(4 * engine.sample_rate * 5)), engine.sample_rate),
        "not_audio": b"These are my notes, not audio at all.\n" * 50,
    }


@pytest.mark.parametrize("code, status", [("too_short", 400), ("silent", 400), ("not_audio", 415)])
def test_bad_references_are_refused(server, bad_references, unchanged, code, status):
    started = time.monotonic()
    response = upload(server, bad_references[code], file_name="notes.wav" if code == "not_audio" else "bad.wav",
                      name=f"Bad {code}")
    error = assert_envelope(response, status, code, "file")
    assert time.monotonic() - started < 10
    assert "bad_" not in json.dumps(listing(server))
    if code == "too_short":
        assert "3 s" in error["message"]


def test_oversized_upload_is_413_at_once(server, unchanged):
    huge = bytes(50 * MB + 2 * MB)
    started = time.monotonic()
    response = upload(server, huge, name="Huge")  # Content-Length says it all: refused before the body is read
    assert_envelope(response, 413, "request_too_large", "file")

    boundary = "koeboundary"

    def chunked():  # no Content-Length: refused while the body streams in
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.wav\"\r\n"
               "Content-Type: audio/wav\r\n\r\n").encode()
        for _ in range(52):
            yield bytes(MB)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = httpx.post(server.url + VOICES, content=chunked(), timeout=60,
                          headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert_envelope(response, 413, "request_too_large", "file")
    assert time.monotonic() - started < 30


def test_bad_requests(server, reference, unchanged):
    assert_envelope(httpx.post(server.url + VOICES, json={"name": "x"}), 415, "unsupported_media_type")
    assert_envelope(httpx.post(server.url + VOICES, data={"name": "x"}, files={"other": ("a", b"b")}), 400,
                    "missing_required_parameter", "file")
    assert_envelope(httpx.post(server.url + VOICES, data={"name": "x", "file": "text"},
                               files={"other": ("a", b"b")}), 400, "invalid_type", "file")
    for budget in ("0", "-1", "soon", "nan", "601"):
        assert_envelope(upload(server, reference, name="x", budget=budget), 400, "invalid_budget", "budget")
    for seconds in ("0", "nan", "601", "1e9"):
        assert_envelope(upload(server, reference, name="x", seconds=seconds), 400, "invalid_seconds", "seconds")
    assert_envelope(upload(server, reference, name="x", language="../en"), 400, "invalid_language", "language")
    assert_envelope(upload(server, reference, name="\x00\x01"), 400, "invalid_voice_recipe", "name")


@pytest.mark.parametrize("name", ["af_heart", "AF Heart", "alloy", "Nova", "George Clone"])
def test_taken_names_are_409(server, reference, unchanged, name):
    started = time.monotonic()
    assert_envelope(upload(server, reference, name=name), 409, "voice_exists", "name")
    assert time.monotonic() - started < 5  # refused before any search


def test_busy_server_is_429(server, reference, bad_references, unchanged):
    """The search takes a synthesis slot: with --max-concurrency 1 and no queue, a second request gets 429.
    A bad reference is still refused for what it is: the audio is checked before a slot is taken."""
    results = {}

    def long_search():
        results["first"] = upload(server, reference, name="Busy One", budget=3)

    worker = threading.Thread(target=long_search)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while httpx.get(server.url + "/health").json()["requests"]["running"] == 0:
            assert worker.is_alive() and time.monotonic() < deadline
            time.sleep(0.02)
        response = httpx.post(server.url + "/v1/audio/speech", json={"input": "Hi.", "response_format": "pcm"})
        assert_envelope(response, 429, "rate_limit_exceeded")
        assert int(response.headers["retry-after"]) >= 1
        assert_envelope(upload(server, reference, name="Second"), 429, "rate_limit_exceeded")
        assert_envelope(upload(server, bad_references["silent"], name="Quiet"), 400, "silent", "file")
    finally:
        worker.join(60)
    assert results["first"].status_code == 201, results["first"].text
    assert httpx.delete(server.url + f"{VOICES}/busy_one").status_code == 200


# --- names and deletion -----------------------------------------------------------------------------------

def test_odd_names_are_sanitized_and_custom_voices_can_be_deleted(server, reference, voices_dir, george):
    outside = set(os.listdir(voices_dir.parent))
    response = upload(server, reference, name="../../etc/Evil\\..\\Voice.json")
    assert response.status_code == 201, response.text
    voice = response.json()
    assert voice["id"] == "etc_evil_voice_json" and voice["name"] == "../../etc/Evil\\..\\Voice.json"
    assert (voices_dir / "etc_evil_voice_json.json").is_file()
    assert set(os.listdir(voices_dir.parent)) == outside
    nameless = upload(server, reference, name="日本語")  # nothing sluggable: the next added_speaker_N
    assert nameless.status_code == 201 and nameless.json()["id"] == "added_speaker_1"
    assert nameless.json()["name"] == "日本語" and "added_speaker_1" in listing(server)

    for voice_id in ("etc_evil_voice_json", "added_speaker_1"):
        response = httpx.delete(server.url + f"{VOICES}/{voice_id}")
        assert response.status_code == 200 and response.json() == {
            "id": voice_id, "object": "voice.deleted", "deleted": True}
        assert voice_id not in listing(server) and not (voices_dir / f"{voice_id}.json").exists()
        assert_envelope(httpx.delete(server.url + f"{VOICES}/{voice_id}"), 404, "voice_not_found")
        assert_envelope(httpx.get(server.url + f"{VOICES}/{voice_id}"), 404, "voice_not_found")
        assert_envelope(httpx.post(server.url + "/v1/audio/speech", json={"input": "Hi.", "voice": voice_id}),
                        400, "voice_not_found")
    assert [p.name for p in voices_dir.iterdir()] == ["george_clone.json"]  # the others stay
    assert "george_clone" in listing(server)


def test_presets_cannot_be_deleted(server, unchanged):
    for voice_id in ("af_heart", "alloy"):
        assert_envelope(httpx.delete(server.url + f"{VOICES}/{voice_id}"), 403, "preset_voice")
    for voice_id in ("no_such_voice", "..", "%2E%2E", "a%2Fb"):
        response = httpx.delete(server.url + f"{VOICES}/{voice_id}")
        assert response.status_code in (404, 405), (voice_id, response.status_code)
        assert_envelope(response, response.status_code)


# --- refine: continue a voice's search ----------------------------------------------------------------

def refine(server, voice_id: str, timeout: float = 120, **body) -> httpx.Response:
    return httpx.post(server.url + f"{VOICES}/{voice_id}/refine", json=body, timeout=timeout)


def test_refine_improves_a_saved_voice(server, george, voices_dir):
    response = refine(server, "george_clone", seconds=0.5)  # one measurement: the voice as it is
    assert response.status_code == 200, response.text
    voice = response.json()
    assert voice["id"] == "george_clone" and voice["previous_score"] == pytest.approx(george["score"], abs=0.05)
    assert voice["score"] > 0.5 and voice["embedding"] == george["embedding"]
    saved = json.loads((voices_dir / "george_clone.json").read_text())
    assert saved["score"] == voice["score"] and saved["components"] == voice["components"]
    assert [p.name for p in voices_dir.iterdir()] == ["george_clone.json"]  # replaced atomically, nothing left


def test_refine_errors(server, george):
    for voice_id in ("no_such_voice", "af_heart", "alloy"):
        assert_envelope(refine(server, voice_id, seconds=1), 404, "voice_not_found", "voice_id")
    for seconds in (0, -1, 601, "soon"):
        assert_envelope(refine(server, "george_clone", seconds=seconds), 400, "invalid_seconds", "seconds")
    response = httpx.post(server.url + f"{VOICES}/george_clone/refine?seconds=700", timeout=30)
    assert_envelope(response, 400, "invalid_seconds", "seconds")


def test_concurrent_refines_of_one_voice_are_409(server, george):
    results = {}

    def long_refine():
        results["first"] = refine(server, "george_clone", seconds=8)

    worker = threading.Thread(target=long_refine)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while httpx.get(server.url + "/health").json()["requests"]["running"] == 0:
            assert worker.is_alive() and time.monotonic() < deadline
            time.sleep(0.02)
        refused = None
        while worker.is_alive() and refused is None:
            response = refine(server, "george_clone", seconds=1)
            if response.status_code == 409:
                refused = response
            else:  # the first had not started yet: the server was busy with it (429)
                assert response.status_code == 429, response.text
                time.sleep(0.1)
        assert refused is not None, "the second refine was never refused while the first ran"
        assert_envelope(refused, 409, "voice_busy", "voice_id")
    finally:
        worker.join(120)
    assert results["first"].status_code == 200, results["first"].text


def test_a_disconnected_refine_keeps_the_best_voice_so_far(server, george, voices_dir):
    path = voices_dir / "george_clone.json"
    before = path.stat().st_mtime_ns
    with pytest.raises(httpx.ReadTimeout):
        refine(server, "george_clone", timeout=3, seconds=60)
    deadline = time.monotonic() + 90
    while path.stat().st_mtime_ns == before:  # the stopped search saves what it had
        assert time.monotonic() < deadline, "the stopped refine saved nothing"
        time.sleep(0.2)
    saved = json.loads(path.read_text())
    assert saved["embedding"] == george["embedding"] and saved["score"] > 0.5
    while refine(server, "george_clone", seconds=0.5).status_code != 200:  # the voice is free again
        assert time.monotonic() < deadline
        time.sleep(0.2)
