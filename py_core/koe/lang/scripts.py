"""Which writing system a text is in, and whether a language can read it.

Used before synthesis to tell the user, clearly, that the chosen voice's language does not
match the text ("this text is Japanese, the voice reads Spanish"), instead of letting the
front end skip every word. Detection counts letters by Unicode script, cheaply.
"""

from __future__ import annotations

import unicodedata

#: A script's usual language, to suggest a voice (Han is Mandarin unless kana are present).
SUGGEST = {"Devanagari": "hi", "Hiragana": "ja", "Katakana": "ja", "Han": "zh"}
_PREFIXES = (("LATIN", "Latin"), ("CJK", "Han"), ("HIRAGANA", "Hiragana"), ("KATAKANA", "Katakana"),
             ("DEVANAGARI", "Devanagari"), ("CYRILLIC", "Cyrillic"), ("GREEK", "Greek"), ("ARABIC", "Arabic"),
             ("HEBREW", "Hebrew"), ("THAI", "Thai"), ("HANGUL", "Hangul"), ("BENGALI", "Bengali"),
             ("TAMIL", "Tamil"), ("GEORGIAN", "Georgian"), ("ARMENIAN", "Armenian"))


def script_of(ch: str) -> str | None:
    """The script of one letter (None for digits, punctuation, spaces and symbols)."""
    if not ch.isalpha():
        return None
    if "\u3040" <= ch <= "\u309f":
        return "Hiragana"
    if "\u30a0" <= ch <= "\u30ff" or "\uff66" <= ch <= "\uff9f":
        return "Katakana"
    name = unicodedata.name(ch, "")
    for prefix, script in _PREFIXES:
        if name.startswith(prefix):
            return script
    return "Other"


def script_counts(text: str, limit: int = 2000) -> dict[str, int]:
    """Letters per script in (the first ``limit`` characters of) ``text``."""
    counts: dict[str, int] = {}
    for ch in text[:limit]:
        script = script_of(ch)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    return counts


def script_mismatch(text: str, language: str) -> dict | None:
    """If most letters of ``text`` are in a script ``language`` cannot read: what the text is and a suggestion.

    Returns ``{"script", "language", "suggested", "message"}`` or None when the language can read it.
    """
    from . import LANGUAGES

    lang = LANGUAGES.get(language)
    counts = script_counts(text)
    total = sum(counts.values())
    if lang is None or not total:
        return None
    reads = set(lang.scripts)
    unreadable = {s: n for s, n in counts.items() if s not in reads}
    if sum(unreadable.values()) * 2 <= total:
        return None
    script = max(unreadable, key=unreadable.get)
    suggested = "ja" if script == "Han" and ("Hiragana" in counts or "Katakana" in counts) else SUGGEST.get(script)
    if suggested:
        message = (f"This text looks {LANGUAGES[suggested].name}, but the voice reads {lang.name}: choose a "
                   f"{LANGUAGES[suggested].name} voice, or set the language to {suggested}.")
    else:
        message = f"This text is mostly in {script} script, which Koe cannot read; its words will be skipped."
    return {"script": script, "language": language, "suggested": suggested, "message": message}
