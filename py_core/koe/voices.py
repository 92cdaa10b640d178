"""Preset voices, blends and style vectors.

A Kokoro voice pack is float32 [510, 1, 256]: one 256-dim style vector per
utterance length. Row ``n`` is used for an utterance of ``n`` phoneme tokens.
Any weighted mix of packs is itself a valid voice, which is how blends such as
``af_heart(2)+bf_emma(1)`` (weights normalized) and custom voices work. A custom voice
may also carry a style offset (256 values added to every row, see :mod:`koe.style_space`):
a blend that uses it carries the offset in proportion to the custom voice's weight.
"""

from __future__ import annotations

import difflib
import re
import sys
from array import array
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Mapping, Sequence

from .errors import InvalidVoiceSpecError, UnknownVoiceError

STYLE_DIM = 256
PACK_ROWS = 510
_COMPONENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\(\s*([0-9]*\.?[0-9]+)\s*\))?\s*$")


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    language: str
    gender: str
    language_name: str = ""
    custom: bool = False
    extra: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "language": self.language, "language_name": self.language_name,
                "gender": self.gender, "custom": self.custom}


@dataclass(frozen=True)
class Blend:
    """A resolved voice: preset ids with weights that sum to 1, plus the style offset of the
    custom voices it uses (empty for presets and plain mixes)."""

    components: tuple[tuple[str, float], ...]
    language: str
    spec: str
    offset: tuple[float, ...] = ()

    @property
    def is_single(self) -> bool:
        return len(self.components) == 1 and not self.offset


def parse_blend(spec: str) -> list[tuple[str, float]]:
    """``"af_heart(2)+bf_emma(1)"`` -> ``[("af_heart", 2.0), ("bf_emma", 1.0)]`` (weights not yet normalized)."""
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidVoiceSpecError("Voice is empty.")
    parts = []
    for raw in spec.split("+"):
        match = _COMPONENT.match(raw)
        if not match:
            raise InvalidVoiceSpecError(f"Invalid voice blend {spec!r}: write it like af_heart(2)+bf_emma(1).")
        weight = float(match.group(2)) if match.group(2) is not None else 1.0
        if not weight > 0 or weight == float("inf"):
            raise InvalidVoiceSpecError(f"Voice weights must be positive numbers in {spec!r}.")
        parts.append((match.group(1), weight))
    return parts


def pack_from_bytes(data: bytes) -> array:
    pack = array("f")
    pack.frombytes(data)
    if sys.byteorder == "big":
        pack.byteswap()
    if len(pack) != PACK_ROWS * STYLE_DIM:
        raise ValueError(f"a voice pack holds {PACK_ROWS * STYLE_DIM} floats, got {len(pack)}")
    return pack


class VoiceBank:
    """The preset index plus any custom voices; loads packs on first use."""

    def __init__(self, index: Mapping, read: Callable[[str], Awaitable[bytes]]) -> None:
        self._read = read
        self.default = index.get("default", "af_heart")
        self.presets: dict[str, VoiceInfo] = {}
        self._files: dict[str, str] = {}
        for v in index["voices"]:
            self.presets[v["id"]] = VoiceInfo(v["id"], v.get("name", v["id"]), v.get("language", "unknown"),
                                              v.get("gender", "unknown"), v.get("language_name", ""), extra=v)
            self._files[v["id"]] = v["file"]
        self.custom: dict[str, tuple[VoiceInfo, tuple[tuple[str, float], ...]]] = {}
        self.offsets: dict[str, tuple[float, ...]] = {}   # custom voices that have a style offset
        self._packs: dict[str, array] = {}

    # --- catalogue -------------------------------------------------------------------------

    def list(self) -> list[VoiceInfo]:
        return list(self.presets.values()) + [info for info, _ in self.custom.values()]

    def add_custom(self, info: VoiceInfo, components: Sequence[tuple[str, float]],
                   offset: Sequence[float] = ()) -> None:
        """Register a custom voice (a recipe of presets, plus an optional style offset of
        :data:`STYLE_DIM` values added to every row) under ``info.id``."""
        if info.id in self.presets:
            raise InvalidVoiceSpecError(f"{info.id!r} is a preset voice name.")
        for voice_id, _ in components:
            if voice_id not in self.presets:
                raise UnknownVoiceError(voice_id, self.suggest(voice_id))
        offset = tuple(float(x) for x in offset)
        if offset and len(offset) != STYLE_DIM:
            raise InvalidVoiceSpecError(f"A style offset has {STYLE_DIM} values, got {len(offset)}.")
        self.custom[info.id] = (info, tuple((v, float(w)) for v, w in components))
        if any(offset):
            self.offsets[info.id] = offset
        else:
            self.offsets.pop(info.id, None)

    def remove_custom(self, voice_id: str) -> None:
        self.custom.pop(voice_id, None)
        self.offsets.pop(voice_id, None)

    def suggest(self, voice_id: str) -> list[str]:
        names = list(self.presets) + list(self.custom)
        return difflib.get_close_matches(voice_id, names, n=3, cutoff=0.5)

    # --- resolution --------------------------------------------------------------------------

    def resolve(self, spec: str | None) -> Blend:
        """A preset id, a custom voice id or a blend -> normalized :class:`Blend`."""
        spec = spec if spec is not None else self.default
        weighted: dict[str, float] = {}
        parts = parse_blend(spec)
        for voice_id, weight in parts:
            if voice_id in self.presets:
                weighted[voice_id] = weighted.get(voice_id, 0.0) + weight
            elif voice_id in self.custom:
                for part, part_weight in self.custom[voice_id][1]:
                    weighted[part] = weighted.get(part, 0.0) + weight * part_weight
            else:
                raise UnknownVoiceError(voice_id, self.suggest(voice_id))
        largest = max(weighted.values())  # scale first: 1e300 + 1e300 must not overflow to inf
        total = sum(w / largest for w in weighted.values())
        components = tuple((v, w / largest / total) for v, w in weighted.items())
        lead = max(components, key=lambda c: c[1])[0]
        return Blend(components, self.presets[lead].language, spec, self._offset(parts))

    def _offset(self, parts: Sequence[tuple[str, float]]) -> tuple[float, ...]:
        """The style offset of a blend: each custom voice's offset times its share of the blend."""
        if not any(voice_id in self.offsets for voice_id, _ in parts):
            return ()
        largest = max(w for _, w in parts)
        total = sum(w / largest for _, w in parts)
        offset = [0.0] * STYLE_DIM
        for voice_id, weight in parts:
            share = weight / largest / total
            for i, value in enumerate(self.offsets.get(voice_id, ())):
                offset[i] += share * value
        return tuple(offset)

    async def pack(self, voice_id: str) -> array:
        pack = self._packs.get(voice_id)
        if pack is None:
            pack = self._packs[voice_id] = pack_from_bytes(await self._read(f"embeddings/{self._files[voice_id]}"))
        return pack

    async def style(self, blend: Blend, n_tokens: int) -> array:
        """The 256-dim style vector for an utterance of ``n_tokens`` phonemes."""
        row = max(0, min(n_tokens, PACK_ROWS - 1)) * STYLE_DIM
        if blend.is_single:
            pack = await self.pack(blend.components[0][0])
            return pack[row:row + STYLE_DIM]
        mixed = [0.0] * STYLE_DIM
        for voice_id, weight in blend.components:
            pack = await self.pack(voice_id)
            for i, value in enumerate(pack[row:row + STYLE_DIM]):
                mixed[i] += weight * value
        for i, value in enumerate(blend.offset):
            mixed[i] += value
        return array("f", mixed)
