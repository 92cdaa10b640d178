"""Admission and scheduling: how many requests are in, and whose model step runs next.

Two limits, each in one place:

* :class:`ModelGate` - at most ``--max-concurrency`` model steps run at once,
  whatever asked for them. A step is one chunk of a synthesis (planning included
  on the first), or a whole voice search. A thread holds its place until the
  step has really returned, so a client that hangs up mid-step frees nothing
  early: the limit holds even under "stream, then drop" loops. When a place
  frees up it goes to the waiting step whose request has the least text left
  (shortest remaining first, so a sentence never waits behind a paragraph),
  with an ageing term so a long request is never starved: each second since
  the request arrived counts as :data:`AGING_CHARS_PER_SECOND` characters
  less. Among equals the oldest goes first, so equal requests finish one after
  the other rather than all together at the end.
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

#: Ageing: characters of remaining text forgiven per second since the request arrived (about what one core
#: synthesizes in a second, so a request's age and its remaining work weigh alike).
AGING_CHARS_PER_SECOND = 50.0


class _Ticket:
    __slots__ = ("remaining", "since", "order", "granted")

    def __init__(self, remaining: float, since: float, order: int) -> None:
        self.remaining = remaining
        self.since = since
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

    def turns(self, cancelled: Callable[[], bool] = lambda: False, since: float | None = None) -> "Turns":
        """A job's successive steps (see :class:`Turns`); ``since``: when its request arrived (default now)."""
        return Turns(self, cancelled, time.monotonic() if since is None else since)

    @contextlib.contextmanager
    def step(self, remaining: float, cancelled: Callable[[], bool] = lambda: False,
             since: float | None = None) -> Iterator[bool]:
        """One step on its own (a job that is a single step); see :meth:`Turns.step`."""
        with self.turns(cancelled, since) as turns, turns.step(remaining) as granted:
            yield granted

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


class Turns:
    """One job's steps through a :class:`ModelGate`, in order; use as a context manager around them.

    :meth:`reserve`, called during a step, queues the job's next step before this one hands its
    place on, so a request that goes on keeps its rank (a sentence's second chunk does not queue
    behind every other request's first). A reserved place the job does not take is given back
    when the job ends.
    """

    def __init__(self, gate: ModelGate, cancelled: Callable[[], bool], since: float) -> None:
        self.gate = gate
        self.cancelled = cancelled
        self.since = since
        self._reserved: _Ticket | None = None  # queued (or already granted) for the next step
        self._pending: _Ticket | None = None   # to queue when the current step ends

    def __enter__(self) -> "Turns":
        return self

    def __exit__(self, *exc: object) -> None:
        gate, ticket = self.gate, self._reserved
        self._reserved = None
        if ticket is None:
            return
        with gate._lock:
            if ticket.granted:
                gate.running -= 1
                gate._grant()
            elif ticket in gate._waiting:
                gate._waiting.remove(ticket)

    def reserve(self, remaining: float) -> None:
        """During a step: the job will take another, with ``remaining`` work left."""
        self._pending = _Ticket(remaining, self.since, next(self.gate._order))

    @contextlib.contextmanager
    def step(self, remaining: float) -> Iterator[bool]:
        """Hold a place for one step; yields False (holding nothing) if the job is cancelled while it waits."""
        gate = self.gate
        with gate._lock:
            ticket, self._reserved = self._reserved, None
            if ticket is None:
                ticket = _Ticket(remaining, self.since, next(gate._order))
                gate._waiting.append(ticket)
                gate._grant()
            while not ticket.granted and not self.cancelled():
                gate._lock.wait(1.0)
            if not ticket.granted:
                gate._waiting.remove(ticket)
                gate._grant()
        if not ticket.granted:
            yield False
            return
        try:
            yield True
        finally:
            with gate._lock:
                gate.running -= 1
                if self._pending is not None:  # queued before the place is handed on: it keeps its rank
                    self._reserved, self._pending = self._pending, None
                    gate._waiting.append(self._reserved)
                gate._grant()


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
