"""The style search: the evolution strategy on a cheap objective, and short real searches
(real model and speaker encoder) that keep the start, stop on cancel and respect their limits."""

from __future__ import annotations

import math

import pytest

from koe.runtime import run_sync
from koe.speaker import SpeakerEncoder
from koe.style_search import SepCMA, check_budget, search_voice, speak_text
from koe.style_space import StyleBasis, StyleVoice

TEXT = "Four hours of steady work faced us. The swan dive was far short of perfect."
PROBES = ("The sun rose.", "She said hello.")   # shorter than the product's probes: quick tests


@pytest.fixture(scope="module")
def encoder(engine):
    if not SpeakerEncoder.available(engine.assets):
        pytest.fail("speaker encoder missing: run tools/build_speaker_assets.py", pytrace=False)
    return SpeakerEncoder.load(engine.assets, engine.runtime)


@pytest.fixture(scope="module")
def basis(engine):
    return run_sync(StyleBasis.aload(engine.assets))


@pytest.fixture(scope="module")
def reference(engine, encoder):
    """The speaker embedding of bm_lewis reading a sentence."""
    return encoder.embed(engine.synthesize_all(TEXT, "bm_lewis"), engine.sample_rate)


def test_sep_cma_converges_on_a_shifted_sphere():
    target = [0.5 * math.sin(k) for k in range(12)]
    strategy = SepCMA([0.0] * 12, 0.5, seed=3)
    for _ in range(150):
        candidates = strategy.ask()
        strategy.tell(candidates, [-sum((x - t) ** 2 for x, t in zip(c, target)) for c in candidates])
    assert sum((m - t) ** 2 for m, t in zip(strategy.mean, target)) < 1e-4
    assert strategy.sigma < 0.05


def test_sep_cma_is_deterministic_for_a_seed():
    assert SepCMA([0.0] * 4, 1.0, seed=7).ask() == SepCMA([0.0] * 4, 1.0, seed=7).ask()
    assert SepCMA([0.0] * 4, 1.0, seed=7).ask() != SepCMA([0.0] * 4, 1.0, seed=8).ask()


def test_speaking_a_plain_mix_is_the_engines_own_audio(engine):
    mine = run_sync(speak_text(engine, StyleVoice((("af_heart", 0.5), ("bm_george", 0.5))), TEXT, "en-us"))
    theirs = engine.synthesize_all(TEXT, "af_heart(0.5)+bm_george(0.5)")
    assert mine.tobytes() == theirs.tobytes()


def test_a_short_search_keeps_or_improves_its_start(engine, encoder, basis, reference):
    seen = []
    result = run_sync(search_voice(engine, encoder, reference, basis=basis, max_evaluations=4, budget_s=600,
                                   progress=seen.append, seed=1, probe_texts=PROBES))
    assert result.stopped == "evaluations" and result.evaluations == 4
    assert [p.evaluations for p in seen] == [1, 2, 3, 4]
    assert seen[0].similarity == result.start_similarity
    assert result.similarity >= result.start_similarity
    assert [p.similarity for p in seen] == sorted(p.similarity for p in seen)  # the best never gets worse
    assert result.language == "en-gb"                                           # a British reference
    audio = run_sync(speak_text(engine, result.voice, "Hello there.", result.language))
    assert len(audio) > 0.3 * engine.sample_rate


def test_cancel_keeps_the_best_voice_so_far(engine, encoder, basis, reference):
    seen = []
    result = run_sync(search_voice(engine, encoder, reference, basis=basis, budget_s=600, progress=seen.append,
                                   cancelled=lambda: len(seen) >= 2, probe_texts=PROBES))
    assert result.stopped == "cancelled" and result.evaluations == 2
    assert result.similarity == seen[-1].similarity and result.voice == seen[-1].voice


class AbortingEngine:
    """The engine, whose model runs fail once ``after()`` is true, as a page's Stop makes the runs of
    the candidate being measured fail (it terminates the model worker); ``aborted`` says it did."""

    def __init__(self, engine, after):
        self._engine, self._after, self.aborted = engine, after, False

    def __getattr__(self, name):
        return getattr(self._engine, name)

    async def infer(self, *args, **kwargs):
        if self._after():
            self.aborted = True
            raise RuntimeError("RunAborted: stopped")
        return await self._engine.infer(*args, **kwargs)


