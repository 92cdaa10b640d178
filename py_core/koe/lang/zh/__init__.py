"""Mandarin Chinese: jieba words -> pypinyin syllables -> misaki's tone-arrow phonemes.

Kokoro v1.0's ``z`` voices learned misaki 0.9.4's ``ZHG2P()``: jieba's segmentation, each
word's pinyin from pypinyin (its phrase dictionary settles most polyphones: 银行 háng, 长大
zhǎng), then :mod:`koe.lang.zh.pinyin`. On top of that this front end writes the tone sandhi
of 不 and 一 (:mod:`koe.lang.zh.sandhi`) and keeps an erhua 儿 inside its word (一点儿, 哪儿);
numbers are read with cn2an (:mod:`koe.lang.zh.normalize`), Latin-script words by the
English front end, and words of scripts Mandarin cannot read are skipped and named.
"""

from __future__ import annotations

import re

from ..base import PhonemeToken, Phonemized
from ..cjk import punctuation, segments, space_tokens, speak_latin
from .normalize import normalize_text
from .pinyin import syllable_to_phonemes
from .polyphones import fix_polyphones
from .sandhi import Syllable, third_tone, yi_bu

NATIVE = frozenset({"han"})
_RUNS = re.compile(r"\d+(?:[.,]\d+)*|\D+")


class ChineseFrontEnd:
    language = "zh"

    def __init__(self, segmenter, pinyin, english, three_tone_sandhi: bool = False) -> None:
        self.segmenter = segmenter  # jieba.Tokenizer
        self.pinyin = pinyin        # word -> TONE3 syllables (pypinyin.lazy_pinyin)
        self.english = english
        self.three_tone_sandhi = three_tone_sandhi

    def normalize(self, text: str) -> str:
        return normalize_text(text)

    async def phonemize(self, text: str) -> Phonemized:
        tokens: list[PhonemeToken] = []
        skipped: list[str] = []
        for kind, start, end in segments(text, NATIVE):
            if kind == "native":
                words, unreadable = self._words(text[start:end], start)
                tokens.extend(words)
                skipped.extend(unreadable)
            elif kind == "latin" and self.english is not None:
                spoken = await speak_latin(self.english, text[start:end], start)
                tokens.extend(spoken.tokens)
                skipped.extend(spoken.skipped)
            elif kind in ("latin", "foreign"):
                skipped.append(text[start:end])
            elif kind == "punct":
                mark = punctuation(text[start])
                if mark:
                    tokens.append(PhonemeToken(mark, mark, True, "punct", (start, end)))
        return Phonemized(space_tokens(tokens), skipped)

    def _words(self, text: str, offset: int) -> tuple[list[PhonemeToken], list[str]]:
        """One run of Chinese characters (and digits) -> word tokens, with sandhi across its words."""
        words: list[_Word] = []
        for match in _RUNS.finditer(text):
            start = offset + match.start()
            if match.group()[0].isdigit():  # not normalized: digits read as a number
                spoken = normalize_text(match.group())
                words.append(_Word(match.group(), start, offset + match.end(), self._readings(spoken), spoken))
                continue
            for word in self.segmenter.lcut(match.group()):
                words.append(_Word(word, start, start + len(word), self._readings(word)))
                start += len(word)
        words = _merge_erhua(words)
        syllables: list[Syllable] = []
        for index, word in enumerate(words):
            syllables.extend(Syllable(ch, py, index) for ch, py in zip(word.spoken, word.readings))
            if syllables:
                syllables[-1].last_in_word = True
        fix_polyphones(syllables, [w.spoken for w in words])
        yi_bu(syllables)
        if self.three_tone_sandhi:
            third_tone(syllables)
        by_word: list[list[Syllable]] = [[] for _ in words]
        for s in syllables:
            by_word[s.word].append(s)
        tokens, unreadable = [], []
        for word, own in zip(words, by_word):
            spoken = [syllable_to_phonemes(s.pinyin) for s in own]
            unreadable.extend(s.char for s, p in zip(own, spoken) if p is None)
            phonemes = "".join(p for p in spoken if p)
            if phonemes:
                tokens.append(PhonemeToken(word.text, phonemes, True, "word", (word.start, word.end)))
        return tokens, unreadable

    def _readings(self, word: str) -> list[str]:
        """One TONE3 syllable per character (pypinyin groups the characters it cannot read)."""
        readings = self.pinyin(word)
        if len(readings) != len(word):
            readings = [(self.pinyin(ch) or [ch])[0] for ch in word]
        return readings


class _Word:
    __slots__ = ("text", "start", "end", "readings", "spoken")

    def __init__(self, text: str, start: int, end: int, readings: list[str], spoken: str | None = None) -> None:
        self.text, self.start, self.end, self.readings = text, start, end, readings
        self.spoken = spoken if spoken is not None else text  # what the readings are of (digits: their numeral)


def _merge_erhua(words: list[_Word]) -> list[_Word]:
    """An erhua 儿 that jieba left on its own belongs to the word before it (一边儿, 这儿)."""
    out: list[_Word] = []
    for word in words:
        if word.text == "儿" and out and out[-1].end == word.start:
            last = out[-1]
            out[-1] = _Word(last.text + word.text, last.start, word.end, last.readings + word.readings,
                            last.spoken + word.spoken)
        else:
            out.append(word)
    return out


async def load(loader, code: str = "zh") -> ChineseFrontEnd:
    import logging

    import jieba
    from pypinyin import Style, lazy_pinyin

    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()

    def pinyin(word: str) -> list[str]:
        return lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)

    english = await loader.front_end("en-us")
    return ChineseFrontEnd(segmenter, pinyin, english)
