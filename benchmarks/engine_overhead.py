"""Engine overhead: total synthesis time versus the onnxruntime session calls inside it.

Everything that is not the Kokoro graph (normalization, G2P incl. the neural
fallback graph, chunking, style selection, tensor conversion) counts as overhead.
Target: <= 5 %. The "peer" is the bare onnxruntime call on the same token ids.

    .venv/bin/python benchmarks/engine_overhead.py [--runs 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py_core"))

from koe.engine import Koe  # noqa: E402
from koe.runtimes.onnxruntime import OnnxRuntime  # noqa: E402

TEXTS = {
    "plain": "The old lighthouse keeper climbed the stairs every evening. He lit the lamp, wiped the glass, "
             "and watched the ships pass safely along the rocky coast until morning came.",
    "hard": "On Jan. 5, 2024 at 3:30pm, Dr. Smith paid $1,234.56 (about 15% more than in the 1990s) for 12 kg "
            "of Kokoro-branded widgets from NASA's e-shop at https://www.example.com/shop; the FBI wasn't amused.",
}


def measure(engine: Koe, text: str, voice: str) -> tuple[float, float, float, int, float]:
    sessions = engine.runtime.sessions
    kokoro = engine.session
    before = {id(s): (s.seconds, s.calls) for s in sessions}
    started = time.perf_counter()
    audio = engine.synthesize_all(text, voice)
    total = time.perf_counter() - started
    model = kokoro.seconds - before[id(kokoro)][0]
    other_graphs = sum(s.seconds - before[id(s)][0] for s in sessions if s is not kokoro)
    calls = kokoro.calls - before[id(kokoro)][1]
    return total, model, other_graphs, calls, len(audio) / engine.sample_rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--voice", default="af_heart")
    args = parser.parse_args()
    engine = Koe.load(None, OnnxRuntime(threads=args.threads))
    for name, text in TEXTS.items():
        measure(engine, text, args.voice)  # warm-up: lexicon load, first-call allocations
        rows = [measure(engine, text, args.voice) for _ in range(args.runs)]
        total = statistics.median(r[0] for r in rows)
        model = statistics.median(r[1] for r in rows)
        graphs = statistics.median(r[2] for r in rows)
        calls, audio = rows[0][3], rows[0][4]
        overhead = (total - model) / model * 100
        print(f"{name:6s} {audio:5.1f} s audio, {calls} chunk(s): total {total:.3f} s, Kokoro session {model:.3f} s, "
              f"G2P graph {graphs * 1000:.1f} ms, engine overhead {overhead:+.2f} % "
              f"(target <= 5 %), RTF {total / audio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
