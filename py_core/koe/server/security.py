"""Keep other web pages from using a server bound to this machine.

The server holds an LLM API key and spends CPU on request, so a page on some
other site must not drive it through the user's browser:

* Host check (against DNS rebinding): on a loopback address, only requests
  for ``localhost``, ``127.0.0.1`` or ``[::1]`` are served.
* Origin check (against cross-site requests): a request that changes state
  (POST/PUT/PATCH/DELETE) and carries an ``Origin`` header must come from the
  server's own origin or a configured CORS origin; requests without
  ``Origin`` (curl, SDKs) are not browsers and pass.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import APIError, error_response

_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[: host_header.find("]") + 1] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class LocalOnlyMiddleware:
    def __init__(self, app: ASGIApp, *, bind_host: str, cors_origins: Iterable[str]) -> None:
        self.app = app
        self.check_host = is_loopback(bind_host)
        self.allowed_hosts = _LOCAL_NAMES | {bind_host.lower()}
        self.cors_origins = set(cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = self._problem(scope)
            if problem is not None:
                await error_response(problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope) -> APIError | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if self.check_host and host and _host_name(host).lower() not in self.allowed_hosts:
            return APIError(403, "This server only answers requests addressed to localhost.", code="host_not_allowed")
        origin = headers.get("origin")
        if scope["method"] in _SAFE_METHODS or origin is None or "*" in self.cors_origins:
            return None
        own = f"{scope.get('scheme', 'http')}://{host}"
        if origin.rstrip("/") == own or origin.rstrip("/") in self.cors_origins:
            return None
        return APIError(403, f"Cross-origin requests from {origin} are not allowed (see --cors-origins).",
                        code="origin_not_allowed")
