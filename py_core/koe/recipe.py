"""Custom voice recipes: preset voices with weights, as a few KB of shareable JSON.

No registry ships zero-shot cloning weights for Kokoro, so a custom voice is a *recipe*
that the engine mixes like any blend (``af_heart(0.6)+bf_emma(0.4)``), plus where it came
from (the reference speaker's embedding, the similarity reached, the source). Recipes are
untrusted input (imports, files): :meth:`Recipe.from_dict` validates everything.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Collection, Iterable, Mapping

from . import safe_json
from .errors import InvalidRecipeError
from .safe_json import InvalidJSONError
from .rules import check_id, clean_name, slugify
from .speaker import EMBEDDING_DIM
from .voices import VoiceBank, VoiceInfo

RECIPE_FORMAT = "koe-voice"
RECIPE_VERSION = 1
MAX_RECIPE_BYTES = 64 * 1024
MAX_COMPONENTS = 8
MIN_WEIGHT = 0.02              # lighter components are dropped from a finished recipe


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tidy_components(components: Iterable[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    """Merge duplicates, drop weights under :data:`MIN_WEIGHT`, keep the heaviest 8, normalize, round."""
    merged: dict[str, float] = {}
    for voice, weight in components:
        merged[voice] = merged.get(voice, 0.0) + float(weight)
    ranked = sorted(((v, w) for v, w in merged.items() if w > 0), key=lambda c: -c[1])
    total = sum(w for _, w in ranked)
    if not ranked or not math.isfinite(total):
        raise InvalidRecipeError("A voice recipe needs at least one voice with a positive weight.")
    kept = [(v, w) for v, w in ranked if w / total >= MIN_WEIGHT][:MAX_COMPONENTS] or ranked[:1]
    total = sum(w for _, w in kept)
    return tuple((v, round(w / total, 4)) for v, w in kept)


@dataclass(frozen=True)
class Recipe:
    """A custom voice: preset voices and weights, plus where it came from.

    ``embedding`` is the reference speaker's embedding (so a recipe can be re-matched
    when the presets change); ``score`` the cosine similarity of the recipe's speech to
    it; ``seconds`` the seconds of reference speech used; ``source`` a short free text
    such as ``"file:alice.wav"`` or ``"microphone"``.
    """

    id: str
    name: str
    components: tuple[tuple[str, float], ...]
    language: str = "en-us"
    gender: str = "unknown"
    embedding: tuple[float, ...] = ()
    score: float | None = None
    created: str = field(default_factory=_now)
    source: str = ""
    seconds: float = 0.0

    @property
    def spec(self) -> str:
        """The blend string the engine accepts, e.g. ``af_heart(0.6)+bf_emma(0.4)``."""
        return "+".join(f"{voice}({weight:g})" for voice, weight in self.components)

    def voice_info(self, language_name: str = "") -> VoiceInfo:
        return VoiceInfo(self.id, self.name, self.language, self.gender, language_name, custom=True,
                         extra=self.to_dict())

    def named(self, name: str, voice_id: str | None = None) -> "Recipe":
        """This recipe under a new display name (and the id derived from it unless given)."""
        name = clean_name(name)
        return replace(self, name=name, id=voice_id if voice_id is not None else slugify(name))

    def to_dict(self) -> dict:
        return {
            "format": RECIPE_FORMAT, "version": RECIPE_VERSION, "id": self.id, "name": self.name,
            "components": [{"voice": v, "weight": w} for v, w in self.components],
            "language": self.language, "gender": self.gender, "score": self.score,
            "embedding": [round(x, 5) for x in self.embedding], "created": self.created,
            "source": self.source, "seconds": round(self.seconds, 2),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any, presets: Collection[str] | None = None) -> "Recipe":
        """Validate untrusted recipe JSON (an import, a file); ``presets`` are the known voice ids."""
        if not isinstance(data, Mapping) or data.get("format", RECIPE_FORMAT) != RECIPE_FORMAT:
            raise InvalidRecipeError("Not a Koe voice recipe.")
        if not isinstance(data.get("version", 1), int) or data.get("version", 1) > RECIPE_VERSION:
            raise InvalidRecipeError("This voice recipe needs a newer Koe.")
        raw = data.get("components")
        if not isinstance(raw, list) or not 1 <= len(raw) <= 4 * MAX_COMPONENTS:
            raise InvalidRecipeError("A voice recipe needs a list of components.")
        pairs = []
        for item in raw:
            if isinstance(item, (list, tuple)) and len(item) == 2:  # the compact [voice, weight] form
                voice, weight = item
            else:
                voice = item.get("voice") if isinstance(item, Mapping) else None
                weight = item.get("weight") if isinstance(item, Mapping) else None
            if not isinstance(voice, str) or not _finite_number(weight) or weight <= 0:
                raise InvalidRecipeError("Each component needs a voice id and a positive weight.")
            if presets is not None and voice not in presets:
                raise InvalidRecipeError(f"The recipe uses {voice!r}, which is not a preset voice here.")
            pairs.append((voice, float(weight)))
        embedding = data.get("embedding") or []
        if not isinstance(embedding, list) or len(embedding) not in (0, EMBEDDING_DIM) or not all(
                _finite_number(x) for x in embedding):
            raise InvalidRecipeError(f"A recipe's embedding must be {EMBEDDING_DIM} numbers.")
        score = data.get("score")
        name = clean_name(data.get("name") or data.get("id") or "voice")
        voice_id = data.get("id") or slugify(name)
        return cls(
            id=check_id(voice_id, presets or ()), name=name, components=tidy_components(pairs),
            language=short_text(data.get("language"), "en-us"), gender=short_text(data.get("gender"), "unknown"),
            embedding=tuple(float(x) for x in embedding),
            score=float(score) if _finite_number(score) else None,
            created=short_text(data.get("created"), _now()), source=short_text(data.get("source"), ""),
            seconds=float(data["seconds"]) if _finite_number(data.get("seconds")) else 0.0)

    @classmethod
    def from_json(cls, text: str | bytes, presets: Collection[str] | None = None) -> "Recipe":
        if len(text) > MAX_RECIPE_BYTES:
            raise InvalidRecipeError("A voice recipe is a few KB; this file is too large to be one.")
        try:
            data = safe_json.loads(text, what="This voice recipe", max_bytes=MAX_RECIPE_BYTES, max_depth=8)
        except InvalidJSONError as error:
            raise InvalidRecipeError(f"Not a Koe voice recipe: {error.message}") from None
        return cls.from_dict(data, presets)


def _finite_number(value: Any) -> bool:
    """A JSON number that is a finite float (not a bool, not an integer too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def short_text(value: Any, default: str) -> str:
    """Printable text of at most 200 characters, or ``default``."""
    return "".join(ch for ch in value if ch.isprintable())[:200] if isinstance(value, str) and value else default


def register(bank: VoiceBank, recipe: Recipe) -> None:
    """Make ``recipe`` usable by id in ``bank`` (``engine.voice_bank``)."""
    language_name = next((p.language_name for p in bank.presets.values() if p.language == recipe.language), "")
    bank.add_custom(recipe.voice_info(language_name), recipe.components)
