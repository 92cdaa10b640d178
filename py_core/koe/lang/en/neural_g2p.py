"""Neural fallback G2P for English words missing from the pronunciation dictionaries.

Kokoro's English front end (misaki) looks words up in its gold/silver
dictionaries; for the rest it needs a guess. misaki asks espeak-ng, which does
not exist in the browser, so Koe uses g2p-en's small GRU seq2seq instead (the
model g2p-en itself uses for out-of-vocabulary words, trained on CMUdict).

The numeric part is one ONNX graph (built by ``tools/build_g2p_onnx.py``) that
greedily decodes a whole batch of words, so the browser pays one runtime call per
batch. Everything else here - tokenising graphemes, cutting the decoded ids and
rewriting ARPAbet into misaki's phoneme alphabet - is plain stdlib Python.

misaki's conventions, learnt from ``us_gold.json``/``gb_gold.json``:

* diphthongs are single capitals: A=eɪ I=aɪ W=aʊ Y=ɔɪ, O=oʊ (US), Q=əʊ (GB);
  ʤ and ʧ are single symbols too;
* a stress mark (ˈ primary, ˌ secondary) sits right before the stressed vowel,
  not at the start of the syllable: "hello" -> həlˈO;
* US: ER is ɜɹ when stressed and əɹ when not, /t/ between a vowel (or ɹ) and an
  unstressed vowel is flapped to ɾ, "-tten" is ʔn, and the reduced vowel of the
  ``-es``/``-ed`` endings is ᵻ; syllabic l/n are written ᵊl/ᵊn;
* GB: long vowels carry ː, the accent is non-rhotic (r only before a vowel), the
  LOT vowel is ɒ, TRAP is a and GOAT is Q; unstressed vowels spelt i/e/y stay ɪ
  and secondary stress after the primary is left unmarked.

ARPAbet loses some distinctions misaki keeps ("-ist" ɪst vs "-est" ᵻst, LOT vs
PALM, "new" njˈuː in RP), so the converter takes the spelling as an optional
hint. ``tests/test_neural_g2p.py`` measures the agreement with misaki's gold
dictionaries (model + converter).

Flaps stay ɾ as in the dictionaries; the caller applies any later rewriting
(misaki turns ɾ into T for Kokoro v1.0) to dictionary and neural output alike.
"""

from __future__ import annotations

import unicodedata
from array import array
from typing import Sequence

from ...runtime import Session, Tensor

#: The model's input alphabet; a word is its letters followed by "</s>".
GRAPHEMES = ("<pad>", "<unk>", "</s>") + tuple("abcdefghijklmnopqrstuvwxyz")
#: The model's output alphabet (CMUdict ARPAbet with stress digits).
PHONEMES = ("<pad>", "<unk>", "<s>", "</s>",
            "AA0", "AA1", "AA2", "AE0", "AE1", "AE2", "AH0", "AH1", "AH2", "AO0", "AO1", "AO2",
            "AW0", "AW1", "AW2", "AY0", "AY1", "AY2", "B", "CH", "D", "DH", "EH0", "EH1", "EH2",
            "ER0", "ER1", "ER2", "EY0", "EY1", "EY2", "F", "G", "HH", "IH0", "IH1", "IH2",
            "IY0", "IY1", "IY2", "JH", "K", "L", "M", "N", "NG", "OW0", "OW1", "OW2",
            "OY0", "OY1", "OY2", "P", "R", "S", "SH", "T", "TH", "UH0", "UH1", "UH2", "UW",
            "UW0", "UW1", "UW2", "V", "W", "Y", "Z", "ZH")
PAD, GRAPHEME_EOS = 0, 2
PHONEME_EOS = 3
MAX_STEPS = 20  # the graph's fixed number of decode steps
MAX_BATCH = 64
#: Longer words are decoded in pieces: the model saw few long words and emits at
#: most MAX_STEPS phonemes (only 3 of ~84k dictionary words reach that limit).
MAX_LETTERS = 20

_G2ID = {g: i for i, g in enumerate(GRAPHEMES)}

