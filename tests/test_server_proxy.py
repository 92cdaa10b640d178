"""The LLM proxy against a real upstream: a small Starlette app on a loopback port.

Checks forwarding, streaming as it arrives, key and header injection, that no
request can redirect the upstream, and the envelopes for upstream failures.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import openai
import pytest
from openai import OpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from starlette.routing import Route

from server_fixtures import ServerThread, assert_envelope, free_port, koe_server

KEY = "sk-upstream-secret"
STREAM_GAP = 0.4


def completion(text: str, model: str) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}}


def chunk(text: str, model: str) -> str:
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model,
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return f"data: {json.dumps(body)}\n\n"


def upstream_app(seen: list, evil_url: str) -> Starlette:
    """An OpenAI-like upstream; the ``model`` field picks a behaviour."""

    async def record(request: Request) -> dict:
        body = await request.json() if request.method == "POST" else {}
        seen.append({"method": request.method, "path": request.url.path, "query": request.url.query,
                     "headers": dict(request.headers), "body": body})
        return body

    async def chat(request: Request):
        body = await record(request)
        model = body.get("model")
        if model == "slow":
            await asyncio.sleep(5)
        if model == "error-json":
            return JSONResponse({"error": {"message": "Rate limit reached", "type": "requests", "param": None,
                                           "code": "rate_limit_exceeded"}}, status_code=429,
                                headers={"Retry-After": "7"})
        if model == "error-text":
            return PlainTextResponse("kaboom", status_code=500)
        if model == "redirect":
            return RedirectResponse(evil_url + "/v1/chat/completions", status_code=307)
        echoed = "; ".join(f"{k}: {v}" for k, v in request.headers.items())
        if model == "echo-text":  # an error page that repeats the request headers, key included
            return PlainTextResponse(f"bad request; you sent {echoed}", status_code=400)
        if model == "echo-json":
            return JSONResponse({"error": {"message": f"denied for {echoed}", "type": "invalid_request_error",
                                           "code": "denied<script>", "param": None}}, status_code=401)
        if model == "html-500":
            return HTMLResponse("<html><body><h1>Internal Server Error</h1><pre>Traceback: File "
                                "\"/srv/upstream/app/handlers.py\", line 12</pre></body></html>", status_code=500)
        if model == "not-json":
            return PlainTextResponse("<html>a captive portal, not an LLM</html>", status_code=200)
        if model == "echo-ok":
            return JSONResponse(completion(f"your headers: {echoed}", model))
        if model == "echo-stream":  # the key arrives cut in two across pieces
            async def leaky():
                yield 'data: {"choices": [{"index": 0, "delta": {"content": "key: ' + KEY[:5]
                await asyncio.sleep(0.05)
                yield KEY[5:] + '"}}]}\n\n'

                yield "data: [DONE]\n\n"
            return StreamingResponse(leaky(), media_type="text/event-stream")
        if body.get("stream"):
            async def events():
                for word in ("Hello", " from", " upstream"):
                    yield chunk(word, model)
                    await asyncio.sleep(STREAM_GAP if model != "stall" else 5)
                yield "data: [DONE]\n\n"
            return StreamingResponse(events(), media_type="text/event-stream")
        return JSONResponse(completion("Hello from upstream", model))

    async def completions(request: Request):
        body = await record(request)
        return JSONResponse({"id": "cmpl-1", "object": "text_completion", "model": body.get("model"),
                             "choices": [{"text": " world", "index": 0, "finish_reason": "stop"}]})

    async def models(request: Request):
        await record(request)
        return JSONResponse({"object": "list", "data": [{"id": "upstream-model", "object": "model", "created": 1,
                                                         "owned_by": "upstream"}]})

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]),
                             Route("/v1/completions", completions, methods=["POST"]),
                             Route("/v1/models", models, methods=["GET"])])


def evil_app(hits: list) -> Starlette:
    async def anything(request: Request):
        hits.append(request.url.path)
        return JSONResponse({"stolen": True})

    return Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def evil():
    hits: list = []
    server = ServerThread(evil_app(hits)).start()
    server.hits = hits
    yield server
    server.stop()


@pytest.fixture(scope="module")
def upstream(evil):
    seen: list = []
    server = ServerThread(upstream_app(seen, evil.url)).start()
    server.seen = seen
    yield server
    server.stop()


@pytest.fixture(scope="module")
def koe(engine, upstream):
    with koe_server(engine, llm_api_url=upstream.url + "/v1", llm_api_key=KEY, llm_api_model="upstream-model",
                    llm_api_headers={"X-Title": "Koe tests"}, llm_timeout=1.5) as running:
        yield running


@pytest.fixture
def seen(upstream):
    upstream.seen.clear()
    return upstream.seen


@pytest.fixture(scope="module")
def client(koe) -> OpenAI:
    return OpenAI(base_url=koe.url + "/llm/v1", api_key="client-key-must-not-leak", max_retries=0, timeout=30)


def test_chat_completion_is_forwarded_with_the_configured_key(client, seen):
    reply = client.chat.completions.create(model="upstream-model", messages=[{"role": "user", "content": "Hi"}])
    assert reply.choices[0].message.content == "Hello from upstream"
    [request] = seen
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    assert request["headers"]["x-title"] == "Koe tests"
    assert "client-key-must-not-leak" not in json.dumps(request)
    assert request["body"]["messages"] == [{"role": "user", "content": "Hi"}]


def test_configured_model_fills_in_when_none_is_named(koe, seen):
    response = httpx.post(koe.url + "/llm/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 200
    assert seen[-1]["body"]["model"] == "upstream-model"
    httpx.post(koe.url + "/llm/v1/chat/completions", json={"model": "other", "messages": []})
    assert seen[-1]["body"]["model"] == "other"


def test_streaming_passes_through_as_it_arrives(client, seen):
    started = time.perf_counter()
    arrivals, text = [], ""
    for part in client.chat.completions.create(model="upstream-model", stream=True,
                                               messages=[{"role": "user", "content": "Hi"}]):
        arrivals.append(time.perf_counter() - started)
        text += part.choices[0].delta.content or ""
    assert text == "Hello from upstream"
    # The upstream waits STREAM_GAP between pieces: the first must arrive long before the last.
    assert arrivals[-1] - arrivals[0] >= 2 * STREAM_GAP * 0.8, arrivals
    assert seen[-1]["body"]["stream"] is True


def test_streaming_content_type_and_request_id(koe):
    with httpx.stream("POST", koe.url + "/llm/v1/chat/completions", headers={"X-Request-ID": "proxy-7"},
                      json={"stream": True, "messages": []}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-request-id"] == "proxy-7"
        body = response.read().decode()
    assert body.rstrip().endswith("data: [DONE]")


def test_completions_and_models(client, seen):
    assert client.completions.create(model="upstream-model", prompt="Hello").choices[0].text == " world"
    assert [m.id for m in client.models.list().data] == ["upstream-model"]
    assert [r["path"] for r in seen] == ["/v1/completions", "/v1/models"]
    assert all(r["headers"]["authorization"] == f"Bearer {KEY}" for r in seen)


def test_requests_cannot_redirect_the_upstream(koe, evil, seen):
    response = httpx.post(
        koe.url + "/llm/v1/chat/completions",
        params={"base_url": evil.url, "api_base": evil.url + "/v1", "url": evil.url, "upstream": evil.url},
        headers={"Host": f"localhost:{evil.url.rsplit(':', 1)[1]}", "X-Forwarded-Host": evil.url[7:],
                 "Forwarded": f"host={evil.url[7:]}", "X-Upstream-URL": evil.url, "X-LLM-API-URL": evil.url,
                 "Authorization": "Bearer client-key-must-not-leak"},
        json={"model": "upstream-model", "messages": []})
    assert response.status_code == 200
    assert evil.hits == []
    [request] = seen
    assert request["query"] == ""
    forwarded = {name.lower() for name in request["headers"]}
    assert not forwarded & {"x-forwarded-host", "forwarded", "x-upstream-url", "x-llm-api-url"}
    assert request["headers"]["authorization"] == f"Bearer {KEY}"


def test_upstream_redirects_are_not_followed(koe, evil):
    response = httpx.post(koe.url + "/llm/v1/chat/completions", json={"model": "redirect", "messages": []})
    assert_envelope(response, 502)
    assert evil.hits == []


def test_upstream_error_envelopes_pass_through(client, koe):
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="error-json", messages=[])
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.body["code"] == "rate_limit_exceeded"
    error = assert_envelope(httpx.post(koe.url + "/llm/v1/chat/completions", json={"model": "error-text"}), 500,
                            "upstream_error")
    assert "kaboom" in error["message"] and error["type"] == "upstream_error"


def test_upstream_timeout_is_504(koe):
    assert_envelope(httpx.post(koe.url + "/llm/v1/chat/completions", json={"model": "slow", "messages": []},
                               timeout=30), 504, "upstream_timeout")


def test_upstream_stalling_mid_stream_ends_with_an_error_event(koe):
    response = httpx.post(koe.url + "/llm/v1/chat/completions", timeout=30,
                          json={"model": "stall", "stream": True, "messages": []})
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]
    assert events[0]["choices"][0]["delta"]["content"] == "Hello"
    assert events[-1]["error"]["code"] == "upstream_timeout"


def test_unreachable_upstream_is_502(engine):
    with koe_server(engine, llm_api_url=f"http://127.0.0.1:{free_port()}/v1") as lonely:
        assert_envelope(httpx.post(lonely.url + "/llm/v1/chat/completions", json={"messages": []}), 502,
                        "upstream_unreachable")


def test_proxy_refuses_non_json_and_foreign_origins(koe, seen):
    assert_envelope(httpx.post(koe.url + "/llm/v1/chat/completions", content=b"{}",
                               headers={"content-type": "text/plain"}), 415)
    assert_envelope(httpx.post(koe.url + "/llm/v1/chat/completions", json={"messages": []},
                               headers={"Origin": "https://evil.example"}), 403, "origin_not_allowed")
    assert seen == []


# --- what the upstream says never leaks the server's secrets (issue: key echo) -------------------------------------

def test_upstream_echoing_the_key_is_redacted(koe):
    """Error bodies that repeat the request headers lose the key; the status stays the upstream's."""
    for model, status in (("echo-text", 400), ("echo-json", 401)):
        response = httpx.post(koe.url + "/llm/v1/chat/completions", json={"model": model, "messages": []})
        error = assert_envelope(response, status)
        assert KEY not in response.text and "[redacted]" in response.text, response.text
        assert len(error["message"]) < 400 and "\n" not in error["message"]
    assert assert_envelope(httpx.post(koe.url + "/llm/v1/chat/completions", json={"model": "echo-json"}),
                           401)["code"] is None  # a code that is not a plain token is dropped


