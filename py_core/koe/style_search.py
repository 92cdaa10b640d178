"""The search that leaves the presets' hull: a preset mix plus a style offset, by evolution strategy.

:func:`search_voice` starts from a preset mix (the softmax-weighted top-k of
:func:`koe.voice_search.starting_mix`, or a previous result to refine) and moves the voice
in the low-dimensional style basis of :mod:`koe.style_space` with a separable CMA-ES
(:class:`SepCMA`, pure Python: the browser runs the same code). Each candidate speaks
:data:`PROBE_TEXTS` (two short fixed sentences) and is scored with the project's speaker
encoder against the reference embedding, with penalties that keep it natural:

* the two sentences must still sound like one speaker (their embeddings' cosine may fall
  at most :data:`CONSISTENCY_SLACK` below the start voice's);
* speaking time and loudness stay near the start voice's (within :data:`DURATION_RATIO`
  and :data:`LEVEL_DB`);
* the voice stays inside the ball that holds every preset (:meth:`StyleBasis.contain`).

It is anytime: ``progress`` hears the similarity reached after every candidate,
``cancelled`` stops it at once (the best voice so far is kept), the time budget is never
overrun by more than one candidate, and a result can be refined by passing it as
``start``. Candidates are synthesized with an explicit style through the engine's own
front end and model call (:meth:`Koe.aplan`, :meth:`Koe.infer`): no voice needs to be
registered to be heard. ``benchmarks/voice_search_quality.py`` measures what it achieves
with a speaker encoder it never sees. First measurements (300 s each on a heavily shared
2-core machine, 29-77 candidates): with large free steps (sigma 0.6, no pull) the shipped
encoder's similarity on the probes rose for every reference, but the independent encoder
on held-out sentences agreed only for some and on average the result was no better than
the best single preset (8 references), with a worse word error rate. Smaller steps and a
pull toward the start (the defaults here) gave +0.05 over the best single preset and a
word error rate near af_heart's on 3 of those references (chosen after the first run, so
optimistic). The shipped encoder is a weak guide among voices that are already close.
"""

from __future__ import annotations

import inspect
import math
import operator
import random
import time
from array import array
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable, Sequence

from .joins import join
from .speaker import CombinedEncoder, Ge2eEncoder, SpeakerEncoder, cosine, mean_embedding
from .style_space import StyleBasis, StyleVoice, normalized, style_row

#: What candidates say: two short sentences (about 2.5 s each) with varied sounds.
PROBE_TEXTS = ("Rice is often served in round bowls.",
               "A pot of tea helps to pass the evening, she said.")
DEFAULT_BUDGET_S = 120.0
MAX_BUDGET_S = 600.0
SIGMA = 0.3                     # first step size, in standard deviations of the presets
REFINE_SIGMA = 0.2              # first step size when continuing from a previous voice
POPULATION = 8                  # candidates per generation
CONSISTENCY_SLACK = 0.05        # how much less alike the two sentences may sound than with the start voice
DURATION_RATIO = 1.25           # speaking time may change by this factor either way
LEVEL_DB = 6.0                  # loudness may change this much either way
PENALTY_WEIGHT = 1.0            # score lost per unit past a limit (cosine, log-ratio, dB / 20)
FREE_DISTANCE = 1.5             # the start's neighbourhood (standard deviations) a move may explore freely
DISTANCE_WEIGHT = 0.03          # score lost per standard deviation beyond it (keeps voices near natural ones)


#: What the search scores with: the d-vector and GE2E encoders, equally weighted.
OBJECTIVE = {"dvector": 1.0, "ge2e": 1.0}


