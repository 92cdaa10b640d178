"""Load: many clients at once, a realistic mix, and what the server does with it.

``--clients`` clients (default 50) send requests back to back for
``--seconds`` (default 60): 70% short sentences (5-15 words, the whole
answer), 20% paragraphs streamed to the end, 10% paragraphs dropped after the
first audio. A 429 is answered by waiting ``--retry-wait`` seconds (at most its
Retry-After). Reported:

* statuses per class (-1: still running when the load ended); every answer
  must be 200 or a 429/503 error envelope (a 429 with Retry-After);
* latency percentiles per class among admitted requests (short: the whole
  answer; paragraphs: first audio and whole answer; dropped: first audio);
* server CPU (100% = one core) averaged over the load, from /proc;
* the most model steps the server ever ran at once (/health ``model_steps``)
  against its ``--max-concurrency``;
* resident memory during the load and for ``--settle`` seconds after it.

Targets (issue 12, 2 cores): mean CPU >= 170%, short p50 <= 5 s, limit never
exceeded, RSS under 700 MB within 30 s of the end. Only meaningful on an
otherwise idle machine.

    .venv/bin/python benchmarks/stress/load.py [--clients 50] [--seconds 60] [--settle 30] \\
        [--serve-args "--max-concurrency 2 --threads 1"] [--url http://127.0.0.1:8000 --pid PID] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import is_envelope, percentile, seconds, server_from_args  # noqa: E402

SENTENCES = [
    "The lighthouse keeper climbed the winding stairs every evening just before sunset.",
    "He trimmed the wick and polished the great lens until it shone.",
    "Ships passed safely along the rocky coast all through the night.",
    "In winter the waves crashed against the tower and the whole building trembled.",
    "Yet the light never failed, and the sailors blessed the old man.",
    "When he grew too old to climb, his granddaughter took the keys.",
    "Dr. Smith paid $5.50 for two coffees on Jan. 5, 2024.",
    "Please call me back before noon tomorrow if you can.",
    "The quick brown fox jumps over the lazy dog near the barn.",
    "Our meeting moved to three thirty in the small conference room.",
    "She planted tomatoes, beans and a row of bright sunflowers.",
    "The train to the city leaves from platform four every hour.",
]
CLASSES = (("short", 0.7), ("paragraph", 0.2), ("dropped", 0.1))
#: The status recorded for a request still running when the load ends (its client hangs up).
UNFINISHED = -1


def short_text(rng: random.Random) -> str:
    words = rng.choice(SENTENCES).split()
    return " ".join(words[: rng.randint(5, min(15, len(words)))]).rstrip(",") + "."


def paragraph_text(rng: random.Random) -> str:
    return " ".join(rng.sample(SENTENCES, rng.randint(6, 10)))


@dataclass
class Result:
    kind: str
    status: int
    first: float | None = None
    total: float | None = None
    problem: str | None = None


@dataclass
class LoadReport:
    clients: int
    seconds: float
    results: list[Result] = field(default_factory=list)
    cpu_percent: float | None = None
    rss_curve: list[tuple[float, float]] = field(default_factory=list)
    rss_after: float | None = None
    peak_steps: int | None = None
    limit: int | None = None
    failures: list[str] = field(default_factory=list)

    def by_kind(self, kind: str) -> list[Result]:
        return [r for r in self.results if r.kind == kind]

    def summary(self) -> str:
        lines = [f"load: {self.clients} clients for {self.seconds:.0f} s, {len(self.results)} requests"]
        for kind, _ in CLASSES:
            results = self.by_kind(kind)
            statuses: dict[int, int] = {}
            for r in results:
                statuses[r.status] = statuses.get(r.status, 0) + 1
            ok = [r for r in results if r.status == 200]
            firsts = [r.first for r in ok if r.first is not None]
            totals = [r.total for r in ok if r.total is not None and kind != "dropped"]
            lines.append(
                f"  {kind:9s} {len(results):4d} sent, statuses {dict(sorted(statuses.items()))}; "
                f"first audio p50 {seconds(percentile(firsts, .5))} p90 {seconds(percentile(firsts, .9))}"
                + (f"; complete p50 {seconds(percentile(totals, .5))} p90 {seconds(percentile(totals, .9))} "
                   f"p99 {seconds(percentile(totals, .99))}" if totals else ""))
        if self.cpu_percent is not None:
            lines.append(f"  server CPU {self.cpu_percent:.0f}% (100% = one core)")
        lines.append(f"  model steps at once: at most {self.peak_steps} (limit {self.limit})")
        if self.rss_curve:
            step = max(1, len(self.rss_curve) // 16)
            curve = ", ".join(f"{t:.0f}s {mb:.0f}" for t, mb in self.rss_curve[::step])
            lines.append(f"  RSS MB: {curve}; max {max(mb for _, mb in self.rss_curve):.0f}")
        if self.rss_after is not None:
            lines.append(f"  RSS after settling: {self.rss_after:.0f} MB")
        lines += [f"  FAIL {f}" for f in self.failures[:20]]
        return "\n".join(lines)


async def one_request(client: httpx.AsyncClient, kind: str, rng: random.Random, fmt: str) -> Result:
    text = short_text(rng) if kind == "short" else paragraph_text(rng)
    body = {"input": text, "voice": rng.choice(["af_heart", "bf_emma", "am_michael"]), "response_format": fmt,
            "stream": kind != "short"}
    started = time.monotonic()
    try:
        async with client.stream("POST", "/v1/audio/speech", json=body) as response:
            if response.status_code != 200:
                await response.aread()
                problem = None
                if response.status_code not in (429, 503) or not is_envelope(response):
                    problem = f"{kind}: {response.status_code} {response.text[:160]}"
                elif response.status_code == 429 and not response.headers.get("retry-after", "").isdigit():
                    problem = f"{kind}: 429 without Retry-After"
                return Result(kind, response.status_code, problem=problem,
                              total=float(response.headers.get("retry-after", "1") or 1))
            first = None
            async for piece in response.aiter_raw():
                if piece and first is None:
                    first = time.monotonic() - started
                    if kind == "dropped":
                        return Result(kind, 200, first=first)
            return Result(kind, 200, first=first, total=time.monotonic() - started,
                          problem=None if first is not None else f"{kind}: 200 without audio")
    except httpx.HTTPError as error:
        return Result(kind, 0, problem=f"{kind}: {type(error).__name__} after {time.monotonic() - started:.1f}s")


async def client_loop(url: str, index: int, deadline: float, results: list[Result], fmt: str,
                      retry_wait: float) -> None:
    rng = random.Random(index)
    kinds, weights = zip(*CLASSES)
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(300, connect=30)) as client:
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            try:
                result = await one_request(client, kind, rng, fmt)
            except asyncio.CancelledError:
                results.append(Result(kind, UNFINISHED))  # still running when the load ended
                raise
            results.append(result)
            if result.status in (429, 503):
                await asyncio.sleep(min(retry_wait, result.total or retry_wait))


async def sample(server, until: asyncio.Event, curve: list, started: float) -> None:
    while not until.is_set():
        rss = server.rss_mb()
        if rss is not None:
            curve.append((time.monotonic() - started, rss))
        try:
            await asyncio.wait_for(until.wait(), 1.0)
        except asyncio.TimeoutError:
            pass


async def run_async(server, clients: int, seconds_: float, settle: float, fmt: str, retry_wait: float,
                    drain: float) -> LoadReport:
    report = LoadReport(clients, seconds_)
    health = server.health()
    report.limit = health["requests"]["max_concurrency"]
    started = time.monotonic()
    cpu0 = server.cpu_seconds()
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(sample(server, stop_sampling, report.rss_curve, started))
    deadline = started + seconds_

    async def cpu_at_deadline() -> float | None:
        await asyncio.sleep(seconds_)
        return server.cpu_seconds()

    cpu_task = asyncio.create_task(cpu_at_deadline())
    tasks = [asyncio.create_task(client_loop(server.url, i, deadline, report.results, fmt, retry_wait))
             for i in range(clients)]
    done, pending = await asyncio.wait(tasks, timeout=seconds_ + drain)
    for task in pending:  # requests still running ``drain`` s after the end are abandoned (the clients hang up)
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            report.failures.append(f"client crashed: {task.exception()!r}")
    cpu1 = await cpu_task
    if cpu0 is not None and cpu1 is not None:
        report.cpu_percent = (cpu1 - cpu0) / seconds_ * 100
    if settle > 0:
        await asyncio.sleep(settle)
        report.rss_after = server.rss_mb()
    stop_sampling.set()
    await sampler
    health = server.health()
    report.peak_steps = health.get("model_steps", {}).get("peak")
    if report.peak_steps is not None and report.peak_steps > report.limit:
        report.failures.append(f"{report.peak_steps} model steps ran at once; the limit is {report.limit}")
    report.failures += [r.problem for r in report.results if r.problem]
    return report


def run(server, clients: int = 50, seconds_: float = 60.0, settle: float = 30.0, fmt: str = "mp3",
        retry_wait: float = 1.0, drain: float = 5.0) -> LoadReport:
    return asyncio.run(run_async(server, clients, seconds_, settle, fmt, retry_wait, drain))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--settle", type=float, default=30, help="seconds to watch memory after the load")
    parser.add_argument("--format", default="mp3")
    parser.add_argument("--retry-wait", type=float, default=1.0)
    parser.add_argument("--drain", type=float, default=5.0,
                        help="seconds the requests still running at the end may take to finish before the clients "
                             "hang up")
    parser.add_argument("--serve-args", default="", help="options for the server this script starts")
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--pid", type=int, help="with --url: its process id, for CPU and memory")
    parser.add_argument("--json", help="write the report (curves included) here")
    args = parser.parse_args()
    with server_from_args(args.url, args.pid, *shlex.split(args.serve_args)) as server:
        report = run(server, args.clients, args.seconds, args.settle, args.format, args.retry_wait, args.drain)
    print(report.summary())
    if args.json:
        Path(args.json).write_text(json.dumps({
            "clients": report.clients, "seconds": report.seconds, "cpu_percent": report.cpu_percent,
            "peak_steps": report.peak_steps, "limit": report.limit, "rss_curve": report.rss_curve,
            "rss_after": report.rss_after, "results": [r.__dict__ for r in report.results],
            "failures": report.failures}, indent=1))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
