"""French letter-to-sound rules for words the lexicon does not know (names, rare forms, loans).

An ordered list of spelling patterns, tried longest first at each position; a pattern may
require what comes before (``^`` = the word's start) or after it (``$`` = the word's end,
``V`` = a vowel letter, ``C`` = a consonant letter, ``+`` = e/i/y). Written in the symbols
espeak-ng uses for French (as misaki passes them on to Kokoro): ``ʁ``, nasal vowels with a
combining tilde, ``y`` for the glide of ``nuit``.
"""

from __future__ import annotations

import re

V = "aeiouyàâäéèêëîïôöûùüœæ"
NASAL = "\u0303"

# (pattern, before, after, phonemes); before/after are small regexes on the letters around.
RULES: list[tuple[str, str, str, str]] = [
    # vowel groups
    ("eaux", "", "$", "o"), ("eau", "", "", "o"), ("aux", "", "$", "o"), ("au", "", "", "o"),
    ("oeu", "", "", "ø"), ("œu", "", "", "ø"), ("eu", "", "r", "œ"), ("eu", "", "", "ø"),
    ("ou", "", "[" + V + "]", "w"), ("ou", "", "", "u"), ("où", "", "", "u"), ("oû", "", "", "u"),
    ("oi", "", "", "wa"), ("oî", "", "", "wa"), ("oy", "", "[" + V + "]", "waj"),
    ("ay", "", "[" + V + "]", "ɛj"), ("ai", "", "", "ɛ"), ("aî", "", "", "ɛ"), ("ei", "", "", "ɛ"),
    ("ui", "[^gq]", "", "yi"),
    # nasal vowels (not before a vowel or a doubled n/m)
    ("ain", "", "(?![" + V + "n])", "ɛ" + NASAL), ("aim", "", "(?![" + V + "m])", "ɛ" + NASAL),
    ("ein", "", "(?![" + V + "n])", "ɛ" + NASAL), ("oin", "", "(?![" + V + "n])", "wɛ" + NASAL),
    ("ien", "", "(?![" + V + "n])", "jɛ" + NASAL), ("éen", "", "$", "eɛ" + NASAL),
    ("an", "", "(?![" + V + "n])", "ɑ" + NASAL), ("am", "", "(?![" + V + "m])", "ɑ" + NASAL),
    ("en", "", "(?![" + V + "n])", "ɑ" + NASAL), ("em", "", "(?![" + V + "m])", "ɑ" + NASAL),
    ("in", "", "(?![" + V + "n])", "ɛ" + NASAL), ("im", "", "(?![" + V + "m])", "ɛ" + NASAL),
    ("yn", "", "(?![" + V + "n])", "ɛ" + NASAL), ("ym", "", "(?![" + V + "m])", "ɛ" + NASAL),
    ("on", "", "(?![" + V + "n])", "ɔ" + NASAL), ("om", "", "(?![" + V + "m])", "ɔ" + NASAL),
    ("un", "", "(?![" + V + "n])", "œ" + NASAL), ("um", "", "$", "ɔm"),
    # endings
    ("aient", "", "$", "ɛ"), ("ment", "", "$", "mɑ" + NASAL), ("ent", "[id]", "$", "ɑ" + NASAL),
    ("ent", "[^" + V + "]", "$", ""), ("ies", "", "$", "i"), ("ie", "", "$", "i"), ("ues", "", "$", "y"),
    ("ue", "[^gq]", "$", "y"), ("es", "..", "$", ""), ("e", "..", "$", ""),
    ("iers", "", "$", "je"), ("ier", "", "$", "je"), ("er", "", "$", "e"), ("ez", "", "$", "e"),
    ("ets", "", "$", "ɛ"), ("et", "", "$", "ɛ"), ("ed", "", "$", "e"), ("el", "", "$", "ɛl"),
    ("ots", "", "$", "o"), ("ot", "", "$", "o"), ("os", "", "$", "o"), ("o", "", "$", "o"),
    ("ts", "", "$", ""), ("ds", "", "$", ""), ("ps", "", "$", ""),
    ("ouill", "", "", "uj"), ("ouil", "", "$", "uj"), ("eill", "", "", "ɛj"), ("eil", "", "$", "ɛj"),
    ("aill", "", "", "aj"), ("ail", "", "$", "aj"), ("uy", "", "[" + V + "]", "yij"),
    ("ill", "[" + V + "]", "", "j"), ("il", "[" + V + "]", "$", "j"), ("ille", "v|^m|^tranqu", "", "il"),
    ("ill", "", "", "ij"),
    ("tionn", "[^s]", "", "sjɔn"), ("tion", "[^s]", "(?!n)", "sjɔ" + NASAL),
    ("ueil", "[cg]", "", "œj"), ("euil", "", "", "œj"), ("tie", "", "$", "si"), ("jea", "", "", "ʒa"),
    ("ess", "^", "", "es"), ("eff", "^", "", "ef"),
    # consonants
    ("ch", "", "", "ʃ"), ("ph", "", "", "f"), ("th", "", "", "t"), ("gn", "", "", "ɲ"), ("qu", "", "", "k"),
    ("gu", "", "[eiyéèê]", "ɡ"), ("ge", "", "[aou]", "ʒ"), ("g", "", "[eiyéèê]", "ʒ"), ("g", "", "", "ɡ"),
    ("cc", "", "[eiyéèê]", "ks"), ("cc", "", "", "k"), ("chr", "", "", "kʁ"), ("chl", "", "", "kl"), ("c", "", "[eiyéèê]", "s"), ("ç", "", "", "s"), ("ck", "", "", "k"),
    ("c", "", "", "k"),
    ("ss", "", "", "s"), ("sc", "", "[eiyéèê]", "s"), ("s", "[" + V + "]", "[" + V + "]", "z"),
    ("s", "", "$", ""), ("x", "^", "", "ks"), ("ex", "^", "[" + V + "]", "ɛɡz"), ("x", "[eu]", "$", ""),
    ("x", "", "$", "ks"), ("x", "", "", "ks"), ("t", "", "$", ""), ("d", "", "$", ""), ("z", "", "$", ""),
    ("p", "", "$", ""), ("h", "", "", ""), ("j", "", "", "ʒ"), ("w", "", "", "w"), ("y", "", "[" + V + "]", "j"),
    ("ll", "", "", "l"), ("mm", "", "", "m"), ("nn", "", "", "n"), ("rr", "", "", "ʁ"), ("tt", "", "", "t"),
    ("pp", "", "", "p"), ("ff", "", "", "f"), ("bb", "", "", "b"), ("dd", "", "", "d"),
    ("r", "", "", "ʁ"), ("k", "", "", "k"),
    # single vowels
    ("é", "", "", "e"), ("è", "", "", "ɛ"), ("ê", "", "", "ɛ"), ("ë", "", "", "ɛ"),
    ("e", "", "[^" + V + "][^" + V + "]", "ɛ"), ("e", "", "[xz]", "ɛ"), ("e", "", "", "ə"),
    ("à", "", "", "a"), ("â", "", "", "ɑ"), ("a", "", "", "a"), ("î", "", "", "i"), ("ï", "", "", "i"),
    ("i", "", "[" + V + "]", "j"), ("i", "", "", "i"), ("y", "", "", "i"),
    ("ô", "", "", "o"), ("o", "", "", "ɔ"), ("û", "", "", "y"), ("ù", "", "", "y"), ("ü", "", "", "y"),
    ("u", "", "", "y"), ("œ", "", "", "œ"), ("æ", "", "", "e"),
]


def _compile():
    table: dict[str, list[tuple[str, re.Pattern | None, re.Pattern | None, str]]] = {}
    for pattern, before, after, phonemes in RULES:
        b = re.compile("(?:" + before + ")$") if before else None
        a = re.compile(after.replace("$", r"\Z")) if after else None
        table.setdefault(pattern[0], []).append((pattern, b, a, phonemes))
    for rules in table.values():
        rules.sort(key=lambda r: -len(r[0]))  # stable: same-length rules keep their order
    return table


_TABLE = _compile()


def spell_out(word: str) -> str:
    """A lowercase French word -> phonemes by rule (stress on the last vowel added by the caller)."""
    out: list[str] = []
    i = 0
    n = len(word)
    while i < n:
        for pattern, before, after, phonemes in _TABLE.get(word[i], ()):
            if not word.startswith(pattern, i):
                continue
            if before is not None and not before.search(word, 0, i) and not (before.pattern.startswith("(?:^")
                                                                              and i == 0):
                continue
            if after is not None and not after.match(word, i + len(pattern)):
                continue
            out.append(phonemes)
            i += len(pattern)
            break
        else:
            ch = word[i]
            out.append(ch if ch in "bdfklmnpstvz" else "")
            i += 1
    return "".join(out)
