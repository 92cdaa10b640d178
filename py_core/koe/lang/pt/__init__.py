"""Brazilian Portuguese (as Kokoro's ``p`` voices speak it): rules, an exceptions list and a normalizer."""

from __future__ import annotations

from ..romance import Currency, Normalizer, NormalizerTable, RomanceFrontEnd, fold
from . import rules

MONTHS = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
          "novembro", "dezembro")


def _feminine(words: str) -> str:
    """Cardinal words before a feminine noun or for hours: uma, duas, duzentas."""
    out = []
    for word in words.split():
        if word == "um":
            word = "uma"
        elif word == "dois":
            word = "duas"
        elif word.endswith("entos"):
            word = word[:-2] + "as"
        out.append(word)
    return " ".join(out)


NOT_NOUNS = frozenset("de do da dos das e ou a o em por para com mais menos entre vírgula".split())
MASCULINE_A = frozenset("dia dias mapa mapas problema problemas tema temas sistema sistemas programa programas "
                        "idioma idiomas clima planeta planetas sofá sofás poema poemas".split())


def is_feminine(word: str) -> bool:
    """A guess good enough for reading numbers: casas, canções, cidades, horas are feminine."""
    return word not in MASCULINE_A and (word.endswith(("a", "as", "ção", "ções", "são", "sões", "dade", "dades",
                                                       "agem", "agens", "ice", "ices"))
                                        or word in ("vez", "vezes", "noite", "noites", "pessoa", "pessoas"))


def _before_noun(words: str, next_word: str) -> str:
    return _feminine(words) if next_word not in NOT_NOUNS and is_feminine(next_word) else words


class _Portuguese:
    def __init__(self) -> None:
        self.normalizer: Normalizer | None = None

    def time(self, hours: int, minutes: int) -> str:
        n = self.normalizer
        words = _feminine(n.cardinal(hours))
        return f"{words} e {n.cardinal(minutes)}" if minutes else words

    def ordinal(self, value: int, suffix: str) -> str:
        words = self.normalizer._n2w(value, lang="pt_BR", to="ordinal")
        if suffix in ("ª", "a"):
            words = " ".join(w[:-1] + "a" if w.endswith("o") else w for w in words.split())
        return words


def table(portuguese: _Portuguese) -> NormalizerTable:
    real = Currency("real", "reais", "centavo", "centavos")
    dollar = Currency("dólar", "dólares", "centavo", "centavos")
    euro = Currency("euro", "euros", "cêntimo", "cêntimos")
    return NormalizerTable(
        num2words_lang="pt_BR", decimal_word="vírgula", percent_word="por cento", minus_word="menos", and_word="e",
        months=MONTHS, date="{day} de {month} de {year}", first_day="primeiro", time=portuguese.time,
        currencies={"R$": real, "BRL": real, "US$": dollar, "$": dollar, "USD": dollar, "€": euro, "EUR": euro,
                    "£": Currency("libra", "libras", "pêni", "pence", one="uma")},
        ordinal=portuguese.ordinal, ordinal_suffix="º|ª|°",
        abbreviations={
            "Sr.": "senhor", "Sra.": "senhora", "Srta.": "senhorita", "Dr.": "doutor", "Dra.": "doutora",
            "Prof.": "professor", "Profa.": "professora", "Exmo.": "excelentíssimo", "Exma.": "excelentíssima",
            "V.Sa.": "vossa senhoria", "etc.": "etcétera", "pág.": "página", "págs.": "páginas", "nº": "número",
            "n.º": "número", "Nº": "número", "tel.": "telefone", "av.": "avenida", "Av.": "avenida",
            "R.": "rua", "p. ex.": "por exemplo", "aprox.": "aproximadamente", "km/h": "quilômetros por hora",
            "a.C.": "antes de Cristo", "d.C.": "depois de Cristo", "vs.": "contra", "S.A.": "sociedade anônima",
            "Ltda.": "limitada",
        },
        units={"km": ("quilômetro", "quilômetros"), "m": ("metro", "metros"), "cm": ("centímetro", "centímetros"),
               "mm": ("milímetro", "milímetros"), "kg": ("quilo", "quilos"), "g": ("grama", "gramas"),
               "mg": ("miligrama", "miligramas"), "l": ("litro", "litros"), "ml": ("mililitro", "mililitros"),
               "°C": ("grau", "graus"), "ºC": ("grau", "graus"), "°": ("grau", "graus"),
               "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes")},
        symbols={"&": "e", "+": "mais", "=": "igual a", "@": "arroba", "×": "vezes"},
        before_noun=_before_noun,
        url_words={".": "ponto", "/": "barra", "-": "hífen", "_": "underline", "@": "arroba", ":": "dois pontos"},
    )


#: Letter names, written as Portuguese words (a word without a vowel is spelled: "TV" -> tê vê).
LETTERS = dict(zip("bcdfghjklmnpqrstvwxz", (
    "bê cê dê efe gê agá jota cá ele eme ene pê quê erre esse tê vê dáblio xis zê").split()))


KEEP = "áéíóúâêôãõàüç"


def _phrase(words: list[str]) -> list[str]:
    return rules.phrase([fold(w, KEEP).replace("'", "") for w in words])


async def load(loader, code: str) -> RomanceFrontEnd:
    portuguese = _Portuguese()
    portuguese.normalizer = Normalizer(table(portuguese))
    return RomanceFrontEnd(code, portuguese.normalizer, _phrase, LETTERS)
