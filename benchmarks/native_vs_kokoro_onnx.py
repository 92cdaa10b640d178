"""Koe's native engine against kokoro-onnx: same model, voice, text and threads, side by side in one process.

    .venv/bin/python benchmarks/native_vs_kokoro_onnx.py [--threads 1,2] [--pairs 3] [--peer-site DIR]
    .venv/bin/python benchmarks/native_vs_kokoro_onnx.py --chunk-cost [--threads 1]
    .venv/bin/python benchmarks/native_vs_kokoro_onnx.py --memory [--words 10000] [--threads 2]

Targets (issue 11): Koe's time <= 0.9x kokoro-onnx's; a 10,000-word ``koe say`` peaks at <= 700 MB
resident memory.

**The peer.** kokoro-onnx (PyPI, MIT) is a comparison only, never a dependency of Koe. Install it in
a venv of its own and point ``--peer-site`` (or ``$KOKORO_ONNX_SITE``) at that venv's site-packages::

    python -m venv /tmp/peer && /tmp/peer/bin/pip install kokoro-onnx     # tested with 0.6.1

Its folder is appended to ``sys.path`` *after* Koe's own, so kokoro-onnx and its espeak phonemizer
come from there while numpy and onnxruntime are the ones this process already imported: both
engines run on the very same onnxruntime build. kokoro-onnx gets an ``InferenceSession`` on the same
model file with the same ``intra_op_num_threads`` (and one inter-op thread) and its own defaults
otherwise; Koe gets :class:`koe.runtimes.onnxruntime.OnnxRuntime` as the product does. The voice
is ``af_heart`` for both: kokoro-onnx wants an ``.npz`` voices file, built here from Koe's pack.
The model Koe ships has a second output (``durations``); kokoro-onnx runs it unchanged.

**Timing.** Whole synthesis of :data:`TEXT` (plain prose, ~560 words; each engine's own front end,
chunking, pauses). After a warm-up of each, the two engines alternate (Koe first, then kokoro-onnx
first, ...), so both see the same load on a shared machine; the script prints each engine's median
and spread, and the median of the per-pair ratios Koe/kokoro-onnx. Token counts and chunking of
both are printed too: the engines' front ends differ, so they feed the model different token counts.

``--chunk-cost`` measures the model alone: the same token stream cut into chunks of K tokens
(identical content for every K), and the cost of the first chunk alone (time to first audio).
With one thread the script measures the thread's CPU time, which a shared machine disturbs far
less than wall time.

``--memory`` runs ``koe say -f TEXT -o out.wav`` on a ~10,000-word text (:data:`TEXT` repeated) in
a child process under ``/usr/bin/time -v`` (or ``getrusage`` where that is missing) and prints its
peak resident memory and synthesis time.

Timings are wall-clock on whatever CPU this runs on: on a shared machine compare only figures from
the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py_core"))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from koe.engine import Koe  # noqa: E402
from koe.runtime import run_sync  # noqa: E402
from koe.runtimes.onnxruntime import OnnxRuntime  # noqa: E402

ASSETS = ROOT / "web" / "public"
MODEL = ASSETS / "model" / "kokoro-v1.0.int8.onnx"
VOICE = "af_heart"
SAMPLE_RATE = 24000

#: Plain narrative prose: no numbers, abbreviations or names a front end could read differently.
TEXT = """\
The town sat at the mouth of a slow brown river, and every morning the fishing boats went out before \
the sun was up. Their engines coughed in the cold air, and the gulls followed them past the harbor wall, \
crying for scraps. By the time the bakery opened its shutters, the boats were small dark shapes on the \
gray water, and the streets smelled of bread and salt.

Anna had lived there all her life. She knew which of the old stone houses leaned a little to the left, \
which of the neighbors kept bees, and which dogs would bark at a bicycle and which would only watch it \
go by. Her grandfather had repaired nets in a shed behind the church, and when she was small she used \
to sit on an upturned crate and hand him the wooden needles while he told her about storms he had seen.

