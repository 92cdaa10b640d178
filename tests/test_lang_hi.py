"""Hindi front end: schwa deletion, nasals, nukta, conjuncts, stress, numbers, mixed scripts."""

from __future__ import annotations

import json
import unicodedata

import pytest
from koe.lang.hi.g2p import word_phonemes
from koe.lang.hi.normalize import normalize_text
from koe.lang.hi.numbers import cardinal, ordinal, year
from koe.runtime import run_sync


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.fixture(scope="module")
def hindi(assets_dir):
    from koe.assets import DirectoryAssets
    from koe.lang.loader import FrontEnds
    from koe.runtimes.onnxruntime import OnnxRuntime

    return run_sync(FrontEnds(DirectoryAssets(assets_dir), runtime=OnnxRuntime(threads=1)).get("hi"))


@pytest.fixture(scope="module")
def vocab(assets_dir) -> set[str]:
    return set(json.loads((assets_dir / "model" / "vocab.json").read_text(encoding="utf-8")))


def phonemize(front_end, text: str):
    return run_sync(front_end.phonemize(front_end.normalize(text)))


@pytest.mark.parametrize("word, expected", [
    ("कमल", "kˈʌməl"),         # final schwa deleted, the one before a final consonant kept
    ("समझना", "sˈʌməɟʰnaː"),   # medial: deleted in VC_CV, kept before another schwa syllable
    ("सरकार", "sˌəɾkˈaːɾ"),    # medial schwa before a full vowel deleted
    ("रहना", "ɾˈʌhənˌaː"),     # kept after ह
    ("भारत", "bʰˈaːɾət"),
    ("मकान", "məkˈaːn"),        # unstressed schwa: ə; stressed: ʌ
    ("अगस्त", "ʌɡˈʌst"),       # word-initial अ is ʌ even unstressed
])
def test_schwa_deletion_and_reduction(word, expected):
    assert word_phonemes(word) == expected


@pytest.mark.parametrize("word, nasal", [
    ("गंगा", "ŋɡ"), ("पंखा", "ŋkʰ"), ("चंचल", "ɲc"), ("ठंडा", "ɳɖ"), ("अंत", "nt"), ("लंबा", "mb"),
    ("संसार", "ns"), ("संयोग", "ɲj"),
])
def test_anusvara_takes_the_place_of_the_next_consonant(word, nasal):
    assert nasal in word_phonemes(word)


@pytest.mark.parametrize("word, expected", [
    ("हिंदी", "hˈĩdi"),      # after इ/उ/आ... anusvara nasalizes the vowel
    ("में", "mˈẽː"),
    ("माँ", "mˈã"),          # chandrabindu at the end: a nasal vowel
    ("गाँव", "ɡˈãnʋ"),       # ...inside the word: nasal vowel and n
    ("हँसना", "hˈʌnsənˌaː"),  # after a schwa: n
])
def test_nasal_vowels(word, expected):
    assert word_phonemes(word) == nfd(expected)


def test_nasal_vowels_use_the_combining_tilde():
    assert "\u0303" in word_phonemes("हाँ")
    assert "ã" not in word_phonemes("हाँ")  # precomposed ã is not in Kokoro's vocabulary


@pytest.mark.parametrize("word, expected", [
    ("क़ानून", "qaːnˈuːn"), ("ख़ुश", "xˈʊʃ"), ("ग़लत", "ɣˈʌlət"), ("ज़रूरी", "zəɾˈuːɾi"),
    ("फ़िल्म", "fˈɪlmə"), ("सड़क", "sˈʌr.ək"), ("पढ़ना", "pˈʌr.hənˌaː"),
])
def test_nukta_consonants(word, expected):
    assert word_phonemes(word) == expected


def test_precomposed_and_decomposed_nukta_read_the_same():
    assert word_phonemes("\u095b\u093f\u0902\u0926\u0917\u0940") == word_phonemes("ज\u093cिंदगी")


@pytest.mark.parametrize("word, expected", [
    ("प्रश्न", "pɾˈʌʃnə"),   # final sonorant after a virama keeps ə
    ("क्षमा", "kʃˈʌmaː"), ("ज्ञान", "ɡjˈaːn"),
    ("बच्चा", "bˈʌcːaː"),    # doubled stop: one long consonant
    ("क्या", "kːjˈaː"),
    ("धर्म", "dʰˈʌrm"),      # र before a non-stop consonant is r, elsewhere ɾ
    ("स्कूल", "skˈuːl"), ("विद्यालय", "ʋɪdjˈaːlˌɛj"), ("कृपया", "kɾˈɪpjˌaː"),
])
def test_conjuncts(word, expected):
    assert word_phonemes(word) == expected


