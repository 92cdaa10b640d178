"""Phoneme symbols -> Kokoro token ids."""

from __future__ import annotations

import json

#: Kokoro's context is 512 ids including a pad (id 0) at each end.
MAX_PHONEMES = 510
PAD_ID = 0


class Vocab:
    def __init__(self, mapping: dict[str, int]) -> None:
        self.mapping = mapping

    @classmethod
    def from_json(cls, data: bytes | str) -> "Vocab":
        return cls(json.loads(data))

    def encode(self, phonemes: str) -> list[int]:
        """Token ids for a phoneme string; symbols the model lacks are skipped."""
        ids = self.mapping
        return [ids[ch] for ch in phonemes if ch in ids]

    def count(self, phonemes: str) -> int:
        ids = self.mapping
        return sum(1 for ch in phonemes if ch in ids)
