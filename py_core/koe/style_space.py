"""Custom voices beyond the presets: a preset mix plus an offset in the style space.

A Kokoro voice pack is [510, 256] (a style row per utterance length; the first 128 values
of a row condition the decoder - timbre - and the last 128 the prosody predictor). A mix
of presets can only land inside their hull, and the speakers people bring are outside it.
A :class:`StyleVoice` is therefore a preset mix **plus one 256-value offset added to every
row** (rows of one voice differ ten times less than voices do, so a shared offset moves the
whole voice). The offset is built from a small basis (:class:`StyleBasis`, the principal
components of the presets' voice means, decoder and prosody halves apart, made by
``tools/build_style_basis.py`` into ``embeddings/style_basis.json``) and kept inside a
plausible region: coefficients are in standard deviations of the presets, and a voice's
coordinates (mix plus offset) stay within the ball that holds every preset
(:meth:`StyleBasis.contain`).

Recipes: version 1 is a mix (``components``); version 2 adds ``style``: the offset itself
(256 numbers: the pack is rebuilt from it alone, so a recipe outlives a rebuilt basis), the
basis coefficients it came from and the basis fingerprint (so a search can continue from
it). :func:`style_to_dict` / :func:`style_from_dict` read and write those fields; a v1
recipe is a :class:`StyleVoice` with no offset and gives exactly the old blend.
"""

from __future__ import annotations

import hashlib
import json
import math
from array import array
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .errors import AssetError, InvalidRecipeError
from .voices import PACK_ROWS, STYLE_DIM

BASIS_PATH = "embeddings/style_basis.json"
BASIS_FORMAT = "koe-style-basis"
STYLE_VERSION = 2
#: The largest magnitude an offset value may have in a recipe (preset style values stay
#: under 0.8 in 99.9% of cases; an offset inside the region stays far under this).
MAX_OFFSET_VALUE = 2.0
OFFSET_DECIMALS = 4        # 1e-4 is far below what a style value can be heard at


# --- the basis --------------------------------------------------------------------------------

@dataclass(frozen=True)
class BasisHalf:
    """Principal directions of one half of a style row: unit ``vectors`` starting at ``offset``
    and the presets' standard deviation along each (``scales``)."""

    name: str
    offset: int
    vectors: tuple[tuple[float, ...], ...]
    scales: tuple[float, ...]


