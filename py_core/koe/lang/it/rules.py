"""Italian letter-to-sound rules, in espeak-ng's conventions as Kokoro learned them.

Spelling -> segments (``c g sc`` before front vowels, ``gn gli``, a silent ``i`` after
``c g sc`` before a vowel, ``qu gu``, double consonants as long ones), then stress (a written
accent, a lexicon entry, a few suffix rules, else the next-to-last syllable), then the
vowels: a stressed ``e o`` may be open (``ɛ ɔ``, from the accent or from suffix rules), an
unstressed final ``i`` and an unstressed ``u`` are lax (``ɪ ʊ``) as espeak writes them.
Words elided with an apostrophe (``l'anno``, ``dell'amico``, ``c'è``) read as one word.
"""

from __future__ import annotations

from ..romance import PRIMARY, SECONDARY
from .lexicon import PRONUNCIATIONS, STRESS, UNSTRESSED

VOWELS = frozenset("aeiouàèéìíòóùú")
ACCENTS = {"à": ("a", ""), "è": ("e", "open"), "é": ("e", "close"), "ì": ("i", ""), "í": ("i", ""),
           "ò": ("o", "open"), "ó": ("o", "close"), "ù": ("u", ""), "ú": ("u", "")}
FRONT = frozenset("eièéìí")
#: How espeak writes a long (double) consonant.
LONG = {"b": "bː", "c": "kː", "d": "dː", "g": "ɡː", "k": "kː", "p": "pː", "t": "tː", "f": "ff", "l": "ll",
        "m": "mm", "n": "nn", "v": "vv", "r": "rɾ", "s": "S"}
VOICED = frozenset("bdɡvlmnrʤʣ")
MARKS = frozenset(PRIMARY + SECONDARY)


class Seg:
    __slots__ = ("accent", "kind", "letter", "ph")

    def __init__(self, ph: str, kind: str, accent: str | None = None, letter: str = "") -> None:
        self.ph, self.kind, self.accent, self.letter = ph, kind, accent, letter


def segments(word: str) -> list[Seg]:
    out: list[Seg] = []
    n = len(word)
    i = 0
    while i < n:
        c = word[i]
        nxt = word[i + 1] if i + 1 < n else ""
        after = word[i + 2] if i + 2 < n else ""
        if c in VOWELS:
            base, quality = ACCENTS.get(c, (c, None))
            out.append(Seg(base, "V", quality, c))
            i += 1
            continue
        double = nxt == c and c not in "h"
        if double:
            i += 1
            nxt, after = after, word[i + 2] if i + 2 < n else ""
        step, ph = 1, ""
        if c == "c" and nxt == "q" and not double:
            out.append(Seg("kː", "C", letter="q"))  # acqua: the c lengthens the k of qu
            i += 2
            out.append(Seg("u", "V", None, "u")) if after == "u" else None
            i += 1 if after == "u" else 0
            continue
        if c == "c":
            if nxt == "h":
                ph, step = "k", 2
            elif nxt in FRONT and nxt:
                ph = "ʧ"
                if nxt == "i" and after in VOWELS and after and after not in "ìí":
                    step = 2  # ciao, camicia: the i only softens the c
            else:
                ph = "k"
            if double:
                ph += "ː"
        elif c == "g":
            if nxt == "h":
                ph, step = "ɡ", 2
            elif nxt == "n" and not double:
                ph, step = "ɲ", 2
            elif nxt == "l" and after == "i" and not double:
                ph, step = "ʎ", 2
                if i + 3 < n and word[i + 3] in VOWELS:
                    step = 3  # figlio: the i only marks the sound
            elif nxt in FRONT and nxt:
                ph = "ʤ"
                if nxt == "i" and after in VOWELS and after and after not in "ìí":
                    step = 2
            else:
                ph = "ɡ"
            if double:
                ph += "ː"
        elif c == "s":
            if nxt == "c" and after in FRONT and after and not double:
                ph, step = "ʃ", 2
                if after == "i" and i + 3 < n and word[i + 3] in VOWELS:
                    step = 3  # scienza, sciopero
            elif double:
                ph = "S"
            else:
                ph = "s"  # voicing is settled below, from the neighbours
        elif c == "z":
            ph = "Z" if not double else "ZZ"
        elif c == "q":
            ph = "k"
        elif c == "h":
            i += 1
            continue
        elif c == "x":
            ph = "ks"
        elif c == "j" or c == "y":
            ph = "j" if (nxt in VOWELS and nxt) else "i"
            if ph == "i":
                out.append(Seg("i", "V", None, c))
                i += 1
                continue
        elif c == "w":
            ph = "w"
        elif c == "k":
            ph = "k"
        elif c in LONG or c in "bdfgklmnprtv":
            ph = LONG[c] if double and c in LONG else ("ɡ" if c == "g" else c)
        if ph:
            out.append(Seg(ph, "C", letter=c))
        i += step
    return out


