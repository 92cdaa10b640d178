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
catastrophically: time grows linearly with the text (10,000 words of dense
mixed text take under 0.1 s on CPython).

Order of passes (each pass is one small function; earlier passes consume
patterns that a later, more generic pass would misread):

1. ``_clean_unicode`` (whole text): HTML entities, vulgar fractions and
   superscripts, NFKC, smart quotes and apostrophes, dash variants; control
   characters, zero-width characters, emoji and other pictographs go.
2. Split into paragraphs at blank lines; collapse other whitespace. Then, per
   paragraph, ``_punctuation_shapes``: ellipses, em dashes, runs of marks,
   and the signs that prefix a number (~5, #1).
3. ``_urls_and_emails``: first, because they hold dots, slashes, digits and @.
4. ``_abbreviations``: dotted abbreviations and initialisms, before any pass
   reads a "." as a decimal point or a sentence end; also expands "Jan." so
   that dates see full month names.
5. ``_dates``, ``_times``, ``_phone_numbers``: before fractions and ranges
   would misread 1/5/2024, 2024-01-05, 10:30 or (555) 123-4567.
6. ``_ranges``: "5-10" -> "5 to 10", so that currency and units attach to
   each end ("$5-10" -> "five dollars to ten").
7. ``_currency``, ``_percentages``, ``_dimensions``, ``_units``: a number with
   its symbol or unit, so that the unit agrees (one kilometer, two kilometers).
8. ``_fractions``, ``_ordinals``, ``_decades``, ``_years``.
9. ``_symbols``: & + = @ / ^ and friends.
10. ``_cardinals``: every number still left (negatives, decimals, versions),
    then ``_leftover_digits`` as a safety net.
11. ``_tidy``: drop what cannot be spoken, fix spacing around punctuation.

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

import html
import re
import unicodedata
from functools import lru_cache
from typing import Callable

from num2words import num2words

__all__ = ["normalize_text"]

#: Set to True (tests do) to let exceptions from a pass propagate instead of skipping the pass.
_STRICT = False

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
#: Longer digit strings are read digit by digit (IDs, card numbers...).
_MAX_CARDINAL_DIGITS = 15
#: Digits grouped with commas are clearly one number: read as a cardinal up to this length.
_MAX_GROUPED_DIGITS = 33

#: An integer, with thousands separators only when they are exact (1,234,567 but not 1,2,3).
_INT = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
_NUM = rf"(?:{_INT}(?:\.\d+)?|(?<![\w.])\.\d+)"
#: A number that starts a token, with a minus sign when one is attached ("-5", not "x-5").
_SIGNED = rf"(?=[-.\d])(?P<num>(?:(?<![\w.,-])-)?(?<![\w.,/]){_NUM})"

# =====================================================================================
# Number words
# =====================================================================================


def _digits(text: str) -> str:
    """'2024' -> 'two zero two four' (any Unicode decimal digit; other characters are ignored)."""
    return " ".join(DIGIT_WORDS[unicodedata.decimal(ch)] for ch in text if unicodedata.decimal(ch, None) is not None)


@lru_cache(maxsize=4096)
def _n2w(value: int, to: str, british: bool) -> str:
    """num2words without commas, with US style dropping the 'and' (one hundred five)."""
    try:
        words = num2words(value, to=to, lang="en")
    except Exception:  # OverflowError for absurdly large values, or anything num2words dislikes
        return _digits(str(value))
    words = words.replace(",", "")
    if not british:
        words = words.replace(" and ", " ")
    return " ".join(words.split())


def _int_words(digits: str, british: bool = False) -> str:
    """An integer string (commas allowed) -> words; leading zeros or very long strings digit by digit."""
    limit = _MAX_GROUPED_DIGITS if "," in digits else _MAX_CARDINAL_DIGITS
    digits = digits.replace(",", "")
    if not digits:
        return ""
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > limit:
        return _digits(digits)
    return _n2w(int(digits), "cardinal", british)


def _ordinal_words(digits: str, british: bool = False) -> str:
    digits = digits.replace(",", "")
    if len(digits) > _MAX_CARDINAL_DIGITS:
        return _digits(digits)
    return _n2w(int(digits), "ordinal", british)


def _number_words(text: str, british: bool = False) -> str:
    """'-1,234.56' -> 'minus one thousand two hundred thirty-four point five six'; '1.2.3' -> versions."""
    negative = text.startswith("-")
    text = text.lstrip("-")
    if text.count(".") > 1:  # a version or an address: 1.10.2 -> one point ten point two
        words = " point ".join(_int_words(part, british) for part in text.split(".") if part)
    else:
        whole, _, fraction = text.partition(".")
        words = _int_words(whole, british)
        if fraction:
            words = f"{words} point {_digits(fraction)}".strip()
    return f"minus {words}" if negative else words


def _year_words(year: int, british: bool = False) -> str:
    """1999 -> nineteen ninety-nine, 2005 -> two thousand five, 1905 -> nineteen oh five, 1900 -> nineteen hundred."""
    if year < 1000 or year > 9999 or year == 1000 or 2000 <= year <= 2009:
        return _n2w(year, "cardinal", british)
    high, low = divmod(year, 100)
    if low == 0:
        return f"{_n2w(high, 'cardinal', british)} hundred"
    if low < 10:
        return f"{_n2w(high, 'cardinal', british)} oh {DIGIT_WORDS[low]}"
    return f"{_n2w(high, 'cardinal', british)} {_n2w(low, 'cardinal', british)}"


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


def _pad(match: re.Match, words: str) -> str:
    """Surround replacement words with spaces where they would otherwise touch a letter or digit."""
    text, start, end = match.string, match.start(), match.end()
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in _PAD_AFTER):
        words = " " + words
    if end < len(text) and text[end].isalnum():
        words += " "
    return words


# =====================================================================================
# Context helpers
# =====================================================================================

#: Capitalized words that very likely start a new sentence after an ambiguous "U.S." or "Plan B."
_SENTENCE_STARTERS = frozenset(
    "I We You He She It They The A An This That These Those There Then But And So Or Yet If When While What "
    "Why How Who Where Which My Our Your His Her Its Their In On At For As After Before Also However Meanwhile "
    "Some Many Most All No Not Yes Now Here Today Still Even Just Only Let Please Thanks Thank Each Every".split())
_FUNCTION_WORDS = frozenset(
    "the a an in on at to of from by for with and or but near on into onto off via past visit visited".split())
_NEXT_WORD_RE = re.compile(r"""\s+["'(]*([^\W\d_][\w'-]*)""")
_ONLY_CLOSERS_RE = re.compile(r"""["')\]\s]*\Z""")
_PREV_WORD_RE = re.compile(r"([^\W\d_][\w'-]*)\s*\Z")


