"""Memory over many custom voices: create -> speak -> delete, repeated, with the server's RSS after each cycle.

Each cycle uploads the same 5 s reference (a short search, ``--budget``
seconds), speaks a sentence with the new voice, and deletes it. A leak shows
as RSS that keeps climbing; the report compares the mean of the first and the
last tenth of the cycles.

    .venv/bin/python benchmarks/stress/memory_cycle.py [--cycles 100] [--budget 0.5] [--url URL --pid PID]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import reference_wav, server_from_args  # noqa: E402


@dataclass
class CycleReport:
    cycles: int = 0
    rss: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def growth(self) -> float | None:
        """Percent change from the first tenth of the cycles to the last tenth (RSS means)."""
        if len(self.rss) < 2:
            return None
        tenth = max(1, len(self.rss) // 10)
        first, last = sum(self.rss[:tenth]) / tenth, sum(self.rss[-tenth:]) / tenth
        return (last - first) / first * 100

    def summary(self) -> str:
        growth = self.growth()
        step = max(1, len(self.rss) // 20)
        curve = ", ".join(f"{mb:.0f}" for mb in self.rss[::step])
        lines = [f"memory cycle: {self.cycles} create/speak/delete cycles in {self.seconds:.0f} s; "
                 + (f"RSS {self.rss[0]:.0f} -> {self.rss[-1]:.0f} MB, growth first->last tenth {growth:+.2f}%"
                    if growth is not None and self.rss else "RSS not measured"),
                 f"  RSS MB every {step} cycle(s): {curve}" if self.rss else ""]
        lines += [f"  FAIL {f}" for f in self.failures[:20]]
        return "\n".join(line for line in lines if line)


def run(server, cycles: int = 100, budget: float = 0.5) -> CycleReport:
    report = CycleReport()
    started = time.monotonic()
    reference = reference_wav(server.url)
    with httpx.Client(base_url=server.url, timeout=300) as client:
        for index in range(cycles):
            created = client.post("/v1/audio/voices", data={"name": f"cycle {index}", "budget": str(budget)},
                                  files={"file": ("ref.wav", reference, "audio/wav")})
            if created.status_code != 201:
                report.failures.append(f"cycle {index}: create {created.status_code} {created.text[:160]}")
                break
            voice = created.json()["id"]
            spoken = client.post("/v1/audio/speech", json={"input": "Hello from a custom voice.", "voice": voice,
                                                          "response_format": "pcm", "stream": False})
            if spoken.status_code != 200 or not spoken.content:
                report.failures.append(f"cycle {index}: speak {spoken.status_code} {spoken.text[:160]}")
            deleted = client.delete(f"/v1/audio/voices/{voice}")
            if deleted.status_code != 200:
                report.failures.append(f"cycle {index}: delete {deleted.status_code} {deleted.text[:160]}")
                break
            report.cycles += 1
            rss = server.rss_mb()
            if rss is not None:
                report.rss.append(rss)
        leftover = [v["id"] for v in client.get("/v1/audio/voices").json()["voices"] if v.get("custom")]
        if leftover:
            report.failures.append(f"custom voices left after the cycles: {leftover}")
    report.seconds = time.monotonic() - started
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--budget", type=float, default=0.5, help="seconds of voice search per creation")
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--pid", type=int, help="with --url: its process id, for memory")
    args = parser.parse_args()
    with server_from_args(args.url, args.pid) as server:
        report = run(server, args.cycles, args.budget)
    print(report.summary())
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
