"""Symbols read as words (& + = @ / ^ ...)."""

from __future__ import annotations

import re

from .context import alternation

_PER_UNITS = {"hr": "hour", "h": "hour", "hour": "hour", "day": "day", "d": "day", "wk": "week", "week": "week",
              "mo": "month", "month": "month", "yr": "year", "year": "year", "night": "night", "person": "person",
              "head": "head", "unit": "unit", "piece": "piece", "item": "item", "user": "user", "seat": "seat",
              "kg": "kilogram", "lb": "pound", "km": "kilometer", "mile": "mile", "mi": "mile", "min": "minute",
              "minute": "minute", "second": "second", "sec": "second", "s": "second", "gallon": "gallon",
              "page": "page", "serving": "serving", "visit": "visit", "session": "session", "license": "license"}
_PER_RE = re.compile(rf"/({alternation(_PER_UNITS)})\b")
#: (trigger characters, pattern, replacement): a rule runs only when one of its triggers is in the text.
_SYMBOL_RULES: list[tuple[str, re.Pattern, str]] = [
    ("#", re.compile(r"(?<![\w#])([CF])#(?!\w)"), r"\1 sharp"),
    ("#", re.compile(r"#(?=[^\W_])"), ""),
    ("[", re.compile(r"\[\d+(?:[,–-]\s?\d+)*\]"), ""),  # citation marks [12]
    ("/", re.compile(r"\band/or\b"), "and or"),
    ("→>", re.compile(r"\s*(?:->|→|=>)\s*"), " to "),
    ("≤<", re.compile(r"\s*(?:<=|≤)\s*"), " less than or equal to "),
    ("≥>", re.compile(r"\s*(?:>=|≥)\s*"), " greater than or equal to "),
    ("≠!", re.compile(r"\s*(?:!=|≠)\s*"), " not equal to "),
    ("&", re.compile(r"\s*&\s*"), " and "),
    ("+", re.compile(r"\s*\+\s*"), " plus "),
    ("=", re.compile(r"\s*=+\s*"), " equals "),
    ("×", re.compile(r"\s*×\s*"), " times "),
    ("÷", re.compile(r"\s*÷\s*"), " divided by "),
    ("±", re.compile(r"\s*±\s*"), " plus or minus "),
    ("≈", re.compile(r"\s*≈\s*"), " approximately "),
    ("<", re.compile(r"(?<=[\s\d])<(?=[\s\d])"), " less than "),
    (">", re.compile(r"(?<=[\s\d])>(?=[\s\d])"), " greater than "),
    ("@", re.compile(r"\s*@\s*"), " at "),
    ("^", re.compile(r"\^2(?!\d)"), " squared"),
    ("^", re.compile(r"\^3(?!\d)"), " cubed"),
    ("^", re.compile(r"\s*\^\s*"), " to the power of "),
    ("§", re.compile(r"\s*§\s*"), " section "),
    ("%", re.compile(r"\s*%"), " percent"),
    ("°", re.compile(r"\s*°"), " degrees"),
    ("[{", re.compile(r"[\[{]"), "("),
    ("]}", re.compile(r"[\]}]"), ")"),
    ("/", re.compile(r"/(?<=[^\W_]/)(?=[^\W_])"), " slash "),
    (".", re.compile(r"\.(?<=[^\W_]\.)(?=[a-z])"), " dot "),  # Node.js, report.pdf
]


def read_symbols(text: str, british: bool) -> str:
    if "/" in text:
        text = _PER_RE.sub(lambda m: " per " + _PER_UNITS[m.group(1)], text)
    for triggers, pattern, replacement in _SYMBOL_RULES:
        if any(trigger in text for trigger in triggers):
            text = pattern.sub(replacement, text)
    return text