def _ends_sentence(text: str, pos: int, strong: bool = False) -> bool:
    """Whether a dot that ended at ``pos`` also ends the sentence.

    True at the end of the paragraph. Before a capitalized word: always when
    ``strong`` (etc., et al.), else only when that word is a typical sentence
    starter ("in the U.S. We" vs "the U.S. Army").
    """
    rest = text[pos:pos + 40]
    if _ONLY_CLOSERS_RE.match(rest) and (len(text) - pos <= 40 or not text[pos:].strip(" \"')]")):
        return True
    nxt = _NEXT_WORD_RE.match(rest)
    if not nxt or not nxt.group(1)[0].isupper():
        return False
    return strong or nxt.group(1) in _SENTENCE_STARTERS


def _next_word(text: str, pos: int) -> str:
    nxt = _NEXT_WORD_RE.match(text, pos, min(len(text), pos + 60))
    return nxt.group(1) if nxt else ""


def _previous_word(text: str, pos: int) -> str | None:
    """The word before ``pos``; None at the start of a sentence or clause."""
    before = text[max(0, pos - 60):pos].rstrip()
    if not before or before[-1] in '.!?;:"(—…':
        return None
    found = _PREV_WORD_RE.search(before)
    return found.group(1) if found else ""


def _keep_case(source: str, expansion: str) -> str:
    """Capitalize the expansion when the source abbreviation was capitalized."""
    if source[:1].isupper() and expansion[:1].islower():
        return expansion[0].upper() + expansion[1:]
    return expansion


# =====================================================================================
# 1. Unicode cleanup
# =====================================================================================

_VULGAR_FRACTIONS = "¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
_VULGAR_RE = re.compile(rf"(\d?)([{_VULGAR_FRACTIONS}])")
_SUPERSCRIPT_RE = re.compile(r"[²³]")
#: Characters mapped before NFKC (which would turn ™ into TM or ² into 2).
_PRE_NFKC = str.maketrans({"™": " ", "®": " ", "©": " ", "℠": " ", "´": "'", "ʼ": "'"})
#: Non-ASCII symbols that later passes turn into words; every other symbol (emoji...) becomes a space.
_KEEP_SYMBOLS = frozenset("°£€¥¢₹₩₽×÷±≈≠≤≥→§")
_CHAR_MAP = {
    # quotes and apostrophes
    "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "″": '"', "〝": '"', "〞": '"',
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "‹": '"', "›": '"', "ʹ": "'",
    # dashes: hyphens stay hyphens, en dashes are decided later, the rest are pauses
    "‐": "-", "‑": "-", "−": "-", "–": "–", "—": " — ", "―": " — ", "⸺": " — ", "⸻": " — ", "‒": " — ",
    # other punctuation with a spoken or prosodic equivalent
    "…": "…", "。": ".", "、": ",", "·": " ", "•": " ", "¿": "", "¡": "", "‰": " per mille ", "¶": " ",
    "†": " ", "‡": " ", "⁄": "/", "∕": "/", "∶": ":",
    # whitespace
    "\t": " ", "\n": "\n", "\r": "\n", "\v": "\n", "\f": "\n", "\x1c": "\n", "\x1d": "\n", "\x1e": "\n",
    "\x1f": " ", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n",
}


