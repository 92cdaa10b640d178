"""Split phonemized text into chunks the model can take (at most 510 phonemes).

Chunks break at sentence ends first, then at clause punctuation, then between
words; a single absurdly long word is split inside its phonemes. Nothing is
dropped or reordered. Sentences are packed together up to a target size; the
first chunk is kept short so the first audio comes sooner (splitting costs no
total time with Kokoro). Each chunk records the pause to insert after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from .lang.base import PhonemeToken, join_phonemes, join_tokens
from .vocab import MAX_PHONEMES

#: Seconds of silence after a chunk, by what ended it.
PAUSES = {"paragraph": 0.6, "sentence": 0.2, "clause": 0.08, "word": 0.0, "end": 0.0}
CLOSERS = frozenset('"”)')


@dataclass
class Chunk:
    tokens: list[PhonemeToken]
    boundary: str  # what ends it: paragraph | sentence | clause | word | end

    @property
    def phonemes(self) -> str:
        return join_phonemes(self.tokens)

    @property
    def text(self) -> str:
        return join_text(self.tokens)

    @property
    def pause(self) -> float:
        return PAUSES[self.boundary]


def join_text(tokens: Sequence[PhonemeToken]) -> str:
    return join_tokens(tokens, "text")


def _split_after(tokens: list[PhonemeToken], is_boundary: Callable[[PhonemeToken], bool]) -> list[list[PhonemeToken]]:
    """Split a token list after each boundary token; runs like `?!"` stay together with their sentence."""
    pieces, current, pending = [], [], False
    for i, token in enumerate(tokens):
        current.append(token)
        pending = pending and token.text in CLOSERS or is_boundary(token)
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if pending and not (nxt is not None and nxt.kind == "punct" and (nxt.text in CLOSERS or is_boundary(nxt))):
            pieces.append(current)
            current, pending = [], False
    if current:
        pieces.append(current)
    return pieces


class Chunker:
    """Plans chunks for one paragraph at a time. ``count`` gives a phoneme string's token count."""

    def __init__(self, count: Callable[[str], int], limit: int = MAX_PHONEMES, first_target: int = 120,
                 target: int = 300) -> None:
        if limit < 2:
            raise ValueError("limit must be at least 2")
        self.count = count
        self.limit = limit
        self.first_target = min(first_target, limit)
        self.target = min(target, limit)

    def size(self, tokens: Sequence[PhonemeToken]) -> int:
        return self.count(join_phonemes(tokens))

    def plan(self, paragraphs: Sequence[Sequence[PhonemeToken]]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for tokens in paragraphs:
            if not tokens:
                continue
            pieces = self._pieces(list(tokens))
            chunks.extend(self._pack(pieces, first=not chunks))
            chunks[-1].boundary = "paragraph"
        if chunks:
            chunks[-1].boundary = "end"
        return chunks

    def _pieces(self, tokens: list[PhonemeToken]) -> list[Chunk]:
        """Sentences, each cut further (clauses, words) until it fits the limit."""
        pieces = []
        for sentence in _split_after(tokens, lambda t: t.ends_sentence):
            pieces.extend(self._fit(sentence, "sentence"))
        return pieces

    def _fit(self, tokens: list[PhonemeToken], boundary: str) -> list[Chunk]:
        if self.size(tokens) <= self.limit:
            return [Chunk(tokens, boundary)]
        if boundary == "sentence":
            clauses = _split_after(tokens, lambda t: t.ends_clause)
            if len(clauses) > 1:
                out = [c for clause in clauses for c in self._fit(clause, "clause")]
                out[-1].boundary = boundary
                return out
        # Too long even as a clause: greedy word groups, then split single huge words.
        out, current = [], []
        for token in tokens:
            if self.size([token]) > self.limit:
                if current:
                    out.append(Chunk(current, "word"))
                    current = []
                out.extend(Chunk([t], "word") for t in self._split_token(token))
                continue
            if current and self.size(current + [token]) > self.limit:
                out.append(Chunk(current, "word"))
                current = []
            current.append(token)
        if current:
            out.append(Chunk(current, "word"))
        out[-1].boundary = boundary
        return out

    def _split_token(self, token: PhonemeToken) -> list[PhonemeToken]:
        pieces, start, phonemes = [], 0, token.phonemes
        while start < len(phonemes):
            end = start + 1
            while end < len(phonemes) and self.count(phonemes[start:end + 1]) <= self.limit:
                end += 1
            last = end >= len(phonemes)
            pieces.append(PhonemeToken(token.text if start == 0 else "", phonemes[start:end],
                                       token.space_after if last else False, token.kind))
            start = end
        return pieces

    def _pack(self, pieces: list[Chunk], first: bool) -> list[Chunk]:
        packed: list[Chunk] = []
        for piece in pieces:
            if packed:
                last = packed[-1]
                target = self.first_target if first and len(packed) == 1 else self.target
                merged = last.tokens + piece.tokens
                if last.boundary in ("sentence", "clause") and self.size(merged) <= target:
                    packed[-1] = Chunk(merged, piece.boundary)
                    continue
            packed.append(piece)
        return packed
