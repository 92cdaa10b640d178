"""Word timestamps: token times from durations, the normalized -> original text mapping, written words."""

from __future__ import annotations

import re
from array import array

import pytest

from koe.lang.base import PhonemeToken
from koe.timestamps import (SAMPLES_PER_FRAME, TextAlignment, TokenTime, WordTimer, WordTiming, acoustic_lead,
                            id_owners, merge_words, token_times, word_timings, written_range)

FRAME = SAMPLES_PER_FRAME / 24000  # 25 ms
KNOWN = frozenset("həlOwɜɹdˈ !,.aɪ")


def tok(text: str, phonemes: str | None = None, space: bool = True, kind: str = "word",
        span: tuple[int, int] | None = None) -> PhonemeToken:
    return PhonemeToken(text, text if phonemes is None else phonemes, space, kind, span)


# --- token times from durations -----------------------------------------------------------------

def test_token_times_follow_the_durations():
    tokens = [tok("Hello", "həlˈO"), tok("world", "wˈɜɹld", space=False), tok("!", "!", kind="punct")]
    # ids: h ə l ˈ O ␠ w ˈ ɜ ɹ l d !  (13) + two pads
    durations = [4, 1, 2, 1, 1, 3, 2, 1, 1, 2, 1, 1, 1, 5, 1]
    assert id_owners(tokens, KNOWN) == [0, 0, 0, 0, 0, None, 1, 1, 1, 1, 1, 1, 2]
    times = token_times(tokens, durations, KNOWN, offset=1.0, lead=0.0)
    assert [t.spoken for t in times] == [True, True, True]
    assert times[0].start == pytest.approx(1.0 + 4 * FRAME) and times[0].end == pytest.approx(1.0 + 12 * FRAME)
    assert times[1].start == pytest.approx(1.0 + 14 * FRAME) and times[1].end == pytest.approx(1.0 + 21 * FRAME)
    assert times[2].start == pytest.approx(1.0 + 21 * FRAME) and times[2].end == pytest.approx(1.0 + 26 * FRAME)


def test_acoustic_lead_moves_times_earlier_but_never_before_the_chunk():
    tokens = [tok("a", "a", space=False)]
    raw = token_times(tokens, [2, 10, 1], KNOWN, offset=3.0, lead=0.0)[0]
    shifted = token_times(tokens, [2, 10, 1], KNOWN, offset=3.0, speed=1.0)[0]
    assert acoustic_lead(1.0) > 0
    assert shifted.start == pytest.approx(max(3.0, raw.start - acoustic_lead(1.0)))
    assert shifted.end == pytest.approx(raw.end - acoustic_lead(1.0))
    assert token_times(tokens, [0, 1, 1], KNOWN, offset=3.0)[0].start == 3.0
    assert acoustic_lead(0.5) > acoustic_lead(1.0) > acoustic_lead(2.0)  # part of it scales with the frames


def test_unknown_symbols_are_dropped_like_the_engine_drops_them():
    tokens = [tok("hi", "h☃aɪ"), tok("☃", "☃☃"), tok("ha", "ha", space=False)]
    owners = id_owners(tokens, KNOWN)
    assert owners == [0, 0, 0, None, None, 2, 2]  # the space after the silent token still reaches the model
    times = token_times(tokens, [1, 1, 1, 1, 1, 1, 1, 1, 1], KNOWN, lead=0.0)
    assert times[1].spoken is False and times[1].start == times[1].end == times[0].end


def test_leading_and_trailing_spaces_are_stripped_like_join_phonemes():
    tokens = [tok("x", " ha"), tok("y", "ha ", space=True)]
    assert id_owners(tokens, KNOWN) == [0, 0, None, 1, 1]


def test_durations_must_match_the_ids():
    with pytest.raises(ValueError, match="durations"):
        token_times([tok("ha", "ha")], [1, 2, 3], KNOWN)