In the spring of her twelfth year, a stranger arrived on the afternoon bus. He was tall and thin, and he \
carried a leather case that looked far too heavy for him. He asked the woman at the post office where he \
might find a room, and she sent him to the widow who lived above the hardware store. Within a week, \
everyone in town had an opinion about him. Some said he was a painter, some said he was a doctor who had \
lost his license, and the boys at the harbor swore that he was a spy.

The truth turned out to be simpler and stranger. The man was a clockmaker, and the case held his tools. \
He had come because the clock on the church tower had not moved in forty years, and he had read about it \
in an old book. He wanted to see whether it could be made to run again. The priest laughed when he heard \
this, but he gave the stranger the key to the tower anyway.

Anna followed him up the narrow stairs on the first day, and on the second, and on every day after that. \
The room at the top was full of dust and pigeon feathers, and the great iron wheels of the clock stood \
silent in the middle of it like the bones of some enormous animal. The clockmaker did not seem to mind \
her company. He showed her how to clean each gear with a soft brush and a little oil, how to listen for \
the click of a tooth that had worn too thin, and how to be patient when nothing seemed to change.

On the last day of August, the clockmaker set the pendulum swinging and stepped back. For a long moment \
nothing happened. Then, with a sound like a deep breath, the hands began to move. Down in the square, \
people stopped and looked up. The fishermen, coming home with their nets, saw the hands of the clock \
pointing to the right time for the first time in their lives, and one of them took off his cap.

