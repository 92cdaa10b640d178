"""The model gate and admission (server/limits.py) on their own: order, limit, cancellation, 429."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from koe.server.errors import APIError
from koe.server.limits import Capacity, ModelGate


def hold(gate: ModelGate, remaining: float, entered: list, release: threading.Event, name: str) -> threading.Thread:
    def run() -> None:
        with gate.step(remaining) as granted:
            assert granted
            entered.append(name)
            release.wait(10)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_the_shortest_remaining_work_goes_first():
    gate = ModelGate(1)
    entered: list[str] = []
    releases = {name: threading.Event() for name in "ABCD"}
    threads = [hold(gate, 5000, entered, releases["A"], "A")]
    wait_until(lambda: entered == ["A"])
    for name, remaining in (("B", 4000), ("C", 20), ("D", 300)):
        threads.append(hold(gate, remaining, entered, releases[name], name))
        wait_until(lambda: gate.waiting == len(threads) - 1)
    for name in "ACDB":
        releases[name].set()
        wait_until(lambda: gate.running == (0 if name == "B" else 1))
    for thread in threads:
        thread.join()
    assert entered == ["A", "C", "D", "B"]
    assert gate.peak == 1 and gate.steps == 4


def test_waiting_long_enough_beats_a_shorter_newcomer(monkeypatch):
    import koe.server.limits as limits

    gate = ModelGate(1)
    clock = [100.0]
    monkeypatch.setattr(limits.time, "monotonic", lambda: clock[0])
    entered: list[str] = []
    releases = {name: threading.Event() for name in "ABC"}
    threads = [hold(gate, 10, entered, releases["A"], "A")]
    wait_until(lambda: entered == ["A"])
    threads.append(hold(gate, 4000, entered, releases["B"], "B"))
    wait_until(lambda: gate.waiting == 1)
    clock[0] += 100  # B arrived 100 s ago: 5000 characters forgiven
    threads.append(hold(gate, 50, entered, releases["C"], "C"))
    wait_until(lambda: gate.waiting == 2)
    for name in "ABC":
        releases[name].set()
    for thread in threads:
        thread.join()
    assert entered == ["A", "B", "C"]


def test_many_threads_never_exceed_the_limit():
    gate = ModelGate(2)
    inside = [0]
    worst = [0]
    lock = threading.Lock()

    def work(i: int) -> None:
        for _ in range(20):
            with gate.step(i) as granted:
                assert granted
                with lock:
                    inside[0] += 1
                    worst[0] = max(worst[0], inside[0])
                time.sleep(0.001)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert worst[0] == 2 and gate.peak == 2 and gate.running == 0 and gate.steps == 160


def test_a_cancelled_waiter_leaves_without_a_place():
    gate = ModelGate(1)
    entered: list[str] = []
    release = threading.Event()
    holder = hold(gate, 1, entered, release, "A")
    wait_until(lambda: entered == ["A"])
    cancelled = threading.Event()
    outcome: list[bool] = []

    def waiter() -> None:
        with gate.step(1, cancelled.is_set) as granted:
            outcome.append(granted)

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: gate.waiting == 1)
    cancelled.set()
    gate.wake()
    thread.join(5)
    assert outcome == [False] and gate.waiting == 0 and gate.running == 1
    release.set()
    holder.join()
    assert gate.running == 0


def test_admission_is_running_plus_queue_then_429():
    async def scenario() -> None:
        capacity = Capacity(1, 2)
        slots = [await capacity.acquire() for _ in range(3)]
        with pytest.raises(APIError) as refused:
            await capacity.acquire()
        assert refused.value.status == 429 and 1 <= int(refused.value.headers["Retry-After"]) <= 60
        slots[0].release(1.0)
        slots[0].release(1.0)  # idempotent
        slots.append(await capacity.acquire())
        assert capacity.admitted == 3

    asyncio.run(scenario())


def test_a_request_that_goes_on_keeps_its_rank():
    """With reserve(), a request's next chunk is queued before its place is handed on: equal requests finish
    one after the other instead of all together at the end."""
    gate = ModelGate(1)
    order: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(3)

    def job(name: str, since: float) -> None:
        start.wait()
        with gate.turns(since=since) as turns:
            for left in (2, 1):
                with turns.step(left * 100) as granted:
                    assert granted
                    with lock:
                        order.append(name)
                    time.sleep(0.05)
                    if left > 1:
                        turns.reserve((left - 1) * 100)

    now = time.monotonic()
    threads = [threading.Thread(target=job, args=(name, now + i * 0.001)) for i, name in enumerate("AB")]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    assert order in (["A", "A", "B", "B"], ["B", "B", "A", "A"]), order
    assert gate.running == 0 and gate.waiting == 0


def test_an_unused_reservation_is_given_back():
    gate = ModelGate(1)
    with gate.turns() as turns:
        with turns.step(100) as granted:
            assert granted
            turns.reserve(50)
        assert gate.running == 1  # reserved and granted at once: nobody else was waiting
    assert gate.running == 0 and gate.waiting == 0
    with gate.step(10) as granted:
        assert granted
