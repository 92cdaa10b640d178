"""What every language front end produces: phoneme tokens with word boundaries.

A front end turns one paragraph of text into :class:`PhonemeToken` objects (a word or a
punctuation mark, its phonemes in Kokoro's alphabet, whether whitespace follows, and
where it came from in the text it was given) plus the words it could not pronounce.
The chunker, the engine and word timestamps only ever see these types, whatever the
language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

#: Punctuation that Kokoro's vocabulary knows; it shapes prosody. Front ends map their
#: language's marks (。、！？「」¿¡« » ...) onto these or drop them.
PUNCTUATION = frozenset(';:,.!?—…"()“”')
SENTENCE_END = frozenset(".!?…")
CLAUSE_END = frozenset(",;:—")


@dataclass(frozen=True)
class PhonemeToken:
    """One word or punctuation mark: its text, its phonemes, and whether whitespace follows.

    ``span`` is the ``(start, end)`` character range of the token in the text that was
    phonemized (``None`` where a token has no source, e.g. the later pieces of a word the
    chunker had to split).
    """

    text: str
    phonemes: str
    space_after: bool
    kind: str  # "word" | "punct"
    span: tuple[int, int] | None = None

    @property
    def ends_sentence(self) -> bool:
        return self.kind == "punct" and self.text in SENTENCE_END

    @property
    def ends_clause(self) -> bool:
        return self.kind == "punct" and self.text in CLAUSE_END


@dataclass
class Phonemized:
    """A paragraph's tokens and the words that produced no sound (reported to the user)."""

    tokens: list[PhonemeToken]
    skipped: list[str] = field(default_factory=list)

    @property
    def phonemes(self) -> str:
        return join_phonemes(self.tokens)


def join_tokens(tokens: Sequence[PhonemeToken], field: str) -> str:
    """Tokens' ``text`` or ``phonemes`` joined with a space wherever whitespace followed in the input."""
    out = []
    for i, token in enumerate(tokens):
        out.append(getattr(token, field))
        if token.space_after and i + 1 < len(tokens):
            out.append(" ")
    return "".join(out)


def join_phonemes(tokens: Sequence[PhonemeToken]) -> str:
    return join_tokens(tokens, "phonemes").strip()


class FrontEnd(Protocol):
    """Text of one language -> phonemes. Built by its package's ``async load(loader, code)``."""

    language: str

    def normalize(self, text: str) -> str:
        """Numbers, dates, money, abbreviations... written out as words of the language."""
        ...

    async def phonemize(self, text: str) -> Phonemized:
        """One paragraph of *normalized* text -> tokens (spans index into ``text``)."""
        ...