def nuclei(segs: list[Seg]) -> list[list[int]]:
    """Vowel segments grouped into syllable nuclei; an unstressed i/u before a vowel joins it.

    Such an ``i`` counts as part of the next syllable for the stress, but espeak still writes
    it as a vowel in some places (:func:`_written_as_vowel`), so it keeps ``ph`` = ``i``.
    """
    groups: list[list[int]] = []
    k = 0
    while k < len(segs):
        seg = segs[k]
        if seg.kind != "V":
            k += 1
            continue
        nxt = segs[k + 1] if k + 1 < len(segs) else None
        if nxt is not None and nxt.kind == "V" and seg.ph in "iu" and seg.accent is None \
                and (nxt.letter not in "ìíùú" or seg.ph != nxt.ph) and _glide_ok(segs, k):
            seg.kind = "G"
            k += 1
            continue
        groups.append([k])
        k += 1
    return groups


def _glide_ok(segs: list[Seg], k: int) -> bool:
    """u before a vowel is a glide after q, g, s, a vowel or at the start (quando, uomo), not after
    other consonants (cuore -> kʊˈɔre); i before a vowel always is, for the stress."""
    if segs[k].ph == "u":
        prev = segs[k - 1] if k else None
        return prev is None or prev.letter in "qgs" or prev.kind == "V"
    return True


def _written_as_vowel(segs: list[Seg], k: int, stressed_next: bool, final: bool) -> bool:
    """Where espeak writes the i of i + vowel as a vowel: in a final unstressed syllable
    (rabbia, vario), after r or l (materiale), in -sione/-zione and before a stressed -er-
    (cuciniere) or -ent- (sapiente)."""
    if final and not stressed_next:
        return True
    prev = segs[k - 1] if k else None
    if prev is None:
        return False
    if prev.letter in "rl" and prev.ph not in ("ʎ",):
        return True
    if stressed_next:
        nxt = segs[k + 1]
        after = segs[k + 2] if k + 2 < len(segs) else None
        if nxt.ph == "o" and (prev.ph in ("Z",) or (prev.ph == "s" and k >= 2 and segs[k - 2].kind == "V")):
            return after is not None and after.letter == "n"
        if nxt.ph == "e" and after is not None and after.letter in "r":
            return True
    return False


#: Endings whose i is stressed: -logìa, -grafìa... (the i is then a syllable of its own).
STRESSED_IA = (
    "logia", "grafia", "patia", "terapia", "metria", "eria", "fonia", "scopia", "nomia", "tomia", "crazia",
    "sofia", "mania", "fobia", "filia", "latria", "archia", "gamia", "iatria", "pedia", "algia", "ssia",
)