async def search_encoder(assets, runtime, dvector: SpeakerEncoder | None = None):
    """The encoder the search scores candidates with: :data:`OBJECTIVE`'s encoders combined
    (:class:`~koe.speaker.CombinedEncoder`), or the d-vector alone where the GE2E graphs are
    not built (the result's ``encoder`` says which)."""
    dvector = dvector or await SpeakerEncoder.aload(assets, runtime)
    if not Ge2eEncoder.available(assets):
        return dvector
    ge2e = await Ge2eEncoder.aload(assets, runtime)
    encoders = {"dvector": dvector, "ge2e": ge2e}
    return CombinedEncoder({name: (encoders[name], weight) for name, weight in OBJECTIVE.items()})


# --- the evolution strategy -----------------------------------------------------------------------

class SepCMA:
    """Separable CMA-ES (diagonal covariance), maximizing; ask/tell, pure Python.

    Hansen's defaults with Ros & Hansen's separable learning rates; ``population``
    candidates per generation, ``mu`` = half of them recombined with log weights,
    cumulative step-size adaptation. Deterministic for a given ``seed``.
    """

    def __init__(self, mean: Sequence[float], sigma: float, *, population: int = POPULATION, seed: int = 0) -> None:
        n = self.n = len(mean)
        if n < 1 or not sigma > 0:
            raise ValueError("SepCMA needs at least one dimension and a positive sigma")
        self.mean = [float(x) for x in mean]
        self.sigma = float(sigma)
        self.population = max(2, int(population))
        self.mu = self.population // 2
        raw = [math.log(self.mu + 0.5) - math.log(i + 1) for i in range(self.mu)]
        total = sum(raw)
        self.weights = [w / total for w in raw]
        self.mu_eff = 1.0 / sum(w * w for w in self.weights)
        self.cc = 4.0 / (n + 4.0)
        self.cs = (self.mu_eff + 2.0) / (n + self.mu_eff + 5.0)
        self.ds = 1.0 + 2.0 * max(0.0, math.sqrt((self.mu_eff - 1.0) / (n + 1.0)) - 1.0) + self.cs
        boost = (n + 2.0) / 3.0                      # separable CMA may learn this much faster
        self.c1 = min(1.0, boost * 2.0 / ((n + 1.3) ** 2 + self.mu_eff))
        self.cmu = min(1.0 - self.c1, boost * 2.0 * (self.mu_eff - 2.0 + 1.0 / self.mu_eff)
                       / ((n + 2.0) ** 2 + self.mu_eff))
        self.chi_n = math.sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n))
        self.variances = [1.0] * n
        self.path_c = [0.0] * n
        self.path_s = [0.0] * n
        self.generation = 0
        self.random = random.Random(seed)

    def ask(self) -> list[list[float]]:
        """The next generation's candidates."""
        out = []
        for _ in range(self.population):
            out.append([m + self.sigma * math.sqrt(v) * self.random.gauss(0.0, 1.0)
                        for m, v in zip(self.mean, self.variances)])
        return out

    def tell(self, candidates: Sequence[Sequence[float]], scores: Sequence[float]) -> None:
        """Update from ``candidates`` (as evaluated) and their ``scores`` (higher is better)."""
        ranked = [candidates[i] for i in sorted(range(len(scores)), key=lambda i: -scores[i])][:self.mu]
        weights = self.weights[:len(ranked)]
        scale = sum(weights)
        weights = [w / scale for w in weights]
        old = self.mean
        self.mean = [math.fsum(w * x[k] for w, x in zip(weights, ranked)) for k in range(self.n)]
        steps = [[(x[k] - old[k]) / self.sigma for k in range(self.n)] for x in ranked]
        shift = [(m - o) / self.sigma for m, o in zip(self.mean, old)]
        norm_s = math.sqrt(self.cs * (2.0 - self.cs) * self.mu_eff)
        self.path_s = [(1.0 - self.cs) * p + norm_s * y / math.sqrt(v)
                       for p, y, v in zip(self.path_s, shift, self.variances)]
        length = math.sqrt(math.fsum(p * p for p in self.path_s))
        self.generation += 1
        expected = math.sqrt(1.0 - (1.0 - self.cs) ** (2 * self.generation))
        stalled = length / expected / self.chi_n < 1.4 + 2.0 / (self.n + 1.0)
        norm_c = math.sqrt(self.cc * (2.0 - self.cc) * self.mu_eff)
        self.path_c = [(1.0 - self.cc) * p + (norm_c * y if stalled else 0.0) for p, y in zip(self.path_c, shift)]
        correction = 0.0 if stalled else self.c1 * self.cc * (2.0 - self.cc)
        self.variances = [
            max(1e-8, (1.0 - self.c1 - self.cmu + correction) * v + self.c1 * self.path_c[k] ** 2
                + self.cmu * math.fsum(w * s[k] ** 2 for w, s in zip(weights, steps)))
            for k, v in enumerate(self.variances)]
        self.sigma *= math.exp(min(1.0, (self.cs / self.ds) * (length / self.chi_n - 1.0)))