class StyleBasis:
    """The low-dimensional space custom voices move in (``embeddings/style_basis.json``).

    A coefficient vector holds the decoder coefficients, then the prosody ones, each in
    standard deviations of the presets; its norm is a Mahalanobis distance.
    """

    def __init__(self, center: Sequence[float], halves: Sequence[BasisHalf], radius: float,
                 preset_coords: Mapping[str, Sequence[float]], fingerprint: str) -> None:
        self.center = tuple(center)
        self.halves = tuple(halves)
        self.radius = float(radius)
        self.preset_coords = {vid: tuple(c) for vid, c in preset_coords.items()}
        self.fingerprint = fingerprint
        self.dimension = sum(len(h.scales) for h in self.halves)

    @classmethod
    def from_json(cls, data: bytes | str) -> "StyleBasis":
        raw = data.encode() if isinstance(data, str) else bytes(data)
        try:
            doc = json.loads(raw)
            if doc.get("format") != BASIS_FORMAT:
                raise ValueError("not a style basis")
            halves = [BasisHalf(name, int(h["offset"]), tuple(tuple(float(x) for x in v) for v in h["vectors"]),
                                tuple(float(s) for s in h["scales"])) for name, h in doc["halves"].items()]
            center = [float(x) for x in doc["center"]]
            if len(center) != STYLE_DIM or any(len(v) + h.offset > STYLE_DIM or len(h.vectors) != len(h.scales)
                                               for h in halves for v in h.vectors):
                raise ValueError("inconsistent shapes")
            basis = cls(center, halves, float(doc["radius"]), doc["preset_coords"],
                        hashlib.sha256(raw).hexdigest()[:16])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise AssetError(f"{BASIS_PATH} is unreadable ({error}); run tools/build_style_basis.py") from None
        return basis

    @classmethod
    async def aload(cls, assets) -> "StyleBasis":
        """The basis from an :class:`~koe.assets.AssetSource` (``engine.assets``)."""
        if not assets.exists(BASIS_PATH):
            raise AssetError(f"missing {BASIS_PATH}; run tools/build_style_basis.py (./build.sh does)")
        return cls.from_json(await assets.read(BASIS_PATH))

    # --- coordinates -------------------------------------------------------------------------

    def offset(self, coefficients: Sequence[float]) -> list[float]:
        """The 256-value style offset of ``coefficients`` (sum of coefficient x scale x direction)."""
        if len(coefficients) != self.dimension:
            raise ValueError(f"expected {self.dimension} coefficients, got {len(coefficients)}")
        out = [0.0] * STYLE_DIM
        k = 0
        for half in self.halves:
            for vector, scale in zip(half.vectors, half.scales):
                amount = coefficients[k] * scale
                k += 1
                if amount:
                    for i, value in enumerate(vector, half.offset):
                        out[i] += amount * value
        return out

    def coordinates(self, vector: Sequence[float]) -> list[float]:
        """A voice mean (256 values) -> its coordinates in the basis (projection, in deviations)."""
        coords = []
        for half in self.halves:
            for direction, scale in zip(half.vectors, half.scales):
                dot = math.fsum((vector[i] - self.center[i]) * d for i, d in enumerate(direction, half.offset))
                coords.append(dot / scale)
        return coords

    def mix_coordinates(self, components: Iterable[tuple[str, float]]) -> list[float]:
        """Coordinates of a preset mix (a mix's voice mean is the weighted mean of its voices')."""
        pairs = normalized(components)
        missing = [v for v, _ in pairs if v not in self.preset_coords]
        if missing:
            raise AssetError(f"the style basis does not know {missing[0]!r}; run tools/build_style_basis.py")
        return [math.fsum(w * self.preset_coords[v][k] for v, w in pairs) for k in range(self.dimension)]

    def contain(self, coefficients: Sequence[float], base: Sequence[float]) -> list[float]:
        """``coefficients`` moved back so that the voice ``base + coefficients`` lies inside the
        ball of radius :attr:`radius` around the presets' center (unchanged when it already does)."""
        total = [b + c for b, c in zip(base, coefficients)]
        norm = math.sqrt(math.fsum(t * t for t in total))
        if norm <= self.radius:
            return list(coefficients)
        shrink = self.radius / norm
        return [t * shrink - b for t, b in zip(total, base)]

    def distance(self, coefficients: Sequence[float], base: Sequence[float]) -> float:
        """Mahalanobis distance (within the basis) of the voice ``base + coefficients`` from the center."""
        return math.sqrt(math.fsum((b + c) ** 2 for b, c in zip(base, coefficients)))


# --- voices -------------------------------------------------------------------------------------

