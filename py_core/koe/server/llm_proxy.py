"""/llm/v1/*: the web app's way to an external OpenAI-compatible LLM.

The browser cannot hold the API key (and many LLM APIs refuse CORS), so the
server forwards three endpoints - chat/completions, completions, models - to
the upstream named in its config, adding the configured key and headers, and
streams the answer (SSE included) back as it arrives.

The upstream is fixed by config alone. Nothing in a request can redirect it:
client query parameters are dropped, only a short allow-list of request
headers is forwarded (never the client's Authorization, Host or Forwarded
headers), and upstream redirects are not followed.

Nothing the upstream says reaches the client unchecked: the configured key and
credential header values are redacted from every body and header passed on
(:mod:`.redact`); an upstream error becomes an OpenAI envelope with the
upstream's status and a short, filtered message (never its HTML, paths or
stack trace); a non-streaming answer must be JSON, else it is a 502. Streams
(``text/event-stream``) are relayed as they arrive.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, AsyncIterator
from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..safe_json import InvalidJSONError, loads
from .bodies import parse_json_async, read_body
from .errors import APIError, envelope, scrub_paths
from .observability import current_request_id, escape_for_log
from .redact import Redactor, secret_values
from .responses import ClosingStreamingResponse

log = logging.getLogger("koe.server.llm")

BODY_LIMIT = 8 * 1024 * 1024
#: A non-streaming answer is read whole (to check it is JSON and redact it) up to this size.
RESPONSE_LIMIT = 16 * 1024 * 1024
ERROR_BODY_LIMIT = 64 * 1024
#: How much of an upstream's error message is passed on.
ERROR_MESSAGE_CHARS = 300
FORWARD_REQUEST_HEADERS = ("content-type", "accept", "accept-language")
# Bodies are relayed decoded (they are redacted), so Content-Encoding is never forwarded.
FORWARD_RESPONSE_HEADERS = ("content-type", "cache-control", "retry-after")
FORWARD_RESPONSE_PREFIXES = ("x-ratelimit-", "openai-")
_TOKEN = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


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


def _response_headers(upstream: Any, redactor: Redactor) -> dict[str, str]:
    headers = {}
    for name, value in upstream.headers.items():
        lower = name.lower()
        if lower in FORWARD_RESPONSE_HEADERS or lower.startswith(FORWARD_RESPONSE_PREFIXES):
            headers[name] = redactor.text(value)
    if "x-request-id" in upstream.headers:
        headers["X-Upstream-Request-ID"] = redactor.text(upstream.headers["x-request-id"])
    return headers


def _with_default_model(body: bytes, payload: Any, model: str | None) -> bytes:
    """Fill in the configured model when the client named none."""
    if model and isinstance(payload, dict) and not payload.get("model"):
        return json.dumps({**payload, "model": model}).encode()
    return body


async def _read(upstream: Any, limit: int) -> tuple[bytes, bool]:
    """The upstream's decoded body, at most ``limit`` bytes; and whether it was longer."""
    raw = b""
    try:
        async for piece in upstream.aiter_bytes():
            raw += piece
            if len(raw) > limit:
                return raw[:limit], True
    finally:
        await upstream.aclose()
    return raw, False


def _filtered(text: str, redactor: Redactor) -> str:
    """An upstream's words made safe to show: secrets and paths removed, one line, short."""
    text = scrub_paths(redactor.text(text))
    text = " ".join(escape_for_log(text).split())
    return text if len(text) <= ERROR_MESSAGE_CHARS else text[:ERROR_MESSAGE_CHARS - 1] + "…"


def _token(value: Any) -> str | None:
    return value if isinstance(value, str) and _TOKEN.match(value) else None


