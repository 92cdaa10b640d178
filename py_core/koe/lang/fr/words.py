"""French words -> phonemes: the lexicon, elision, spelling rules for the rest, and liaison.

* Lexicon: gruut's French lexicon (MIT) rewritten in Kokoro's symbols by
  ``tools/build_lang_data.py``; a few entries here override it where espeak (and so Kokoro)
  says otherwise.
* Elision: ``l'homme``, ``qu'il``, ``j'ai``, ``aujourd'hui`` (a lexicon word) or a clitic +
  a word, read as one stretch.
* Liaison: a word's silent final consonant is sounded before a word that starts with a
  vowel (``les‿amis`` -> ``lez amˈi``, ``un‿enfant`` -> ``œ̃n ɑ̃fˈɑ̃``), as espeak does: after a
  final s, x or z always (but not after ``et`` or before an aspirated h), after t, d, n, r, p
  only for the words and endings that take it (``est``, ``petit``, ``fait``, ``prend``,
  ``quand``, ``bon``, ``premier``, ``trop``, verbs in -ent...), and in inversions (``dit-il``).
* Stress: espeak marks the last vowel of a word, and no stress on clitics and short
  function words.
"""

from __future__ import annotations

import re

from ..romance import PRIMARY
from .spelling import spell_out

VOWELS = frozenset("aeiouyɑɛɔəøœ")
NASAL = "\u0303"

#: Read without stress (articles, clitics, prepositions, conjunctions, auxiliaries).
UNSTRESSED = frozenset(
    "le la les l de du des d un une et à en je j tu il ils elle elles on nous vous ce c se s ne n me m te t "
    "que qu qui mon ton son ma ta sa mes tes ses au aux y dans par pour sur mais ou où est a très plus pas "
    "tout cette cet ces leur leurs notre votre nos vos ai chaque".split())

#: Clitics that elide before a vowel: their phonemes without the vowel.
CLITICS = {"l": "l", "d": "d", "j": "ʒ", "m": "m", "t": "t", "s": "s", "n": "n", "c": "s", "qu": "k",
           "jusqu": "ʒysk", "lorsqu": "lɔʁsk", "puisqu": "pyisk", "quoiqu": "kwak", "presqu": "pʁɛsk"}

#: Words that sound their final t (or d) before a vowel; -ent verbs are found by their phonemes.
T_LIAISON = frozenset("est c'est qu'est n'est s'est met petit tout dont vingt second lait dupont cet".split())
#: Endings that sound their t (or d as t) before a vowel, as espeak reads them.
T_ENDINGS = ("ait", "aît", "eut", "aut", "ut", "ont", "end", "and")
N_LIAISON = frozenset("un on en mon ton son bon aucun rien bien ancien certain commun divin plein".split())
R_LIAISON = frozenset("premier dernier léger entier".split())
P_LIAISON = frozenset("trop beaucoup".split())
#: No liaison into these (aspirated h and a few others).
NO_LIAISON_BEFORE = frozenset(
    "et héros haut haute hauts hautes hache hasard honte hors huit huitième hibou homard haricot hall hameau "
    "hanche handicap harpe hausse hérisson hockey hollande hongrie hurler hamburger hamac haine haïr halte "
    "hangar hanter harceler hardi hargne hareng hennir hibou hiérarchie hisser hocher hublot huer hurler "
    "hutte onze oui ouf".split())

NUMBER_WORDS = frozenset("et un deux trois quatre cinq six sept huit neuf".split())

#: Where the lexicon and espeak disagree on frequent words, espeak's reading (what Kokoro learned).
OVERRIDES = {
    "est": "ɛ", "et": "e", "les": "le", "des": "de", "mes": "me", "tes": "te", "ses": "se", "ces": "se",
    "fils": "fis", "plus": "ply", "six": "sis", "dix": "dis", "oignon": "oɲɔ̃", "ne": "nə", "le": "lə",
    "de": "də", "que": "kə", "je": "ʒə", "se": "sə", "ce": "sə", "me": "mə", "te": "tə", "hier": "jɛʁ",
    "whisky": "wɪski", "lyon": "ljɔ̃",
    "monsieur": "məsjø", "messieurs": "mesjø", "femme": "fam", "second": "səɡɔ̃", "août": "ut",
}

#: Final letters of a word whose final consonant is silent, and the consonant liaison gives.
_LATENT = {"s": "z", "x": "z", "z": "z"}


