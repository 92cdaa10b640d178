"""Dates, times and phone numbers."""

from __future__ import annotations

import re

from .context import MONTHS, ends_sentence
from .numbers import (
    DIGIT_WORDS,
    INT,
    digit_words,
    int_words,
    n2w,
    ordinal_words,
    pad,
    year_words,
)

_MONTH_ALT = "|".join(MONTHS)
_MONTH_DAY_RE = re.compile(
    rf"\b({_MONTH_ALT})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!:\d|[.,]\d)(?:,?\s+(\d{{4}})\b(?![.,:]\d))?")
_DAY_MONTH_RE = re.compile(
    rf"(?=\d)(?<![\w.,])(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_ALT})\b(?:,?\s+(\d{{4}})\b(?![.,:]\d))?")
_MONTH_YEAR_RE = re.compile(rf"\b({_MONTH_ALT}),?\s+(\d{{4}})\b(?![.,:]\d)")
_ISO_DATE_RE = re.compile(r"(?=\d)(?<![\w./-])(\d{4})([-/.])(\d{2})\2(\d{2})(?![\w/-]|[.:]\d)")
_NUMERIC_DATE_RE = re.compile(
    r"(?=\d)(?<![\w./-])(\d{1,2})(?:(/)(\d{1,2})/(\d{4}|\d{2})|([.-])(\d{1,2})\5(\d{4}))(?![\w/-]|[.:]\d)")


def _date_words(day: int, month: int, year: int | None, day_first: bool, british: bool, the: str = "") -> str:
    """January fifth, twenty twenty-four  /  the fifth of January, twenty twenty-four."""
    month_name = MONTHS[month - 1]
    if day_first:
        words = f"{the}{ordinal_words(str(day), british)} of {month_name}"
    else:
        words = f"{month_name} {ordinal_words(str(day), british)}"
    if year is not None:
        words += f", {year_words(year, british)}"
    return words


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 50 else 1900
    return year


def _month_day(match: re.Match, british: bool) -> str:
    day = int(match.group(2))
    if not 1 <= day <= 31:
        return match.group()
    year = int(match.group(3)) if match.group(3) else None
    return _date_words(day, MONTHS.index(match.group(1)) + 1, year, False, british)


def _day_month(match: re.Match, british: bool) -> str:
    day = int(match.group(1))
    if not 1 <= day <= 31:
        return match.group()
    the = "" if match.string[max(0, match.start() - 4):match.start()].lower().endswith("the ") else "the "
    year = int(match.group(3)) if match.group(3) else None
    return _date_words(day, MONTHS.index(match.group(2)) + 1, year, True, british, the)


def _iso_date(match: re.Match, british: bool) -> str:
    year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group()
    return pad(match, _date_words(day, month, year, False, british))


def _numeric_date(match: re.Match, british: bool) -> str:
    """1/5/2024: month first (US) or day first (british=True, or dotted 5.1.2024); swapped when impossible."""
    if match.group(2):
        first, second, year = int(match.group(1)), int(match.group(3)), _full_year(match.group(4))
        day_first = british
    else:
        first, second, year = int(match.group(1)), int(match.group(6)), int(match.group(7))
        day_first = british or match.group(5) == "."
    if day_first and second > 12 >= first:
        day_first = False
    elif not day_first and first > 12 >= second:
        day_first = True
    day, month = (first, second) if day_first else (second, first)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group()
    return pad(match, _date_words(day, month, year, day_first, british, "the "))


def _month_year(match: re.Match, british: bool) -> str:
    year = int(match.group(2))
    if not 1000 <= year <= 2099:
        return match.group()
    return f"{match.group(1)} {year_words(year, british)}"


def read_dates(text: str, british: bool) -> str:
    if not any(c.isdigit() for c in text):
        return text
    text = _ISO_DATE_RE.sub(lambda m: _iso_date(m, british), text)
    text = _NUMERIC_DATE_RE.sub(lambda m: _numeric_date(m, british), text)
    text = _MONTH_DAY_RE.sub(lambda m: _month_day(m, british), text)
    text = _DAY_MONTH_RE.sub(lambda m: _day_month(m, british), text)
    return _MONTH_YEAR_RE.sub(lambda m: _month_year(m, british), text)


_AMPM = r"(?:\s?(?P<ap>[AaPp])\.?[Mm]\b(?P<dot>\.)?)"
_RANGE_AHEAD = r"(?P<range>\s?[-–]\s?(?=\d))?"
_TIME_RE = re.compile(
    rf"(?=\d)(?<![\w:.,])(?P<h>[01]?\d|2[0-4]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?(?![\d:]|[.,]\d)"
    rf"{_AMPM}?{_RANGE_AHEAD}")
_HOUR_RE = re.compile(rf"(?=\d)(?<![\w:.,])(?P<h>1[0-2]|0?[1-9]){_AMPM}{_RANGE_AHEAD}")
_RATIO_RE = re.compile(rf"(?=\d)(?<![\w:.,])({INT}):({INT})(?![\w:]|[.,]\d)")


def _time(match: re.Match, british: bool) -> str:
    """3:30pm -> three thirty PM, 10:05 -> ten oh five, 7:00 -> seven o'clock, 14:00 -> fourteen hundred."""
    groups = match.groupdict()
    hour, ap = int(groups["h"]), groups["ap"]
    minute = int(groups.get("m") or 0)
    if ap and hour == 0:
        hour = 12
    words = n2w(hour, "cardinal", british)
    if minute == 0:
        if not ap and groups.get("m"):
            words += " o'clock" if 1 <= hour <= 12 else " hundred"
    elif minute < 10:
        words += f" oh {DIGIT_WORDS[minute]}"
    else:
        words += " " + n2w(minute, "cardinal", british)
    if groups.get("s"):
        seconds = int(groups["s"])
        words += f" and {n2w(seconds, 'cardinal', british)} second{'' if seconds == 1 else 's'}"
    if ap:
        words += " AM" if ap in "Aa" else " PM"
        if groups["dot"] and not groups["range"] and ends_sentence(match.string, match.end()):
            words += "."
    if groups["range"]:
        words += " to "
    return pad(match, words)


def read_times(text: str, british: bool) -> str:
    if ":" in text:
        text = _TIME_RE.sub(lambda m: _time(m, british), text)
        text = _RATIO_RE.sub(
            lambda m: pad(m, f"{int_words(m.group(1), british)} to {int_words(m.group(2), british)}"), text)
    return _HOUR_RE.sub(lambda m: _time(m, british), text)


_PHONE_RE = re.compile(
    r"(?=[+(\d])(?<![\w+()-])(?:(\+\d{1,3})[\s.-]?|(1)[\s.-])?"  # country code
    r"(?:\((\d{3})\)\s?|(\d{3})[\s.-])(\d{3})[-.](\d{4})(?![\w-]|\.\d)")


def _phone(match: re.Match) -> str:
    """(555) 123-4567 -> five five five, one two three, four five six seven."""
    groups = [g for g in match.groups() if g]
    return pad(match, ", ".join(("plus " if g.startswith("+") else "") + digit_words(g) for g in groups))


def read_phone_numbers(text: str, british: bool) -> str:
    return _PHONE_RE.sub(_phone, text)