# --- speaking with an explicit style ---------------------------------------------------------------

class ProbeSpeaker:
    """Speaks fixed sentences with any :class:`StyleVoice` (the engine's front end runs once)."""

    def __init__(self, engine, plans: list[list[tuple[list[int], str | None, str | None]]]) -> None:
        self.engine = engine
        self.plans = plans

    @classmethod
    async def prepare(cls, engine, texts: Sequence[str], language: str) -> "ProbeSpeaker":
        plans = []
        for text in texts:
            plan = await engine.aplan(text, lang=language)
            last = len(plan.chunks) - 1
            plans.append([(engine.vocab.encode(chunk.phonemes), plan.chunks[index - 1].boundary if index else None,
                           chunk.boundary if index < last else None) for index, chunk in enumerate(plan.chunks)])
        return cls(engine, plans)

    async def speak(self, voice: StyleVoice, speed: float = 1.0) -> list[array]:
        """One array of samples per sentence, joined between chunks as the engine joins them."""
        out = []
        for chunks in self.plans:
            audio = array("f")
            for ids, before, after in chunks:
                style = await style_row(self.engine.voice_bank, voice, len(ids))
                joined, _ = join(await self.engine.infer(ids, style, speed), self.engine.sample_rate, before, after)
                audio.extend(joined)
            out.append(audio)
        return out


async def speak_text(engine, voice: StyleVoice, text: str, language: str, speed: float = 1.0) -> array:
    """``text`` spoken by ``voice`` (a mix with or without an offset), as one array."""
    speaker = await ProbeSpeaker.prepare(engine, [text], language)
    return (await speaker.speak(voice, speed))[0]


# --- measuring a candidate ------------------------------------------------------------------------

@dataclass(frozen=True)
class Measurement:
    """What one candidate sounded like: similarity to the reference and the naturalness checks."""

    similarity: float
    consistency: float
    seconds: float
    level_db: float
    penalty: float = 0.0

    @property
    def score(self) -> float:
        return self.similarity - self.penalty


def _level_db(samples: Sequence[float]) -> float:
    power = math.fsum(map(operator.mul, samples, samples)) / max(1, len(samples))
    return 10.0 * math.log10(power) if power > 1e-12 else -120.0


async def measure(speaker: ProbeSpeaker, encoder: SpeakerEncoder, reference: Sequence[float], voice: StyleVoice,
                  start: Measurement | None = None) -> Measurement:
    """Speak the probe sentences with ``voice`` and score them (penalties relative to ``start``)."""
    audios = await speaker.speak(voice)
    rate = speaker.engine.sample_rate
    embeddings = [await encoder.aembed(audio, rate) for audio in audios]
    joined = array("f")
    for audio in audios:
        joined.extend(audio)
    found = Measurement(similarity=cosine(mean_embedding(embeddings), reference),
                        consistency=cosine(embeddings[0], embeddings[-1]) if len(embeddings) > 1 else 1.0,
                        seconds=len(joined) / rate, level_db=_level_db(joined))
    if start is None:
        return found
    over = max(0.0, start.consistency - CONSISTENCY_SLACK - found.consistency)
    over += max(0.0, abs(math.log(found.seconds / start.seconds)) - math.log(DURATION_RATIO))
    over += max(0.0, abs(found.level_db - start.level_db) - LEVEL_DB) / 20.0
    return Measurement(found.similarity, found.consistency, found.seconds, found.level_db, PENALTY_WEIGHT * over)


