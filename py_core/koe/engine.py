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
import os
import re
import time
from array import array
from dataclasses import dataclass, field, replace
from typing import AsyncIterator, Callable, Iterator

from . import assets as paths
from .assets import AssetSource, DirectoryAssets, default_asset_dir
from .chunking import Chunk, Chunker
from .errors import AssetError, EmptyTextError, KoeError
from .joins import join
from .lang import language as language_info
from .lang.base import FrontEnd, Phonemized
from .lang.loader import FrontEnds, Installer
from .lang.scripts import script_mismatch
from .rules import MAX_SPEED, MIN_SPEED, check_speed
from .runtime import Runtime, Session, Tensor, iterate_sync, run_sync
from .timestamps import WordTiming, WordTimer, token_times
from .vocab import PAD_ID, Vocab
from .voices import Blend, VoiceBank, VoiceInfo
from .wav import PCM16, encode_wav

SAMPLE_RATE = 24000
#: Kokoro speaks about 15-19 tokens (phonemes, spaces, punctuation) per second at speed 1 in every
#: language; 15 makes :attr:`SynthesisPlan.estimated_seconds` err on the long side.
TOKENS_PER_SECOND = 15.0
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass
class AudioChunk:
    """Audio for one chunk of text, pause included; ``index`` of ``total`` for progress.

    ``words``: the written words of the input spoken in this chunk, with their start and end
    in seconds of the whole output audio and their character offsets in the input
    (:class:`koe.timestamps.WordTiming`; words that made no sound are zero-length and
    ``skipped``). Empty if the model build has no ``durations`` output.
    """

    samples: array
    sample_rate: int
    text: str
    phonemes: str
    index: int
    total: int
    timings: dict = field(default_factory=dict)
    words: list[WordTiming] = field(default_factory=list)

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
    language: str = ""
    #: Set when most of the text is in a script the language cannot read (koe.lang.scripts.script_mismatch).
    mismatch: dict | None = None
    tokens: int = 0
    #: The input, and the normalized text the tokens' spans index (for word timestamps).
    text: str = ""
    normalized: str = ""

    @property
    def estimated_seconds(self) -> float:
        """About how much audio this plan makes (before synthesis: to bound a request's cost)."""
        return self.tokens / (TOKENS_PER_SECOND * self.speed) + sum(c.pause for c in self.chunks)


