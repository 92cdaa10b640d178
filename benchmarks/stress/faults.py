"""Faults: a broken world around the server, and the answer it gives for each.

* LLM upstream: nothing listening, closing without an answer, hanging, sending
  garbage, answering 500 with an HTML page full of paths, echoing the request
  headers (the key among them), answering 200 with something that is not JSON.
  Expected: a 502/504 (or the upstream's status) in the envelope, no HTML, no
  path, never the key.
* Voice files: corrupt and hostile files in the voices folder (not JSON, binary,
  nested 30,000 levels, 400-digit numbers, wrong types, empty, a folder named
  x.json). Expected: the server starts, skips them (logged), and speaks.
* An unwritable voices folder (a file where the folder should be; a read-only
  folder when not running as root): creating a voice is refused with a clear
  message before the search runs; deleting is a clear error.
* A damaged model or speaker encoder: ``koe serve`` stops at start with exit
  status 1 and a message naming ./build.sh.

    .venv/bin/python benchmarks/stress/faults.py [--only llm,voices,unwritable,damaged]

Each fault prints PASS or FAIL with what was seen; the exit status is the number of failures.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, free_port, is_envelope, koe_process, reference_wav  # noqa: E402

KEY = "sk-stress-fault-secret-4d9a"
#: How a fault script gets a server: settings (ServerConfig fields) -> a running server with ``.url``.
ServerFactory = Callable[..., ContextManager[Any]]


@dataclass
class Outcome:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'} {self.name}: {self.detail}"


# --- a misbehaving LLM upstream ---------------------------------------------------------------------------------

class Upstream(http.server.BaseHTTPRequestHandler):
    """Behaves according to the request's ``model``: closed, hang, garbage, html-500, echo, not-json, ok."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        model = json.loads(body or b"{}").get("model")
        if model == "closed":
            self.hang_up()
            return
        if model == "hang":
            time.sleep(30)
            return
        if model == "garbage":
            self.wfile.write(random.Random(1).randbytes(500))
            self.wfile.flush()
            self.hang_up()
            return
        echoed = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
        if model == "html-500":
            self.reply(500, "text/html", "<html><pre>Traceback (most recent call last):\n  File "
                       "\"/srv/llm/app/server.py\", line 42, in handle\nKeyError: 'x'</pre></html>")
        elif model == "echo":
            self.reply(400, "text/plain", f"bad request: {echoed}")
        elif model == "echo-json":
            self.reply(401, "application/json", json.dumps({"error": {"message": f"denied: {echoed}",
                                                                      "type": "auth", "code": "bad_key"}}))
        elif model == "not-json":
            self.reply(200, "text/html", "<html>captive portal</html>")
        else:
            self.reply(200, "application/json", json.dumps({"choices": [{"message": {"content": "ok"}}]}))

    def hang_up(self) -> None:
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def reply(self, status: int, content_type: str, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextlib.contextmanager
def upstream() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def llm_faults(start: ServerFactory) -> list[Outcome]:
    outcomes = []
    expected = {"closed": (502,), "hang": (504,), "garbage": (502,), "html-500": (500,), "echo": (400,),
                "echo-json": (401,), "not-json": (502,)}
    with upstream() as url, start(llm_api_url=url, llm_api_key=KEY, llm_timeout=3.0) as server:
        for model, statuses in expected.items():
            response = httpx.post(server.url + "/llm/v1/chat/completions", timeout=60,
                                  json={"model": model, "messages": [{"role": "user", "content": "hi"}]})
            leaks = [word for word in (KEY, "/srv/llm", "<html", "Traceback") if word in response.text]
            ok = response.status_code in statuses and is_envelope(response) and not leaks
            outcomes.append(Outcome(f"LLM upstream {model}", ok, f"{response.status_code} "
                                    f"{response.text[:140]}" + (f" LEAKS {leaks}" if leaks else "")))
    with start(llm_api_url=f"http://127.0.0.1:{free_port()}/v1", llm_api_key=KEY) as server:
        response = httpx.post(server.url + "/llm/v1/chat/completions", json={"messages": []}, timeout=60)
        outcomes.append(Outcome("LLM upstream not listening", response.status_code == 502 and is_envelope(response),
                                f"{response.status_code} {response.text[:140]}"))
    return outcomes


# --- hostile voice files ------------------------------------------------------------------------------------------

HOSTILE_VOICE_FILES: dict[str, bytes] = {
    "broken.json": b'{"id": "broken", ',
    "binary.json": bytes(range(256)) * 8,
    "deep.json": b"[" * 30000 + b"]" * 30000,
    "deep_object.json": b'{"a":' * 30000 + b"1" + b"}" * 30000,
    "bignum.json": b'{"id": "bignum", "name": "B", "components": [{"voice": "af_heart", "weight": 1' + b"0" * 400
                   + b"}]}",
    "types.json": b'{"id": 5, "name": [], "components": "af_heart"}',
    "empty.json": b"",
    "nan.json": b'{"id": "nan", "name": "N", "components": [{"voice": "af_heart", "weight": NaN}]}',
    "surrogate.json": b'{"id": "surrogate", "name": "\\ud800", "components": [{"voice": "af_heart", "weight": 1}]}',
}


def settled_health(url: str, timeout: float = 120.0) -> httpx.Response:
    """/health once the server listens and the model is no longer loading (200, or 503 with the reason)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            health = httpx.get(url + "/health", timeout=30)
            if health.json().get("status") != "loading" or time.monotonic() > deadline:
                return health
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def voice_file_faults(start: ServerFactory) -> list[Outcome]:
    folder = Path(tempfile.mkdtemp(prefix="koe-hostile-voices-"))
    for name, data in HOSTILE_VOICE_FILES.items():
        (folder / name).write_bytes(data)
    (folder / "folder.json").mkdir()
    outcomes = []
    try:
        with start(voices_dir=str(folder), ready=False) as server:
            health = settled_health(server.url)
            outcomes.append(Outcome("hostile voice files: server healthy", health.status_code == 200,
                                    f"/health {health.status_code} {health.text[:160]}"))
            speech = httpx.post(server.url + "/v1/audio/speech", timeout=120,
                                json={"input": "Still speaking.", "response_format": "pcm"})
            outcomes.append(Outcome("hostile voice files: speech works", speech.status_code == 200,
                                    f"{speech.status_code} {speech.text[:120] if speech.status_code != 200 else ''}"))
            listing = httpx.get(server.url + "/v1/audio/voices", timeout=60)
            outcomes.append(Outcome("hostile voice files: the catalogue lists the presets",
                                    listing.status_code == 200 and len(listing.json().get("voices", [])) >= 50,
                                    f"{listing.status_code}"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return outcomes


# --- an unwritable voices folder ----------------------------------------------------------------------------------

def unwritable_faults(start: ServerFactory) -> list[Outcome]:
    outcomes = []
    cases = {"a file where the folder should be": "file"}
    if os.geteuid() != 0:  # root writes through permissions: a read-only folder says nothing then
        cases["a read-only folder"] = "readonly"
    for label, kind in cases.items():
        base = Path(tempfile.mkdtemp(prefix="koe-unwritable-"))
        target = base / "voices"
        if kind == "file":
            target.write_text("not a folder")
        else:
            target.mkdir()
            target.chmod(0o555)
        try:
            with start(voices_dir=str(target)) as server:
                reference = reference_wav(server.url)
                started = time.monotonic()
                created = httpx.post(server.url + "/v1/audio/voices", timeout=300, data={"budget": "5"},
                                     files={"file": ("ref.wav", reference, "audio/wav")})
                took = time.monotonic() - started
                clear = is_envelope(created) and "server log" not in created.text
                outcomes.append(Outcome(f"unwritable voices folder ({label}): create",
                                        created.status_code >= 400 and clear and took < 3,
                                        f"{created.status_code} after {took:.1f}s {created.text[:160]}"))
                deleted = httpx.delete(server.url + "/v1/audio/voices/someone", timeout=60)
                outcomes.append(Outcome(f"unwritable voices folder ({label}): delete",
                                        deleted.status_code in (403, 404, 409, 503) and is_envelope(deleted)
                                        and "server log" not in deleted.text,
                                        f"{deleted.status_code} {deleted.text[:160]}"))
        finally:
            if kind == "readonly":
                target.chmod(0o755)
            shutil.rmtree(base, ignore_errors=True)
    return outcomes


# --- damaged model files ------------------------------------------------------------------------------------------

def linked_assets(assets: Path, broken: str, into: Path) -> Path:
    """A copy of ``assets`` made of links, except ``broken`` (relative path), which is truncated."""
    root = into / "assets"
    for path in assets.rglob("*"):
        relative = path.relative_to(assets)
        target = root / relative
        if path.is_dir():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative.as_posix() == broken:
            with open(path, "rb") as handle:
                target.write_bytes(handle.read(max(1, path.stat().st_size // 3)))
        else:
            os.symlink(path, target)
    return root


def damaged_faults(assets: Path) -> list[Outcome]:
    outcomes = []
    for broken in ("model/kokoro-v1.0.int8.onnx", "model/speaker/embedder.int8.onnx", "lexicon/en-us.json"):
        if not (assets / broken).exists():
            continue
        base = Path(tempfile.mkdtemp(prefix="koe-damaged-"))
        try:
            damaged = linked_assets(assets, broken, base)
            result = subprocess.run([sys.executable, "-m", "koe.server", "--assets", str(damaged), "--port",
                                     str(free_port())], env={**os.environ, "PYTHONPATH": str(ROOT / "py_core")},
                                    capture_output=True, text=True, timeout=120)
            output = result.stdout + result.stderr
            ok = result.returncode == 1 and "build.sh" in output and broken in output and "Traceback" not in output
            outcomes.append(Outcome(f"damaged {broken}", ok, f"exit {result.returncode}: {output.strip()[-200:]}"))
        finally:
            shutil.rmtree(base, ignore_errors=True)
    return outcomes


# --- the script ---------------------------------------------------------------------------------------------------

def process_factory(**settings: Any) -> ContextManager[Any]:
    """Settings as ``koe serve`` flags (``llm_api_key`` through the environment, as recommended)."""
    ready = settings.pop("ready", True)
    env = {}
    if "llm_api_key" in settings:
        env["KOE_LLM_API_KEY"] = settings.pop("llm_api_key")
    voices_dir = settings.pop("voices_dir", None)
    args = [f"--{k.replace('_', '-')}={v}" for k, v in settings.items()]
    return koe_process(*args, env=env, voices_dir=voices_dir, ready=ready)


GROUPS = {
    "llm": lambda start, assets: llm_faults(start),
    "voices": lambda start, assets: voice_file_faults(start),
    "unwritable": lambda start, assets: unwritable_faults(start),
    "damaged": lambda start, assets: damaged_faults(assets),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated: {', '.join(GROUPS)}")
    parser.add_argument("--assets", default=os.environ.get("KOE_ASSETS") or str(ROOT / "web" / "public"))
    args = parser.parse_args()
    failures = 0
    for group in args.only.split(","):
        for outcome in GROUPS[group.strip()](process_factory, Path(args.assets)):
            print(outcome.line(), flush=True)
            failures += not outcome.ok
    return failures


if __name__ == "__main__":
    sys.exit(main())
