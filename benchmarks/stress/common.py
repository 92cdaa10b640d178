"""Shared by the stress scripts: a real `koe serve` process, its CPU and memory, checks on answers.

Every script either starts its own server (``python -m koe.server`` on a free
loopback port, custom voices in a temporary folder) or talks to one given with
``--url`` (then ``--pid`` lets it read that server's CPU and memory from /proc).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx

ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_healthy(url: str, timeout: float = 120.0, process: subprocess.Popen | None = None) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            response = httpx.get(url + "/health", timeout=5)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not become healthy")
        time.sleep(0.2)


@dataclass
class Server:
    url: str
    pid: int | None = None
    process: subprocess.Popen | None = None
    output: Path | None = None

    def health(self) -> dict:
        return httpx.get(self.url + "/health", timeout=30).json()

    def cpu_seconds(self) -> float | None:
        return cpu_seconds(self.pid) if self.pid else None

    def rss_mb(self) -> float | None:
        return rss_mb(self.pid) if self.pid else None

    def log_text(self) -> str:
        return self.output.read_text(errors="replace") if self.output and self.output.exists() else ""


@contextlib.contextmanager
def koe_process(*args: str, env: dict[str, str] | None = None, voices_dir: str | None = None,
                ready: bool = True) -> Iterator[Server]:
    """``python -m koe.server`` with ``args`` on a free port; stopped with Ctrl+C (SIGINT) at the end."""
    port = free_port()
    folder = tempfile.mkdtemp(prefix="koe-stress-")
    log_path = Path(folder) / "server.log"
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "py_core"),
                   "KOE_VOICES_DIR": voices_dir or os.path.join(folder, "voices"), **(env or {})}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "koe.server", "--port", str(port), *args], env=environment,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process.pid, process, log_path)
    try:
        if ready:
            wait_healthy(server.url, process=process)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def server_from_args(url: str | None, pid: int | None, *serve_args: str) -> Iterator[Server]:
    """The server a script should use: the one at ``url`` if given, else a fresh process."""
    if url:
        yield Server(url.rstrip("/"), pid)
    else:
        with koe_process(*serve_args) as server:
            yield server


def is_envelope(response: httpx.Response) -> bool:
    """OpenAI's error envelope, JSON, no stack trace."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return (isinstance(error, dict) and set(error) == {"message", "type", "param", "code"}
            and isinstance(error["message"], str) and "Traceback" not in response.text)


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


@dataclass
class Findings:
    """Counts and failures of one stress run; a failure is a short sentence with what was sent."""

    name: str
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    #: 5xx answers that are bugs (a 503 "no LLM configured" is not one).
    unexpected_5xx: int = 0
    notes: list[str] = field(default_factory=list)

    def count(self, status: int) -> None:
        self.cases += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def fail(self, message: str) -> None:
        if len(self.failures) < 50:
            self.failures.append(message)
        else:
            self.failures[-1] = f"... and more ({message})"

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        lines = [f"{self.name}: {self.cases} cases, {self.unexpected_5xx} unexpected 5xx, {len(self.failures)} "
                 f"failure(s); statuses {statuses or '-'}"]
        lines += [f"  {note}" for note in self.notes]
        lines += [f"  FAIL {failure}" for failure in self.failures[:20]]
        return "\n".join(lines)


def shorten(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


def reference_wav(url: str) -> bytes:
    """About 5 s of one speaker (bm_george) from the server itself: a reference for creating voices."""
    response = httpx.post(url + "/v1/audio/speech", timeout=300, json={
        "input": "Four hours of steady work faced us. The swan dive was far short of perfect.",
        "voice": "bm_george", "response_format": "wav", "stream": False})
    response.raise_for_status()
    return response.content