#: ARPAbet consonants, the same in both accents.
CONSONANTS = {
    "B": "b", "CH": "ʧ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "ʤ",
    "K": "k", "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s",
    "SH": "ʃ", "T": "t", "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}
#: ARPAbet vowels (stress digit removed) in General American, misaki style.
VOWELS_US = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "W", "AY": "I", "EH": "ɛ", "ER": "ɜɹ",
    "EY": "A", "IH": "ɪ", "IY": "i", "OW": "O", "OY": "Y", "UH": "ʊ", "UW": "u",
}
#: ARPAbet vowels in Received Pronunciation, misaki style.
VOWELS_GB = {
    "AA": "ɑː", "AE": "a", "AH": "ʌ", "AO": "ɔː", "AW": "W", "AY": "I", "EH": "ɛ", "ER": "ɜː",
    "EY": "A", "IH": "ɪ", "IY": "iː", "OW": "Q", "OY": "Y", "UH": "ʊ", "UW": "uː",
}
#: Base ARPAbet symbol -> misaki phonemes, per accent (context rules refine these).
ARPABET = {
    "us": {**CONSONANTS, **VOWELS_US},
    "gb": {**CONSONANTS, **VOWELS_GB},
}

PRIMARY, SECONDARY = "ˈ", "ˌ"

_SIBILANTS = frozenset(("S", "Z", "SH", "ZH", "CH", "JH"))
#: RP keeps an unstressed vowel spelt with these letters as ɪ where GA has ə.
_GB_I_LETTERS = ("i", "e", "y")
#: RP yod after these before a stressed /uː/ spelt u/ew/eu: "new" njˈuː, "tune" tjˈuːn.
_GB_YOD_AFTER = ("T", "D", "N")
#: General American vowel + r that ends the syllable: "beer" bˈɪɹ, "cure" kjˈʊɹ, "fire" fˈIəɹ.
_US_BEFORE_R = {"IY": "ɪ", "UW": "ʊ", "EY": "ɛ", "OW": "ɔ", "AY": "Iə", "AW": "Wə"}
#: RP vowel + r that ends the syllable; the r itself is silent: "here" hˈɪə, "hair" hˈɛː.
_GB_BEFORE_R = {"AA": "ɑː", "AE": "ɑː", "AO": "ɔː", "OW": "ɔː", "EH": "ɛː", "EY": "ɛː", "IH": "ɪə", "IY": "ɪə",
                "UH": "ʊə", "UW": "ʊə", "AY": "Iə", "AW": "Wə", "OY": "Yə"}
#: RP vowel before an r that starts the next syllable: "carry" kˈaɹi, "serious" sˈɪəɹɪəs.
_GB_BEFORE_R_VOWEL = {"AA": "ɑː", "AO": "ɔː", "IH": "ɪə", "IY": "ɪə", "UH": "ʊə", "UW": "ʊə", "AY": "Iə",
                      "AW": "Wə", "EY": "ɛː"}

Phone = tuple[str, "int | None"]  # (ARPAbet base, stress 0/1/2, or None for a consonant)


def _parse(arpa: Sequence[str]) -> list[Phone]:
    """ARPAbet tokens -> (base, stress) pairs; unknown tokens are dropped."""
    out: list[Phone] = []
    for tok in arpa:
        tok = tok.upper()
        if tok[-1:].isdigit() and tok[:-1] in VOWELS_US:
            out.append((tok[:-1], int(tok[-1])))
        elif tok in VOWELS_US:  # g2p-en's phoneme list has a bare "UW"
            out.append((tok, 0))
        elif tok in CONSONANTS:
            out.append((tok, None))
    return out


def _align_vowels(spelling: str, phones: list[Phone]) -> dict[int, str]:
    """Pair vowel phones with the spelling's vowel-letter groups, in order.

    Only when the counts agree (about 80% of dictionary words) - a cheap stand-in
    for a real letter-to-sound alignment, used where RP depends on spelling.
    """
    if not spelling:
        return {}
    groups, k = [], 0
    while k < len(spelling):
        c = spelling[k]
        if c in "aeiou" or (c == "y" and k > 0 and spelling[k - 1] not in "aeiou"):
            j = k + 1
            while j < len(spelling) and spelling[j] in "aeiou":
                j += 1
            if j < len(spelling) and spelling[j] in "wy" and (j + 1 == len(spelling) or spelling[j + 1] not in "aeiou"):
                j += 1  # "ew", "ay", "ow"
            groups.append(spelling[k:j])
            k = j
        else:
            k += 1
    if len(groups) > 1 and groups[-1] == "e" and spelling.endswith("e") and not spelling.endswith("le"):
        groups.pop()  # silent final e
    vowels = [k for k, (_, stress) in enumerate(phones) if stress is not None]
    return dict(zip(vowels, groups)) if len(vowels) == len(groups) else {}


