"""Raw-HTTP garbage: bytes no HTTP client would send, straight onto the socket.

Broken request lines, bad methods and versions, NUL and non-ASCII bytes,
header injection, duplicate and non-numeric Content-Length, broken chunked
encoding, bodies shorter or longer than declared, pipelining, a 100 KB URL,
truncated requests, plus random byte strings. The server must answer a
well-formed HTTP status (400 in the JSON envelope for what is not HTTP, 404,
405, 413 ...) or close the connection, never 500, and stay healthy.

    .venv/bin/python benchmarks/stress/raw_http.py [--random 500] [--seed 1] [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Findings, server_from_args, shorten  # noqa: E402

H = b"Host: localhost\r\n"
SPEECH_BODY = b'{"input": "Hi.", "response_format": "pcm"}'

CASES: list[bytes] = [
    b"\r\n\r\n",
    b"NOT HTTP AT ALL\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\n" + H + b"\r\n",
    b"GET / HTTP/1.1\r\n\r\n",  # no Host
    b"G\x00T / HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /\x00 HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /\xff\xfe HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /%00 HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /v1/audio/voices/x%0D%0ASet-Cookie:%20a=b HTTP/1.1\r\n" + H + b"\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"X-A: b\r\n c\r\n\r\n",  # obsolete line folding
    b"GET / HTTP/1.1\r\n" + H + b"Bad Header\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"X-Nul: a\x00b\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + H + b": empty-name\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n",
    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n" + H + b"\r\n",
    b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(2000)) + H + b"\r\n",
    b"GET http://evil.example/ HTTP/1.1\r\n" + H + b"\r\n",
    b"CONNECT evil.example:443 HTTP/1.1\r\n" + H + b"\r\n",
    b"TRACE / HTTP/1.1\r\n" + H + b"\r\n",
    b"BREW /pot HTTP/1.1\r\n" + H + b"\r\n",
    b"GET * HTTP/1.1\r\n" + H + b"\r\n",
    b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n",
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Content-Length: abc\r\n\r\n",
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Content-Length: -5\r\n\r\n",
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Content-Length: 99999999999999999999999\r\n\r\n",
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n"
    b"Content-Type: application/json\r\n\r\nzz\r\n",
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    % (len(SPEECH_BODY) + 10) + SPEECH_BODY,  # shorter than declared: the client then closes
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Content-Type: application/json\r\nContent-Length: 5\r\n\r\n"
    + SPEECH_BODY,  # longer than declared: the rest is a broken next request
    b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
    b"Content-Length: %d\r\n\r\n" % len(SPEECH_BODY) + SPEECH_BODY,
    (b"GET /health HTTP/1.1\r\n" + H + b"\r\n") * 20,  # pipelined
    b"GET /health HTTP/1.1\r\n" + H + b"\r\n" + b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # then TLS
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(200),  # a TLS ClientHello
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",  # HTTP/2 preface
    b"GET / HTTP/1.1\r\n" + H + b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"GET /health HTTP/1.1\r\n" + H,  # never finished: the server may wait, then time out
    b"GET /health HTTP/1.0\r\n\r\n",
    b"GET /health\r\n",  # HTTP/0.9
]


def exchange(host: str, port: int, data: bytes, timeout: float = 5.0) -> bytes | None:
    """Send ``data``, half-close, read until the server closes; None if it never answers within ``timeout``."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server closed early (it refused the start): read what it said
        received = b""
        try:
            while piece := sock.recv(65536):
                received += piece
        except socket.timeout:
            return received or None
        except OSError:
            pass
        return received


def check(findings: Findings, data: bytes, answer: bytes | None) -> None:
    shown = shorten(data[:100])
    if not answer:
        findings.count(0)  # closed without a word (or waited for more): allowed
        return
    if not answer.startswith(b"HTTP/1."):
        findings.count(-1)
        findings.fail(f"{shown}: not an HTTP answer: {answer[:80]!r}")
        return
    for status, headers, body in responses(answer):
        findings.count(status)
        if status >= 500:
            findings.unexpected_5xx += 1
            findings.fail(f"{shown}: {status}: {body[:200]!r}")
        elif status == 400:
            try:
                json.loads(body)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                findings.fail(f"{shown}: a 400 that is not the envelope: {body[:120]!r}")


def responses(answer: bytes) -> list[tuple[int, bytes, bytes]]:
    """(status, header block, body) of each response in ``answer`` (several when pipelined)."""
    found, position = [], 0
    while answer.startswith(b"HTTP/1.", position):
        end = answer.find(b"\r\n\r\n", position)
        if end < 0:
            break
        head = answer[position:end]
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            elif name.strip().lower() == b"transfer-encoding":
                length = len(answer) - end - 4  # chunked: the rest (a streamed answer ends the connection here)
        body = answer[end + 4:end + 4 + length]
        found.append((status, head, body))
        position = end + 4 + length
    return found


def run(url: str, random_cases: int = 100, seed: int = 1) -> Findings:
    findings = Findings("raw HTTP")
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    rng = random.Random(seed)
    cases = list(CASES)
    for _ in range(random_cases):
        kind = rng.randrange(3)
        if kind == 0:
            cases.append(rng.randbytes(rng.randint(1, 2000)))
        elif kind == 1:  # a valid request with a few bytes flipped
            good = bytearray(b"POST /v1/audio/speech HTTP/1.1\r\n" + H + b"Content-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(SPEECH_BODY) + SPEECH_BODY)
            for _ in range(rng.randint(1, 4)):
                good[rng.randrange(len(good))] = rng.randrange(256)
            cases.append(bytes(good))
        else:  # a valid request cut short
            good = b"GET /v1/models HTTP/1.1\r\n" + H + b"Accept: */*\r\n\r\n"
            cases.append(good[: rng.randint(1, len(good) - 1)])
    for data in cases:
        try:
            check(findings, data, exchange(host, port, data))
        except OSError as error:
            findings.count(0)
            findings.fail(f"{shorten(data[:100])}: {type(error).__name__}")
    try:
        if httpx.get(url + "/health", timeout=30).status_code != 200:
            findings.fail("/health is not 200 after the garbage")
    except httpx.HTTPError as error:
        findings.fail(f"/health failed after the garbage: {type(error).__name__}")
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a running server (default: start one)")
    args = parser.parse_args()
    started = time.monotonic()
    with server_from_args(args.url, None) as server:
        findings = run(server.url, args.random, args.seed)
    print(findings.summary())
    print(f"{time.monotonic() - started:.0f} s")
    return 1 if findings.failures else 0


if __name__ == "__main__":
    sys.exit(main())
