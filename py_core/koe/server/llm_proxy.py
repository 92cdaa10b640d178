"""/llm/v1/*: the web app's way to an external OpenAI-compatible LLM.

The browser cannot hold the API key (and many LLM APIs refuse CORS), so the
server forwards three endpoints - chat/completions, completions, models - to
the upstream named in its config, adding the configured key and headers, and
streams the answer (SSE included) back as it arrives.

The upstream is fixed by config alone. Nothing in a request can redirect it:
client query parameters are dropped, only a short allow-list of request
headers is forwarded (never the client's Authorization, Host or Forwarded
headers), and upstream redirects are not followed.
"""

from __future__ import annotations

import json
import logging
from typing import Any, AsyncIterator
from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .bodies import parse_json, read_body
from .errors import APIError, envelope
from .observability import current_request_id
from .responses import ClosingStreamingResponse

log = logging.getLogger("koe.server.llm")

BODY_LIMIT = 8 * 1024 * 1024
ERROR_BODY_LIMIT = 64 * 1024
FORWARD_REQUEST_HEADERS = ("content-type", "accept", "accept-language")
FORWARD_RESPONSE_HEADERS = ("content-type", "content-encoding", "cache-control", "retry-after")
FORWARD_RESPONSE_PREFIXES = ("x-ratelimit-", "openai-")


def upstream_url(base: str, endpoint: str) -> str:
    """``base`` + ``/endpoint``, keeping a query string the config put on the base (e.g. api-version)."""
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/" + endpoint, parts.query, ""))


def _request_headers(request: Request, config: Any) -> dict[str, str]:
    headers = {name: request.headers[name] for name in FORWARD_REQUEST_HEADERS if name in request.headers}
    headers.update(config.llm_api_headers)
    if config.llm_api_key:
        headers["Authorization"] = f"Bearer {config.llm_api_key}"
    request_id = current_request_id()
    if request_id:
        headers["X-Request-ID"] = request_id
    return headers


def _response_headers(upstream: Any) -> dict[str, str]:
    headers = {}
    for name, value in upstream.headers.items():
        lower = name.lower()
        if lower in FORWARD_RESPONSE_HEADERS or lower.startswith(FORWARD_RESPONSE_PREFIXES):
            headers[name] = value
    if "x-request-id" in upstream.headers:
        headers["X-Upstream-Request-ID"] = upstream.headers["x-request-id"]
    return headers


def _with_default_model(body: bytes, payload: Any, model: str | None) -> bytes:
    """Fill in the configured model when the client named none."""
    if model and isinstance(payload, dict) and not payload.get("model"):
        return json.dumps({**payload, "model": model}).encode()
    return body


async def _upstream_error(upstream: Any) -> Response:
    """Pass an upstream error through, in the envelope if it was not in one already."""
    raw = b""
    async for piece in upstream.aiter_bytes():
        raw += piece
        if len(raw) > ERROR_BODY_LIMIT:
            break
    await upstream.aclose()
    headers = _response_headers(upstream)
    headers.pop("content-encoding", None)
    headers.pop("Content-Encoding", None)
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        return JSONResponse(payload, status_code=upstream.status_code, headers=headers)
    snippet = raw[:300].decode("utf-8", "replace").strip()
    message = f"The LLM upstream answered {upstream.status_code}" + (f": {snippet}" if snippet else ".")
    status = upstream.status_code if 400 <= upstream.status_code < 600 else 502
    code = "upstream_error" if status >= 500 else None
    body = envelope(message, type="upstream_error", code=code)
    headers.pop("content-type", None)
    headers.pop("Content-Type", None)
    return JSONResponse(body, status_code=status, headers=headers)


async def _relay(upstream: Any) -> AsyncIterator[bytes]:
    """Upstream bytes as they arrive; a failure mid-stream ends SSE with an error event."""
    import httpx

    try:
        async for piece in upstream.aiter_raw():
            yield piece
    except httpx.HTTPError as error:
        log.warning("LLM upstream failed mid-stream: %s", type(error).__name__)
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            api = envelope("The LLM upstream stopped responding mid-stream.", type="upstream_error",
                           code="upstream_timeout" if isinstance(error, httpx.TimeoutException) else "upstream_error")
            yield f"data: {json.dumps(api)}\n\n".encode()
        else:
            raise


async def _forward(request: Request, endpoint: str) -> Response:
    import httpx

    state = request.app.state.koe
    config = state.config
    if not config.llm_configured or state.http is None:
        raise APIError(503, "No LLM is configured on this server (start it with --llm-api-url).",
                       code="llm_not_configured")
    body = b""
    if request.method == "POST":
        raw = await read_body(request, BODY_LIMIT)
        body = _with_default_model(raw, parse_json(raw), config.llm_api_model)
    url = upstream_url(config.llm_api_url, endpoint)
    outgoing = state.http.build_request(request.method, url, headers=_request_headers(request, config),
                                        content=body or None)
    try:
        upstream = await state.http.send(outgoing, stream=True)
    except httpx.TimeoutException:
        log.warning("LLM upstream timed out: %s %s", request.method, endpoint)
        raise APIError(504, "The LLM upstream did not answer in time.", code="upstream_timeout") from None
    except httpx.HTTPError as error:
        log.warning("LLM upstream unreachable: %s", type(error).__name__)
        raise APIError(502, "The LLM upstream could not be reached.", code="upstream_unreachable") from None
    if upstream.status_code >= 400 or 300 <= upstream.status_code < 400:
        return await _upstream_error(upstream)
    headers = _response_headers(upstream)
    headers["X-Accel-Buffering"] = "no"
    return ClosingStreamingResponse(_relay(upstream), upstream.aclose, status_code=upstream.status_code,
                                    headers=headers)


async def chat_completions(request: Request) -> Response:
    return await _forward(request, "chat/completions")


async def completions(request: Request) -> Response:
    return await _forward(request, "completions")


async def models(request: Request) -> Response:
    return await _forward(request, "models")


routes = [
    Route("/llm/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/llm/v1/completions", completions, methods=["POST"]),
    Route("/llm/v1/models", models, methods=["GET"]),
]
