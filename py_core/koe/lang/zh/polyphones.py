"""A few polyphones pypinyin reads wrongly out of context, settled by their neighbours.

pypinyin reads each jieba word on its own, so a character jieba leaves alone (or glues to
the wrong neighbour) gets its dictionary reading: the particle 得 becomes dé, 很长 becomes
hěn zhǎng. These rules look at the character before it.
"""

from __future__ import annotations

from .sandhi import Syllable

#: Degree adverbs before 长 make it the adjective cháng (很长, 太长, 最长), not the verb zhǎng.
_DEGREE = frozenset("很太真最更好挺多越")


def fix_polyphones(syllables: list[Syllable], words: list[str]) -> None:
    """Correct readings in place; ``words`` are the phrase's words (``Syllable.word`` indexes them)."""
    for i, s in enumerate(syllables):
        before = syllables[i - 1] if i else None
        alone = words[s.word] == s.char
        if s.char == "得" and alone and before is not None and s.pinyin == "de2":
            s.pinyin = "de5"  # the complement particle: 长得很高, 跑得快
        elif s.char == "地" and alone and before is not None and _reduplicated(words[before.word]):
            s.pinyin = "de5"  # the adverb particle: 慢慢地
        elif s.char == "长" and s.pinyin == "zhang3" and before is not None and before.char in _DEGREE:
            s.pinyin = "chang2"


def _reduplicated(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2]
