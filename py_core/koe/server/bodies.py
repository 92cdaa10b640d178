"""Reading a JSON request body safely: media type (415), size (413), syntax (400).

Requiring ``application/json`` also means a foreign web page cannot post to
this server without a CORS preflight (which it only passes for configured
origins): HTML forms and ``text/plain`` fetches are refused before any work.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from .errors import APIError


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
    if not body.strip():
        raise APIError(400, "The request body is empty; send a JSON object.", code="invalid_json")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise APIError(400, f"The request body is not valid JSON: {error}.", code="invalid_json") from None


async def read_json(request: Request, limit: int) -> Any:
    return parse_json(await read_body(request, limit))


def require_object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise APIError(422, "The request body must be a JSON object.", code="invalid_type")
    return value
