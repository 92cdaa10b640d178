"""What surrounds a match: sentence ends, neighbouring words, case, padding."""

from __future__ import annotations

import re

#: Capitalized words that very likely start a new sentence after an ambiguous "U.S." or "Plan B."
_SENTENCE_STARTERS = frozenset(
    "I We You He She It They The A An This That These Those There Then But And So Or Yet If When While What "
    "Why How Who Where Which My Our Your His Her Its Their In On At For As After Before Also However Meanwhile "
    "Some Many Most All No Not Yes Now Here Today Still Even Just Only Let Please Thanks Thank Each Every".split())
FUNCTION_WORDS = frozenset(
    "the a an in on at to of from by for with and or but near on into onto off via past visit visited".split())
_NEXT_WORD_RE = re.compile(r"""\s+["'(]*([^\W\d_][\w'-]*)""")
ONLY_CLOSERS_RE = re.compile(r"""["')\]\s]*\Z""")
PREV_WORD_RE = re.compile(r"([^\W\d_][\w'-]*)\s*\Z")


def ends_sentence(text: str, pos: int, strong: bool = False) -> bool:
    """Whether a dot that ended at ``pos`` also ends the sentence.

    True at the end of the paragraph. Before a capitalized word: always when
    ``strong`` (etc., et al.), else only when that word is a typical sentence
    starter ("in the U.S. We" vs "the U.S. Army").
    """
    rest = text[pos:pos + 40]
    if ONLY_CLOSERS_RE.match(rest) and (len(text) - pos <= 40 or not text[pos:].strip(" \"')]")):
        return True
    nxt = _NEXT_WORD_RE.match(rest)
    if not nxt or not nxt.group(1)[0].isupper():
        return False
    return strong or nxt.group(1) in _SENTENCE_STARTERS


def next_word(text: str, pos: int) -> str:
    nxt = _NEXT_WORD_RE.match(text, pos, min(len(text), pos + 60))
    return nxt.group(1) if nxt else ""


def previous_word(text: str, pos: int) -> str | None:
    """The word before ``pos``; None at the start of a sentence or clause."""
    before = text[max(0, pos - 60):pos].rstrip()
    if not before or before[-1] in '.!?;:"(—…':
        return None
    found = PREV_WORD_RE.search(before)
    return found.group(1) if found else ""


def keep_case(source: str, expansion: str) -> str:
    """Capitalize the expansion when the source abbreviation was capitalized."""
    if source[:1].isupper() and expansion[:1].islower():
        return expansion[0].upper() + expansion[1:]
    return expansion


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def alternation(keys) -> str:
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
