"""Number words: cardinals, ordinals, years, fractions, decades, and the number patterns other passes share."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from num2words import num2words

from .context import MONTHS, PREV_WORD_RE, next_word

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
#: Longer digit strings are read digit by digit (IDs, card numbers...).
_MAX_CARDINAL_DIGITS = 15
#: Digits grouped with commas are clearly one number: read as a cardinal up to this length.
_MAX_GROUPED_DIGITS = 33

#: An integer, with thousands separators only when they are exact (1,234,567 but not 1,2,3).
INT = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
NUM = rf"(?:{INT}(?:\.\d+)?|(?<![\w.])\.\d+)"
#: A number that starts a token, with a minus sign when one is attached ("-5", not "x-5").
SIGNED = rf"(?=[-.\d])(?P<num>(?:(?<![\w.,-])-)?(?<![\w.,/]){NUM})"




def digit_words(text: str) -> str:
    """'2024' -> 'two zero two four' (any Unicode decimal digit; other characters are ignored)."""
    return " ".join(DIGIT_WORDS[unicodedata.decimal(ch)] for ch in text if unicodedata.decimal(ch, None) is not None)


@lru_cache(maxsize=4096)
def n2w(value: int, to: str, british: bool) -> str:
    """num2words without commas, with US style dropping the 'and' (one hundred five)."""
    try:
        words = num2words(value, to=to, lang="en")
    except Exception:  # OverflowError for absurdly large values, or anything num2words dislikes
        return digit_words(str(value))
    words = words.replace(",", "")
    if not british:
        words = words.replace(" and ", " ")
    return " ".join(words.split())


def int_words(digits: str, british: bool = False) -> str:
    """An integer string (commas allowed) -> words; leading zeros or very long strings digit by digit."""
    limit = _MAX_GROUPED_DIGITS if "," in digits else _MAX_CARDINAL_DIGITS
    digits = digits.replace(",", "")
    if not digits:
        return ""
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > limit:
        return digit_words(digits)
    return n2w(int(digits), "cardinal", british)


def ordinal_words(digits: str, british: bool = False) -> str:
    digits = digits.replace(",", "")
    if len(digits) > _MAX_CARDINAL_DIGITS:
        return digit_words(digits)
    return n2w(int(digits), "ordinal", british)


def number_words(text: str, british: bool = False) -> str:
    """'-1,234.56' -> 'minus one thousand two hundred thirty-four point five six'; '1.2.3' -> versions."""
    negative = text.startswith("-")
    text = text.lstrip("-")
    if text.count(".") > 1:  # a version or an address: 1.10.2 -> one point ten point two
        words = " point ".join(int_words(part, british) for part in text.split(".") if part)
    else:
        whole, _, fraction = text.partition(".")
        words = int_words(whole, british)
        if fraction:
            words = f"{words} point {digit_words(fraction)}".strip()
    return f"minus {words}" if negative else words


def year_words(year: int, british: bool = False) -> str:
    """1999 -> nineteen ninety-nine, 2005 -> two thousand five, 1905 -> nineteen oh five, 1900 -> nineteen hundred."""
    if year < 1000 or year > 9999 or year == 1000 or 2000 <= year <= 2009:
        return n2w(year, "cardinal", british)
    high, low = divmod(year, 100)
    if low == 0:
        return f"{n2w(high, 'cardinal', british)} hundred"
    if low < 10:
        return f"{n2w(high, 'cardinal', british)} oh {DIGIT_WORDS[low]}"
    return f"{n2w(high, 'cardinal', british)} {n2w(low, 'cardinal', british)}"


def _plural(words: str) -> str:
    """Pluralize the last number word: nineteen ninety -> nineteen nineties, six -> sixes."""
    head, _, last = words.rpartition(" ")
    if last.endswith("y"):
        last = last[:-1] + "ies"
    elif last.endswith("x"):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


_PAD_AFTER = frozenset(".,;:!?)…")


def pad(match: re.Match, words: str) -> str:
    """Surround replacement words with spaces where they would otherwise touch a letter or digit."""
    text, start, end = match.string, match.start(), match.end()
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in _PAD_AFTER):
        words = " " + words
    if end < len(text) and text[end].isalnum():
        words += " "
    return words




_MIXED_RE = re.compile(r"(?=\d)(?<![\w.,/])(\d{1,6})\s(\d{1,3})/(\d{1,3})(?![\w/]|[.,]\d)")
_FRACTION_RE = re.compile(r"(?=\d)(?<![\w.,/])(\d{1,9})/(\d{1,9})(?![\w/]|[.,]\d)")
_SPECIAL_FRACTIONS = {"24/7": "twenty-four seven", "9/11": "nine eleven", "50/50": "fifty-fifty",
                      "20/20": "twenty-twenty", "4/4": "four four"}


def _denominator(den: int, plural: bool, british: bool) -> str:
    if den == 2:
        return "halves" if plural else "half"
    if den == 4:
        return "quarters" if plural else "quarter"
    word = n2w(den, "ordinal", british)
    if den == 100:
        word = "hundredth"  # not "one hundredth": three hundredths
    return word + "s" if plural else word


def _fraction_words(num: int, den: int, british: bool) -> str | None:
    if den <= 1 or num >= den or den > 100:
        return None
    return f"{n2w(num, 'cardinal', british)} {_denominator(den, num != 1, british)}"


def read_fractions(text: str, british: bool) -> str:
    if "/" not in text:
        return text

    def mixed(m: re.Match) -> str:
        num, den = int(m.group(2)), int(m.group(3))
        if _fraction_words(num, den, british) is None:
            return m.group()
        part = f"a {_denominator(den, False, british)}" if num == 1 else _fraction_words(num, den, british)
        return pad(m, f"{int_words(m.group(1), british)} and {part}")

    def simple(m: re.Match) -> str:
        if m.group() in _SPECIAL_FRACTIONS:
            return pad(m, _SPECIAL_FRACTIONS[m.group()])
        words = _fraction_words(int(m.group(1)), int(m.group(2)), british)
        if words is None:
            words = f"{int_words(m.group(1), british)} over {int_words(m.group(2), british)}"
        return pad(m, words)

    return _FRACTION_RE.sub(simple, _MIXED_RE.sub(mixed, text))


_ORDINAL_RE = re.compile(r"(?=\d)(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?i:st|nd|rd|th)(?![^\W_])")


def read_ordinals(text: str, british: bool) -> str:
    return _ORDINAL_RE.sub(lambda m: pad(m, ordinal_words(m.group(1), british)), text)


_DECADE_RE = re.compile(r"(?=['\d])(?<![\w.,'])'?(\d{1,4})'?s(?!\w)")
_SHORT_YEAR_RE = re.compile(r"'(?<![\w']')(\d{2})(?![\w']|[.,]\d)")


def read_decades(text: str, british: bool) -> str:
    """1990s -> nineteen nineties, '90s -> nineties, 4s -> fours; '99 -> ninety-nine, '05 -> oh five."""
    def decade(m: re.Match) -> str:
        digits = m.group(1)
        value = int(digits)
        if len(digits) == 4 and 1000 <= value <= 2099 and value % 10 == 0:
            return pad(m, _plural(year_words(value, british)))
        return pad(m, _plural(int_words(digits, british)))

    def short_year(m: re.Match) -> str:
        value = int(m.group(1))
        return pad(m, f"oh {DIGIT_WORDS[value]}" if value < 10 else n2w(value, "cardinal", british))

    text = _DECADE_RE.sub(decade, text)
    if "'" in text:
        text = _SHORT_YEAR_RE.sub(short_year, text)
    return text


