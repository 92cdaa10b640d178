"""Browser test helpers: a static server for web/public and a headless Chromium driven by Playwright.

* :class:`StaticServer` serves ``web/public`` on 127.0.0.1 from a thread, with the headers a
  cross-origin isolated page needs (COOP/COEP/CORP), correct MIME types for ``.mjs``/``.wasm``,
  and a log of every request (path and bytes sent).
* :class:`Browser` drives Debian's Chromium through npm ``playwright-core`` (installed by
  tools/build_web.py into node_modules; no browser download). A small Node script reads JSON
  requests on stdin, each holding the body of an async JS function that gets ``ctx`` (``{chromium,
  context, page, state, logs, requests}``) and ``args``, and writes the JSON result back.
  Nothing here needs the Python ``playwright`` package.

Also used by benchmarks/browser_bench.py.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socketserver
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = Path(os.environ.get("KOE_ASSETS", ROOT / "web" / "public"))
NODE_MODULES = ROOT / "node_modules"

MIME = {
    ".html": "text/html; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".json": "application/json", ".wasm": "application/wasm",
    ".onnx": "application/octet-stream", ".bin": "application/octet-stream", ".whl": "application/zip",
    ".zip": "application/zip", ".wav": "audio/wav", ".svg": "image/svg+xml", ".png": "image/png",
}

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required", "--disable-dev-shm-usage"]


class _Handler(http.server.SimpleHTTPRequestHandler):
    server_version = "KoeTest/1"

    def __init__(self, request, client_address, server):
        super().__init__(request, client_address, server, directory=str(server.root))

    def translate_path(self, path):
        extra = self.server.extra.get(path.split("?")[0])
        return str(extra) if extra else super().translate_path(path)

    def guess_type(self, path):
        return MIME.get(Path(str(path)).suffix.lower()) or super().guess_type(path)

    def end_headers(self):
        if self.server.isolate:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def do_POST(self):
        """A fake OpenAI-compatible chat API at /fake-llm/v1 (key ``good-key``) for the LLM mode."""
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/fake-llm/v1/chat/completions":
            self.send_error(404)
            return
        if self.headers.get("Authorization") != "Bearer good-key":
            payload = json.dumps({"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                            "code": "invalid_api_key"}}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        with self.server.lock:
            self.server.llm_requests.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in self.server.llm_reply:
            event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
            time.sleep(0.05)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def copyfile(self, source, outputfile):
        start = source.tell()
        super().copyfile(source, outputfile)
        with self.server.lock:
            self.server.bytes_sent += source.tell() - start

    def log_message(self, format, *args):  # noqa: A002 - keep the request log, not stderr noise
        with self.server.lock:
            self.server.requests.append((self.command, self.path.split("?")[0], args[1] if len(args) > 1 else ""))


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class StaticServer:
    """``with StaticServer() as server: server.url`` -> http://127.0.0.1:PORT/"""

    def __init__(self, root: Path = PUBLIC, isolate: bool = True, extra: dict[str, Path] | None = None) -> None:
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.root = root
        self.httpd.extra = dict(extra or {})  # URL path -> file outside root (benchmarks)
        self.httpd.isolate = isolate
        self.httpd.lock = threading.Lock()
        self.httpd.requests = []
        self.httpd.bytes_sent = 0
        self.httpd.llm_requests = []
        self.httpd.llm_reply = ["Sure", ". Here is", " the first sentence", " of my answer. And", " here is the second one."]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    @property
    def requests(self) -> list:
        with self.httpd.lock:
            return list(self.httpd.requests)

    @property
    def llm_requests(self) -> list:
        with self.httpd.lock:
            return list(self.httpd.llm_requests)

    @property
    def bytes_sent(self) -> int:
        return self.httpd.bytes_sent

    def reset(self) -> None:
        with self.httpd.lock:
            self.httpd.requests.clear()
            self.httpd.bytes_sent = 0

    def __enter__(self) -> "StaticServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


DRIVER = r"""
import { createRequire } from 'node:module';
import readline from 'node:readline';
const require = createRequire(process.env.KOE_NODE_MODULES + '/');
const { chromium } = require('playwright-core');
const ctx = { chromium, state: {}, logs: [], requests: [] };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const { id, code, args } = JSON.parse(line);
  try {
    const value = await new AsyncFunction('ctx', 'args', code)(ctx, args);
    out({ id, ok: true, value: value === undefined ? null : value });
  } catch (error) {
    out({ id, ok: false, error: String(error && error.stack || error) });
  }
});
rl.on('close', async () => { try { if (ctx.context) await ctx.context.close(); } catch {} process.exit(0); });
"""

