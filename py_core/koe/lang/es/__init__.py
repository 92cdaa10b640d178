"""Spanish (Castilian, as Kokoro's ``e`` voices speak it): rules, an exceptions list and a normalizer."""

from __future__ import annotations

from ..romance import Currency, Normalizer, NormalizerTable, RomanceFrontEnd, fold
from . import rules

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")
#: After these words a number stays "uno" (uno de ellos); before a noun it is "un" (un libro).
NOT_NOUNS = frozenset("de del y e o u a al por en para con más menos entre sobre que coma".split())


def _feminine(words: str) -> str:
    """Cardinal words for a feminine noun or an hour: una, veintiuna, doscientas."""
    out = []
    for word in words.split():
        if word.endswith("uno"):
            word = word[:-1] + "a"
        elif word.endswith("ientos"):
            word = word[:-2] + "as"
        out.append(word)
    return " ".join(out)


#: Nouns in -a that are masculine (the rest of -a, -ción, -dad... nouns take una, doscientas).
MASCULINE_A = frozenset("día días mapa mapas problema problemas tema temas sistema sistemas programa programas "
                        "idioma idiomas clima planeta planetas sofá sofás papá papás poema poemas".split())


def is_feminine(word: str) -> bool:
    """A guess good enough for reading numbers: casas, canciones, ciudades are feminine."""
    return word not in MASCULINE_A and (word.endswith(("a", "as", "ción", "ciones", "sión", "siones", "dad",
                                                       "dades", "tad", "tades", "umbre", "umbres"))
                                        or word in ("personas", "veces", "vez", "horas", "noches", "calles"))


def _before_noun(words: str, next_word: str) -> str:
    if next_word in NOT_NOUNS:
        return words
    if is_feminine(next_word):
        return _feminine(words)
    if not words.endswith("uno"):
        return words
    return words[:-3] + ("ún" if words.endswith("veintiuno") else "un")


class _Spanish:
    def __init__(self) -> None:
        self.normalizer: Normalizer | None = None

    def time(self, hours: int, minutes: int) -> str:
        n = self.normalizer
        words = _feminine(n.cardinal(hours))
        return f"{words} y {n.cardinal(minutes)}" if minutes else words

    def ordinal(self, value: int, suffix: str) -> str:
        words = self.normalizer._n2w(value, lang="es", to="ordinal")
        if suffix in ("ª", "a"):
            words = " ".join(w[:-1] + "a" if w.endswith("o") else w for w in words.split())
        return words


def table(spanish: _Spanish) -> NormalizerTable:
    euro = Currency("euro", "euros", "céntimo", "céntimos")
    dollar = Currency("dólar", "dólares", "centavo", "centavos")
    return NormalizerTable(
        num2words_lang="es", decimal_word="coma", percent_word="por ciento", minus_word="menos", and_word="con",
        months=MONTHS, date="{day} de {month} de {year}", first_day="uno", time=spanish.time,
        currencies={"€": euro, "EUR": euro, "$": dollar, "US$": dollar, "USD": dollar,
                    "£": Currency("libra", "libras", "penique", "peniques", one="una"),
                    "¥": Currency("yen", "yenes", "sen", "sen")},
        ordinal=spanish.ordinal, ordinal_suffix="º|ª|°|o|a",
        abbreviations={
            "Sr.": "señor", "Sra.": "señora", "Srta.": "señorita", "Sres.": "señores", "Dr.": "doctor",
            "Dra.": "doctora", "Ud.": "usted", "Uds.": "ustedes", "Vd.": "usted", "Vds.": "ustedes",
            "D.": "don", "Dña.": "doña", "Prof.": "profesor", "Profa.": "profesora", "Lic.": "licenciado",
            "Ing.": "ingeniero", "Sto.": "santo", "Sta.": "santa", "etc.": "etcétera", "pág.": "página",
            "págs.": "páginas", "núm.": "número", "n.º": "número", "nº": "número", "Nº": "número",
            "tel.": "teléfono", "aprox.": "aproximadamente", "Av.": "avenida", "Avda.": "avenida",
            "p. ej.": "por ejemplo", "EE. UU.": "Estados Unidos", "EE.UU.": "Estados Unidos",
            "EEUU": "Estados Unidos", "a. C.": "antes de Cristo", "d. C.": "después de Cristo",
            "a.C.": "antes de Cristo", "d.C.": "después de Cristo", "vs.": "contra", "S.A.": "sociedad anónima",
            "km/h": "kilómetros por hora",
        },
        units={"km": ("kilómetro", "kilómetros"), "m": ("metro", "metros"), "cm": ("centímetro", "centímetros"),
               "mm": ("milímetro", "milímetros"), "kg": ("kilo", "kilos"), "g": ("gramo", "gramos"),
               "mg": ("miligramo", "miligramos"), "l": ("litro", "litros"), "ml": ("mililitro", "mililitros"),
               "°C": ("grado", "grados"), "ºC": ("grado", "grados"), "°": ("grado", "grados"),
               "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes")},
        symbols={"&": "y", "+": "más", "=": "igual a", "@": "arroba", "×": "por"},
        before_noun=_before_noun,
        url_words={".": "punto", "/": "barra", "-": "guion", "_": "guion bajo", "@": "arroba", ":": "dos puntos"},
    )


#: Letter names, written as Spanish words (a word without a vowel is spelled: "TV" -> te uve).
LETTERS = dict(zip("bcdfghjklmnñpqrstvwxz", (
    "be ce de efe ge hache jota ka ele eme ene eñe pe cu erre ese te uve uvedoble equis zeta").split()))


KEEP = "áéíóúüñ"


def _phrase(words: list[str]) -> list[str]:
    folded = [fold(w, KEEP).replace("'", "") for w in words]
    return rules.phrase(folded)


async def load(loader, code: str) -> RomanceFrontEnd:
    spanish = _Spanish()
    spanish.normalizer = Normalizer(table(spanish))
    return RomanceFrontEnd(code, spanish.normalizer, _phrase, LETTERS)
