"""Brazilian Portuguese letter-to-sound rules, in espeak-ng's conventions as Kokoro learned them.

espeak-ng's ``pt-br`` voice (the one Kokoro's ``p`` voices were trained on) has its own habits,
reproduced here: unstressed final ``a e o`` are ``æ y ʊ``; ``t d`` before an ``i`` sound are
``ʧ ʤ``; ``r`` is ``x`` at the start of a word and for ``rr``, ``ɾ`` between vowels, and an
``r`` before a consonant is followed by a short ``ə``; a vowel before ``m n`` closing its
syllable is nasal (``ɐ̃ŋ``, ``Aŋ`` for e, ``iŋ``, ``oŋ``, ``ũŋ``); ``ão`` is ``ɐ̃ʊ̃``; ``lh`` is
``lj``; a final ``l`` is ``ʊ``. Stress follows the written accents, else the next-to-last
syllable after ``a e o`` (+ ``s``), ``am em ens``, else the last. Whether a stressed e or o
without an accent is open (ɛ ɔ) is guessed from what follows, as espeak does.

Across words (:func:`phrase`): a final ``s``/``z`` is ``z`` before a vowel or a voiced
consonant, and a final unstressed ``ʊ``/``y`` becomes ``w``/``j`` before a vowel.
"""

from __future__ import annotations

from ..romance import PRIMARY, SECONDARY
from .lexicon import PRONUNCIATIONS, QUALITY, SECONDARY_WORDS, UNSTRESSED

VOWELS = frozenset("aeiouáéíóúâêôã\u00f5àü")
ACCENTS = {"á": ("a", "open"), "é": ("e", "open"), "í": ("i", "open"), "ó": ("o", "open"), "ú": ("u", "open"),
           "â": ("a", "close"), "ê": ("e", "close"), "ô": ("o", "close"), "ã": ("a", "nasal"), "\u00f5": ("o", "nasal"),
           "à": ("a", "open"), "ü": ("u", None)}
FRONT = frozenset("eiéíêe")
VOICED = frozenset("bdɡvzʒmnɲlʎɾrxjʤ")  # what makes a final s voiced (x = the r of rato counts too)
MARKS = frozenset(PRIMARY + SECONDARY)
#: A vowel + an l closing its syllable, as espeak writes them.
L_CODA = {"a": "W", "e": "eʊ", "ɛ": "ɛʊ", "i": "iʊ", "o": "ow", "ɔ": "ɔw", "u": "uw", "æ": "W", "y": "ɛʊ",
          "ʊ": "ow"}


class Seg:
    __slots__ = ("accent", "kind", "letter", "ph")

    def __init__(self, ph: str, kind: str, accent: str | None = None, letter: str = "") -> None:
        self.ph, self.kind, self.accent, self.letter = ph, kind, accent, letter

    def __repr__(self) -> str:  # debugging aid
        return f"{self.ph}/{self.kind}"


