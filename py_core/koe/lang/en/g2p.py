"""English grapheme-to-phoneme conversion: normalized text -> phoneme tokens.

Order of resolution for each word:

1. a few function words whose reduced form depends on the next sound
   (a, an, the, to, I, used to);
2. all-caps initialisms that the dictionary marks as spelled (US, AM) or does
   not know (FBI) are read letter by letter, unless the whole text is shouted;
3. the dictionary, with heteronyms chosen by simple context rules
   (``to read`` vs ``have read``, ``live music`` vs ``we live``);
4. morphological fallbacks from a known stem (see :mod:`koe.lexicon`);
5. the neural G2P (g2p-en's network as an ONNX graph), batched per call.

Every input character either becomes phonemes, punctuation the model knows, or
whitespace; nothing raises. Words that produce no sound at all are recorded in
``Phonemized.skipped`` so callers can report them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Awaitable, Callable

from ..base import Phonemized, PhonemeToken
from .lexicon import Lexicon, VOWELS
from .normalize.numbers import DIGIT_WORDS

_TOKEN = re.compile(
    r"(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)*)"
    r"|(?P<digits>\d+)"
    r"|(?P<punct>[;:,.!?—…\"()“”])"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.S,
)

BASE_FORM_CUES = frozenset("to will would can could should shall must may might do does did don't doesn't didn't won't "
                           "wouldn't can't cannot couldn't shouldn't let's please".split())
SUBJECT_CUES = frozenset("i you we they people".split())
PAST_CUES = frozenset("have has had having been was were is are be being i've you've we've they've already "
                      "just never got gets".split())
NOUN_CUES = frozenset("the a an this that these those my your his her its our their some any no every each of for "
                      "one another".split())

NeuralFallback = Callable[[list[str], bool], Awaitable[list[str]]]


def kokoro_v1_symbols(phonemes: str) -> str:
    """Kokoro v1.0 was trained with the US flap written T and the glottal stop written t (as misaki emits)."""
    return phonemes.replace("ɾ", "T").replace("ʔ", "t")


def strip_accents(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


def starts_with_vowel_sound(phonemes: str) -> bool:
    for ch in phonemes:
        if ch in "ˈˌ":
            continue
        return ch in VOWELS
    return False


@dataclass
class _TextItem:
    text: str
    space_after: bool
    kind: str
    span: tuple[int, int]
    phonemes: str | None = None


class EnglishG2P:
    """Phonemizes normalized English text with a lexicon and an optional neural fallback."""

    def __init__(self, lexicon: Lexicon, neural: NeuralFallback | None = None) -> None:
        self.lexicon = lexicon
        self.neural = neural
        self.british = lexicon.british

    async def phonemize(self, text: str) -> Phonemized:
        items = self._tokenize(text)
        words = [w for w in items if w.kind == "word"]
        shouting = self._is_shouting(words)
        for index, item in enumerate(words):
            prev_word = words[index - 1].text if index else ""
            item.phonemes = self._resolve(item.text, prev_word, shouting)
        unknown = [w for w in words if w.phonemes is None]
        if unknown:
            guesses = await self._guess([w.text for w in unknown])
            for item, guess in zip(unknown, guesses):
                item.phonemes = guess
        # Reductions that depend on the next word's first sound.
        resolved = [w.phonemes for w in words]
        for index, item in enumerate(words):
            following = resolved[index + 1] if index + 1 < len(words) else None
            next_word = words[index + 1].text.lower() if index + 1 < len(words) else ""
            item.phonemes = self._reduce(item.text, item.phonemes or "", following, next_word)
        tokens, skipped = [], []
        for item in items:
            if item.kind == "word" and not item.phonemes:
                skipped.append(item.text)
                if tokens:
                    tokens[-1] = replace(tokens[-1], space_after=tokens[-1].space_after or item.space_after)
                continue
            tokens.append(PhonemeToken(item.text, kokoro_v1_symbols(item.phonemes or item.text), item.space_after,
                                       item.kind, item.span))
        return Phonemized(tokens, skipped)

    # --- steps ---------------------------------------------------------------------------

    def _tokenize(self, text: str) -> list[_TextItem]:
        items: list[_TextItem] = []
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            value = match.group()
            if kind in ("space", "other"):
                if items:
                    items[-1].space_after = True  # an unpronounceable symbol still separates words
                continue
            if kind == "digits":
                for at, digit in enumerate(value, start=match.start()):
                    items.append(_TextItem(DIGIT_WORDS[int(digit)] if digit.isascii() else digit, True, "word",
                                           (at, at + 1)))
                items[-1].space_after = False
                continue
            items.append(_TextItem(value.replace("’", "'"), False, "word" if kind == "word" else "punct",
                                   match.span()))
        return items

    @staticmethod
    def _is_shouting(words: list[_TextItem]) -> bool:
        letters = [w.text for w in words if len(w.text) > 1]
        return len(letters) >= 4 and sum(w.isupper() for w in letters) / len(letters) > 0.7

    def _resolve(self, word: str, prev_word: str, shouting: bool) -> str | None:
        lexicon = self.lexicon
        lower = word.lower()
        if lower in ("a", "an", "the", "to", "used") or word == "I":
            return lexicon.lookup(word) or lexicon.lookup(lower)
        if word.isupper() and len(word) > 1 and not shouting and word.isalpha():
            if lexicon.is_spelled_initialism(word):
                return lexicon.spell(word)
            entry = lexicon.entries.get(word)
            if isinstance(entry, str):
                return entry  # NASA reads as a word
            if entry is None and not (len(word) >= 4 and lexicon.entry(lower) is not None):
                return lexicon.spell(word)  # FBI; but a capitalized dictionary word (HELLO) reads as itself
        tag = self._context_tag(lower, prev_word.lower())
        found = lexicon.derive(word, tag)
        if found is None and strip_accents(word) != word:
            found = lexicon.derive(strip_accents(word), tag)
        if found is None and len(word) == 1 and word.isalpha():
            found = lexicon.spell(word) or None
        return found

    @staticmethod
    def _context_tag(word: str, prev_word: str) -> str:
        if prev_word in PAST_CUES:
            return "VBD"
        if prev_word in BASE_FORM_CUES or prev_word in SUBJECT_CUES:
            return "VERB"
        if prev_word in NOUN_CUES:
            return "NOUN"
        return "DEFAULT"

    async def _guess(self, words: list[str]) -> list[str]:
        if self.neural is not None:
            try:
                guesses = await self.neural(words, self.british)
            except Exception:  # the fallback must never take the whole text down
                guesses = [""] * len(words)
        else:
            guesses = [""] * len(words)
        # Spell whatever the network could not pronounce (e.g. non-Latin letters are dropped by it).
        return [g or self.lexicon.spell(strip_accents(w)) for w, g in zip(words, guesses)]

    def _reduce(self, word: str, phonemes: str, following: str | None, next_word: str) -> str:
        lower = word.lower()
        vowel_next = following is not None and starts_with_vowel_sound(following)
        if lower == "the" and not word.isupper():
            return "ði" if vowel_next else "ðə"
        if lower == "a" and word != "A":
            return "ɐ"
        if lower == "an":
            return "ɐn"
        if lower == "to":
            return phonemes if following is None else ("tʊ" if vowel_next else "tə")
        if word == "I":
            return "ˌI"
        if lower == "used":
            entry = self.lexicon.entries.get("used")
            if isinstance(entry, dict):
                return (entry.get("VBD") if next_word == "to" else entry.get("DEFAULT")) or phonemes
        return phonemes