class _CharTable(dict):
    """str.translate table that decides each new character once, by Unicode category."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        self[code] = value = self._decide(ch)
        return value

    @staticmethod
    def _decide(ch: str) -> str | None:
        if ch in _CHAR_MAP:
            return _CHAR_MAP[ch]
        if ch.isascii() and ch.isprintable():
            return ch
        category = unicodedata.category(ch)
        if category == "Nd":
            return str(unicodedata.decimal(ch))
        if category[0] == "L":
            return ch
        if category in ("Mn", "Mc"):
            # variation selectors (emoji presentation) go; accents on letters stay
            return None if 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF else ch
        if category[0] == "Z":
            return " "
        if category[0] == "P":
            return ch if ch.isascii() else " "
        if category[0] == "S" or category == "No":
            return ch if ch in _KEEP_SYMBOLS else " "
        return None  # Cc, Cf, Cs, Co, Cn, Me: controls, zero-width and emoji glue, private use


_CHAR_TABLE = _CharTable()
#: Generic combining diacritics that follow no letter (after a space, or stacked "Zalgo" marks).
_STRAY_MARKS_RE = re.compile(r"(?:(?<=\W)|^)[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_MAX_TABLE = 20000  # keep the lazily filled table bounded for adversarial input


def _vulgar(match: re.Match) -> str:
    fraction = unicodedata.normalize("NFKC", match.group(2)).replace("⁄", "/")
    return f"{match.group(1)} {fraction}" if match.group(1) else fraction


def _clean_unicode(text: str) -> str:
    if "&" in text and ";" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = _VULGAR_RE.sub(_vulgar, text)
        text = _SUPERSCRIPT_RE.sub(lambda m: "^2" if m.group() == "²" else "^3", text)
        text = unicodedata.normalize("NFKC", text.translate(_PRE_NFKC))
    if len(_CHAR_TABLE) > _MAX_TABLE:
        _CHAR_TABLE.clear()
    text = text.translate(_CHAR_TABLE)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)  # removed characters may let accents compose again
        text = _STRAY_MARKS_RE.sub("", text)
    return text


_ELLIPSIS_RE = re.compile(r"\.(?:\s?\.){2,}")
_DOUBLE_DOT_RE = re.compile(r"\.\s?\.(?!\d)")
_EN_DASH_RANGE_RE = re.compile(r"(?<=\d)\s?–\s?(?=[$£€¥]?\d)")
_DASH_RE = re.compile(r"\s+-{1,2}\s+|-{2,}|–")
_TEX_QUOTES_RE = re.compile(r"``|''")
_PUNCTUATION_RUN_RE = re.compile(r"[,;:.!?…](?:\s*[,;:.!?…])+")
#: Before the passes, a run may not start with "." (that dot may belong to an abbreviation: "etc.,").
_EARLY_PUNCTUATION_RUN_RE = re.compile(r"[,;:!?…](?:\s*[,;:.!?…])+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r" +(?=[,!?;:)…]|\.(?![^\W_]))")
_ABOUT_RE = re.compile(r"~\s?(?=[-\d$£€¥.])")
_NUMBER_SIGN_RE = re.compile(r"#\s?(?=\d)")
_BLANK_LINE_RE = re.compile(r"\n\s*\n")
_SPACES_RE = re.compile(r"\s+")


def _merge_punctuation(match: re.Match) -> str:
    """A run of marks keeps the strongest: '!!!' -> '!', ',.' -> '.', '?!' and 'what…?' stay."""
    marks = [ch for ch in match.group() if not ch.isspace()]
    if marks[0] == "." and marks[1] in ",;:":
        marks = marks[1:]  # an abbreviation's dot before a comma: "Fig., and" -> "Fig, and"
    loud = "".join(dict.fromkeys(ch for ch in marks if ch in "?!"))
    if loud:
        return ("…" if marks[0] == "…" else "") + loud
    for mark in "….;:":
        if mark in marks:
            return mark
    return ","


def _punctuation_shapes(text: str) -> str:
    """Ellipses to '…'; '--', spaced hyphens and en dashes between words to an em dash; ``x'' to "x".

    Also the signs that prefix a number (~5 -> about 5, #1 -> number 1), before number passes consume it.
    """
    text = _DOUBLE_DOT_RE.sub(".", _ELLIPSIS_RE.sub("…", text))
    text = _SPACE_BEFORE_PUNCT_RE.sub("", text)
    text = _EARLY_PUNCTUATION_RUN_RE.sub(_merge_punctuation, text)
    if "~" in text:
        text = _ABOUT_RE.sub("about ", text)
    if "#" in text:
        text = _NUMBER_SIGN_RE.sub("number ", text)
    text = _EN_DASH_RANGE_RE.sub("-", text)
    if "`" in text or "''" in text:
        text = _TEX_QUOTES_RE.sub('"', text).replace("`", "'")
    return _DASH_RE.sub(" — ", text)


# =====================================================================================
# 3. URLs and e-mail addresses
# =====================================================================================

_TLDS = ("com|org|net|edu|gov|mil|int|io|ai|dev|app|co|uk|de|fr|info|biz|tv|ly|gg|xyz|ca|au|jp|eu|nl|ru|"
         "tech|online|site|blog|news|shop|store|cloud|page")
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![\w-])")
_URL_RE = re.compile(
    r"(?<![^\W\d_])(?<![.@/-])(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]{}]+"
    rf"|(?<![\w.@/-])(?:[a-z0-9][a-z0-9-]{{0,62}}\.){{1,8}}(?:{_TLDS})\b(?:/[^\s<>\"'()\[\]{{}}]*)?",
    re.IGNORECASE,
)
_TLD_HINT_RE = re.compile(rf"\.(?:{_TLDS})\b", re.IGNORECASE)
_URL_PIECE_RE = re.compile(r"[^\W\d_]+|\d+|.", re.S)
_URL_SYMBOLS = {".": "dot", "/": "slash", "-": "dash", "_": "underscore", "@": "at", ":": "colon",
                "~": "tilde", "+": "plus", "=": "equals", "&": "and", "%": "percent"}
_SCHEME_RE = re.compile(r"^[a-z]+://(?:www\.)?|^www\.", re.IGNORECASE)
_QUERY_RE = re.compile(r"[?#]")


def _speak_address(address: str) -> str:
    """'example.com/a_b' -> 'example dot com slash a underscore b'."""
    words = []
    for piece in _URL_PIECE_RE.findall(address):
        if piece.isdigit():
            words.append(_int_words(piece) if len(piece) <= 4 else _digits(piece))
        elif piece[0].isalpha():
            words.append(piece)
        elif piece in _URL_SYMBOLS:
            words.append(_URL_SYMBOLS[piece])
    return " ".join(words)


def _url(match: re.Match) -> str:
    url = match.group()
    core = url.rstrip(".,;:!?'\")")
    trailing = url[len(core):]
    core = _SCHEME_RE.sub("", core)
    core = _QUERY_RE.split(core, maxsplit=1)[0].rstrip("/")  # query strings and fragments are not read
    return _pad(match, _speak_address(core) + trailing)


def _urls_and_emails(text: str, british: bool) -> str:
    if "@" in text:
        text = _EMAIL_RE.sub(lambda m: _pad(m, _speak_address(m.group())), text)
    if "://" in text or "www." in text or _TLD_HINT_RE.search(text):
        text = _URL_RE.sub(_url, text)
    return text


# =====================================================================================
# 4. Abbreviations and initialisms
# =====================================================================================

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
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_MONTH_ABBREVIATIONS = {m[:3]: m for m in _MONTHS if m != "May"} | {"Sept": "September"}
_WEEKDAYS = {"Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
             "Thur": "Thursday", "Thurs": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday"}


def _alternation(keys) -> str:
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))


_ABBREVIATION_RE = re.compile(rf"(?<![^\W\d_])(?=[A-Za-z. ]{{1,6}}\.)({_alternation(_ABBREVIATIONS)})\.", re.IGNORECASE)
_UNDOTTED_TITLE_RE = re.compile(r"(?<![^\W\d_])(?<!\.)(Mr|Mrs|Ms|Dr|Prof|St|Mt)(?=\s+[A-Z])")
_UNDOTTED_LATIN_RE = re.compile(r"(?<![^\W\d_])(?<![.'])(vs|etc|Etc|aka)(?![^\W\d_]|')")
_UNDOTTED_NUMBER_RE = re.compile(r"(?<![^\W\d_])(?<!\.)(No|Nos)(?=\s?\d)")
_WITH_RE = re.compile(r"(?<![\w/])w/o(?![\w/])|(?<![\w/])w/(?=\s)", re.IGNORECASE)
_MONTH_ABBR_RE = re.compile(rf"(?<![^\W\d_])(?<!\.)({_alternation(_MONTH_ABBREVIATIONS)})(?:\.|(?=\s+\d))(?![^\W\d_])")
_WEEKDAY_RE = re.compile(rf"(?<![^\W\d_])(?<!\.)({_alternation(_WEEKDAYS)})\.(?=,)")
_INITIALISM_RE = re.compile(r"(?=[^\W\d_]\.)(?<![^\W\d_])(?<!\.)((?:[^\W\d_]\.){2,}|(?:[A-Z]\.)+[A-Z](?![^\W\d_]|\.))")
_INITIAL_RE = re.compile(r"(?=[A-Z]\.)(?<![^\W\d_])(?<![.'])([A-Z])\.(?=\s+[A-Z])")
_NUMBER_AHEAD_RE = re.compile(r"\s?#?\s?\d")
_DIGIT_BEFORE_RE = re.compile(r"\d\s?\Z")


def _street_or_title(key: str, text: str, start: int, end: int) -> tuple[str, bool]:
    """St. -> Saint/Street, Dr. -> Doctor/Drive, and whether the expansion may end a sentence."""
    prev = _previous_word(text, start)
    next_capitalized = _next_word(text, end)[:1].isupper()
    prev_is_name = bool(prev) and prev[0].isupper() and prev.lower() not in _FUNCTION_WORDS
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
        return expansion + ("." if may_end and _ends_sentence(text, end) else "")
    if kind in (_TITLE, _NAME) and not source[0].isupper():
        return match.group()
    if kind == _NUMBERED:
        if not _NUMBER_AHEAD_RE.match(text, end) or (key == "c" and source != "c"):
            return match.group()
        return _keep_case(source, expansion)
    if key == "v" and (source != "v" or not _next_word(text, end)[:1].isupper()):
        return match.group()
    if kind == _TITLE:
        return expansion + ("." if not _next_word(text, end) and _ends_sentence(text, end) else "")
    if kind == _PLAIN and _DIGIT_BEFORE_RE.search(text, max(0, match.start() - 2), match.start()):
        return match.group()  # "5 max." is left alone
    if kind == _LATIN:
        ends = _ONLY_CLOSERS_RE.match(text, end) is not None and not text[end:].strip(" \"')]")
    else:
        ends = _ends_sentence(text, end, strong=kind == _STRONG)
    return _keep_case(source, expansion) + ("." if ends else "")


def _initialism(match: re.Match) -> str:
    """U.S. -> US (a dot stays when it also ends the sentence); a.m. -> AM."""
    letters = match.group(1)
    ended_with_dot = letters.endswith(".")
    letters = letters.replace(".", "").upper()
    if match.end() < len(match.string) and match.string[match.end()].isalpha():
        return letters + " "
    return letters + ("." if ended_with_dot and _ends_sentence(match.string, match.end()) else "")


def _initial(match: re.Match) -> str:
    """J. R. R. Tolkien -> J R R Tolkien; 'Plan B. We' keeps its sentence end."""
    return match.group(1) + ("." if _ends_sentence(match.string, match.end()) else "")


def _month_abbreviation(match: re.Match) -> str:
    name = _MONTH_ABBREVIATIONS[match.group(1)]
    dotted = match.group().endswith(".")
    ends = dotted and not _NUMBER_AHEAD_RE.match(match.string, match.end()) \
        and _ends_sentence(match.string, match.end(), strong=True)
    return name + ("." if ends else "")


def _undotted_title(match: re.Match) -> str:
    source = match.group(1)
    return {"Dr": "Doctor", "St": "Saint"}.get(source) or _ABBREVIATIONS[source.lower()][0]


def _abbreviations(text: str, british: bool) -> str:
    if "." in text:
        text = _ABBREVIATION_RE.sub(_abbreviation, text)
        text = _WEEKDAY_RE.sub(lambda m: _WEEKDAYS[m.group(1)], text)
    text = _MONTH_ABBR_RE.sub(_month_abbreviation, text)
    if "." in text:
        text = _INITIALISM_RE.sub(_initialism, text)
        text = _INITIAL_RE.sub(_initial, text)
    text = _UNDOTTED_TITLE_RE.sub(_undotted_title, text)
    text = _UNDOTTED_NUMBER_RE.sub(lambda m: "Number" if m.group(1) == "No" else "Numbers", text)
    text = _UNDOTTED_LATIN_RE.sub(
        lambda m: _keep_case(m.group(1), _ABBREVIATIONS[m.group(1).lower().replace("aka", "a.k.a")][0]), text)
    if "/" in text:
        text = _WITH_RE.sub(lambda m: "without" if m.group().lower() == "w/o" else "with", text)
    return text


# =====================================================================================
# 5. Dates, times, phone numbers
# =====================================================================================

_MONTH_ALT = "|".join(_MONTHS)
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
    month_name = _MONTHS[month - 1]
    if day_first:
        words = f"{the}{_ordinal_words(str(day), british)} of {month_name}"
    else:
        words = f"{month_name} {_ordinal_words(str(day), british)}"
    if year is not None:
        words += f", {_year_words(year, british)}"
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
    return _date_words(day, _MONTHS.index(match.group(1)) + 1, year, False, british)


def _day_month(match: re.Match, british: bool) -> str:
    day = int(match.group(1))
    if not 1 <= day <= 31:
        return match.group()
    the = "" if match.string[max(0, match.start() - 4):match.start()].lower().endswith("the ") else "the "
    year = int(match.group(3)) if match.group(3) else None
    return _date_words(day, _MONTHS.index(match.group(2)) + 1, year, True, british, the)


def _iso_date(match: re.Match, british: bool) -> str:
    year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group()
    return _pad(match, _date_words(day, month, year, False, british))


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
    return _pad(match, _date_words(day, month, year, day_first, british, "the "))


def _month_year(match: re.Match, british: bool) -> str:
    year = int(match.group(2))
    if not 1000 <= year <= 2099:
        return match.group()
    return f"{match.group(1)} {_year_words(year, british)}"


def _dates(text: str, british: bool) -> str:
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
_RATIO_RE = re.compile(rf"(?=\d)(?<![\w:.,])({_INT}):({_INT})(?![\w:]|[.,]\d)")


def _time(match: re.Match, british: bool) -> str:
    """3:30pm -> three thirty PM, 10:05 -> ten oh five, 7:00 -> seven o'clock, 14:00 -> fourteen hundred."""
    groups = match.groupdict()
    hour, ap = int(groups["h"]), groups["ap"]
    minute = int(groups.get("m") or 0)
    if ap and hour == 0:
        hour = 12
    words = _n2w(hour, "cardinal", british)
    if minute == 0:
        if not ap and groups.get("m"):
            words += " o'clock" if 1 <= hour <= 12 else " hundred"
    elif minute < 10:
        words += f" oh {DIGIT_WORDS[minute]}"
    else:
        words += " " + _n2w(minute, "cardinal", british)
    if groups.get("s"):
        seconds = int(groups["s"])
        words += f" and {_n2w(seconds, 'cardinal', british)} second{'' if seconds == 1 else 's'}"
    if ap:
        words += " AM" if ap in "Aa" else " PM"
        if groups["dot"] and not groups["range"] and _ends_sentence(match.string, match.end()):
            words += "."
    if groups["range"]:
        words += " to "
    return _pad(match, words)


def _times(text: str, british: bool) -> str:
    if ":" in text:
        text = _TIME_RE.sub(lambda m: _time(m, british), text)
        text = _RATIO_RE.sub(
            lambda m: _pad(m, f"{_int_words(m.group(1), british)} to {_int_words(m.group(2), british)}"), text)
    return _HOUR_RE.sub(lambda m: _time(m, british), text)


_PHONE_RE = re.compile(
    r"(?=[+(\d])(?<![\w+()-])(?:(\+\d{1,3})[\s.-]?|(1)[\s.-])?"  # country code
    r"(?:\((\d{3})\)\s?|(\d{3})[\s.-])(\d{3})[-.](\d{4})(?![\w-]|\.\d)")


def _phone(match: re.Match) -> str:
    """(555) 123-4567 -> five five five, one two three, four five six seven."""
    groups = [g for g in match.groups() if g]
    return _pad(match, ", ".join(("plus " if g.startswith("+") else "") + _digits(g) for g in groups))


def _phone_numbers(text: str, british: bool) -> str:
    return _PHONE_RE.sub(_phone, text)


# =====================================================================================
# 6-7. Ranges, money, percentages, dimensions, units
# =====================================================================================

_RANGE_RE = re.compile(
    rf"(?=\d)(?<![\w.,:/-])(?P<a>{_INT}(?:\.\d+)?)-(?P<b>[$£€¥]?{_INT}(?:\.\d+)?)(?![\d-]|[/:.]\d)")


def _range(match: re.Match, british: bool) -> str:
    """5-10 -> 5 to 10 (later passes read the numbers); year ranges are read as years at once."""
    left, right = match.group("a"), match.group("b")
    if left.isdigit() and len(left) == 4 and 1100 <= int(left) <= 2099 and right.isdigit():
        if len(right) == 2:  # 1990-95
            return _pad(match, f"{_year_words(int(left), british)} to {_n2w(int(right), 'cardinal', british)}")
        if len(right) == 4 and int(left) < int(right) <= 2099:
            return _pad(match, f"{_year_words(int(left), british)} to {_year_words(int(right), british)}")
    return f"{left} to {right}"


def _ranges(text: str, british: bool) -> str:
    return _RANGE_RE.sub(lambda m: _range(m, british), text) if "-" in text else text


#: symbol -> (singular, plural, minor singular, minor plural)
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"), "US$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"), "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None), "₹": ("rupee", "rupees", "paisa", "paise"),
    "₩": ("won", "won", None, None), "₽": ("ruble", "rubles", "kopek", "kopeks"),
}
_SCALES = {"k": "thousand", "m": "million", "mn": "million", "b": "billion", "bn": "billion", "t": "trillion",
           "tn": "trillion", "thousand": "thousand", "million": "million", "billion": "billion",
           "trillion": "trillion"}
