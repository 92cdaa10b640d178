"""Italian (as Kokoro's ``i`` voices speak it): rules, an exceptions list and a normalizer."""

from __future__ import annotations

from ..romance import Currency, Normalizer, NormalizerTable, RomanceFrontEnd, fold, read_table
from . import rules

MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre")
NOT_NOUNS = frozenset("di e o a da in con su per tra fra virgola".split())


class _Italian:
    def __init__(self) -> None:
        self.normalizer: Normalizer | None = None

    def time(self, hours: int, minutes: int) -> str:
        n = self.normalizer
        words = "una" if hours == 1 else n.cardinal(hours)
        return f"{words} e {n.cardinal(minutes)}" if minutes else words

    def ordinal(self, value: int, suffix: str) -> str:
        words = self.normalizer._n2w(value, lang="it", to="ordinal")
        if suffix in ("ª", "a"):
            words = words[:-1] + "a" if words.endswith("o") else words
        return words


MASCULINE_A = frozenset("problema problemi tema sistema programma clima pianeta papa poeta cinema".split())


def _before_noun(words: str, next_word: str) -> str:
    """uno -> un before a noun (un libro, ventun anni), una before a feminine one (una casa)."""
    if next_word in NOT_NOUNS or not words.endswith("uno"):
        return words
    if next_word.endswith(("a", "zione")) and next_word not in MASCULINE_A:
        return words[:-1] + "a"
    return words[:-1]


def table(italian: _Italian) -> NormalizerTable:
    euro = Currency("euro", "euro", "centesimo", "centesimi")
    dollar = Currency("dollaro", "dollari", "centesimo", "centesimi")
    return NormalizerTable(
        num2words_lang="it", decimal_word="virgola", percent_word="per cento", minus_word="meno", and_word="e",
        months=MONTHS, date="{day} {month} {year}", first_day="primo", time=italian.time,
        currencies={"€": euro, "EUR": euro, "$": dollar, "USD": dollar,
                    "£": Currency("sterlina", "sterline", "penny", "pence", one="una")},
        ordinal=italian.ordinal, ordinal_suffix="º|ª|°",
        abbreviations={
            "Sig.": "signor", "Sig.ra": "signora", "Sig.na": "signorina", "Sigg.": "signori", "Dott.": "dottor",
            "Dott.ssa": "dottoressa", "Dr.": "dottor", "Prof.": "professor", "Prof.ssa": "professoressa",
            "Ing.": "ingegner", "Avv.": "avvocato", "Arch.": "architetto", "ecc.": "eccetera", "pag.": "pagina",
            "pagg.": "pagine", "tel.": "telefono", "p.es.": "per esempio", "ca.": "circa", "S.p.A.": "esse pi a",
            "km/h": "chilometri orari", "n.": "numero", "N.": "numero", "nº": "numero", "a.C.": "avanti Cristo",
            "d.C.": "dopo Cristo", "vs.": "contro",
        },
        units={"km": ("chilometro", "chilometri"), "m": ("metro", "metri"), "cm": ("centimetro", "centimetri"),
               "mm": ("millimetro", "millimetri"), "kg": ("chilo", "chili"), "g": ("grammo", "grammi"),
               "mg": ("milligrammo", "milligrammi"), "l": ("litro", "litri"), "ml": ("millilitro", "millilitri"),
               "°C": ("grado", "gradi"), "ºC": ("grado", "gradi"), "°": ("grado", "gradi"),
               "MB": ("megabyte", "megabyte"), "GB": ("gigabyte", "gigabyte")},
        symbols={"&": "e", "+": "più", "=": "uguale a", "@": "chiocciola", "×": "per"},
        before_noun=_before_noun,
        url_words={".": "punto", "/": "barra", "-": "trattino", "_": "trattino basso", "@": "chiocciola",
                   ":": "due punti"},
    )


#: Letter names, written as Italian words (a word without a vowel is spelled: "TV" -> ti vu).
LETTERS = dict(zip("bcdfghjklmnpqrstvwxz", (
    "bì cì dì effe gì acca ilunga cappa elle emme enne pì cù erre esse tì vù doppiavù ics zeta").split()))


KEEP = "àèéìíòóùú"
STRESS_DATA = "lang/it/stress.txt.gz"


async def load(loader, code: str) -> RomanceFrontEnd:
    italian = _Italian()
    italian.normalizer = Normalizer(table(italian))
    words = rules.ItalianWords(read_table(await loader.assets.read(STRESS_DATA)))

    def phrase(texts: list[str]) -> list[str]:
        return words.phrase([fold(w, KEEP) for w in texts])

    return RomanceFrontEnd(code, italian.normalizer, phrase, LETTERS)
