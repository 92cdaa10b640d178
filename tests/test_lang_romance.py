"""Spanish, Italian, Brazilian Portuguese and French front ends, through the fixed interface.

Each front end is loaded by ``koe.lang.loader.FrontEnds`` from the built assets (the French
lexicon and the Italian stress lexicon come from ``tools/build_lang_data.py``). The expected
phonemes follow the conventions Kokoro v1.0 learned (espeak-ng after misaki 0.9.4's
post-processing); ``benchmarks/phoneme_accuracy.py`` measures the agreement on whole sentences.
"""

from __future__ import annotations

import json

import pytest
from conftest import ASSETS, load_tool

LANGS = ("es", "it", "pt-br", "fr")
STRESS = "ˈˌ"


@pytest.fixture(scope="module")
def fronts(assets_dir):
    from koe.assets import DirectoryAssets
    from koe.lang.loader import FrontEnds

    return FrontEnds(DirectoryAssets(assets_dir), runtime=None)


@pytest.fixture(scope="module")
def vocab(assets_dir):
    return set(json.loads((assets_dir / "model" / "vocab.json").read_text(encoding="utf-8")))


def front(fronts, code):
    from koe.runtime import run_sync

    return run_sync(fronts.get(code))


def run(fronts, code, text, normalize=True):
    from koe.runtime import run_sync

    fe = front(fronts, code)
    return run_sync(fe.phonemize(fe.normalize(text) if normalize else text))


def words(fronts, code, text) -> list[str]:
    """Phonemes of each word, stress marks removed."""
    result = run(fronts, code, text)
    return ["".join(ch for ch in t.phonemes if ch not in STRESS) for t in result.tokens if t.kind == "word"]


def flat(fronts, code, text) -> str:
    return " ".join(words(fronts, code, text))


# --- the interface, for every language --------------------------------------------------------------

@pytest.mark.parametrize("code", LANGS)
def test_front_end_reports_its_language(fronts, code):
    assert front(fronts, code).language == code


@pytest.mark.parametrize("code", LANGS)
@pytest.mark.parametrize("text", ["", "   ", "\n\n", "!!! ... ???", "#$%^*~|", "---", "«»¿¡"])
def test_empty_and_symbol_only_input_gives_no_words(fronts, code, text):
    result = run(fronts, code, text)
    assert [t for t in result.tokens if t.kind == "word"] == []
    assert result.skipped == []
    from koe.lang.base import PUNCTUATION

    assert all(t.text in PUNCTUATION for t in result.tokens)


@pytest.mark.parametrize("code, text", [
    ("es", "Hola ผมชื่อ amigo Привет"), ("it", "Ciao ผมชื่อ amico Привет"),
    ("pt-br", "Olá ผมชื่อ amigo Привет"), ("fr", "Bonjour ผมชื่อ ami Привет"),
])
def test_foreign_script_is_skipped_and_named(fronts, code, text):
    result = run(fronts, code, text)
    spoken = [t.text for t in result.tokens if t.kind == "word"]
    assert result.skipped == ["ผมชื่อ", "Привет"]
    assert len(spoken) == 2 and all(t.phonemes for t in result.tokens)


@pytest.mark.parametrize("code, text", [
    ("es", "¿Dónde está la estación? ¡Qué bien! Dijo: «hola» (y se fue)."),
    ("it", "Dov'è la stazione? Che bello! Disse: «ciao» (e se ne andò)."),
    ("pt-br", "Onde fica a estação? Que bom! Disse: «olá» (e foi embora)."),
    ("fr", "Où est la gare ? Quelle chance ! Il a dit : « salut » (et il est parti)."),
])
def test_tokens_have_spans_and_kokoro_symbols_only(fronts, vocab, code, text):
    normalized = front(fronts, code).normalize(text)
    result = run(fronts, code, normalized, normalize=False)
    from koe.lang.base import PUNCTUATION

    for token in result.tokens:
        start, end = token.span
        assert 0 <= start < end <= len(normalized)
        if token.kind == "word":
            assert normalized[start:end] == token.text
        else:
            assert token.text in PUNCTUATION
        assert set(token.phonemes) - {" "} <= vocab, token
    marks = [t.text for t in result.tokens if t.kind == "punct"]
    assert "¿" not in marks and "¡" not in marks and "«" not in marks
    assert "“" in marks and "”" in marks and "(" in marks and ")" in marks
    assert result.tokens[-1].text == "."


@pytest.mark.parametrize("code", LANGS)
def test_digits_left_in_the_text_are_still_read(fronts, code):
    result = run(fronts, code, "7", normalize=False)
    assert [t.kind for t in result.tokens] == ["word"] and result.tokens[0].phonemes
    assert result.tokens[0].span == (0, 1)


