"""Mandarin tone sandhi on pinyin syllables: 不 and 一 (applied), third-tone sandhi (optional).

misaki's v1.0 front end wrote the tones pypinyin's dictionary gives. pypinyin's phrase
dictionary already carries the sandhi of many words (不是 bú shì, 一样 yí yàng), so the model
heard both sandhied and plain 不/一 labels; writing the sandhi of 不 and 一 everywhere keeps
to the sandhied form it learned. The third-tone sandhi (你好 ní hǎo) is never in those labels:
the model learned to apply it itself from ``ni↓xau↓``, so writing ``ni↗`` would move away from
its training. :func:`third_tone` is therefore off in the front end by default.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Syllable:
    char: str
    pinyin: str  # TONE3 style with 5 for the neutral tone: "bu4", "yi1", "ma5"
    word: int    # index of its word in the phrase
    last_in_word: bool = False

    @property
    def tone(self) -> str:
        return self.pinyin[-1:] if self.pinyin[-1:].isdigit() else ""

    def set_tone(self, tone: str) -> None:
        if self.tone:
            self.pinyin = self.pinyin[:-1] + tone


#: Characters around 一 that make it part of a number read digit by digit or an ordinal (第一, 十一, 一九).
_DIGITS = frozenset("零〇一二三四五六七八九")
_NUMERIC_BEFORE = frozenset("零〇一二三四五六七八九十百千万亿两几第")


def yi_bu(syllables: list[Syllable]) -> None:
    """不 -> bú before a fourth tone; 一 -> yí before a fourth tone, yì before the others (in place)."""
    for i, s in enumerate(syllables):
        after = syllables[i + 1] if i + 1 < len(syllables) else None
        before = syllables[i - 1] if i else None
        if s.char == "不" and s.pinyin.startswith("bu") and after is not None and after.tone:
            if after.tone == "4":
                s.set_tone("2")
            elif after.tone != "5" and s.tone == "2":
                s.set_tone("4")
        elif s.char == "一" and s.pinyin.startswith("yi") and after is not None and after.tone:
            if before is not None and before.char in _NUMERIC_BEFORE or after.char in _DIGITS:
                continue  # 第一, 十一, 一九九八: yī
            if before is not None and before.char == after.char:
                s.set_tone("5")  # 看一看
            elif s.last_in_word and before is not None and before.word == s.word:
                continue  # 统一, 唯一, 之一: the 一 ends its word
            elif after.tone in ("4", "5"):
                s.set_tone("2")
            else:
                s.set_tone("4")


def third_tone(syllables: list[Syllable]) -> None:
    """A third tone before another third tone in the same word becomes a second (你好 ní hǎo; 展览馆 zhán lán guǎn)."""
    tones = [s.tone for s in syllables]
    for i, s in enumerate(syllables[:-1]):
        if tones[i] == "3" and tones[i + 1] == "3" and s.word == syllables[i + 1].word:
            s.set_tone("2")
