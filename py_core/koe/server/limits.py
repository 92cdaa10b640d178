"""Admission control: a few syntheses run, a few wait, the rest get 429 at once.

Synthesis is CPU-bound; letting every request run would make them all slow
and let memory grow without bound. :class:`Capacity` admits ``running``
requests, parks up to ``waiting`` more in FIFO order, and refuses the rest
with 429 and a ``Retry-After`` estimated from recent request durations.
"""

from __future__ import annotations

import asyncio
import collections
import math

from .errors import APIError


class Slot:
    """A held running slot; :meth:`release` is idempotent so every exit path may call it."""

    def __init__(self, capacity: "Capacity") -> None:
        self._capacity = capacity
        self._released = False

    def release(self, seconds: float | None = None) -> None:
        if not self._released:
            self._released = True
            self._capacity._release(seconds)


class Capacity:
    def __init__(self, running: int, waiting: int) -> None:
        self.limit = running
        self.queue_limit = waiting
        self.running = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._recent: collections.deque[float] = collections.deque(maxlen=20)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: mean recent duration times the queue ahead."""
        mean = sum(self._recent) / len(self._recent) if self._recent else 2.0
        ahead = (self.waiting + self.running) / max(1, self.limit)
        return max(1, min(60, math.ceil(mean * ahead)))

    async def acquire(self) -> Slot:
        """A running slot, after waiting in line if needed; raises 429 when the line is full."""
        if self.running < self.limit and not self._waiters:
            self.running += 1
            return Slot(self)
        if len(self._waiters) >= self.queue_limit:
            raise APIError(429, f"The server is busy ({self.running} running, {self.waiting} waiting); retry shortly.",
                           code="rate_limit_exceeded", headers={"Retry-After": str(self.retry_after())})
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # _release hands its slot over: ``running`` is already counted for us
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(None)  # the slot arrived just as we gave up: pass it on
            else:
                self._waiters.remove(waiter)
            raise
        return Slot(self)

    def _release(self, seconds: float | None) -> None:
        if seconds is not None:
            self._recent.append(seconds)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # hand the slot over directly
                return
        self.running -= 1
