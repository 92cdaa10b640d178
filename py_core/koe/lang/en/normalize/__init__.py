"""English text normalization: raw user text -> speakable text for the G2P.

:func:`normalize_text` turns numbers, dates, times, money, units, abbreviations,
URLs and symbols into words, and keeps the punctuation that carries prosody:
``. , ! ? ; : — … ( ) "`` (plus apostrophes and hyphens inside words).
All-caps initialisms (FBI, NASA, PM, US) are left in uppercase for the G2P,
which reads them as a word when its dictionary knows one and spells them
otherwise. Paragraph breaks survive as ``"\\n\\n"``; every other run of
whitespace becomes one space.

Pure Python: the standard library plus ``num2words`` (so it also runs in
Pyodide). Every regex is compiled at import, can only start a match at the
start of a token, and has no nested quantifiers, so none can backtrack
catastrophically: time grows linearly with the text (tests/test_normalize.py
checks long and hostile input).

Order of passes (each pass is one small function; earlier passes consume
patterns that a later, more generic pass would misread):

1. ``clean_unicode`` (whole text): HTML entities, vulgar fractions and
   superscripts, NFKC, smart quotes and apostrophes, dash variants; control
   characters, zero-width characters, emoji and other pictographs go.
2. Split into paragraphs at blank lines; collapse other whitespace. Then, per
   paragraph, ``punctuation_shapes``: ellipses, em dashes, runs of marks,
   and the signs that prefix a number (~5, #1).
3. ``read_urls_and_emails``: first, because they hold dots, slashes, digits and @.
4. ``expand_abbreviations``: dotted abbreviations and initialisms, before any pass
   reads a "." as a decimal point or a sentence end; also expands "Jan." so
   that dates see full month names.
5. ``read_dates``, ``read_times``, ``read_phone_numbers``: before fractions and ranges
   would misread 1/5/2024, 2024-01-05, 10:30 or (555) 123-4567.
6. ``read_ranges``: "5-10" -> "5 to 10", so that currency and units attach to
   each end ("$5-10" -> "five dollars to ten").
7. ``read_currency``, ``read_percentages``, ``read_dimensions``, ``read_units``: a number with
   its symbol or unit, so that the unit agrees (one kilometer, two kilometers).
8. ``read_fractions``, ``read_ordinals``, ``read_decades``, ``read_years``.
9. ``read_symbols``: & + = @ / ^ and friends.
10. ``read_cardinals``: every number still left (negatives, decimals, versions),
    then ``read_leftover_digits`` as a safety net.
11. ``tidy``: drop what cannot be spoken, fix spacing around punctuation.

Years: a four-digit number without a comma is read as a year ("nineteen
ninety-nine", "twenty twenty-five", "two thousand five", "nineteen oh five")
when it is 1000-2099 and

* precedes an era (BC, AD), or
* follows a strong cue (in, since, until, during, circa, year, a month...), or
* follows a weak cue (by, of, from, to, between, and...) and no plural noun
  follows ("of 1500 apples" stays a cardinal), or
* is 1100 or more, no plural noun follows, and it starts a sentence or stands
  alone between clause punctuation ("(1984)", "1984 by George Orwell"),

but never before a counting noun (people, years, dollars...: "in 1500 years").
Everything else is a cardinal ("one thousand five hundred"). US style drops
the "and" of number words (one hundred five); ``british=True`` keeps it (one
hundred and five), spells metre/litre, and reads 1/5/2024 day first.

Nothing here raises: each pass is also wrapped so that a bug in one pass
leaves the text as it was rather than failing the synthesis.
"""

from __future__ import annotations

from typing import Callable

from .abbreviations import expand_abbreviations
from .addresses import read_urls_and_emails
from .cleanup import BLANK_LINE_RE, SPACES_RE, clean_unicode, punctuation_shapes, tidy
from .dates import read_dates, read_phone_numbers, read_times
from .numbers import (
    read_cardinals,
    read_decades,
    read_fractions,
    read_leftover_digits,
    read_ordinals,
    read_years,
)
from .quantities import (
    read_currency,
    read_dimensions,
    read_percentages,
    read_ranges,
    read_units,
)
from .symbols import read_symbols

__all__ = ["normalize_text"]

#: Set to True (tests do) to let exceptions from a pass propagate instead of skipping the pass.
_STRICT = False

_PASSES: tuple[Callable[[str, bool], str], ...] = (
    read_urls_and_emails, expand_abbreviations, read_dates, read_times, read_phone_numbers, read_ranges,
    read_currency, read_percentages, read_dimensions, read_units, read_fractions, read_ordinals, read_decades,
    read_years, read_symbols, read_cardinals, read_leftover_digits,
)


def _run(step: Callable[..., str], text: str, *args) -> str:
    """Run one pass; if it fails (a bug), keep its input so the other passes and tidy still apply."""
    try:
        result = step(text, *args)
    except Exception:
        if _STRICT:
            raise
        return text
    return result if isinstance(result, str) else text


def _normalize_paragraph(paragraph: str, british: bool) -> str:
    text = SPACES_RE.sub(" ", paragraph).strip()
    if not text:
        return ""
    text = _run(punctuation_shapes, text)
    for step in _PASSES:
        text = _run(step, text, british)
    return _run(tidy, text)


def normalize_text(text: str, *, british: bool = False) -> str:
    """Raw text -> speakable English (see the module docstring for conventions). Never raises."""
    if not isinstance(text, str):
        return ""
    text = _run(clean_unicode, text)
    paragraphs = (_normalize_paragraph(p, bool(british)) for p in BLANK_LINE_RE.split(text))
    try:
        return "\n\n".join(p for p in paragraphs if p)
    except Exception:
        if _STRICT:
            raise
        return ""
