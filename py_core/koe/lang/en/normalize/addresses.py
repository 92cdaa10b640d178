"""URLs and e-mail addresses, read piece by piece."""

from __future__ import annotations

import re

from .numbers import digit_words, int_words, pad

_TLDS = ("com|org|net|edu|gov|mil|int|io|ai|dev|app|co|uk|de|fr|info|biz|tv|ly|gg|xyz|ca|au|jp|eu|nl|ru|"
         "tech|online|site|blog|news|shop|store|cloud|page")
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![\w-])")
_URL_RE = re.compile(
    r"(?<![^\W\d_])(?<![.@/-])(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]{}]+"
    rf"|(?<![\w.@/-])(?:[a-z0-9][a-z0-9-]{{0,62}}\.){{1,8}}(?:{_TLDS})\b(?:/[^\s<>\"'()\[\]{{}}]*)?",
    re.IGNORECASE,
)
_TLD_HINT_RE = re.compile(rf"\.(?:{_TLDS})\b", re.IGNORECASE)
_URL_PIECE_RE = re.compile(r"[^\W\d_]+|\d+|.", re.S)
_URL_SYMBOLS = {".": "dot", "/": "slash", "-": "dash", "_": "underscore", "@": "at", ":": "colon",
                "~": "tilde", "+": "plus", "=": "equals", "&": "and", "%": "percent"}
_SCHEME_RE = re.compile(r"^[a-z]+://(?:www\.)?|^www\.", re.IGNORECASE)
_QUERY_RE = re.compile(r"[?#]")


def _speak_address(address: str) -> str:
    """'example.com/a_b' -> 'example dot com slash a underscore b'."""
    words = []
    for piece in _URL_PIECE_RE.findall(address):
        if piece.isdigit():
            words.append(int_words(piece) if len(piece) <= 4 else digit_words(piece))
        elif piece[0].isalpha():
            words.append(piece)
        elif piece in _URL_SYMBOLS:
            words.append(_URL_SYMBOLS[piece])
    return " ".join(words)


def _url(match: re.Match) -> str:
    url = match.group()
    core = url.rstrip(".,;:!?'\")")
    trailing = url[len(core):]
    core = _SCHEME_RE.sub("", core)
    core = _QUERY_RE.split(core, maxsplit=1)[0].rstrip("/")  # query strings and fragments are not read
    return pad(match, _speak_address(core) + trailing)


def read_urls_and_emails(text: str, british: bool) -> str:
    if "@" in text:
        text = _EMAIL_RE.sub(lambda m: pad(m, _speak_address(m.group())), text)
    if "://" in text or "www." in text or _TLD_HINT_RE.search(text):
        text = _URL_RE.sub(_url, text)
    return text