def test_upstream_html_errors_are_not_relayed(koe):
    response = httpx.post(koe.url + "/llm/v1/chat/completions", json={"model": "html-500", "messages": []})
    error = assert_envelope(response, 500, "upstream_error")
    assert "<" not in response.text and "/srv/upstream" not in response.text and "Traceback" not in response.text
    assert error["message"] == "The LLM upstream answered 500."


def test_a_200_that_is_not_json_is_502(koe):
    response = httpx.post(koe.url + "/llm/v1/chat/completions", json={"model": "not-json", "messages": []})
    assert_envelope(response, 502, "upstream_invalid_response")
    assert "captive" not in response.text


def test_successful_answers_are_redacted_too(koe):
    response = httpx.post(koe.url + "/llm/v1/chat/completions", json={"model": "echo-ok", "messages": []})
    assert response.status_code == 200
    assert KEY not in response.text and "[redacted]" in response.json()["choices"][0]["message"]["content"]
    with httpx.stream("POST", koe.url + "/llm/v1/chat/completions",
                      json={"model": "echo-stream", "stream": True, "messages": []}) as streamed:
        assert streamed.headers["content-type"].startswith("text/event-stream")
        body = streamed.read().decode()
    assert KEY not in body and "[redacted]" in body and body.rstrip().endswith("data: [DONE]")


def test_deep_or_huge_number_bodies_are_400_before_the_upstream(koe, seen):
    for body in (b"[" * 1000 + b"]" * 1000, b'{"max_tokens": 1' + b"0" * 400 + b"}"):
        response = httpx.post(koe.url + "/llm/v1/chat/completions", content=body,
                              headers={"content-type": "application/json"})
        assert_envelope(response, 400, "invalid_json")
    assert seen == []


def test_redaction_across_pieces():
    from koe.server.redact import Redactor, secret_values

    secrets = secret_values("sk-abcdef123456", {"X-Api-Key": "k-9876543210", "X-Title": "Koe tests",
                                                "Authorization": "Basic dXNlcjpwYXNz"})
    assert "Koe tests" not in secrets and "dXNlcjpwYXNz" in secrets
    redactor = Redactor(secrets)
    text = b'{"a": "Bearer sk-abcdef123456", "b": "k-9876543210 and Basic dXNlcjpwYXNz", "c": "sk-abc"}'
    for cut in range(1, len(text)):
        stream = redactor.stream()
        out = stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.flush()
        assert out == redactor.bytes(text), cut
    assert b"sk-abcdef123456" not in redactor.bytes(text) and b'"c": "sk-abc"' in redactor.bytes(text)
