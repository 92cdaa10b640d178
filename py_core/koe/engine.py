"""The synthesis engine: text in, audio chunks out.

``Koe`` ties the pieces together: normalization -> G2P -> chunking -> token ids
-> style vector -> the Kokoro ONNX graph (through a :mod:`koe.runtime`). It is
runtime-agnostic: natively it runs on onnxruntime, in the browser on
onnxruntime-web through a JS bridge, with the same code.

The async API (:meth:`Koe.aload`, :meth:`Koe.astream`) is the one code path;
the sync API (:meth:`Koe.load`, :meth:`Koe.synthesize`) drives it for runtimes
that never suspend.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from array import array
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable, Iterator

from . import assets as paths
from .assets import AssetSource, DirectoryAssets, default_asset_dir
from .chunking import Chunk, Chunker
from .errors import AssetError, EmptyTextError, InvalidSpeedError, KoeError
from .g2p import EnglishG2P, Phonemized
from .lexicon import Lexicon
from .normalize import normalize_text
from .runtime import Runtime, Session, Tensor, iterate_sync, run_sync
from .vocab import Vocab
from .voices import Blend, VoiceBank, VoiceInfo
from .wav import PCM16, encode_wav

SAMPLE_RATE = 24000
MIN_SPEED, MAX_SPEED = 0.25, 4.0
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass
class AudioChunk:
    """Audio for one chunk of text, pause included; ``index`` of ``total`` for progress."""

    samples: array
    sample_rate: int
    text: str
    phonemes: str
    index: int
    total: int
    timings: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass
class SynthesisPlan:
    """What will be spoken: the chunks, the voice, and words that could not be pronounced."""

    chunks: list[Chunk]
    blend: Blend
    speed: float
    skipped: list[str]


def check_speed(speed: float) -> float:
    try:
        value = float(speed)
    except (TypeError, ValueError):
        raise InvalidSpeedError(f"Speed must be a number between {MIN_SPEED} and {MAX_SPEED}.") from None
    if not math.isfinite(value) or not MIN_SPEED <= value <= MAX_SPEED:
        raise InvalidSpeedError(f"Speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed!r}.")
    return value


class Koe:
    """Kokoro text-to-speech over any runtime. Build it with :meth:`load` / :meth:`aload`."""

    sample_rate = SAMPLE_RATE

    def __init__(self, *, session: Session, vocab: Vocab, voices: VoiceBank, assets: AssetSource,
                 runtime: Runtime, g2p_session: Session | None = None) -> None:
        self.session = session
        self.vocab = vocab
        self.voice_bank = voices
        self.assets = assets
        self.runtime = runtime
        self.g2p_session = g2p_session
        self.chunker = Chunker(vocab.count)
        self._g2p: dict[str, EnglishG2P] = {}
        self._output = session.output_names[0] if session.output_names else "audio"

    # --- loading -----------------------------------------------------------------------------

    @classmethod
    async def aload(cls, assets: AssetSource | str | os.PathLike | None = None, runtime: Runtime | None = None, *,
                    model: str = paths.MODEL, model_options: dict | None = None) -> "Koe":
        if assets is None or isinstance(assets, (str, os.PathLike)):
            assets = DirectoryAssets(assets or default_asset_dir())
        if runtime is None:
            from .runtimes.onnxruntime import OnnxRuntime  # native default; never imported in the browser

            runtime = OnnxRuntime()
        for required in (model, paths.VOCAB, paths.VOICE_INDEX):
            if not assets.exists(required):
                raise AssetError(f"missing {required}; run ./build.sh to fetch the model and voices")
        session = await runtime.load(assets.local_path(model) or await assets.read(model), name="kokoro",
                                     options=model_options)
        g2p_session = None
        if assets.exists(paths.G2P_MODEL):
            g2p_session = await runtime.load(assets.local_path(paths.G2P_MODEL) or await assets.read(paths.G2P_MODEL),
                                             name="g2p")
        vocab = Vocab.from_json(await assets.read(paths.VOCAB))
        voices = VoiceBank(json.loads(await assets.read(paths.VOICE_INDEX)), assets.read)
        return cls(session=session, vocab=vocab, voices=voices, assets=assets, runtime=runtime, g2p_session=g2p_session)

    @classmethod
    def load(cls, assets: AssetSource | str | os.PathLike | None = None, runtime: Runtime | None = None,
             **kwargs) -> "Koe":
        """Synchronous :meth:`aload` for native runtimes."""
        return run_sync(cls.aload(assets, runtime, **kwargs))

    async def g2p_for(self, language: str) -> EnglishG2P:
        """The G2P for a voice language (US English rules unless the voice is British)."""
        accent = "en-gb" if language == "en-gb" else "en-us"
        g2p = self._g2p.get(accent)
        if g2p is None:
            lexicon = Lexicon.from_json(await self.assets.read(paths.LEXICONS[accent]), british=accent == "en-gb")
            neural = None
            if self.g2p_session is not None:
                from .neural_g2p import NeuralG2P

                neural = NeuralG2P(self.g2p_session).phonemize_words
            g2p = self._g2p[accent] = EnglishG2P(lexicon, neural)
        return g2p

    # --- catalogue ---------------------------------------------------------------------------

    def voices(self) -> list[VoiceInfo]:
        return self.voice_bank.list()

    def resolve_voice(self, spec: str | None) -> Blend:
        return self.voice_bank.resolve(spec)

    # --- text --------------------------------------------------------------------------------

    async def aphonemize(self, text: str, voice: str | None = None) -> tuple[str, list[Phonemized]]:
        """Normalized text and the G2P result of each paragraph (for ``koe phonemize``)."""
        blend = self.resolve_voice(voice)
        normalized = normalize_text(text, british=blend.language == "en-gb")
        g2p = await self.g2p_for(blend.language)
        return normalized, [await g2p.phonemize(p) for p in _PARAGRAPH.split(normalized) if p.strip()]

    def phonemize(self, text: str, voice: str | None = None) -> tuple[str, list[Phonemized]]:
        return run_sync(self.aphonemize(text, voice))

    async def aplan(self, text: str, voice: str | None = None, speed: float = 1.0) -> SynthesisPlan:
        if not isinstance(text, str) or not text.strip():
            raise EmptyTextError("Text is empty: give some text to speak.")
        speed = check_speed(speed)
        blend = self.resolve_voice(voice)
        _, paragraphs = await self.aphonemize(text, blend.spec)
        chunks = self.chunker.plan([p.tokens for p in paragraphs])
        chunks = [c for c in chunks if self.vocab.count(c.phonemes) > 0]
        if not chunks:
            raise EmptyTextError("Nothing in the text can be spoken (no words or only unsupported characters).")
        return SynthesisPlan(chunks, blend, speed, [w for p in paragraphs for w in p.skipped])

    # --- synthesis ---------------------------------------------------------------------------

    async def astream(self, text: str, voice: str | None = None, speed: float = 1.0, *,
                      plan: SynthesisPlan | None = None) -> AsyncIterator[AudioChunk]:
        """Yield one :class:`AudioChunk` per text chunk as soon as it is synthesized."""
        plan = plan or await self.aplan(text, voice, speed)
        total = len(plan.chunks)
        for index, chunk in enumerate(plan.chunks):
            started = time.perf_counter()
            phonemes = chunk.phonemes
            ids = self.vocab.encode(phonemes)
            style = await self.voice_bank.style(plan.blend, len(ids))
            audio = await self.infer(ids, style, plan.speed)
            inferred = time.perf_counter()
            if index + 1 < total and chunk.pause > 0:
                audio.extend(array("f", bytes(4 * int(chunk.pause * self.sample_rate))))
            yield AudioChunk(audio, self.sample_rate, chunk.text, phonemes, index, total,
                             {"seconds": inferred - started})

    async def infer(self, ids: list[int], style: array, speed: float) -> array:
        """One model call: token ids (without padding), a style vector and speed -> samples."""
        tokens = Tensor("int64", (1, len(ids) + 2), array("q", [0, *ids, 0]))
        outputs = await self.session.run({
            "tokens": tokens,
            "style": Tensor("float32", (1, len(style)), style if isinstance(style, array) else array("f", style)),
            "speed": Tensor("float32", (1,), array("f", [speed])),
        })
        return array("f", outputs[self._output].data)

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0) -> Iterator[AudioChunk]:
        """Synchronous :meth:`astream` (native runtimes)."""
        return iterate_sync(self.astream(text, voice, speed))

    async def asynthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                          progress: Callable[[AudioChunk], None] | None = None) -> array:
        audio = array("f")
        async for chunk in self.astream(text, voice, speed):
            audio.extend(chunk.samples)
            if progress:
                progress(chunk)
        return audio

    def synthesize_all(self, text: str, voice: str | None = None, speed: float = 1.0,
                       progress: Callable[[AudioChunk], None] | None = None) -> array:
        """The whole utterance as one float32 array."""
        return run_sync(self.asynthesize(text, voice, speed, progress))

    def synthesize_wav(self, text: str, voice: str | None = None, speed: float = 1.0,
                       sample_format: str = PCM16) -> bytes:
        return encode_wav(self.synthesize_all(text, voice, speed), self.sample_rate, sample_format)


__all__ = ["Koe", "AudioChunk", "SynthesisPlan", "KoeError", "SAMPLE_RATE", "check_speed"]