_SCALE = r"(?:(?P<scale>[KkMmBbTt]n?)(?![\w'])|\s(?P<scaleword>thousand|million|billion|trillion)\b)"
_CURRENCY_RE = re.compile(
    rf"(?=[-$£€¥₹₩₽U])(?P<neg>(?<![\w.,-])-)?(?<![\w$])(?P<cur>US\$|[$£€¥₹₩₽])\s?(?P<num>{_NUM}){_SCALE}?")
_CURRENCY_AFTER_RE = re.compile(rf"{_SIGNED}\s?(?P<cur>[€£$¥₹₩₽])(?![\w$€£¥])")
_CENTS_RE = re.compile(rf"{_SIGNED}\s?¢")


def _money(number: str, currency: str, scale: str | None, british: bool) -> str:
    negative = number.startswith("-")
    number = number.lstrip("-").replace(",", "")
    one, many, minor_one, minor_many = _CURRENCIES[currency]
    sign = "minus " if negative else ""
    if scale:
        return f"{sign}{_number_words(number, british)} {_SCALES[scale.lower()]} {many}"
    whole, _, fraction = number.partition(".")
    if fraction and (len(fraction) > 2 or minor_one is None):
        return f"{sign}{_number_words(number, british)} {many}"
    whole = whole or "0"
    cents = int(fraction.ljust(2, "0")) if fraction else 0
    parts = []
    if whole.strip("0") or not cents:
        parts.append(f"{_int_words(whole, british)} {one if whole.lstrip('0') == '1' else many}")
    if cents:
        parts.append(f"{_n2w(cents, 'cardinal', british)} {minor_one if cents == 1 else minor_many}")
    return sign + " and ".join(parts)


