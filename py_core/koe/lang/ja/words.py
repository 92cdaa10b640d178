"""Japanese text -> words with their readings, from janome's morphological analysis (IPADIC).

A *word* here is what misaki separates with a space: a content morpheme with the auxiliary
verbs and conjunctive ``て``/``で`` that inflect it (``書いて``, ``行きます``), a numeral with
its counter (``三匹``), or a particle on its own. Readings come from the dictionary's
pronunciation field (``は`` as a particle reads ワ), brought to misaki's long-vowel spelling
by :func:`~koe.lang.ja.kana.long_vowels`; a word the dictionary does not know is read from
its own kana, and kanji it cannot read make the word unreadable (the caller skips it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import numbers
from .kana import is_kana, long_vowels, to_katakana


@dataclass
class Word:
    text: str
    start: int
    end: int
    kana: str | None  # katakana reading; None if it cannot be read


@dataclass
class _Morpheme:
    surface: str
    pos: tuple[str, ...]
    kana: str | None
    start: int
    end: int

    @property
    def major(self) -> str:
        return self.pos[0]


#: Auxiliary verbs that stand as their own word (the copula), like misaki's spacing.
_COPULA = frozenset({"です", "でし", "でしょ", "だ", "だっ", "だろ", "なら", "で"})
_CONJUNCTIVE = frozenset({"て", "で", "ちゃ", "じゃ"})
_INFLECTING = frozenset({"動詞", "形容詞", "助動詞"})


class Analyzer:
    """Runs janome on native Japanese text and groups its morphemes into words."""

    def __init__(self, tokenize: Callable[[str], list]) -> None:
        self._tokenize = tokenize  # janome's Tokenizer.tokenize

    def words(self, text: str, offset: int = 0) -> list[Word]:
        morphemes = self._morphemes(text, offset)
        return _group(_merge_numbers(morphemes))

    # --- morphemes ------------------------------------------------------------------------------

    def _morphemes(self, text: str, offset: int) -> list[_Morpheme]:
        out, cursor = [], 0
        for token in self._tokenize(text):
            surface = token.surface
            start = text.find(surface, cursor) if not text.startswith(surface, cursor) else cursor
            if start < 0:
                start = cursor
            cursor = start + len(surface)
            pos = tuple(token.part_of_speech.split(","))
            if surface.strip("々ゝゞヽヾ") == "" and out and out[-1].kana:  # 昔々: the iteration mark repeats
                last = out[-1]
                last.surface, last.end = last.surface + surface, offset + cursor
                last.kana += last.kana * len(surface)
                continue
            out.append(_Morpheme(surface, pos, self._reading(token, pos), offset + start, offset + cursor))
        return out

    def _reading(self, token, pos: tuple[str, ...]) -> str | None:
        surface = token.surface
        for field in (token.phonetic, token.reading):
            if field and field != "*" and is_kana(field):
                # い after an i sound is long in adjectives (新しい) and in verbs' て/た stem (聞いて).
                lengthen = pos[0] == "形容詞" or (pos[0] == "動詞" and getattr(token, "infl_form", "") == "連用タ接続")
                return long_vowels(field, long_ii=lengthen)
        if is_kana(surface):
            return to_katakana(surface)
        if all(ch in numbers.NUMERALS or ch in numbers.DECIMAL_POINTS for ch in surface):
            return None  # read with its counter by _merge_numbers
        if len(surface) > 1:  # an unknown compound: read it character by character
            parts = []
            for ch in surface:
                tokens = list(self._tokenize(ch))
                reading = self._reading(tokens[0], tuple(tokens[0].part_of_speech.split(","))) \
                    if len(tokens) == 1 and tokens[0].surface == ch else None
                if reading is None:
                    return None
                parts.append(reading)
            return "".join(parts)
        return None


# --- numbers with their counters ---------------------------------------------------------------------

def _is_numeral(m: _Morpheme) -> bool:
    return all(ch in numbers.NUMERALS for ch in m.surface)


def _merge_numbers(morphemes: list[_Morpheme]) -> list[_Morpheme]:
    """Runs of numerals (with a decimal point) and the counter after them -> one morpheme with its reading."""
    out: list[_Morpheme] = []
    i = 0
    while i < len(morphemes):
        m = morphemes[i]
        nan = m.surface == "何" and i + 1 < len(morphemes) and _counter(morphemes[i + 1].surface) is not None
        if not (_is_numeral(m) or nan):
            out.append(m)
            i += 1
            continue
        j = i + 1
        while not nan and j < len(morphemes) and _is_numeral(morphemes[j]):
            j += 1
        numeral = "".join(x.surface for x in morphemes[i:j])
        fraction = ""
        if not nan and j + 1 < len(morphemes) and morphemes[j].surface in numbers.DECIMAL_POINTS:
            k = j + 1
            while k < len(morphemes) and all(ch in numbers.NUMERAL_VALUES for ch in morphemes[k].surface):
                fraction += morphemes[k].surface
                k += 1
            if fraction:
                j = k
        if nan:
            parts, value = [numbers.Part("ナン", "何")], None
        else:
            parts, value = _read_numeral(numeral, morphemes[j].surface if j < len(morphemes) else "")
        if fraction:
            parts, value = numbers.read_decimal(parts, fraction), None
        kana = "".join(p.kana for p in parts)
        end = morphemes[j - 1].end
        if j < len(morphemes):
            follower = morphemes[j]
            counter = _counter(follower.surface)
            date = bool(out) and out[-1].surface.endswith("月")
            if follower.surface == "日" and value is not None:
                kana, end, j = numbers.read_day(value, parts, date), follower.end, j + 1
            elif follower.surface == "月" and value is not None and 1 <= value <= 12:
                kana, end, j = numbers.read_counted(parts, numbers.MONTH), follower.end, j + 1
            elif counter is not None:
                kana, end, j = numbers.read_counted(parts, counter, value), follower.end, j + 1
            elif follower.pos[:3] == ("名詞", "接尾", "助数詞") and follower.kana:
                kana, end, j = kana + follower.kana, follower.end, j + 1
        text = "".join(x.surface for x in morphemes[i:j])
        out.append(_Morpheme(text, ("名詞", "数"), kana, m.start, end))
        i = j
    return out


def _counter(surface: str):
    return numbers.COUNTERS.get(surface)


def _read_numeral(numeral: str, following: str) -> tuple[list[numbers.Part], int | None]:
    if numbers.is_digit_string(numeral) and not (len(numeral) == 4 and following == "年"):
        return numbers.read_digits(numeral), None
    value = numbers.parse(numeral) if not numbers.is_digit_string(numeral) else int(
        "".join(str(numbers.NUMERAL_VALUES[ch]) for ch in numeral))
    if value is None:
        return numbers.read_digits("".join(ch for ch in numeral if ch in numbers.NUMERAL_VALUES)), None
    return numbers.read_integer(value), value


# --- words ---------------------------------------------------------------------------------------------

def _attaches(m: _Morpheme, previous: _Morpheme) -> bool:
    """Does morpheme ``m`` belong to the word of the morpheme before it?"""
    if m.major == "助動詞":
        return previous.major in _INFLECTING and m.surface not in _COPULA
    if m.major == "助詞" and m.pos[1] == "接続助詞" and m.surface in _CONJUNCTIVE:
        return previous.major in ("動詞", "形容詞")
    if m.major == "動詞" and m.pos[1] == "接尾":
        return previous.major == "動詞"
    return False


def _group(morphemes: list[_Morpheme]) -> list[Word]:
    words: list[Word] = []
    previous: _Morpheme | None = None
    for m in morphemes:
        if words and previous is not None and words[-1].kana is not None and m.kana is not None \
                and _attaches(m, previous):
            word = words[-1]
            kana = "ー" if m.surface == "う" and m.major == "助動詞" else m.kana  # ましょう, 行こう
            word.text, word.end, word.kana = word.text + m.surface, m.end, word.kana + kana
        else:
            words.append(Word(m.surface, m.start, m.end, m.kana))
        previous = m
    return words