class _ArpabetWord:
    """Index-safe look-ups into a parsed ARPAbet word, for the context rules."""

    def __init__(self, phones: list[Phone], spelling: str) -> None:
        self.phones = phones
        self.n = len(phones)
        self.spelling = spelling
        self.letters = _align_vowels(spelling, phones)

    def letter(self, k: int) -> str:
        """The spelling's vowel letters for vowel phone k ("" when unknown)."""
        return self.letters.get(k, "")

    def base(self, k: int) -> str | None:
        return self.phones[k][0] if 0 <= k < self.n else None

    def stress(self, k: int) -> int | None:
        return self.phones[k][1] if 0 <= k < self.n else None

    def vowel(self, k: int) -> bool:
        return 0 <= k < self.n and self.phones[k][1] is not None

    def consonant(self, k: int) -> bool:
        return 0 <= k < self.n and self.phones[k][1] is None

    def unstressed(self, k: int) -> bool:
        return self.stress(k) == 0

    def coda_r(self, k: int) -> bool:
        """Phone k+1 is an r that closes the syllable (no vowel follows it)."""
        return self.base(k + 1) == "R" and not self.vowel(k + 2)

    def onset_r(self, k: int) -> bool:
        return self.base(k + 1) == "R" and self.vowel(k + 2)

    def word_final(self, k: int) -> bool:
        """Phone k ends the word, or only an inflection-like /t s z d/ follows it."""
        rest = self.n - k - 1
        return rest == 0 or (rest == 1 and self.base(k + 1) in ("T", "S", "Z", "D"))

    def ends(self, *bases: str) -> bool:
        return tuple(b for b, _ in self.phones[self.n - len(bases):]) == bases

    def spelled(self, suffix: str) -> bool | None:
        """Whether the spelling ends with ``suffix``; None when the spelling is unknown."""
        return self.spelling.endswith(suffix) if self.spelling else None

    def syllabic_n(self, k: int) -> bool:
        """Vowel k is an unstressed AH before a word-final n (+ t/s/z/d): "-den", "-sant"."""
        return self.base(k) == "AH" and self.unstressed(k) and self.base(k + 1) == "N" and self.word_final(k + 1)

    def glottal_t(self, k: int) -> bool:
        """US "button" bˈʌʔn: t after a stressed vowel, before a syllabic n."""
        return (self.base(k) == "T" and self.stress(k - 1) == 1 and self.syllabic_n(k + 1))

    def ically(self, k: int) -> bool:
        """Phone k is the k of a word-final -ically (IH0 K [AH0] L IY0)."""
        return (self.base(k) == "K" and self.base(k - 1) == "IH" and self.unstressed(k - 1)
                and (self.ends("L", "IY") and k == self.n - 3 or self.ends("AH", "L", "IY") and k == self.n - 4))

    def reduced_ending(self, k: int) -> str | None:
        """The -ed / -es / -est / -ist / -is endings, keyed by spelling when known."""
        base, nxt, prev = self.base(k), self.base(k + 1), self.base(k - 1)
        if base not in ("AH", "IH") or not self.unstressed(k):
            return None
        if k == self.n - 2 and nxt == "D" and prev in ("T", "D") and self.spelled("ed") is not False:
            return "ed"
        if k == self.n - 2 and nxt == "Z" and prev in _SIBILANTS and self.spelled("es") is not False:
            return "es"
        if k == self.n - 3 and nxt == "S" and self.base(k + 2) == "T":
            if self.spelled("ist"):
                return "ist"
            if self.spelled("est") or (self.spelling == "" and prev == "IY"):
                return "est"
        if k == self.n - 2 and nxt == "S":
            if self.spelled("is"):
                return "is"
            if self.spelled("ess") and base == "IH":
                return "ess"
        return None