_YEAR_RE = re.compile(r"(?=\d)(?<![\w.,$£€¥-])(\d{4})(?![\w]|[.,:/]\d)")
#: Words after which a year is very likely, even before a plural ("in 2024 sales rose").
_STRONG_YEAR_CUES = frozenset(
    "in since until till til before after during circa ca c around year early late mid spring summer autumn fall "
    "winter born died founded anno fy q1 q2 q3 q4".split()) | {m.lower() for m in MONTHS}
#: Words after which a year is likely unless a plural noun follows ("of 1500 apples").
_WEAK_YEAR_CUES = frozenset("by of from to through between and or than".split())
_ERAS = frozenset("BC BCE AD CE".split())
_COUNTED_NOUNS = frozenset(
    "people persons men women children kids students users employees workers members soldiers troops "
    "times things items pieces units copies words pages lines votes points dollars euros pounds yen cents "
    "miles feet meters metres kilometers kilometres years months weeks days hours minutes seconds "
    "calories steps cars homes houses jobs cases deaths copies sheep fish deer".split())
_NOT_PLURAL = frozenset("was is has this its his thus does goes always across unless perhaps whereas towards "
                        "afterwards besides yes us plus less".split())
_STANDALONE_BEFORE = frozenset('(,:;—"')
_STANDALONE_AFTER = frozenset('),.;:!?—"…')


def _looks_plural(word: str) -> bool:
    """A lowercase word that is probably a plural noun being counted: '1500 apples'."""
    return word.islower() and len(word) > 3 and word.endswith("s") and not word.endswith("ss") \
        and word not in _NOT_PLURAL


def _looks_like_year(text: str, start: int, end: int, value: int) -> bool:
    if not 1000 <= value <= 2099:
        return False
    following = next_word(text, end)
    if following in _ERAS:
        return True
    if following.lower() in _COUNTED_NOUNS:
        return False
    before = text[max(0, start - 60):start].rstrip()
    found = PREV_WORD_RE.search(before)
    prev = found.group(1).lower() if found else ""
    if prev in _STRONG_YEAR_CUES:
        return True
    if following and _looks_plural(following):
        return False
    if prev in _WEAK_YEAR_CUES:
        return True
    if value < 1100:
        return False
    after = text[end:end + 2].lstrip()
    sentence_start = not before or before[-1] in ".!?…" or before.endswith(('."', '!"', '?"'))
    standalone = (not before or before[-1] in _STANDALONE_BEFORE) and (not after or after[0] in _STANDALONE_AFTER)
    return sentence_start or standalone


def read_years(text: str, british: bool) -> str:
    def year(m: re.Match) -> str:
        value = int(m.group(1))
        if _looks_like_year(m.string, m.start(), m.end(), value):
            return pad(m, year_words(value, british))
        return m.group()

    return _YEAR_RE.sub(year, text)




_CARDINAL_RE = re.compile(
    r"(?=[-.\d])(?P<sign>(?<![\w.,-])-)?(?<!\d)"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d+|(?<![\w.])(?=\.\d))"  # the empty case: ".5" has no whole part
    r"(?P<frac>(?:\.\d+)+)?")
_ANY_DIGIT_RE = re.compile(r"\d+")


def _cardinal(match: re.Match, british: bool) -> str:
    number = match.group("num") + (match.group("frac") or "")
    words = number_words(number, british)
    if match.group("sign"):
        words = "minus " + words
    return pad(match, words)


def read_cardinals(text: str, british: bool) -> str:
    return _CARDINAL_RE.sub(lambda m: _cardinal(m, british), text)


def read_leftover_digits(text: str, british: bool) -> str:
    """Safety net: any digit that no pass consumed (or a skipped pass left) is read digit by digit."""
    return _ANY_DIGIT_RE.sub(lambda m: pad(m, digit_words(m.group())), text)
