"""How to keep every core busy: intra-op threads per model run versus model runs at once.

The same batch of chunks (sentences of typical length, token ids and style
vectors prepared by the engine) is run through the Kokoro graph in several
layouts, and each reports wall time, chunks per second, and CPU use (process
CPU seconds per wall second, 100% = one core):

* ``runs=R threads=T sessions=S``: R runner threads pull chunks from one queue
  and call ``InferenceSession.run`` (which is thread-safe) on S sessions with T
  intra-op threads each.

Then memory: the speed of a session with onnxruntime's CPU arena on and off
(chunks alternated between the two), and RSS after a long text with the arena
on (default), off, and with ``arena_extend_strategy=kSameAsRequested``, each
before and after ``malloc_trim(0)`` (glibc).

    .venv/bin/python benchmarks/stress/threads_vs_sessions.py [--chunks 16] [--memory] [--skip-layouts]

Figures are only meaningful on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import queue
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "py_core"))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from koe.assets import MODEL, default_asset_dir  # noqa: E402
from koe.engine import Koe  # noqa: E402
from koe.runtime import run_sync  # noqa: E402
from koe.runtimes.onnxruntime import OnnxRuntime  # noqa: E402

SENTENCES = [
    "The lighthouse keeper climbed the winding stairs every evening just before the sun went down.",
    "He trimmed the wick, polished the great lens, and watched the ships sail past the rocks.",
    "Short one.",
    "In the winter storms the waves would crash against the tower, and the whole building seemed to tremble.",
    "Yet the light never failed.",
    "When at last he grew too old to climb, his granddaughter took the keys and carried on his quiet work.",
    "Please call me back before noon.",
    "A quick brown fox jumps over the lazy dog, then naps beside the barn until the farmer comes home.",
]


def feeds_for(engine: Koe, count: int) -> list[dict]:
    """Model inputs for ``count`` chunks cycling through SENTENCES."""
    blend = engine.resolve_voice("af_heart")
    feeds = []
    for i in range(count):
        plan = run_sync(engine.aplan(SENTENCES[i % len(SENTENCES)], "af_heart"))
        for chunk in plan.chunks:
            ids = engine.vocab.encode(chunk.phonemes)
            style = run_sync(engine.voice_bank.style(blend, len(ids)))
            feeds.append({"tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                          "style": np.array([list(style)], dtype=np.float32),
                          "speed": np.array([1.0], dtype=np.float32)})
    return feeds[:count]


def session(threads: int, **config: str) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    for key, value in config.items():
        if key == "enable_cpu_mem_arena":
            opts.enable_cpu_mem_arena = value == "1"
        else:
            opts.add_session_config_entry(key, value)
    return ort.InferenceSession(os.path.join(default_asset_dir(), MODEL), sess_options=opts,
                                providers=["CPUExecutionProvider"])


def run_layout(feeds: list[dict], runners: int, threads: int, sessions: int) -> tuple[float, float]:
    pool = [session(threads) for _ in range(sessions)]
    for s in pool:
        s.run(None, feeds[0])  # warm-up
    work: queue.Queue = queue.Queue()
    for feed in feeds:
        work.put(feed)

    def runner(index: int) -> None:
        s = pool[index % len(pool)]
        while True:
            try:
                feed = work.get_nowait()
            except queue.Empty:
                return
            s.run(None, feed)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    threads_ = [threading.Thread(target=runner, args=(i,)) for i in range(runners)]
    for t in threads_:
        t.start()
    for t in threads_:
        t.join()
    wall = time.perf_counter() - wall0
    return wall, (time.process_time() - cpu0) / wall


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def malloc_trim() -> bool:
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


def memory_layout(engine: Koe, label: str, **config: str) -> None:
    """RSS before/after a long synthesis with these session options, and after malloc_trim."""
    text = " ".join(SENTENCES * 6)
    s = session(2, **config)
    blend = engine.resolve_voice("af_heart")
    plan = run_sync(engine.aplan(text, "af_heart"))
    base = rss_mb()
    started = time.perf_counter()
    for chunk in plan.chunks:
        ids = engine.vocab.encode(chunk.phonemes)
        style = run_sync(engine.voice_bank.style(blend, len(ids)))
        s.run(None, {"tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                     "style": np.array([list(style)], dtype=np.float32), "speed": np.array([1.0], dtype=np.float32)})
    took = time.perf_counter() - started
    after = rss_mb()
    trim_started = time.perf_counter()
    malloc_trim()
    trim_ms = (time.perf_counter() - trim_started) * 1000
    print(f"{label:34s} {len(plan.chunks):2d} chunks in {took:5.2f} s; RSS {base:6.0f} -> {after:6.0f} MB, "
          f"after malloc_trim {rss_mb():6.0f} MB ({trim_ms:.1f} ms)")
    del s


def arena_speed(feeds: list[dict], rounds: int = 3) -> None:
    """Arena on vs off, chunk by chunk alternately (so a busy machine slows both alike): seconds per chunk."""
    on, off = session(1), session(1, enable_cpu_mem_arena="0")
    on.run(None, feeds[0]), off.run(None, feeds[0])
    spent = {"on": 0.0, "off": 0.0}
    for _ in range(rounds):
        for feed in feeds:
            for name, s in (("on", on), ("off", off)):
                started = time.perf_counter()
                s.run(None, feed)
                spent[name] += time.perf_counter() - started
    runs = rounds * len(feeds)
    print(f"arena on {spent['on'] / runs * 1000:.0f} ms/chunk, off {spent['off'] / runs * 1000:.0f} ms/chunk "
          f"(off/on {spent['off'] / spent['on']:.2f}; alternated, 1 thread)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=16)
    parser.add_argument("--memory", action="store_true", help="also compare the memory layouts")
    parser.add_argument("--skip-layouts", action="store_true", help="only the memory comparison")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    engine = Koe.load(None, OnnxRuntime(threads=1))
    feeds = feeds_for(engine, args.chunks)
    tokens = sum(f["tokens"].shape[1] for f in feeds)
    print(f"{len(feeds)} chunks, {tokens} tokens; {cores} cores; load average {os.getloadavg()[0]:.2f}")
    layouts = [(1, 1, 1), (1, cores, 1), (cores, 1, 1), (cores, 1, cores), (cores, cores, 1)]
    for runners, threads, sessions in layouts if not args.skip_layouts else ():
        wall, cpu = run_layout(feeds, runners, threads, sessions)
        print(f"runs={runners} threads={threads} sessions={sessions}: {wall:6.2f} s, "
              f"{len(feeds) / wall:5.2f} chunks/s, CPU {cpu * 100:4.0f}%")
    if args.memory:
        arena_speed(feeds)
        memory_layout(engine, "arena on (default)")
        memory_layout(engine, "arena kSameAsRequested", **{"arena_extend_strategy": "1"})
        memory_layout(engine, "arena off", enable_cpu_mem_arena="0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