def test_function_words_carry_no_primary_stress():
    assert word_phonemes("हमारा", unstressed=True) == "həmˌaːɾaː"
    assert word_phonemes("का", unstressed=True) == "kaː"


def test_numbers_in_words():
    assert cardinal(0) == "शून्य"
    assert cardinal(45) == "पैंतालीस"
    assert cardinal(100) == "एक सौ"
    assert cardinal(1250) == "एक हज़ार दो सौ पचास"
    assert cardinal(125000) == "एक लाख पच्चीस हज़ार"
    assert cardinal(2_500_000) == "पच्चीस लाख"
    assert cardinal(1_40_00_00_000) == "एक सौ चालीस करोड़"
    assert year(1947) == "उन्नीस सौ सैंतालीस"
    assert year(2024) == "दो हज़ार चौबीस"
    assert ordinal(1) == "पहला" and ordinal(5, "ी") == "पाँचवीं"


@pytest.mark.parametrize("text, expected", [
    ("मैं 25 साल का हूँ।", "मैं पच्चीस साल का हूँ."),
    ("१२३ लोग", "एक सौ तेईस लोग"),
    ("1,25,000 रुपये", "एक लाख पच्चीस हज़ार रुपये"),
    ("कीमत ₹250 है", "कीमत दो सौ पचास रुपये है"),
    ("₹1.50", "एक रुपया पचास पैसे"),
    ("6% ब्याज", "छह प्रतिशत ब्याज"),
    ("15 अगस्त 1947 को", "पंद्रह अगस्त उन्नीस सौ सैंतालीस को"),
    ("05/11/1998", "पाँच नवंबर उन्नीस सौ अट्ठानबे"),
    ("7:30 बजे", "साढ़े सात बजे"),
    ("3:45", "पौने चार बजे"),
    ("10:20 पर", "दस बजकर बीस मिनट पर"),
    ("21वीं सदी", "इक्कीसवीं सदी"),
    ("डॉ. शर्मा 2.5 कि.मी. दौड़े", "डॉक्टर शर्मा दो दशमलव पाँच किलोमीटर दौड़े"),
    ("राम ॥ श्याम", "राम. श्याम"),
    ("10-15 लोग", "दस से पंद्रह लोग"),
    ("तापमान -5 डिग्री", "तापमान ऋण पाँच डिग्री"),
])
def test_normalize(text, expected):
    assert normalize_text(text) == expected


def test_danda_ends_the_sentence(hindi):
    result = phonemize(hindi, "मैं घर जा रहा हूँ। तुम आओ॥")
    ends = [t for t in result.tokens if t.ends_sentence]
    assert [t.text for t in ends] == [".", "."]
    assert result.phonemes.endswith(".")


def test_spans_index_the_phonemized_text(hindi):
    text = hindi.normalize("सुबह-सुबह मैंने OK कहा, फिर 3 किताबें लीं।")
    result = run_sync(hindi.phonemize(text))
    for token in result.tokens:
        start, end = token.span
        if token.kind == "word" and token.text.isalpha() or token.kind == "punct":
            assert text[start:end] == token.text
    assert result.phonemes.startswith("sˈʊbəhˌəsˈʊbəh ")  # a hyphenated compound reads as one word


def test_latin_words_are_spoken_in_english(hindi):
    result = phonemize(hindi, "मेरा laptop घर पर है।")
    laptop = next(t for t in result.tokens if t.text == "laptop")
    assert laptop.phonemes and laptop.space_after
    assert not result.skipped


def test_other_scripts_are_skipped_and_named(hindi):
    result = phonemize(hindi, "नमस्ते สวัสดี Привет दोस्त")
    assert result.skipped == ["สวัสดี", "Привет"]
    assert [t.text for t in result.tokens] == ["नमस्ते", "दोस्त"]


@pytest.mark.parametrize("text", ["", "   ", "।।", "#*~", "🙂"])
def test_empty_and_symbol_only_input(hindi, text):
    result = phonemize(hindi, text)
    assert not [t for t in result.tokens if t.kind == "word"]


def test_every_symbol_is_in_kokoros_vocabulary(hindi, vocab):
    text = ("ज़िंदगी में ख़ुशी, ग़म, क़ानून और फ़िल्में; पढ़ाई-लिखाई! ऋषि ब्रह्मा दुःख ॐ अँधेरा "
            "आँखें गईं ऑफ़िस 1,50,000 रुपये 7:45 बजे 21वाँ")
    result = phonemize(hindi, text)
    assert set(result.phonemes) - {" "} <= vocab


def test_phonemize_reads_what_normalize_left(hindi):
    result = run_sync(hindi.phonemize("मेरे पास ३ किताबें हैं।"))
    assert [t.text for t in result.tokens][2:4] == ["तीन", "किताबें"]
    assert result.tokens[-1].text == "." and result.tokens[-1].ends_sentence
