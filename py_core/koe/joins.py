"""How consecutive chunks join: the silence between them is the pause the text has there.

Kokoro wraps every utterance in silence: about 0.25 s before its first sound and 0.4-0.7 s
after its last. Adding a pause on top of that made every join longer than the model's own
pauses inside a chunk (about 0.15-0.35 s after a full stop, 0.2 s at a comma, under 0.08 s
between words), and a chunk cut between two words (the small first chunk of a text) an
audible hole. Instead, each chunk's edge silence is trimmed (or padded) so that from the
last sound of one chunk to the first sound of the next there is :data:`GAPS` of the
boundary between them, half on each side; the text's very first sound comes after
:data:`LEAD_IN` and its last is followed by :data:`TAIL`.
"""

from __future__ import annotations

from array import array
from typing import Sequence

#: Silence between the sounds of two chunks, by what separates them (seconds).
GAPS = {"word": 0.06, "clause": 0.2, "sentence": 0.35, "paragraph": 0.7, "end": 0.0}
LEAD_IN = 0.05
TAIL = 0.25
#: Silence: a 10 ms window whose energy is this many dB below the chunk's peak sample.
SILENCE_DB = 45.0
_WINDOW_SECONDS = 0.01


def sound_bounds(audio: Sequence[float], sample_rate: int) -> tuple[int, int]:
    """The first and last sample (exclusive) of the sound in ``audio``, scanning in from each edge."""
    window = max(1, round(_WINDOW_SECONDS * sample_rate))
    loudest = max(max(audio, default=0.0), -min(audio, default=0.0))
    if loudest <= 0:
        return 0, 0
    floor = (loudest * 10 ** (-SILENCE_DB / 20)) ** 2 * window

    def loud(a: int, b: int) -> bool:
        return sum(x * x for x in audio[a:b]) >= floor * (b - a) / window

    first = 0
    while first < len(audio) and not loud(first, first + window):
        first += window
    last = len(audio)
    while last > first and not loud(max(first, last - window), last):
        last -= window
    return min(first, len(audio)), max(last, min(first, len(audio)))


def join(audio: array, sample_rate: int, before: str | None, after: str | None) -> tuple[array, int]:
    """``audio`` with its edge silences made to fit the boundaries on each side.

    ``before``/``after`` are the boundaries to the previous and next chunk (None at the start
    or end of the text). Returns the new samples and how many samples were cut from the start
    (negative if silence was added), so that times computed on the model's output can be moved.
    """
    first, last = sound_bounds(audio, sample_rate)
    if last <= first:
        return audio, 0
    head = round((LEAD_IN if before is None else GAPS[before] / 2) * sample_rate)
    tail = round((TAIL if after is None else GAPS[after] / 2) * sample_rate)
    start, end = first - head, last + tail
    out = array("f", bytes(4 * max(0, -start)))
    out.extend(audio[max(0, start):min(len(audio), end)])
    if end > len(audio):
        out.extend(array("f", bytes(4 * (end - len(audio)))))
    return out, start
