"""French (as Kokoro's ``f`` voice speaks it): a pronunciation lexicon, spelling rules for
unknown words, elision and liaison, and a normalizer."""

from __future__ import annotations

import re

from ..romance import Currency, Normalizer, NormalizerTable, RomanceFrontEnd, read_table
from .words import FrenchWords

LEXICON = "lang/fr/lexicon.txt.gz"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
#: XIXe, IIIe, Ier, Ve (a lone C, L or D + e would be a word: Ce, Le, De).
_ROMAN_ORDINAL = re.compile(r"\b([IVXLC]{2,7}|[IVX])(e|ème|er|re)\b")


def _roman(text: str) -> int | None:
    total, previous = 0, 0
    for ch in reversed(text):
        value = ROMAN[ch]
        total += -value if value < previous else value
        previous = max(previous, value)
    return total if 0 < total < 4000 else None


FEMININE = frozenset("heure heures fois minute minutes seconde secondes semaine semaines année années personne "
                     "personnes voiture voitures maison maisons ville villes page pages place places fille filles "
                     "femme femmes chose choses nuit nuits journée journées".split())


def _before_noun(words: str, next_word: str) -> str:
    """un -> une before a feminine noun (une heure, vingt et une pages)."""
    if words.endswith("un") and (next_word in FEMININE or next_word.endswith(("tion", "tions", "ette", "ettes"))):
        return words[:-2] + "une"
    return words


class _French:
    def __init__(self) -> None:
        self.normalizer: Normalizer | None = None

    def time(self, hours: int, minutes: int) -> str:
        n = self.normalizer
        words = "une heure" if hours == 1 else f"{n.cardinal(hours)} heures"
        return f"{words} {n.cardinal(minutes)}" if minutes else words

    def ordinal(self, value: int, suffix: str) -> str:
        if value == 1:
            return "première" if suffix in ("re", "ère") else "premier"
        return self.normalizer._n2w(value, lang="fr", to="ordinal")


def table(french: _French) -> NormalizerTable:
    euro = Currency("euro", "euros", "centime", "centimes")
    dollar = Currency("dollar", "dollars", "cent", "cents")
    return NormalizerTable(
        num2words_lang="fr", decimal_word="virgule", percent_word="pour cent", minus_word="moins", and_word="et",
        months=MONTHS, date="{day} {month} {year}", first_day="premier", time=french.time,
        currencies={"€": euro, "EUR": euro, "$": dollar, "US$": dollar, "USD": dollar,
                    "£": Currency("livre", "livres", "penny", "pence", one="une"), "CHF": Currency(
                        "franc suisse", "francs suisses", "centime", "centimes")},
        ordinal=french.ordinal, ordinal_suffix="ère|ème|er|re|e|nde|nd",
        abbreviations={
            "M.": "monsieur", "MM.": "messieurs", "Mme": "madame", "Mmes": "mesdames", "Mlle": "mademoiselle",
            "Mlles": "mesdemoiselles", "Dr": "docteur", "Dr.": "docteur", "Pr": "professeur", "St": "saint",
            "Ste": "sainte", "etc.": "et cetera", "n°": "numéro", "N°": "numéro", "no.": "numéro", "cf.": "confer",
            "av.": "avenue", "bd": "boulevard", "env.": "environ", "c.-à-d.": "c'est-à-dire", "p.ex.": "par exemple",
            "p. ex.": "par exemple", "J.-C.": "Jésus-Christ", "av. J.-C.": "avant Jésus-Christ",
            "apr. J.-C.": "après Jésus-Christ", "km/h": "kilomètres heure", "tél.": "téléphone", "vs": "contre",
            "vs.": "contre", "S.A.": "société anonyme",
        },
        units={"km": ("kilomètre", "kilomètres"), "m": ("mètre", "mètres"), "cm": ("centimètre", "centimètres"),
               "mm": ("millimètre", "millimètres"), "kg": ("kilo", "kilos"), "g": ("gramme", "grammes"),
               "mg": ("milligramme", "milligrammes"), "l": ("litre", "litres"), "ml": ("millilitre", "millilitres"),
               "°C": ("degré", "degrés"), "ºC": ("degré", "degrés"), "°": ("degré", "degrés"),
               "Mo": ("mégaoctet", "mégaoctets"), "Go": ("gigaoctet", "gigaoctets")},
        symbols={"&": "et", "+": "plus", "=": "égale", "@": "arobase", "×": "fois"},
        before_noun=_before_noun,
        url_words={".": "point", "/": "slash", "-": "tiret", "_": "tiret bas", "@": "arobase", ":": "deux-points"},
    )


#: Letter names, written as French words (a word without a vowel is spelled: "SNCF" -> esse enne cé effe).
LETTERS = dict(zip("bcdfghjklmnpqrstvwxz", (
    "bé cé dé effe gé hache ji ka elle emme enne pé qu erre esse té vé doublevé ixe zède").split()))


class FrenchNormalizer(Normalizer):
    """The shared normalizer plus Roman-numeral ordinals (le XXIe siècle, Louis XIV stays)."""

    def _ordinals(self, text: str) -> str:
        def roman(m: re.Match) -> str:
            value = _roman(m.group(1))
            return m.group() if value is None else self.t.ordinal(value, m.group(2))

        return super()._ordinals(_ROMAN_ORDINAL.sub(roman, text))


async def load(loader, code: str) -> RomanceFrontEnd:
    french = _French()
    french.normalizer = FrenchNormalizer(table(french))
    words = FrenchWords(read_table(await loader.assets.read(LEXICON)))
    return RomanceFrontEnd(code, french.normalizer, words.phrase, LETTERS)
