"""English (American and British): the normalizer and the lexicon + neural G2P."""

from __future__ import annotations

from ...assets import G2P_MODEL, LEXICONS
from .g2p import EnglishG2P
from .lexicon import Lexicon
from .normalize import normalize_text
from ..base import Phonemized


class EnglishFrontEnd:
    def __init__(self, g2p: EnglishG2P, language: str) -> None:
        self.g2p = g2p
        self.language = language
        self.british = language == "en-gb"

    def normalize(self, text: str) -> str:
        return normalize_text(text, british=self.british)

    async def phonemize(self, text: str) -> Phonemized:
        return await self.g2p.phonemize(text)


async def load(loader, code: str) -> EnglishFrontEnd:
    lexicon = Lexicon.from_json(await loader.assets.read(LEXICONS[code]), british=code == "en-gb")
    session = await loader.session(G2P_MODEL)
    neural = None
    if session is not None:
        from .neural_g2p import NeuralG2P

        neural = NeuralG2P(session).phonemize_words
    return EnglishFrontEnd(EnglishG2P(lexicon, neural), code)
