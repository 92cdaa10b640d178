"""Japanese: janome's morphological analysis (IPADIC readings) -> kana -> misaki's phonemes.

Kokoro v1.0's ``j`` voices learned misaki 0.9.4's Japanese conventions (see
:mod:`koe.lang.ja.kana`); this front end reproduces them with janome, a pure-Python analyser
that carries its own dictionary. Numbers are read with their counters
(:mod:`koe.lang.ja.numbers`), Latin-script words (``OK``, ``iPhone``) by the English front
end, and words in a script Japanese cannot read (Cyrillic, Thai, Hangul...) are skipped and
named.
"""

from __future__ import annotations

from dataclasses import replace

from ..base import PhonemeToken, Phonemized
from ..cjk import punctuation, segments, space_tokens, speak_latin
from .kana import kana_to_phonemes
from .normalize import normalize_text
from .words import Analyzer

#: Scripts a Japanese text is written in.
NATIVE = frozenset({"han", "kana"})


class JapaneseFrontEnd:
    language = "ja"

    def __init__(self, analyzer: Analyzer, english) -> None:
        self.analyzer = analyzer
        self.english = english

    def normalize(self, text: str) -> str:
        return normalize_text(text)

    async def phonemize(self, text: str) -> Phonemized:
        tokens: list[PhonemeToken] = []
        skipped: list[str] = []
        for kind, start, end in segments(text, NATIVE):
            if kind == "native":
                for word in self.analyzer.words(text[start:end], start):
                    phonemes = kana_to_phonemes(word.kana) if word.kana else ""
                    if phonemes:
                        tokens.append(PhonemeToken(word.text, phonemes, True, "word", (word.start, word.end)))
                    elif word.kana is None:
                        skipped.append(word.text)
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
        return Phonemized(_glottal_stops(space_tokens(tokens)), skipped)


def _glottal_stops(tokens: list[PhonemeToken]) -> list[PhonemeToken]:
    """misaki writes no space next to a glottal stop: ``ちょっと`` + ``っ``... stay one stretch."""
    out = list(tokens)
    for i in range(len(out) - 1):
        this, following = out[i], out[i + 1]
        if this.kind == "word" and following.kind == "word" and \
                (this.phonemes.endswith("ʔ") or following.phonemes.startswith("ʔ")):
            out[i] = replace(this, space_after=False)
    return out


async def load(loader, code: str = "ja") -> JapaneseFrontEnd:
    from janome.tokenizer import Tokenizer

    # mmap=True: the dictionary's entries are read from their files on demand (Pyodide's
    # 32-bit default would instead build them all in memory: minutes and a gigabyte).
    tokenizer = Tokenizer(mmap=True)
    english = await loader.front_end("en-us")
    return JapaneseFrontEnd(Analyzer(tokenizer.tokenize), english)