def segments(word: str) -> list[Seg]:
    out: list[Seg] = []
    n = len(word)
    i = 0
    while i < n:
        c = word[i]
        nxt = word[i + 1] if i + 1 < n else ""
        after = word[i + 2] if i + 2 < n else ""
        if c in VOWELS:
            base, accent = ACCENTS.get(c, (c, None))
            out.append(Seg(base, "V", accent, c))
            i += 1
            continue
        step, ph = 1, ""
        if c == "c":
            if nxt == "h":
                ph, step = ("k" if after == "r" else "ʃ"), 2  # chave; Christina
            elif nxt and nxt in FRONT:
                ph = "s"
            elif nxt in ("c", "k"):
                ph, step = "k", 2
            else:
                ph = "k"
        elif c == "ç":
            ph = "s"
        elif c == "g":
            if nxt == "u" and after and after in FRONT:
                ph, step = "ɡ", 2
            elif nxt and nxt in FRONT:
                ph = "ʒ"
            else:
                ph = "ɡ"
        elif c == "q":
            ph = "k"
            if nxt == "u" and after and after in FRONT and not (after == "e" and word.startswith("n", i + 3)
                                                               and i > 0 and word[i - 1] in "eiln"):
                step = 2  # quero, aquilo (but frequente, sequência, cinquenta: kw)
        elif c == "l":
            if nxt == "h":
                ph, step = "lj", 2
            elif nxt == "l":
                ph, step = "l", 2
            else:
                ph = "l"
        elif c == "n":
            if nxt == "h":
                ph, step = "ɲ", 2
            elif nxt == "n":
                ph, step = "n", 2
            else:
                ph = "n"
        elif c == "r":
            if nxt == "r":
                ph, step = "x", 2
            elif not out or (out[-1].kind == "C" and out[-1].letter in "nls"):
                ph = "x"
            else:
                ph = "r"  # settled by its neighbours below
        elif c == "s":
            if nxt == "h":
                ph, step = "ʃ", 2  # show, Shapiro
            elif nxt == "s":
                ph, step = "s", 2
            elif nxt == "c" and after and after in FRONT:
                ph, step = "s", 2
            elif nxt == "ç":
                ph, step = "s", 2
            else:
                ph = "S"  # voicing settled below
        elif c == "x":
            if not out:
                ph = "ʃ"
            elif out[-1].kind == "V" and out[-1].ph == "e" and len(out) == 1 and nxt in VOWELS:
                ph = "z"  # exemplo, exame
            elif out[-1].kind == "V" and out[-1].ph == "e" and len(out) == 1:
                ph = "s"  # explicar, extra
                if nxt == "c" and after and after in FRONT:
                    step = 2  # excelente
            elif nxt == "c" and after and after in FRONT:
                ph, step = "s", 2
            elif nxt and nxt not in VOWELS:
                ph = "s"  # sexta, texto
            else:
                ph = "ʃ"
        elif c == "h":
            i += 1
            continue
        elif c == "j":
            ph = "ʒ"
        elif c == "z":
            ph = "S" if i + 1 == n else "z"  # a final z sounds like a final s
        elif c == "m":
            ph = "m"
            if nxt == "m":
                step = 2
        elif c == "w":
            ph = "w"
        elif c == "y":
            if nxt and nxt in VOWELS:
                ph = "j"
            else:
                out.append(Seg("i", "V", None, "y"))
                i += 1
                continue
        elif c == "k":
            ph = "k"
        elif c in "bdfptv":
            ph = c
            if nxt == c:
                step = 2
        if ph:
            out.append(Seg(ph, "C", letter=c))
        i += step
    return out


def nuclei(segs: list[Seg]) -> list[list[int]]:
    """Vowels grouped into syllable nuclei: falling diphthongs (ei, ou, ai, ão...) are one."""
    groups: list[list[int]] = []
    k = 0
    while k < len(segs):
        seg = segs[k]
        if seg.kind != "V":
            k += 1
            continue
        nxt = segs[k + 1] if k + 1 < len(segs) else None
        if nxt is not None and nxt.kind == "V" and _falling(segs, k):
            nxt.kind = "G"
            groups.append([k, k + 1])
            k += 2
            continue
        if nxt is not None and nxt.kind == "V" and seg.ph == "u" and k > 0 and segs[k - 1].letter in "qg":
            seg.kind = "G"  # quando, água
            k += 1
            continue
        if nxt is not None and nxt.kind == "V" and seg.ph in "iu" and seg.accent is None and nxt.accent is None \
                and nxt.ph in "aeo" and k > 0 and segs[k - 1].kind == "C" \
                and all(s.kind == "C" and s.ph in ("S", "m") for s in segs[k + 2:]) \
                and any(s.accent in ("open", "close") for s in segs[:k]):
            seg.kind = "G"  # final -io, -ia, -ie: história, sério (the stress is before them)
            k += 1
            continue
        groups.append([k])
        k += 1
    return groups


