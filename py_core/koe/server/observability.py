"""Request ids and logs: every log line and every response names its request.

A request id comes from a sane incoming ``X-Request-ID`` or is made fresh; it
lives in a context variable that a logging filter copies onto every record
(worker threads get it too, because they run in a copy of the context). One
access line per request replaces uvicorn's, which cannot know the id.

No input can forge or break a log line: :class:`SafeFormatter`, the one
formatter of every handler :func:`setup_logging` installs, escapes control
characters (CR, LF, NUL, ESC, the other C0 and C1 codes, DEL), Unicode line and
paragraph separators, bidirectional overrides and lone surrogates in the
message and its arguments, so one record is one line. A traceback keeps its
line breaks but every line of it is indented, so a line that starts at column
0 always starts a record.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("koe_request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

access_log = logging.getLogger("koe.server.access")
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id(incoming: str | None) -> str:
    """Honor a client's id when it is short and printable (it ends up in logs), else make one."""
    if incoming and _SANE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Stamps ``record.request_id`` ("-" outside a request) so formats can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        return True


#: Characters that could end, rewrite or hide a log line: C0 and C1 controls, DEL, Unicode line/paragraph
#: separators, bidirectional embeddings/overrides/isolates (Trojan-source style reordering), lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_for_log(text: str) -> str:
    """``text`` on one line with nothing a terminal or a log parser could act on: ``\\n``, ``\\x00``, ``\\u202e``..."""
    return _UNSAFE.sub(_escape_char, text)


class SafeFormatter(logging.Formatter):
    """The usual format with every field escaped onto one line; a traceback's lines come indented below."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = {key: escape_for_log(value) if isinstance(value, str) else value
                  for key, value in record.__dict__.items()}
        return super().formatMessage(logging.makeLogRecord(fields))

    def formatException(self, ei) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    return "\n".join("    " + escape_for_log(line) for line in text.splitlines())


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners and daemons swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # noqa: D102
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup_logging(level: str = "info") -> None:
    """One stderr handler on the root logger (replacing an earlier one of ours); uvicorn's loggers propagate into it."""
    handler = StderrHandler()
    handler.setFormatter(SafeFormatter(LOG_FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_koe", False):
            root.removeHandler(old)
    handler._koe = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("httpx").setLevel(logging.WARNING)


class RequestContextMiddleware:
    """Outermost middleware: assigns the id, echoes it as X-Request-ID, logs one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id(Headers(scope=scope).get("x-request-id"))
        token = _request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0
        sent = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            raw_path = scope.get("raw_path")  # as sent, percent-encoding intact (the formatter escapes the rest)
            path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else scope.get("path", "")
            query = scope.get("query_string", b"")
            target = path + ("?…" if query else "")  # query strings may carry secrets: never logged
            access_log.info("%s %s %s %dB %.1fms", scope.get("method"), target, status or "disconnected", sent,
                            (time.perf_counter() - started) * 1000)
            _request_id.reset(token)
