"""Keeping the server's secrets out of what it relays: the LLM key and credential-like header values.

An upstream can echo what it received (some error pages print the request
headers, ``Authorization: Bearer <key>`` included), so every byte the LLM proxy
passes on goes through a :class:`Redactor` built from the configured secrets.
Each secret is matched as written, JSON-escaped and percent-encoded, and is
replaced by ``[redacted]``; a stream is redacted piece by piece, holding back
only a tail that could be the start of a secret cut in two.
"""

from __future__ import annotations

import json
import re
from typing import Iterable, Mapping
from urllib.parse import quote

REPLACEMENT = b"[redacted]"
#: Shorter values are not treated as secrets (they would garble ordinary text).
MIN_SECRET_CHARS = 4
#: Header names whose values are credentials (any name containing one of these words).
_CREDENTIAL_WORDS = ("authorization", "cookie", "key", "token", "secret", "password", "auth", "signature")


def secret_values(api_key: str | None, headers: Mapping[str, str]) -> list[str]:
    """The key, and the values (and bare credentials, without ``Bearer``/``Basic``) of credential headers."""
    values = [api_key] if api_key else []
    for name, value in headers.items():
        if any(word in name.lower() for word in _CREDENTIAL_WORDS):
            values.append(value)
            scheme, _, credential = value.partition(" ")
            if credential and scheme.isalpha():
                values.append(credential.strip())
    return [v for v in values if len(v) >= MIN_SECRET_CHARS]


def _forms(secret: str) -> set[bytes]:
    return {secret.encode(), json.dumps(secret)[1:-1].encode(), secret.replace("/", "\\/").encode(),
            quote(secret, safe="").encode()}


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        forms = set()
        for secret in secrets:
            if len(secret) >= MIN_SECRET_CHARS:
                forms |= _forms(secret)
        self._patterns = sorted(forms, key=len, reverse=True)
        self._regex = re.compile(b"|".join(re.escape(p) for p in self._patterns)) if self._patterns else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def bytes(self, data: bytes) -> bytes:
        return self._regex.sub(REPLACEMENT, data) if self._regex is not None else data

    def text(self, text: str) -> str:
        return self.bytes(text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")

    def stream(self) -> "StreamRedaction":
        return StreamRedaction(self)

    def _held_tail(self, data: bytes) -> int:
        """Length of the longest end of ``data`` that begins some secret (it may continue in the next piece)."""
        longest = min(len(data), max((len(p) for p in self._patterns), default=1) - 1)
        for size in range(longest, 0, -1):
            tail = data[-size:]
            if any(p.startswith(tail) for p in self._patterns):
                return size
        return 0


class StreamRedaction:
    """Redacts a byte stream piece by piece (secrets split across pieces included)."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = b""

    def feed(self, piece: bytes) -> bytes:
        if not self._redactor:
            return piece
        data = self._redactor.bytes(self._pending + piece)
        hold = self._redactor._held_tail(data)
        self._pending = data[len(data) - hold:] if hold else b""
        return data[:len(data) - hold] if hold else data

    def flush(self) -> bytes:
        rest, self._pending = self._pending, b""
        return self._redactor.bytes(rest)
