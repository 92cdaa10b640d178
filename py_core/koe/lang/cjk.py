"""What the Japanese and Mandarin front ends share: scripts, punctuation, spacing, Latin words.

* :func:`segments` cuts a paragraph into runs: text of the language itself (``native``),
  Latin-script words (read by the English front end, as misaki does), words of scripts the
  language cannot read (``foreign``: skipped and named), punctuation and symbols.
* :data:`PUNCT_MAP`: full-width and CJK marks onto Kokoro's punctuation (``。`` -> ``.``,
  ``「`` -> ``“``, ``・`` separates words...).
* :func:`space_tokens`: misaki's spacing. CJK text has no spaces, but the phonemes misaki
  gave the model separate words with one; a closing mark sticks to the word before it and
  an opening mark to the word after it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Iterator, Sequence

from .base import PUNCTUATION, Phonemized, PhonemeToken

#: Marks read as Kokoro punctuation; "" separates words without a sound (``・`` in katakana names).
PUNCT_MAP = {
    "。": ".", "．": ".", "、": ",", "，": ",", "､": ",", "｡": ".", "！": "!", "？": "?", "：": ":", "；": ";",
    "「": "“", "」": "”", "『": "“", "』": "”", "｢": "“", "｣": "”", "〈": "“", "〉": "”", "《": "“", "》": "”",
    "【": "“", "】": "”", "〔": "(", "〕": ")", "（": "(", "）": ")", "［": "(", "］": ")", "[": "(", "]": ")",
    "«": "“", "»": "”", "‘": "“", "’": "”", "〝": "“", "〟": "”", "＂": '"',
    "～": "—", "〜": "—", "―": "—", "–": "—", "‥": "…", "・": "", "･": "",
}
OPENING = frozenset("“(")
#: Marks that end a stretch of speech: no space before them, one after.
CLOSING = frozenset(".,!?:;)”…")

_LATIN_WORD = r"[A-Za-z\u00C0-\u024F](?:[A-Za-z\u00C0-\u024F0-9]|['’.\-](?=[A-Za-z\u00C0-\u024F]))*"
_LATIN_RUN = re.compile(_LATIN_WORD + r"(?:[ \t]+" + _LATIN_WORD + ")*")


def script(ch: str) -> str:
    """``han``, ``kana``, ``latin``, ``digit``, ``space``, ``letter`` (another script), ``mark`` or ``symbol``."""
    code = ord(ch)
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF \
            or 0x20000 <= code <= 0x3134F or ch in "々〆〇ヶ":
        return "han"
    if (0x3041 <= code <= 0x309F or 0x30A1 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF) and ch != "・":
        return "kana"  # hiragana, katakana (with ー), small katakana extensions
    if ch.isspace():
        return "space"
    if ch.isdigit() and ch.isascii():
        return "digit"
    category = unicodedata.category(ch)
    if category.startswith("L"):
        return "latin" if unicodedata.name(ch, "").startswith("LATIN") else "letter"
    if category.startswith("M"):
        return "mark"
    return "symbol"


def segments(text: str, native: frozenset[str]) -> Iterator[tuple[str, int, int]]:
    """``(kind, start, end)`` runs of ``text``: ``native`` (scripts in ``native``, with digits),
    ``latin`` (words, spaces between them included), ``foreign``, ``punct`` (one mark) or ``gap``
    (whitespace and unreadable symbols)."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        kind = script(ch)
        if kind in native or kind == "digit" or (kind == "mark" and ch in "゙゚"):
            j = i + 1
            while j < n and (script(text[j]) in native or script(text[j]) == "digit"
                             or (text[j] in ".," and j + 1 < n and text[j + 1].isdigit() and text[j - 1].isdigit())):
                j += 1
            yield "native", i, j
            i = j
            continue
        if kind == "latin":
            match = _LATIN_RUN.match(text, i)
            j = match.end() if match else i + 1
            yield "latin", i, j
            i = j
            continue
        if kind in ("letter", "mark", "han", "kana"):  # a script this language does not read
            j = i + 1
            while j < n and script(text[j]) in ("letter", "mark", "han", "kana") and script(text[j]) not in native:
                j += 1
            yield "foreign", i, j
            i = j
            continue
        if ch in PUNCTUATION or ch in PUNCT_MAP:
            yield "punct", i, i + 1
        else:
            yield "gap", i, i + 1
        i += 1


def punctuation(ch: str) -> str:
    """A mark as Kokoro punctuation ("" if it only separates words)."""
    return ch if ch in PUNCTUATION else PUNCT_MAP.get(ch, "")


def space_tokens(tokens: Sequence[PhonemeToken]) -> list[PhonemeToken]:
    """misaki's spacing: a space after every word, none before a closing mark or after an opening one."""
    out: list[PhonemeToken] = []
    for token in tokens:
        if token.kind == "punct" and out:
            if token.text in CLOSING:
                out[-1] = replace(out[-1], space_after=False)
            elif token.text in OPENING:
                out[-1] = replace(out[-1], space_after=True)
        space = token.kind == "word" or token.text not in OPENING
        out.append(replace(token, space_after=space))
    return out


async def speak_latin(english, text: str, start: int) -> Phonemized:
    """Latin-script words inside CJK text, read by the English front end; spans index ``text``'s source."""
    result = await english.phonemize(text)
    tokens, cursor = [], 0
    for token in result.tokens:
        span = None
        found = text.find(token.text, cursor)
        if found >= 0:
            span = (start + found, start + found + len(token.text))
            cursor = found + len(token.text)
        tokens.append(replace(token, span=span))
    return Phonemized(tokens, list(result.skipped))