@pytest.mark.parametrize("code", LANGS)
def test_paragraphs_survive_normalization(fronts, code):
    normalized = front(fronts, code).normalize("Uno  due\t tre.\n\n  Quattro.")
    assert normalized == "Uno due tre.\n\nQuattro."


# --- Spanish ----------------------------------------------------------------------------------------

def test_spanish_numbers_money_dates_and_abbreviations(fronts):
    n = front(fronts, "es").normalize
    assert n("Tengo 25 años y 1 libro.") == "Tengo veinticinco años y un libro."
    assert n("Son 21 casas y 300 personas, 1 de ellas.") == "Son veintiuna casas y trescientas personas, uno de ellas."
    assert n("Cuesta 7,50 €.") == "Cuesta siete euros con cincuenta céntimos."
    assert n("El 40% llegó el 12/03/2024 a las 14:30.") == (
        "El cuarenta por ciento llegó el doce de marzo de dos mil veinticuatro a las catorce y treinta.")
    assert n("El Sr. Pérez vive en el 2º piso.") == "El señor Pérez vive en el segundo piso."
    assert n("Son 1.234 personas y 3,5 kilos.") == "Son mil doscientas treinta y cuatro personas y tres coma cinco kilos."


def test_spanish_c_z_ll_and_stress(fronts):
    assert words(fronts, "es", "cielo zapato calle canción") == ["θjelo", "θapato", "kaʎe", "kanθjon"]
    result = run(fronts, "es", "canción árbol casa")
    assert [t.phonemes for t in result.tokens] == ["kanθjˈon", "ˈaɾβol", "kˈasa"]


def test_spanish_b_d_g_soften_between_vowels_across_words(fronts):
    assert flat(fronts, "es", "la boca, un vaso, el dedo, mi gato") == "la βoka um baso el ðeðo mi ɣato"
    assert flat(fronts, "es", "Bueno") == "bweno"  # after a pause: a stop


def test_spanish_drops_its_opening_marks(fronts):
    result = run(fronts, "es", "¿Qué? ¡Hola!")
    assert [t.text for t in result.tokens] == ["Qué", "?", "Hola", "!"]


# --- Italian ----------------------------------------------------------------------------------------

def test_italian_gn_gli_and_double_consonants(fronts):
    assert words(fronts, "it", "gnocchi figlio fatto ragazzo anno") == ["ɲokːɪ", "fiʎo", "fatːo", "raɡaʦːo", "anno"]


def test_italian_stress_from_the_lexicon_and_accents(fronts):
    result = run(fronts, "it", "tavolo città parlare")
    assert [t.phonemes for t in result.tokens] == ["tˈavolo", "ʧitːˈa", "parlˈare"]


def test_italian_verb_forms_missing_from_the_lexicon_keep_the_stem_stress(fronts):
    result = run(fronts, "it", "parlano vendono capiscono giocavano")
    assert [t.phonemes for t in result.tokens] == ["pˈarlano", "vˈendono", "kapˈiskono", "ʤokˈavano"]


def test_italian_elision_reads_as_one_word(fronts):
    result = run(fronts, "it", "L'anno c'è dell'amico")
    assert [t.text for t in result.tokens] == ["L'anno", "c'è", "dell'amico"]
    assert [t.phonemes for t in result.tokens] == ["lˈanno", "ʧe", "dellamˈiko"]


def test_italian_numbers_and_money(fronts):
    n = front(fronts, "it").normalize
    assert n("Ho 21 anni e 3,5 €.") == "Ho ventun anni e tre virgola cinque euro."
    assert n("Ho 1 casa.") == "Ho una casa."
    assert n("Il 25% alle 8:15.") == "Il venticinque per cento alle otto e quindici."


# --- Brazilian Portuguese ---------------------------------------------------------------------------

def test_portuguese_nasal_vowels(fronts):
    assert words(fronts, "pt-br", "pão bem também mãe") == ["pɐ̃ʊ̃", "bAŋ", "tɐ̃mbAŋ", "mɐ̃j"]


def test_portuguese_final_vowels_reduce_and_t_d_soften(fronts):
    assert words(fronts, "pt-br", "leite cidade menino casa") == ["lAʧy", "sidaʤy", "meninʊ", "kazæ"]


def test_portuguese_word_joins(fronts):
    # a final s is z before a vowel or a voiced sound; a final unstressed o glides before a vowel
    assert flat(fronts, "pt-br", "as casas os olhos") == "as kazæs ʊz ɔljʊs"
    assert flat(fronts, "pt-br", "o amigo") == "u æmiɡʊ"


