"""Word timestamps: when each written word of the input is spoken, from the model's durations.

Kokoro predicts how many frames every input id lasts and the build exposes those counts as
the graph's second output, ``durations`` (tools/duration_output.py): one integer per id, the
two pads included, already divided by the speed. The audio is exactly
:data:`SAMPLES_PER_FRAME` samples per frame, so a phoneme's place in the audio is a sum of
durations, with no extra inference. Two steps turn that into word timings:

1. :func:`token_times`, per synthesized chunk: each :class:`PhonemeToken`'s start and end in
   seconds of the output audio (the chunk's offset, pauses included, is the caller's).
2. :class:`WordTimer`, per text: the tokens mapped back onto the *original* input text
   (normalization may turn "$5.50" into five spoken words; they all belong to the written
   "$5.50") as :class:`WordTiming` objects with character offsets. Written words that
   produced no sound are listed too, zero-length and marked ``skipped``.

The mapping from normalized to original text is :class:`TextAlignment`: words that survive
normalization unchanged anchor the two texts; the changed stretches between anchors map
onto each other whole. Pure Python, linear in the text's length, for every language (text
in scripts written without spaces is aligned character by character).
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from typing import Container, Iterable, Sequence

from .lang.base import PhonemeToken, join_phonemes

#: Audio samples per duration frame (measured: ``len(audio) == 600 * sum(durations)`` at every speed).
SAMPLES_PER_FRAME = 600
DEFAULT_SAMPLE_RATE = 24000
#: The sound runs ahead of the duration grid: a word is heard about ``fixed + per_speed / speed``
#: seconds before its first frame (and ends as much before its last). Fitted, with pocketsphinx
#: as the reference, on the tuning sentences of benchmarks/timestamp_accuracy.py (never on the
#: evaluation set): 3 voices x speeds 0.7, 1.0, 1.5.
ACOUSTIC_LEAD = (0.030, 0.054)


def acoustic_lead(speed: float = 1.0) -> float:
    """Seconds by which the audio precedes the duration grid at ``speed`` (see :data:`ACOUSTIC_LEAD`)."""
    fixed, per_speed = ACOUSTIC_LEAD
    return fixed + per_speed / speed


@dataclass(frozen=True)
class TokenTime:
    """A phoneme token and when it is spoken (seconds); ``spoken`` is False if it gave the model no ids."""

    token: PhonemeToken
    start: float
    end: float
    spoken: bool


@dataclass(frozen=True)
class WordTiming:
    """A written word (or a group the normalizer rewrote together) and when it is spoken.

    ``char_start``/``char_end`` index the original input text; ``text`` is that slice.
    A ``skipped`` word made no sound: ``start == end``.
    """

    text: str
    start: float
    end: float
    char_start: int
    char_end: int
    skipped: bool = False

    def as_dict(self) -> dict:
        """The JSON form: ``{text, start, end, char_start, char_end}`` (+ ``skipped: true``), times in ms precision."""
        out = {"text": self.text, "start": round(self.start, 3), "end": round(self.end, 3),
               "char_start": self.char_start, "char_end": self.char_end}
        if self.skipped:
            out["skipped"] = True
        return out


# --- step 1: token times from durations ------------------------------------------------------

def id_owners(tokens: Sequence[PhonemeToken], known: Container[str]) -> list[int | None]:
    """For each id the model receives for ``tokens``, the index of the token it came from.

    Mirrors how the engine encodes a chunk: the tokens' phonemes joined by
    :func:`~koe.lang.base.join_phonemes` (a space wherever one followed, then stripped),
    then every symbol the vocabulary ``known`` lacks dropped. The spaces between tokens
    belong to no token (``None``).
    """
    chars: list[tuple[str, int | None]] = []
    for index, token in enumerate(tokens):
        chars.extend((ch, index) for ch in token.phonemes)
        if token.space_after and index + 1 < len(tokens):
            chars.append((" ", None))
    lo, hi = 0, len(chars)
    while lo < hi and chars[lo][0].isspace():
        lo += 1
    while hi > lo and chars[hi - 1][0].isspace():
        hi -= 1
    if "".join(ch for ch, _ in chars[lo:hi]) != join_phonemes(tokens):
        raise AssertionError("id_owners no longer mirrors join_phonemes")  # one rule, checked where it is copied
    return [owner for ch, owner in chars[lo:hi] if ch in known]


def token_times(tokens: Sequence[PhonemeToken], durations: Sequence[int], known: Container[str], *,
                offset: float = 0.0, speed: float = 1.0, lead: float | None = None, audio: Sequence[float] | None = None,
                sample_rate: int = DEFAULT_SAMPLE_RATE, samples_per_frame: int = SAMPLES_PER_FRAME) -> list[TokenTime]:
    """When each token of one chunk is spoken, in seconds of the output audio.

    ``durations`` is the model's output for this chunk (one per id, the pads at both ends
    included); ``offset`` is where the chunk's audio starts in the whole output and
    ``speed`` the speed it was synthesized at. A token runs from the first frame of its
    first id to the last frame of its last id, moved earlier by ``lead`` seconds (default
    :func:`acoustic_lead` of the speed; 0 gives the bare duration grid) but never before the
    chunk starts. With the chunk's ``audio`` (its samples, from the chunk's start), silence
    at either edge of a token is cut off (see :func:`trim_silence`). A token that gave no
    ids gets zero length where it would have been.
    """
    owners = id_owners(tokens, known)
    if len(durations) != len(owners) + 2:
        raise ValueError(f"{len(durations)} durations for {len(owners)} ids: expected one per id plus the two pads")
    first: list[int | None] = [None] * len(tokens)
    last = [0] * len(tokens)
    frame = int(durations[0])
    for owner, frames in zip(owners, durations[1:]):
        if owner is not None:
            if first[owner] is None:
                first[owner] = frame
            last[owner] = frame + int(frames)
        frame += int(frames)
    seconds = samples_per_frame / sample_rate
    shift = acoustic_lead(speed) if lead is None else lead

    def at(frames: int) -> float:
        return max(offset, offset + frames * seconds - shift)

    loudness = peak(audio) if audio is not None else 0.0

    times, previous_end = [], int(durations[0])
    for index, token in enumerate(tokens):
        start = first[index]
        if start is None:
            times.append(TokenTime(token, at(previous_end), at(previous_end), False))
            continue
        previous_end = last[index]
        begin, end = at(start), at(previous_end)
        if audio is not None:
            begin, end = trim_silence(audio, begin - offset, end - offset, sample_rate, loudness)
            begin, end = begin + offset, end + offset
        times.append(TokenTime(token, begin, end, True))
    return times


#: Silence, for :func:`trim_silence`: a window this many dB below the chunk's peak sample.
SILENCE_DB = 45.0
_WINDOW_SECONDS = 0.0125


def peak(audio: Sequence[float]) -> float:
    return max(max(audio, default=0.0), -min(audio, default=0.0))


def trim_silence(audio: Sequence[float], start: float, end: float, sample_rate: int,
                 loudest: float | None = None) -> tuple[float, float]:
    """``[start, end)`` (seconds into ``audio``) without the silent 12.5 ms windows at its edges.

    The model lets a sentence's last sound fade well before its last frame ends (the pause
    before a full stop is counted in the vowel), and a word after a pause may begin a little
    after its frames do. Only silence is cut, never below one window; ``loudest`` is the
    chunk's peak (computed if not given).
    """
    loudest = peak(audio) if loudest is None else loudest
    if loudest <= 0:
        return start, end
    window = max(1, round(_WINDOW_SECONDS * sample_rate))
    floor = (loudest * 10 ** (-SILENCE_DB / 20)) ** 2 * window  # sum of squares of a silent window
    lo = max(0, round(start * sample_rate))
    hi = min(len(audio), round(end * sample_rate))

    def silent(a: int, b: int) -> bool:
        return sum(x * x for x in audio[a:b]) < floor * (b - a) / window

    while hi - lo > window and silent(hi - window, hi):
        hi -= window
    while hi - lo > window and silent(lo, lo + window):
        lo += window
    if hi <= lo:
        return start, end
    return lo / sample_rate, hi / sample_rate


# --- step 2: normalized text -> original text ------------------------------------------------

#: Scripts written without spaces between words: aligned and listed character by character.
_UNSPACED = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x31F0, 0x31FF),
             (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x3134F))
#: Punctuation that anchors the alignment like a word (fullwidth forms map onto ASCII).
_PUNCT_KEYS = {",": ",", ".": ".", ";": ";", ":": ":", "!": "!", "?": "?", "，": ",", "、": ",", "。": ".",
               "！": "!", "？": "?", "；": ";", "：": ":"}
#: Marks trimmed from the edges of a written word ("(Hello," -> "Hello"); %, $, #... stay.
_EDGE_PUNCT = frozenset(".,;:!?…—–-\"'“”‘’«»‹›()[]{}¿¡。、，！？；：「」『』（）【】〈〉《》・")
#: Marks that end a written word even without a space after them ("yes!no", "(today"); "," ":" "." "/"
#: do not ("1,234", "3:30", "https://example.com").
_WORD_BREAKS = frozenset(";!?…—\"“”«»()[]{}。、，！？；：「」『』（）【】")
#: How far ahead (original units, normalized units) the alignment looks to re-synchronize.
_MAX_SKIP_ORIGINAL = 16
_MAX_SKIP_NORMALIZED = 64
#: How many following pairs are compared to break ties between re-synchronization points.
_CONTEXT = 2
#: A pair of units kept in step is worth skipping this many units (alignment score).
_KEPT = 10


def is_unspaced(ch: str) -> bool:
    """Is ``ch`` a letter of a script written without spaces (Han, kana, Thai...)?"""
    code = ord(ch)
    if code < 0x0E00:
        return False
    return any(lo <= code <= hi for lo, hi in _UNSPACED)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or (not ch.isascii() and unicodedata.category(ch)[0] == "M")


def _key(word: str) -> str:
    if word.isascii():
        return word.lower()
    return unicodedata.normalize("NFKC", word).casefold().replace("’", "'")


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    key: str


def _units(text: str) -> list[_Unit]:
    """Words (letters, digits, marks, inner apostrophes), unspaced-script characters and anchoring punctuation."""
    units, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if _is_word_char(ch):
            if is_unspaced(ch):
                units.append(_Unit(i, i + 1, ch))
                i += 1
                continue
            j = i + 1
            while j < n:
                c = text[j]
                if _is_word_char(c) and not is_unspaced(c):
                    j += 1
                elif c in "'’" and j + 1 < n and _is_word_char(text[j + 1]) and not is_unspaced(text[j + 1]):
                    j += 2
                else:
                    break
            units.append(_Unit(i, j, _key(text[i:j])))
            i = j
            continue
        key = _PUNCT_KEYS.get(ch)
        if key is not None:
            units.append(_Unit(i, i + 1, key))
        i += 1
    return units


def _anchors(original: list[_Unit], normalized: list[_Unit]) -> list[tuple[int, int]]:
    """Pairs (original unit, normalized unit) that are the same word, in order.

    A forward walk: equal units anchor. At a difference, the equal pairs a little ahead on
    both sides are collected and the walk resumes at the first pair of the best-scoring
    chain of them: :data:`_KEPT` points per pair kept in step, minus one per unit skipped
    (so "3 gamma" -> "three gamma" resumes at "gamma", and a far-away match never pulls the
    walk out of step). Equal scores go to the pair whose next units agree too, then to the
    fewest units skipped, so the "and" inside "five dollars and fifty cents" does not
    anchor the "and" of "$5.50 and more". Lookups go through a position index and a
    window, so the walk is linear in the text's length.
    """
    where: dict[str, list[int]] = defaultdict(list)
    for position, unit in enumerate(normalized):
        where[unit.key].append(position)
    n_orig, n_norm = len(original), len(normalized)

    def context(p: int, q: int) -> int:
        """How many of the next pairs agree (reaching both ends together counts as agreeing)."""
        run = 0
        while run < _CONTEXT:
            p, q = p + 1, q + 1
            if p == n_orig or q == n_norm:
                return run + (p == n_orig and q == n_norm)
            if original[p].key != normalized[q].key:
                break
            run += 1
        return run

    anchors, i, j = [], 0, 0
    while i < n_orig and j < n_norm:
        if original[i].key == normalized[j].key:
            anchors.append((i, j))
            i, j = i + 1, j + 1
            continue
        pairs = []
        for p in range(i, min(i + _MAX_SKIP_ORIGINAL, n_orig)):
            positions = where.get(original[p].key)
            if positions:
                for k in range(bisect_left(positions, j), len(positions)):
                    if positions[k] - j > _MAX_SKIP_NORMALIZED:
                        break
                    pairs.append((p, positions[k]))
        if not pairs:
            i, j = i + 1, j + 1  # nothing in step nearby: the changed stretch grows
            continue
        # Best chain from each pair: _KEPT per pair in step, minus 1 per unit skipped on either side.
        pairs.sort(reverse=True)
        values: list[int] = []
        for k, (p, q) in enumerate(pairs):
            tail = 0
            for (p2, q2), value in zip(pairs[:k], values):
                if p2 > p and q2 > q:
                    tail = max(tail, value - (p2 - p - 1) - (q2 - q - 1))
            values.append(_KEPT + tail)
        scores = [value - (p - i) - (q - j) for (p, q), value in zip(pairs, values)]
        top = max(scores)
        _, i, j = min(((-context(p, q), p - i + q - j), p, q) for (p, q), score in zip(pairs, scores) if score == top)
    return anchors


class TextAlignment:
    """Maps character ranges of a normalized text back onto the original text."""

    def __init__(self, original: str, normalized: str | None = None) -> None:
        self.original = original
        self.normalized = original if normalized is None else normalized
        a, b = _units(self.original), _units(self.normalized)
        # Segments tile the normalized text: (n_start, n_end, o_start, o_end), in order.
        segments: list[tuple[int, int, int, int]] = []
        prev_n = prev_o = 0
        for i, j in _anchors(a, b) + [(len(a), len(b))]:
            n_start = b[j].start if j < len(b) else len(self.normalized)
            o_start = a[i].start if i < len(a) else len(self.original)
            if n_start > prev_n:
                lo, hi = prev_o, max(prev_o, o_start)
                while lo < hi and self.original[lo].isspace():
                    lo += 1
                while hi > lo and self.original[hi - 1].isspace():
                    hi -= 1
                segments.append((prev_n, n_start, lo, hi))
            if j < len(b):
                segments.append((b[j].start, b[j].end, a[i].start, a[i].end))
                prev_n, prev_o = b[j].end, a[i].end
        self._segments = segments
        self._starts = [s[0] for s in segments]

    def original_range(self, start: int, end: int) -> tuple[int, int]:
        """The original characters that normalized ``[start, end)`` came from (empty if it was inserted)."""
        end = max(end, start + 1)
        k = max(bisect_right(self._starts, start) - 1, 0)
        lo = hi = None
        while k < len(self._segments) and self._segments[k][0] < end:
            _, _, o_start, o_end = self._segments[k]
            if o_end > o_start:
                lo = o_start if lo is None else min(lo, o_start)
                hi = o_end if hi is None else max(hi, o_end)
            elif lo is None:
                lo = hi = o_start
            k += 1
        if lo is None:
            return len(self.original), len(self.original)
        return lo, hi


def written_range(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` widened to whole written words, without the punctuation around them.

    A written word runs between spaces (or word-breaking marks); in unspaced scripts each
    character stands alone. Marks outside ``[start, end)`` are trimmed ("(Hello," ->
    "Hello", "2024." -> "2024"); inside it only a final period stays, since normalization
    read it as part of the word ("Dr." -> "Doctor").
    """
    if start >= end:
        return start, end
    n = len(text)

    def joins(left: str, right: str) -> bool:
        return not (left.isspace() or right.isspace() or left in _WORD_BREAKS or right in _WORD_BREAKS
                    or is_unspaced(left) or is_unspaced(right))

    lo, hi = start, end
    while lo > 0 and joins(text[lo - 1], text[lo]):
        lo -= 1
    while hi < n and joins(text[hi - 1], text[hi]):
        hi += 1
    while hi - lo > 1 and text[hi - 1] in _EDGE_PUNCT and (hi > end or text[hi - 1] != "."):
        hi -= 1
    while hi - lo > 1 and text[lo] in _EDGE_PUNCT:
        lo += 1
    return lo, hi


