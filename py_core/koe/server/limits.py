"""Admission and scheduling: how many requests are in, and whose model step runs next.

Two limits, each in one place:

* :class:`ModelGate` - at most ``--max-concurrency`` model steps run at once,
  whatever asked for them. A step is one chunk of a synthesis (planning included
  on the first), or a whole voice search. A thread holds its place until the
  step has really returned, so a client that hangs up mid-step frees nothing
  early: the limit holds even under "stream, then drop" loops. When a place
  frees up it goes to the waiting step whose request has the least text left
  (shortest remaining first, so a sentence never waits behind a paragraph),
  with an ageing term so a long request is never starved: each second of
  waiting counts as :data:`AGING_CHARS_PER_SECOND` characters less.
* :class:`Capacity` - admission. ``--max-concurrency`` + ``--max-queue``
  requests may be in progress at once, their steps interleaved by the gate;
  beyond that a request is refused at once with 429 and a ``Retry-After``
  estimated from recent request durations.

The gate is per server and reaches the worker threads through the request's
context (:func:`current_gate`, set by :class:`GateContextMiddleware`), the way
the request id does, so handlers need not pass it along.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import itertools
import math
import threading
import time
from typing import Callable, Iterator

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import APIError

#: Ageing of a waiting step: characters of remaining text forgiven per second waited.
AGING_CHARS_PER_SECOND = 100.0


class _Ticket:
    __slots__ = ("remaining", "since", "order", "granted")

    def __init__(self, remaining: float, order: int) -> None:
        self.remaining = remaining
        self.since = time.monotonic()
        self.order = order
        self.granted = False

    def score(self, now: float) -> tuple[float, int]:
        return self.remaining - AGING_CHARS_PER_SECOND * (now - self.since), self.order


class ModelGate:
    """At most ``limit`` model steps at once across threads; free places go to the shortest remaining work."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.running = 0
        self.peak = 0  # most steps ever seen running at once (the load tests check it never passes ``limit``)
        self.steps = 0
        self._waiting: list[_Ticket] = []
        self._order = itertools.count()
        self._lock = threading.Condition()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def wake(self) -> None:
        """Let waiting threads re-check their cancellation (called when a job is cancelled)."""
        with self._lock:
            self._lock.notify_all()

    @contextlib.contextmanager
    def step(self, remaining: float, cancelled: Callable[[], bool] = lambda: False) -> Iterator[bool]:
        """Hold a place for one step; yields False (and holds nothing) if ``cancelled`` turns true first."""
        ticket = _Ticket(remaining, next(self._order))
        with self._lock:
            self._waiting.append(ticket)
            self._grant()
            while not ticket.granted and not cancelled():
                self._lock.wait(1.0)
            if not ticket.granted:
                self._waiting.remove(ticket)
                self._grant()
                granted = False
            else:
                granted = True
        if not granted:
            yield False
            return
        try:
            yield True
        finally:
            with self._lock:
                self.running -= 1
                self._grant()

    def _grant(self) -> None:
        """Give free places to the best waiting tickets (lock held)."""
        granted = False
        while self.running < self.limit and self._waiting:
            now = time.monotonic()
            best = min(self._waiting, key=lambda t: t.score(now))
            self._waiting.remove(best)
            best.granted = True
            self.running += 1
            self.steps += 1
            self.peak = max(self.peak, self.running)
            granted = True
        if granted:
            self._lock.notify_all()


_gate: contextvars.ContextVar[ModelGate | None] = contextvars.ContextVar("koe_model_gate", default=None)


def current_gate() -> ModelGate | None:
    """The model gate of the server handling the current request (None outside a request)."""
    return _gate.get()


class Slot:
    """An admitted request; :meth:`release` is idempotent so every exit path may call it."""

    def __init__(self, capacity: "Capacity") -> None:
        self._capacity = capacity
        self._released = False

    def release(self, seconds: float | None = None) -> None:
        if not self._released:
            self._released = True
            self._capacity._release(seconds)


class Capacity:
    """Admission: ``running`` + ``waiting`` requests in progress at once; ``running`` model steps at a time."""

    def __init__(self, running: int, waiting: int) -> None:
        self.limit = running
        self.queue_limit = waiting
        self.gate = ModelGate(running)
        self.admitted = 0
        self._recent: collections.deque[float] = collections.deque(maxlen=20)

    @property
    def running(self) -> int:
        """Requests whose model step is running now."""
        return self.gate.running

    @property
    def waiting(self) -> int:
        """Admitted requests not running a model step now (queued for one, or sending what they made)."""
        return max(0, self.admitted - self.gate.running)

    def retry_after(self) -> int:
        """Seconds until a place is likely free: mean recent duration times the requests per model place."""
        mean = sum(self._recent) / len(self._recent) if self._recent else 2.0
        ahead = self.admitted / max(1, self.limit)
        return max(1, min(60, math.ceil(mean * ahead)))

    async def acquire(self) -> Slot:
        """Admit a request, or raise 429 when ``running + waiting`` are already in progress."""
        if self.admitted >= self.limit + self.queue_limit:
            raise APIError(429, f"The server is busy ({self.admitted} requests in progress); retry shortly.",
                           code="rate_limit_exceeded", headers={"Retry-After": str(self.retry_after())})
        self.admitted += 1
        return Slot(self)

    def _release(self, seconds: float | None) -> None:
        if seconds is not None:
            self._recent.append(seconds)
        self.admitted -= 1


class GateContextMiddleware:
    """Makes the server's :class:`ModelGate` the current one for each request (see :func:`current_gate`)."""

    def __init__(self, app: ASGIApp, gate: ModelGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _gate.set(self.gate)
        try:
            await self.app(scope, receive, send)
        finally:
            _gate.reset(token)
