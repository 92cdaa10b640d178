"""Dictionary pronunciations in Kokoro's phoneme alphabet, with morphological fallbacks.

The dictionaries are misaki's gold and silver lists (merged at build time), so
their phonemes are exactly the symbols Kokoro was trained on. An entry is either
a string or, for heteronyms, a mapping from a part-of-speech tag (DEFAULT, VERB,
NOUN, ADJ, VBD, VBN, VBP, ...) to a string.

Words missing from the dictionary are derived, where possible, from a known
stem (-s, -es, -'s, -ed, -ing, -er, -ly, hyphenated parts, two-word compounds)
using the regular English suffix rules; what is left goes to the neural G2P.
"""

from __future__ import annotations

import json
from typing import Mapping

PRIMARY, SECONDARY = "ˈ", "ˌ"
STRESSES = PRIMARY + SECONDARY
VOWELS = frozenset("AIOQWYaiuæɑɒɔəɛɜɪʊʌᵻɐᵊ")
#: Vowels before which a US /t/ becomes a flap (as in "waiting").
US_FLAP_VOWELS = frozenset("AIOWYiuæɑəɛɪɹʊʌ")

Entry = str | Mapping[str, str | None]

#: Fallback order of tags when a heteronym lacks the requested one.
TAG_FALLBACKS = {
    "VBD": ("VBD", "VBN", "VERB", "DEFAULT"),
    "VBN": ("VBN", "VBD", "VERB", "DEFAULT"),
    "VBP": ("VBP", "VERB", "DEFAULT"),
    "VERB": ("VERB", "DEFAULT"),
    "NOUN": ("NOUN", "DEFAULT"),
    "ADJ": ("ADJ", "DEFAULT"),
    "ADV": ("ADV", "DEFAULT"),
    "DT": ("DT", "DEFAULT"),
    "DEFAULT": ("DEFAULT",),
}


def demote(phonemes: str) -> str:
    """Primary stress becomes secondary (for the non-head part of a compound)."""
    return phonemes.replace(PRIMARY, SECONDARY)


def promote(phonemes: str) -> str:
    """A content word derived from a stem carries a primary stress (make -> making: mˌAk -> mˈAkɪŋ)."""
    if PRIMARY in phonemes or SECONDARY not in phonemes:
        return phonemes
    return phonemes.replace(SECONDARY, PRIMARY, 1)


def has_vowel(phonemes: str) -> bool:
    return any(ch in VOWELS for ch in phonemes)