#: Word endings with a known stress position (counted in syllables from the end), for words
#: the stress lexicon does not know.
SUFFIX_STRESS = (
    ("abile", 3), ("ibile", 3), ("evole", 3), ("issimo", 3), ("issima", 3), ("issimi", 3), ("issime", 3),
    ("logo", 3), ("loga", 3), ("logi", 3), ("fono", 3), ("grafo", 3), ("metro", 3),
    ("ico", 3), ("ica", 3), ("ici", 3), ("iche", 3), ("ichi", 3),
    # verbs: imperfect and past 3rd plural, subjunctive
    ("avano", 3), ("evano", 3), ("ivano", 3), ("arono", 3), ("erono", 3), ("irono", 3), ("ssero", 3),
    ("ebbero", 3), ("essero", 3), ("assero", 3), ("issero", 3), ("iscono", 3), ("iscano", 3),
)
#: Infinitive endings: a form in -ano/-ono/-ino whose stem + one of them is a known verb is
#: its 3rd person plural, stressed on the stem (pàrlano, vèndono, dòrmono).
VERB_ENDINGS = ("are", "ere", "ire", "rre")
#: Endings swapped to find an inflected word's lemma in the stress lexicon (amici -> amico).
INFLECTIONS = (
    ("chi", ("co", "ca")), ("ghi", ("go", "ga")), ("che", ("ca",)), ("ghe", ("ga",)), ("ci", ("co", "ce", "cio")),
    ("gi", ("go", "gio")), ("i", ("o", "e", "a", "io")), ("e", ("a", "o")), ("a", ("o",)), ("o", ("a", "e")),
)
_CODE_VOWEL = {"E": "e", "O": "o", "I": "i"}
_CACHE_SIZE = 20000


