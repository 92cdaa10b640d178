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
