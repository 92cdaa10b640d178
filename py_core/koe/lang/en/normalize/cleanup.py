"""Unicode cleanup and punctuation shapes (first passes), and the final tidy pass."""

from __future__ import annotations

import html
import re
import unicodedata

from .abbreviations import INITIAL_RE, initial

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


def clean_unicode(text: str) -> str:
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
BLANK_LINE_RE = re.compile(r"\n\s*\n")
SPACES_RE = re.compile(r"\s+")


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


def punctuation_shapes(text: str) -> str:
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




#: Everything that is neither a letter, a mark, whitespace nor kept punctuation.
_JUNK_RE = re.compile(r"[#$%&*+<=>@\\^_`{|}~/\[\]£€¥¢₹₩₽°×÷±≈≠≤≥→§\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LOOSE_HYPHEN_RE = re.compile(r"-(?<![^\W_]-)-*|-+(?![^\W_])")
_EM_DASH_RE = re.compile(r"\s*—[\s—]*")
_ELLIPSES_RE = re.compile(r"\s*…[\s…]*")
_SPACE_AFTER_RE = re.compile(r"([,;])(?=[^\W\d_])")
_SPACE_AFTER_OPEN_RE = re.compile(r"\(\s+")
_EMPTY_PARENS_RE = re.compile(r"\(\s*\)")
_LEADING_RE = re.compile(r"^[\s,.;:!?—)]+")


def tidy(text: str) -> str:
    """Drop unspeakable characters and stray hyphens; one space around dashes; no space before , . ! ? etc."""
    text = _JUNK_RE.sub(" ", text)
    if "-" in text:
        text = _LOOSE_HYPHEN_RE.sub(" ", text)
    text = SPACES_RE.sub(" ", text)  # first, so that no pattern below scans a long run of spaces
    text = _EMPTY_PARENS_RE.sub(" ", text)
    if "—" in text:
        text = _EM_DASH_RE.sub(" — ", text)
    if "…" in text:
        text = _ELLIPSES_RE.sub(lambda m: "… " if m.end() < len(m.string) else "…", text)
    text = _SPACE_AFTER_OPEN_RE.sub("(", text)
    text = _PUNCTUATION_RUN_RE.sub(_merge_punctuation, text)
    text = _SPACE_BEFORE_PUNCT_RE.sub("", text)
    text = _SPACE_AFTER_RE.sub(r"\1 ", text)
    text = SPACES_RE.sub(" ", text)
    if "." in text:  # junk removed above may have left "A. B": read it as the normalizer reads initials
        text = INITIAL_RE.sub(initial, text)
    return _LEADING_RE.sub("", text).strip()