def _currency(text: str, british: bool) -> str:
    def before(m: re.Match) -> str:
        number = ("-" if m.group("neg") else "") + m.group("num")
        return _pad(m, _money(number, m.group("cur"), m.group("scale") or m.group("scaleword"), british))

    def after(m: re.Match) -> str:
        return _pad(m, _money(m.group("num"), m.group("cur"), None, british))

    def cents(m: re.Match) -> str:
        number = m.group("num")
        return _pad(m, f"{_number_words(number, british)} {'cent' if number.lstrip('-') == '1' else 'cents'}")

    text = _CURRENCY_RE.sub(before, text)
    text = _CURRENCY_AFTER_RE.sub(after, text)
    return _CENTS_RE.sub(cents, text)


_PERCENT_RE = re.compile(rf"{_SIGNED}\s?%")


def _percentages(text: str, british: bool) -> str:
    if "%" not in text:
        return text
    return _PERCENT_RE.sub(lambda m: _pad(m, f"{_number_words(m.group('num'), british)} percent"), text)


_BY_RE = re.compile(r"(?=[\sx])(?<=\d)\s?x\s?(?=\d)")
_TIMES_RE = re.compile(r"x(?<=\dx)(?![\w])")


def _dimensions(text: str, british: bool) -> str:
    """1920x1080 -> 1920 by 1080; 5x faster -> 5 times faster."""
    if "x" not in text:
        return text
    return _TIMES_RE.sub(" times", _BY_RE.sub(" by ", text))