def normalized(components: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Merge repeated voices and make the weights sum to 1, as :meth:`VoiceBank.resolve` does."""
    merged: dict[str, float] = {}
    for voice, weight in components:
        merged[voice] = merged.get(voice, 0.0) + float(weight)
    total = sum(merged.values())
    if not merged or not total > 0 or not math.isfinite(total):
        raise InvalidRecipeError("A voice needs at least one preset with a positive weight.")
    return [(v, w / total) for v, w in merged.items()]


@dataclass(frozen=True)
class StyleVoice:
    """A preset mix plus an optional style offset (256 values added to every row of the pack).

    ``coefficients`` and ``basis`` (a :class:`StyleBasis` fingerprint) record where the
    offset came from, so a search can continue from it; the pack uses ``offset`` alone.
    """

    components: tuple[tuple[str, float], ...]
    offset: tuple[float, ...] = ()
    coefficients: tuple[float, ...] = ()
    basis: str = ""

    @property
    def has_offset(self) -> bool:
        return any(self.offset)

    @classmethod
    def from_coefficients(cls, basis: StyleBasis, components: Iterable[tuple[str, float]],
                          coefficients: Sequence[float]) -> "StyleVoice":
        """The mix plus the offset of ``coefficients``, contained in the basis's region."""
        components = tuple(components)
        kept = basis.contain(coefficients, basis.mix_coordinates(components))
        offset = basis.offset(kept)
        return cls(components, tuple(round(x, OFFSET_DECIMALS) for x in offset), tuple(round(c, 4) for c in kept),
                   basis.fingerprint)


async def style_row(bank, voice: StyleVoice, n_tokens: int) -> array:
    """The style vector of ``voice`` for an utterance of ``n_tokens`` phonemes.

    Without an offset it is exactly what :meth:`VoiceBank.style` gives for the same mix.
    """
    row = max(0, min(n_tokens, PACK_ROWS - 1)) * STYLE_DIM
    pairs = normalized(voice.components)
    if len(pairs) == 1 and not voice.has_offset:
        pack = await bank.pack(pairs[0][0])
        return pack[row:row + STYLE_DIM]
    mixed = [0.0] * STYLE_DIM
    for voice_id, weight in pairs:
        pack = await bank.pack(voice_id)
        for i, value in enumerate(pack[row:row + STYLE_DIM]):
            mixed[i] += weight * value
    if voice.has_offset:
        for i, value in enumerate(voice.offset):
            mixed[i] += value
    return array("f", mixed)


async def build_pack(bank, voice: StyleVoice) -> array:
    """The whole [510, 256] pack of ``voice`` (float32, row-major), e.g. to export it.

    Pure Python: about 130k values per component; synthesis needs only :func:`style_row`.
    """
    pack = array("f")
    for n in range(PACK_ROWS):
        pack.extend(await style_row(bank, voice, n))
    return pack


# --- recipes ------------------------------------------------------------------------------------

def style_to_dict(voice: StyleVoice) -> dict:
    """The recipe fields of ``voice``: ``version`` 1 and ``components`` for a plain mix, version 2
    with ``style`` (offset, coefficients, basis) when it has an offset."""
    data: dict[str, Any] = {"version": 1, "components": [{"voice": v, "weight": w} for v, w in voice.components]}
    if voice.has_offset:
        data["version"] = STYLE_VERSION
        data["style"] = {"offset": [round(x, OFFSET_DECIMALS) for x in voice.offset],
                         "coefficients": [round(c, 4) for c in voice.coefficients], "basis": voice.basis}
    return data


def _numbers(value: Any, what: str, length: int | None = None, limit: float | None = None) -> tuple[float, ...]:
    if not isinstance(value, list) or (length is not None and len(value) != length) or len(value) > 4 * STYLE_DIM \
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in value):
        size = f"{length} " if length is not None else ""
        raise InvalidRecipeError(f"A recipe's {what} must be a list of {size}finite numbers.")
    if limit is not None and any(abs(x) > limit for x in value):
        raise InvalidRecipeError(f"A recipe's {what} is out of range (values beyond +/-{limit:g}).")
    return tuple(float(x) for x in value)


def style_from_dict(data: Any) -> StyleVoice:
    """The voice of a version-1 or version-2 recipe dict (untrusted: everything is checked).

    Only the voice fields are read (``version``, ``components``, ``style``); the rest of a
    recipe is :class:`~koe.recipe.Recipe`'s business.
    """
    if not isinstance(data, Mapping):
        raise InvalidRecipeError("Not a Koe voice recipe.")
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidRecipeError("A recipe's version must be a whole number.")
    if version > STYLE_VERSION:
        raise InvalidRecipeError("This voice recipe needs a newer Koe.")
    raw = data.get("components")
    if not isinstance(raw, list) or not raw or len(raw) > 32:
        raise InvalidRecipeError("A voice recipe needs a list of components.")
    pairs = []
    for item in raw:
        voice = item.get("voice") if isinstance(item, Mapping) else None
        weight = item.get("weight") if isinstance(item, Mapping) else None
        if not isinstance(voice, str) or isinstance(weight, bool) or not isinstance(weight, (int, float)) \
                or not math.isfinite(weight) or weight <= 0:
            raise InvalidRecipeError("Each component needs a voice id and a positive weight.")
        pairs.append((voice, float(weight)))
    style = data.get("style")
    if version == 1 or style is None:
        if style is not None:
            raise InvalidRecipeError("A version-1 recipe has no style offset.")
        return StyleVoice(tuple(pairs))
    if not isinstance(style, Mapping):
        raise InvalidRecipeError("A recipe's style must be an object with an offset.")
    offset = _numbers(style.get("offset"), "style offset", STYLE_DIM, MAX_OFFSET_VALUE)
    coefficients = _numbers(style.get("coefficients", []), "style coefficients", None, 100.0)
    basis = style.get("basis", "")
    if not isinstance(basis, str) or len(basis) > 64:
        raise InvalidRecipeError("A recipe's style basis must be a short text.")
    return StyleVoice(tuple(pairs), offset, coefficients, basis)
