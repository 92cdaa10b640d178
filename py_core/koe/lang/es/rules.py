"""Spanish (Castilian) letter-to-sound rules, in espeak-ng's conventions as Kokoro learned them.

A word becomes a list of segments (consonants, vowels, glides), its vowels are grouped into
syllable nuclei (diphthongs, hiatus, a silent ``h`` that keeps vowels apart), and the stress
falls on the written accent, else on the next-to-last nucleus after a vowel, ``n`` or ``s``,
else on the last. Some sounds are only settled at the phrase level, so words come out with
placeholders resolved by :func:`phrase`:

* ``B D G``: ``b d g`` after a pause or a nasal (``d`` also at the end of a word not followed
  by a vowel), ``β ð ɣ`` elsewhere, across word boundaries too (``la boca`` -> ``la βˈoka``);
* ``N``: a nasal that takes the place of the next consonant (``un vaso`` -> ``ˈum bˈaso``);
* ``Y``: consonantal ``y``/``ll`` after a nasal is ``ʤ`` (``un yate``), else ``ʝ``.
"""

from __future__ import annotations

from ..romance import PRIMARY, SECONDARY, secondary_stresses
from .lexicon import PLAIN_MENTE, PRONUNCIATIONS, SECONDARY_WORDS, UNSTRESSED

ACCENTED = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u"}
VOWELS = frozenset("aeiouáéíóúü")
STRONG = frozenset("aeoáéó")
#: Letters a Spanish word may hold; anything else is folded first (ç -> c, ö -> o...).
ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyzáéíóúüñ")

# Falling diphthongs (vowel + unstressed i/u in one syllable) as misaki writes espeak's ties.
FALLING = {("a", "i"): "I", ("e", "i"): "A", ("o", "i"): "oɪ", ("a", "u"): "W", ("e", "u"): "eʊ", ("o", "u"): "O",
           ("u", "i"): "uj"}
NASALS = frozenset("mnŋɲN")
LABIAL = frozenset("pbB")
VELAR = frozenset("ɡGx")
STOPS = frozenset("pbtdkɡmnɲŋBDGNʧ")
MARKS = frozenset(PRIMARY + SECONDARY)


class Seg:
    """One sound of a word: ``kind`` is C (consonant), V (vowel) or G (glide inside a nucleus)."""

    __slots__ = ("accent", "kind", "letter", "ph")

    def __init__(self, ph: str, kind: str, accent: bool = False, letter: str = "") -> None:
        self.ph, self.kind, self.accent, self.letter = ph, kind, accent, letter


def segments(word: str) -> list[Seg]:
    """A lowercase word's sounds, left to right (vowels still unsplit into glides)."""
    out: list[Seg] = []
    n = len(word)
    i = 0
    while i < n:
        c = word[i]
        nxt = word[i + 1] if i + 1 < n else ""
        after = word[i + 2] if i + 2 < n else ""
        if c in VOWELS:
            if c == "ü":
                out.append(Seg("u", "V", letter="ü"))
            else:
                out.append(Seg(ACCENTED.get(c, c), "V", c in ACCENTED, c))
            i += 1
            continue
        step, ph = 1, ""
        if c == "b" or c == "v":
            ph = "B"
        elif c == "c":
            if nxt == "h":
                ph, step = "ʧ", 2
            elif nxt in "eiéí" and nxt:
                ph = "θ"
            else:
                ph = "k"
        elif c == "d":
            ph = "D"
        elif c == "g":
            if nxt == "u" and after in "eiéí" and after:
                ph, step = "G", 2
            elif nxt in "eiéí" and nxt:
                ph = "x"
            else:
                ph = "G"
        elif c == "h":
            # A silent h keeps vowels apart (ahora, rehusar); hie-/hue- start with a glide.
            if nxt in ("i", "u") and after in VOWELS and after and after not in "iu":
                ph, step = ("j" if nxt == "i" else "w"), 2
            else:
                out.append(Seg("", "H"))
                i += 1
                continue
        elif c == "j":
            ph = "x"
        elif c == "l":
            if nxt == "l":
                ph, step = "ʎ", 2
            else:
                ph = "l"
        elif c == "ñ":
            ph = "ɲ"
        elif c == "n":
            if nxt == "y" and after in VOWELS and after:
                ph, step = "ɲ", 2
            else:
                ph = "N"
        elif c == "q":
            ph = "k"
            if nxt == "u":
                step = 2
        elif c == "r":
            if nxt == "r":
                ph, step = "r", 2
            elif not out or (out[-1].ph in ("N", "l", "s") and out[-1].kind == "C"):
                ph = "r"
            else:
                ph = "ɾ"
        elif c == "s":
            ph = "s"
        elif c == "x":
            ph = "s" if not out else "ks"
        elif c == "y":
            if nxt in VOWELS and nxt:
                ph = "Y"
            else:
                out.append(Seg("i", "V", letter="y"))
                i += 1
                continue
        elif c == "z":
            ph = "θ"
        elif c == "p":
            if not out and nxt in "stn" and nxt:
                i += 1  # psicología, pterodáctilo
                continue
            ph = "pː" if nxt == "t" else "p"  # espeak lengthens the p of -pt- (séptico)
        elif c == "w":
            ph = "w"
            if nxt == "h":
                step = 2
        elif c == "k":
            ph = "k"
        elif c in "fmt":
            ph = c
        if ph:
            out.append(Seg(ph, "C", letter=c))
        i += step
    return out