# unit spellings -> (singular, plural); names use US spelling, _british() adapts them.
_UNIT_TABLE: list[tuple[str, str, str]] = [
    ("nm", "nanometer", "nanometers"), ("μm", "micrometer", "micrometers"), ("mm", "millimeter", "millimeters"),
    ("cm", "centimeter", "centimeters"), ("m", "meter", "meters"), ("km", "kilometer", "kilometers"),
    ("in", "inch", "inches"), ("ft", "foot", "feet"), ("yd", "yard", "yards"), ("yds", "yard", "yards"),
    ("mi", "mile", "miles"),
    ("mg", "milligram", "milligrams"), ("μg", "microgram", "micrograms"), ("g", "gram", "grams"),
    ("kg", "kilogram", "kilograms"), ("lb", "pound", "pounds"), ("lbs", "pound", "pounds"),
    ("oz", "ounce", "ounces"),
    ("ml", "milliliter", "milliliters"), ("mL", "milliliter", "milliliters"), ("cl", "centiliter", "centiliters"),
    ("l", "liter", "liters"), ("L", "liter", "liters"), ("gal", "gallon", "gallons"),
    ("tsp", "teaspoon", "teaspoons"), ("tbsp", "tablespoon", "tablespoons"), ("fl oz", "fluid ounce", "fluid ounces"),
    ("mph", "mile per hour", "miles per hour"), ("km/h", "kilometer per hour", "kilometers per hour"),
    ("kph", "kilometer per hour", "kilometers per hour"), ("kmh", "kilometer per hour", "kilometers per hour"),
    ("m/s", "meter per second", "meters per second"), ("ft/s", "foot per second", "feet per second"),
    ("KB", "kilobyte", "kilobytes"), ("kB", "kilobyte", "kilobytes"), ("MB", "megabyte", "megabytes"),
    ("GB", "gigabyte", "gigabytes"), ("TB", "terabyte", "terabytes"), ("PB", "petabyte", "petabytes"),
    ("Kb", "kilobit", "kilobits"), ("Mb", "megabit", "megabits"), ("Gb", "gigabit", "gigabits"),
    ("kbps", "kilobit per second", "kilobits per second"), ("Kbps", "kilobit per second", "kilobits per second"),
    ("Mbps", "megabit per second", "megabits per second"), ("Gbps", "gigabit per second", "gigabits per second"),
    ("MB/s", "megabyte per second", "megabytes per second"), ("GB/s", "gigabyte per second", "gigabytes per second"),
    ("Hz", "hertz", "hertz"), ("kHz", "kilohertz", "kilohertz"), ("MHz", "megahertz", "megahertz"),
    ("GHz", "gigahertz", "gigahertz"), ("THz", "terahertz", "terahertz"),
    ("mV", "millivolt", "millivolts"), ("V", "volt", "volts"), ("kV", "kilovolt", "kilovolts"),
    ("mA", "milliamp", "milliamps"), ("mAh", "milliamp hour", "milliamp hours"),
    ("mW", "milliwatt", "milliwatts"), ("W", "watt", "watts"), ("kW", "kilowatt", "kilowatts"),
    ("MW", "megawatt", "megawatts"), ("GW", "gigawatt", "gigawatts"), ("Wh", "watt hour", "watt hours"),
    ("kWh", "kilowatt hour", "kilowatt hours"), ("MWh", "megawatt hour", "megawatt hours"),
    ("J", "joule", "joules"), ("kJ", "kilojoule", "kilojoules"), ("cal", "calorie", "calories"),
    ("kcal", "kilocalorie", "kilocalories"),
    ("ns", "nanosecond", "nanoseconds"), ("μs", "microsecond", "microseconds"), ("ms", "millisecond", "milliseconds"),
    ("sec", "second", "seconds"), ("secs", "second", "seconds"), ("min", "minute", "minutes"),
    ("mins", "minute", "minutes"), ("h", "hour", "hours"), ("hr", "hour", "hours"), ("hrs", "hour", "hours"),
    ("wk", "week", "weeks"), ("wks", "week", "weeks"), ("mo", "month", "months"), ("mos", "month", "months"),
    ("yr", "year", "years"), ("yrs", "year", "years"),
    ("°C", "degree Celsius", "degrees Celsius"), ("° C", "degree Celsius", "degrees Celsius"),
    ("°F", "degree Fahrenheit", "degrees Fahrenheit"), ("° F", "degree Fahrenheit", "degrees Fahrenheit"),
    ("°", "degree", "degrees"),
    ("sq ft", "square foot", "square feet"), ("sq m", "square meter", "square meters"),
    ("sq mi", "square mile", "square miles"), ("sq km", "square kilometer", "square kilometers"),
    ("m^2", "square meter", "square meters"), ("km^2", "square kilometer", "square kilometers"),
    ("cm^2", "square centimeter", "square centimeters"), ("ft^2", "square foot", "square feet"),
    ("m^3", "cubic meter", "cubic meters"), ("cm^3", "cubic centimeter", "cubic centimeters"),
    ("cc", "cubic centimeter", "cubic centimeters"), ("ha", "hectare", "hectares"),
    ("dB", "decibel", "decibels"), ("rpm", "revolution per minute", "revolutions per minute"),
    ("RPM", "revolution per minute", "revolutions per minute"), ("fps", "frame per second", "frames per second"),
    ("bpm", "beat per minute", "beats per minute"), ("psi", "pound per square inch", "pounds per square inch"),
    ("ppm", "part per million", "parts per million"), ("px", "pixel", "pixels"),
    ("k", "thousand", "thousand"), ("M", "million", "million"), ("bn", "billion", "billion"),
    ("B", "billion", "billion"), ("mn", "million", "million"), ("tn", "trillion", "trillion"),
]
_UNITS = {abbr: (one, many) for abbr, one, many in _UNIT_TABLE}
#: Units only recognized when glued to the number ("5in", "3h"), since "5 in" is usually the preposition.
_GLUED_ONLY = frozenset({"in", "h", "l", "k", "M", "B", "bn", "mn", "tn", "mo", "ha", "cc", "J"})
_UNIT_RE = re.compile(rf"{_SIGNED}(?P<space>\s?)(?P<unit>{_alternation(_UNITS)})(?![\w°^])(?P<dot>\.(?![^\W_]))?")
_BRITISH_SPELLING = (("meter", "metre"), ("liter", "litre"))


def _british(words: str) -> str:
    for us, gb in _BRITISH_SPELLING:
        words = words.replace(us, gb)
    return words


def _unit(match: re.Match, british: bool) -> str:
    unit, number = match.group("unit"), match.group("num")
    if match.group("space") and unit in _GLUED_ONLY and not (unit == "in" and match.group("dot")):
        return match.group()
    one, many = _UNITS[unit]
    name = one if number.lstrip("-") == "1" else many
    if british:
        name = _british(name)
    words = f"{_number_words(number, british)} {name}"
    if match.group("dot") and _ends_sentence(match.string, match.end()):
        words += "."
    return _pad(match, words)


_FEET_INCHES_RE = re.compile(r"(?=\d)(?<![\w.'])(\d{1,2})'\s?(\d{1,2}(?:\.\d+)?)\"")


def _feet_inches(match: re.Match, british: bool) -> str:
    feet, inches = match.group(1), match.group(2)
    return _pad(match, f"{_number_words(feet, british)} {'foot' if feet == '1' else 'feet'} "
                       f"{_number_words(inches, british)} {'inch' if inches == '1' else 'inches'}")


