"""Pinyin syllables -> Kokoro phonemes, in the conventions of misaki 0.9.4's Mandarin front end.

Kokoro v1.0's ``z`` voices learned misaki's ``ZHG2P()`` output: an IPA-like spelling of each
syllable (after pinyin-to-ipa: ``zh`` ꭧ, ``ch`` ꭧʰ, ``x`` ɕ, ``j`` ʨ, ``ü`` y, ``-i`` after
retroflexes and sibilants ɨ, diphthongs without their non-syllabic marks) with the tone as
an arrow right after the syllable's main vowel: tone 1 →, 2 ↗, 3 ↓, 4 ↘, neutral none
(``jīn`` ʨi→n, ``xiǎng`` ɕja↓ŋ).
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin.contrib.tone_convert import to_finals, to_initials, to_normal, to_tone3

TONES = {"1": "→", "2": "↗", "3": "↓", "4": "↘", "5": ""}

INITIALS = {
    "b": "p", "p": "pʰ", "m": "m", "f": "f", "d": "t", "t": "tʰ", "n": "n", "l": "l",
    "g": "k", "k": "kʰ", "h": "x", "j": "ʨ", "q": "ʨʰ", "x": "ɕ",
    "zh": "ꭧ", "ch": "ꭧʰ", "sh": "ʂ", "r": "ɻ", "z": "ʦ", "c": "ʦʰ", "s": "s",
}
#: Finals as (before the tone, after the tone): the tone follows the main vowel.
FINALS = {
    "a": ("a", ""), "ai": ("ai", ""), "an": ("a", "n"), "ang": ("a", "ŋ"), "ao": ("au", ""),
    "e": ("ɤ", ""), "ei": ("ei", ""), "en": ("ə", "n"), "eng": ("ə", "ŋ"), "o": ("wo", ""),
    "i": ("i", ""), "ia": ("ja", ""), "ian": ("jɛ", "n"), "iang": ("ja", "ŋ"), "iao": ("jau", ""),
    "ie": ("je", ""), "in": ("i", "n"), "iou": ("jou", ""), "ing": ("i", "ŋ"), "iong": ("jʊ", "ŋ"),
    "ong": ("ʊ", "ŋ"), "ou": ("ou", ""), "u": ("u", ""), "ua": ("wa", ""), "uai": ("wai", ""),
    "uan": ("wa", "n"), "uang": ("wa", "ŋ"), "uei": ("wei", ""), "uen": ("wə", "n"), "ueng": ("wə", "ŋ"),
    "uo": ("wo", ""), "ü": ("y", ""), "üe": ("ɥe", ""), "üan": ("ɥɛ", "n"), "ün": ("y", "n"),
}
#: Whole syllables read on their own: interjections and syllabic nasals.
SYLLABLES = {"o": ("ɔ", ""), "io": ("jɔ", ""), "ê": ("ɛ", ""), "er": ("ɚ", ""), "r": ("ɚ", ""),
             "m": ("m", ""), "n": ("n", ""), "ng": ("ŋ", ""), "hm": ("hm", ""), "hng": ("hŋ", "")}
#: ``-i`` after zh ch sh r and z c s is the apical vowel, written ɨ.
APICAL = frozenset({"zh", "ch", "sh", "r", "z", "c", "s"})


@lru_cache(maxsize=4096)
def syllable_to_phonemes(pinyin: str) -> str | None:
    """One syllable in TONE3 style (``zhong1``, ``lv4``, ``ma5``) -> phonemes; None if it is not pinyin."""
    tone3 = to_tone3(pinyin, neutral_tone_with_five=True, v_to_u=True)
    if not tone3 or tone3[-1] not in TONES:
        return None
    tone = TONES[tone3[-1]]
    normal = to_normal(pinyin)
    if normal in SYLLABLES:
        before, after = SYLLABLES[normal]
        return before + tone + after
    initial = to_initials(normal, strict=True)
    final = to_finals(normal, strict=True, v_to_u=True)
    if initial and initial not in INITIALS:
        return None
    if final == "i" and initial in APICAL:
        before, after = "ɨ", ""
    elif final in FINALS:
        before, after = FINALS[final]
    else:
        return None
    return INITIALS.get(initial, "") + before + tone + after
