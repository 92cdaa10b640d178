"""What the Spanish, Italian, Portuguese and French front ends share.

* :func:`tokenize`: normalized text -> words, numbers and punctuation with their character
  spans; language-specific marks (``¿ ¡ « »`` ...) are mapped onto Kokoro's punctuation or
  dropped. A hyphen separates words without a space (``dit-il`` reads as one stretch).
* :class:`RomanceFrontEnd`: the :class:`~koe.lang.base.FrontEnd` built from a language's
  :class:`Normalizer` and its word rules. The rules see one *phrase* at a time (the words
  between two punctuation marks) because some sounds depend on the neighbouring word:
  Spanish ``b d g`` after a pause, French liaison, Portuguese ``s`` before a voiced sound.
* :class:`Normalizer`: numbers, decimals, ordinals, dates, times, money, percent, units and
  abbreviations written out with ``num2words`` and a small table per language.

The phoneme conventions are those Kokoro v1.0 was trained with: espeak-ng's output after
misaki 0.9.4's post-processing (ties ``t^s`` -> ``ʦ``, ``a^ɪ`` -> ``I`` ...). The stress mark
goes right before the stressed vowel.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .base import PUNCTUATION, PhonemeToken, Phonemized

PRIMARY, SECONDARY = "ˈ", "ˌ"

# --- tokens ---------------------------------------------------------------------------------------

#: How other marks are read: mapped onto Kokoro's punctuation, or dropped (None).
PUNCT_MAP = {
    "«": "“", "»": "”", "‹": "“", "›": "”", "„": "“", "‟": "“", "″": '"',
    "¿": None, "¡": None, "–": "—", "―": "—", "[": "(", "]": ")", "{": "(", "}": ")",
    "。": ".", "、": ",", "！": "!", "？": "?", "；": ";", "：": ":",
}
APOSTROPHES = "'’ʼ`´"

_TOKEN = re.compile(
    r"(?P<word>[^\W\d_]+(?:[" + APOSTROPHES + r"][^\W\d_]+)*)"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.DOTALL,
)


@dataclass
class Token:
    kind: str  # word | number | punct
    text: str
    start: int
    end: int
    space_after: bool = False
    phonemes: str = ""


def tokenize(text: str) -> list[Token]:
    """Words (letters, with apostrophes inside), numbers and punctuation marks, with spans.

    Combining marks stay with the letter before them (decomposed accents, Thai or Devanagari
    vowel signs), so a word of another script is one token that can be named when skipped.
    """
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind, value, start, end = match.lastgroup, match.group(), match.start(), match.end()
        if kind == "space":
            if tokens:
                tokens[-1].space_after = True
            continue
        if kind == "other":
            if unicodedata.category(value).startswith("M") and tokens and tokens[-1].kind == "word" \
                    and tokens[-1].end == start:
                _extend(tokens[-1], text, end)
                continue
            if value in PUNCTUATION:
                tokens.append(Token("punct", value, start, end))
                continue
            mapped = PUNCT_MAP.get(value, "")
            if mapped:
                tokens.append(Token("punct", mapped, start, end))
            elif tokens and value not in "-‐‑" and mapped == "":
                tokens[-1].space_after = True  # an unspeakable symbol still separates words
            continue
        if kind == "word" and tokens and tokens[-1].kind == "word" and tokens[-1].end == start:
            _extend(tokens[-1], text, end)  # letters after a combining mark
            continue
        tokens.append(Token(kind, value, start, end))
    return tokens


def _extend(token: Token, text: str, end: int) -> None:
    token.text = text[token.start:end]
    token.end = end


def phrases(tokens: Sequence[Token]) -> list[list[Token]]:
    """Runs of words between punctuation marks (sound changes across words stop at a pause)."""
    out: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == "punct":
            if out[-1]:
                out.append([])
        else:
            out[-1].append(token)
    return [p for p in out if p]


# --- scripts --------------------------------------------------------------------------------------

_LATIN: dict[str, bool] = {}


def is_latin(word: str) -> bool:
    """True if every letter of ``word`` is a Latin letter (a, é, ß, ø...; apostrophes allowed)."""
    for ch in word:
        found = _LATIN.get(ch)
        if found is None:
            if ch in APOSTROPHES:
                found = True
            else:
                name = unicodedata.name(ch, "")
                found = name.startswith("LATIN") or (unicodedata.category(ch).startswith("M")
                                                     and unicodedata.combining(ch) > 0 and ord(ch) < 0x370)
            _LATIN[ch] = found
        if not found:
            return False
    return True


def fold(word: str, keep: str = "") -> str:
    """Lowercase NFC ``word`` with accents stripped from letters not in ``keep`` (ß -> ss, æ -> ae...)."""
    out = []
    for ch in unicodedata.normalize("NFC", word.lower()):
        if ch in keep or ch.isascii():
            out.append(ch)
            continue
        special = _FOLD_SPECIAL.get(ch)
        if special is not None:
            out.append(special)
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        out.append(base if base.isascii() else "")
    return "".join(out)


_FOLD_SPECIAL = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "þ": "th", "ð": "d"}


# --- data files -----------------------------------------------------------------------------------

def read_table(data: bytes) -> dict[str, str]:
    """A ``key<TAB>value`` per line file (gzipped or not: some static hosts unpack .gz files)."""
    if data[:2] == b"\x1f\x8b":
        import gzip

        data = gzip.decompress(data)
    text = data.decode("utf-8").strip("\n")
    if not text:
        return {}
    if text.count("\t") == text.count("\n") + 1:
        # As many tabs as lines: the build's format (keys and values never hold a tab): the fast path.
        fields = iter(text.replace("\n", "\t").split("\t"))
        return dict(zip(fields, fields))
    table: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition("\t")
        if key and value:
            table[key] = value
    return table


# --- stress ---------------------------------------------------------------------------------------

def secondary_stresses(count: int, primary: int) -> set[int]:
    """Syllables (0-based) that get a secondary stress, as espeak does for Spanish, Italian and
    Portuguese: the 1st, 3rd... syllables that are at least two syllables before the primary."""
    return {i for i in range(0, primary - 1, 2)}


# --- the front end --------------------------------------------------------------------------------

#: Phonemizes one phrase: the words' texts -> their phonemes ("" = cannot be spoken).
PhraseRules = Callable[[list[str]], list[str]]


class RomanceFrontEnd:
    """A :class:`~koe.lang.base.FrontEnd` from a normalizer and phrase rules."""

    def __init__(self, language: str, normalizer: Normalizer, rules: PhraseRules,
                 letters: dict[str, str] | None = None, vowels: str = "aeiouyáéíóúàèìòùâêôãõäëïöüœæ") -> None:
        self.language = language
        self.normalizer = normalizer
        self.rules = rules
        #: Letter names as words of the language (b -> "be"): a word without a vowel is spelled.
        self.letters = letters or {}
        self.vowels = frozenset(vowels)

    def normalize(self, text: str) -> str:
        return self.normalizer(text)

    async def phonemize(self, text: str) -> Phonemized:
        return self.phonemize_sync(text)

    def phonemize_sync(self, text: str) -> Phonemized:
        tokens = self._expand_numbers(tokenize(text))
        for phrase in phrases(tokens):
            speakable = [t for t in phrase if is_latin(t.text)]
            for token, phonemes in zip(speakable, self.rules([t.text for t in speakable])):
                token.phonemes = phonemes
            for token in speakable:
                if self.letters and self._unreadable(token.text):
                    token.phonemes = "".join(self.rules([self.letters.get(ch, "") for ch in fold(token.text)
                                                         if self.letters.get(ch)]))
        out: list[PhonemeToken] = []
        skipped: list[str] = []
        for token in tokens:
            if token.kind == "punct":
                out.append(PhonemeToken(token.text, token.text, token.space_after, "punct", (token.start, token.end)))
            elif token.phonemes:
                out.append(PhonemeToken(token.text, token.phonemes, token.space_after, "word", (token.start, token.end)))
            else:
                skipped.append(token.text)
                if out and token.space_after and not out[-1].space_after:
                    last = out[-1]
                    out[-1] = PhonemeToken(last.text, last.phonemes, True, last.kind, last.span)
        return Phonemized(out, skipped)

    def _unreadable(self, word: str) -> bool:
        """A word without a vowel (SNCF, TV, mp) is spelled out, as espeak does."""
        return len(word) <= 8 and not any(ch in self.vowels for ch in word.lower())

    def _expand_numbers(self, tokens: list[Token]) -> list[Token]:
        """Digits left in the text (phonemize is given un-normalized text) are read as words."""
        if not any(t.kind == "number" for t in tokens):
            return tokens
        out: list[Token] = []
        for token in tokens:
            if token.kind != "number":
                out.append(token)
                continue
            words = self.normalizer.number(token.text).split()
            for i, word in enumerate(words):
                last = i == len(words) - 1
                out.append(Token("word", word, token.start, token.end, token.space_after if last else True))
        return out


# --- normalization --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Currency:
    """How an amount is read: ``unit`` / ``units`` then ``cents``; ``joiner`` links them."""

    unit: str
    units: str
    cent: str
    cents: str
    #: Use the unit's gender for "one" (``una libra``): the word for 1 before it.
    one: str = ""


@dataclass(frozen=True)
class NormalizerTable:
    """What a language needs to write numbers and symbols out as words."""

    num2words_lang: str
    decimal_word: str                  # coma, virgola, vírgula, virgule
    percent_word: str                  # por ciento ...
    minus_word: str
    and_word: str                      # between an amount's units and cents
    months: tuple[str, ...]
    date: str                          # "{day} de {month} de {year}"
    first_day: str                     # the 1st of a month ("primero", "premier"...) or "" for the cardinal
    time: Callable[[int, int], str]    # hours, minutes -> words
    currencies: dict[str, Currency]    # symbol or code -> Currency
    ordinal: Callable[[int, str], str]  # number, suffix as written (º, ª, er, e...) -> words
    ordinal_suffix: str                # regex alternation of ordinal suffixes after digits
    abbreviations: dict[str, str]      # "Sr." -> "señor" (matched case-sensitively, whole words)
    units: dict[str, tuple[str, str]]  # "km" -> ("kilómetro", "kilómetros")
    symbols: dict[str, str]            # "&" -> "y"
    #: Adjusts a cardinal read before the next word ("uno libro" -> "un libro" in Spanish).
    before_noun: Callable[[str, str], str] = lambda words, next_word: words
    #: How the marks inside web addresses and e-mails are read: . / - _ @ -> words.
    url_words: dict[str, str] = field(default_factory=dict)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200c-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_THOUSANDS = r"\d{1,3}(?:[.\u00a0\u202f ]\d{3})+(?!\d)"
_NUMBER = rf"(?:{_THOUSANDS}|\d+)(?:,\d+)?"
_TLDS = "com|org|net|edu|gov|io|ai|dev|app|info|eu|es|it|fr|pt|br|be|ch|ca|mx|ar|cl|co|de|uk"
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![\w-])")
_URL = re.compile(
    r"(?<![\w.@/-])(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]{}«»]+"
    rf"|(?<![\w.@/-])(?:[a-z0-9][a-z0-9-]{{0,62}}\.){{1,8}}(?:{_TLDS})\b(?:/[^\s<>\"'()\[\]{{}}«»]*)?",
    re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z]+://|^www\.", re.IGNORECASE)
_ADDRESS_PIECE = re.compile(r"[^\W\d_]+|\d+|.", re.DOTALL)
_SPACE_BEFORE_MARK = re.compile(r" ([,.;:!?…)\]»”])")
_SMART = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'"})


class Normalizer:
    """Text -> speakable text for one language (see :class:`NormalizerTable`)."""

    def __init__(self, table: NormalizerTable) -> None:
        self.t = table
        # Imported here: only the languages in use pay for it.
        from num2words import num2words

        self._n2w = num2words
        t = table
        months = "|".join(t.months)
        currency_keys = sorted(t.currencies, key=len, reverse=True)
        symbols = "|".join(re.escape(k) for k in currency_keys)
        unit_keys = "|".join(re.escape(k) for k in sorted(t.units, key=len, reverse=True))
        abbreviations = sorted(t.abbreviations, key=len, reverse=True)
        self._abbreviation = re.compile(
            r"(?<![\w.])(" + "|".join(re.escape(a) for a in abbreviations) + r")(?![\w])") if abbreviations else None
        self._date = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
        self._time = re.compile(r"\b([01]?\d|2[0-3])(?::|h|\s?h\s?)([0-5]\d)\b|\b([01]?\d|2[0-3])\s?h\b(?!\w)")
        self._money_before = re.compile(rf"(?<![\w])({symbols})\s?(-?{_NUMBER})")
        self._money_after = re.compile(rf"(-?{_NUMBER})\s?({symbols})(?![\w])")
        self._percent = re.compile(rf"(-?{_NUMBER})\s?%")
        self._ordinal = re.compile(rf"\b(\d+)\.?({t.ordinal_suffix})(?!\w)")
        self._unit = re.compile(rf"({_NUMBER})\s?({unit_keys})(?![\w])") if unit_keys else None
        self._month_date = re.compile(rf"\b(\d{{1,2}})(?=\s+(?:de\s+)?(?:{months})\b)", re.IGNORECASE)
        self._number = re.compile(rf"(?<![\w,.])(-|−)?({_NUMBER})(?![\d])")
        self._digits = re.compile(r"\d+")
        self._symbol = re.compile("|".join(re.escape(s) for s in sorted(t.symbols, key=len, reverse=True))) \
            if t.symbols else None
        self._next_word = re.compile(r"\s*([^\W\d_]+)")

    # --- numbers ---------------------------------------------------------------------------------

    def cardinal(self, value: int) -> str:
        try:
            return self._n2w(value, lang=self.t.num2words_lang).replace(",", "")
        except (NotImplementedError, OverflowError, ValueError, TypeError):
            return " ".join(self._n2w(int(d), lang=self.t.num2words_lang) for d in str(value))

    def number(self, written: str) -> str:
        """A written number (``1.234``, ``3,5``, ``1 000``) -> words."""
        written = written.strip()
        negative = written[:1] in "-−"
        written = written.lstrip("-−")
        whole, _, decimals = written.partition(",")
        digits = re.sub(r"[.\u00a0\u202f ]", "", whole)
        if not digits.isdigit():
            return " ".join(self.cardinal(int(d)) for d in re.findall(r"\d", written))
        words = self.cardinal(int(digits)) if len(digits) <= 15 else " ".join(self.cardinal(int(d)) for d in digits)
        if decimals:
            if len(decimals) <= 2 and not decimals.startswith("0"):
                tail = self.cardinal(int(decimals))
            else:
                tail = " ".join(self.cardinal(int(d)) for d in decimals)
            words = f"{words} {self.t.decimal_word} {tail}"
        return f"{self.t.minus_word} {words}" if negative else words

    def _amount(self, written: str) -> tuple[str, str | None]:
        """An amount -> (words of the whole part, cents as digits or None)."""
        whole, _, cents = written.partition(",")
        if cents and len(cents) == 2:
            return self.number(whole), cents
        return self.number(written), None

    # --- passes ------------------------------------------------------------------------------------

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFC", str(text)).translate(_SMART)
        text = _CONTROL.sub("", text)
        paragraphs = []
        for paragraph in _PARAGRAPHS.split(text):
            paragraph = " ".join(_SPACES.sub(" ", paragraph).split())
            if paragraph:
                paragraphs.append(self._paragraph(paragraph))
        return "\n\n".join(p for p in paragraphs if p)

    def _paragraph(self, text: str) -> str:
        for step in (self._addresses, self._abbreviations, self._dates, self._times, self._money, self._percents,
                     self._units, self._ordinals, self._numbers, self._symbols):
            try:
                text = step(text)
            except Exception:  # a bug in one pass must not take the text down
                pass
        return _SPACE_BEFORE_MARK.sub(r"\1", " ".join(text.split()))

    def _addresses(self, text: str) -> str:
        """``www.ejemplo.es/ayuda`` -> "ejemplo punto es barra ayuda" (e-mails likewise)."""
        if not self.t.url_words or ("@" not in text and "." not in text):
            return text

        def speak(address: str) -> str:
            words = []
            for piece in _ADDRESS_PIECE.findall(address):
                if piece.isdigit():
                    words.append(self.cardinal(int(piece)) if len(piece) <= 4 else
                                 " ".join(self.cardinal(int(d)) for d in piece))
                elif piece[0].isalpha():
                    words.append(piece)
                elif piece in self.t.url_words:
                    words.append(self.t.url_words[piece])
            return f" {' '.join(words)} "

        def url(m: re.Match) -> str:
            core = m.group().rstrip(".,;:!?'\")")
            trailing = m.group()[len(core):]
            core = re.split(r"[?#]", _SCHEME.sub("", core), maxsplit=1)[0].rstrip("/")
            return speak(core) + trailing

        text = _EMAIL.sub(lambda m: speak(m.group()), text)
        return _URL.sub(url, text)

    def _abbreviations(self, text: str) -> str:
        if self._abbreviation is None:
            return text
        def expand(m: re.Match) -> str:
            words = self.t.abbreviations[m.group(1)]
            # "etc." ending a paragraph still ends its sentence.
            return words + "." if m.group(1).endswith(".") and not text[m.end():].strip() else words

        return self._abbreviation.sub(expand, text)

    def _dates(self, text: str) -> str:
        def date(m: re.Match) -> str:
            day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
            if not (1 <= day <= 31 and 1 <= month <= 12):
                return m.group()
            year_value = int(year) + (2000 if len(year) == 2 and int(year) < 50 else 1900 if len(year) == 2 else 0)
            return self.t.date.format(day=self._day(day), month=self.t.months[month - 1],
                                      year=self.cardinal(year_value))

        text = self._date.sub(date, text)
        return self._month_date.sub(lambda m: self._day(int(m.group(1))), text)

    def _day(self, day: int) -> str:
        return self.t.first_day if day == 1 and self.t.first_day else self.cardinal(day)

    def _times(self, text: str) -> str:
        def time(m: re.Match) -> str:
            if m.group(3) is not None:
                return self.t.time(int(m.group(3)), 0)
            return self.t.time(int(m.group(1)), int(m.group(2)))

        return self._time.sub(time, text)

    def _money_words(self, amount: str, key: str) -> str:
        currency = self.t.currencies[key]
        whole, cents = self._amount(amount)
        value = re.sub(r"\D", "", amount.partition(",")[0])
        one = value.lstrip("0") == "1" and not amount.startswith("-")
        if one and currency.one:
            whole = currency.one
        words = f"{whole} {currency.unit if one else currency.units}"
        if cents and int(cents):
            cents_words = self.cardinal(int(cents))
            words += f" {self.t.and_word} {cents_words} {currency.cent if int(cents) == 1 else currency.cents}"
        return words

    def _money(self, text: str) -> str:
        text = self._money_before.sub(lambda m: self._money_words(m.group(2), m.group(1)), text)
        return self._money_after.sub(lambda m: self._money_words(m.group(1), m.group(2)), text)

    def _percents(self, text: str) -> str:
        return self._percent.sub(lambda m: f"{self.number(m.group(1))} {self.t.percent_word}", text)

    def _units(self, text: str) -> str:
        if self._unit is None:
            return text

        def unit(m: re.Match) -> str:
            singular, plural = self.t.units[m.group(2)]
            one = m.group(1) == "1"
            words = self.number(m.group(1))
            return f"{self.t.before_noun(words, singular) if one else words} {singular if one else plural}"

        return self._unit.sub(unit, text)

    def _ordinals(self, text: str) -> str:
        return self._ordinal.sub(lambda m: self.t.ordinal(int(m.group(1)), m.group(2)), text)

    def _numbers(self, text: str) -> str:
        def number(m: re.Match) -> str:
            words = self.number((m.group(1) or "") + m.group(2))
            following = self._next_word.match(text, m.end())
            if following:
                words = self.t.before_noun(words, following.group(1).lower())
            return f" {words} "

        return self._number.sub(number, text)

    def _symbols(self, text: str) -> str:
        if self._symbol is None:
            return text
        return self._symbol.sub(lambda m: f" {self.t.symbols[m.group()]} ", text)