def _units(text: str, british: bool) -> str:
    if "'" in text:
        text = _FEET_INCHES_RE.sub(lambda m: _feet_inches(m, british), text)
    return _UNIT_RE.sub(lambda m: _unit(m, british), text)


# =====================================================================================
# 8. Fractions, ordinals, decades, years
# =====================================================================================

_MIXED_RE = re.compile(r"(?=\d)(?<![\w.,/])(\d{1,6})\s(\d{1,3})/(\d{1,3})(?![\w/]|[.,]\d)")
_FRACTION_RE = re.compile(r"(?=\d)(?<![\w.,/])(\d{1,9})/(\d{1,9})(?![\w/]|[.,]\d)")
_SPECIAL_FRACTIONS = {"24/7": "twenty-four seven", "9/11": "nine eleven", "50/50": "fifty-fifty",
                      "20/20": "twenty-twenty", "4/4": "four four"}


def _denominator(den: int, plural: bool, british: bool) -> str:
    if den == 2:
        return "halves" if plural else "half"
    if den == 4:
        return "quarters" if plural else "quarter"
    word = _n2w(den, "ordinal", british)
    if den == 100:
        word = "hundredth"  # not "one hundredth": three hundredths
    return word + "s" if plural else word


def _fraction_words(num: int, den: int, british: bool) -> str | None:
    if den <= 1 or num >= den or den > 100:
        return None
    return f"{_n2w(num, 'cardinal', british)} {_denominator(den, num != 1, british)}"


def _fractions(text: str, british: bool) -> str:
    if "/" not in text:
        return text

    def mixed(m: re.Match) -> str:
        num, den = int(m.group(2)), int(m.group(3))
        if _fraction_words(num, den, british) is None:
            return m.group()
        part = f"a {_denominator(den, False, british)}" if num == 1 else _fraction_words(num, den, british)
        return _pad(m, f"{_int_words(m.group(1), british)} and {part}")

    def simple(m: re.Match) -> str:
        if m.group() in _SPECIAL_FRACTIONS:
            return _pad(m, _SPECIAL_FRACTIONS[m.group()])
        words = _fraction_words(int(m.group(1)), int(m.group(2)), british)
        if words is None:
            words = f"{_int_words(m.group(1), british)} over {_int_words(m.group(2), british)}"
        return _pad(m, words)

    return _FRACTION_RE.sub(simple, _MIXED_RE.sub(mixed, text))


_ORDINAL_RE = re.compile(r"(?=\d)(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?i:st|nd|rd|th)(?![^\W_])")


def _ordinals(text: str, british: bool) -> str:
    return _ORDINAL_RE.sub(lambda m: _pad(m, _ordinal_words(m.group(1), british)), text)


_DECADE_RE = re.compile(r"(?=['\d])(?<![\w.,'])'?(\d{1,4})'?s(?!\w)")
_SHORT_YEAR_RE = re.compile(r"'(?<![\w']')(\d{2})(?![\w']|[.,]\d)")


def _decades(text: str, british: bool) -> str:
    """1990s -> nineteen nineties, '90s -> nineties, 4s -> fours; '99 -> ninety-nine, '05 -> oh five."""
    def decade(m: re.Match) -> str:
        digits = m.group(1)
        value = int(digits)
        if len(digits) == 4 and 1000 <= value <= 2099 and value % 10 == 0:
            return _pad(m, _plural(_year_words(value, british)))
        return _pad(m, _plural(_int_words(digits, british)))

    def short_year(m: re.Match) -> str:
        value = int(m.group(1))
        return _pad(m, f"oh {DIGIT_WORDS[value]}" if value < 10 else _n2w(value, "cardinal", british))

    text = _DECADE_RE.sub(decade, text)
    if "'" in text:
        text = _SHORT_YEAR_RE.sub(short_year, text)
    return text


_YEAR_RE = re.compile(r"(?=\d)(?<![\w.,$£€¥-])(\d{4})(?![\w]|[.,:/]\d)")
#: Words after which a year is very likely, even before a plural ("in 2024 sales rose").
_STRONG_YEAR_CUES = frozenset(
    "in since until till til before after during circa ca c around year early late mid spring summer autumn fall "
    "winter born died founded anno fy q1 q2 q3 q4".split()) | {m.lower() for m in _MONTHS}
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
    following = _next_word(text, end)
    if following in _ERAS:
        return True
    if following.lower() in _COUNTED_NOUNS:
        return False
    before = text[max(0, start - 60):start].rstrip()
    found = _PREV_WORD_RE.search(before)
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


def _years(text: str, british: bool) -> str:
    def year(m: re.Match) -> str:
        value = int(m.group(1))
        if _looks_like_year(m.string, m.start(), m.end(), value):
            return _pad(m, _year_words(value, british))
        return m.group()

    return _YEAR_RE.sub(year, text)


# =====================================================================================
# 9. Symbols
# =====================================================================================

_PER_UNITS = {"hr": "hour", "h": "hour", "hour": "hour", "day": "day", "d": "day", "wk": "week", "week": "week",
              "mo": "month", "month": "month", "yr": "year", "year": "year", "night": "night", "person": "person",
              "head": "head", "unit": "unit", "piece": "piece", "item": "item", "user": "user", "seat": "seat",
              "kg": "kilogram", "lb": "pound", "km": "kilometer", "mile": "mile", "mi": "mile", "min": "minute",
              "minute": "minute", "second": "second", "sec": "second", "s": "second", "gallon": "gallon",
              "page": "page", "serving": "serving", "visit": "visit", "session": "session", "license": "license"}
