"""Captions from word timings: WebVTT, SRT and the JSON word list.

Words are grouped into readable cues: at most :data:`MAX_LINE` characters per line and
:data:`MAX_LINES` lines per cue, a new cue after a sentence end (a full stop followed by a
pause, so "Dr. Smith" stays together) or a longer pause, and no cue longer than
:data:`MAX_CUE_SECONDS`; a short cue is held on screen up to :data:`MIN_CUE_SECONDS` when
the next one leaves room. Cue text is the input text as written, from a cue's first spoken
word to its last (punctuation and unspoken symbols between them included), when the text
is given; else the spoken words joined by spaces. Skipped words at a cue's edges are left
out; all words stay in the JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .timestamps import WordTiming

MAX_LINE = 42
MAX_LINES = 2
MAX_CUE_SECONDS = 7.0
MIN_CUE_SECONDS = 1.0
PAUSE_SECONDS = 0.5  # a silence at least this long between words starts a new cue
SENTENCE_PAUSE_SECONDS = 0.1  # ... and this long after a full stop (the model pauses after a sentence)
SENTENCE_END = frozenset(".!?…。！？")
CLOSERS = frozenset("\"'”’»)]}」』）")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]


def words_json(words: Sequence[WordTiming]) -> dict:
    """``{"words": [{"text", "start", "end", "char_start", "char_end"}, ...]}`` (``skipped: true`` where no sound)."""
    return {"words": [w.as_dict() for w in words]}


def wrap(text: str, width: int = MAX_LINE, max_lines: int = MAX_LINES) -> tuple[str, ...] | None:
    """``text`` on at most ``max_lines`` lines of at most ``width`` characters, broken at spaces.

    Two lines are balanced (the break nearest the middle). None if it does not fit. A single
    word longer than ``width`` (a URL) is allowed on a line of its own.
    """
    words = text.split()
    if not words:
        return ()
    if len(text) <= width or len(words) == 1:
        return (text,)
    best = None
    for lines in _splits(words, max_lines):
        if all(len(line) <= width or " " not in line for line in lines):
            score = (max(len(line) for line in lines), len(lines))
            if best is None or score < best[0]:
                best = (score, lines)
    return best[1] if best else None


def _splits(words: list[str], max_lines: int):
    if max_lines == 1 or len(words) == 1:
        yield (" ".join(words),)
        return
    yield (" ".join(words),)
    for cut in range(1, len(words)):
        head = " ".join(words[:cut])
        for rest in _splits(words[cut:], max_lines - 1):
            yield (head, *rest)


def _bounds(words: Sequence[WordTiming], text: str) -> list[tuple[int, int]]:
    """Each word's stretch of ``text`` with the punctuation written around it ("(Hello," ...)."""
    out = []
    for k, word in enumerate(words):
        lo, floor = word.char_start, (words[k - 1].char_end if k else 0)
        while lo > floor and not text[lo - 1].isspace():
            lo -= 1
        hi, ceiling = word.char_end, (words[k + 1].char_start if k + 1 < len(words) else len(text))
        while hi < ceiling and not text[hi].isspace():
            hi += 1
        out.append((lo, hi))
    return out


def _ends_sentence(shown: str) -> bool:
    shown = shown.rstrip("".join(CLOSERS))
    return bool(shown) and shown[-1] in SENTENCE_END


def cues(words: Sequence[WordTiming], text: str | None = None, *, max_line: int = MAX_LINE,
         max_lines: int = MAX_LINES) -> list[Cue]:
    """Group spoken words into cues (see the module docstring)."""
    spoken = [w for w in words if not w.skipped]
    if text is None:
        bounds, source = [], " ".join(w.text for w in spoken)
        for word in spoken:
            start = bounds[-1][1] + 1 if bounds else 0
            bounds.append((start, start + len(word.text)))
    else:
        bounds, source = _bounds(spoken, text), text

    def line(first: int, last: int) -> str:
        return " ".join(source[bounds[first][0]:bounds[last][1]].split())

    groups: list[list[int]] = []
    for k, word in enumerate(spoken):
        if groups:
            group = groups[-1]
            last = spoken[group[-1]]
            gap = word.start - last.end
            sentence_over = _ends_sentence(source[bounds[group[-1]][0]:bounds[group[-1]][1]]) \
                and gap >= SENTENCE_PAUSE_SECONDS
            if (not sentence_over and gap < PAUSE_SECONDS and word.end - spoken[group[0]].start <= MAX_CUE_SECONDS
                    and wrap(line(group[0], k), max_line, max_lines) is not None):
                group.append(k)
                continue
        groups.append([k])
    out: list[Cue] = []
    for n, group in enumerate(groups):
        start, end = spoken[group[0]].start, spoken[group[-1]].end
        following = spoken[groups[n + 1][0]].start if n + 1 < len(groups) else None
        if end - start < MIN_CUE_SECONDS:
            end = start + MIN_CUE_SECONDS if following is None else max(end, min(start + MIN_CUE_SECONDS, following))
        shown = line(group[0], group[-1])
        out.append(Cue(start, end, wrap(shown, max_line, max_lines) or (shown,)))
    return out


def timestamp(seconds: float, separator: str = ".") -> str:
    """``hh:mm:ss.mmm`` (WebVTT) or, with ``separator=","``, ``hh:mm:ss,mmm`` (SRT)."""
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _srt_escape(line: str) -> str:
    # SRT has no escapes; only the timing arrow would break a cue.
    return line.replace("-->", "->")


def webvtt(words: Sequence[WordTiming], text: str | None = None) -> str:
    blocks = ["WEBVTT\n"]
    for cue in cues(words, text):
        lines = "\n".join(_vtt_escape(line) for line in cue.lines)
        blocks.append(f"{timestamp(cue.start)} --> {timestamp(cue.end)}\n{lines}\n")
    return "\n".join(blocks)


def srt(words: Sequence[WordTiming], text: str | None = None) -> str:
    blocks = []
    for n, cue in enumerate(cues(words, text), 1):
        lines = "\n".join(_srt_escape(line) for line in cue.lines)
        blocks.append(f"{n}\n{timestamp(cue.start, ',')} --> {timestamp(cue.end, ',')}\n{lines}\n")
    return "\n".join(blocks)


#: Caption formats by file extension (the CLI's ``--timestamps`` picks one from the name).
FORMATS = {".vtt": webvtt, ".srt": srt}