class FrenchWords:
    """Phonemizes French phrases from a ``word -> phonemes`` lexicon."""

    def __init__(self, lexicon: dict[str, str]) -> None:
        self.lexicon = lexicon
        self.lexicon.update(OVERRIDES)
        self._cache: dict[str, str] = {}

    def base(self, word: str) -> str:
        """A word's phonemes without stress or liaison (lowercase, NFC, apostrophes as ')."""
        found = self._cache.get(word)
        if found is None:
            if len(self._cache) >= 20000:
                self._cache.clear()
            found = self._cache[word] = self._base(word)
        return found

    # --- one word ------------------------------------------------------------------------------

    def _base(self, word: str) -> str:
        if word == "t":
            return "t"  # a-t-il
        found = self.lexicon.get(word)
        if found is not None:
            return espeak_style(word, found)
        if "'" in word:
            head, _, tail = word.partition("'")
            clitic = CLITICS.get(head)
            if clitic is not None and tail:
                return clitic + self.base(tail)
            return "".join(self.base(part) for part in word.split("'") if part)
        return espeak_style(word, spell_out(word))

    @staticmethod
    def stressed(word: str, phonemes: str) -> str:
        """espeak's stress mark before the last vowel (none on function words)."""
        if word in UNSTRESSED or "'" in word and word.rpartition("'")[2] in UNSTRESSED:
            return phonemes
        for index in range(len(phonemes) - 1, -1, -1):
            if phonemes[index] in VOWELS:
                start = index
                # a vowel after a glide j/w/y in the same syllable is still that syllable
                return phonemes[:start] + PRIMARY + phonemes[start:]
        return phonemes

    # --- a phrase -----------------------------------------------------------------------------

    def phrase(self, words: list[str]) -> list[str]:
        keys = [w.lower().replace("’", "'") for w in words]
        bases = [self.base(k) for k in keys]
        out = []
        for index, (key, phonemes) in enumerate(zip(keys, bases)):
            if index + 1 < len(keys):
                following, following_phonemes = keys[index + 1], bases[index + 1]
                starts_with_vowel = following_phonemes[:1] in VOWELS
                if key == "neuf" and following in ("ans", "heures"):
                    phonemes = phonemes[:-1] + "v"  # neuf‿ans
                elif key in ("six", "dix"):
                    phonemes = phonemes[:-1] + ("z" if starts_with_vowel else "")  # dix‿ans, dix livres
                elif key == "vingt" and following in NUMBER_WORDS:
                    phonemes += "t"  # vingt-cinq
                else:
                    phonemes += self._liaison(key, phonemes, following, following_phonemes)
            out.append(self.stressed(key, phonemes))
        return out

    @staticmethod
    def _liaison(word: str, phonemes: str, next_word: str, next_phonemes: str) -> str:
        """The consonant a word sounds before the next one ("" if none)."""
        if not phonemes or not next_phonemes or (next_phonemes[0] not in VOWELS and next_phonemes[0] != "w"):
            return ""
        if word == "et":
            return ""
        if next_word in NO_LIAISON_BEFORE or next_word.startswith("h") and next_word in NO_LIAISON_BEFORE:
            return ""
        last = word[-1:]
        end = phonemes[-1]
        if next_word in ("il", "ils", "elle", "elles", "on") and last in "td" and end != "t" and word != "et":
            return "t"  # inversion: dit-il, vient-elle
        if last in _LATENT and end not in "sz":
            return "z"
        if word in T_LIAISON or word.endswith(T_ENDINGS) or (
                word.endswith("ent") and not phonemes.endswith("ɑ" + NASAL)):
            return "" if end == "t" else "t"  # est, petit, fait, prend, parlent (not voit, dit, enfant)
        if word in N_LIAISON:
            return "n"
        if word in R_LIAISON:
            return "ʁ"
        if word in P_LIAISON:
            return "p"
        return ""


# --- espeak's habits ---------------------------------------------------------------------------

_O_SPELLINGS = re.compile("eau|au|ô|o")
_NOT_PLAIN_O = re.compile("o[uiy]|o[nm](?![aeiouyéèêhnm])|oe|oê")  # ou, oi, a nasal on/om, œ
_GN = re.compile("ɲ(?=[aeiouyɑɛɔəøœ])")
_CLUSTER_IJ = re.compile("(?<=[bdfɡkptv][ʁl])ij(?=[aeiouɑɛɔəøœ])")
_LAST_A_CIRCUMFLEX = re.compile("â[^aeiouyéèê]*(?:e|es|ent)?$")
_LAST_O_CIRCUMFLEX = re.compile("ô[^aeiouyéèê]*(?:e|es)?$")
_DOUBLED = re.compile("[aeiouyéèê](?:ss|ll|rr|tt|ff|cc|pp)")
_E_BEFORE = re.compile("(?<=.)e(?=[slʁtfkp])")
_CONSONANTS = frozenset("bdfɡklmnŋpʁsʃtvzʒj")