def _us_phone(w: _ArpabetWord, i: int) -> tuple[str, int | None]:
    """General American symbol for phone i (stress returned separately)."""
    base, stress = w.phones[i]
    if stress is None:
        if base == "T":
            if w.glottal_t(i):
                return "ʔ", None
            # Flap between a vowel (or vowel + r) and an unstressed vowel: "water", "party".
            if (w.unstressed(i + 1) and not w.syllabic_n(i + 1)
                    and (w.vowel(i - 1) or (w.base(i - 1) == "R" and w.vowel(i - 2)))):
                return "ɾ", None
        if w.ically(i) and w.base(i + 1) == "L":
            return "kᵊ", None  # "academically" ˌækədˈɛməkᵊli
        return CONSONANTS[base], None

    if base == "ER":
        return ("ɜɹ" if stress else "əɹ"), stress
    if base == "AE" and w.onset_r(i):
        return "ɛ", stress  # "carry" kˈɛɹi
    if w.coda_r(i) and base in _US_BEFORE_R:
        return _US_BEFORE_R[base], stress
    if i == 0 and base == "AH" and stress == 0 and w.base(1) == "N" and w.n > 2:
        return "ʌ", 2  # the un- prefix: "unaided" ˌʌnˈAdᵻd
    if stress == 0 and base in ("AH", "IH"):
        ending = w.reduced_ending(i)
        if ending in ("ed", "es", "est"):
            return "ᵻ", 0  # "added" ˈædᵻd, "boxes", "angriest"
        if ending in ("ist", "is"):
            return "ɪ", 0
        if ending == "ess":
            return "ə", 0
        prev_cons = w.consonant(i - 1) and w.base(i - 1) != "R"
        if base == "AH" and prev_cons:
            if w.base(i + 1) == "L" and (i == w.n - 2 or w.ically(i - 1)):
                return "ᵊ", 0  # syllabic l: "able" ˈAbᵊl
            if w.syllabic_n(i) and w.base(i - 1) in ("T", "D", "S", "Z", "JH"):
                return ("" if w.glottal_t(i - 1) else "ᵊ"), 0  # "sudden" sˈʌdᵊn, "button" bˈʌʔn
        if base == "IH" and i > 0 and w.consonant(i + 1) and w.base(i + 1) != "NG" and w.vowel(i + 2):
            return "ə", 0  # reduced in an open syllable: "decant" dəkˈænt
        if base == "IH" and i == 1 and w.base(0) in ("D", "R", "B") and w.base(2) != "NG" and w.n > 3:
            return "ə", 0  # de-, re-, be- prefixes: "describe" dəskɹˈIb
        return ("ə" if base == "AH" else "ɪ"), 0
    return VOWELS_US[base], stress


def _gb_phone(w: _ArpabetWord, i: int) -> tuple[str, int | None]:
    """Received Pronunciation symbol for phone i (stress returned separately)."""
    base, stress = w.phones[i]
    if stress is None:
        if base == "R" and not w.vowel(i + 1):
            return "", None  # non-rhotic
        if (base in _GB_YOD_AFTER and w.base(i + 1) == "UW" and w.stress(i + 1)
                and w.letter(i + 1) in ("u", "ue", "ew", "eu", "ui")):
            return CONSONANTS[base] + "j", None  # "new" njˈuː, "tune" tjˈuːn
        return CONSONANTS[base], None

    if base == "ER":
        if stress:
            return ("ʌɹ" if w.vowel(i + 1) else "ɜː"), stress  # "hurry" hˈʌɹi, "nurse" nˈɜːs
        return ("əɹ" if w.vowel(i + 1) else "ə"), 0
    if w.coda_r(i) and base in _GB_BEFORE_R:
        return _GB_BEFORE_R[base], stress
    if stress == 2 and base in ("EH", "AO", "AA") and w.onset_r(i) and w.ends("R", "IY") and i == w.n - 3:
        return "ə", 0  # RP reduces -ary / -ory: "accusatory" əkjˈuːzətəɹi
    if w.onset_r(i):
        if base == "EH" and stress:
            letter = w.letter(i)  # CMU merges "arid", "aerial" and "very" into EH R
            return ("a" if letter == "a" else "ɛː" if letter in ("ae", "ai", "ea") else "ɛ"), stress
        if base == "IH" and not stress:
            return "ɪ", 0  # "berate" bɪɹˈAt
        if base in _GB_BEFORE_R_VOWEL:
            return _GB_BEFORE_R_VOWEL[base], stress
    if i == 0 and base == "AH" and stress == 0 and w.base(1) == "N" and w.n > 2:
        return "ʌ", 0
    if stress == 0 and base in ("AH", "IH"):
        ending = w.reduced_ending(i)
        if ending in ("ed", "es", "est", "ist", "is"):
            return "ɪ", 0
        if ending == "ess":
            return "ə", 0
        if base == "IH":
            return "ɪ", 0
        if w.ends("T", "IY") and i == w.n - 3:
            return "ɪ", 0  # -ity: "quality" kwˈɒlɪti
        if w.base(i - 1) == "Y":
            return "ʊ", 0  # "accumulate" əkjˈuːmjʊlAt
        if w.ically(i - 1):
            return "", 0  # "academically" ˌakədˈɛmɪkli
        if i == w.n - 2 and w.base(i - 1) == "F" and w.base(i + 1) == "L" and w.spelled("ful") is not False:
            return "ʊ", 0  # "-ful" fʊl
        if w.consonant(i - 1) and w.base(i - 1) != "R":
            if w.base(i + 1) == "L" and i == w.n - 2:
                return "ᵊ", 0
            if w.syllabic_n(i) and w.base(i - 1) not in ("L", "N", "NG"):
                return "ᵊ", 0  # "nation" nˈAʃᵊn, "-ment" mᵊnt
        if (w.spelled("ness") or w.spelled("less")) and i == w.n - 2:
            return ("ɪ" if w.base(i - 2) == "IY" else "ə"), 0  # "aimless" ˈAmləs, "happiness" hˈapɪnɪs
        if w.letter(i) in _GB_I_LETTERS and w.consonant(i + 1):
            return "ɪ", 0  # RP keeps a spelt i/e as ɪ: "abominable" əbˈɒmɪnəbᵊl
        return "ə", 0
    if base == "IY" and stress == 0:
        return ("ɪ" if w.vowel(i + 1) else "i"), 0  # "radio" ɹˈAdɪQ, "happy" hˈapi
    if base == "AA":
        # LOT is ɒ, but a spelt "a" (not after w/qu: "watch", "quality") is PALM: "banana" bənˈɑːnə.
        a_spelt = w.letter(i) in ("a", "aa", "ah") and w.base(i - 1) != "W"
        return ("ɑː" if a_spelt else "ɒ"), stress
    if base == "AO" and w.base(i + 1) in ("NG", "G", "F", "TH", "S"):
        return "ɒ", stress  # "long", "dog", "off", "cloth", "cross"
    return VOWELS_GB[base], stress