def _falling(segs: list[Seg], k: int) -> bool:
    """Whether vowel ``k`` and an unstressed i/u after it make one syllable (a falling diphthong)."""
    seg, nxt = segs[k], segs[k + 1]
    after = segs[k + 2] if k + 2 < len(segs) else None
    if nxt.ph not in "iu" or nxt.accent is not None:
        return seg.ph in "ao" and seg.accent == "nasal" and nxt.ph in "oe"  # ão, ãe, õe
    if seg.ph == nxt.ph:
        return False
    if after is None:
        return True
    if after.kind == "V":
        return nxt.ph == "i" and seg.ph in "aeo"  # maio, praia, meio keep it (but not saúde, juiz)
    if after.ph in ("m", "n") and _closes_syllable(segs, k + 2):
        return False  # ainda, ruim: the i is a nasal vowel of its own (but aumentar keeps au)
    if after.ph in ("r", "l", "S") and k + 3 == len(segs) and after.letter != "s":
        return False  # influir, paul, juiz: two syllables
    return True


def stressed_nucleus(word: str, segs: list[Seg], groups: list[list[int]]) -> int:
    for number, group in enumerate(groups):
        if any(segs[i].accent in ("open", "close") for i in group):
            return number
    for number, group in enumerate(groups):
        if any(segs[i].accent == "nasal" for i in group):
            return number
    if len(groups) < 2:
        return len(groups) - 1
    ending = word.rstrip("s")
    if word.endswith(("am", "em", "ens")) or (ending and ending[-1] in "aeo"):
        return len(groups) - 2
    return len(groups) - 1


def word_phonemes(word: str) -> str:
    """One lowercase word -> phonemes (final s as ``S``: the phrase decides s or z)."""
    found = PRONUNCIATIONS.get(word)
    if found is not None:
        return found
    segs = segments(word)
    groups = nuclei(segs)
    if not groups:
        return "".join(s.ph for s in segs)
    if word in UNSTRESSED:
        primary = -1
    else:
        primary = stressed_nucleus(word, segs, groups)
    stress = SECONDARY if word in SECONDARY_WORDS else PRIMARY
    quality = QUALITY.get(word)
    if quality is not None and 0 <= primary < len(groups):
        seg = segs[groups[primary][0]]
        if seg.accent is None and seg.ph in "eo":
            seg.accent = "open" if quality == "open" else "close"
    return _emit(segs, groups, primary, stress)


def _emit(segs: list[Seg], groups: list[list[int]], primary: int, stress: str) -> str:
    starts = {group[0]: number for number, group in enumerate(groups)}
    members = {i: number for number, group in enumerate(groups) for i in group}
    last = len(groups) - 1
    out: list[str] = []
    k = 0
    while k < len(segs):
        seg = segs[k]
        number = starts.get(k)
        if number is None:
            if seg.kind == "C":
                out.append(_consonant(segs, k, members, primary))
            elif seg.kind == "G" and k not in members:
                out.append("w" if seg.ph == "u" else "j")
            k += 1
            continue
        group = groups[number]
        if number == primary:
            out.append(stress)
        vowel = _nucleus(segs, group, number == primary, number == last, members, 0 <= primary < number)
        k = group[-1] + 1
        if k < len(segs) and segs[k].ph == "l" and len(group) == 1 and _closes_syllable(segs, k) \
                and not vowel.endswith("ɔ"):
            vowel = L_CODA.get(vowel, vowel + "ʊ")  # Brasil, alto, papel: the l is a w sound (not in sol)
            k += 1
        out.append(vowel)
        # A vowel nasalized by m/n closing its syllable took the consonant along.
        if k < len(segs) and segs[k].ph in ("m", "n") and _closes_syllable(segs, k):
            k += 1
    return "".join(out)


def _closes_syllable(segs: list[Seg], k: int) -> bool:
    """m/n after a vowel with no vowel after it (campo, bem, cantam; not a final -in: Latin, Kevin)."""
    if k + 1 >= len(segs):
        return not (segs[k].letter == "n" and k > 0 and segs[k - 1].ph == "i" and segs[k - 1].accent is None)
    return segs[k + 1].kind == "C"


