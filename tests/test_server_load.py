"""Concurrency: bounded admission (429 + Retry-After), /health under load, cancellation on disconnect,
the model-step limit under hang-ups, and short requests overtaking long ones.

One server with one model place (``max_concurrency=1``) and one more request
admitted (``max_queue=1``), so a handful of requests fill it.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time

import httpx
import pytest

from server_fixtures import assert_envelope, koe_server

# One paragraph per sentence: the engine makes each its own chunk, so a cancelled synthesis
# stops within one short chunk (a chunk inside onnxruntime always runs to its end).
LONG = "\n\n".join([
    "The lighthouse keeper climbed the winding stairs every evening just before the sun went down.",
    "He trimmed the wick, polished the great lens, and watched the ships sail past the dangerous rocks below.",
    "In the winter storms the waves would crash against the tower, and the whole building seemed to tremble.",
    "Yet the light never failed, and sailors far out at sea blessed the old man without ever knowing his name.",
    "When at last he grew too old to climb, his granddaughter took the keys and carried on his quiet work.",
] * 2)


@pytest.fixture(scope="module")
def server(engine):
    with koe_server(engine, threads=2, max_concurrency=1, max_queue=1) as running:
        yield running


def health(server) -> dict:
    return httpx.get(server.url + "/health", timeout=10).json()


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_capacity_health_and_cancellation(server, caplog):
    caplog.set_level("INFO", logger="koe.server.speech")
    pool = concurrent.futures.ThreadPoolExecutor(2)
    client = httpx.Client(timeout=120)
    try:
        # A: a long synthesis holds the only slot; its first audio has arrived.
        a = client.send(client.build_request("POST", server.url + "/v1/audio/speech", json={
            "input": LONG, "voice": "af_heart", "response_format": "pcm"}), stream=True)
        assert a.status_code == 200
        a_audio = a.iter_raw()  # keep the iterator: dropping it would close the connection
        next(a_audio)
        assert health(server)["requests"]["running"] == 1

        # B is admitted and waits for the model place (its own thread: the post blocks until B is done).
        b = pool.submit(httpx.post, server.url + "/v1/audio/speech", timeout=120,
                        json={"input": "Next in line.", "voice": "af_heart", "response_format": "pcm"})
        wait_for(lambda: health(server)["requests"]["waiting"] == 1)

        # C finds the queue full: 429 with a Retry-After, at once.
        started = time.perf_counter()
        c = httpx.post(server.url + "/v1/audio/speech", json={"input": "No room.", "response_format": "pcm"})
        assert_envelope(c, 429, "rate_limit_exceeded")
        assert 1 <= int(c.headers["retry-after"]) <= 60
        assert time.perf_counter() - started < 5

        # /health answers promptly while a synthesis runs.
        latencies = []
        for _ in range(5):
            began = time.perf_counter()
            assert httpx.get(server.url + "/health", timeout=10).status_code == 200
            latencies.append(time.perf_counter() - began)
        print(f"\n/health under load: max {max(latencies) * 1000:.0f} ms")
        assert max(latencies) < 2.0, latencies

        # A hangs up: its synthesis stops early; B completes.
        a.close()
        result = b.result(timeout=120)
        assert result.status_code == 200 and len(result.content) > 24000
        wait_for(lambda: health(server)["requests"] == {"running": 0, "waiting": 0, "max_concurrency": 1,
                                                       "max_queue": 1})
        wait_for(lambda: any("speech cancelled" in r.getMessage() for r in caplog.records))
        cancelled = next(r.getMessage() for r in caplog.records if "speech cancelled" in r.getMessage())
        done, total = cancelled.split("chunks=")[1].split()[0].split("/")
        assert int(done) < int(total), cancelled
    finally:
        client.close()
        pool.shutdown(wait=False)


def test_a_client_that_gives_up_in_the_queue_leaves_it(server):
    client = httpx.Client(timeout=120)
    try:
        a = client.send(client.build_request("POST", server.url + "/v1/audio/speech", json={
            "input": LONG, "voice": "af_heart", "response_format": "pcm"}), stream=True)
        a_audio = a.iter_raw()
        next(a_audio)
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(server.url + "/v1/audio/speech", timeout=httpx.Timeout(10, read=0.5),
                       json={"input": "Impatient.", "response_format": "pcm"})
        wait_for(lambda: health(server)["requests"]["waiting"] == 0, timeout=10)
        a.close()
        wait_for(lambda: health(server)["requests"]["running"] == 0)
    finally:
        client.close()


class RunProbe:
    """Counts concurrent runs of the real Kokoro session (a transparent wrapper, the runs are real)."""

    def __init__(self, session) -> None:
        self.session = session
        self.now = self.peak = self.calls = 0
        self.lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.session, name)

    async def run(self, feeds):
        with self.lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)
        try:
            return await self.session.run(feeds)
        finally:
            with self.lock:
                self.now -= 1


@pytest.fixture
def probe(engine):
    probe = RunProbe(engine.session)
    engine.session = probe
    yield probe
    engine.session = probe.session


def stream_first_chunk_then_drop(server, text: str) -> None:
    with httpx.Client(timeout=120) as client:
        with client.stream("POST", server.url + "/v1/audio/speech",
                           json={"input": text, "response_format": "pcm"}) as response:
            assert response.status_code in (200, 429), response.status_code
            if response.status_code == 200:
                next(response.iter_raw())


def test_hang_ups_never_exceed_the_model_limit(server, probe):
    """Stream, then drop, in loops from two clients: the limit of one model run at a time holds throughout."""
    pool = concurrent.futures.ThreadPoolExecutor(2)
    try:
        futures = [pool.submit(stream_first_chunk_then_drop, server, LONG) for _ in range(6)]
        for future in futures:
            future.result(timeout=300)
    finally:
        pool.shutdown(wait=True)
    wait_for(lambda: health(server)["requests"]["running"] == 0)
    assert probe.calls >= 6
    assert probe.peak == 1, probe.peak
    assert health(server)["model_steps"]["peak"] == 1


def test_a_short_request_overtakes_a_paragraph(server):
    """Admitted after a long synthesis started, a one-sentence request finishes long before it."""
    finished: dict[str, float] = {}

    def long_request() -> None:
        with httpx.Client(timeout=300) as client:
            with client.stream("POST", server.url + "/v1/audio/speech",
                               json={"input": LONG, "response_format": "pcm"}) as response:
                assert response.status_code == 200
                for _ in response.iter_raw():
                    started.set()
        finished["long"] = time.monotonic()

    started = threading.Event()
    thread = threading.Thread(target=long_request)
    thread.start()
    assert started.wait(120)
    short = httpx.post(server.url + "/v1/audio/speech", timeout=300,
                       json={"input": "A short one.", "response_format": "pcm"})
    finished["short"] = time.monotonic()
    thread.join(300)
    assert short.status_code == 200
    assert finished["short"] < finished["long"], finished
