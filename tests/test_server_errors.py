"""Every error the server can give is OpenAI's envelope with the right status, and no stack trace.

Each case is a real request to a real server; where the openai client is the
natural caller, its typed exception is checked too.
"""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from openai import OpenAI
from starlette.applications import Starlette
from starlette.routing import Route

from server_fixtures import ServerThread, assert_envelope, damaged_assets, koe_server

SPEECH = "/v1/audio/speech"


@pytest.fixture(scope="module")
def server(engine):
    with koe_server(engine, threads=2) as running:
        yield running


@pytest.fixture(scope="module")
def client(server) -> OpenAI:
    return OpenAI(base_url=server.url + "/v1", api_key="not-needed", max_retries=0)


def post(server, body=None, **kwargs) -> httpx.Response:
    return httpx.post(server.url + SPEECH, json=body, timeout=60, **kwargs)


@pytest.mark.parametrize("body, code, param", [
    ({"input": ""}, "empty_input", "input"),
    ({"input": "   \n "}, "empty_input", "input"),
    ({"input": "a" * 4097}, "input_too_long", "input"),
    ({"input": "Hi.", "voice": "af_hart"}, "voice_not_found", "voice"),
    ({"input": "Hi.", "voice": "af_heart(+bf_emma"}, "invalid_voice", "voice"),
    ({"input": "Hi.", "voice": "af_heart(0)"}, "invalid_voice", "voice"),
    ({"input": "Hi.", "speed": 0.1}, "invalid_speed", "speed"),
    ({"input": "Hi.", "speed": 4.5}, "invalid_speed", "speed"),
    ({"input": "Hi.", "response_format": "ogg"}, "unsupported_format", "response_format"),
    ({"input": "Hi.", "stream_format": "chunks"}, "invalid_stream_format", "stream_format"),
])
def test_bad_values_are_400(server, body, code, param):
    assert_envelope(post(server, body), 400, code, param)


def test_unknown_voice_suggests_names(server):
    error = assert_envelope(post(server, {"input": "Hi.", "voice": "af_hart"}), 400, "voice_not_found")
    assert "af_heart" in error["message"]


def test_bad_json_is_400(server):
    response = httpx.post(server.url + SPEECH, content=b'{"input": "Hi.",', headers={"content-type": "application/json"})
    assert_envelope(response, 400, "invalid_json")
    empty = httpx.post(server.url + SPEECH, content=b"", headers={"content-type": "application/json"})
    assert_envelope(empty, 400, "invalid_json")


@pytest.mark.parametrize("body, code, param", [
    ({"input": 42}, "invalid_type", "input"),
    ({"input": "Hi.", "speed": "fast"}, "invalid_type", "speed"),
    ({"input": "Hi.", "speed": True}, "invalid_type", "speed"),
    ({"input": "Hi.", "voice": ["af_heart"]}, "invalid_type", "voice"),
    ({"input": "Hi.", "stream": "no"}, "invalid_type", "stream"),
    ({"voice": "af_heart"}, "missing_required_parameter", "input"),
    (["input", "Hi."], "invalid_type", None),
])
def test_wrong_types_are_422(server, body, code, param):
    assert_envelope(post(server, body), 422, code, param)


def test_nothing_speakable_is_422(server):
    """Text that passes the length check but holds nothing the model can say."""
    assert_envelope(post(server, {"input": "\U0001F642\U0001F642"}), 422, "empty_input", "input")


def test_unknown_model_is_404(server, client):
    assert_envelope(post(server, {"input": "Hi.", "model": "whisper-1"}), 404, "model_not_found", "model")
    with pytest.raises(openai.NotFoundError):
        client.audio.speech.create(model="gpt-5", voice="alloy", input="Hi.")
    assert_envelope(httpx.get(server.url + "/v1/models/nope"), 404, "model_not_found")


def test_openai_client_raises_typed_errors(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model="tts-1", voice="nobody", input="Hi.")
    assert caught.value.body["code"] == "voice_not_found"
    with pytest.raises(openai.BadRequestError):
        client.audio.speech.create(model="tts-1", voice="alloy", input="Hi.", speed=9)


