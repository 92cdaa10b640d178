"""Split phonemized text into chunks the model can take (at most 510 phonemes).

Chunks break at sentence ends first, then at clause punctuation, then between
words; a single absurdly long word is split inside its phonemes. Nothing is
dropped or reordered. Each chunk records the pause to insert after it.

Chunk sizes grow: the first chunk of a text is small (its first clause, or its
first few words, within ``first_target`` tokens) so the first audio comes
quickly, and each later chunk may be about twice the previous one, up to
``target``, so that it is synthesized while the one before it plays. Sentences
are packed together up to the current size (a longer sentence stays whole, up to
the model's limit). ``target`` is 150 tokens because the model's cost per token
grows with the chunk's length: on one token stream, 8.9 ms a token in chunks of
60-100 tokens, 10.1 at 200, 11.0 at 300 (2 threads; ``benchmarks/
native_vs_kokoro_onnx.py --chunk-cost``); packing up to 150 instead of 300 made a
560-word text 9% faster with the same sentence-boundary cuts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from .joins import GAPS
from .lang.base import PhonemeToken, join_phonemes, join_tokens
from .vocab import MAX_PHONEMES

CLOSERS = frozenset('"”)')
OPENERS = frozenset('“(')


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
        """Seconds of silence between this chunk's last sound and the next one's (koe.joins)."""
        return GAPS[self.boundary]


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

    def __init__(self, count: Callable[[str], int], limit: int = MAX_PHONEMES, first_target: int = 40,
                 target: int = 150, growth: float = 2.0, min_first_words: int = 3) -> None:
        if limit < 2:
            raise ValueError("limit must be at least 2")
        self.count = count
        self.limit = limit
        self.first_target = min(first_target, limit)
        self.target = min(target, limit)
        self.growth = growth
        self.min_first_words = min_first_words

    def size(self, tokens: Sequence[PhonemeToken]) -> int:
        return self.count(join_phonemes(tokens))

    def plan(self, paragraphs: Sequence[Sequence[PhonemeToken]]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for tokens in paragraphs:
            if not tokens:
                continue
            pieces = self._pieces(list(tokens))
            if not chunks:
                pieces = self._short_start(pieces)
            chunks.extend(self._pack(pieces, chunks))
            chunks[-1].boundary = "paragraph"
        if chunks:
            chunks[-1].boundary = "end"
        return chunks

    def budget(self, index: int) -> int:
        """The size chunk number ``index`` may grow to: first_target, then growing by ``growth`` up to target."""
        return int(min(self.target, max(self.first_target, self.first_target * self.growth ** index)))

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

    def _short_start(self, pieces: list[Chunk]) -> list[Chunk]:
        """Cut the text's first piece down to ``first_target`` tokens: its first clause(s), else its
        first words (at least ``min_first_words``), so the first audio comes quickly."""
        if not pieces or self.size(pieces[0].tokens) <= self.first_target:
            return pieces
        first, rest = pieces[0], pieces[1:]
        clauses = _split_after(first.tokens, lambda t: t.ends_clause)
        head: list[PhonemeToken] = []
        for clause in clauses[:-1]:
            if head and self.size(head + clause) > self.first_target:
                break
            head += clause
        if head and self.size(head) <= 2 * self.first_target:
            return [Chunk(head, "clause"), Chunk(first.tokens[len(head):], first.boundary)] + rest
        head, words = [], 0
        for token in first.tokens[:-1]:
            if words >= self.min_first_words and self.size(head + [token]) > self.first_target:
                break
            head.append(token)
            words += token.kind == "word"
        while head and head[-1].kind == "punct" and head[-1].text in OPENERS:
            head.pop()  # an opening mark goes with the words it opens
        tail = first.tokens[len(head):]
        if not head or not any(t.kind == "word" for t in tail):
            return pieces
        return [Chunk(head, "word"), Chunk(tail, first.boundary)] + rest

    def _pack(self, pieces: list[Chunk], before: list[Chunk]) -> list[Chunk]:
        """Merge consecutive sentences and clauses while they fit the growing budget."""
        packed: list[Chunk] = []
        for piece in pieces:
            if packed:
                last = packed[-1]
                merged = last.tokens + piece.tokens
                if last.boundary in ("sentence", "clause") and self.size(merged) <= self.budget(len(before) + len(packed) - 1):
                    packed[-1] = Chunk(merged, piece.boundary)
                    continue
            packed.append(piece)
        return packed