class ItalianWords:
    """Phonemizes Italian words with the rules above and a stress lexicon.

    ``stress`` maps a word to its code (see ``tools/build_lang_data.py``): the stressed vowel
    counted from the end of the word, then that vowel (``E O`` = open ɛ ɔ): ``tavolo`` ->
    ``3a``, ``bene`` -> ``2E``.
    """

    def __init__(self, stress: dict[str, str]) -> None:
        self.stress = dict(stress)
        self.stress.update(STRESS)
        self._cache: dict[str, str] = {}

    def phrase(self, words: list[str]) -> list[str]:
        return [self.elided(w) for w in words]

    def elided(self, word: str) -> str:
        """``dell'amico``, ``c'è``: the elided word's letters run into the next word, whose stress wins."""
        found = self._cache.get(word)
        if found is None:
            found = PRONUNCIATIONS.get(word)
        if found is None:
            if "'" in word:
                parts = [p for p in word.split("'") if p]
                found = self.word("".join(parts), stress_from=parts[-1]) if parts else ""
            else:
                found = self.word(word)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[word] = found
        return found

    def word(self, word: str, stress_from: str | None = None) -> str:
        """One lowercase word -> phonemes; ``stress_from``: the part of it that carries the stress."""
        found = PRONUNCIATIONS.get(word)
        if found is not None:
            return found
        key = stress_from or word
        code = self.stress.get(key)
        if code is None:
            code = self._inflected(key)
        if code is not None and code[-1] == "I":
            word, key = _stress_hidden_i(word, int(code[:-1])), _stress_hidden_i(key, int(code[:-1]))
        elif code is None and key.endswith(STRESSED_IA):
            word, key = word[:-2] + "ìa", key[:-2] + "ìa"  # farmacìa, energìa
        segs = segments(word)
        groups = nuclei(segs)
        if not groups:
            return "".join(_consonant(segs, k) for k in range(len(segs)))
        quality = None
        if key in UNSTRESSED:
            primary = -1
        else:
            own = len(nuclei(segments(key))) if stress_from else len(groups)
            offset = len(groups) - own
            if own <= 0:
                primary = -1
            else:
                primary, quality = self._stress(key, code, segs, groups[offset:])
                if primary <= -2:
                    # A stressed i/u the rules took for a glide (metrìa, fobìa): write its accent.
                    from_end = -2 - primary
                    accented = _stress_hidden_i(word, from_end, "ì" if code[-1] in "iI" else "ù")
                    if accented != word:
                        return self.word(accented) if not stress_from else self.word(
                            accented, stress_from=_stress_hidden_i(key, from_end, "ì" if code[-1] in "iI" else "ù"))
                    primary = len(groups) - 2 - offset
                primary += offset
        return _emit(segs, groups, primary, quality)

    def _inflected(self, word: str) -> str | None:
        """A code for a form the lexicon lacks: a verb's 3rd plural (parlano, vendono, dormono:
        stressed on the stem, ``3*`` = third vowel from the end, quality by rule), or the lemma's
        code when ``word`` is its plural or another gender (same syllables)."""
        if word.endswith(("ano", "ono", "ino")) and len(word) > 5:
            stem = word[:-3]
            if word.endswith("ono") or any(stem + ending in self.stress for ending in VERB_ENDINGS):
                return "3*"  # words in -ono the lexicon lacks are mostly verbs too (leggono)
        for ending, replacements in INFLECTIONS:
            if word.endswith(ending) and len(word) > len(ending) + 2:
                stem = word[:-len(ending)]
                for replacement in replacements:
                    code = self.stress.get(stem + replacement)
                    if code is not None and code[-1] not in "I" and code[:-1] != "1":
                        return code
        return None

    @staticmethod
    def _stress(word: str, code: str | None, segs: list[Seg], groups: list[list[int]]) -> tuple[int, str | None]:
        """(index of the stressed nucleus among ``groups``, "open"/"close" or None to decide by rule)."""
        for number, group in enumerate(groups):
            if segs[group[0]].accent is not None:
                return number, None
        if code is not None and code[-1] == "*":
            number = len(groups) - int(code[:-1])
            if 0 <= number < len(groups):
                return number, "close"  # espeak reads these verb forms with a close e/o (vèndono)
        elif code is not None:
            from_end, letter = int(code[:-1]), code[-1]
            vowel = _CODE_VOWEL.get(letter, letter)
            quality = ("open" if letter in "EO" else "close") if vowel in "eo" else None
            number = len(groups) - from_end
            if 0 <= number < len(groups) and segs[groups[number][0]].ph == vowel:
                return number, quality
            if vowel in "iu":
                return -2 - from_end, quality  # the stressed i/u is a glide by the rules: see word()
            # The lexicon counts sounds the spelling may hide or add: take the nearest vowel that matches.
            matches = [n for n, g in enumerate(groups) if segs[g[0]].ph == vowel]
            if matches:
                return min(matches, key=lambda n: abs(n - number)), quality
        if len(groups) < 2:
            return len(groups) - 1, None
        for suffix, from_end in SUFFIX_STRESS:
            if word.endswith(suffix) and len(groups) >= from_end:
                return len(groups) - from_end, None
        return len(groups) - 2, None


def _stress_hidden_i(word: str, from_end: int, accented: str = "ì") -> str:
    """Writes the accent on the i (or u) that has ``from_end - 1`` vowel letters after it (farmacìa)."""
    seen = 0
    plain = "i" if accented == "ì" else "u"
    for index in range(len(word) - 1, -1, -1):
        if word[index] in VOWELS:
            seen += 1
            if seen == from_end:
                return word[:index] + accented + word[index + 1:] if word[index] == plain else word
    return word