def _nucleus(segs: list[Seg], group: list[int], stressed: bool, last: bool, members: dict,
             after_stress: bool = False) -> str:
    seg = segs[group[0]]
    vowel = seg.ph
    end = group[-1]
    nasal_next = end + 1 < len(segs) and segs[end + 1].ph in ("m", "n") and _closes_syllable(segs, end + 1)
    final = last and all(s.kind == "C" and s.ph == "S" for s in segs[end + 1:])
    if len(group) == 2:
        glide = segs[group[1]]
        if seg.accent == "nasal" or nasal_next:
            if vowel == "a" and glide.ph == "o":
                return "ɐ̃ʊ̃"
            if vowel == "a" and glide.ph in "ei":
                return "ɐ̃j"
            if vowel == "o":
                return "õj"
        if vowel == "e" and glide.ph == "i":
            return "A"
        if vowel == "a" and glide.ph == "i":
            return "I"
        if vowel == "a" and glide.ph == "u":
            return "W"
        if vowel == "o" and glide.ph == "u":
            return "ow"
        if vowel == "o" and glide.ph == "i":
            return "oɪ"
        if vowel == "e" and glide.ph == "u":
            return ("ɛ" if seg.accent == "open" else "e") + "ʊ"
        if vowel == "u" and glide.ph == "i":
            return "uɪ"
        if vowel == "i" and glide.ph == "u":
            return "iʊ"
        return vowel + ("j" if glide.ph == "i" else "w")
    if nasal_next:
        nasal_consonant = segs[end + 1]
        after = segs[end + 2] if end + 2 < len(segs) else None
        if vowel == "e" and after is None:
            return "Aŋ"  # bem, homem
        if vowel == "a" and after is None and nasal_consonant.ph == "m":
            return "ɐ̃ʊ̃"  # cantam
        coda = "m" if after is not None and after.ph in ("p", "b") else "ŋ"
        if vowel == "a":
            return "ɐ̃" + coda
        if vowel == "e":
            return "A" + coda
        if vowel == "u":
            return "ũ" + coda
        return vowel + coda
    if seg.accent == "nasal":
        return "ɐ̃" if vowel == "a" else "õ"
    if stressed:
        if vowel in "eo":
            if seg.accent == "open" or (seg.accent is None and _open(segs, end)):
                return "ɛ" if vowel == "e" else "ɔ"
            return vowel
        if vowel == "a" and end + 1 < len(segs) and segs[end + 1].ph in ("m", "n", "ɲ"):
            return "ɐ̃"  # cama, ano
        if vowel == "u" and end + 1 < len(segs) and segs[end + 1].ph == "ɲ":
            return "ũ"
        return vowel
    if final:
        return {"a": "æ", "e": "Y", "o": "U"}.get(vowel, vowel)  # Y U: settled by the next word
    if vowel == "a" and end + 1 < len(segs) and segs[end + 1].ph in ("m", "n", "ɲ"):
        return "ɐ̃" if segs[end + 1].ph == "ɲ" else "æ"
    if vowel == "a" and after_stress:
        return "æ"  # sábado, mamógrafo
    if vowel == "u" and end + 1 < len(segs) and segs[end + 1].ph == "ɲ":
        return "ũ"
    return vowel


def remainder(segs: list[Seg], end: int) -> str:
    """What follows a stressed vowel, as the open-vowel tables read it (``#`` = the word's end)."""
    return "".join(s.ph if s.kind == "C" else s.letter for s in segs[end + 1:]) + "#"


def _open(segs: list[Seg], end: int) -> bool:
    """Whether espeak opens a stressed e/o without an accent (ɛ ɔ), from what follows it."""
    rest = remainder(segs, end)
    table = OPEN_E if segs[end].ph == "e" else OPEN_O
    for size in range(min(len(rest), 5), -1, -1):
        found = table.get(rest[:size])
        if found is not None:
            return found
    return False