def arpabet_to_phonemes(arpa: Sequence[str], british: bool = False, word: str | None = None) -> str:
    """Convert ARPAbet with stress digits to misaki phonemes: ``["HH", "AH0", "L", "OW1"]`` -> ``həlˈO``.

    ``word`` (the spelling, optional) disambiguates a few endings ARPAbet cannot:
    "-ist" ɪst vs "-est" ᵻst, "-is" vs "-ous".
    """
    w = _ArpabetWord(_parse(arpa), "".join(c for c in (word or "").lower() if "a" <= c <= "z"))
    rule = _gb_phone if british else _us_phone
    out = []
    seen_primary = False
    for i in range(w.n):
        sym, stress = rule(w, i)
        if british and stress == 2 and seen_primary:
            stress = 0  # misaki's RP entries rarely mark stress after the primary
        seen_primary = seen_primary or stress == 1
        if stress and sym:
            sym = (PRIMARY if stress == 1 else SECONDARY) + sym
        out.append(sym)
    return "".join(out)


# --- the model ------------------------------------------------------------------------------------

#: Last resort when the model returns nothing for a piece with letters (not seen in practice).
_LETTER_SOUNDS = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "AE1", "B", "K", "D", "EH1", "F", "G", "HH", "IH1", "JH", "K", "L", "M",
    "N", "AA1", "P", "K", "R", "S", "T", "AH1", "V", "W", "K S", "IY0", "Z")))
_VOWEL_LETTERS = frozenset("aeiouy")
_DIGRAPHS = frozenset(("ch", "ck", "gh", "ng", "ph", "qu", "sh", "th", "wh"))


