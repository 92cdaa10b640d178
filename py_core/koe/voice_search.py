"""Finding the preset mix that sounds most like a reference speaker.

:func:`match_voice` starts from a softmax-weighted top-k of the presets' stored speaker
embeddings, then improves the mix by synthesizing a probe sentence with candidate mixes
and measuring them with the speaker encoder (:mod:`koe.speaker`), within a time budget,
with progress reports and a cancel check. It is async because the browser runtime is.
``benchmarks/voice_match_quality.py`` measures what it achieves.
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Sequence

from .errors import AssetError
from .recipe import Recipe, tidy_components
from .speaker import EMBEDDING_DIM, SpeakerEncoder, cosine
from .voices import VoiceBank

DEFAULT_BUDGET_S = 60.0
#: What candidate mixes say while the search measures them (about 4 s of speech); a probe twice
#: as long scored no better on benchmarks/voice_match_quality.py at twice the cost.
PROBE_TEXT = "Rice is often served in round bowls, and a pot of tea helps to pass the evening."
TOP_K = 5                      # voices in the starting mix
POOL_SIZE = 8                  # voices the search may use
TEMPERATURE = 0.05             # softmax temperature over cosine similarities
LANGUAGE_BONUS = 0.05          # added to the similarity of voices in the reference's language
START_STEP = 0.3               # how far one search move shifts the mix toward a voice
MIN_STEP = 0.05
MIN_GAIN = 0.002               # a move must raise the score this much to be taken


# --- matching ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MatchProgress:
    """One step of :func:`match_voice`: ``step`` of (about) ``total`` candidate measurements."""

    step: int
    total: int
    best_score: float
    elapsed_s: float
    budget_s: float
    components: tuple[tuple[str, float], ...]


ProgressCallback = Callable[[MatchProgress], "Awaitable[None] | None"]


#: The voice index field holding each preset's embedding, by encoder name.
PRESET_FIELDS = {"dvector": "speaker_embedding", "ge2e": "ge2e_embedding"}


def preset_embeddings(bank: VoiceBank, encoder: str = "dvector") -> dict[str, list[float]]:
    """The stored speaker embedding of each preset (built by tools/build_speaker_assets.py)."""
    found = {vid: info.extra.get(PRESET_FIELDS[encoder]) for vid, info in bank.presets.items()}
    found = {vid: list(vec) for vid, vec in found.items() if isinstance(vec, list) and len(vec) == EMBEDDING_DIM}
    if not found and encoder == "dvector":
        raise AssetError("the voice index has no speaker embeddings; run tools/build_speaker_assets.py")
    return found


def _language_bonus(voice_language: str, wanted: str | None) -> float:
    if not wanted:
        return 0.0
    wanted = wanted.lower()
    if voice_language == wanted:
        return LANGUAGE_BONUS
    return LANGUAGE_BONUS / 2 if voice_language.split("-")[0] == wanted.split("-")[0] else 0.0


def starting_mix(bank: VoiceBank, reference: Sequence[float], language: str | None = None,
                 top_k: int = TOP_K, temperature: float = TEMPERATURE,
                 others: Mapping[str, Sequence[float]] | None = None) -> tuple[list[str], dict[str, float]]:
    """The search pool (best :data:`POOL_SIZE` presets) and the softmax-weighted top-k mix.

    ``reference`` is the d-vector; ``others`` the reference's embeddings by other encoders
    (``{"ge2e": [...]}``): where the presets have those too, a preset's similarity is the
    mean of the encoders' cosines.
    """
    tables = [(list(reference), preset_embeddings(bank))]
    for name, vector in (others or {}).items():
        table = preset_embeddings(bank, name) if name in PRESET_FIELDS else {}
        if table:
            tables.append((list(vector), table))
    usable = set.intersection(*(set(table) for _, table in tables))
    scored = sorted((sum(cosine(ref, table[vid]) for ref, table in tables) / len(tables)
                     + _language_bonus(bank.presets[vid].language, language), vid) for vid in usable)
    scored.reverse()
    pool = [vid for _, vid in scored[:max(POOL_SIZE, top_k)]]
    top = scored[:top_k]
    weights = [math.exp((s - top[0][0]) / temperature) for s, _ in top]
    total = sum(weights)
    return pool, {vid: w / total for (_, vid), w in zip(top, weights)}


def blend_spec(weights: Mapping[str, float]) -> str:
    """A mix as the blend string the engine reads (``af_heart(0.6000)+bf_emma(0.4000)``)."""
    return "+".join(f"{v}({w:.4f})" for v, w in weights.items() if w > 1e-4)


def _moves(weights: dict[str, float], pool: Sequence[str], step: float,
           favourite: str | None = None) -> list[tuple[str, dict[str, float]]]:
    """Neighbouring mixes as (voice, mix): ``step`` of the weight shifted toward each pool voice
    (``favourite``, the last move that helped, first), then each voice dropped."""
    out = []
    for voice in sorted(pool, key=lambda v: v != favourite):
        moved = {v: (1 - step) * w for v, w in weights.items()}
        moved[voice] = moved.get(voice, 0.0) + step
        out.append((voice, moved))
    if len(weights) > 1:
        for voice in sorted(weights, key=weights.get):
            rest = {v: w for v, w in weights.items() if v != voice}
            total = sum(rest.values())
            out.append((voice, {v: w / total for v, w in rest.items()}))
    return out


def _key(weights: Mapping[str, float]) -> tuple:
    return tuple(sorted((v, round(w, 3)) for v, w in weights.items() if round(w, 3) > 0))


async def _call(callback: Callable | None, *args) -> Any:
    if callback is None:
        return None
    result = callback(*args)
    return await result if inspect.isawaitable(result) else result


async def match_voice(engine, encoder: SpeakerEncoder, reference: Sequence[float], *, language: str | None = None,
                      budget_s: float = DEFAULT_BUDGET_S, progress: ProgressCallback | None = None,
                      cancelled: Callable[[], "bool | Awaitable[bool]"] | None = None, probe_text: str = PROBE_TEXT,
                      max_steps: int | None = None) -> Recipe:
    """The preset mix whose speech sounds most like the speaker of ``reference`` (an embedding).

    Starts from the softmax-weighted top-k of similarity to the presets' stored embeddings
    (``language``, e.g. ``"en-gb"``, favours that language's voices), then searches: each
    step synthesizes :data:`PROBE_TEXT` with a neighbouring mix and keeps it if its
    embedding is closer to ``reference``. Stops when the moves get small, after
    ``budget_s`` seconds or ``max_steps`` measurements, or as soon as ``cancelled()`` is
    true, and returns the best mix so far as an unsaved :class:`Recipe` (no id or name:
    :meth:`VoiceStore.save` gives it ``added_speaker_N``). ``progress`` (sync or async) is
    called after every measurement.
    """
    started = time.monotonic()
    bank = engine.voice_bank
    reference = list(reference)
    pool, start = starting_mix(bank, reference, language)
    best, best_score = start, -2.0
    seen: dict[tuple, float] = {}
    steps = 0

    def expected_total() -> int:
        per_step = (time.monotonic() - started) / max(1, steps)
        total = max(steps, int(budget_s / per_step)) if per_step > 0 else steps
        return min(total, max_steps) if max_steps is not None else total

    async def stopped() -> bool:
        if max_steps is not None and steps >= max_steps:
            return True
        if steps and (time.monotonic() - started) * (steps + 1) / steps > budget_s:
            return True  # the next measurement would overrun the budget
        return bool(await _call(cancelled))

    async def measure(weights: dict[str, float]) -> float:
        nonlocal steps
        audio = await engine.asynthesize(probe_text, blend_spec(weights))
        score = seen[_key(weights)] = cosine(reference, await encoder.aembed(audio, engine.sample_rate))
        steps += 1
        return score

    async def consider(weights: dict[str, float]) -> bool:
        """Measure one mix; True if it became the best."""
        nonlocal best, best_score
        score = await measure(weights)
        better = score > best_score + (MIN_GAIN if best_score > -2.0 else 0.0)
        if better:
            best, best_score = weights, score
        await _call(progress, MatchProgress(steps, expected_total(), best_score, time.monotonic() - started,
                                            budget_s, tidy_components(best.items())))
        return better

    # The softmax mix and the nearest single voice, then a pattern search around the best:
    # shift weight toward one pool voice (or drop a voice), take the first move that helps,
    # halve the shift when none does.
    for weights in (start, {pool[0]: 1.0}):
        if _key(weights) not in seen and not await stopped():
            await consider(weights)
    step, favourite = START_STEP, None
    while step >= MIN_STEP and steps and not await stopped():
        for voice, weights in _moves(best, pool, step, favourite):
            if _key(weights) in seen:
                continue
            if await stopped():
                break
            if await consider(weights):
                favourite = voice
                break
        else:
            step /= 2
    components = tidy_components(best.items())
    lead = bank.resolve(blend_spec(dict(components)))
    return Recipe(id="", name="", components=components, language=lead.language,
                  gender=_gender(bank, components), embedding=tuple(reference),
                  score=round(best_score, 4) if best_score > -2.0 else None, source="", seconds=0.0)


def _gender(bank: VoiceBank, components: Sequence[tuple[str, float]]) -> str:
    votes: dict[str, float] = {}
    for voice, weight in components:
        gender = bank.presets[voice].gender
        votes[gender] = votes.get(gender, 0.0) + weight
    return max(votes, key=votes.get)