#: What follows a stressed e/o (consonants as sounds, vowels as letters, S = a single s, # = the
#: end) -> open? The longest matching beginning wins. Learnt from espeak's output on many words.
OPEN_E = {
    "": False, "l": True, "lj": False, "rn": True, "rt": True, "St": True, "ʃ": True, "t#": True, "te": True,
    "s": True, "k": True, "k#": False, "ɡ": True, "x": True,
}
OPEN_O = {
    "": True, "n": False, "m": False, "ɲ": False, "r": False, "rt": True, "rd": True, "ro": True, "rn": True,
    "rS": True, "So": False, "SoS": True, "w": False, "a": False, "#": False, "v#": False, "i": False,
}


def _consonant(segs: list[Seg], k: int, members: dict, primary: int) -> str:
    seg = segs[k]
    ph = seg.ph
    prev = segs[k - 1] if k else None
    nxt = segs[k + 1] if k + 1 < len(segs) else None
    if ph in ("t", "d"):
        if (nxt is not None and nxt.kind in ("V", "G") and _i_sound(segs, k + 1, members, primary)) or (
                nxt is None and ph == "t"):
            return "ʧ" if ph == "t" else "ʤ"  # tia, tarde, chat (espeak adds an i sound)
        return ph
    if ph == "r":
        if prev is not None and prev.kind != "C" and nxt is not None and nxt.kind != "C":
            return "ɾ"
        if nxt is not None and nxt.kind == "C":
            return "ɾə"
        return "R" if nxt is None else "r"  # R: ɾ before a vowel in the next word
    if ph == "S":
        if prev is not None and prev.kind != "C" and nxt is not None and nxt.kind != "C":
            return "z"
        if prev is not None and prev.letter == "n" and k == 4 and nxt is not None and nxt.kind == "V":
            return "z"  # trânsito, transitar
        if nxt is not None and nxt.kind == "C" and nxt.ph[0] in VOICED:
            return "z"
        if nxt is None:
            return "S"
        return "s"
    return ph


def _i_sound(segs: list[Seg], k: int, members: dict, primary: int) -> bool:
    seg = segs[k]
    if seg.ph == "i":
        return True
    if seg.ph == "e" and members.get(k) != primary and all(s.ph == "S" for s in segs[k + 1:]) \
            and seg.accent is None:
        return True  # final unstressed e reads as an i sound: tarde, dente
    return False


def phrase(words: list[str]) -> list[str]:
    """Each word's phonemes, with what depends on the next word settled: a final s/z (s or z),
    a final unstressed o/e (``ʊ y``, ``w j`` before a vowel, the article o as ``u``) and a
    final r (``ɾ`` before a vowel)."""
    raw = [word_phonemes(w) for w in words]
    out = []
    for index, phonemes in enumerate(raw):
        nxt = raw[index + 1] if index + 1 < len(raw) else None
        first = _first_sound(nxt) if nxt else None
        vowel_next = first is not None and first in "aeiouɐæɛɔAIOWUY" and words[index + 1][:1] not in "hH"
        if phonemes.endswith("S"):
            voiced = first is not None and (first in "aeiouɐæɛɔAIOWUY" or first in VOICED)
            phonemes = phonemes[:-1] + ("z" if voiced else "s")
        if phonemes == "U":
            phonemes = "u" if vowel_next else "ʊ"
        elif phonemes.endswith("U"):
            phonemes = phonemes[:-1] + ("w" if vowel_next else "ʊ")
        elif phonemes.endswith("Y"):
            phonemes = phonemes[:-1] + ("j" if vowel_next else "y")
        elif phonemes.endswith("R"):
            phonemes = phonemes[:-1] + ("ɾ" if first is not None and first in "aeiouɐæɛɔAIOWUY" else "r")
        out.append(phonemes.replace("S", "s").replace("U", "ʊ").replace("Y", "y").replace("R", "r"))
    return out


def _first_sound(phonemes: str) -> str | None:
    for ch in phonemes:
        if ch not in MARKS:
            return ch
    return None
