"""In-browser figures for Koe (headless Chromium, CPU backend): printed, not asserted.

    .venv/bin/python benchmarks/browser_bench.py [--models int8w,int8] [--runs 3] [--threads N] [--json]
    .venv/bin/python benchmarks/browser_bench.py --webgpu-after-probe [--probe-cap-ms 45000]

For each model variant, in a fresh browser profile (cold cache) it measures:

* first load: navigation -> engine ready, and bytes the server sent (cold), then the same after a
  reload (warm: service-worker cache);
* synthesis of a ~10 s paragraph through the whole engine (Pyodide: normalization, G2P, chunking,
  voices, the JS bridge) -> total time, time to first audio, RTF (best of --runs, after a warm-up);
* the same model run by plain onnxruntime-web in its own worker on *the same inputs* the engine
  recorded (tokens, style, speed per chunk), same options and threads -> the engine's overhead;
* the bridge alone: time around ``session.run`` as seen from Python minus the time inside it in JS.

With ``--webgpu-after-probe`` (Chromium's software WebGPU adapter, SwiftShader: minutes per
word) it measures instead the time of one WebGPU word ("Hi.") on a page opened in Auto whose
probe overran its (lowered) cap and was abandoned, and on a page opened with ``?backend=cpu``
that never probed, in that order, each in a fresh browser.

Timings are wall-clock on a possibly shared machine: compare figures from one run only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from web_fixtures import Browser, StaticServer, browser_requirements  # noqa: E402

PARAGRAPH = ("Once upon a time, in a small village at the edge of a quiet forest, there lived an old clockmaker. "
             "Every morning he opened his shop, wound every clock on the wall, and waited for the town to wake up.")

PLAIN_CREATE = """async ({ modelPath, options, threads }) => {
  window.__plain = new Worker('/bench/ort-worker.mjs', { type: 'module' });
  window.__ask = (msg) => new Promise((resolve) => { window.__plain.onmessage = (e) => resolve(e.data); window.__plain.postMessage(msg); });
  return await window.__ask({ type: 'create', modelUrl: new URL(modelPath, location.href).href, options, threads, backend: 'wasm' });
}"""

PLAIN_RUN = """async ({ chunks }) => await window.__ask({ type: 'run', chunks })"""

SYNTH = """async ({ text, record }) => {
  const r = await window.koe.synthesize({ text, voice: 'af_heart', backend: 'cpu', record });
  return { timings: r.timings, inputs: record ? r.inputs : null, samples: r.samples.length, summary: { ...r.summary, inputs: null } };
}"""


def measure_model(model: str, runs: int, threads: int | None) -> dict:
    query = f"?backend=cpu&model={model}" + (f"&threads={threads}" if threads else "")
    extra = {"/bench/ort-worker.mjs": ROOT / "benchmarks" / "browser_ort_worker.mjs"}
    out: dict = {"model": model}
    with StaticServer(extra=extra) as server, Browser() as browser:
        started = time.perf_counter()
        browser.goto(server.url + query)
        info = browser.wait_ready(timeout=600)
        if "error" in info:
            raise RuntimeError(info["error"])
        if info["model"] != model:
            return {"model": model, "missing": True}
        out.update(first_load_s=time.perf_counter() - started, engine_load_ms=info["loadMs"], cold_bytes=server.bytes_sent,
                   threads=info["threads"], isolated=info["crossOriginIsolated"])

        # Warm-up (first inference, dictionary), then the paragraph with its model inputs recorded.
        browser.evaluate(SYNTH, {"text": "Warming up.", "record": False}, timeout=600)
        recorded = browser.evaluate(SYNTH, {"text": PARAGRAPH, "record": True}, timeout=900)
        audio_s = recorded["samples"] / 24000
        created = browser.evaluate(PLAIN_CREATE, {"modelPath": info["modelPath"], "options": info["modelOptions"],
                                                  "threads": info["threads"]}, timeout=900)
        if "error" in created:
            raise RuntimeError(created["error"])
        browser.evaluate(PLAIN_RUN, {"chunks": recorded["inputs"]}, timeout=900)  # its warm-up
        # Alternate engine and plain runs, so load from other processes hits both alike.
        engine, plain = [], []
        for _ in range(runs):
            engine.append(browser.evaluate(SYNTH, {"text": PARAGRAPH, "record": False}, timeout=900)["timings"])
            result = browser.evaluate(PLAIN_RUN, {"chunks": recorded["inputs"]}, timeout=900)
            if "error" in result:
                raise RuntimeError(result["error"])
            plain.append(result["ms"])
        ratios = sorted(e["totalMs"] / p for e, p in zip(engine, plain))
        best = min(engine, key=lambda t: t["totalMs"])
        out.update(
            audio_s=audio_s, chunks=best["chunks"],
            engine_total_ms=best["totalMs"], engine_ttfa_ms=best["firstChunkMs"], engine_rtf=best["totalMs"] / 1000 / audio_s,
            engine_runs_ms=[round(t["totalMs"]) for t in engine],
            ort_inside_engine_ms=best["ortMs"], model_calls_ms=best["modelMs"],
            plain_ort_ms=min(plain), plain_ort_runs_ms=[round(t) for t in plain], plain_create_ms=created["createMs"],
            overhead_pct=100 * (statistics.median(ratios) - 1),
            bridge_ms=best["modelMs"] - best["ortMs"],
            # Same run, same ORT instance: everything that is not the model's session.run.
            outside_model_pct=100 * (best["totalMs"] - best["ortMs"]) / best["ortMs"],
        )

        # Second visit: everything from the service worker's cache.
        server.reset()
        started = time.perf_counter()
        browser.call("await ctx.page.reload({ waitUntil: 'load' });")
        again = browser.wait_ready(timeout=600)
        out.update(warm_load_s=time.perf_counter() - started, warm_bytes=server.bytes_sent,
                   warm_engine_load_ms=again.get("loadMs"))
    return out


WEBGPU_WORD = """async () => {
  const progress = [];
  const t0 = performance.now();
  const r = await window.koe.synthesize({ text: 'Hi.', voice: 'af_heart', backend: 'webgpu',
    onProgress: (p) => progress.push([Math.round(performance.now() - t0), p.message]) });
  const waited = progress.filter(([, m]) => m.startsWith('Waiting for the GPU')).map(([t]) => t);
  return { ms: performance.now() - t0, modelMs: r.timings.modelMs, backend: r.timings.backend,
    gpuWaitMs: waited.length ? waited[waited.length - 1] : 0 };
}"""


def webgpu_after_probe(probe_cap_ms: int) -> int:
    """One WebGPU word after an abandoned Auto probe vs on a page that never probed (issue 14)."""
    rows = []
    for label, query in (("after an abandoned Auto probe", f"?backend=auto&nosw=1&probeFallbackAdapter=1&probeCapMs={probe_cap_ms}&webgpuStartMs=900000"),
                         ("never probed (?backend=cpu)", "?backend=cpu&nosw=1")):
        with StaticServer() as server, Browser(webgpu=True) as browser:
            started = time.perf_counter()
            browser.goto(server.url + query)
            info = browser.wait_ready(timeout=900)
            if "error" in info:
                raise RuntimeError(info["error"])
            ready_s = time.perf_counter() - started
            word = browser.evaluate(WEBGPU_WORD, timeout=1800)
            rows.append((label, ready_s, info["reason"], word))
            print(f"{label}: ready in {ready_s:.1f} s ({info['reason']}); WebGPU word {word['ms'] / 1000:.1f} s on "
                  f"{word['backend']} (GPU wait about {word['gpuWaitMs'] / 1000:.0f} s, model {word['modelMs'] / 1000:.1f} s)",
                  flush=True)
    (_, _, _, after), (_, _, _, never) = rows
    print(f"WebGPU word after an abandoned probe / never probed: {after['ms'] / never['ms']:.2f}x")
    return 0


def report(results: list[dict]) -> None:
    for r in results:
        if "error" in r:
            print(f"\n[{r['model']}] failed: {r['error']}", flush=True)
            continue
        if r.get("missing"):
            print(f"\n[{r['model']}] not in this build (skipped)")
            continue
        print(f"\n[{r['model']}] CPU (WASM), {r['threads']} thread(s), cross-origin isolated: {r['isolated']}")
        print(f"  first load (cold):  {r['first_load_s']:.1f} s to ready, {r['cold_bytes'] / 1e6:.1f} MB transferred")
        print(f"  reload (warm):      {r['warm_load_s']:.1f} s to ready, {r['warm_bytes'] / 1e6:.2f} MB transferred")
        print(f"  paragraph:          {r['audio_s']:.1f} s of audio in {r['chunks']} chunks")
        print(f"  engine (Pyodide):   {r['engine_total_ms'] / 1000:.2f} s total, first audio after {r['engine_ttfa_ms'] / 1000:.2f} s, "
              f"RTF {r['engine_rtf']:.2f}  (runs: {r['engine_runs_ms']} ms)")
        print(f"  plain ORT-web:      {r['plain_ort_ms'] / 1000:.2f} s  (runs: {r['plain_ort_runs_ms']} ms)")
        print(f"  outside the model:  {r['outside_model_pct']:+.1f}% (engine total vs its own time inside session.run: "
              f"Pyodide, G2P, chunking, voices, bridge, copies)")
        print(f"  engine overhead:    {r['overhead_pct']:+.1f}% vs plain ORT-web on the same inputs (median of paired runs) "
              f"(bridge: {r['bridge_ms']:.0f} ms; inside session.run: {r['ort_inside_engine_ms'] / 1000:.2f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="int8w,int8", help="comma-separated: int8w, fp32, int8")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--webgpu-after-probe", action="store_true",
                        help="time one WebGPU word after an abandoned Auto probe vs on a page that never probed")
    parser.add_argument("--probe-cap-ms", type=int, default=45000, help="the lowered Auto probe cap (--webgpu-after-probe)")
    args = parser.parse_args(argv)
    why = browser_requirements()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 1
    if args.webgpu_after_probe:
        return webgpu_after_probe(args.probe_cap_ms)
    results = []
    for model in [m.strip() for m in args.models.split(",") if m.strip()]:
        try:
            result = measure_model(model, args.runs, args.threads)
        except Exception as error:  # keep measuring the other variants
            result = {"model": model, "error": str(error).splitlines()[0][:300]}
        results.append(result)
        if not args.json:
            report([result])
    if args.json:
        print(json.dumps(results, indent=1))
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
