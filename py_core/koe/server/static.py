"""The web app: static files from web/public at /.

* MIME types from our own table (the OS's mimetypes database often lacks
  ``.mjs``, ``.wasm``, ``.onnx``), with ``nosniff``.
* ``Cross-Origin-Opener-Policy: same-origin`` and
  ``Cross-Origin-Embedder-Policy: require-corp`` make the page cross-origin
  isolated, which the browser requires for SharedArrayBuffer, i.e. for
  onnxruntime-web's threads; ``Cross-Origin-Resource-Policy: same-origin``
  lets those assets load under COEP.
* Caching: ``no-cache`` (always revalidate) plus Starlette's ETag and
  Last-Modified, so an unchanged 90 MB model costs a 304, and a rebuilt one is
  never served stale. The service worker does the offline caching.
* gzip (level 6) for text: HTML, JavaScript, CSS, JSON. Not for the model,
  voice packs, zips or audio, which barely shrink; and not for WebAssembly:
  it would shrink by about 65%, but compressing Pyodide's 10 MB and
  onnxruntime's 20 MB on every request costs about a second of CPU each, more
  than it saves on the loopback this server is for (and the service worker
  caches them after the first load).

API paths (/v1/, /llm/) never fall through to files: they get a 404 envelope.
"""

from __future__ import annotations

import mimetypes
import os

from starlette.exceptions import HTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.datastructures import MutableHeaders

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".onnx": "application/octet-stream",
    ".bin": "application/octet-stream",
    ".data": "application/octet-stream",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".py": "text/x-python; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
}

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Koe-Server": "1",  # the page asks /health (LLM proxy?) only where this is set: a static host is never asked
}

API_PREFIXES = ("/v1/", "/llm/")
#: Dense or huge files: compressing them on every request costs more CPU than it saves.
NO_GZIP = DEFAULT_EXCLUDED_CONTENT_TYPES + ("application/octet-stream", "application/zip", "application/wasm")


def media_type_for(path: str) -> str:
    extension = os.path.splitext(path)[1].lower()
    return MEDIA_TYPES.get(extension) or mimetypes.guess_type(path)[0] or "application/octet-stream"


class WebFiles(StaticFiles):
    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:  # type: ignore[override]
        response = super().file_response(full_path, stat_result, scope, status_code)
        if response.status_code != 304:
            response.headers["Content-Type"] = media_type_for(os.fspath(full_path))
        response.headers["Cache-Control"] = "no-cache"
        return response


class _IsolationHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ISOLATION_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _NotFound:
    """Stands in for the file server: API paths, or no web folder at all."""

    def __init__(self, files: ASGIApp | None) -> None:
        self.files = files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if self.files is None or path.startswith(API_PREFIXES) or path in ("/v1", "/llm"):
            raise HTTPException(status_code=404)
        await self.files(scope, receive, send)


def web_app(directory: str | None) -> ASGIApp:
    """The ASGI app serving ``directory`` (404 envelopes if it does not exist)."""
    files: ASGIApp | None = None
    if directory and os.path.isdir(directory):
        files = GZipMiddleware(WebFiles(directory=directory, html=True), minimum_size=1024, compresslevel=6,
                               exclude_content_types=NO_GZIP)
    return _IsolationHeaders(_NotFound(files))