def test_unknown_paths_are_404(server):
    for path in ("/v1/nope", "/v1/audio/transcriptions", "/llm/v1/embeddings", "/no-such-file.js"):
        assert_envelope(httpx.get(server.url + path), 404, "not_found")


def test_wrong_method_is_405(server):
    error = assert_envelope(httpx.get(server.url + SPEECH), 405, "method_not_allowed")
    assert "GET" in error["message"]
    assert_envelope(httpx.delete(server.url + "/v1/models"), 405, "method_not_allowed")
    assert_envelope(httpx.post(server.url + "/health"), 405, "method_not_allowed")


def test_huge_body_is_413(server):
    response = httpx.post(server.url + SPEECH, content=b'{"input": "' + b"a" * 400_000 + b'"}',
                          headers={"content-type": "application/json"})
    assert_envelope(response, 413, "request_too_large")


def test_non_json_body_is_415(server):
    response = httpx.post(server.url + SPEECH, content=b"input=hello", headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert_envelope(response, 415, "unsupported_media_type")
    assert_envelope(httpx.post(server.url + SPEECH, content=b"hello", headers={"content-type": "text/plain"}), 415)


def test_llm_proxy_not_configured_is_503(server):
    assert_envelope(httpx.post(server.url + "/llm/v1/chat/completions", json={"messages": []}), 503,
                    "llm_not_configured")
    assert_envelope(httpx.get(server.url + "/llm/v1/models"), 503, "llm_not_configured")


def test_cross_site_posts_are_403(server):
    """A page on another origin cannot make this server synthesize (or spend the LLM key)."""
    response = post(server, {"input": "Hi."}, headers={"Origin": "https://evil.example"})
    assert_envelope(response, 403, "origin_not_allowed")
    assert "access-control-allow-origin" not in response.headers
    same_origin = post(server, {"input": "Hi.", "response_format": "pcm"}, headers={"Origin": server.url})
    assert same_origin.status_code == 200


def test_dns_rebinding_host_is_403(server):
    response = httpx.get(server.url + "/health", headers={"Host": "attacker.example:8000"})
    assert_envelope(response, 403, "host_not_allowed")
    assert httpx.get(server.url + "/health", headers={"Host": "localhost:1234"}).status_code == 200


def test_missing_model_is_503(tmp_path):
    """A server whose assets are missing stays up and says why, instead of crashing."""
    with koe_server(None, ready=False, assets=str(tmp_path)) as broken:
        deadline = time.monotonic() + 30
        while (health := httpx.get(broken.url + "/health")).json()["status"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert health.status_code == 503
        assert health.json()["status"] == "error" and health.json()["model_loaded"] is False
        assert "build.sh" in health.json()["error"]["message"]
        assert_envelope(httpx.post(broken.url + SPEECH, json={"input": "Hi."}), 503, "model_unavailable")
        assert_envelope(httpx.get(broken.url + "/v1/audio/voices"), 503, "model_unavailable")


def test_unexpected_exceptions_are_a_bare_500(caplog):
    """The catch-all: a failing endpoint gives a 500 envelope; the traceback stays in the server log."""
    from koe.server.errors import EXCEPTION_HANDLERS, CatchAllMiddleware
    from koe.server.observability import RequestContextMiddleware
    from starlette.middleware import Middleware

    def broken(request):
        raise RuntimeError("secret internal detail")

    app = Starlette(routes=[Route("/boom", broken)], exception_handlers=EXCEPTION_HANDLERS,
                    middleware=[Middleware(RequestContextMiddleware), Middleware(CatchAllMiddleware)])
    server = ServerThread(app).start()
    try:
        response = httpx.get(server.url + "/boom", headers={"X-Request-ID": "boom-1"})
    finally:
        server.stop()
    error = assert_envelope(response, 500, "internal_error")
    assert "secret internal detail" not in response.text and "boom-1" in error["message"]
    assert any("secret internal detail" in (r.exc_text or "") or (r.exc_info and "secret" in str(r.exc_info[1]))
               for r in caplog.records)


# --- hostile bodies, methods, malformed HTTP, hang-ups (issue 12: #3, #9) ---------------------------------------------

@pytest.mark.parametrize("body, fragment", [
    (b"[" * 1000 + b"]" * 1000, "levels deep"),
    (b'{"input": "Hi.", "speed": 1' + b"0" * 400 + b"}", "number of 401 characters"),
    (b'{"input": "Hi.", "speed": 1' + b"0" * 400 + b".0}", "number of 403 characters"),
    (b'{"input": "Hi.", "speed": 1e999}', "too large"),
    (b'{"input": "Hi.", "speed": NaN}', "NaN"),
    (b'{"input": "Hi \\ud800 there."}', "lone UTF-16 surrogate"),
    (b'{"input": "\xff\xfe"}', "not UTF-8"),
])
def test_hostile_json_is_400_not_500(server, body, fragment, caplog):
    caplog.set_level("INFO")
    response = httpx.post(server.url + SPEECH, content=body, headers={"content-type": "application/json"})
    error = assert_envelope(response, 400, "invalid_json")
    assert fragment in error["message"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_options_and_405_list_every_method_of_a_path(server):
    response = httpx.options(server.url + "/v1/audio/voices")
    assert response.status_code == 204
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    wrong = httpx.put(server.url + "/v1/audio/voices")
    error = assert_envelope(wrong, 405, "method_not_allowed")
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"} and "POST" in error["message"]
    item = httpx.options(server.url + "/v1/audio/voices/af_heart")
    assert set(item.headers["allow"].split(", ")) == {"GET", "HEAD", "DELETE", "OPTIONS"}


def raw_exchange(server, data: bytes) -> bytes:
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while piece := sock.recv(65536):
            chunks.append(piece)
    return b"".join(chunks)


@pytest.mark.parametrize("garbage", [
    b"NOT HTTP AT ALL\r\n\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n",
    b"POST /v1/audio/speech HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
])
def test_malformed_http_gets_the_json_envelope(server, garbage):
    import json

    answer = raw_exchange(server, garbage)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)["error"]
    assert error["code"] == "invalid_http" and error["type"] == "invalid_request_error"


def test_client_hanging_up_mid_upload_is_one_quiet_line(server, caplog):
    """A body cut short (the client went away) is logged at INFO, never as an ERROR with a traceback."""
    import socket

    caplog.set_level("INFO")
    for path, content_type in ((SPEECH, "application/json"),
                               ("/v1/audio/voices", "multipart/form-data; boundary=xyz")):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
                         f"Content-Length: 200000\r\n\r\n".encode() + b"--xyz\r\nContent-Disposition: form-data; "
                         b'name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n' + b"a" * 50000)
            time.sleep(0.3)
        deadline = time.monotonic() + 10
        while not any("disconnected" in r.getMessage() and path in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
            time.sleep(0.05)
    assert not [r for r in caplog.records if r.levelno >= 40], [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.exc_info]


def test_error_messages_never_carry_absolute_paths():
    from koe.server.errors import APIError, error_response, scrub_paths

    message = ("The model is not available: Load model from /home/someone/koe/web/public/model/kokoro.onnx "
               "failed; see C:\\Users\\someone\\koe\\log.txt")
    response = error_response(APIError(503, message))
    assert b"/home/someone" not in response.body and b"Users" not in response.body
    assert b"kokoro.onnx" in response.body and b"log.txt" in response.body
    for kept in ("No such resource: GET /v1/audio/nope", "see http://127.0.0.1:8000/v1/models", "a/b and 1/2/3"):
        assert scrub_paths(kept) == kept


def test_damaged_model_answers_name_no_path(tmp_path, assets_dir):
    """Started without `koe serve`'s check (create_app directly), a damaged model still leaks no path."""
    damaged = damaged_assets(tmp_path, assets_dir)
    with koe_server(None, ready=False, assets=str(damaged)) as broken:
        deadline = time.monotonic() + 60
        while (health := httpx.get(broken.url + "/health")).json()["status"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        speech = httpx.post(broken.url + SPEECH, json={"input": "Hi."})
        assert_envelope(speech, 503, "model_unavailable")
        for response in (health, speech):
            assert str(tmp_path) not in response.text and "/model/" not in response.text, response.text