def espeak_style(word: str, phonemes: str) -> str:
    """A lexicon pronunciation rewritten with espeak-ng's French habits, which Kokoro learned:

    * ``au eau ô`` are ``o``; another unstressed ``o`` is ``o`` in an open syllable (tomate,
      promettre) and ``ɔ`` before a double or two consonants (donner, poste);
    * a schwa after one consonant that follows a vowel is dropped (samedi, acheter, posera);
    * ``gn`` before a vowel is ``nj`` (signal); ``i`` + vowel after a consonant + l/r has no
      glide (crier); a final ``ai`` is ``e`` (parlai, j'aurai); ``â`` is ``aː``.
    """
    phonemes = _o_vowels(word, phonemes)
    phonemes = _drop_schwas(phonemes)
    if "ɲ" in phonemes:
        phonemes = _GN.sub("nj", phonemes)
    if "ij" in phonemes and "ill" not in word:
        phonemes = _CLUSTER_IJ.sub("i", phonemes)
    if word.endswith("ai") and phonemes.endswith("ɛ"):
        phonemes = phonemes[:-1] + "e"
    last = _last_vowel(phonemes)
    if last >= 0:
        if phonemes[last] in "aɑ" and _LAST_A_CIRCUMFLEX.search(word):
            phonemes = phonemes[:last] + "aː" + phonemes[last + 1:]  # pâte
        elif phonemes[last] == "o" and _LAST_O_CIRCUMFLEX.search(word):
            phonemes = phonemes[:last] + "oː" + phonemes[last + 1:]  # impôt
    if "œ" in phonemes:
        phonemes = "".join("ø" if ch == "œ" and i != last and phonemes[i + 1:i + 2] != NASAL else ch
                           for i, ch in enumerate(phonemes))  # unstressed eu: meubler
    if _DOUBLED.search(word, 1):
        phonemes = _E_BEFORE.sub(_open_e(word), phonemes)
    if "eil" in word:
        phonemes = phonemes.replace("ej", "ɛj")
    if ("bs" in word or "bt" in word) and ("ps" in phonemes or "pt" in phonemes):
        phonemes = phonemes.replace("ps", "bs").replace("pt", "bt")
    return phonemes


def _last_vowel(phonemes: str) -> int:
    for index in range(len(phonemes) - 1, -1, -1):
        if phonemes[index] in "aeiouyɑɛɔəøœ":
            return index
    return -1


def _open_e(word: str):
    """espeak opens an e before a double consonant (dessiner, terrifier, nécessité)."""
    doubled = {"s": "ss", "l": "ll", "ʁ": "rr", "t": "tt", "f": "ff", "k": "cc", "p": "pp"}

    def replace(m: re.Match) -> str:
        following = m.string[m.end():m.end() + 1]
        return "ɛ" if re.search("e" + doubled[following], word[1:]) else "e"

    return replace


def _o_vowels(word: str, phonemes: str) -> str:
    """Sets each o/ɔ of ``phonemes`` from the spelling it comes from (when they line up)."""
    spots = [i for i, ch in enumerate(phonemes) if ch in "oɔ" and phonemes[i + 1:i + 2] != NASAL]
    if not spots:
        return phonemes
    letters = [m for m in _O_SPELLINGS.finditer(word) if not _NOT_PLAIN_O.match(word, m.start(), m.start() + 3)]
    if len(letters) != len(spots):
        return phonemes
    last_vowel = max(i for i, ch in enumerate(phonemes) if ch in "aeiouyɑɛɔəøœ")
    out = list(phonemes)
    for spot, letter in zip(spots, letters):
        text = letter.group()
        if text != "o":
            out[spot] = "o"
            continue
        if spot == last_vowel:
            continue  # the stressed vowel: keep the lexicon's
        after = word[letter.end():letter.end() + 2]
        closed = len(after) == 2 and after[0] not in "aeiouyéèêh" and (
            after[0] == after[1] or (after[1] not in "aeiouyéèêrlh"))
        out[spot] = "ɔ" if closed else "o"
    return "".join(out)


def _drop_schwas(phonemes: str) -> str:
    """espeak drops ə after a single consonant that follows a vowel (and after st): samedi, justement."""
    if "ə" not in phonemes:
        return phonemes
    out = list(phonemes)
    for i, ch in enumerate(phonemes):
        if ch != "ə" or i < 2 or i + 1 >= len(phonemes):
            continue
        before, before2 = phonemes[i - 1], phonemes[i - 2]
        if before not in _CONSONANTS or phonemes[i + 1] not in _CONSONANTS:
            continue
        if before2 in "aeiouyɑɛɔəøœ\u0303ː" or (before == "t" and before2 == "s" and i >= 3):
            out[i] = ""
    return "".join(out)
