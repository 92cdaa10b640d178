"""How much a matched custom voice sounds like its reference speaker (not a test).

For each reference speaker, four voices speak a sentence that neither the reference nor
the search used, and the table shows the speaker similarity (cosine of speaker
embeddings) of that speech to the reference:

* ``average``  the plain average of every preset voice;
* ``nearest``  the single preset closest to the reference by stored embedding;
* ``top-k``    the softmax-weighted top-k mix :func:`match_voice` starts from;
* ``matched``  the recipe :func:`match_voice` returns within ``--budget`` seconds.

References: preset voices left out of the bank (leave-one-out: the search cannot pick
them) and speakers that are not Kokoro voices, made with espeak-ng (``apt-get install
espeak-ng``; for this benchmark only). References go through the real path: a WAV file
decoded and resampled by :mod:`koe.adapters.audio_in`, checked by ``prepare_reference``.

    .venv/bin/python benchmarks/voice_match_quality.py [--budget 30] [--voices af_sky,bm_lewis]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py_core"))

from koe.adapters.audio_in import load_reference  # noqa: E402
from koe.custom_voices import match_voice, starting_mix  # noqa: E402
from koe.engine import Koe  # noqa: E402
from koe.runtime import run_sync  # noqa: E402
from koe.runtimes.onnxruntime import OnnxRuntime  # noqa: E402
from koe.speaker import SpeakerEncoder, cosine, prepare_reference  # noqa: E402
from koe.wav import encode_wav  # noqa: E402

REFERENCE_TEXT = ("Four hours of steady work faced us. The swan dive was far short of perfect. "
                  "A large size in stockings is hard to sell.")
EVAL_TEXT = "The boy was there when the sun rose, and he took the oath of office that day."
DEFAULT_VOICES = "af_sky,am_michael,bf_emma,bm_lewis,af_nicole,am_onyx"
DEFAULT_ESPEAK = "en-us,en-us+f3,en-gb-x-rp+m2"


def espeak_reference(voice: str, folder: str) -> str | None:
    if not shutil.which("espeak-ng"):
        return None
    path = os.path.join(folder, f"espeak_{voice.replace('+', '_')}.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", path, REFERENCE_TEXT], check=True)
    return path


def similarity(engine, encoder, spec: str, reference: list[float]) -> float:
    return cosine(reference, encoder.embed(engine.synthesize_all(EVAL_TEXT, spec), engine.sample_rate))


def spec_of(weights) -> str:
    return "+".join(f"{v}({w:.4f})" for v, w in dict(weights).items())


def run(args: argparse.Namespace) -> int:
    runtime = OnnxRuntime(threads=args.threads)
    engine = Koe.load(None, runtime)
    encoder = SpeakerEncoder.load(engine.assets, runtime)
    bank = engine.voice_bank
    folder = tempfile.mkdtemp(prefix="koe-match-")
    references = []
    for voice in filter(None, args.voices.split(",")):
        path = os.path.join(folder, f"{voice}.wav")
        Path(path).write_bytes(encode_wav(engine.synthesize_all(REFERENCE_TEXT, voice), engine.sample_rate))
        references.append((voice, path, bank.presets[voice].language, voice))
    for voice in filter(None, args.espeak.split(",")):
        path = espeak_reference(voice, folder)
        if path is None:
            print("espeak-ng is not installed: skipping the non-Kokoro speakers", file=sys.stderr)
            break
        references.append((f"espeak {voice}", path, "en-gb" if "en-gb" in voice else "en-us", None))

    rows = []
    for label, path, language, held_out in references:
        reference = prepare_reference(load_reference(path))
        embedding = encoder.embed(reference.samples)
        removed = bank.presets.pop(held_out) if held_out else None
        try:
            average = {v: 1.0 for v in bank.presets}
            pool, start = starting_mix(bank, embedding, language)
            started, steps = time.monotonic(), [0]
            recipe = run_sync(match_voice(engine, encoder, embedding, language=language, budget_s=args.budget,
                                          progress=lambda p: steps.append(p.step)))
            seconds = time.monotonic() - started
            row = {
                "reference": label,
                "average": similarity(engine, encoder, spec_of(average), embedding),
                "nearest": similarity(engine, encoder, pool[0], embedding),
                "top-k": similarity(engine, encoder, spec_of(start), embedding),
                "matched": similarity(engine, encoder, recipe.spec, embedding),
                "probe": recipe.score or 0.0, "seconds": seconds, "steps": steps[-1], "recipe": recipe.spec,
            }
        finally:
            if removed is not None:
                bank.presets[held_out] = removed
        rows.append(row)
        print(f"{label}: " + ", ".join(f"{k} {row[k]:.3f}" for k in ("average", "nearest", "top-k", "matched"))
              + f" ({steps[-1]} steps, {seconds:.0f} s) {row['recipe']}", file=sys.stderr, flush=True)

    header = f"{'reference':<24} {'average':>8} {'nearest':>8} {'top-k':>8} {'matched':>8} {'probe':>7} {'steps':>6} {'search s':>9}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['reference']:<24} {row['average']:>8.3f} {row['nearest']:>8.3f} {row['top-k']:>8.3f} "
              f"{row['matched']:>8.3f} {row['probe']:>7.3f} {row['steps']:>6} {row['seconds']:>9.1f}")
    if rows:
        mean = {k: sum(r[k] for r in rows) / len(rows) for k in ("average", "nearest", "top-k", "matched", "probe")}
        print("-" * len(header))
        print(f"{'mean':<24} {mean['average']:>8.3f} {mean['nearest']:>8.3f} {mean['top-k']:>8.3f} "
              f"{mean['matched']:>8.3f} {mean['probe']:>7.3f}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=30.0, help="search seconds per reference (default 30)")
    parser.add_argument("--voices", default=DEFAULT_VOICES, help="preset voices used as left-out references")
    parser.add_argument("--espeak", default=DEFAULT_ESPEAK, help="espeak-ng voices used as non-Kokoro references")
    parser.add_argument("--threads", type=int, default=0)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