def test_cancel_during_a_candidate_keeps_the_best_voice(engine, encoder, basis, reference):
    seen = []
    aborting = AbortingEngine(engine, lambda: len(seen) >= 2)  # the third measurement's runs fail, as Stop makes them
    result = run_sync(search_voice(aborting, encoder, reference, basis=basis, budget_s=600, progress=seen.append,
                                   cancelled=lambda: aborting.aborted, probe_texts=PROBES))
    assert aborting.aborted and result.stopped == "cancelled" and result.evaluations == 2
    assert result.voice == seen[-1].voice and result.similarity == seen[-1].similarity


def test_a_failing_run_without_cancel_is_an_error(engine, encoder, basis, reference):
    seen = []
    with pytest.raises(RuntimeError, match="RunAborted"):
        run_sync(search_voice(AbortingEngine(engine, lambda: len(seen) >= 2), encoder, reference, basis=basis,
                              budget_s=600, progress=seen.append, cancelled=lambda: False, probe_texts=PROBES))


def test_a_budget_smaller_than_one_candidate_stops_after_the_start(engine, encoder, basis, reference):
    result = run_sync(search_voice(engine, encoder, reference, basis=basis, budget_s=0.01, probe_texts=PROBES))
    assert result.stopped == "budget" and result.evaluations == 1
    assert result.similarity == result.start_similarity and not result.voice.has_offset


def test_refine_continues_from_a_previous_voice(engine, encoder, basis, reference):
    components = (("bm_george", 0.5), ("bm_fable", 0.5))
    previous = StyleVoice.from_coefficients(basis, components, [0.3] * basis.dimension)
    seen = []
    result = run_sync(search_voice(engine, encoder, reference, basis=basis, start=previous, max_evaluations=2,
                                   progress=seen.append, probe_texts=PROBES))
    assert result.voice.components == components
    assert seen[0].voice.offset == pytest.approx(previous.offset, abs=2e-5)  # it starts where it left off
    assert result.similarity >= seen[0].similarity == result.start_similarity


@pytest.mark.parametrize("bad", [0, -1, 601, math.nan, "soon", None])
def test_bad_budgets_are_refused(bad):
    with pytest.raises(ValueError, match="search time"):
        check_budget(bad)


def test_a_strong_pull_toward_the_start_keeps_far_candidates_out(engine, encoder, basis, reference):
    # First steps of 0.6 deviations in 24 dimensions land about 2.9 deviations away, past the
    # free neighbourhood (1.5): with a prohibitive pull none of them may win.
    result = run_sync(search_voice(engine, encoder, reference, basis=basis, max_evaluations=3, sigma=0.6,
                                   distance_weight=100.0, probe_texts=PROBES, seed=2))
    assert result.evaluations == 3 and not result.voice.has_offset
    assert result.similarity == result.start_similarity


def test_the_mix_weights_can_move_too(engine, encoder, basis, reference):
    start = StyleVoice((("bm_george", 0.5), ("bm_fable", 0.3), ("bm_lewis", 0.2)))
    seen = []
    result = run_sync(search_voice(engine, encoder, reference, basis=basis, start=start, max_evaluations=4,
                                   adapt_mix=True, progress=seen.append, probe_texts=PROBES))
    tried = [p.candidate for p in seen[1:]]
    assert result.evaluations == 4 and len(tried) == 3
    assert all(abs(sum(w for _, w in v.components) - 1) < 1e-3 for v in tried)
    assert all({name for name, _ in v.components} <= {"bm_george", "bm_fable", "bm_lewis"} for v in tried)
    assert all(dict(v.components) != dict(start.components) for v in tried)  # the weights moved
    fixed = []
    run_sync(search_voice(engine, encoder, reference, basis=basis, start=start, max_evaluations=2,
                          progress=fixed.append, probe_texts=PROBES))
    assert dict(fixed[1].candidate.components) == dict(start.components)  # by default they stay