class Lexicon:
    """Pronunciation lookup for one accent (``british`` selects the GB rules)."""

    def __init__(self, entries: dict[str, Entry], *, british: bool = False) -> None:
        self.entries = entries
        self.british = british

    @classmethod
    def from_json(cls, data: bytes | str, *, british: bool = False) -> "Lexicon":
        return cls(json.loads(data), british=british)

    # --- plain lookup ---------------------------------------------------------------

    def entry(self, word: str) -> Entry | None:
        """The raw entry, trying the word as written, then lower-cased, then capitalized."""
        for form in (word, word.lower(), word.capitalize()):
            found = self.entries.get(form)
            if found is not None:
                return found
        return None

    def lookup(self, word: str, tag: str = "DEFAULT") -> str | None:
        """Phonemes for ``word`` as a dictionary word (no derivation), ``tag`` picking a heteronym reading."""
        found = self.entry(word)
        if found is None:
            return None
        if isinstance(found, str):
            return found
        for candidate in TAG_FALLBACKS.get(tag, ("DEFAULT",)):
            value = found.get(candidate)
            if value:
                return value
        value = found.get("DEFAULT")
        return value or None

    def is_spelled_initialism(self, word: str) -> bool:
        """All-caps words whose entry says 'as a proper noun, spell it' (US, AM, ACT...)."""
        found = self.entries.get(word)
        return isinstance(found, Mapping) and "NOUN" in found and found["NOUN"] is None

    # --- letters --------------------------------------------------------------------------

    def spell(self, word: str) -> str:
        """Read a word letter by letter (FBI -> ˌɛf bˌi ˈI): stress on the last letter only."""
        letters = [self.entries.get(ch.upper()) for ch in word if ch.isalpha()]
        sounds = [p for p in letters if isinstance(p, str)]
        if not sounds:
            return ""
        return " ".join([demote(p) for p in sounds[:-1]] + [sounds[-1]])

    # --- derivation ------------------------------------------------------------------------

    def derive(self, word: str, tag: str = "DEFAULT", _depth: int = 0) -> str | None:
        """Dictionary lookup, then the morphological fallbacks; None if nothing fits."""
        found = self.lookup(word, tag)
        if found is not None or _depth > 2 or len(word) < 3:
            return found
        lower = word.lower()
        for attempt in (self._plural, self._past, self._gerund, self._suffix_er_ly, self._hyphenated, self._compound):
            result = attempt(lower, tag, _depth + 1)
            if result:
                return promote(result)
        return None

    def _add_s(self, stem: str) -> str:
        if stem[-1] in "ptkfθ":
            return stem + "s"
        if stem[-1] in "szʃʒʧʤ":
            return stem + ("ɪ" if self.british else "ᵻ") + "z"
        return stem + "z"

    def _plural(self, word: str, tag: str, depth: int) -> str | None:
        if not word.endswith("s"):
            return None
        stems = []
        if word.endswith("'s"):
            stems.append(word[:-2])
        if word.endswith("ies") and len(word) > 4:
            stems.append(word[:-3] + "y")
        if word.endswith("es") and len(word) > 4:
            stems.append(word[:-2])
        if not word.endswith("ss"):
            stems.append(word[:-1].rstrip("'"))
        for stem in stems:
            found = self.lookup(stem, "NOUN")
            if found:
                return self._add_s(found)
        return None

    def _add_ed(self, stem: str) -> str:
        if stem[-1] in "pkfθʃsʧ":
            return stem + "t"
        if stem[-1] == "d":
            return stem + ("ɪ" if self.british else "ᵻ") + "d"
        if stem[-1] != "t":
            return stem + "d"
        if self.british or len(stem) < 2:
            return stem + "ɪd"
        if stem[-2] in US_FLAP_VOWELS:
            return stem[:-1] + "ɾᵻd"
        return stem + "ᵻd"

    def _past(self, word: str, tag: str, depth: int) -> str | None:
        if not word.endswith("d") or len(word) < 4:
            return None
        stems = []
        if word.endswith("ied"):
            stems.append(word[:-3] + "y")
        stems.append(word[:-1])  # hoped -> hope, used -> use
        if word.endswith("ed"):
            stems.append(word[:-2])
            if len(word) > 5 and word[-3] == word[-4]:
                stems.append(word[:-3])  # stopped -> stop
        for stem in stems:
            found = self.lookup(stem, "VERB")
            if found:
                return self._add_ed(found)
        return None

    def _add_ing(self, stem: str) -> str:
        if not self.british and len(stem) > 1 and stem[-1] == "t" and stem[-2] in US_FLAP_VOWELS:
            return stem[:-1] + "ɾɪŋ"
        return stem + "ɪŋ"

    def _gerund(self, word: str, tag: str, depth: int) -> str | None:
        if not word.endswith("ing") or len(word) < 5:
            return None
        base = word[:-3]
        # hoping -> hope (a single consonant after a vowel), but visiting -> visit.
        e_first = len(base) > 1 and base[-1] not in "aeiouy" and base[-2] in "aeiou"
        stems = [base + "e", base] if e_first else [base, base + "e"]
        if len(base) > 2 and base[-1] == base[-2]:
            stems.append(base[:-1])  # running -> run
        if base.endswith("y"):
            stems.append(base[:-1] + "ie")  # lying -> lie
        for stem in stems:
            found = self.lookup(stem, "VERB")
            if found:
                return self._add_ing(found)
        return None

    def _suffix_er_ly(self, word: str, tag: str, depth: int) -> str | None:
        er = "ə" if self.british else "əɹ"
        rules = (("ers", er + "z"), ("er", er), ("ly", "li"), ("ness", "nəs"), ("less", "ləs"), ("ful", "fəl"))
        for suffix, sound in rules:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                base = word[: -len(suffix)]
                for stem in (base, base + "e", base[:-1] if len(base) > 3 and base[-1] == base[-2] else None,
                             base[:-1] + "y" if base.endswith("i") else None):
                    if stem:
                        found = self.derive(stem, "DEFAULT", depth)
                        if found:
                            return found + sound
        return None

    def _hyphenated(self, word: str, tag: str, depth: int) -> str | None:
        if "-" not in word:
            return None
        parts = [p for p in word.split("-") if p]
        sounds = [self.derive(p, tag, depth) for p in parts]
        if not parts or any(s is None for s in sounds):
            return None
        return " ".join(sounds)  # type: ignore[arg-type]

    def _compound(self, word: str, tag: str, depth: int) -> str | None:
        """Split an unknown word into two dictionary words (sunflowerfield -> sunflower + field)."""
        if not word.isalpha() or len(word) < 6:
            return None
        for cut in range(len(word) - 3, 2, -1):
            head, tail = self.lookup(word[:cut]), self.lookup(word[cut:], tag)
            if head and tail and has_vowel(head) and has_vowel(tail):
                return head + demote(tail)
        return None