def written_words(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The written words in ``text[start:end]`` as ranges (pure punctuation is not a word)."""
    end = len(text) if end is None else end
    words, i = [], start
    while i < end:
        ch = text[i]
        if ch.isspace() or ch in _WORD_BREAKS:
            i += 1
            continue
        if is_unspaced(ch):
            j = i + 1
        else:
            j = i + 1
            while j < end and not (text[j].isspace() or text[j] in _WORD_BREAKS or is_unspaced(text[j])):
                j += 1
        lo, hi = written_range(text, i, i + 1)
        lo, hi = max(lo, start), min(hi, end)
        if any(not unicodedata.category(c).startswith("P") for c in text[lo:hi]):
            words.append((lo, hi))
        i = j
    return words


# --- step 2: token times -> written words ----------------------------------------------------

@dataclass
class _Word:
    char_start: int
    char_end: int
    start: float
    end: float
    spoken: bool


class WordTimer:
    """Turns the token times of successive chunks into :class:`WordTiming` lists.

    ``text`` is the input as the user wrote it; ``normalized`` the text the front end
    phonemized; token spans must index all of it (a span that goes back, such as one
    relative to its paragraph, is not trusted). Tokens without a usable span are found by
    searching their text after the previous token. Call
    :meth:`words` once per chunk, in order, with ``final=True`` for the last one: it returns
    the written words spoken in that chunk plus the skipped words before them (and, when
    final, after them). A word split across two chunks appears in both with its part's
    times; :func:`merge_words` joins such pieces.
    """

    def __init__(self, text: str, normalized: str | None = None) -> None:
        self.text = text
        self.alignment = TextAlignment(text, normalized)
        self._search = _lower_same_length(self.alignment.normalized)
        self._cursor = 0          # where to search for the next span-less token (normalized text)
        self._floor = 0           # spans starting before this are not trusted
        self._covered = 0         # original text up to here has been reported
        self._last_range: tuple[int, int] | None = None
        self._last_time = 0.0

    def _span(self, token: PhonemeToken) -> tuple[int, int] | None:
        """Where ``token`` is in the normalized text: its span, or (if it has none, or one that
        goes back, e.g. relative to a later paragraph) its text found after the previous token."""
        if token.span is not None and token.span[0] >= self._floor:
            self._floor = token.span[0]
            self._cursor = max(self._cursor, token.span[1])
            return token.span
        needle = _lower_same_length(token.text.replace("’", "'"))
        if not needle:
            return None
        found = self._search.find(needle, self._cursor, self._cursor + len(needle) + 200)
        if found < 0:
            return None
        self._floor, self._cursor = found, found + len(needle)
        return found, found + len(needle)

    def words(self, times: Iterable[TokenTime], final: bool = False) -> list[WordTiming]:
        groups: list[_Word] = []
        pending: list[TokenTime] = []  # inserted words before the first located one
        for item in times:
            if item.token.kind != "word":
                if item.token.span is None and item.token.text:
                    self._span(item.token)  # keep the search cursor moving
                continue
            span = self._span(item.token)
            if span is None:  # e.g. the later pieces of a word the chunker split: part of the word before
                char_range = (groups[-1].char_start, groups[-1].char_end) if groups else self._last_range
            else:
                o_start, o_end = self.alignment.original_range(*span)
                char_range = written_range(self.text, o_start, o_end) if o_end > o_start else None
                if char_range is None:  # the normalizer inserted this word: it joins its neighbour
                    char_range = (groups[-1].char_start, groups[-1].char_end) if groups else self._last_range
            if char_range is None:
                pending.append(item)
                continue
            if groups and char_range[0] < groups[-1].char_end:
                word = groups[-1]
                word.char_start, word.char_end = min(word.char_start, char_range[0]), max(word.char_end, char_range[1])
                self._extend(word, item)
            else:
                groups.append(_Word(char_range[0], char_range[1], item.start, item.end, item.spoken))
            for early in pending:
                self._extend(groups[-1], early)
            pending = []
        out: list[WordTiming] = []
        for word in groups:
            if word.char_start >= self._covered:
                out.extend(self._skipped(self._covered, word.char_start, word.start))
            out.append(WordTiming(self.text[word.char_start:word.char_end], word.start, word.end,
                                  word.char_start, word.char_end, not word.spoken))
            self._covered = max(self._covered, word.char_end)
            self._last_time = word.end
            self._last_range = (word.char_start, word.char_end)
        if final:
            out.extend(self._skipped(self._covered, len(self.text), self._last_time))
            self._covered = len(self.text)
        return out

    @staticmethod
    def _extend(word: _Word, item: TokenTime) -> None:
        if item.spoken:
            if word.spoken:
                word.start, word.end = min(word.start, item.start), max(word.end, item.end)
            else:
                word.start, word.end, word.spoken = item.start, item.end, True

    def _skipped(self, start: int, end: int, at: float) -> list[WordTiming]:
        return [WordTiming(self.text[lo:hi], at, at, lo, hi, True) for lo, hi in written_words(self.text, start, end)]


def _lower_same_length(text: str) -> str:
    """Lower case without changing the length (so offsets stay valid)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered.replace("’", "'")
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text).replace("’", "'")


def merge_words(words: Iterable[WordTiming]) -> list[WordTiming]:
    """Join consecutive pieces of the same written word (a word split across chunks)."""
    out: list[WordTiming] = []
    for word in words:
        last = out[-1] if out else None
        if last is not None and (last.char_start, last.char_end) == (word.char_start, word.char_end):
            if last.skipped:
                out[-1] = word
            elif not word.skipped:
                out[-1] = WordTiming(last.text, last.start, max(last.end, word.end), last.char_start, last.char_end)
            continue
        out.append(word)
    return out


def word_timings(chunks: Iterable[Sequence[TokenTime]], text: str, normalized: str | None = None) -> list[WordTiming]:
    """Every written word of ``text`` with its times, from the token times of all chunks in order."""
    timer = WordTimer(text, normalized)
    chunks = list(chunks)
    words: list[WordTiming] = []
    for index, times in enumerate(chunks):
        words.extend(timer.words(times, final=index + 1 == len(chunks)))
    if not chunks:
        words.extend(timer.words([], final=True))
    return merge_words(words)
