"""Every failure leaves the server as the OpenAI error envelope.

``{"error": {"message", "type", "param", "code"}}`` with a fitting status, so
OpenAI clients raise their usual typed exceptions. Unexpected exceptions are
logged server-side with the request id and reach the client only as a generic
500: no stack trace ever leaves the process.
"""

from __future__ import annotations

import logging
from typing import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import AssetError, EmptyTextError, KoeError
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


def envelope(message: str, *, type: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def error_response(error: APIError) -> JSONResponse:
    body = envelope(error.message, type=error.type, param=error.param, code=error.code)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def from_koe_error(error: KoeError) -> APIError:
    """Engine errors are the caller's fault (400) except missing assets (the server's, 500)."""
    if isinstance(error, AssetError):
        log.error("asset error: %s", error.message)
        return APIError(500, "The server's model files are missing or damaged.", code=error.code)
    status = 422 if isinstance(error, EmptyTextError) else 400
    return APIError(status, error.message, code=error.code, param=error.param)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc)


async def handle_koe_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KoeError)
    return error_response(from_koe_error(exc))


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's routing/static errors (404, 405, ...) in the envelope."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    status = exc.status_code
    if status == 404:
        message = f"No such resource: {request.method} {request.url.path}"
    elif status == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    else:
        message = str(exc.detail)
    return error_response(APIError(status, message, code=_HTTP_CODES.get(status), headers=exc.headers))


EXCEPTION_HANDLERS = {
    APIError: handle_api_error,
    KoeError: handle_koe_error,
    HTTPException: handle_http_exception,
}


class CatchAllMiddleware:
    """The last line: log any unhandled exception, answer a bare 500 envelope.

    Sits inside the request-id middleware so the 500 still carries
    X-Request-ID. Unlike Starlette's ServerErrorMiddleware it does not re-raise,
    so the traceback is logged once, with the request id.
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
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # headers are out: all we can do is drop the connection
            request_id = current_request_id() or "-"
            response = error_response(APIError(
                500, f"Internal server error (request id {request_id}); see the server log.", code="internal_error"))
            await response(scope, receive, send)
