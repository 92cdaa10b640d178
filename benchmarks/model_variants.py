"""Native cost of each Kokoro model variant: download size, load time, speed, memory.

    .venv/bin/python benchmarks/model_variants.py [--model-dir web/public/model] [--runs 3] [--rounds 1]

For int8 (as shipped), fp32 and int8w (see tools/make_float_model.py) it prints the file
size, session creation time, real-time factor (synthesis seconds / audio seconds, best of
``--runs`` in each of ``--rounds`` fresh processes) with 1 and 2 intra-op threads on a ~9 s
sentence, and the process RSS right after the session is created (and its peak after
synthesis). Each variant is measured in a fresh subprocess so memory figures do not include
the other models. Variants missing (or stale) in ``--model-dir`` are built into
.cache/model-variants first.

Timings are wall-clock on whatever CPU this runs on; on a shared machine they are noisy,
so compare variants from the same run only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SR = 24000
# ~9.3 s with af_heart; phonemes from the en-us lexicon so G2P is not part of the measurement.
SENTENCE = ("wˈʌns əpˈɑn A tˈIm, ɪn A smˈɔl vˈɪlɪʤ æt ði ˈɛʤ ʌv A kwˈIət fˈɔɹəst, "
            "ðɛɹ lˈɪvd æn ˈOld klˈɑkmˌAkəɹ hˌu ɹəpˈɛɹd ˈɛvəɹi bɹˈOkən klˈɑk ɪn tˈWn.")
OPTIONS = {"int8": {}, "fp32": {}, "int8w": {"session.disable_quant_qdq": "1"}}


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory of this process from /proc (Linux); NaN elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def measure(path: Path, options: dict[str, str], assets: Path, runs: int) -> dict:
    """One variant, in this process: load with 1 thread, time it, then reload with 2 threads."""
    import numpy as np
    import onnxruntime as ort

    vocab = json.loads((assets / "model" / "vocab.json").read_text(encoding="utf-8"))
    vocab = vocab.get("vocab", vocab)
    voice = np.fromfile(assets / "embeddings" / "af_heart.bin", dtype="<f4").reshape(-1, 256)
    ids = [vocab[c] for c in SENTENCE]
    feed = {"tokens": np.array([[0, *ids, 0]], dtype=np.int64), "style": voice[len(ids)][None, :].copy(),
            "speed": np.ones(1, dtype=np.float32)}
    result = {"size_mb": path.stat().st_size / 1e6, "rss_before_mb": rss_mb()}
    for threads in (1, 2):
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        for key, value in options.items():
            opts.add_session_config_entry(key, value)
        start = time.perf_counter()
        session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        create = time.perf_counter() - start
        if threads == 1:
            result["create_s"], result["rss_after_load_mb"] = create, rss_mb()
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            audio = session.run(["audio"], feed)[0]
            best = min(best, time.perf_counter() - start)
        result["audio_s"] = audio.size / SR
        result[f"rtf_{threads}t"] = best / result["audio_s"]
        if threads == 1:
            result["rss_peak_mb"] = rss_mb("VmHWM")
        del session
    return result


def ensure_variants(model_dir: Path) -> dict[str, Path]:
    """int8 plus the derived variants, from model_dir or (if absent there) freshly built."""
    sys.path.insert(0, str(ROOT / "tools"))
    import make_float_model as tool

    src = model_dir / "kokoro-v1.0.int8.onnx"
    names = list(tool.VARIANTS)
    out_dir = model_dir if not tool.stale(src, model_dir, names) else ROOT / ".cache" / "model-variants"
    with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the results
        return {"int8": src, **tool.build(src, out_dir, names)}

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=ROOT / "web" / "public" / "model")
    parser.add_argument("--assets", type=Path, default=ROOT / "web" / "public", help="for vocab.json and af_heart.bin")
    parser.add_argument("--runs", type=int, default=3, help="synthesis runs per session (best is kept)")
    parser.add_argument("--rounds", type=int, default=1, help="fresh processes per variant (best is kept; memory from the first)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--worker", nargs=2, metavar=("VARIANT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        variant, path = args.worker
        print(json.dumps(measure(Path(path), OPTIONS[variant], args.assets, args.runs)))
        return 0

    paths = ensure_variants(args.model_dir)
    results: dict[str, dict] = {}
    for _ in range(args.rounds):  # round-robin, so a burst of load on a shared CPU hits every variant alike
        for variant, path in paths.items():
            proc = subprocess.run([sys.executable, __file__, "--worker", variant, str(path), "--assets", str(args.assets),
                                   "--runs", str(args.runs)], capture_output=True, text=True, check=True)
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            best = results.setdefault(variant, got)
            for key in ("create_s", "rtf_1t", "rtf_2t"):
                best[key] = min(best[key], got[key])
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    audio_s = next(iter(results.values()))["audio_s"]
    print(f"sentence: {audio_s:.2f} s of audio; RTF = synthesis s / audio s, best of {args.runs} x {args.rounds}; "
          f"RSS after session creation (1 thread)")
    print(f"{'variant':8} {'size MB':>8} {'create s':>9} {'RTF 1t':>7} {'RTF 2t':>7} {'RSS MB':>7} {'peak MB':>8}")
    for variant, r in results.items():
        print(f"{variant:8} {r['size_mb']:8.1f} {r['create_s']:9.2f} {r['rtf_1t']:7.3f} {r['rtf_2t']:7.3f} "
              f"{r['rss_after_load_mb']:7.0f} {r['rss_peak_mb']:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
