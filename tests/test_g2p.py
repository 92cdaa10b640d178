"""Pronunciations of tricky words, in Kokoro's phoneme alphabet (misaki's conventions)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from koe.lang.en.lexicon import promote
from koe.runtime import run_sync


def phonemes(g2p, text: str) -> str:
    return run_sync(g2p.phonemize(text)).phonemes


@pytest.mark.parametrize("text, expected", [
    ("Hello, world!", "həlˈO, wˈɜɹld!"),
    # heteronyms by context
    ("I want to read it.", "ˌI wˈɑnt tə ɹˈid ɪt."),
    ("I have read it.", "ˌI hæv ɹˈɛd ɪt."),
    ("live music", "lˈIv mjˈuzɪk"),
    ("we live here", "wi lˈɪv hˈɪɹ"),
    ("they record it", "ðA ɹəkˈɔɹd ɪt"),
    ("the record", "ðə ɹˈɛkəɹd"),
    ("he used to go", "hi jˈust tə ɡˌO"),
    ("it is used", "ɪt ɪz jˈuzd"),
    # function words reduced by the next sound
    ("the apple", "ði ˈæpᵊl"),
    ("a cat", "ɐ kˈæt"),
    ("to eat", "tʊ ˈit"),
    # initialisms: spelled unless the dictionary reads them as a word
    ("the FBI", "ði ˌɛf bˌi ˈI"),  # "thee": the spelled F starts with a vowel sound
    ("NASA", "nˈæsə"),
    ("the US team", "ðə jˌu ˈɛs tˈim"),
    # morphological fallbacks
    ("stopped", "stˈɑpt"),
    ("John's", "ʤˈɑnz"),
])
def test_pronunciation_table(us_g2p, text, expected):
    assert phonemes(us_g2p, text) == expected


def test_british_accent_differs(gb_g2p, us_g2p):
    assert phonemes(gb_g2p, "tomato") != phonemes(us_g2p, "tomato")


def test_derived_forms_of_unknown_inflections(us_g2p):
    lexicon = us_g2p.lexicon
    # Derivations must agree with the dictionary where it has the answer.
    for word in ("jumped", "needed", "boxes", "running", "cats", "making", "wishes", "tried", "started", "planted",
                 "hoped", "sitting"):
        stem_based = None
        for attempt in (lexicon._past, lexicon._plural, lexicon._gerund):
            stem_based = stem_based or attempt(word, "DEFAULT", 1)
        assert promote(stem_based) == lexicon.lookup(word), word


@pytest.mark.parametrize("word, expected", [
    ("wanted", "wˈɑntᵻd"), ("waited", "wˈATᵻd"), ("dogs", "dˈɔɡz"), ("cities", "sˈɪTiz"),  # Kokoro v1 writes the flap ɾ as T
])
def test_inflections_missing_from_the_dictionary(us_g2p, word, expected):
    assert us_g2p.lexicon.lookup(word) is None
    assert phonemes(us_g2p, word) == expected


def test_compound_and_hyphenated_words(us_g2p):
    assert phonemes(us_g2p, "sunflowerfield") == "sˈʌnflˌWəɹfˌild"
    assert phonemes(us_g2p, "well-known").count(" ") == 1


def test_unknown_word_goes_to_neural_fallback(us_g2p):
    out = run_sync(us_g2p.phonemize("Kokoro blorptastic"))
    assert not out.skipped
    words = out.phonemes.split()
    assert len(words) == 2 and all(any(v in w for v in "aeiouæɑɔəɛɜɪʊʌAIOWY") for w in words)
    # Not spelled letter by letter: one word stays one word.
    assert "kˌA ˌO" not in out.phonemes


def test_unpronounceable_script_is_reported_not_dropped_silently(us_g2p):
    out = run_sync(us_g2p.phonemize("hello 你好 world"))
    assert out.skipped == ["你好"]
    assert out.phonemes == "həlˈO wˈɜɹld"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_text_phonemizes_without_error(us_g2p, text):
    out = run_sync(us_g2p.phonemize(text))
    assert isinstance(out.phonemes, str)


def test_every_symbol_is_in_the_model_vocabulary(engine):
    text = ("The quick brown fox's 3 cousins weren't waiting; they'd gone to Worcestershire, Kyiv and Xochimilco, "
            "singing \"Hallelujah!\" — naïvely, unbelievably (and rather loudly)… Bottles, buttons, water.")
    for accent in ("en-us", "en-gb"):
        from koe.runtime import run_sync as drive

        g2p = drive(engine.front_end(accent))
        out = drive(g2p.phonemize(text))
        missing = {ch for ch in out.phonemes if ch not in engine.vocab.mapping}
        assert not missing, (accent, missing)
