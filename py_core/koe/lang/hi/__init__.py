"""Hindi: Devanagari to phonemes in the convention of Kokoro's ``hf_``/``hm_`` voices.

``normalize`` writes numbers, dates, times, money and abbreviations out in Hindi
(:mod:`.normalize`); ``phonemize`` reads Devanagari words with :mod:`.g2p`, speaks
Latin-script words with the English front end (British, as the voices' training data
did), maps the danda to a full stop and skips (and names) words in any other script.
"""

from __future__ import annotations

import re
import unicodedata

from ..base import PUNCTUATION, PhonemeToken, Phonemized
from .g2p import compound_phonemes, word_phonemes
from .lexicon import UNSTRESSED
from .normalize import normalize_text
from .numbers import digits_in_words

#: The language whose front end reads Latin-script words inside Hindi text.
LATIN_LANGUAGE = "en-gb"

_TOKEN = re.compile(r"""
    (?P<deva>[\u0900-\u0963\u0971-\u097F\u200c\u200d]+(?:-[\u0900-\u0963\u0971-\u097F\u200c\u200d]+)*)
  | (?P<latin>[A-Za-z]+(?:['’][A-Za-z]+)*)
  | (?P<number>[0-9०-९]+(?:\.[0-9०-९]+)?)
  | (?P<ellipsis>\.{2,}|…)
  | (?P<punct>[।॥.,!?;:—–"“”«»()\[\]{}])
  | (?P<space>\s+)
  | (?P<quiet>['‘’`\-_/॰*#~|\\])
  | (?P<other>[^\s\u0900-\u097FA-Za-z0-9.,!?;:—–"“”«»()\[\]{}'‘’`\-_/*#~|\\…]+)
""", re.VERBOSE)
_PUNCT_MAP = {"।": ".", "॥": ".", "–": "—", "«": "“", "»": "”", "[": "(", "]": ")", "{": "(", "}": ")"}


class HindiFrontEnd:
    def __init__(self, loader, language: str = "hi") -> None:
        self._loader = loader
        self._english = None
        self.language = language

    def normalize(self, text: str) -> str:
        return normalize_text(text)

    async def phonemize(self, text: str) -> Phonemized:
        tokens: list[PhonemeToken] = []
        skipped: list[str] = []
        latin_run: list[re.Match] = []  # Latin words separated by spaces are read together
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            if kind == "latin" or kind == "space" and latin_run:
                latin_run.append(match)
                continue
            if latin_run:
                await self._latin(text, latin_run, tokens, skipped)
                if latin_run[-1].lastgroup == "space":
                    _space_after(tokens)
                latin_run = []
            if kind == "space":
                _space_after(tokens)
            elif kind == "deva":
                self._devanagari(match, tokens, skipped)
            elif kind == "number":
                _number(match, tokens)
            elif kind in ("punct", "ellipsis"):
                mark = "…" if kind == "ellipsis" else _PUNCT_MAP.get(match.group(), match.group())
                if mark in PUNCTUATION:
                    tokens.append(PhonemeToken(mark, mark, False, "punct", match.span()))
            elif kind == "other":
                skipped.append(match.group())
        if latin_run:
            await self._latin(text, latin_run, tokens, skipped)
        return Phonemized(tokens, skipped)

    def _devanagari(self, match: re.Match, tokens: list[PhonemeToken], skipped: list[str]) -> None:
        """A word, or a hyphenated compound (one token per part, joined without a space)."""
        parts = match.group().split("-")
        stressless = [unicodedata.normalize("NFC", part) in UNSTRESSED for part in parts]
        start = match.start()
        for part, phonemes in zip(parts, compound_phonemes(parts, stressless)):
            span = (start, start + len(part))
            start = span[1] + 1
            if phonemes:
                tokens.append(PhonemeToken(part, phonemes, False, "word", span))
            else:
                skipped.append(part)

    async def _latin(self, text: str, run: list[re.Match], tokens: list[PhonemeToken], skipped: list[str]) -> None:
        """Latin-script words (names, loanwords) through the English front end."""
        words = [m for m in run if m.lastgroup == "latin"]
        start, end = words[0].start(), words[-1].end()
        if self._english is None:
            self._english = await self._loader.front_end(LATIN_LANGUAGE)
        result = await self._english.phonemize(text[start:end])
        cursor = start
        for token in result.tokens:
            if token.span is not None:
                span = (token.span[0] + start, token.span[1] + start)
            else:  # a front end that gives no spans: find the token in the run
                found = text.find(token.text, cursor, end)
                span = (found, found + len(token.text)) if found >= 0 else None
            if span is not None:
                cursor = span[1]
            tokens.append(PhonemeToken(token.text, token.phonemes, token.space_after, token.kind, span))
        if result.tokens:
            last = tokens[-1]
            tokens[-1] = PhonemeToken(last.text, last.phonemes, False, last.kind, last.span)
        skipped += result.skipped


def _space_after(tokens: list[PhonemeToken]) -> None:
    if tokens and not tokens[-1].space_after:
        last = tokens[-1]
        tokens[-1] = PhonemeToken(last.text, last.phonemes, True, last.kind, last.span)


def _number(match: re.Match, tokens: list[PhonemeToken]) -> None:
    """Digits left in the text (normally ``normalize`` has written them out): one token per word."""
    parts = digits_in_words(match.group()).split()
    for k, word in enumerate(parts):
        tokens.append(PhonemeToken(word, word_phonemes(word), k + 1 < len(parts), "word", match.span()))


async def load(loader, code: str) -> HindiFrontEnd:
    return HindiFrontEnd(loader, code)
