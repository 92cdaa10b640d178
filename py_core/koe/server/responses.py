"""A streaming response whose cleanup always runs.

Starlette cancels a streaming body when the client disconnects, and a body
generator cancelled before its first step never runs its ``finally``; this
response calls ``on_close`` however the stream ends, so synthesis slots and
upstream connections are always given back.
"""

from __future__ import annotations

import inspect
from typing import Any, AsyncIterator, Callable

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send


class ClosingStreamingResponse(StreamingResponse):
    def __init__(self, content: AsyncIterator[bytes], on_close: Callable[[], Any], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            result = self._on_close()
            if inspect.isawaitable(result):
                await result