def nuclei(segs: list[Seg]) -> list[list[int]]:
    """Groups vowel segments into syllable nuclei (indices); unstressed i/u next to a vowel are glides."""
    groups: list[list[int]] = []
    run: list[int] = []
    for index, seg in enumerate(segs + [Seg("", "C")]):
        if seg.kind == "V":
            run.append(index)
            continue
        if run:
            groups.extend(_split_run(segs, run, final=index == len(segs)))
            run = []
    return groups


def _weak(seg: Seg) -> bool:
    return seg.ph in ("i", "u") and not seg.accent


def _hiatus_after(segs: list[Seg], index: int) -> bool:
    """espeak keeps i/u a vowel before another vowel after a liquid: u after l or r (evalúa,
    garúa), i after a trill, ll or a consonant + liquid cluster (criar, ampliar, chirriar)."""
    if index == 0:
        return False
    prev = segs[index - 1]
    if prev.kind != "C":
        return False
    if segs[index].ph == "u":
        return prev.ph in ("l", "ɾ", "r")
    if prev.ph in ("r", "ʎ"):
        return True
    return prev.ph in ("l", "ɾ") and index >= 2 and segs[index - 2].kind == "C"


def _split_run(segs: list[Seg], run: list[int], final: bool) -> list[list[int]]:
    out: list[list[int]] = []
    k = 0
    while k < len(run):
        seg = segs[run[k]]
        nxt = segs[run[k + 1]] if k + 1 < len(run) else None
        if nxt is not None and _weak(seg) and (seg.letter == "ü" or _hiatus_after(segs, run[k])):
            out.append([run[k]])  # pingüino, criar, evalúa: a vowel of its own
            k += 1
            continue
        if nxt is not None and _weak(seg) and not (seg.ph == "u" and nxt.ph == "i" and nxt.letter == "y"):
            # rising glide: ciudad, piano, cuidado, fui
            seg.kind = "G"
            seg.ph = "j" if seg.ph == "i" else "w"
            k += 1
            continue
        group = [run[k]]
        if nxt is not None and _weak(nxt) and (k + 2 >= len(run)):
            # falling diphthong: aire, euro, hoy, muy
            nxt.kind = "G"
            group.append(run[k + 1])
            k += 1
        out.append(group)
        k += 1
    return out


def stressed_nucleus(word: str, segs: list[Seg], groups: list[list[int]]) -> int:
    for number, group in enumerate(groups):
        if any(segs[i].accent for i in group):
            return number
    if len(groups) < 2:
        return 0
    last = word[-1]
    return len(groups) - 2 if last in "aeiouns" else len(groups) - 1


