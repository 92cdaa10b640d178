"""Custom voice recipes: preset voices with weights (and a style offset), as a few KB of shareable JSON.

No registry ships zero-shot cloning weights for Kokoro, so a custom voice is a *recipe*
that the engine mixes like any blend (``af_heart(0.6)+bf_emma(0.4)``), plus where it came
from (the reference speaker's embedding, the similarity reached, the source). Recipes are
untrusted input (imports, files): :meth:`Recipe.from_dict` validates everything.

Version 2 (:data:`RECIPE_VERSION`) adds ``style``: a style offset added to every row of the
mix (the search of :mod:`koe.style_search` moves voices out of the presets' hull with it),
written and read by :func:`koe.style_space.style_to_dict` / ``style_from_dict``; and
``embeddings``: the reference speaker's embeddings by the other encoders the search scores
with (``{"ge2e": [...]}``), so a voice can be refined later without its recording. A recipe
without an offset is still written as version 1, which every Koe reads.
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
from .style_space import StyleVoice, style_from_dict, style_to_dict
from .voices import VoiceBank, VoiceInfo

RECIPE_FORMAT = "koe-voice"
RECIPE_VERSION = 2
MAX_EMBEDDINGS = 4             # extra encoders' reference embeddings a recipe may carry
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
    offset: tuple[float, ...] = ()
    coefficients: tuple[float, ...] = ()
    basis: str = ""
    embeddings: Mapping[str, tuple[float, ...]] = field(default_factory=dict, compare=False)

    @property
    def voice(self) -> StyleVoice:
        """The voice itself: the preset mix plus the style offset (if any)."""
        return StyleVoice(self.components, self.offset, self.coefficients, self.basis)

    @property
    def version(self) -> int:
        """1 for a plain mix (readable by every Koe), :data:`RECIPE_VERSION` with an offset or embeddings."""
        return RECIPE_VERSION if self.voice.has_offset or self.embeddings else 1

    def with_voice(self, voice: StyleVoice) -> "Recipe":
        """This recipe with another voice (mix and offset), e.g. a refined one."""
        return replace(self, components=tidy_components(voice.components), offset=tuple(voice.offset),
                       coefficients=tuple(voice.coefficients), basis=voice.basis)

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
        voice = style_to_dict(self.voice)
        data = {
            "format": RECIPE_FORMAT, "version": voice["version"], "id": self.id, "name": self.name,
            "components": voice["components"],
            "language": self.language, "gender": self.gender, "score": self.score,
            "embedding": [round(x, 5) for x in self.embedding], "created": self.created,
            "source": self.source, "seconds": round(self.seconds, 2),
        }
        if "style" in voice:
            data["style"] = voice["style"]
        data["version"] = self.version
        if self.embeddings:
            data["embeddings"] = {name: [round(x, 4) for x in vector] for name, vector in self.embeddings.items()}
        return data

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
        embedding = _embedding(data.get("embedding") or [], "embedding")
        version = data.get("version", 1)
        voice = style_from_dict({"version": version, "components": [{"voice": v, "weight": w} for v, w in pairs],
                                 **({"style": data["style"]} if data.get("style") is not None else {})})
        extra = data.get("embeddings") or {}
        if not isinstance(extra, Mapping) or len(extra) > MAX_EMBEDDINGS or not all(
                isinstance(k, str) and k.isidentifier() and len(k) <= 16 for k in extra):
            raise InvalidRecipeError(f"A recipe's embeddings must map up to {MAX_EMBEDDINGS} encoder names to vectors.")
        embeddings = {name: _embedding(vector, f"{name} embedding", required=True) for name, vector in extra.items()}
        score = data.get("score")
        name = clean_name(data.get("name") or data.get("id") or "voice")
        voice_id = data.get("id") or slugify(name)
        return cls(
            id=check_id(voice_id, presets or ()), name=name, components=tidy_components(pairs),
            offset=voice.offset, coefficients=voice.coefficients, basis=voice.basis, embeddings=embeddings,
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


def _embedding(value: Any, what: str, required: bool = False) -> tuple[float, ...]:
    if not isinstance(value, list) or len(value) not in ((EMBEDDING_DIM,) if required else (0, EMBEDDING_DIM)) \
            or not all(_finite_number(x) for x in value):
        raise InvalidRecipeError(f"A recipe's {what} must be {EMBEDDING_DIM} numbers.")
    return tuple(float(x) for x in value)


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
    bank.add_custom(recipe.voice_info(language_name), recipe.components, recipe.offset)
