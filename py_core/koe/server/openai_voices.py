"""OpenAI's voice names, mapped to the Kokoro presets that fit them best.

Clients written for OpenAI hard-code these names; each maps to a preset of
similar gender and character (a namesake where Kokoro has one). Kokoro ids,
blends and custom voices pass through unchanged.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"^(\s*)([A-Za-z0-9_.\-]+)(.*)$", re.S)

OPENAI_VOICES: dict[str, str] = {
    "alloy": "af_alloy",     # namesake; neutral, even
    "ash": "am_michael",     # warm, clear male
    "ballad": "bm_lewis",    # expressive, soft-spoken male
    "coral": "af_heart",     # warm, friendly female (Kokoro's best-rated voice)
    "echo": "am_echo",       # namesake
    "fable": "bm_fable",     # namesake; British storyteller
    "onyx": "am_onyx",       # namesake; deep male
    "nova": "af_nova",       # namesake; bright female
    "sage": "af_sarah",      # calm, measured female
    "shimmer": "af_bella",   # soft, bright female
    "verse": "am_puck",      # lively, versatile male
    "marin": "af_kore",      # natural female (gpt-4o-mini-tts)
    "cedar": "am_eric",      # natural male (gpt-4o-mini-tts)
}


def kokoro_voice(spec: str) -> str:
    """The Kokoro voice spec for a requested one: OpenAI names (any case) become presets, in blends too.

    ``"nova"`` -> ``"af_nova"``; ``"alloy(2)+bf_emma"`` -> ``"af_alloy(2)+bf_emma"``. Anything else
    is left for the engine to resolve or reject.
    """
    parts = []
    for part in spec.strip().split("+"):
        match = _NAME.match(part)
        if match and match.group(2).lower() in OPENAI_VOICES:
            part = match.group(1) + OPENAI_VOICES[match.group(2).lower()] + match.group(3)
        parts.append(part)
    return "+".join(parts)