_PER_RE = re.compile(rf"/({_alternation(_PER_UNITS)})\b")
#: (trigger characters, pattern, replacement): a rule runs only when one of its triggers is in the text.
_SYMBOL_RULES: list[tuple[str, re.Pattern, str]] = [
    ("#", re.compile(r"(?<![\w#])([CF])#(?!\w)"), r"\1 sharp"),
    ("#", re.compile(r"#(?=[^\W_])"), ""),
    ("[", re.compile(r"\[\d+(?:[,–-]\s?\d+)*\]"), ""),  # citation marks [12]
    ("/", re.compile(r"\band/or\b"), "and or"),
    ("→>", re.compile(r"\s*(?:->|→|=>)\s*"), " to "),
    ("≤<", re.compile(r"\s*(?:<=|≤)\s*"), " less than or equal to "),
    ("≥>", re.compile(r"\s*(?:>=|≥)\s*"), " greater than or equal to "),
    ("≠!", re.compile(r"\s*(?:!=|≠)\s*"), " not equal to "),
    ("&", re.compile(r"\s*&\s*"), " and "),
    ("+", re.compile(r"\s*\+\s*"), " plus "),
    ("=", re.compile(r"\s*=+\s*"), " equals "),
    ("×", re.compile(r"\s*×\s*"), " times "),
    ("÷", re.compile(r"\s*÷\s*"), " divided by "),
    ("±", re.compile(r"\s*±\s*"), " plus or minus "),
    ("≈", re.compile(r"\s*≈\s*"), " approximately "),
    ("<", re.compile(r"(?<=[\s\d])<(?=[\s\d])"), " less than "),
    (">", re.compile(r"(?<=[\s\d])>(?=[\s\d])"), " greater than "),
    ("@", re.compile(r"\s*@\s*"), " at "),
    ("^", re.compile(r"\^2(?!\d)"), " squared"),
    ("^", re.compile(r"\^3(?!\d)"), " cubed"),
    ("^", re.compile(r"\s*\^\s*"), " to the power of "),
    ("§", re.compile(r"\s*§\s*"), " section "),
    ("%", re.compile(r"\s*%"), " percent"),
    ("°", re.compile(r"\s*°"), " degrees"),
    ("[{", re.compile(r"[\[{]"), "("),
    ("]}", re.compile(r"[\]}]"), ")"),
    ("/", re.compile(r"/(?<=[^\W_]/)(?=[^\W_])"), " slash "),
    (".", re.compile(r"\.(?<=[^\W_]\.)(?=[a-z])"), " dot "),  # Node.js, report.pdf
]


def _symbols(text: str, british: bool) -> str:
    if "/" in text:
        text = _PER_RE.sub(lambda m: " per " + _PER_UNITS[m.group(1)], text)
    for triggers, pattern, replacement in _SYMBOL_RULES:
        if any(trigger in text for trigger in triggers):
            text = pattern.sub(replacement, text)
    return text


# =====================================================================================
# 10. Cardinals
# =====================================================================================

_CARDINAL_RE = re.compile(
    r"(?=[-.\d])(?P<sign>(?<![\w.,-])-)?(?<!\d)"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d+|(?<![\w.])(?=\.\d))"  # the empty case: ".5" has no whole part
    r"(?P<frac>(?:\.\d+)+)?")
_ANY_DIGIT_RE = re.compile(r"\d+")


def _cardinal(match: re.Match, british: bool) -> str:
    number = match.group("num") + (match.group("frac") or "")
    words = _number_words(number, british)
    if match.group("sign"):
        words = "minus " + words
    return _pad(match, words)


def _cardinals(text: str, british: bool) -> str:
    return _CARDINAL_RE.sub(lambda m: _cardinal(m, british), text)


def _leftover_digits(text: str, british: bool) -> str:
    """Safety net: any digit that no pass consumed (or a skipped pass left) is read digit by digit."""
    return _ANY_DIGIT_RE.sub(lambda m: _pad(m, _digits(m.group())), text)


# =====================================================================================
# 11. Tidy: allowed characters and spacing
# =====================================================================================

#: Everything that is neither a letter, a mark, whitespace nor kept punctuation.
_JUNK_RE = re.compile(r"[#$%&*+<=>@\\^_`{|}~/\[\]£€¥¢₹₩₽°×÷±≈≠≤≥→§\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LOOSE_HYPHEN_RE = re.compile(r"-(?<![^\W_]-)-*|-+(?![^\W_])")
_EM_DASH_RE = re.compile(r"\s*—[\s—]*")
_ELLIPSES_RE = re.compile(r"\s*…[\s…]*")
_SPACE_BEFORE_RE = re.compile(r" +(?=[,!?;:)…]|\.(?![^\W_]))")
_SPACE_AFTER_RE = re.compile(r"([,;])(?=[^\W\d_])")
_SPACE_AFTER_OPEN_RE = re.compile(r"\(\s+")
_EMPTY_PARENS_RE = re.compile(r"\(\s*\)")
_LEADING_RE = re.compile(r"^[\s,.;:!?—)]+")


def _tidy(text: str) -> str:
    """Drop unspeakable characters and stray hyphens; one space around dashes; no space before , . ! ? etc."""
    text = _JUNK_RE.sub(" ", text)
    if "-" in text:
        text = _LOOSE_HYPHEN_RE.sub(" ", text)
    text = _SPACES_RE.sub(" ", text)  # first, so that no pattern below scans a long run of spaces
    text = _EMPTY_PARENS_RE.sub(" ", text)
    if "—" in text:
        text = _EM_DASH_RE.sub(" — ", text)
    if "…" in text:
        text = _ELLIPSES_RE.sub(lambda m: "… " if m.end() < len(m.string) else "…", text)
    text = _SPACE_AFTER_OPEN_RE.sub("(", text)
    text = _PUNCTUATION_RUN_RE.sub(_merge_punctuation, text)
    text = _SPACE_BEFORE_RE.sub("", text)
    text = _SPACE_AFTER_RE.sub(r"\1 ", text)
    text = _SPACES_RE.sub(" ", text)
    if "." in text:  # junk removed above may have left "A. B": read it as the normalizer reads initials
        text = _INITIAL_RE.sub(_initial, text)
    return _LEADING_RE.sub("", text).strip()


# =====================================================================================
# Pipeline
# =====================================================================================

_PASSES: tuple[Callable[[str, bool], str], ...] = (
    _urls_and_emails, _abbreviations, _dates, _times, _phone_numbers, _ranges, _currency, _percentages,
    _dimensions, _units, _fractions, _ordinals, _decades, _years, _symbols, _cardinals, _leftover_digits,
)


def _run(step: Callable[..., str], text: str, *args) -> str:
    """Run one pass; if it fails (a bug), keep its input so the other passes and _tidy still apply."""
    try:
        result = step(text, *args)
    except Exception:
        if _STRICT:
            raise
        return text
    return result if isinstance(result, str) else text


def _normalize_paragraph(paragraph: str, british: bool) -> str:
    text = _SPACES_RE.sub(" ", paragraph).strip()
    if not text:
        return ""
    text = _run(_punctuation_shapes, text)
    for step in _PASSES:
        text = _run(step, text, british)
    return _run(_tidy, text)


def normalize_text(text: str, *, british: bool = False) -> str:
    """Raw text -> speakable English (see the module docstring for conventions). Never raises."""
    if not isinstance(text, str):
        return ""
    text = _run(_clean_unicode, text)
    paragraphs = (_normalize_paragraph(p, bool(british)) for p in _BLANK_LINE_RE.split(text))
    try:
        return "\n\n".join(p for p in paragraphs if p)
    except Exception:
        if _STRICT:
            raise
        return ""
