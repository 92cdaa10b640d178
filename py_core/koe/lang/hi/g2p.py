"""Devanagari word -> phonemes in the convention Kokoro's Hindi voices were trained on.

Kokoro's ``hf_``/``hm_`` voices learned espeak-ng's Hindi phonemes (after misaki 0.9.4's
post-processing, which for Hindi only drops tie bars and hyphens). This module is an
independent implementation of that convention, written from the phonology it encodes:

1. **Letters to an underlying string.** Every consonant without a vowel sign or virama
   carries the inherent vowel (a *schwa* slot); vowel signs and independent vowels give
   their vowel; anusvara becomes a nasal of the place of the next consonant after a
   schwa, or nasalizes a long vowel; chandrabindu nasalizes (and before a consonant adds
   ``n``); a few doubled stops are written long (``kː``, ``tː``...), and a word-final
   sonorant after a virama keeps a short ``ə`` (``प्रश्न`` → ``pɾʌʃnə``).
2. **Stress** on that string, schwa slots included: the last heaviest syllable before the
   final one (a long vowel, or a vowel followed by two consonants, is heavy); the final
   syllable only if it alone is doubly heavy (long vowel + consonant); the first if all
   are light. Secondary stress falls on syllables between unstressed ones. Function
   words (pronouns, postpositions, auxiliaries) carry no primary stress.
3. **Schwa deletion and reduction.** An unstressed schwa is deleted at the end of a word,
   and inside it when a single consonant stands between it and the previous vowel and
   the next vowel is not itself a schwa (``समझना`` → ``sʌməɟʰnaː``); after ``h`` it is
   kept. A primary-stressed or word-initial schwa is ``ʌ``, any other kept schwa ``ə``.
4. ``र`` is ``r`` before a consonant that is not a stop, ``ɾ`` elsewhere; ``ड़`` is
   ``r.`` and ``ढ़`` ``r.h`` (the model saw these spellings in training).

Every symbol produced is in Kokoro's vocabulary.
"""

from __future__ import annotations

import unicodedata

VIRAMA = "\u094d"
NUKTA = "\u093c"
ANUSVARA = "\u0902"
CHANDRABINDU = "\u0901"
VISARGA = "\u0903"
AVAGRAHA = "\u093d"
OM = "\u0950"
JOINERS = frozenset("\u200c\u200d")
NASAL = "\u0303"  # combining tilde

# Consonant letter -> phoneme; with nukta -> phonemes (ढ़ is two).
CONSONANTS = {
    "क": "k", "ख": "kʰ", "ग": "ɡ", "घ": "ɡʰ", "ङ": "ŋ",
    "च": "c", "छ": "cʰ", "ज": "ɟ", "झ": "ɟʰ", "ञ": "ɲ",
    "ट": "ʈ", "ठ": "ʈʰ", "ड": "ɖ", "ढ": "ɖʰ", "ण": "ɳ",
    "त": "t", "थ": "tʰ", "द": "d", "ध": "dʰ", "न": "n", "ऩ": "n",
    "प": "p", "फ": "pʰ", "ब": "b", "भ": "bʰ", "म": "m",
    "य": "j", "र": "r", "ऱ": "r", "ल": "l", "ळ": "l", "ऴ": "l", "व": "ʋ",
    "श": "ʃ", "ष": "ʂ", "स": "s", "ह": "h",
}
NUKTA_CONSONANTS = {"क": ("q",), "ख": ("x",), "ग": ("ɣ",), "ज": ("z",), "ड": ("r.",),
                    "ढ": ("r.", "h"), "फ": ("f",), "य": ("j",)}
STOPS = frozenset("k kʰ ɡ ɡʰ c cʰ ɟ ɟʰ ʈ ʈʰ ɖ ɖʰ t tʰ d dʰ p pʰ b bʰ q".split())
RHOTICS = frozenset("रऱ")

# Doubled consonants written as one long consonant; stop + its own aspirate as two aspirates.
GEMINATES = {("क", "क"): "kː", ("ग", "ग"): "ɡː", ("च", "च"): "cː", ("ज", "ज"): "ɟː",
             ("त", "त"): "tː", ("द", "द"): "dː", ("प", "प"): "pː",
             ("त", "थ"): "tʰː", ("द", "ध"): "dʰː"}
