"""Abbreviations and initialisms (Dr., e.g., U.S.A., Jan.)."""

from __future__ import annotations

import re

from .context import (
    FUNCTION_WORDS,
    MONTHS,
    ONLY_CLOSERS_RE,
    alternation,
    ends_sentence,
    keep_case,
    next_word,
    previous_word,
)

# Kinds: how an expansion behaves.
_TITLE = "title"        # precedes a name (Mr., Prof.); capitalized source only; never ends a sentence
_NAME = "name"          # part of a proper name or address (Jr., Inc., Ave.); capitalized source only
_PLAIN = "plain"        # ordinary word (approx., dept.); any case
_LATIN = "latin"        # e.g., i.e., vs.: ends a sentence only at the end of the paragraph
_STRONG = "strong"      # etc., et al.: a capitalized word after them starts a new sentence
_NUMBERED = "numbered"  # no., p., vol.: only before a number

_ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "e.g": ("for example", _LATIN), "i.e": ("that is", _LATIN), "a.k.a": ("also known as", _LATIN),
    "vs": ("versus", _LATIN), "v": ("versus", _LATIN), "cf": ("compare", _LATIN), "viz": ("namely", _LATIN),
    "etc": ("et cetera", _STRONG), "et al": ("et al", _STRONG),
    "mr": ("Mister", _TITLE), "mrs": ("Missus", _TITLE), "ms": ("Miz", _TITLE), "prof": ("Professor", _TITLE),
    "gen": ("General", _TITLE), "sen": ("Senator", _TITLE), "rep": ("Representative", _TITLE),
    "gov": ("Governor", _TITLE), "capt": ("Captain", _TITLE), "lt": ("Lieutenant", _TITLE),
    "col": ("Colonel", _TITLE), "sgt": ("Sergeant", _TITLE), "rev": ("Reverend", _TITLE),
    "hon": ("Honorable", _TITLE), "pres": ("President", _TITLE), "mt": ("Mount", _TITLE),
    "ft": ("Fort", _TITLE), "messrs": ("Messieurs", _TITLE),
    "jr": ("Junior", _NAME), "sr": ("Senior", _NAME), "inc": ("Incorporated", _NAME), "ltd": ("Limited", _NAME),
    "co": ("Company", _NAME), "corp": ("Corporation", _NAME), "bros": ("Brothers", _NAME),
    "esq": ("Esquire", _NAME), "ave": ("Avenue", _NAME), "blvd": ("Boulevard", _NAME), "rd": ("Road", _NAME),
    "ln": ("Lane", _NAME), "hwy": ("Highway", _NAME), "ph.d": ("PhD", _NAME),
    "approx": ("approximately", _PLAIN), "dept": ("department", _PLAIN), "govt": ("government", _PLAIN),
    "intl": ("international", _PLAIN), "misc": ("miscellaneous", _PLAIN), "avg": ("average", _PLAIN),
    "max": ("maximum", _PLAIN), "apt": ("apartment", _PLAIN), "univ": ("university", _PLAIN),
    "assn": ("association", _PLAIN), "esp": ("especially", _PLAIN), "incl": ("including", _PLAIN),
    "no": ("number", _NUMBERED), "nos": ("numbers", _NUMBERED), "p": ("page", _NUMBERED),
    "pp": ("pages", _NUMBERED), "ch": ("chapter", _NUMBERED), "fig": ("figure", _NUMBERED),
    "figs": ("figures", _NUMBERED), "vol": ("volume", _NUMBERED), "vols": ("volumes", _NUMBERED),
    "ca": ("circa", _NUMBERED), "c": ("circa", _NUMBERED), "ext": ("extension", _NUMBERED),
    "art": ("article", _NUMBERED), "eq": ("equation", _NUMBERED),
    "dr": ("", "dr"), "st": ("", "st"),  # decided by context: Doctor/Drive, Saint/Street
}
_MONTH_ABBREVIATIONS = {m[:3]: m for m in MONTHS if m != "May"} | {"Sept": "September"}
_WEEKDAYS = {"Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
             "Thur": "Thursday", "Thurs": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday"}


_ABBREVIATION_RE = re.compile(rf"(?<![^\W\d_])(?=[A-Za-z. ]{{1,6}}\.)({alternation(_ABBREVIATIONS)})\.", re.IGNORECASE)
_UNDOTTED_TITLE_RE = re.compile(r"(?<![^\W\d_])(?<!\.)(Mr|Mrs|Ms|Dr|Prof|St|Mt)(?=\s+[A-Z])")
_UNDOTTED_LATIN_RE = re.compile(r"(?<![^\W\d_])(?<![.'])(vs|etc|Etc|aka)(?![^\W\d_]|')")
_UNDOTTED_NUMBER_RE = re.compile(r"(?<![^\W\d_])(?<!\.)(No|Nos)(?=\s?\d)")
_WITH_RE = re.compile(r"(?<![\w/])w/o(?![\w/])|(?<![\w/])w/(?=\s)", re.IGNORECASE)
_MONTH_ABBR_RE = re.compile(rf"(?<![^\W\d_])(?<!\.)({alternation(_MONTH_ABBREVIATIONS)})(?:\.|(?=\s+\d))(?![^\W\d_])")
_WEEKDAY_RE = re.compile(rf"(?<![^\W\d_])(?<!\.)({alternation(_WEEKDAYS)})\.(?=,)")
_INITIALISM_RE = re.compile(r"(?=[^\W\d_]\.)(?<![^\W\d_])(?<!\.)((?:[^\W\d_]\.){2,}|(?:[A-Z]\.)+[A-Z](?![^\W\d_]|\.))")
INITIAL_RE = re.compile(r"(?=[A-Z]\.)(?<![^\W\d_])(?<![.'])([A-Z])\.(?=\s+[A-Z])")
_NUMBER_AHEAD_RE = re.compile(r"\s?#?\s?\d")
_DIGIT_BEFORE_RE = re.compile(r"\d\s?\Z")


def _street_or_title(key: str, text: str, start: int, end: int) -> tuple[str, bool]:
    """St. -> Saint/Street, Dr. -> Doctor/Drive, and whether the expansion may end a sentence."""
    prev = previous_word(text, start)
    next_capitalized = next_word(text, end)[:1].isupper()
    prev_is_name = bool(prev) and prev[0].isupper() and prev.lower() not in FUNCTION_WORDS
    if key == "st":
        if prev_is_name or not next_capitalized:
            return "Street", True
        return "Saint", False
    if next_capitalized:
        return "Doctor", False
    if prev_is_name:
        return "Drive", True
    return "doctor", True


def _abbreviation(match: re.Match) -> str:
    """Expand one dotted abbreviation; a space is added when a word follows without one ("St.Louis")."""
    words = _expand_abbreviation(match)
    end = match.end()
    if words != match.group() and end < len(match.string) and match.string[end].isalpha():
        words += " "
    return words


def _expand_abbreviation(match: re.Match) -> str:
    text, source, end = match.string, match.group(1), match.end()
    key = source.lower()
    expansion, kind = _ABBREVIATIONS[key]
    if kind in ("st", "dr"):
        if not source[0].isupper():
            return match.group()
        expansion, may_end = _street_or_title(kind, text, match.start(), end)
        return expansion + ("." if may_end and ends_sentence(text, end) else "")
    if kind in (_TITLE, _NAME) and not source[0].isupper():
        return match.group()
    if kind == _NUMBERED:
        if not _NUMBER_AHEAD_RE.match(text, end) or (key == "c" and source != "c"):
            return match.group()
        return keep_case(source, expansion)
    if key == "v" and (source != "v" or not next_word(text, end)[:1].isupper()):
        return match.group()
    if kind == _TITLE:
        return expansion + ("." if not next_word(text, end) and ends_sentence(text, end) else "")
    if kind == _PLAIN and _DIGIT_BEFORE_RE.search(text, max(0, match.start() - 2), match.start()):
        return match.group()  # "5 max." is left alone
    if kind == _LATIN:
        ends = ONLY_CLOSERS_RE.match(text, end) is not None and not text[end:].strip(" \"')]")
    else:
        ends = ends_sentence(text, end, strong=kind == _STRONG)
    return keep_case(source, expansion) + ("." if ends else "")


def _initialism(match: re.Match) -> str:
    """U.S. -> US (a dot stays when it also ends the sentence); a.m. -> AM."""
    letters = match.group(1)
    ended_with_dot = letters.endswith(".")
    letters = letters.replace(".", "").upper()
    if match.end() < len(match.string) and match.string[match.end()].isalpha():
        return letters + " "
    return letters + ("." if ended_with_dot and ends_sentence(match.string, match.end()) else "")


def initial(match: re.Match) -> str:
    """J. R. R. Tolkien -> J R R Tolkien; 'Plan B. We' keeps its sentence end."""
    return match.group(1) + ("." if ends_sentence(match.string, match.end()) else "")


def _month_abbreviation(match: re.Match) -> str:
    name = _MONTH_ABBREVIATIONS[match.group(1)]
    dotted = match.group().endswith(".")
    ends = dotted and not _NUMBER_AHEAD_RE.match(match.string, match.end()) \
        and ends_sentence(match.string, match.end(), strong=True)
    return name + ("." if ends else "")


def _undotted_title(match: re.Match) -> str:
    source = match.group(1)
    return {"Dr": "Doctor", "St": "Saint"}.get(source) or _ABBREVIATIONS[source.lower()][0]


def expand_abbreviations(text: str, british: bool) -> str:
    if "." in text:
        text = _ABBREVIATION_RE.sub(_abbreviation, text)
        text = _WEEKDAY_RE.sub(lambda m: _WEEKDAYS[m.group(1)], text)
    text = _MONTH_ABBR_RE.sub(_month_abbreviation, text)
    if "." in text:
        text = _INITIALISM_RE.sub(_initialism, text)
        text = INITIAL_RE.sub(initial, text)
    text = _UNDOTTED_TITLE_RE.sub(_undotted_title, text)
    text = _UNDOTTED_NUMBER_RE.sub(lambda m: "Number" if m.group(1) == "No" else "Numbers", text)
    text = _UNDOTTED_LATIN_RE.sub(
        lambda m: keep_case(m.group(1), _ABBREVIATIONS[m.group(1).lower().replace("aka", "a.k.a")][0]), text)
    if "/" in text:
        text = _WITH_RE.sub(lambda m: "without" if m.group().lower() == "w/o" else "with", text)
    return text