# --- normalized text -> original text -------------------------------------------------------------

def written(original: str, normalized: str) -> list[str]:
    """What each normalized word maps back to, as a written word of the original."""
    alignment = TextAlignment(original, normalized)
    out = []
    for match in re.finditer(r"[^\W_]+(?:['’][^\W_]+)*", normalized):
        lo, hi = written_range(original, *alignment.original_range(match.start(), match.end()))
        out.append(original[lo:hi])
    return out


@pytest.mark.parametrize("original, normalized, expected", [
    ("I have 3 cats and 12 dogs.", "I have three cats and twelve dogs.",
     ["I", "have", "3", "cats", "and", "12", "dogs"]),
    ("It cost $5.50 and more", "It cost five dollars and fifty cents and more",
     ["It", "cost"] + ["$5.50"] * 5 + ["and", "more"]),
    ("$5 and $6", "five dollars and six dollars", ["$5", "$5", "and", "$6", "$6"]),
    ("Dr. Smith paid on Jan. 5, 2024.", "Doctor Smith paid on January fifth, twenty twenty-four.",
     ["Dr.", "Smith", "paid", "on", "Jan. 5", "Jan. 5", "2024", "2024", "2024"]),
    ("Visit https://example.com/docs now", "Visit example dot com slash docs now",
     ["Visit"] + ["https://example.com/docs"] * 5 + ["now"]),
    ("I ♥ you", "I you", ["I", "you"]),
    ("HELLO World", "hello world", ["HELLO", "World"]),
    ("the the the cat, the cat.", "the the the cat, the cat.", ["the", "the", "the", "cat", "the", "cat"]),
    ("(Yes,\" she said.)", "Yes, she said.", ["Yes", "she", "said"]),
    ("We’re at 50% now", "We're at fifty percent now", ["We’re", "at", "50%", "50%", "now"]),
    ("我有3个苹果。", "我有三个苹果。", ["我有3个苹果"]),
])
def test_normalized_words_map_back_to_written_words(original, normalized, expected):
    assert written(original, normalized) == expected


def test_a_repeated_passage_stays_in_step():
    """Far-away equal words (the next repetition) must not pull the alignment out of step."""
    original = "Dr. Smith paid $5.50 on Jan. 5, 2024, and the 3 cats ate 12 fish at 10:30 a.m. today. It was fine! "
    normalized = ("Doctor Smith paid five dollars and fifty cents on January fifth, twenty twenty-four, and the three "
                  "cats ate twelve fish at ten thirty AM today. It was fine! ")
    reps = 30
    alignment = TextAlignment(original * reps, normalized * reps)
    for match in re.finditer(r"\w+", normalized * reps):
        lo, _ = alignment.original_range(match.start(), match.end())
        assert lo // len(original) == match.start() // len(normalized), match.group()


def test_unspaced_scripts_map_character_by_character():
    original, normalized = "我有3个苹果。", "我有三个苹果。"
    alignment = TextAlignment(original, normalized)
    pieces = [(0, 1), (1, 2), (2, 4), (4, 6)]  # 我 有 三个 苹果, as a segmenter would cut them
    got = [original[slice(*written_range(original, *alignment.original_range(*p)))] for p in pieces]
    assert got == ["我", "有", "3个", "苹果"]


def test_alignment_of_unrelated_texts_stays_in_range():
    alignment = TextAlignment("completely different words here", "nothing alike at all in this text")
    for start in range(0, 30, 3):
        lo, hi = alignment.original_range(start, start + 3)
        assert 0 <= lo <= hi <= len("completely different words here")


# --- written words with times ----------------------------------------------------------------

def spans(normalized: str, tokens: list[PhonemeToken]) -> list[PhonemeToken]:
    """Give tokens their spans in ``normalized`` (as a front end does)."""
    out, cursor = [], 0
    for token in tokens:
        found = normalized.index(token.text, cursor)
        out.append(PhonemeToken(token.text, token.phonemes, token.space_after, token.kind,
                                (found, found + len(token.text))))
        cursor = found + len(token.text)
    return out