ASPIRATED_PAIRS = {("च", "छ"): "cʰ", ("ट", "ठ"): "ʈʰ", ("ठ", "ठ"): "ʈʰ", ("ड", "ढ"): "ɖʰ"}
# क्ष and ज्ञ are read as units.
LIGATURES = {("क", "ष"): ("k", "ʃ"), ("ज", "ञ"): ("ɡ", "j")}
# These stops lengthen before य: क्या -> kːjaː.
LONG_BEFORE_YA = {"क": ("kː",), "च": ("cː",), "त": ("tː",), "प": ("pː",), "ट": ("ʈ", "ʈ")}
# A word-final sonorant after a virama keeps a short schwa (not after र्, nor म after न्).
FINAL_SONORANTS = frozenset("ङञणनमयरलळऱ")

# Anusvara's nasal by the place of the next consonant letter.
ANUSVARA_PLACE = {}
for _letters, _nasal in (("पफबभम", "m"), ("टठडढण", "ɳ"), ("चछजझञय", "ɲ"), ("कखगघङ", "ŋ")):
    for _letter in _letters:
        ANUSVARA_PLACE[_letter] = _nasal

# (vowel, long) for independent vowels and vowel signs.
INDEPENDENT = {"आ": ("aː", True), "इ": ("ɪ", False), "ई": ("iː", True), "उ": ("ʊ", False),
               "ऊ": ("u", False), "ए": ("eː", True), "ऐ": ("ɛː", True), "ओ": ("oː", True),
               "औ": ("ɔː", True), "ऑ": ("ɔ", False), "ऍ": ("ɛ", False), "ऎ": ("e", False),
               "ऒ": ("o", False), "ऌ": ("l", False)}
SIGNS = {"ा": ("aː", True), "ि": ("ɪ", False), "ी": ("iː", True), "ु": ("ʊ", False),
         "ू": ("uː", True), "ॅ": ("ɛ", False), "ॆ": ("e", False), "े": ("eː", True),
         "ै": ("ɛː", True), "ॉ": ("ɔ", False), "ॊ": ("o", False), "ो": ("oː", True),
         "ौ": ("ɔː", True), "ॢ": ("l", False)}
VOCALIC_R = frozenset("ऋॠृॄ")
# Nasalized forms: with anusvara anywhere, with chandrabindu at the end of a word, and
# with chandrabindu before more letters (where an ``n`` follows).
NASAL_WITH_ANUSVARA = {"आ": "ã", "ा": "ã", "इ": "ĩ", "ि": "ĩ", "ी": "ĩ", "ऊ": "ũ", "ु": "ũ", "ू": "ũ",
                       "ए": "ẽː", "े": "ẽː", "ऎ": "ẽ", "ॆ": "ẽ", "ऐ": "ɛ̃", "ै": "ɛ̃",
                       "ओ": "õ", "ो": "õ", "ऒ": "õ", "ॊ": "õ", "औ": "ɔ̃", "ौ": "ɔ̃"}
NASAL_FINAL_CHANDRABINDU = {"ा": "ã", "ी": "ĩ", "ु": "ũ", "ू": "ũ", "ऊ": "ũ", "ए": "ẽː", "े": "ẽː",
                            "ऎ": "ẽ", "ॆ": "ẽ", "ऐ": "ɛ̃", "ै": "ɛ̃", "ओ": "õ", "ो": "õ", "ऒ": "õ",
                            "ॊ": "õ", "औ": "ɔ̃", "ौ": "ɔ̃"}
NASAL_MEDIAL_CHANDRABINDU = {"ा": "ã", "ी": "ĩ", "ु": "ũ", "ू": "ũ", "ए": "ẽː", "े": "ẽ", "ॆ": "ẽ",
                             "ै": "ɛ̃", "ो": "õ", "ॊ": "õ", "ौ": "ɔ̃"}
PRIMARY, SECONDARY = "ˈ", "ˌ"


class Phone:
    """One phoneme of a word's underlying string."""

    __slots__ = ("sym", "vowel", "long", "schwa", "flag1", "stop", "rhotic", "h", "stress", "deleted")

    def __init__(self, sym: str, vowel: bool = False, long: bool = False, schwa: bool = False,
                 flag1: bool = False, rhotic: bool = False, h: bool = False) -> None:
        self.sym = sym
        self.vowel = vowel
        self.long = long
        self.schwa = schwa      # the inherent vowel: reduced, deleted or ʌ
        self.flag1 = flag1 or schwa  # schwa-like vowels (a following schwa keeps a schwa)
        self.stop = sym in STOPS or sym.rstrip("ː") in STOPS
        self.rhotic = rhotic
        self.h = h              # the letter ह (a schwa after it is kept)
        self.stress = -1        # -1 unset, 1 unstressed, 3 secondary, 4 primary
        self.deleted = False


def _vowel(sym: str, long: bool) -> Phone:
    return Phone(sym, vowel=True, long=long)


