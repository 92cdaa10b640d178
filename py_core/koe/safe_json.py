"""Reading JSON that came from outside: bounded size, nesting and numbers, and a clear error.

``json.loads`` alone trusts its input in three ways that turn bad data into
crashes rather than messages:

* nesting: the decoder recurses once per level, so ``[`` x 30,000 raises
  ``RecursionError`` (and can exhaust the much smaller stack of WebAssembly);
* numbers: an integer of thousands of digits takes quadratic time to convert,
  and a huge one later overflows float arithmetic (``OverflowError``); ``1e999``
  becomes ``inf`` and ``NaN`` is accepted although neither is JSON;
* strings: ``"\\ud800"`` decodes to a lone surrogate that no encoder accepts.

:func:`loads` checks the nesting depth first, with a scan that never recurses
and runs in time linear in the input, then decodes with hooks that refuse
oversized or non-finite numbers, then refuses lone surrogates. Every refusal is
an :class:`InvalidJSONError` whose message starts with ``what`` (for example
"The request body" or "Voice file ana.json") and says what to fix.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import KoeError

#: Default limits: deeper than any real request or recipe, far below the decoder's recursion limit.
MAX_DEPTH = 64
#: Characters in one number: 20 digits hold any 64-bit integer, a float needs about 24.
MAX_NUMBER_CHARS = 64

# A string literal, escapes included; possessive so it never backtracks (linear even when unterminated,
# in which case it runs to the end and the decoder reports the error).
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_RUNS = re.compile(r"[\[{]++|[\]}]++")
_LEAF = re.compile(r"\[\]|\{\}")
_SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: Passes of leaf removal before counting: bushy documents ([[],[],...]) collapse here at C speed.
_LEAF_PASSES = 8


class InvalidJSONError(KoeError):
    """JSON that is malformed or beyond the limits; the message names the input and the problem."""

    code = "invalid_json"


class _Refused(Exception):
    """Raised from inside the decoder's hooks; carries the message tail."""


def nesting_exceeds(text: str, max_depth: int) -> bool:
    """Whether arrays/objects in ``text`` nest deeper than ``max_depth`` (strings ignored). Never recurses.

    Strings and everything but brackets are removed with regular expressions; then each pass of
    dropping empty pairs (``[]``, ``{}``) lowers every subtree by one level, and the few runs of
    brackets left are counted in a loop. Mismatched brackets are counted as they come: such text
    is not JSON and the decoder rejects it anyway.
    """
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text))
    passes = 0
    while skeleton and passes < _LEAF_PASSES:
        shorter = _LEAF.sub("", skeleton)  # one scan: removes exactly the current leaves
        if len(shorter) == len(skeleton):
            break
        skeleton = shorter
        passes += 1
        if passes > max_depth:
            return True
    depth = 0
    for run in _RUNS.findall(skeleton):
        depth += len(run) if run[0] in "[{" else -len(run)
        if depth + passes > max_depth:
            return True
    return False


def _lone_surrogate(value: Any) -> str | None:
    """The first lone surrogate in any string (key or value) of a decoded document, or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found:
                return found.group()
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def loads(data: str | bytes | bytearray, *, what: str = "The JSON", max_bytes: int | None = None,
          max_depth: int = MAX_DEPTH, max_number_chars: int = MAX_NUMBER_CHARS) -> Any:
    """Decode JSON from an untrusted source, or raise :class:`InvalidJSONError`.

    ``data`` is UTF-8 bytes or text. ``what`` begins each error message ("The request body").
    ``max_bytes`` bounds the encoded size (None: the caller already bounded it).
    """
    if isinstance(data, (bytes, bytearray)):
        if max_bytes is not None and len(data) > max_bytes:
            raise InvalidJSONError(f"{what} is larger than {max_bytes} bytes.")
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidJSONError(f"{what} is not UTF-8 text (bad byte at offset {error.start}).") from None
    elif isinstance(data, str):
        text = data
        if max_bytes is not None and len(text) > max_bytes // 4 and \
                len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            raise InvalidJSONError(f"{what} is larger than {max_bytes} bytes.")
    else:
        raise TypeError(f"expected str or bytes, got {type(data).__name__}")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte order mark: tolerated, as RFC 8259 allows
    if nesting_exceeds(text, max_depth):
        raise InvalidJSONError(f"{what} nests arrays or objects more than {max_depth} levels deep.")

    def number(literal: str) -> None:
        if len(literal) > max_number_chars:
            raise _Refused(f"holds a number of {len(literal)} characters ({literal[:12]}...); "
                           f"numbers may have at most {max_number_chars}")

    def parse_int(literal: str) -> int:
        number(literal)
        return int(literal)

    def parse_float(literal: str) -> float:
        number(literal)
        value = float(literal)
        if not math.isfinite(value):
            raise _Refused(f"holds a number too large to represent ({literal})")
        return value

    def parse_constant(name: str) -> None:
        raise _Refused(f"holds {name}, which is not a JSON value")

    try:
        value = json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)
    except _Refused as refused:
        raise InvalidJSONError(f"{what} {refused}.") from None
    except json.JSONDecodeError as error:
        raise InvalidJSONError(f"{what} is not valid JSON: {error.msg} (line {error.lineno}, "
                               f"column {error.colno}).") from None
    except RecursionError:  # cannot happen below MAX_DEPTH; kept so no input can escape as a crash
        raise InvalidJSONError(f"{what} nests arrays or objects too deeply.") from None
    if _SURROGATE_HINT.search(text):
        lone = _lone_surrogate(value)
        if lone is not None:
            raise InvalidJSONError(f"{what} holds a lone UTF-16 surrogate (\\u{ord(lone):04x}) in a string; "
                                   "send valid Unicode.")
    return value


__all__ = ["InvalidJSONError", "loads", "nesting_exceeds", "MAX_DEPTH", "MAX_NUMBER_CHARS"]