def normalize_word(word: str) -> str:
    """Lowercase letters a-z only: accents are stripped ("café" -> "cafe"), anything else dropped."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if "a" <= c <= "z")


def split_word(word: str, parts: int) -> list[str]:
    """Cut ``word`` into ``parts`` pieces of similar length at syllable-like joints.

    Each cut goes within 3 letters of its even position, preferring VC|CV
    ("compartmen|talization") then V|CV joints, never inside a digraph.
    """
    if parts <= 1 or len(word) < 2 * parts:
        return [word]

    def vowel(k: int) -> bool:
        return 0 <= k < len(word) and word[k] in _VOWEL_LETTERS

    def cost(pos: int, target: int) -> float:
        c = abs(pos - target)
        if word[pos - 1:pos + 1] in _DIGRAPHS:
            return c + 10
        if not vowel(pos) and vowel(pos + 1):
            if not vowel(pos - 1) and vowel(pos - 2):
                onset = word[pos] in "lr" and word[pos - 1] in "bcdfgkpt"  # "mi|cro", not "mic|ro"
                return c + (2 if onset else 0)  # VC|CV
            if vowel(pos - 1):
                return c + 0.5  # V|CV
        return c + 3

    cuts, start = [], 0
    for k in range(1, parts):
        target = round(len(word) * k / parts)
        lo, hi = max(start + 1, target - 3), min(len(word) - 1, target + 3)
        best = min(range(lo, hi + 1), key=lambda pos: (cost(pos, target), pos)) if lo <= hi else target
        cuts.append(best)
        start = best
    bounds = [0, *cuts, len(word)]
    return [word[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def _join_stress(pieces: list[list[str]]) -> list[str]:
    """Concatenate ARPAbet pieces of one word keeping a single primary stress (the first)."""
    out, primary = [], False
    for piece in pieces:
        for tok in piece:
            if tok.endswith("1"):
                if primary:
                    tok = tok[:-1] + "2"
                primary = True
            out.append(tok)
    return out


class NeuralG2P:
    """g2p-en's GRU seq2seq behind a runtime session, for words no dictionary knows.

    ``session`` is the loaded ``g2p_en.onnx`` (``OnnxRuntime().load(...)``
    natively, the onnxruntime-web bridge in the browser). Each batch of up to
    ``max_batch`` distinct words costs one ``session.run``.
    """

    def __init__(self, session: Session, *, max_batch: int = MAX_BATCH) -> None:
        self.session = session
        self.max_batch = max(1, max_batch)
        names = list(getattr(session, "output_names", None) or [])
        self._output = "phonemes" if "phonemes" in names or not names else names[0]

    async def _decode(self, pieces: list[str]) -> list[list[int]]:
        """Greedy ids (MAX_STEPS per piece, </s> included) for a-z pieces: one run per batch."""
        out: list[list[int]] = []
        for start in range(0, len(pieces), self.max_batch):
            batch = pieces[start:start + self.max_batch]
            width = max(len(p) for p in batch) + 1
            chars = array("q", bytes(8 * width * len(batch)))  # zeros = <pad>
            for row, piece in enumerate(batch):
                base = row * width
                for col, c in enumerate(piece):
                    chars[base + col] = _G2ID[c]
                chars[base + len(piece)] = GRAPHEME_EOS
            lengths = array("q", [len(p) + 1 for p in batch])
            result = await self.session.run({
                "chars": Tensor("int64", (len(batch), width), chars),
                "lengths": Tensor("int64", (len(batch),), lengths),
            })
            ids = result[self._output]
            steps = ids.shape[1] if len(ids.shape) == 2 else MAX_STEPS
            for row in range(len(batch)):
                out.append(list(ids.data[row * steps:(row + 1) * steps]))
        return out

    async def predict_arpabet(self, words: Sequence[str]) -> list[list[str]]:
        """ARPAbet (with stress digits) for each word; [] for a word without letters.

        Distinct pieces are decoded together, shortest first so batches pad little.
        A piece whose decode runs out of steps is halved and its halves go to a
        second round (rare: words of 20+ phonemes).
        """
        norms = [normalize_word(w) for w in words]
        pieces = {n: split_word(n, -(-len(n) // MAX_LETTERS)) for n in norms if n}
        done: dict[str, list[str]] = {}
        halves: dict[str, list[str]] = {}
        todo = sorted({p for ps in pieces.values() for p in ps}, key=len)
        while todo:
            again = set()
            for piece, ids in zip(todo, await self._decode(todo)):
                if PHONEME_EOS not in ids and len(piece) >= 4:
                    halves[piece] = split_word(piece, 2)
                    again.update(h for h in halves[piece] if h not in done)
                    continue
                if PHONEME_EOS in ids:
                    ids = ids[:ids.index(PHONEME_EOS)]
                arpa = [PHONEMES[i] for i in ids if PHONEME_EOS < i < len(PHONEMES)]
                done[piece] = arpa or [t for c in piece for t in _LETTER_SOUNDS[c].split()]
            todo = sorted(again, key=len)

        def resolve(piece: str) -> list[list[str]]:
            return [done[piece]] if piece in done else [a for h in halves[piece] for a in resolve(h)]

        return [_join_stress([a for p in pieces[n] for a in resolve(p)]) if n else [] for n in norms]

    async def phonemize_words(self, words: Sequence[str], british: bool = False) -> list[str]:
        """misaki-style phonemes for each word (one string per input, "" for letterless input)."""
        arpas = await self.predict_arpabet(words)
        return [arpabet_to_phonemes(arpa, british=british, word=normalize_word(word)) if arpa else ""
                for word, arpa in zip(words, arpas)]
