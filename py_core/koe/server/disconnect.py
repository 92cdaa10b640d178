"""Giving up on work when the client hangs up before the response starts.

Once a response streams, Starlette notices a disconnect itself (the send fails); before
that, a handler that waits (for a synthesis slot, for the first audio, for a voice
search) must watch ``receive()`` for ``http.disconnect`` while it waits.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, TypeVar

from starlette.requests import Request

T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected before the response started."""


async def _until_disconnect(request: Request) -> None:
    """Returns when the client hangs up (the body has been read, so receive() only reports that)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """Await ``work``, but give up (ClientGone, ``work`` cancelled) if the client disconnects meanwhile."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_until_disconnect(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if task.done():
        return task.result()
    task.cancel()
    try:
        await task
    except BaseException:
        pass
    raise ClientGone()