def _emit(segs: list[Seg], groups: list[list[int]], primary: int, quality: str | None) -> str:
    starts = {group[0]: number for number, group in enumerate(groups)}
    last = len(groups) - 1
    out: list[str] = []
    for k, seg in enumerate(segs):
        number = starts.get(k)
        if number is None:
            if seg.kind == "C":
                ph = _consonant(segs, k)
                if ph == "ɲ" and k > 0 and starts.get(k - 1) == primary and k + 1 < len(segs):
                    ph = "ɲɲ"  # espeak lengthens gn after the stressed vowel (giugno, lasagna)
                out.append(ph)
            elif seg.ph == "i":
                owner = starts.get(k + 1)
                vowel = owner is not None and _written_as_vowel(segs, k, owner == primary, owner == last)
                out.append("i" if vowel else "j")
            elif seg.ph == "u":
                out.append("w")
            else:
                out.append(seg.ph)
            continue
        vowel = seg.ph
        if number == primary:
            out.append(PRIMARY)
            if vowel in "eo":
                if seg.accent is not None:
                    opened = seg.accent == "open"
                elif quality is not None:
                    opened = quality == "open"
                else:
                    opened = _open(vowel, segs, k)
                if opened:
                    vowel = "ɛ" if vowel == "e" else "ɔ"
        else:
            if vowel == "i" and number == last and k == len(segs) - 1 and k > 0:
                before = segs[k - 1]
                if before.kind != "V":
                    vowel = "ɪ"
                elif before.ph == "a":
                    vowel = "j"  # mai, hai
                elif before.ph == "e" and starts.get(k - 1) != primary and out and out[-1] == "e":
                    out.pop()
                    vowel = "A"  # dei
            elif vowel == "u":
                vowel = "ʊ"
        out.append(vowel)
    return "".join(out)


#: What follows a stressed e or o (its sounds, ``#`` = the word's end) -> whether espeak opens it.
#: The longest matching beginning wins; learnt from espeak's output on many words.
OPEN_E = {
    "l": True, "r": True, "rs": False, "nʦ": True, "nd": True, "ns": True, "nn": True, "ni": True, "na#": True,
    "no#": True, "nti#": True, "m": True, "st": True, "ti": True, "tr": True, "zi": True, "a#": True,
    "o#": True, "S": True, "So#": True,
}
OPEN_O = {
    "": True, "n": False, "ni": True, "re#": False, "ri#": False, "rm": False, "z": False, "zi#": True,
    "mb": False, "nd": False, "nt": False, "ʧ": False, "ll": False, "tːe": False, "zo#": False,
}
_PLAIN = str.maketrans({"ɾ": "r", "ɪ": "i", "ʊ": "u", "ɛ": "e", "ɔ": "o", "j": "i", "w": "u"})


def _open(vowel: str, segs: list[Seg], k: int) -> bool:
    rest = "".join(_consonant(segs, j) if s.kind == "C" else s.ph for j, s in enumerate(segs[k + 1:], k + 1))
    rest = (rest + "#").translate(_PLAIN).replace("rr", "rɾ" if False else "rr")
    table = OPEN_E if vowel == "e" else OPEN_O
    for end in range(min(len(rest), 5), -1, -1):
        found = table.get(rest[:end])
        if found is not None:
            return found
    return False


def _consonant(segs: list[Seg], k: int) -> str:
    seg = segs[k]
    ph = seg.ph
    prev = segs[k - 1] if k else None
    nxt = segs[k + 1] if k + 1 < len(segs) else None
    if ph == "s":
        if nxt is not None and nxt.kind == "C" and nxt.ph[0] in VOICED:
            return "z"
        if prev is not None and prev.kind != "C" and nxt is not None and nxt.kind != "C":
            return "z"
        return "s"
    if ph in ("Z", "ZZ"):
        voiced = prev is None or (ph == "ZZ" and _izz(segs, k))
        return ("ʣ" if voiced else "ʦ") + ("ː" if ph == "ZZ" else "")
    if ph == "n" and nxt is not None and nxt.ph[0] == "ɡ":
        return "ŋ"
    if ph == "r" and prev is not None and prev.kind == "V" and nxt is not None and nxt.kind == "V" and (
            (prev.ph == "a" and nxt.ph == "a") or (nxt.accent is not None and k + 2 == len(segs))):
        return "ɾ"  # espeak taps the r of -ara- (zanzara) and before a final accented vowel (però)
    return ph


def _izz(segs: list[Seg], k: int) -> bool:
    """The verb suffix -izzare (-izzato, -izzazione...) has a voiced zz; pizza does not."""
    if k == 0 or segs[k - 1].ph != "i" or k + 2 >= len(segs):
        return False
    return segs[k + 1].ph == "a" and segs[k + 2].letter in "rztnvb"
