"""Word timestamp accuracy: Koe's word start times against an independent forced alignment.

For each sentence the engine plans the chunks, the Kokoro graph is run on each (audio plus
its ``durations`` output), and :mod:`koe.timestamps` turns the durations into word times.
The same audio is then force-aligned with its words by pocketsphinx (CMU's acoustic model
and dictionary, bundled with ``pocketsphinx`` >= 5 on PyPI), which knows nothing of Kokoro.
The figure is the absolute difference of each word's start time.
Targets: median <= 50 ms, 90th percentile <= 120 ms.

Two sentence sets, written for this benchmark: ``tune`` (to study systematic offsets; the
one constant in koe.timestamps, ``ONSET_DELAY``, was chosen on it) and ``eval`` (the
reported figures; never used to tune anything).

pocketsphinx is an evaluation oracle only: it runs in another interpreter
(``--aligner-python``, default ``$KOE_ALIGNER_PYTHON``, else this one if it can import
pocketsphinx) as a subprocess that runs this very file with ``--aligner-server`` and speaks
JSON lines over stdin/stdout. Set one up with::

    python3 -m venv /tmp/align-venv && /tmp/align-venv/bin/pip install "pocketsphinx>=5" scipy
    .venv/bin/python benchmarks/timestamp_accuracy.py --aligner-python /tmp/align-venv/bin/python
        [--set eval|tune] [--voices af_heart,am_michael,bf_emma] [--speeds 1.0] [--show 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(os.environ.get("KOE_ASSETS", ROOT / "web" / "public"))
MEDIAN_TARGET, P90_TARGET = 0.050, 0.120

# Written for this benchmark. Plain dictionary words (no numbers or symbols), so the
# aligner is given exactly the words that were spoken.
TUNE = [
    "The kettle whistled while we argued about the map.",
    "Nobody expected the quiet librarian to win the dance contest.",
    "Please close the window before the rain comes in.",
    "Her brother painted the fence a bright shade of green.",
    "We walked along the river until the lights came on.",
    "The old dog slept in the sun, dreaming of rabbits.",
    "If you listen closely, you can hear the ocean from here.",
    "My grandmother keeps her buttons in a blue tin box.",
    "They built a small boat and sailed it across the lake.",
    "Every morning the baker opens his shop at dawn.",
    "A sudden gust of wind scattered the papers across the yard.",
    "I would rather read a book than watch the news tonight.",
]

EVAL = [
    "The train to the coast leaves from the northern platform.",
    "She folded the letter twice and hid it under her pillow.",
    "Good morning, everyone, and welcome to the annual meeting.",
    "The children laughed when the puppet fell off the stage.",
    "We ran out of milk, so I went to the corner store.",
    "His voice was calm, but his hands were shaking.",
    "The museum closes early on the last day of the month.",
    "Could you pass me the salt and the pepper, please?",
    "The garden smells of roses after a summer storm.",
    "Our neighbor repairs old clocks in his garage.",
    "The pilot announced that we would land in twenty minutes.",
    "A thin layer of frost covered the windows this morning.",
    "Nobody knew where the strange music was coming from.",
    "The students listened carefully as the teacher explained the rules.",
    "I left my umbrella on the bus again.",
    "The candle flickered and then went out.",
    "Mountains rose sharply behind the little village.",
    "He promised to call as soon as he arrived.",
    "The soup was too hot, so we waited a few minutes.",
    "They painted the kitchen yellow last spring.",
    "Somewhere in the distance, a dog began to bark.",
    "The library will be closed for repairs until next week.",
    "She plays the violin beautifully, although she rarely practices.",
    "The bridge was built more than a century ago.",
    "Bring a warm jacket, because the evenings get cold.",
    "My cousin moved to a small town near the border.",
    "The report was finished just before the deadline.",
    "Birds gathered on the wire above the empty street.",
    "We should leave now if we want to catch the ferry.",
    "The farmer counted his sheep twice before nightfall.",
    "A gentle breeze carried the smell of fresh bread.",
    "The engineer checked every bolt on the old machine.",
    "Thank you for waiting, your table is ready.",
    "The waves crashed against the rocks all night long.",
    "After dinner, we played cards by the fire.",
    "The doctor told him to rest for a week.",
]
SETS = {"tune": TUNE, "eval": EVAL}


# --- synthesis with word times (the Koe side) ---------------------------------------------------

def synthesize(engine, text: str, voice: str, speed: float, raw: bool = False):
    """The whole utterance and its word timings.

    By default exactly what the product gives: the engine's chunks with their ``words``.
    ``raw``: times on the bare duration grid instead (no acoustic lead, no silence trimming),
    recomputed from the same model run, to show what the calibration adds.
    """
    from koe.runtime import iterate_sync
    from koe.timestamps import merge_words, token_times

    if not raw:
        audio, words = array("f"), []
        for chunk in engine.synthesize(text, voice, speed):
            audio.extend(chunk.samples)
            words.extend(chunk.words)
        return audio, merge_words(words)

    from koe.joins import sound_bounds
    from koe.runtime import run_sync
    from koe.timestamps import WordTimer

    plan = run_sync(engine.aplan(text, voice, speed))
    timer = WordTimer(plan.text, plan.normalized)
    audio, words = array("f"), []
    for index, chunk in enumerate(iterate_sync(engine.astream(text, plan=plan))):
        ids = engine.vocab.encode(chunk.phonemes)
        style = run_sync(engine.voice_bank.style(plan.blend, len(ids)))
        model_audio, durations = run_sync(engine.infer_with_durations(ids, style, plan.speed))
        # the chunk as played has its edge silence trimmed (koe.joins): shift by what was cut
        first_model, _ = sound_bounds(model_audio, engine.sample_rate)
        first_played, _ = sound_bounds(chunk.samples, engine.sample_rate)
        cut = first_model - first_played
        times = token_times(plan.chunks[index].tokens, durations, engine.vocab.mapping,
                            offset=(len(audio) - cut) / engine.sample_rate, speed=plan.speed, lead=0.0,
                            sample_rate=engine.sample_rate)
        audio.extend(chunk.samples)
        words.extend(timer.words(times, final=index + 1 == len(plan.chunks)))
    return audio, merge_words(words)


def spoken_words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z']+", text)]


# --- the aligner (the oracle side, another interpreter) ----------------------------------------

def aligner_server() -> int:
    """JSON lines in: {"audio": path of float32 24 kHz samples, "words": [...]}; out: {"segments": [[word, start, end]]}."""
    import numpy as np
    from pocketsphinx import Decoder
    from scipy.signal import resample_poly

    decoder = Decoder(samprate=16000, loglevel="FATAL")
    for line in sys.stdin:
        request = json.loads(line)
        samples = np.fromfile(request["audio"], dtype="<f4")
        pcm = (np.clip(resample_poly(samples, 2, 3), -1, 1) * 32767).astype("<i2").tobytes()
        try:
            decoder.set_align_text(" ".join(request["words"]))
            decoder.start_utt()
            decoder.process_raw(pcm, full_utt=True)
            decoder.end_utt()
            frate = int(decoder.config["frate"])
            found = decoder.seg()
            if decoder.hyp() is None or found is None:
                raise RuntimeError("no alignment found")
            reply = {"segments": [[s.word, s.start_frame / frate, (s.end_frame + 1) / frate] for s in found]}
        except RuntimeError as error:
            reply = {"error": str(error)}
        print(json.dumps(reply), flush=True)
    return 0


class AlignmentError(RuntimeError):
    pass


class Aligner:
    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen([python, __file__, "--aligner-server"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.folder = tempfile.TemporaryDirectory(prefix="koe-align-")

    def align(self, samples: array, words: list[str]) -> list[tuple[str, float, float]]:
        path = Path(self.folder.name) / "audio.f32"
        path.write_bytes(samples.tobytes())
        self.process.stdin.write(json.dumps({"audio": str(path), "words": words}) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        if "error" in reply:
            raise AlignmentError(f"pocketsphinx could not align {' '.join(words)!r}: {reply['error']}")
        return [(re.sub(r"\(\d+\)$", "", w), b, e) for w, b, e in reply["segments"]
                if w not in ("<s>", "</s>", "<sil>", "[NOISE]") and not w.startswith("+")]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.folder.cleanup()


def find_aligner_python(given: str | None) -> str:
    python = given or os.environ.get("KOE_ALIGNER_PYTHON")
    if python:
        return python
    if importlib.util.find_spec("pocketsphinx") is None or importlib.util.find_spec("scipy") is None:
        sys.exit("pocketsphinx is not importable here: pass --aligner-python (a venv with pocketsphinx>=5 and scipy)")
    return sys.executable


# --- the measure --------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(engine, aligner: Aligner, sentences: list[str], voice: str, speed: float, show: int,
            raw: bool = False) -> dict:
    errors, signed, end_errors, worst, failed = [], [], [], [], 0
    for text in sentences:
        audio, words = synthesize(engine, text, voice, speed, raw)
        ours = [w for w in words if not w.skipped]
        try:
            reference = aligner.align(audio, spoken_words(text))
        except AlignmentError:
            failed += 1  # the aligner found no path through the audio: no reference for this sentence
            continue
        if [r[0] for r in reference] != [w.text.lower() for w in ours]:
            failed += 1  # the aligner dropped or inserted words: no usable reference
            continue
        for word, (_, ref_start, ref_end) in zip(ours, reference):
            errors.append(abs(word.start - ref_start))
            signed.append(word.start - ref_start)
            end_errors.append(abs(word.end - ref_end))
            worst.append((abs(word.start - ref_start), word.text, text, word.start, ref_start))
    worst.sort(reverse=True)
    return {"voice": voice, "speed": speed, "sentences": len(sentences), "failed": failed, "words": len(errors),
            "median": statistics.median(errors), "p90": percentile(errors, 0.9), "mean_signed": statistics.fmean(signed),
            "median_end": statistics.median(end_errors), "worst": worst[:show]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aligner-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--aligner-python", help="an interpreter with pocketsphinx>=5 and scipy (or $KOE_ALIGNER_PYTHON)")
    parser.add_argument("--set", choices=sorted(SETS), default="eval")
    parser.add_argument("--voices", default="af_heart,am_michael,bf_emma")
    parser.add_argument("--speeds", default="1.0")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show", type=int, default=0, help="print the N worst words of each run")
    parser.add_argument("--raw", action="store_true",
                        help="times on the bare duration grid (no acoustic lead, no silence trimming): how ACOUSTIC_LEAD "
                             "was fitted, on --set tune")
    args = parser.parse_args(argv)
    if args.aligner_server:
        return aligner_server()

    sys.path.insert(0, str(ROOT / "py_core"))
    from koe.engine import Koe
    from koe.runtimes.onnxruntime import OnnxRuntime

    engine = Koe.load(ASSETS, OnnxRuntime(threads=args.threads))
    aligner = Aligner(find_aligner_python(args.aligner_python))
    sentences = SETS[args.set]
    print(f"word start error vs pocketsphinx forced alignment, {args.set} set ({len(sentences)} sentences)"
          + (", bare duration grid" if args.raw else ""))
    print(f"{'voice':<12}{'speed':>6}{'words':>7}{'median':>9}{'p90':>8}{'bias':>8}{'end med':>9}")
    runs = []
    try:
        for voice in args.voices.split(","):
            for speed in (float(s) for s in args.speeds.split(",")):
                run = measure(engine, aligner, sentences, voice, speed, args.show, args.raw)
                runs.append(run)
                print(f"{voice:<12}{speed:>6.2f}{run['words']:>7}{run['median'] * 1000:>7.0f}ms{run['p90'] * 1000:>6.0f}ms"
                      f"{run['mean_signed'] * 1000:>6.0f}ms{run['median_end'] * 1000:>7.0f}ms"
                      + (f"  (aligner failed on {run['failed']} sentences)" if run["failed"] else ""), flush=True)
                for error, word, text, ours, ref in run["worst"]:
                    print(f"      {error * 1000:5.0f} ms  {word!r} ours {ours:.3f} s, aligner {ref:.3f} s  in {text!r}")
    finally:
        aligner.close()
    first = runs[0]
    ok = first["median"] <= MEDIAN_TARGET and first["p90"] <= P90_TARGET
    print(f"\nheadline ({first['voice']}, speed {first['speed']}): median {first['median'] * 1000:.0f} ms "
          f"(target <= {MEDIAN_TARGET * 1000:.0f}), p90 {first['p90'] * 1000:.0f} ms (target <= {P90_TARGET * 1000:.0f}): "
          f"{'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
