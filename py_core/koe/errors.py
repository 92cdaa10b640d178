"""Errors a user can cause. Adapters turn them into HTTP 4xx, CLI messages or UI notices."""

from __future__ import annotations


class KoeError(Exception):
    """Base of every error caused by input; ``param`` names the offending field."""

    param: str | None = None
    code: str = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if param is not None:
            self.param = param


class EmptyTextError(KoeError):
    param = "input"
    code = "empty_input"


class InvalidSpeedError(KoeError):
    param = "speed"
    code = "invalid_speed"


class UnknownVoiceError(KoeError):
    param = "voice"
    code = "voice_not_found"

    def __init__(self, voice: str, suggestions: list[str] | None = None) -> None:
        self.voice = voice
        self.suggestions = list(suggestions or [])
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"Unknown voice {voice!r}.{hint}")


class InvalidVoiceSpecError(KoeError):
    """A malformed blend such as ``af_heart(+bf_emma``."""

    param = "voice"
    code = "invalid_voice"


class AssetError(KoeError):
    """A model or data file is missing or corrupt (run ./build.sh)."""

    param = None
    code = "asset_missing"


class ReferenceAudioError(KoeError):
    """Reference audio for a custom voice that cannot be used.

    ``code`` says why: ``not_audio`` (cannot be decoded), ``too_large`` (file over the size
    limit, checked before decoding), ``too_long`` (over the duration limit), ``silent``,
    ``too_short`` (under 3 s of speech) or ``clipped`` (distorted by clipping).
    """

    param = "audio"
    CODES = ("not_audio", "too_large", "too_long", "silent", "too_short", "clipped")

    def __init__(self, code: str, message: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown reference audio error code {code!r}")
        super().__init__(message)
        self.code = code


class InvalidRecipeError(KoeError):
    """A custom voice recipe (imported JSON, a name) that is malformed or unsafe."""

    param = "voice"
    code = "invalid_voice_recipe"


class VoiceExistsError(KoeError):
    """A custom voice id that is already taken (by a preset or another custom voice)."""

    param = "name"
    code = "voice_exists"


class VoiceBusyError(KoeError):
    """A custom voice is being changed by another request (e.g. two refines of one voice)."""

    code = "voice_busy"


class VoiceStoreError(KoeError):
    """The custom voices folder cannot be written (read-only, full, or not a folder): the host's
    problem, not the request's. Raised before a voice search starts, so no work is wasted."""

    param = None
    code = "voice_store_unavailable"


class AudioTooLongError(KoeError):
    """A request whose text would make more audio than the service allows one request to make."""

    param = "input"
    code = "audio_too_long"