def spoken_in_turn(tokens: list[PhonemeToken], start: float = 0.0, step: float = 0.25) -> list[TokenTime]:
    return [TokenTime(t, start + i * step, start + i * step + 0.2, True) for i, t in enumerate(tokens)]


def test_a_rewritten_token_spans_all_its_spoken_words():
    text, normalized = "It cost $5.50, sadly.", "It cost five dollars and fifty cents, sadly."
    tokens = spans(normalized, [tok(w) for w in "It cost five dollars and fifty cents".split()]
                   + [tok(",", kind="punct"), tok("sadly"), tok(".", kind="punct")])
    words = word_timings([spoken_in_turn(tokens)], text, normalized)
    assert [(w.text, w.char_start, w.char_end) for w in words] == [
        ("It", 0, 2), ("cost", 3, 7), ("$5.50", 8, 13), ("sadly", 15, 20)]
    money = words[2]
    assert money.start == pytest.approx(0.5) and money.end == pytest.approx(6 * 0.25 + 0.2)


def test_words_without_sound_are_listed_as_skipped():
    text, normalized = "I ♥ you ★", "I you"
    tokens = spans(normalized, [tok("I"), tok("you")])
    words = word_timings([spoken_in_turn(tokens)], text, normalized)
    assert [(w.text, w.skipped) for w in words] == [("I", False), ("♥", True), ("you", False), ("★", True)]
    heart, star = words[1], words[3]
    assert heart.start == heart.end == words[2].start
    assert star.start == star.end == words[2].end


def test_unspoken_tokens_are_skipped_words():
    tokens = [tok("hello"), tok("zzz")]
    times = [TokenTime(tokens[0], 0.1, 0.4, True), TokenTime(tokens[1], 0.4, 0.4, False)]
    words = word_timings([times], "hello zzz")
    assert [(w.text, w.skipped, w.start, w.end) for w in words] == [("hello", False, 0.1, 0.4), ("zzz", True, 0.4, 0.4)]


def test_tokens_without_spans_are_found_in_the_text():
    text = "Well, it's fine."
    tokens = [tok("Well", space=False), tok(",", kind="punct"), tok("it's"), tok("fine", space=False),
              tok(".", kind="punct")]
    words = word_timings([spoken_in_turn(tokens)], text)
    assert [(w.text, w.char_start) for w in words] == [("Well", 0), ("it's", 6), ("fine", 11)]


def test_a_word_split_across_chunks_is_one_word():
    text = "Supercalifragilistic indeed"
    first = [TokenTime(tok("Supercalifragilistic", space=False), 0.0, 1.0, True)]
    second = [TokenTime(tok("", space=True), 1.0, 1.6, True), TokenTime(tok("indeed"), 1.7, 2.0, True)]
    timer = WordTimer(text)
    pieces = timer.words(first) + timer.words(second, final=True)
    assert [w.text for w in pieces] == ["Supercalifragilistic", "Supercalifragilistic", "indeed"]
    merged = merge_words(pieces)
    assert [(w.text, w.start, w.end) for w in merged] == [("Supercalifragilistic", 0.0, 1.6), ("indeed", 1.7, 2.0)]


def test_tokens_that_cannot_be_located_do_not_crash():
    text = "one 2 three"
    tokens = [tok("one"), tok("zwei"), tok("three")]
    words = word_timings([spoken_in_turn(tokens)], text)
    assert [w.text for w in words] == ["one", "2", "three"]
    assert words[1].skipped and [w.text for w in words if not w.skipped] == ["one", "three"]
    assert words[0].end == pytest.approx(0.45)  # "zwei" joined the word before


