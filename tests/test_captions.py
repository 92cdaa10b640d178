"""Captions: cue grouping, WebVTT and SRT formats, escaping, and the JSON word list."""

from __future__ import annotations

import re

from koe.captions import MAX_LINE, cues, srt, timestamp, webvtt, words_json, wrap
from koe.timestamps import WordTiming

CUE_TIME = re.compile(r"^(\d\d:\d\d:\d\d[.,]\d\d\d) --> (\d\d:\d\d:\d\d[.,]\d\d\d)$")


def timed(text: str, start: float = 0.0, step: float = 0.3, gap: float = 0.05) -> list[WordTiming]:
    """The words of ``text`` (split at spaces, punctuation trimmed) spoken one after another,
    with a 0.3 s pause after a full stop as the model makes."""
    words, t = [], start
    for match in re.finditer(r"\S+", text):
        core = re.search(r"[\w$%&<>'’-]+(?:[.:/@,][\w]+)*", match.group())
        lo, hi = match.start() + core.start(), match.start() + core.end()
        words.append(WordTiming(text[lo:hi], t, t + step, lo, hi))
        t += step + (0.3 if match.group()[-1] in ".!?" else gap)
    return words


def test_timestamp_formats():
    assert timestamp(0) == "00:00:00.000"
    assert timestamp(3723.4567) == "01:02:03.457"
    assert timestamp(59.9999, ",") == "00:01:00,000"
    assert timestamp(-0.2) == "00:00:00.000"


def test_webvtt_document():
    text = "Hello, world. How are you?"
    vtt = webvtt(timed(text), text)
    assert vtt.startswith("WEBVTT\n\n")
    blocks = vtt.strip().split("\n\n")[1:]
    assert [b.splitlines()[1:] for b in blocks] == [["Hello, world."], ["How are you?"]]  # a cue per sentence
    for block in blocks:
        assert CUE_TIME.match(block.splitlines()[0]) and "." in block.splitlines()[0]


def test_srt_document():
    text = "Hello, world. How are you?"
    out = srt(timed(text), text)
    blocks = out.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["1", "2"]
    first = CUE_TIME.match(blocks[0].splitlines()[1])
    assert first and first.group(1) == "00:00:00,000" and "," in first.group(2)
    assert blocks[1].splitlines()[2] == "How are you?"


def test_escaping():
    text = "Use a < b & c --> d now"
    words = timed(text)
    vtt = webvtt(words, text)
    body = vtt.split("\n", 3)[3]
    assert "a &lt; b &amp; c --&gt; d now" in body
    assert "<" not in body and "-->" not in body
    out = srt(words, text)
    cue_text = "\n".join(out.splitlines()[2:])
    assert "-->" not in cue_text and "c -> d" in cue_text
    assert len(re.findall("-->", out)) == 1  # only the timing line


def test_empty_input():
    assert webvtt([]) == "WEBVTT\n"
    assert srt([]) == ""
    assert words_json([]) == {"words": []}
    assert cues([]) == []


def test_lines_are_at_most_42_characters_and_cues_at_most_two_lines():
    text = ("The quick brown fox jumps over the lazy dog while the farmer watches from the porch and "
            "wonders whether the dog will ever wake up before the sun goes down behind the hills")
    result = cues(timed(text, step=0.2, gap=0.02), text)
    assert len(result) > 2
    for cue in result:
        assert 1 <= len(cue.lines) <= 2
        assert all(len(line) <= MAX_LINE for line in cue.lines)
    spoken = " ".join(" ".join(c.lines) for c in result)
    assert spoken == text  # every word once, in order


def test_a_pause_starts_a_new_cue():
    first = timed("one two three")
    second = timed("four five", start=first[-1].end + 1.2)
    result = cues(first + second)
    assert [" ".join(c.lines) for c in result] == ["one two three", "four five"]


def test_short_cue_is_held_until_the_next_one():
    words = timed("Hi. There it is.", step=0.2)
    result = cues(words, "Hi. There it is.")
    assert result[0].lines == ("Hi.",)
    assert result[0].end == result[1].start  # stretched toward 1 s, but never over the next cue
    assert result[-1].end - result[-1].start >= 1.0


def test_cues_keep_the_written_punctuation():
    text = 'He said: "It costs $5.50 (tax included)."'
    result = cues(timed(text), text)
    assert " ".join(" ".join(c.lines) for c in result) == text


def test_skipped_words_are_listed_in_json_and_captioned_only_as_written_text():
    text = "I ♥ you ★"
    words = [WordTiming("I", 0.0, 0.2, 0, 1), WordTiming("♥", 0.3, 0.3, 2, 3, skipped=True),
             WordTiming("you", 0.3, 0.6, 4, 7), WordTiming("★", 0.6, 0.6, 8, 9, skipped=True)]
    assert cues(words)[0].lines == ("I you",)
    assert cues(words, text)[0].lines == ("I ♥ you",)  # the text as written, between spoken words
    data = words_json(words)
    assert data["words"][1] == {"text": "♥", "start": 0.3, "end": 0.3, "char_start": 2, "char_end": 3, "skipped": True}
    assert set(data["words"][0]) == {"text", "start", "end", "char_start", "char_end"}


def test_an_abbreviation_does_not_end_the_cue():
    text = "Dr. Smith arrived. Then he left."
    words = [WordTiming("Dr.", 0.0, 0.3, 0, 3),  # read "Doctor", no pause after it
             WordTiming("Smith", 0.32, 0.6, 4, 9), WordTiming("arrived", 0.62, 1.0, 10, 17),
             WordTiming("Then", 1.3, 1.5, 19, 23), WordTiming("he", 1.52, 1.7, 24, 26),
             WordTiming("left", 1.72, 2.0, 27, 31)]
    assert [" ".join(c.lines) for c in cues(words, text)] == ["Dr. Smith arrived.", "Then he left."]


def test_wrap_balances_two_lines_and_keeps_long_words():
    lines = wrap("the quick brown fox jumps over the lazy dog by the river bank")
    assert len(lines) == 2 and abs(len(lines[0]) - len(lines[1])) < 10
    url = "https://example.com/a/very/long/path/that/does/not/fit/on/a/line"
    assert wrap(f"see {url}") == ("see", url)
    assert wrap("word " * 30) is None