class Koe:
    """Kokoro text-to-speech over any runtime. Build it with :meth:`load` / :meth:`aload`."""

    sample_rate = SAMPLE_RATE

    def __init__(self, *, session: Session, vocab: Vocab, voices: VoiceBank, assets: AssetSource,
                 runtime: Runtime, front_ends: FrontEnds | None = None) -> None:
        self.session = session
        self.vocab = vocab
        self.voice_bank = voices
        self.assets = assets
        self.runtime = runtime
        self.front_ends = front_ends or FrontEnds(assets, runtime)
        self.chunker = Chunker(vocab.count)
        self._output = "audio" if "audio" in session.output_names else (session.output_names or ["audio"])[0]

    # --- loading -----------------------------------------------------------------------------

    @classmethod
    async def aload(cls, assets: AssetSource | str | os.PathLike | None, runtime: Runtime, *,
                    model: str = paths.MODEL, model_options: dict | None = None,
                    install: Installer | None = None) -> "Koe":
        """Load the model, vocabulary and voice index from ``assets`` (a folder or an AssetSource).

        ``runtime`` runs the ONNX graphs (natively :class:`koe.runtimes.onnxruntime.OnnxRuntime`;
        :func:`koe.native.load` picks it for you). ``install`` makes a language's pure-Python
        packages importable on first use (the browser's micropip); natively they are installed.
        """
        if assets is None or isinstance(assets, (str, os.PathLike)):
            assets = DirectoryAssets(assets or default_asset_dir())
        for required in (model, paths.VOCAB, paths.VOICE_INDEX):
            if not assets.exists(required):
                raise AssetError(f"missing {required}; run ./build.sh to fetch the model and voices")
        session = await runtime.load(assets.local_path(model) or await assets.read(model), name="kokoro",
                                     options=model_options)
        vocab = Vocab.from_json(await assets.read(paths.VOCAB))
        voices = VoiceBank(json.loads(await assets.read(paths.VOICE_INDEX)), assets.read)
        return cls(session=session, vocab=vocab, voices=voices, assets=assets, runtime=runtime,
                   front_ends=FrontEnds(assets, runtime, install))

    @classmethod
    def load(cls, assets: AssetSource | str | os.PathLike | None, runtime: Runtime, **kwargs) -> "Koe":
        """Synchronous :meth:`aload` for native runtimes."""
        return run_sync(cls.aload(assets, runtime, **kwargs))

    def with_session(self, session: Session, runtime: Runtime) -> "Koe":
        """An engine on another model session (e.g. WebGPU) sharing this one's voices and front ends."""
        return type(self)(session=session, vocab=self.vocab, voices=self.voice_bank, assets=self.assets,
                          runtime=runtime, front_ends=self.front_ends)

    async def front_end(self, language: str) -> FrontEnd:
        """The text front end of ``language`` (loaded on first use)."""
        return await self.front_ends.get(language)

    # --- catalogue ---------------------------------------------------------------------------

    def voices(self) -> list[VoiceInfo]:
        return self.voice_bank.list()

    def resolve_voice(self, spec: str | None) -> Blend:
        return self.voice_bank.resolve(spec)

    # --- text --------------------------------------------------------------------------------

    def language_for(self, blend: Blend, lang: str | None = None) -> str:
        """The language to read the text in: ``lang`` if given, else the voice's."""
        return language_info(lang).code if lang else blend.language

    async def aphonemize(self, text: str, voice: str | None = None, lang: str | None = None
                         ) -> tuple[str, list[Phonemized]]:
        """Normalized text and the front end's result for each paragraph (for ``koe phonemize``).

        Token spans index the returned normalized text (paragraphs joined by a blank line).
        """
        blend = self.resolve_voice(voice)
        front = await self.front_end(self.language_for(blend, lang))
        normalized = "\n\n".join(n for p in _PARAGRAPH.split(text) if (n := front.normalize(p).strip()))
        paragraphs = []
        start = 0
        for separator in [*_PARAGRAPH.finditer(normalized), None]:
            end = separator.start() if separator else len(normalized)
            if normalized[start:end].strip():
                paragraphs.append(_shifted(await front.phonemize(normalized[start:end]), start))
            start = separator.end() if separator else end
        return normalized, paragraphs

    def phonemize(self, text: str, voice: str | None = None, lang: str | None = None) -> tuple[str, list[Phonemized]]:
        return run_sync(self.aphonemize(text, voice, lang))

    async def aplan(self, text: str, voice: str | None = None, speed: float = 1.0,
                    lang: str | None = None) -> SynthesisPlan:
        if not isinstance(text, str) or not text.strip():
            raise EmptyTextError("Text is empty: give some text to speak.")
        speed = check_speed(speed)
        blend = self.resolve_voice(voice)
        language = self.language_for(blend, lang)
        mismatch = script_mismatch(text, language)
        normalized, paragraphs = await self.aphonemize(text, blend.spec, language)
        chunks = self.chunker.plan([p.tokens for p in paragraphs])
        chunks = [c for c in chunks if any(t.kind == "word" and self.vocab.count(t.phonemes) for t in c.tokens)]
        if not chunks:
            why = f" {mismatch['message']}" if mismatch else ""
            raise EmptyTextError("Nothing in the text can be spoken (no words or only unsupported characters)." + why)
        return SynthesisPlan(chunks, blend, speed, [w for p in paragraphs for w in p.skipped], language, mismatch,
                             sum(self.vocab.count(c.phonemes) for c in chunks), text, normalized)

    # --- synthesis ---------------------------------------------------------------------------

    async def astream(self, text: str, voice: str | None = None, speed: float = 1.0, *,
                      lang: str | None = None, plan: SynthesisPlan | None = None) -> AsyncIterator[AudioChunk]:
        """Yield one :class:`AudioChunk` per text chunk as soon as it is synthesized."""
        plan = plan or await self.aplan(text, voice, speed, lang)
        total = len(plan.chunks)
        timer = WordTimer(plan.text, plan.normalized) if self.has_durations else None
        emitted = 0  # samples before this chunk
        for index, chunk in enumerate(plan.chunks):
            started = time.perf_counter()
            phonemes = chunk.phonemes
            ids = self.vocab.encode(phonemes)
            style = await self.voice_bank.style(plan.blend, len(ids))
            audio, durations = await self.infer_with_durations(ids, style, plan.speed)
            inferred = time.perf_counter()
            before = plan.chunks[index - 1].boundary if index else None
            joined, cut = join(audio, self.sample_rate, before, chunk.boundary if index + 1 < total else None)
            words = []
            if timer is not None and durations is not None:
                start, end = emitted / self.sample_rate, (emitted + len(joined)) / self.sample_rate
                times = token_times(chunk.tokens, durations, self.vocab.mapping, speed=plan.speed, audio=audio,
                                    offset=(emitted - cut) / self.sample_rate, sample_rate=self.sample_rate)
                times = [replace(t, start=min(max(t.start, start), end), end=min(max(t.end, start), end))
                         for t in times]
                words = timer.words(times, final=index + 1 == total)
            emitted += len(joined)
            yield AudioChunk(joined, self.sample_rate, chunk.text, phonemes, index, total,
                             {"seconds": inferred - started}, words)

    @property
    def has_durations(self) -> bool:
        """Whether the model reports per-token durations (word timestamps); builds before it did not."""
        return "durations" in self.session.output_names

    async def infer_with_durations(self, ids: list[int], style: array, speed: float) -> tuple[array, array | None]:
        """One model call: token ids (without padding), a style vector and speed -> samples and the
        frames each id lasts (the pads included; None if the model has no such output)."""
        tokens = Tensor("int64", (1, len(ids) + 2), array("q", [PAD_ID, *ids, PAD_ID]))
        outputs = await self.session.run({
            "tokens": tokens,
            "style": Tensor("float32", (1, len(style)), style if isinstance(style, array) else array("f", style)),
            "speed": Tensor("float32", (1,), array("f", [speed])),
        })
        durations = outputs.get("durations")
        return array("f", outputs[self._output].data), (durations.data if durations is not None else None)

    async def infer(self, ids: list[int], style: array, speed: float) -> array:
        """One model call: token ids (without padding), a style vector and speed -> samples."""
        return (await self.infer_with_durations(ids, style, speed))[0]

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0, *,
                   lang: str | None = None, plan: SynthesisPlan | None = None) -> Iterator[AudioChunk]:
        """Synchronous :meth:`astream` (native runtimes)."""
        return iterate_sync(self.astream(text, voice, speed, lang=lang, plan=plan))

    async def asynthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                          progress: Callable[[AudioChunk], None] | None = None, *, lang: str | None = None) -> array:
        audio = array("f")
        async for chunk in self.astream(text, voice, speed, lang=lang):
            audio.extend(chunk.samples)
            if progress:
                progress(chunk)
        return audio

    def synthesize_all(self, text: str, voice: str | None = None, speed: float = 1.0,
                       progress: Callable[[AudioChunk], None] | None = None, *, lang: str | None = None) -> array:
        """The whole utterance as one float32 array."""
        return run_sync(self.asynthesize(text, voice, speed, progress, lang=lang))

    def synthesize_wav(self, text: str, voice: str | None = None, speed: float = 1.0,
                       sample_format: str = PCM16, *, lang: str | None = None) -> bytes:
        return encode_wav(self.synthesize_all(text, voice, speed, lang=lang), self.sample_rate, sample_format)


def _shifted(phonemized: Phonemized, offset: int) -> Phonemized:
    """The same tokens with spans moved ``offset`` characters on (a paragraph's place in the whole text)."""
    if offset:
        phonemized.tokens = [replace(t, span=(t.span[0] + offset, t.span[1] + offset)) if t.span else t
                             for t in phonemized.tokens]
    return phonemized


__all__ = ["Koe", "AudioChunk", "SynthesisPlan", "KoeError", "SAMPLE_RATE", "MIN_SPEED", "MAX_SPEED", "check_speed"]