def test_portuguese_money_and_numbers(fronts):
    n = front(fronts, "pt-br").normalize
    assert n("Custa R$ 7,50.") == "Custa sete reais e cinquenta centavos."
    assert n("São 2 horas, 1º lugar, 2 livros, 200 pessoas.") == (
        "São duas horas, primeiro lugar, dois livros, duzentas pessoas.")


# --- French -----------------------------------------------------------------------------------------

def test_french_liaison(fronts):
    assert flat(fronts, "fr", "les amis") == "lez ami"
    assert flat(fronts, "fr", "les copains") == "le kopɛ̃"
    assert flat(fronts, "fr", "un enfant") == "œ̃n ɑ̃fɑ̃"
    assert flat(fronts, "fr", "les héros") == "le eʁo"  # aspirated h
    assert flat(fronts, "fr", "neuf ans") == "nœv ɑ̃"


def test_french_elision_and_silent_letters(fronts):
    result = run(fronts, "fr", "L'homme qu'il voit est petit.")
    assert [t.text for t in result.tokens][:2] == ["L'homme", "qu'il"]
    assert words(fronts, "fr", "L'homme qu'il voit est petit") == ["lɔm", "kil", "vwa", "ɛ", "pəti"]


def test_french_unknown_words_use_spelling_rules(fronts):
    assert words(fronts, "fr", "Gribouillard Kervillon") == ["ɡʁibujaʁ", "kɛʁvijɔ̃"]


def test_french_numbers_ordinals_and_quotes(fronts):
    n = front(fronts, "fr").normalize
    assert n("Il a 21 ans, le 1er mai à 14h30.") == "Il a vingt et un ans, le premier mai à quatorze heures trente."
    assert n("Au XIXe siècle, 25 % coûtait 3,50 €.") == (
        "Au dix-neuvième siècle, vingt-cinq pour cent coûtait trois euros et cinquante centimes.")
    assert n("Le chat") == "Le chat"  # "Le" is not a Roman numeral
    assert n("Il reste 1 heure et 21 pages.") == "Il reste une heure et vingt et une pages."
    result = run(fronts, "fr", "« Bonjour »")
    assert [t.text for t in result.tokens] == ["“", "Bonjour", "”"]


# --- the build step ---------------------------------------------------------------------------------

def test_build_step_converts_gruut_pronunciations():
    tool = load_tool("build_lang_data")
    assert tool.stress_code("ˈt a v o l o", "aeiouɛɔ") == "3a"
    assert tool.stress_code("b ˈɛ n e", "aeiouɛɔ") == "2E"
    assert tool.stress_code("f a r m a ˈt͡ʃ i a", "aeiouɛɔ") == "2I"
    assert tool.stress_code("k a ˈm i t͡ʃ a", "aeiouɛɔ") == "2i"
    assert tool.french_phonemes("n ɥ i") == "nyi"
    assert tool.french_phonemes("b ɔ̃ ʒ u ʁ") == "bɔ̃ʒuʁ"
    assert tool.french_phonemes("x y z") is None


def test_built_language_data_is_present():
    for path in ("lang/fr/lexicon.txt.gz", "lang/it/stress.txt.gz"):
        assert (ASSETS / path).is_file(), f"{path} missing: run ./build.sh"


@pytest.mark.parametrize("code, text, expected", [
    ("es", "Escribe a info@correo.es o visita www.ejemplo.com/ayuda.",
     "Escribe a info arroba correo punto es o visita ejemplo punto com barra ayuda."),
    ("it", "Scrivi a info@posta.it.", "Scrivi a info chiocciola posta punto it."),
    ("pt-br", "Acesse www.exemplo.com.br hoje.", "Acesse exemplo ponto com ponto br hoje."),
    ("fr", "Écrivez à contact@exemple.fr.", "Écrivez à contact arobase exemple point fr."),
])
def test_web_addresses_are_read_piece_by_piece(fronts, code, text, expected):
    assert front(fronts, code).normalize(text) == expected


@pytest.mark.parametrize("code, expected", [
    ("es", "teuβe"), ("it", "tivu"), ("pt-br", "teve"), ("fr", "teve"),
])
def test_words_without_vowels_are_spelled(fronts, code, expected):
    assert words(fronts, code, "TV") == [expected]


def test_data_files_are_read_gzipped_or_not():
    import gzip

    from koe.lang.romance import read_table

    plain = "casa\t2a\nbene\t2E\n".encode()
    assert read_table(plain) == read_table(gzip.compress(plain)) == {"casa": "2a", "bene": "2E"}
    assert read_table(b"") == {}
    assert read_table(b"ok\t1\nbroken line\n") == {"ok": "1"}
