"""Chunker properties: nothing lost or reordered, every chunk within the model's limit."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from koe.chunking import Chunker
from koe.lang.base import PhonemeToken
from koe.runtime import run_sync
from koe.vocab import MAX_PHONEMES

PUNCT = ".,!?;:—…\"()"


def count(phonemes: str) -> int:
    return len(phonemes)


word = st.builds(lambda n, sp: PhonemeToken("w" * n, "a" * n, sp, "word"),
                 st.integers(min_value=1, max_value=40), st.booleans())
huge = st.builds(lambda n: PhonemeToken("long", "b" * n, True, "word"), st.integers(min_value=500, max_value=1500))
punct = st.builds(lambda p, sp: PhonemeToken(p, p, sp, "punct"), st.sampled_from(PUNCT), st.booleans())
paragraph = st.lists(st.one_of(word, word, word, punct, huge), max_size=300)


def flatten(chunks):
    return [t for c in chunks for t in c.tokens]


@settings(max_examples=200, deadline=None)
@given(st.lists(paragraph, max_size=4), st.integers(min_value=20, max_value=MAX_PHONEMES))
def test_no_text_lost_or_reordered_and_every_chunk_fits(paragraphs, limit):
    chunker = Chunker(count, limit=limit, first_target=min(60, limit), target=min(200, limit))
    chunks = chunker.plan(paragraphs)
    original = [t for p in paragraphs for t in p]
    got = flatten(chunks)
    assert "".join(t.phonemes for t in got) == "".join(t.phonemes for t in original)
    assert [t.text for t in got if t.text] == [t.text for t in original]
    for chunk in chunks:
        assert 0 < chunker.size(chunk.tokens) <= limit
    if chunks:
        assert chunks[-1].boundary == "end"


def test_sentences_are_kept_whole_when_they_fit():
    tokens = [PhonemeToken("a", "a" * 50, False, "word"), PhonemeToken(".", ".", True, "punct"),
              PhonemeToken("b", "b" * 50, False, "word"), PhonemeToken("!", "!", True, "punct")]
    chunks = Chunker(count, limit=60, first_target=60, target=60).plan([tokens])
    assert [c.text for c in chunks] == ["a.", "b!"]
    assert [c.boundary for c in chunks] == ["sentence", "end"]


def test_closing_quote_stays_with_its_sentence():
    t = lambda s, k="word": PhonemeToken(s, s, True, k)
    tokens = [t("hi"), PhonemeToken("!", "!", False, "punct"), t('"', "punct"), t("yo"), t(".", "punct")]
    chunks = Chunker(count, limit=6, first_target=1, target=1).plan([tokens])
    assert [c.text for c in chunks] == ['hi! "', "yo ."] or [c.text for c in chunks][0].endswith('"')


def test_ten_thousand_words_are_planned_completely(engine):
    sentence = ("The quick brown fox, which had been running since dawn, jumped over the lazy dog "
                "and kept going until it reached the river. ")
    text = sentence * 455  # about 10,000 words
    plan = run_sync(engine.aplan(text, "af_heart"))
    assert len(plan.chunks) > 30
    spoken = [t.text for c in plan.chunks for t in c.tokens if t.kind == "word"]
    assert spoken == re.findall(r"[A-Za-z]+", text)
    assert all(engine.vocab.count(c.phonemes) <= MAX_PHONEMES for c in plan.chunks)


def test_the_first_chunk_is_small_and_later_chunks_grow(engine):
    text = ("When the storm finally passed, the villagers walked down to the harbor to count the boats. "
            "Most had survived the night, though a few were missing their masts and one had sunk at its mooring. "
            "By noon the fishermen were already mending nets, and the children were racing along the sea wall. "
            "Nobody could remember a storm like it, not even the oldest woman in the village, who was ninety-four.")
    plan = run_sync(engine.aplan(text, "af_heart"))
    sizes = [engine.vocab.count(c.phonemes) for c in plan.chunks]
    assert sizes[0] <= 2 * engine.chunker.first_target and plan.chunks[0].text.startswith("When the storm")
    assert plan.chunks[0].boundary == "clause"  # cut at the comma, not mid-phrase
    assert len(sizes) >= 3 and max(sizes[1:]) > 2 * sizes[0]
    for index, size in enumerate(sizes[1:], start=1):
        assert size <= max(engine.chunker.budget(index), max(engine.vocab.count(p.phonemes) for p in plan.chunks))


def test_a_first_sentence_without_commas_is_cut_after_a_few_words():
    words = [PhonemeToken(f"w{i}", "aaaaa", True, "word") for i in range(30)] + [PhonemeToken(".", ".", False, "punct")]
    chunks = Chunker(count, first_target=20, target=200).plan([words])
    assert chunks[0].boundary == "word" and 3 <= len(chunks[0].tokens) <= 5
    assert [t.text for c in chunks for t in c.tokens] == [t.text for t in words]