def word_phonemes(word: str) -> str:
    """One lowercase Spanish word -> phonemes with the placeholders described above."""
    found = PRONUNCIATIONS.get(word)
    if found is not None:
        return found
    if word.endswith("mente") and len(word) > 7 and word not in PLAIN_MENTE:
        # Adverbs keep the stress of their adjective and add one on -mente.
        return word_phonemes(word[:-5]) + "mˈente"
    segs = segments(word)
    groups = nuclei(segs)
    if not groups:
        return "".join(s.ph for s in segs)
    if word in UNSTRESSED:
        primary, stress = -1, ""
    else:
        primary = stressed_nucleus(word, segs, groups)
        stress = SECONDARY if word in SECONDARY_WORDS else PRIMARY
    secondary = secondary_stresses(len(groups), primary) if primary >= 0 else set()
    starts = {group[0]: number for number, group in enumerate(groups)}
    out: list[str] = []
    i = 0
    while i < len(segs):
        seg = segs[i]
        number = starts.get(i)
        if number is None:
            out.append(seg.ph)
            i += 1
            continue
        group = groups[number]
        if number == primary:
            out.append(stress)
        elif number in secondary:
            out.append(SECONDARY)
        vowel = seg.ph
        if len(group) == 2:
            glide = segs[group[1]]
            falling = FALLING.get((vowel, glide.ph))
            if falling is not None and not seg.accent:
                out.append(falling)
            else:
                out.append(vowel + ("j" if glide.ph == "i" and vowel == "u" else glide.ph))
        else:
            if vowel == "e" and number == primary and not seg.accent and _open_e(segs, group[-1]):
                vowel = "ɛ"
            out.append(vowel)
        i = group[-1] + 1
    return "".join(out)


def _open_e(segs: list[Seg], last: int) -> bool:
    """espeak opens a stressed e before a nasal + consonant and before ``x`` (tengo, siento)."""
    rest = [s for s in segs[last + 1:] if s.kind != "H"]
    if len(rest) >= 2 and rest[0].ph == "N" and rest[1].kind == "C":
        return True
    return False


def phrase(words: list[str]) -> list[str]:
    """Phonemes of each word of a phrase, with the cross-word sound changes settled."""
    raw = [word_phonemes(w) for w in words]
    flat: list[str] = []
    owner: list[int] = []
    for number, phonemes in enumerate(raw):
        for ch in phonemes:
            flat.append(ch)
            owner.append(number)
    count = len(flat)
    # Nasals take the place of the next consonant (within and across words).
    for k in range(count):
        if flat[k] != "N":
            continue
        nxt = _next_sound(flat, k)
        if nxt in LABIAL or (nxt == "f" and _next_sound(flat, k + 1) in ("ɾ", "l")):
            flat[k] = "m"
        elif nxt in VELAR and (nxt != "x" or owner[k + 1] == owner[k]):
            flat[k] = "ŋ"  # ángel, tengo, un gato (but un jamón)
        else:
            flat[k] = "n"
    for k in range(count):
        ch = flat[k]
        if ch not in "BDGY":
            continue
        prev = _prev_sound(flat, k)
        if ch == "Y":
            flat[k] = "ʤ" if prev in NASALS else "ʝ"
            continue
        following = _next_sound(flat, k)
        stop = prev is None or prev in NASALS or (following in STOPS and not (ch == "D" and following == "B"))
        if ch == "D" and not stop:
            # A word-final d: ð only when a vowel follows in the next word.
            last_of_word = k + 1 == count or owner[k + 1] != owner[k]
            if last_of_word and (_next_sound(flat, k) is None or _next_sound(flat, k) not in "aeiouAIOWɛ"):
                stop = True
        flat[k] = ("b" if ch == "B" else "d" if ch == "D" else "ɡ") if stop else ("β" if ch == "B" else "ð" if ch == "D" else "ɣ")
    out = [""] * len(words)
    for ch, number in zip(flat, owner):
        out[number] += ch
    return out


def _prev_sound(flat: list[str], k: int) -> str | None:
    k -= 1
    while k >= 0 and flat[k] in MARKS:
        k -= 1
    return flat[k] if k >= 0 else None


def _next_sound(flat: list[str], k: int) -> str | None:
    k += 1
    while k < len(flat) and flat[k] in MARKS:
        k += 1
    return flat[k] if k < len(flat) else None