def _schwa() -> Phone:
    return Phone("ʌ", vowel=True, schwa=True)


def _consonant(sym: str, letter: str = "") -> Phone:
    return Phone(sym, long=sym.endswith("ː"), rhotic=letter in RHOTICS, h=letter == "ह")


def _next_letter(word: str, i: int) -> str:
    while i < len(word) and word[i] in JOINERS:
        i += 1
    return word[i] if i < len(word) else ""


def _at_end(word: str, i: int) -> bool:
    return _next_letter(word, i) == ""


def letters_to_phones(word: str) -> list[Phone]:
    """The underlying phoneme string of one Devanagari word (NFD: nukta as its own mark)."""
    out: list[Phone] = []
    n = len(word)
    i = 0
    while i < n:
        ch = word[i]
        if ch in CONSONANTS:
            i = _consonant_cluster(word, i, out)
        elif ch == "अ":
            i += 1
            out.append(_vowel("ɛ", False) if _next_letter(word, i) == "ह" else _schwa())
            i = _nasal_after_schwa(word, i, out)
        elif ch in INDEPENDENT or ch in VOCALIC_R:
            i = _vowel_letter(word, i, out, independent=True)
        elif ch == VISARGA:
            out.append(_consonant("h"))
            i += 1
        elif ch == OM:
            out += [_vowel("õ", True), _consonant("m")]
            i += 1
        elif ch in (ANUSVARA, CHANDRABINDU):
            out.append(_consonant("n"))  # stray mark (after a vowel handled above)
            i += 1
        else:  # avagraha, joiners, stray signs
            i += 1
    return out


def _consonant_cluster(word: str, i: int, out: list[Phone]) -> int:
    """One consonant letter (with its nukta, vowel sign or virama); returns the next index."""
    letter = word[i]
    i += 1
    nukta = i < len(word) and word[i] == NUKTA
    if nukta:
        i += 1
    syms = NUKTA_CONSONANTS.get(letter, (CONSONANTS[letter],)) if nukta else (CONSONANTS[letter],)
    preceded_by_virama = len(out) > 0 and _prev_char(word, i - 1 - nukta) == VIRAMA
    if not nukta and i < len(word) and word[i] == VIRAMA and i + 1 < len(word):
        second = word[i + 1]
        second_plain = second in CONSONANTS and not (i + 2 < len(word) and word[i + 2] == NUKTA)
        pair = (letter, second)
        if second_plain and pair in GEMINATES:
            out.append(_consonant(GEMINATES[pair]))
            return _after_consonant(word, i + 2, out, second, preceded_by_virama=False)
        if second_plain and pair in LIGATURES:
            first, then = LIGATURES[pair]
            out.append(_consonant(first))
            out.append(_consonant(then))
            return _after_consonant(word, i + 2, out, second, preceded_by_virama=False)
        if second_plain and pair in ASPIRATED_PAIRS:
            syms = (ASPIRATED_PAIRS[pair],)
        elif second_plain and second == "य" and letter in LONG_BEFORE_YA:
            syms = LONG_BEFORE_YA[letter]
    for sym in syms:
        out.append(_consonant(sym, "" if nukta else letter))
    return _after_consonant(word, i, out, "" if nukta else letter, preceded_by_virama)


def _prev_char(word: str, i: int) -> str:
    """The character before index ``i`` (skipping joiners)."""
    i -= 1
    while i >= 0 and word[i] in JOINERS:
        i -= 1
    return word[i] if i >= 0 else ""


def _after_consonant(word: str, i: int, out: list[Phone], letter: str, preceded_by_virama: bool) -> int:
    """The vowel of a consonant: a sign, none (virama), or the inherent schwa."""
    nxt = _next_letter(word, i)
    while i < len(word) and word[i] in JOINERS:
        i += 1
    if nxt == VIRAMA:
        return i + 1
    if nxt in SIGNS or nxt in VOCALIC_R:
        return _vowel_letter(word, i, out, independent=False)
    if _at_end(word, i):
        before = _prev_char(word, i - 1) if letter else ""
        if preceded_by_virama and letter in FINAL_SONORANTS:
            cluster_head = _cluster_head(word, i)
            if not ((letter in "नम" and cluster_head in RHOTICS) or (letter == "म" and cluster_head == "न")):
                out.append(Phone("ə", vowel=True, flag1=True))
            return i
        if letter in RHOTICS:
            return i
        if letter == "य" and before in CONSONANTS and not preceded_by_virama:
            # ...C + final य reads [ɛj]: the य becomes a vowel and a glide.
            out.pop()
            out += [_vowel("ɛ", False), _consonant("j")]
            return i
    out.append(_schwa())
    return _nasal_after_schwa(word, i, out)