def test_one_character_and_empty_inputs():
    words = word_timings([[TokenTime(tok("A", space=False), 0.3, 0.5, True)]], "A")
    assert words == [WordTiming("A", 0.3, 0.5, 0, 1)]
    assert word_timings([], "") == []
    assert [(w.text, w.skipped) for w in word_timings([], "♥ ♦")] == [("♥", True), ("♦", True)]
    assert word_timings([[]], "...") == []


def test_ten_thousand_words_are_monotonic_and_complete():
    vocabulary = ["alpha", "the", "and", "$5", "beta", "3", "gamma", "Dr.", "delta", "cat,"]
    spoken = {"$5": "five dollars", "3": "three", "Dr.": "Doctor"}
    original = " ".join(vocabulary[i % len(vocabulary)] for i in range(10_000))
    normalized = " ".join(spoken.get(w, w) for w in original.split())
    tokens = spans(normalized, [tok(w) for w in re.findall(r"[\w$']+", normalized)])
    chunks = [spoken_in_turn(tokens[i:i + 40], start=i * 0.25) for i in range(0, len(tokens), 40)]
    words = word_timings(chunks, original, normalized)
    assert len(words) == 10_000
    assert [w.text for w in words] == [w.rstrip(",") for w in original.split()]
    assert all(not w.skipped for w in words)
    assert all(a.end <= b.start for a, b in zip(words, words[1:]))
    assert all(a.char_end < b.char_start for a, b in zip(words, words[1:]))
    assert words[-1].end == pytest.approx(chunks[-1][-1].end)


# --- the real model -----------------------------------------------------------------------------

def test_real_chunk_words_cover_the_speech(engine):
    """The first word starts where the speech starts and the last ends where it ends (within 100 ms)."""
    from koe.runtime import Tensor, run_sync
    from koe.vocab import PAD_ID

    text = "Timestamps follow the speech closely."
    plan = run_sync(engine.aplan(text, "af_heart", 1.0))
    assert len(plan.chunks) == 1
    chunk = plan.chunks[0]
    ids = engine.vocab.encode(chunk.phonemes)
    style = run_sync(engine.voice_bank.style(plan.blend, len(ids)))
    out = run_sync(engine.session.run({
        "tokens": Tensor("int64", (1, len(ids) + 2), array("q", [PAD_ID, *ids, PAD_ID])),
        "style": Tensor("float32", (1, len(style)), array("f", style)),
        "speed": Tensor("float32", (1,), array("f", [1.0]))}))
    audio, durations = out["audio"].data, out["durations"].data
    assert len(audio) == SAMPLES_PER_FRAME * sum(durations)
    times = token_times(chunk.tokens, durations, engine.vocab.mapping, audio=audio, sample_rate=engine.sample_rate)
    words = [t for t in times if t.token.kind == "word"]
    assert [t.token.text for t in words] == text.rstrip(".").split()
    loudest = max(abs(v) for v in audio)
    loud = [i for i, x in enumerate(audio) if abs(x) > 0.02 * loudest]
    speech_start, speech_end = loud[0] / engine.sample_rate, loud[-1] / engine.sample_rate
    assert abs(words[0].start - speech_start) < 0.1, (words[0].start, speech_start)
    assert abs(words[-1].end - speech_end) < 0.1, (words[-1].end, speech_end)
    assert all(a.end <= b.start for a, b in zip(words, words[1:]))


def test_spans_relative_to_a_later_paragraph_are_not_trusted():
    text = "First part here.\n\nSecond part."
    first = [tok("First", span=(0, 5)), tok("part", span=(6, 10)), tok("here", span=(11, 15))]
    second = [tok("Second", span=(0, 6)), tok("part", span=(7, 11))]  # relative to its paragraph
    words = word_timings([spoken_in_turn(first), spoken_in_turn(second, start=2.0)], text)
    assert [(w.text, w.char_start) for w in words] == [("First", 0), ("part", 6), ("here", 11), ("Second", 18),
                                                        ("part", 25)]
