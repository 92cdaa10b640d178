"""Every failure leaves the server as the OpenAI error envelope.

``{"error": {"message", "type", "param", "code"}}`` with a fitting status, so
OpenAI clients raise their usual typed exceptions. Unexpected exceptions are
logged server-side with the request id and reach the client only as a generic
500: no stack trace ever leaves the process.
"""

from __future__ import annotations

import logging
import re
from typing import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import AssetError, EmptyTextError, KoeError, VoiceStoreError
from .observability import current_request_id

log = logging.getLogger("koe.server")

#: OpenAI's ``type`` field by status.
_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
    502: "upstream_error",
    504: "upstream_error",
}

#: ``code`` for Starlette's own HTTP errors (routing, static files).
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    401: "unauthorized",
    413: "request_too_large",
}


def error_type(status: int) -> str:
    if status in _TYPES:
        return _TYPES[status]
    return "server_error" if status >= 500 else "invalid_request_error"


class APIError(Exception):
    """An error meant for the client: status plus the envelope's fields."""

    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None,
                 type: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type or error_type(status)
        self.headers = dict(headers or {})


#: An absolute file path of two or more parts (POSIX or Windows); not a URL or an API path like /v1/models.
_FILE_PATH = re.compile(r"(?<![\w.~:/\\-])(?:/(?!v1/|llm/)[\w.~+@%-]+(?:/[\w.~+@%-]+)+/?"
                        r"|[A-Za-z]:\\(?:[^\\\s'\"<>|]+\\)*[^\\\s'\"<>|]*)")


def scrub_paths(text: str) -> str:
    """``text`` with absolute file paths cut to their last part: clients never learn the server's layout."""
    return _FILE_PATH.sub(lambda m: re.split(r"[/\\]", m.group().rstrip("/\\"))[-1], text)


def envelope(message: str, *, type: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def error_response(error: APIError, *, scrub: bool = True) -> JSONResponse:
    """The envelope for ``error``; absolute paths are cut from the message unless it echoes the request's own path."""
    message = scrub_paths(error.message) if scrub else error.message
    body = envelope(message, type=error.type, param=error.param, code=error.code)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def from_koe_error(error: KoeError) -> APIError:
    """Engine errors are the caller's fault (400) except missing assets (the server's, 500)."""
    if isinstance(error, AssetError):
        log.error("asset error: %s", error.message)
        return APIError(500, "The server's model files are missing or damaged.", code=error.code)
    if isinstance(error, VoiceStoreError):
        log.error("voice store: %s", error.message)
        return APIError(503, error.message, code=error.code)
    status = 422 if isinstance(error, EmptyTextError) else 400
    return APIError(status, error.message, code=error.code, param=error.param)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc)


async def handle_koe_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KoeError)
    return error_response(from_koe_error(exc))


def allowed_methods(request: Request, fallback: str = "") -> list[str]:
    """Every method some route accepts on this path (several routes may share one), for Allow headers."""
    methods: set[str] = set()
    for route in getattr(request.app, "routes", ()):
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] is not Match.NONE:
            methods.update(route_methods)
    if not methods:
        methods.update(m.strip() for m in fallback.split(",") if m.strip())
    return sorted(methods | {"OPTIONS"}) if methods else []


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's routing/static errors (404, 405, ...) in the envelope; OPTIONS answers with Allow."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 404:
        message = f"No such resource: {request.method} {request.url.path}"
    elif status == 405:
        allowed = allowed_methods(request, headers.pop("Allow", headers.pop("allow", "")))
        headers["Allow"] = ", ".join(allowed)
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=headers)
        message = f"Method {request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}."
    else:
        message = str(exc.detail)
    # The message echoes the request's own path: nothing of the server's to hide.
    return error_response(APIError(status, message, code=_HTTP_CODES.get(status), headers=headers), scrub=False)


EXCEPTION_HANDLERS = {
    APIError: handle_api_error,
    KoeError: handle_koe_error,
    HTTPException: handle_http_exception,
}


class CatchAllMiddleware:
    """The last line: log any unhandled exception, answer a bare 500 envelope.

    Sits inside the request-id middleware so the 500 still carries
    X-Request-ID. Unlike Starlette's ServerErrorMiddleware it does not re-raise,
    so the traceback is logged once, with the request id. A client that hangs
    up while its body is being read (``ClientDisconnect``) is an INFO line, not
    an error.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:  # the client hung up mid-upload: nothing to answer, nothing went wrong here
            log.info("client disconnected during %s %s before its request body arrived", scope.get("method"),
                     scope.get("path"))
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # headers are out: all we can do is drop the connection
            request_id = current_request_id() or "-"
            response = error_response(APIError(
                500, f"Internal server error (request id {request_id}); see the server log.", code="internal_error"))
            await response(scope, receive, send)