def _cluster_head(word: str, i: int) -> str:
    """For a word-final consonant at ``i - 1`` after a virama: the consonant before the virama."""
    j = i - 1  # the final consonant
    k = j - 1
    while k >= 0 and word[k] in JOINERS:
        k -= 1
    # word[k] is the virama
    k -= 1
    if k >= 0 and word[k] == NUKTA:
        k -= 1
    return word[k] if k >= 0 else ""


def _nasal_after_schwa(word: str, i: int, out: list[Phone]) -> int:
    """Anusvara/chandrabindu after a schwa: a nasal consonant (anusvara: by the next letter's place)."""
    mark = _next_letter(word, i)
    if mark not in (ANUSVARA, CHANDRABINDU):
        return i
    while word[i] in JOINERS:
        i += 1
    i += 1
    if mark == ANUSVARA:
        out.append(_consonant(ANUSVARA_PLACE.get(_plain_next(word, i), "n")))
    else:
        out.append(_consonant("n"))
    return i


def _plain_next(word: str, i: int) -> str:
    """The next letter, or "" when it carries a nukta (ज़ is not ज)."""
    while i < len(word) and word[i] in JOINERS:
        i += 1
    if i >= len(word) or i + 1 < len(word) and word[i + 1] == NUKTA:
        return ""
    return word[i]


def _vowel_letter(word: str, i: int, out: list[Phone], independent: bool) -> int:
    """An independent vowel or a vowel sign at ``i``, with a following nasal mark."""
    ch = word[i]
    i += 1
    if ch in VOCALIC_R:
        out += [_consonant("r", "र"), _vowel("ɪ", False)]
        return _nasal_mark_plain(word, i, out)
    mark = _next_letter(word, i)
    if mark == ANUSVARA and ch in NASAL_WITH_ANUSVARA:
        sym = NASAL_WITH_ANUSVARA[ch]
        j = _skip_mark(word, i)
        if ch == "ओ" and _prev_char(word, i - 1) == "ा" and _at_end(word, j):
            out.append(_consonant("w"))
        else:
            out.append(_vowel(sym, True))  # nasal vowels count as long
        return j
    if mark == CHANDRABINDU:
        j = _skip_mark(word, i)
        if _at_end(word, j):
            if ch in ("ए", "ओ") and _prev_char(word, i - 1) == "ा":
                out.append(_consonant("j" if ch == "ए" else "w"))
                return j
            if ch in NASAL_FINAL_CHANDRABINDU:
                out.append(_vowel(NASAL_FINAL_CHANDRABINDU[ch], True))
                return j
        elif ch == "ए":
            out.append(_vowel("ẽː", True))
            return j
        elif ch in NASAL_MEDIAL_CHANDRABINDU and not independent:
            out.append(_vowel(NASAL_MEDIAL_CHANDRABINDU[ch], True))
            out.append(_consonant("n"))
            return j
    sym, long = (INDEPENDENT if independent else SIGNS)[ch]
    if ch in ("ई", "ी") and _at_end(word, i):
        sym, long = "i", False
    out.append(_vowel(sym, long))
    return _nasal_mark_plain(word, i, out)


def _skip_mark(word: str, i: int) -> int:
    while word[i] in JOINERS:
        i += 1
    return i + 1


def _nasal_mark_plain(word: str, i: int, out: list[Phone]) -> int:
    """A nasal mark after a vowel that has no nasalized form: a nasal consonant."""
    mark = _next_letter(word, i)
    if mark == ANUSVARA:
        i = _skip_mark(word, i)
        out.append(_consonant(ANUSVARA_PLACE.get(_plain_next(word, i), "n")))
    elif mark == CHANDRABINDU:
        i = _skip_mark(word, i)
        out.append(_consonant("n"))
    return i


# --- stress ------------------------------------------------------------------------------------