# --- the search -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchProgress:
    """After each candidate: ``evaluations`` of about ``expected``, the best similarity so far."""

    evaluations: int
    expected: int
    similarity: float
    start_similarity: float
    elapsed_s: float
    budget_s: float
    voice: StyleVoice
    candidate: StyleVoice | None = None   # the voice just measured

    # The names :class:`koe.voice_search.MatchProgress` used (the browser page and the CLI read them).
    @property
    def step(self) -> int:
        return self.evaluations

    @property
    def total(self) -> int:
        return self.expected

    @property
    def best_score(self) -> float:
        return self.similarity

    @property
    def components(self) -> tuple[tuple[str, float], ...]:
        return self.voice.components


@dataclass(frozen=True)
class SearchResult:
    """The best voice found: its similarity on the probe sentences (and the start's), how long it took,
    and why it stopped (``budget``, ``cancelled`` or ``evaluations``)."""

    voice: StyleVoice
    similarity: float
    start_similarity: float
    evaluations: int
    elapsed_s: float
    stopped: str
    language: str


ProgressCallback = Callable[[SearchProgress], "Awaitable[None] | None"]


async def _call(callback: Callable | None, *args) -> Any:
    if callback is None:
        return None
    result = callback(*args)
    return await result if inspect.isawaitable(result) else result