The stranger left on the morning bus a week later. He did not say where he was going. But every hour, \
for as long as Anna lived in that town, the bell in the tower rang out over the roofs and the river, and \
she always stopped whatever she was doing to listen.
"""


# --- the peer ------------------------------------------------------------------------------------

def import_peer(site: str | None):
    """kokoro_onnx from its own venv's site-packages (appended after Koe's, so numpy/onnxruntime are shared)."""
    if site:
        if not os.path.isdir(site):
            sys.exit(f"--peer-site {site}: no such folder")
        sys.path.append(site)
    try:
        import kokoro_onnx
    except ImportError as error:
        sys.exit(f"kokoro-onnx is not importable ({error}). Install it in its own venv "
                 "(python -m venv /tmp/peer && /tmp/peer/bin/pip install kokoro-onnx) and pass "
                 "--peer-site /tmp/peer/lib/python3.X/site-packages")
    return kokoro_onnx


def peer_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kokoro-onnx")
    except PackageNotFoundError:
        return "?"


def voices_npz(folder: Path) -> str:
    """kokoro-onnx's voices file (an .npz of [510, 1, 256] packs) holding Koe's af_heart pack."""
    pack = np.fromfile(ASSETS / "embeddings" / f"{VOICE}.bin", dtype="<f4").reshape(510, 1, 256)
    path = folder / "voices.npz"
    np.savez(path, **{VOICE: pack})
    return str(path)


def peer_engine(kokoro_onnx, threads: int, voices: str):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(MODEL), sess_options=options, providers=["CPUExecutionProvider"])
    return kokoro_onnx.Kokoro.from_session(session, voices)


def peer_plan(kokoro, text: str) -> list[int]:
    """Token count of each batch kokoro-onnx will synthesize (its own espeak phonemes and splitter)."""
    _, _, batches = kokoro._prepare(text, VOICE, 1.0, "en-us", False, 0.25, 0.1)  # noqa: SLF001 (a peer's internals)
    return [len(kokoro.tokenizer.tokenize(phonemes)) for phonemes, _ in batches]


def peer_once(kokoro, text: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds of the process, audio seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    audio, rate = kokoro.create(text, voice=VOICE, speed=1.0, lang="en-us")
    return time.perf_counter() - started, time.process_time() - cpu, len(audio) / rate


# --- Koe -----------------------------------------------------------------------------------------

def koe_engine(threads: int) -> Koe:
    return Koe.load(ASSETS, OnnxRuntime(threads=threads))


def koe_plan(engine: Koe, text: str) -> list[int]:
    plan = run_sync(engine.aplan(text, VOICE))
    return [engine.vocab.count(chunk.phonemes) for chunk in plan.chunks]


def koe_once(engine: Koe, text: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds of the process, audio seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    audio = engine.synthesize_all(text, VOICE)
    return time.perf_counter() - started, time.process_time() - cpu, len(audio) / SAMPLE_RATE


# --- reports -------------------------------------------------------------------------------------

def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def compare(args: argparse.Namespace) -> None:
    kokoro_onnx = import_peer(args.peer_site)
    print(f"onnxruntime {ort.__version__}, numpy {np.__version__}, kokoro-onnx {peer_version()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"model {MODEL.relative_to(ROOT)}, voice {VOICE}, text {len(TEXT.split())} words")
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        voices = voices_npz(Path(tmp))
        for threads in args.threads:
            koe, peer = koe_engine(threads), peer_engine(kokoro_onnx, threads, voices)
            koe_chunks, peer_chunks = koe_plan(koe, TEXT), peer_plan(peer, TEXT)
            print(f"\n== {threads} thread(s)")
            print(f"Koe:         {sum(koe_chunks)} tokens in {len(koe_chunks)} chunks {koe_chunks}")
            print(f"kokoro-onnx: {sum(peer_chunks)} tokens in {len(peer_chunks)} batches {peer_chunks}")
            first = TEXT.split("\n\n")[0]
            koe_once(koe, first)  # warm-up: lexicons, first allocations
            peer_once(peer, first)
            times: dict[str, list[float]] = {"koe": [], "peer": []}
            cpu: dict[str, list[float]] = {"koe": [], "peer": []}
            audio: dict[str, float] = {}
            ratios, cpu_ratios = [], []
            for pair in range(args.pairs):
                order = ("koe", "peer") if pair % 2 == 0 else ("peer", "koe")
                took, used = {}, {}
                for name in order:
                    took[name], used[name], audio[name] = (koe_once(koe, TEXT) if name == "koe"
                                                           else peer_once(peer, TEXT))
                    times[name].append(took[name])
                    cpu[name].append(used[name])
                ratios.append(took["koe"] / took["peer"])
                cpu_ratios.append(used["koe"] / used["peer"])
                print(f"  pair {pair + 1}: Koe {took['koe']:.2f} s (CPU {used['koe']:.1f} s), kokoro-onnx "
                      f"{took['peer']:.2f} s (CPU {used['peer']:.1f} s), ratio {ratios[-1]:.3f}", flush=True)
            for name, label in (("koe", "Koe:        "), ("peer", "kokoro-onnx:")):
                print(f"{label} {spread(times[name])}, CPU {statistics.median(cpu[name]):.1f} s, "
                      f"{audio[name]:.1f} s audio, RTF {statistics.median(times[name]) / audio[name]:.3f}")
            ratio = statistics.median(ratios)
            print(f"Koe / kokoro-onnx: median of pairs {ratio:.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
                  f"target <= 0.9. CPU time: {statistics.median(cpu_ratios):.3f} "
                  f"({min(cpu_ratios):.3f}-{max(cpu_ratios):.3f})")
            summary.append((threads, statistics.median(times["koe"]), statistics.median(times["peer"]), ratio,
                            min(ratios), max(ratios), statistics.median(cpu_ratios), sum(koe_chunks),
                            sum(peer_chunks)))
            del koe, peer
    print("\n| threads | Koe (median) | kokoro-onnx (median) | Koe/kokoro-onnx (median of pairs, range) "
          "| CPU-time ratio | tokens Koe / kokoro-onnx |")
    print("|---|---|---|---|---|---|")
    for threads, koe_s, peer_s, ratio, low, high, cpu_ratio, koe_tokens, peer_tokens in summary:
        print(f"| {threads} | {koe_s:.1f} s | {peer_s:.1f} s | {ratio:.3f} ({low:.3f}-{high:.3f}) | {cpu_ratio:.3f} | "
              f"{koe_tokens} / {peer_tokens} |")


def chunk_cost(args: argparse.Namespace) -> None:
    """The model alone on one token stream cut into chunks of K tokens, K from 20 to 510."""
    engine = Koe.load(ASSETS, OnnxRuntime(threads=1))
    plan = run_sync(engine.aplan(TEXT, VOICE))
    ids = [i for chunk in plan.chunks for i in engine.vocab.encode(chunk.phonemes + " ")][:args.stream_tokens]
    pack = np.fromfile(ASSETS / "embeddings" / f"{VOICE}.bin", dtype="<f4").reshape(510, 256)
    sizes = [20, 40, 60, 100, 150, 200, 300, 400, 510]
    for threads in args.threads:
        runtime = OnnxRuntime(threads=threads)
        session = run_sync(runtime.load(str(MODEL)))._session  # noqa: SLF001 (the bare onnxruntime session)
        clock = time.thread_time if threads == 1 else time.perf_counter

        def stream(size: int) -> tuple[float, float]:
            spent = samples = 0.0
            for start in range(0, len(ids), size):
                piece = ids[start:start + size]
                feeds = {"tokens": np.array([[0, *piece, 0]], dtype=np.int64),
                         "style": pack[min(len(piece), len(pack) - 1)][None, :], "speed": np.ones(1, np.float32)}
                began = clock()
                audio = session.run(None, feeds)[0]
                spent += clock() - began
                samples += len(audio)
            return spent, samples / SAMPLE_RATE

        stream(100)  # warm-up
        results: dict[int, list[float]] = {size: [] for size in sizes}
        seconds: dict[int, float] = {}
        for rep in range(args.reps):
            for size in sizes if rep % 2 == 0 else sizes[::-1]:
                spent, seconds[size] = stream(size)
                results[size].append(spent)
        what = "CPU time of the thread" if threads == 1 else "wall time"
        print(f"\n== model cost of {len(ids)} tokens cut into chunks of K tokens, {threads} thread(s), {what}, "
              f"median of {args.reps}")
        print("| K (tokens per chunk) | total | ms per token | audio | model s per audio s | one chunk of K |")
        print("|---|---|---|---|---|---|")
        for size in sizes:
            total = statistics.median(results[size])
            first = total * size / len(ids)  # the mean cost of one chunk of K: time to first audio if it is first
            print(f"| {size} | {total:.2f} s | {total / len(ids) * 1000:.2f} | {seconds[size]:.1f} s | "
                  f"{total / seconds[size]:.3f} | ~{first:.2f} s |")


def memory(args: argparse.Namespace) -> None:
    """Peak resident memory and time of ``koe say`` on a long text, in a child process."""
    repeats = -(-args.words // len(TEXT.split()))
    text = "\n\n".join([TEXT.strip()] * repeats)
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "long.txt", Path(tmp) / "out.wav"
        source.write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "koe.cli", "--threads", str(args.threads[0]), "say", "-f", str(source),
                   "-o", str(out), "--voice", VOICE]
        timer = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
        if timer:
            command = [timer, "-v", *command]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "py_core"), os.environ.get("PYTHONPATH", "")])}
        print(f"koe say: {len(text.split())} words, {args.threads[0]} thread(s), load average {os.getloadavg()[0]:.1f}",
              flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"koe say failed ({done.returncode}):\n{done.stderr[-2000:]}")
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak_mb = int(peak.group(1)) / 1024 if peak else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        wrote = re.search(r"wrote .*", done.stderr)
        print(wrote.group(0) if wrote else done.stderr.strip()[-500:])
        print(f"peak resident memory {peak_mb:.0f} MB (target <= 700 MB); process wall time {wall:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--pairs", type=int, default=3, help="alternating Koe/kokoro-onnx pairs per thread count")
    parser.add_argument("--peer-site", default=os.environ.get("KOKORO_ONNX_SITE"),
                        help="site-packages of a venv with kokoro-onnx (default $KOKORO_ONNX_SITE)")
    parser.add_argument("--chunk-cost", action="store_true", help="model cost versus chunk length instead")
    parser.add_argument("--stream-tokens", type=int, default=1200, help="--chunk-cost: tokens in the stream")
    parser.add_argument("--reps", type=int, default=2, help="--chunk-cost: repetitions")
    parser.add_argument("--memory", action="store_true", help="peak memory of koe say on a long text instead")
    parser.add_argument("--words", type=int, default=10000, help="--memory: words of text")
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit(f"missing {MODEL}; run ./build.sh first")
    if args.memory:
        memory(args)
    elif args.chunk_cost:
        chunk_cost(args)
    else:
        compare(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