def assign_stress(phones: list[Phone], unstressed_word: bool = False) -> None:
    """Primary stress on the last heaviest non-final syllable (see the module docstring)."""
    vowels = [k for k, p in enumerate(phones) if p.vowel]
    if not vowels:
        return
    weights = []
    for k in vowels:
        weight = 1 if phones[k].long else 0
        after = phones[k + 1] if k + 1 < len(phones) else None
        if after is not None and not after.vowel:
            after2 = phones[k + 2] if k + 2 < len(phones) else None
            if after2 is None or not after2.vowel or after.long:
                weight += 1
        weights.append(weight)
    count = len(vowels)
    stressed, best = 0, -1
    for v in range(count - 1):
        if weights[v] >= best:
            best, stressed = weights[v], v
    if weights[-1] == 2 and best < 2:
        stressed = count - 1
    elif best <= 0:
        stressed = 0
    levels = [-1] * count
    levels[stressed] = 4
    # Secondary stress on a syllable whose neighbours are both unstressed.
    for v in range(count):
        if levels[v] >= 0:
            continue
        before = levels[v - 1] if v > 0 else 1
        after = levels[v + 1] if v + 1 < count else 1
        if before <= 1 and after <= 1:
            levels[v] = 3
    if unstressed_word:
        levels[stressed] = 1 if count == 1 else 3
    for v, k in enumerate(vowels):
        phones[k].stress = max(levels[v], 1)


# --- schwa deletion and surface forms ----------------------------------------------------------


def realize(phones: list[Phone]) -> list[str]:
    """Schwa deletion/reduction, ``र`` variants, ``iː`` shortening: each phone's output ("" if deleted)."""
    for k, p in enumerate(phones):
        if p.rhotic:
            p.sym = _rhotic(phones, k)
        if not p.vowel:
            continue
        if p.schwa:
            _schwa_rule(phones, k)
        elif p.sym == "iː" and p.stress < 2:
            p.sym = "i"
    out = []
    for p in phones:
        if p.deleted:
            out.append("")
        elif p.vowel and p.stress == 4:
            out.append(PRIMARY + p.sym)
        elif p.vowel and p.stress == 3:
            out.append(SECONDARY + p.sym)
        else:
            out.append(p.sym)
    return out


def _rhotic(phones: list[Phone], k: int) -> str:
    if k + 1 >= len(phones):
        return "ɾ"
    after = phones[k + 1]
    if after.vowel:
        return "ɾ"
    before = phones[k - 1] if k > 0 else None
    if before is not None and before.vowel and after.stop:
        return "ɾ"
    return "r"


def _schwa_rule(phones: list[Phone], k: int) -> None:
    p = phones[k]
    if k == 0 or p.stress == 4:
        p.sym = "ʌ"
        return
    later_vowels = [q for q in phones[k + 1:] if q.vowel and not q.deleted]
    if not later_vowels and k == len(phones) - 1 and _vowel_index(phones, k) > 0:
        p.deleted = True
        return
    p.sym = "ə"
    if phones[k - 1].h:
        return
    prev2 = _previous_kept(phones, k, 2)
    if prev2 is not None and prev2.vowel and not (later_vowels and later_vowels[0].flag1):
        final_before_consonant = not later_vowels and k + 1 < len(phones)
        if not final_before_consonant:
            p.deleted = True


def _vowel_index(phones: list[Phone], k: int) -> int:
    return sum(1 for q in phones[:k] if q.vowel)


def _previous_kept(phones: list[Phone], k: int, steps: int) -> Phone | None:
    j = k
    while steps and j > 0:
        j -= 1
        if not phones[j].deleted:
            steps -= 1
    return phones[j] if steps == 0 else None


def compound_phonemes(parts: list[str], unstressed: list[bool] | None = None) -> list[str]:
    """Phonemes of the parts of a hyphenated compound (सुबह-सुबह), one string per part.

    Each part is stressed on its own, but schwa deletion runs over the whole compound: a
    part's last schwa is not at the end of a word (``sʊbəhəsʊbəh``).
    """
    phones: list[Phone] = []
    bounds = []
    for k, part in enumerate(parts):
        part_phones = letters_to_phones(unicodedata.normalize("NFD", part))
        assign_stress(part_phones, bool(unstressed and unstressed[k]))
        bounds.append((len(phones), len(phones) + len(part_phones)))
        phones += part_phones
    pieces = realize(phones)
    # Nasal vowels as base letter + combining tilde: Kokoro's vocabulary has the tilde only.
    return [unicodedata.normalize("NFD", "".join(pieces[a:b])) for a, b in bounds]


def word_phonemes(word: str, unstressed: bool = False) -> str:
    """Phonemes for one Devanagari word (any normalization form)."""
    letters = unicodedata.normalize("NFD", word)
    if letters[:1] in CONSONANTS and letters[1:] in ("", NUKTA):
        # A letter on its own (an initial, a list item) is read with ə.
        syms = NUKTA_CONSONANTS.get(letters[0], (CONSONANTS[letters[0]],)) if letters[1:] else (CONSONANTS[letters],)
        return "".join(syms).replace("r", "ɾ").replace("ɾ.", "r.") + PRIMARY + "ə"
    return compound_phonemes([word], [unstressed])[0]