def check_budget(budget_s: float) -> float:
    """A search budget in seconds: a positive number up to :data:`MAX_BUDGET_S`."""
    try:
        value = float(budget_s)
    except (TypeError, ValueError):
        raise ValueError(f"the search time must be a number of seconds up to {MAX_BUDGET_S:g}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_BUDGET_S:
        raise ValueError(f"the search time must be more than 0 and at most {MAX_BUDGET_S:g} seconds, got {budget_s!r}")
    return value


async def search_voice(engine, encoder: SpeakerEncoder, reference: Sequence[float], *,
                       basis: StyleBasis | None = None, start: StyleVoice | None = None, language: str | None = None,
                       budget_s: float = DEFAULT_BUDGET_S, progress: ProgressCallback | None = None,
                       cancelled: Callable[[], "bool | Awaitable[bool]"] | None = None,
                       max_evaluations: int | None = None, seed: int = 0, sigma: float | None = None,
                       population: int = POPULATION, distance_weight: float = DISTANCE_WEIGHT,
                       adapt_mix: bool = False, probe_texts: Sequence[str] = PROBE_TEXTS) -> SearchResult:
    """The voice (preset mix plus style offset) whose speech sounds most like ``reference``.

    ``start`` is the voice to begin from (a previous result to refine); without it, the
    softmax-weighted top-k mix of the presets nearest to ``reference`` (``language``, e.g.
    ``"en-gb"``, favours that language's voices). The search moves the offset (and, with
    ``adapt_mix``, the weights of the start's presets too, as log-weight steps);
    ``distance_weight`` (score per standard deviation beyond :data:`FREE_DISTANCE` from the
    start) holds it near the start. Returns the best voice measured (the start if nothing
    beat it).
    """
    started = time.monotonic()
    budget_s = check_budget(budget_s)
    basis = basis or await StyleBasis.aload(engine.assets)
    reference = list(reference)
    bank = engine.voice_bank
    if start is None:
        from .voice_search import starting_mix

        _, mix = starting_mix(bank, reference, language)
        start = StyleVoice(tuple(mix.items()))
    components = tuple(normalized(start.components))
    lead = max(components, key=lambda c: c[1])[0]
    language = language if language else bank.presets[lead].language
    base = basis.mix_coordinates(components)
    if start.has_offset and start.basis == basis.fingerprint and len(start.coefficients) == basis.dimension:
        first = list(start.coefficients)
    elif start.has_offset:  # made with another basis: continue from the offset's projection on this one
        first = basis.coordinates([basis.center[i] + x for i, x in enumerate(start.offset)])
    else:
        first = [0.0] * basis.dimension
    speaker = await ProbeSpeaker.prepare(engine, probe_texts, language)
    evaluations = 0

    def expected() -> int:
        per = (time.monotonic() - started) / max(1, evaluations)
        total = max(evaluations, int(budget_s / per)) if per > 0 else evaluations
        return min(total, max_evaluations) if max_evaluations is not None else total

    async def stop_reason() -> str | None:
        if max_evaluations is not None and evaluations >= max_evaluations:
            return "evaluations"
        elapsed = time.monotonic() - started
        if evaluations and elapsed * (evaluations + 1) / evaluations > budget_s:
            return "budget"  # the next candidate would overrun the budget
        if await _call(cancelled):
            return "cancelled"
        return None

    # The start itself is measured first (exactly as it was), so a refine never ends worse by this measure.
    voice = StyleVoice(components, start.offset, tuple(first), basis.fingerprint) if start.has_offset \
        else StyleVoice(components)
    reason = await stop_reason()
    reference_point = await measure(speaker, encoder, reference, voice)
    evaluations += 1
    best_voice, best = voice, reference_point
    start_similarity = reference_point.similarity
    await _call(progress, SearchProgress(evaluations, expected(), best.similarity, start_similarity,
                                         time.monotonic() - started, budget_s, best_voice))
    mixing = len(components) if adapt_mix and len(components) > 1 else 0

    def decode(point: Sequence[float]) -> tuple[StyleVoice, list[float]]:
        """A point of the strategy -> the voice it stands for and the point as evaluated."""
        coefficients, steps = list(point[:basis.dimension]), list(point[basis.dimension:])
        mix = components
        if mixing:
            from .recipe import tidy_components

            logits = [math.log(w) + d for (_, w), d in zip(components, steps)]
            top = max(logits)
            mix = tidy_components((v, math.exp(x - top)) for (v, _), x in zip(components, logits))
        kept = basis.contain(coefficients, basis.mix_coordinates(mix) if mixing else base)
        found = StyleVoice.from_coefficients(basis, mix, kept)
        return found, list(found.coefficients) + steps

    strategy = SepCMA(basis.contain(first, base) + [0.0] * mixing, sigma if sigma is not None else
                      (REFINE_SIGMA if start.has_offset else SIGMA), population=population, seed=seed)
    while reason is None:
        candidates, scores = [], []
        for point in strategy.ask():
            reason = await stop_reason()
            if reason is not None:
                break
            voice, point = decode(point)
            try:
                found = await measure(speaker, encoder, reference, voice, reference_point)
            except Exception:
                # A runtime may abort a candidate's model runs to stop at once (the page terminates
                # its model worker on Stop): the best voice so far stands.
                if await _call(cancelled):
                    reason = "cancelled"
                    break
                raise
            if distance_weight:
                moved = math.sqrt(math.fsum((c - f) ** 2 for c, f in zip(voice.coefficients, first)))
                found = replace(found, penalty=found.penalty + distance_weight * max(0.0, moved - FREE_DISTANCE))
            evaluations += 1
            candidates.append(point)
            scores.append(found.score)
            if found.score > best.score:
                best_voice, best = voice, found
            await _call(progress, SearchProgress(evaluations, expected(), best.similarity, start_similarity,
                                                 time.monotonic() - started, budget_s, best_voice, voice))
        if reason is None:
            strategy.tell(candidates, scores)
    return SearchResult(best_voice, best.similarity, start_similarity, evaluations, time.monotonic() - started,
                        reason or "budget", language)