async def _upstream_error(upstream: Any, redactor: Redactor) -> Response:
    """An upstream error (or redirect) as an OpenAI envelope with the upstream's status and a filtered message."""
    raw, _ = await _read(upstream, ERROR_BODY_LIMIT)
    headers = _response_headers(upstream, redactor)
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    status = upstream.status_code
    if 300 <= status < 400:
        return JSONResponse(envelope(f"The LLM upstream answered with a redirect ({status}), which is not followed.",
                                     type="upstream_error", code="upstream_redirect"), status_code=502, headers=headers)
    try:
        payload = loads(raw, what="The upstream error", max_depth=16, max_number_chars=32)
    except InvalidJSONError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    kind, code, param, detail = "upstream_error", "upstream_error" if status >= 500 else None, None, None
    if isinstance(error, dict):
        detail = error.get("message") if isinstance(error.get("message"), str) else None
        kind = _token(error.get("type")) or kind
        code = _token(error.get("code")) or code
        param = _token(error.get("param"))
    elif isinstance(error, str):
        detail = error
    elif payload is None and not upstream.headers.get("content-type", "").startswith("text/html"):
        text = raw.decode("utf-8", "replace").strip()
        if text and not text.startswith("<"):  # plain text, not a markup page: its first line may say why
            detail = text.splitlines()[0]
    detail = _filtered(detail, redactor) if detail else ""
    message = detail if isinstance(error, dict) and detail else \
        f"The LLM upstream answered {status}" + (f": {detail}" if detail else ".")
    log.warning("LLM upstream answered %d", status)
    return JSONResponse(envelope(message, type=kind, param=param, code=code), status_code=status, headers=headers)


async def _relay(upstream: Any, redactor: Redactor) -> AsyncIterator[bytes]:
    """Upstream bytes as they arrive, redacted; a failure mid-stream ends SSE with an error event."""
    import httpx

    redaction = redactor.stream()
    try:
        async for piece in upstream.aiter_bytes():
            out = redaction.feed(piece)
            if out:
                yield out
        tail = redaction.flush()
        if tail:
            yield tail
    except httpx.HTTPError as error:
        log.warning("LLM upstream failed mid-stream: %s", type(error).__name__)
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            api = envelope("The LLM upstream stopped responding mid-stream.", type="upstream_error",
                           code="upstream_timeout" if isinstance(error, httpx.TimeoutException) else "upstream_error")
            yield f"data: {json.dumps(api)}\n\n".encode()
        else:
            raise


async def _complete_answer(upstream: Any, redactor: Redactor) -> Response:
    """A non-streaming answer: read whole, checked to be JSON, redacted; else a 502 envelope."""
    headers = _response_headers(upstream, redactor)
    raw, too_long = await _read(upstream, RESPONSE_LIMIT)
    if too_long:
        raise APIError(502, f"The LLM upstream's answer is larger than {RESPONSE_LIMIT // (1024 * 1024)} MB.",
                       code="upstream_invalid_response")
    try:
        loads(raw, what="The LLM upstream's answer", max_depth=128)
    except InvalidJSONError as error:
        log.warning("LLM upstream answered %d with a body that is not JSON: %s", upstream.status_code, error.message)
        raise APIError(502, f"The LLM upstream answered {upstream.status_code} with a body that is not JSON.",
                       code="upstream_invalid_response") from None
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}  # it is JSON: say so ourselves
    return Response(redactor.bytes(raw), status_code=upstream.status_code, headers=headers,
                    media_type="application/json")


async def _forward(request: Request, endpoint: str) -> Response:
    import httpx

    state = request.app.state.koe
    config = state.config
    if not config.llm_configured or state.http is None:
        raise APIError(503, "No LLM is configured on this server (start it with --llm-api-url).",
                       code="llm_not_configured")
    redactor = Redactor(secret_values(config.llm_api_key, config.llm_api_headers))
    body = b""
    if request.method == "POST":
        raw = await read_body(request, BODY_LIMIT)
        body = _with_default_model(raw, await parse_json_async(raw), config.llm_api_model)
    url = upstream_url(config.llm_api_url, endpoint)
    outgoing = state.http.build_request(request.method, url, headers=_request_headers(request, config),
                                        content=body or None)
    try:
        upstream = await state.http.send(outgoing, stream=True)
        if upstream.status_code >= 300:
            return await _upstream_error(upstream, redactor)
        if not upstream.headers.get("content-type", "").startswith("text/event-stream"):
            return await _complete_answer(upstream, redactor)
    except httpx.TimeoutException:
        log.warning("LLM upstream timed out: %s %s", request.method, endpoint)
        raise APIError(504, "The LLM upstream did not answer in time.", code="upstream_timeout") from None
    except httpx.HTTPError as error:
        log.warning("LLM upstream unreachable: %s", type(error).__name__)
        raise APIError(502, "The LLM upstream could not be reached.", code="upstream_unreachable") from None
    headers = _response_headers(upstream, redactor)
    headers["X-Accel-Buffering"] = "no"
    return ClosingStreamingResponse(_relay(upstream, redactor), upstream.aclose, status_code=upstream.status_code,
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
