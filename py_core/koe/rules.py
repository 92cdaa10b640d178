"""One place for the limits and naming rules that every interface shares.

The CLI, the server and the browser page all enforce these; the build exports them into
``koe-manifest.json`` (``rules``) so the page's JavaScript reads them instead of
restating them.
"""

from __future__ import annotations

import math
import re
import unicodedata

from .errors import InvalidRecipeError, InvalidSpeedError, VoiceExistsError

MIN_SPEED, MAX_SPEED = 0.25, 4.0
#: OpenAI's input limit: the HTTP API refuses longer text. The CLI and the page read any length
#: (they stream it chunk by chunk to a file or a player the user controls).
MAX_INPUT_CHARS = 4096
MAX_NAME_CHARS = 64
#: A custom voice id: a safe file name (lowercase letters, digits, ``_``, ``-``).
VOICE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
#: Slugs made from names are shorter than ids, so ``_2``-style suffixes still fit.
MAX_SLUG_CHARS = 48
DEFAULT_VOICE_PREFIX = "added_speaker_"
#: A reference recording's file size limit: a 60 s reference is under 12 MB even as 48 kHz stereo float WAV.
MAX_REFERENCE_BYTES = 50 * 1024 * 1024
_VOICE_ID = re.compile(VOICE_ID_PATTERN)


def check_speed(speed: object) -> float:
    """``speed`` as a float within [MIN_SPEED, MAX_SPEED]; raises InvalidSpeedError otherwise."""
    try:
        value = float(speed)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InvalidSpeedError(f"Speed must be a number between {MIN_SPEED} and {MAX_SPEED}.") from None
    if not math.isfinite(value) or not MIN_SPEED <= value <= MAX_SPEED:
        raise InvalidSpeedError(f"Speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed!r}.")
    return value


def slugify(name: str) -> str:
    """A display name -> a voice id: lowercase ASCII letters, digits and ``_`` (``""`` if none)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:MAX_SLUG_CHARS].rstrip("_")


def clean_name(name: object) -> str:
    """A display name without control characters or runs of spaces, at most MAX_NAME_CHARS characters."""
    if not isinstance(name, str):
        raise InvalidRecipeError("A voice name must be text.", param="name")
    text = "".join(" " if ch.isspace() else ch for ch in unicodedata.normalize("NFC", name)
                   if ch.isspace() or unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())[:MAX_NAME_CHARS].strip()
    if not text:
        raise InvalidRecipeError("A voice name cannot be empty.", param="name")
    return text


def check_id(voice_id: object, presets=()) -> str:
    """``voice_id`` if it is a safe file name and not a preset's id; raises otherwise."""
    if not isinstance(voice_id, str) or not _VOICE_ID.match(voice_id):
        raise InvalidRecipeError(f"Invalid voice id {voice_id!r}: use 1 to 64 lowercase letters, digits, _ or -.",
                                 param="name")
    if voice_id in presets:
        raise VoiceExistsError(f"{voice_id!r} is a preset voice; choose another name.")
    return voice_id


def new_voice_id(name: str | None, taken, presets=()) -> tuple[str, str]:
    """The ``(id, display name)`` a new custom voice gets: the name's slug (``_custom`` if it is a
    preset's id, ``_2``, ``_3``... if taken), or the next free ``added_speaker_N`` without a usable name."""
    taken = set(taken) | set(presets)
    if name is not None:
        name = clean_name(name)
        base = slugify(name)
        if base:
            if base in presets:
                base = f"{base}_custom"
            voice_id, n = base, 2
            while voice_id in taken:
                voice_id, n = f"{base}_{n}", n + 1
            return voice_id, name
    numbers = [int(v[len(DEFAULT_VOICE_PREFIX):]) for v in taken
               if v.startswith(DEFAULT_VOICE_PREFIX) and v[len(DEFAULT_VOICE_PREFIX):].isdigit()]
    voice_id = f"{DEFAULT_VOICE_PREFIX}{max(numbers, default=0) + 1}"
    return voice_id, name or voice_id


def exported() -> dict:
    """The rules as the build writes them into ``koe-manifest.json`` for the page."""
    return {"min_speed": MIN_SPEED, "max_speed": MAX_SPEED, "max_input_chars": MAX_INPUT_CHARS,
            "max_name_chars": MAX_NAME_CHARS, "voice_id_pattern": VOICE_ID_PATTERN,
            "max_slug_chars": MAX_SLUG_CHARS, "default_voice_prefix": DEFAULT_VOICE_PREFIX,
            "max_reference_bytes": MAX_REFERENCE_BYTES}
