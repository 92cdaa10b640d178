"""Reading a JSON request body safely: media type (415), size (413), then the bounded JSON reader (400).

Requiring ``application/json`` also means a foreign web page cannot post to
this server without a CORS preflight (which it only passes for configured
origins): HTML forms and ``text/plain`` fetches are refused before any work.
Parsing goes through :func:`koe.safe_json.loads`, so no body (deep nesting,
400-digit numbers, ``NaN``, lone surrogates) can make a handler fail with a 500;
every endpoint and the LLM proxy read bodies here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request

from ..safe_json import InvalidJSONError, loads
from .errors import APIError

#: Nesting allowed in request bodies: speech needs 2, LLM requests with tool schemas a dozen or so.
MAX_DEPTH = 64
#: Bodies larger than this are parsed in a thread, so a big LLM request never stalls the event loop.
THREAD_PARSE_BYTES = 64 * 1024


def _is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body of a JSON request, refused early when the media type or size is wrong."""
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        shown = content_type.partition(";")[0].strip() or "none"
        raise APIError(415, f"Send the body as JSON with 'Content-Type: application/json' (got {shown}).",
                       code="unsupported_media_type")
    too_large = APIError(413, f"The request body is larger than {limit} bytes.", code="request_too_large")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise too_large
    return bytes(body)


def parse_json(body: bytes) -> Any:
    """The decoded body; 400 ``invalid_json`` with a message that says what is wrong."""
    if not body.strip():
        raise APIError(400, "The request body is empty; send a JSON object.", code="invalid_json")
    try:
        return loads(body, what="The request body", max_depth=MAX_DEPTH)
    except InvalidJSONError as error:
        raise APIError(400, error.message, code=error.code) from None


async def parse_json_async(body: bytes) -> Any:
    """:func:`parse_json`, in a worker thread when the body is large."""
    if len(body) > THREAD_PARSE_BYTES:
        return await asyncio.to_thread(parse_json, body)
    return parse_json(body)


async def read_json(request: Request, limit: int) -> Any:
    return await parse_json_async(await read_body(request, limit))


def require_object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise APIError(422, "The request body must be a JSON object.", code="invalid_type")
    return value