LAUNCH = r"""
const { userDataDir, executablePath, flags } = args;
ctx.context = await ctx.chromium.launchPersistentContext(userDataDir, {
  executablePath, headless: true, args: flags, ignoreDefaultArgs: ['--headless'],
  serviceWorkers: args.serviceWorkers || 'allow', viewport: { width: 1100, height: 900 },
});
ctx.page = ctx.context.pages()[0] || await ctx.context.newPage();
const log = (kind) => (msg) => { ctx.logs.push(kind + ': ' + (typeof msg.text === 'function' ? msg.text() : String(msg))); if (ctx.logs.length > 400) ctx.logs.shift(); };
ctx.context.on('console', log('console'));
ctx.page.on('pageerror', (e) => ctx.logs.push('pageerror: ' + e.message));
ctx.context.on('weberror', (e) => ctx.logs.push('weberror: ' + e.error().message));
if (args.blockExternal) {
  await ctx.context.route('**/*', (route) => {
    const url = route.request().url();
    const host = (() => { try { return new URL(url).hostname; } catch { return ''; } })();
    ctx.requests.push(url);
    if (url.startsWith('blob:') || url.startsWith('data:') || host === '127.0.0.1' || host === 'localhost') return route.continue();
    ctx.state.blocked = (ctx.state.blocked || []).concat([url]);
    return route.abort('blockedbyclient');
  });
}
return 'ok';
"""


def chromium_path() -> str | None:
    return os.environ.get("KOE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def browser_requirements() -> str | None:
    """Why browser tests cannot run here (None if they can)."""
    if not chromium_path():
        return "chromium is not installed (apt-get install chromium; ./build.sh test does it)"
    if not shutil.which("node"):
        return "node is not installed"
    if not (NODE_MODULES / "playwright-core").is_dir():
        return "node_modules/playwright-core is missing (run tools/build_web.py)"
    if not (PUBLIC / "koe-manifest.json").exists():
        return "web/public is not built (run ./build.sh)"
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium (persistent context, fresh profile) driven from Python."""

    def __init__(self, *, webgpu: bool = False, block_external: bool = False, service_workers: str = "allow",
                 extra_flags: list[str] | None = None) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="koe-browser-")
        driver = Path(self.tmp.name) / "driver.mjs"
        driver.write_text(DRIVER)
        env = {**os.environ, "KOE_NODE_MODULES": str(NODE_MODULES)}
        self.proc = subprocess.Popen(["node", str(driver)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env, bufsize=1)
        self._next = 0
        flags = list(CHROMIUM_FLAGS) + (["--enable-unsafe-webgpu", "--enable-features=Vulkan"] if webgpu else []) \
            + list(extra_flags or [])
        if webgpu:
            flags.remove("--disable-gpu")
        self.call(LAUNCH, userDataDir=str(Path(self.tmp.name) / "profile"), executablePath=chromium_path(),
                  flags=flags, blockExternal=block_external, serviceWorkers=service_workers, timeout=120)

    def call(self, code: str, timeout: float = 300, **args):
        """Run ``code`` (the body of an async JS function of ``ctx``, ``args``) in the driver."""
        self._next += 1
        request = {"id": self._next, "code": code, "args": args}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        result = {}
        timer = threading.Timer(timeout, self._timeout)
        timer.start()
        try:
            line = self.proc.stdout.readline()
        finally:
            timer.cancel()
        if not line:
            raise BrowserError(f"the browser driver died (timeout {timeout} s?): {self.proc.stderr.read()[-2000:]}"
                               f"\n--- page log ---\n{self.logs_text()}")
        result = json.loads(line)
        if not result["ok"]:
            raise BrowserError(result["error"] + "\n--- page log (last lines) ---\n" + self.logs_text())
        return result["value"]

    def _timeout(self) -> None:
        self._timed_out = True
        self.proc.kill()

    def logs(self) -> list[str]:
        try:
            self.proc.stdin.write(json.dumps({"id": -1, "code": "return ctx.logs.slice(-60);", "args": {}}) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            return json.loads(line).get("value") or []
        except (OSError, ValueError):
            return []

    def logs_text(self) -> str:
        if self.proc.poll() is not None:
            return "(driver exited)"
        return "\n".join(self.logs()[-40:])

    def evaluate(self, expression: str, arg=None, timeout: float = 300):
        """``page.evaluate(expression, arg)``; ``expression`` is a JS function source."""
        return self.call(f"return await ctx.page.evaluate({expression}, args.arg);", timeout=timeout, arg=arg)

    def goto(self, url: str, timeout: float = 120) -> None:
        self.call("await ctx.page.goto(args.url, { waitUntil: 'load', timeout: args.ms });", url=url, ms=timeout * 1000,
                  timeout=timeout + 10)

    def wait_ready(self, timeout: float = 240) -> dict:
        """Wait until the page's engine is loaded; returns koe's load info."""
        return self.call("""
            await ctx.page.waitForFunction(() => window.koeApp && (window.koeApp.ready || document.querySelector('[data-testid=status]').dataset.kind === 'error'), null, { timeout: args.ms, polling: 250 });
            return await ctx.page.evaluate(() => window.koeApp.ready ? window.koeApp.loadInfo : { error: document.querySelector('[data-testid=status]').textContent });
        """, ms=timeout * 1000, timeout=timeout + 10)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        self.tmp.cleanup()

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def decode_wav(data: bytes):
    """(sample_rate, float samples as numpy array) of a 16-bit PCM or float WAV."""
    import io
    import wave

    import numpy as np

    with wave.open(io.BytesIO(data)) as w:
        rate, width, frames = w.getframerate(), w.getsampwidth(), w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"expected 16-bit PCM, got {8 * width}-bit")
    return rate, np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32767.0


def wait_for(predicate, timeout: float, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")
