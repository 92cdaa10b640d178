"""The page's figures (issue 11): printed, not asserted. Headless Chromium on localhost, CPU backend.

    .venv/bin/python benchmarks/page_bench.py                   # every section below
    .venv/bin/python benchmarks/page_bench.py --only load,synth,stop
    .venv/bin/python benchmarks/page_bench.py --only ort --models int8w,int8 --builds plain,asyncify
    .venv/bin/python benchmarks/page_bench.py --only memory --runs 50
    .venv/bin/python benchmarks/page_bench.py --only languages
    .venv/bin/python benchmarks/page_bench.py --assets /path/to/another/public   # e.g. an older build

Sections:

* ``load``: cold first visit (fresh profile) and warm reloads (service-worker cache) to the
  Generate button, with the engine's own breakdown of where the time went (``info.phases``);
* ``synth``: a sentence and a paragraph through ``koe.stream`` (after a first synthesis):
  time to first audio (TTFA), total, TTFA as a fraction of the total, chunk sizes, RTF, and
  *stalls*: with playback starting when the first chunk arrives, the time the listener would
  hear nothing while synthesis is still running;
* ``playback``: the paragraph through the page's Generate button and player, with the scheduler
  and without it (each chunk played as it arrives), alternating: first sound, stalls, the end;
* ``stop``: a long text, Stop after its first chunk: how long until the stream ends (Stop
  latency), the model worker's restart cost, and a one-sentence Generate right after (its TTFA);
* ``ort``: plain onnxruntime-web (no Pyodide) on the paragraph's recorded model inputs, for each
  onnxruntime-web build x thread count x model variant (first run and best of the rest);
* ``memory``: ``--runs`` syntheses in a row in the page, the JS heap
  (``performance.measureUserAgentSpecificMemory`` where the browser allows it, else
  ``performance.memory``) and the engine worker's Pyodide heap after each (the curve);
* ``languages``: for each language, the bytes its first use downloads, the time to load its
  front end in Pyodide (first use), and the time to phonemize a ~200-character paragraph in
  Pyodide and natively (CPython, same code);
* ``native``: benchmarks/native_vs_kokoro_onnx.py if it is there (the native engine vs
  kokoro-onnx), else skipped.

Timings are wall-clock on a possibly shared machine: compare figures from one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "py_core"))

from web_fixtures import PUBLIC, Browser, StaticServer, browser_requirements  # noqa: E402

SENTENCE = "The quick brown fox jumps over the lazy dog."
PARAGRAPH = ("Once upon a time, in a small village at the edge of a quiet forest, there lived an old clockmaker. "
             "Every morning he opened his shop, wound every clock on the wall, and waited for the town to wake up. "
             "Children pressed their noses to the window to watch the gears turn, and he always waved back.")
LONG_TEXT = " ".join([PARAGRAPH] * 4)
ORT_DIST = ROOT / "node_modules" / "onnxruntime-web" / "dist"
ORT_BUILDS = {"plain": ("ort.wasm.min.mjs", "ort-wasm-simd-threaded"), "asyncify": ("ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify"),
              "jspi": ("ort.jspi.min.mjs", "ort-wasm-simd-threaded.jspi"), "jsep": ("ort.min.mjs", "ort-wasm-simd-threaded.jsep")}
#: ~200 characters per language (written for this benchmark).
LANG_TEXTS = {
    "en-us": "The library opens at nine on weekdays. Bring your card, return the books you borrowed last month, "
             "and ask at the front desk if you need help finding a quiet room to study.",
    "es": "La biblioteca abre a las nueve entre semana. Trae tu tarjeta, devuelve los libros del mes pasado "
          "y pregunta en el mostrador si necesitas una sala tranquila para estudiar.",
    "fr": "La bibliothèque ouvre à neuf heures en semaine. Apportez votre carte, rendez les livres du mois dernier "
          "et demandez à l'accueil si vous cherchez une salle calme pour travailler.",
    "it": "La biblioteca apre alle nove nei giorni feriali. Porta la tessera, restituisci i libri del mese scorso "
          "e chiedi al banco se ti serve una sala tranquilla per studiare.",
    "pt-br": "A biblioteca abre às nove durante a semana. Traga seu cartão, devolva os livros do mês passado "
             "e pergunte no balcão se precisar de uma sala tranquila para estudar.",
    "hi": "पुस्तकालय सप्ताह के दिनों में नौ बजे खुलता है। अपना कार्ड लाइए, पिछले महीने की किताबें लौटाइए और "
          "पढ़ने के लिए शांत कमरा चाहिए तो काउंटर पर पूछिए।",
    "ja": "図書館は平日の朝九時に開きます。カードを持ってきて、先月借りた本を返してください。静かな部屋で勉強したい場合は、"
          "受付で聞いてください。週末は午前十時から午後五時までです。",
    "zh": "图书馆在工作日早上九点开门。请带上你的借书卡，把上个月借的书还回来。如果你需要一个安静的房间学习，"
          "可以在前台问一下。周末的开放时间是上午十点到下午五点。",
}
LANG_VOICES = {"en-us": "af_heart", "es": "ef_dora", "fr": "ff_siwis", "it": "if_sara", "pt-br": "pf_dora",
               "hi": "hf_alpha", "ja": "jf_alpha", "zh": "zf_xiaobei"}


def log(message: str) -> None:
    print(message, flush=True)


def open_page(server: StaticServer, browser: Browser, query: str = "?backend=cpu", timeout: float = 600) -> tuple[float, dict]:
    started = time.perf_counter()
    browser.goto(server.url + query)
    info = browser.wait_ready(timeout=timeout)
    if "error" in info:
        raise RuntimeError(info["error"])
    return time.perf_counter() - started, info


def wait_warmed(browser: Browser, timeout: float = 300) -> None:
    browser.call("""
        const deadline = Date.now() + args.ms;
        while (!(await ctx.page.evaluate(async () => (await window.koe.stats()).warmed))) {
          if (Date.now() > deadline) throw new Error('not warmed in time');
          await new Promise((r) => setTimeout(r, 250));
        }
    """, ms=timeout * 1000, timeout=timeout + 10)


# --- load ------------------------------------------------------------------------------------------

def section_load(server: StaticServer, reloads: int) -> dict:
    out: dict = {}
    with Browser() as browser:
        server.reset()
        cold_s, info = open_page(server, browser)
        out["cold"] = {"s": cold_s, "bytes": server.bytes_sent, "loadMs": info.get("loadMs"), "phases": info.get("phases"),
                       "python": info.get("pythonStart")}
        # First audio of a sentence right after ready (warm-up may still be running: that counts).
        first = browser.evaluate(STREAM, {"text": SENTENCE}, timeout=600)
        out["cold"]["first_audio_after_ready_s"] = first["ttfa"] / 1000
        wait_warmed(browser)
        out["warm"] = []
        for _ in range(reloads):
            server.reset()
            started = time.perf_counter()
            browser.call("await ctx.page.reload({ waitUntil: 'load' });")
            again = browser.wait_ready(timeout=600)
            warm = {"s": time.perf_counter() - started, "bytes": server.bytes_sent, "loadMs": again.get("loadMs"),
                    "phases": again.get("phases"), "python": again.get("pythonStart"),
                    "files": sorted({p for _, p, _ in server.requests})[:20]}
            first = browser.evaluate(STREAM, {"text": SENTENCE}, timeout=600)
            warm["first_audio_after_ready_s"] = first["ttfa"] / 1000
            wait_warmed(browser)
            out["warm"].append(warm)
    return out


def report_load(r: dict) -> None:
    def phases(p):
        return ", ".join(f"{k} {v / 1000:.2f}" for k, v in (p or {}).items()) or "(no breakdown in this build)"
    c = r["cold"]
    log(f"  cold: {c['s']:.1f} s to ready ({c['bytes'] / 1e6:.1f} MB), first audio of a sentence {c['first_audio_after_ready_s']:.2f} s after ready")
    log(f"        phases (s, from the worker's start): {phases(c['phases'])}; Python: {c.get('python')}")
    for w in r["warm"]:
        log(f"  warm: {w['s']:.1f} s to ready ({w['bytes'] / 1e6:.2f} MB), first audio {w['first_audio_after_ready_s']:.2f} s after ready")
        log(f"        phases: {phases(w['phases'])}; Python: {w.get('python')}" + (f"; fetched {w['files']}" if w["bytes"] else ""))


# --- synthesis -------------------------------------------------------------------------------------

STREAM = """async ({ text, voice, lang, cancelAfter }) => {
  const t0 = performance.now();
  const stream = window.koe.stream({ text, voice: voice || 'af_heart', lang, backend: 'cpu', wav: false });
  const chunks = [];
  let cancelledAt = null;
  for await (const chunk of stream) {
    chunks.push({ at: performance.now() - t0, seconds: chunk.samples.length / chunk.sampleRate, tokens: chunk.phonemes.length, text: chunk.text });
    if (cancelAfter && chunks.length >= cancelAfter && cancelledAt === null) { cancelledAt = performance.now() - t0; stream.cancel(); }
  }
  const end = performance.now() - t0;
  return { ttfa: chunks.length ? chunks[0].at : null, total: end, chunks, cancelledAt, summary: { ...stream.summary, inputs: null } };
}"""


def stalls(chunks: list[dict]) -> tuple[float, int]:
    """Seconds of silence while synthesis runs, playback starting at the first chunk's arrival."""
    if not chunks:
        return 0.0, 0
    clock = chunks[0]["at"] / 1000 + chunks[0]["seconds"]
    silent, count = 0.0, 0
    for c in chunks[1:]:
        arrives = c["at"] / 1000
        if arrives > clock:
            silent += arrives - clock
            count += 1
            clock = arrives
        clock += c["seconds"]
    return silent, count


def section_synth(server: StaticServer, runs: int) -> dict:
    out: dict = {}
    with Browser() as browser:
        open_page(server, browser)
        browser.evaluate(STREAM, {"text": "Warming up."}, timeout=600)
        for name, text in (("sentence", SENTENCE), ("paragraph", PARAGRAPH)):
            results = [browser.evaluate(STREAM, {"text": text}, timeout=900) for _ in range(runs)]
            best = min(results, key=lambda r: r["total"])
            audio = sum(c["seconds"] for c in best["chunks"])
            silent, count = stalls(best["chunks"])
            out[name] = {"ttfa_s": best["ttfa"] / 1000, "total_s": best["total"] / 1000, "audio_s": audio,
                         "ttfa_fraction": best["ttfa"] / best["total"], "rtf": best["total"] / 1000 / audio,
                         "chunk_tokens": [c["tokens"] for c in best["chunks"]], "stall_s": silent, "stalls": count,
                         "runs_total_s": [round(r["total"] / 1000, 2) for r in results]}
    return out


def report_synth(r: dict) -> None:
    for name, s in r.items():
        log(f"  {name}: TTFA {s['ttfa_s']:.2f} s, total {s['total_s']:.2f} s for {s['audio_s']:.1f} s of audio "
            f"(TTFA {100 * s['ttfa_fraction']:.0f}% of total, RTF {s['rtf']:.2f}); chunks (phoneme chars) {s['chunk_tokens']}; "
            f"stalls {s['stall_s']:.2f} s in {s['stalls']}; runs {s['runs_total_s']}")


# --- stop ------------------------------------------------------------------------------------------

STOP_AND_GO = """async ({ text, sentence }) => {
  const t0 = performance.now();
  const stream = window.koe.stream({ text, voice: 'af_heart', backend: 'cpu', wav: false });
  let first = null, stopAt = null, samplesAfterStop = 0;
  for await (const chunk of stream) {
    if (first === null) { first = performance.now() - t0; stopAt = performance.now(); stream.cancel(); }
    else samplesAfterStop += chunk.samples.length;
  }
  const stopMs = performance.now() - stopAt;
  const t1 = performance.now();
  const again = window.koe.stream({ text: sentence, voice: 'af_heart', backend: 'cpu', wav: false });
  let ttfa = null;
  for await (const chunk of again) if (ttfa === null) ttfa = performance.now() - t1;
  const stats = await window.koe.stats();
  return { first, stopMs, samplesAfterStop, ttfaAfter: ttfa, totalAfter: performance.now() - t1, summary: { ...stream.summary, inputs: null }, restarts: stats.restarts || null };
}"""


def section_stop(server: StaticServer, runs: int) -> dict:
    with Browser() as browser:
        open_page(server, browser)
        browser.evaluate(STREAM, {"text": "Warming up."}, timeout=600)
        results = [browser.evaluate(STOP_AND_GO, {"text": LONG_TEXT, "sentence": SENTENCE}, timeout=900) for _ in range(runs)]
    return {"runs": results}


def report_stop(r: dict) -> None:
    for x in r["runs"]:
        restart = x.get("restarts") or []
        last = restart[-1] if restart else {}
        log(f"  Stop after the first chunk ({x['first'] / 1000:.2f} s): stream ended {x['stopMs']:.0f} ms after cancel() "
            f"({x['summary'].get('chunks')} of {x['summary'].get('total')} chunks); then a sentence: first audio "
            f"{x['ttfaAfter'] / 1000:.2f} s, done {x['totalAfter'] / 1000:.2f} s; model worker restart "
            f"{(last.get('ms') or 0) / 1000:.2f} s" if last else "  (no restart recorded: this build does not terminate runs)")


# --- onnxruntime-web builds x threads x models -------------------------------------------------------

ORT_PAGE = "<!doctype html><meta charset=utf-8><title>ort bench</title>"

ORT_CREATE = """async ({ key, modelPath, options, threads, build, level }) => {
  window.__plain = window.__plain || {};
  if (window.__plain[key]) window.__plain[key].terminate();
  const worker = window.__plain[key] = new Worker('/bench/ort-worker.mjs', { type: 'module' });
  worker.ask = (msg) => new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.postMessage(msg); });
  return await worker.ask({ type: 'create', modelUrl: new URL('/' + modelPath, location.href).href, options, threads, backend: 'wasm', build, level });
}"""

ORT_RUN = """async ({ key, chunks }) => await window.__plain[key].ask({ type: 'run', chunks })"""

ORT_CLOSE = """() => { for (const w of Object.values(window.__plain || {})) w.terminate(); window.__plain = {}; }"""

def recorded_inputs(model_path: str, options: dict, text: str) -> list[dict]:
    """The model inputs (per chunk) of ``text`` with af_heart, from the native engine (the same as the browser's)."""
    from koe.engine import Koe
    from koe.runtimes.onnxruntime import OnnxRuntime

    engine = Koe.load(PUBLIC, OnnxRuntime(threads=1), model=model_path, model_options=options)
    recorded = []
    run = engine.session.run

    async def recording_run(feeds):
        recorded.append({name: {"dtype": t.dtype, "shape": list(t.shape), "data": t.data.tolist()} for name, t in feeds.items()})
        return await run(feeds)

    engine.session.run = recording_run
    engine.synthesize_all(text, "af_heart", 1.0)
    return recorded


def ort_extra() -> dict[str, Path]:
    extra = {"/bench/ort-worker.mjs": ROOT / "benchmarks" / "browser_ort_worker.mjs"}
    for path in ORT_DIST.iterdir():
        if path.suffix in (".mjs", ".wasm") and path.name.startswith("ort"):
            extra[f"/bench/ort/{path.name}"] = path
    return extra


def section_ort(models: list[str], builds: list[str], threads: list[int], runs: int, levels: list[str]) -> dict:
    """Every build at a thread count is created, then their runs alternate (A B A B ...), so that a
    change of load on a shared machine hits them alike."""
    manifest = json.loads((PUBLIC / "koe-manifest.json").read_text())
    variants = {m["key"]: m for m in manifest["models"] if m["path"] in manifest["files"]}
    rows = []
    page = Path(os.environ.get("TMPDIR", "/tmp")) / "koe-ort-bench.html"
    page.write_text(ORT_PAGE)
    with StaticServer(extra={**ort_extra(), "/bench/page.html": page}) as server, Browser() as browser:
        browser.goto(server.url + "bench/page.html")
        cores = browser.evaluate("() => navigator.hardwareConcurrency")
        for model in models:
            if model not in variants:
                log(f"  [{model}] not in this build (skipped)")
                continue
            variant = variants[model]
            chunks = recorded_inputs(variant["path"], variant["options"], PARAGRAPH)
            for n in threads or list(range(1, cores + 1)):
                created = {}
                for build in builds:
                    c = browser.evaluate(ORT_CREATE, {"key": build, "modelPath": variant["path"], "options": variant["options"],
                                                      "threads": n, "build": build}, timeout=900)
                    if "error" in c:
                        rows.append({"model": model, "build": build, "threads": n, "error": c["error"].splitlines()[0][:200]})
                        log(f"  {model} {build} x{n}: {rows[-1]['error']}")
                    else:
                        created[build] = c
                times: dict[str, list[float]] = {b: [] for b in created}
                samples = 0
                for _ in range(runs + 1):
                    for build in created:
                        result = browser.evaluate(ORT_RUN, {"key": build, "chunks": chunks}, timeout=900)
                        if "error" in result:
                            raise RuntimeError(result["error"])
                        times[build].append(result["ms"])
                        samples = result["samples"]
                browser.evaluate(ORT_CLOSE)
                audio_s = samples / 24000
                for build, c in created.items():
                    t = times[build]
                    row = {"model": model, "build": build, "threads": n, "init_ms": c["initMs"], "create_ms": c["createMs"],
                           "first_ms": t[0], "best_ms": min(t[1:]), "median_ms": statistics.median(t[1:]),
                           "audio_s": audio_s, "rtf": min(t[1:]) / 1000 / audio_s}
                    rows.append(row)
                    log(f"  {model} {build:8} x{n}: runtime init {row['init_ms']:.0f} ms, session {row['create_ms']:.0f} ms, "
                        f"first run {row['first_ms'] / 1000:.2f} s, best {row['best_ms'] / 1000:.2f} s, median {row['median_ms'] / 1000:.2f} s "
                        f"(RTF {row['rtf']:.2f}, {audio_s:.1f} s of audio)")
            for level in levels:
                n = max(threads or [cores])
                c = browser.evaluate(ORT_CREATE, {"key": "level", "modelPath": variant["path"], "options": variant["options"],
                                                  "threads": n, "build": builds[0], "level": level}, timeout=900)
                if "error" in c:
                    log(f"  {model} graph optimization '{level}': {c['error'].splitlines()[0][:200]}")
                    continue
                t = [browser.evaluate(ORT_RUN, {"key": "level", "chunks": chunks}, timeout=900)["ms"] for _ in range(2)]
                browser.evaluate(ORT_CLOSE)
                rows.append({"model": model, "build": builds[0], "threads": n, "level": level, "create_ms": c["createMs"],
                             "first_ms": t[0], "best_ms": min(t)})
                log(f"  {model} {builds[0]} x{n}, graph optimization '{level}': session {c['createMs']:.0f} ms, runs "
                    f"{t[0] / 1000:.2f} s, {t[1] / 1000:.2f} s")
    return {"cores": cores, "rows": rows}


# --- memory ----------------------------------------------------------------------------------------

HEAP = """async (full) => {
  let uaMemory = null;
  // measureUserAgentSpecificMemory waits for a garbage collection (up to a minute): every 10th run only.
  if (full && self.crossOriginIsolated && performance.measureUserAgentSpecificMemory) {
    try { uaMemory = (await performance.measureUserAgentSpecificMemory()).bytes; } catch { uaMemory = null; }
  }
  const m = performance.memory || {};
  const stats = await window.koe.stats();
  return { uaMemory, pageHeap: m.usedJSHeapSize || null, worker: stats.memory || null };
}"""


def section_memory(server: StaticServer, runs: int) -> dict:
    texts = [SENTENCE, PARAGRAPH, "Numbers like 3.14, dates like Jan. 5, 2024, and $5.50 too."]
    curve = []
    with Browser(extra_flags=["--enable-precise-memory-info"]) as browser:
        open_page(server, browser)
        curve.append({"run": 0, **browser.evaluate(HEAP, True, timeout=120)})
        for i in range(1, runs + 1):
            browser.evaluate(STREAM, {"text": texts[i % len(texts)]}, timeout=900)
            curve.append({"run": i, **browser.evaluate(HEAP, i % 10 == 0 or i == runs, timeout=120)})
            point = curve[-1]
            w = point["worker"] or {}
            log(f"  after {i:3}: page JS heap {mb(point['pageHeap'])}, all (UA-specific) {mb(point['uaMemory'])}, "
                f"worker JS heap {mb(w.get('jsHeap'))}, Pyodide heap {mb(w.get('pyodideHeap'))}")
    return {"curve": curve}


def mb(value) -> str:
    return f"{value / 1e6:.1f} MB" if value else "n/a"


# --- languages -------------------------------------------------------------------------------------

LANG_FIRST_USE = """async ({ code, voice, text }) => {
  const progress = [];
  const t0 = performance.now();
  const first = await window.koe.phonemize({ text: text.slice(0, 12), voice }).catch((e) => ({ error: e.message }));
  const firstUseMs = performance.now() - t0;
  const t2 = performance.now();
  await window.koe.phonemize({ text, voice }); // its words are new: nothing memoized yet
  const phonemizeFirstMs = performance.now() - t2;
  const times = [];
  let p = null;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    p = await window.koe.phonemize({ text, voice });
    times.push(performance.now() - t);
  }
  const installs = (await window.koe.stats()).installs.filter((x) => x.language === code);
  return { firstUseMs, phonemizeFirstMs, phonemizeMs: Math.min(...times), phonemes: p.phonemes, error: first.error || null,
    downloaded: installs.reduce((n, x) => n + x.downloadedBytes, 0), installMs: installs.reduce((n, x) => n + x.ms, 0) };
}"""


def native_phonemize_ms(code: str, text: str, voice: str) -> tuple[float, float]:
    from koe.engine import Koe
    from koe.runtimes.onnxruntime import OnnxRuntime

    engine = Koe.load(PUBLIC, OnnxRuntime(threads=1))
    started = time.perf_counter()
    engine.phonemize("Hello.", voice)  # loads the front end
    load_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    engine.phonemize(text, voice)  # its words are new: nothing memoized yet
    first_ms = (time.perf_counter() - started) * 1000
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        engine.phonemize(text, voice)
        best = min(best, (time.perf_counter() - started) * 1000)
    return load_ms, first_ms, best


def section_languages(server: StaticServer) -> dict:
    rows = {}
    with Browser() as browser:
        open_page(server, browser)
        languages = {l["code"]: l for l in browser.evaluate("async () => await window.koe.languages()")}
        for code, text in LANG_TEXTS.items():
            voice = LANG_VOICES[code]
            page = browser.evaluate(LANG_FIRST_USE, {"code": code, "voice": voice, "text": text}, timeout=900)
            load_ms, native_first_ms, native_ms = native_phonemize_ms(code, text, voice)
            rows[code] = {"bytes": languages.get(code, {}).get("bytes"), "chars": len(text), **page,
                          "native_load_ms": load_ms, "native_phonemize_first_ms": native_first_ms,
                          "native_phonemize_ms": native_ms}
            log(f"  {code:6} {rows[code]['bytes'] / 1e6 if rows[code]['bytes'] else 0:6.2f} MB; first use (download, install, "
                f"load the front end) {page['firstUseMs'] / 1000:.2f} s (install {page['installMs'] / 1000:.2f} s, "
                f"{page['downloaded'] / 1e6:.1f} MB downloaded); phonemize {len(text)} chars, first time: Pyodide "
                f"{page['phonemizeFirstMs']:.0f} ms, CPython {native_first_ms:.0f} ms; again (memoized words): Pyodide "
                f"{page['phonemizeMs']:.0f} ms, CPython {native_ms:.1f} ms; native front-end load {load_ms:.0f} ms"
                + (f"; error {page['error']}" if page["error"] else ""))
    return rows


# --- playback --------------------------------------------------------------------------------------

PLAYBACK = """async ({ text, schedule }) => {
  const app = window.koeApp;
  app.player.schedule = schedule;
  document.querySelector('[data-testid=text]').value = text;
  document.querySelector('[data-testid=text]').dispatchEvent(new Event('input', { bubbles: true }));
  const t0 = performance.now();
  document.querySelector('[data-testid=generate]').click();
  const until = async (ok, ms) => { const end = performance.now() + ms; while (!ok()) { if (performance.now() > end) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 50)); } };
  await until(() => app.player.stats.startedAt != null, 600000);
  const sound = app.player.stats.startedAt - t0;
  await until(() => !app.run && app.player.state === 'ended', 600000);
  const end = performance.now() - t0;
  const s = app.player.stats;
  return { firstSoundMs: sound, endMs: end, audio: app.player.duration, stalls: s.stalls, stalledSeconds: s.stalledSeconds, waitedMs: s.waitedMs };
}"""


def section_playback(server: StaticServer, runs: int) -> dict:
    """The paragraph through the page's own Generate and player, with its scheduler and without
    (each chunk played as it arrives), alternating: stalls the listener hears."""
    out: dict = {"scheduler": [], "as_it_arrives": []}
    with Browser() as browser:
        open_page(server, browser)
        browser.evaluate(PLAYBACK, {"text": SENTENCE, "schedule": True}, timeout=600)  # warm-up
        for run in range(runs):
            for schedule in ((True, False) if run % 2 == 0 else (False, True)):
                r = browser.evaluate(PLAYBACK, {"text": PARAGRAPH, "schedule": schedule}, timeout=900)
                out["scheduler" if schedule else "as_it_arrives"].append(r)
                log(f"  {'scheduler      ' if schedule else 'as it arrives  '}: first sound {r['firstSoundMs'] / 1000:.2f} s "
                    f"after Generate, {r['stalls']} stall(s) {r['stalledSeconds']:.2f} s, heard all {r['audio']:.1f} s of "
                    f"audio by {r['endMs'] / 1000:.1f} s")
    return out


# --- main ------------------------------------------------------------------------------------------

def native_first_audio(runs: int = 3) -> dict:
    """The native engine (koe.native, this machine's cores) on the sentence and the paragraph: time to
    the first chunk and to the end, best of ``runs`` after a warm-up, as the page's synth section."""
    from koe.native import load

    engine = load()
    list(engine.synthesize(SENTENCE, "af_heart"))  # warm-up: sessions, lexicon, voice
    out = {}
    for name, text in (("sentence", SENTENCE), ("paragraph", PARAGRAPH)):
        best = None
        for _ in range(runs):
            started = time.perf_counter()
            first, samples = None, 0
            for chunk in engine.synthesize(text, "af_heart"):
                first = first if first is not None else time.perf_counter() - started
                samples += len(chunk.samples)
            total = time.perf_counter() - started
            if best is None or total < best["total_s"]:
                best = {"ttfa_s": first, "total_s": total, "audio_s": samples / engine.sample_rate}
        best["ttfa_fraction"] = best["ttfa_s"] / best["total_s"]
        out[name] = best
        log(f"  native {name}: TTFA {best['ttfa_s']:.2f} s, total {best['total_s']:.2f} s for {best['audio_s']:.1f} s "
            f"of audio (TTFA {100 * best['ttfa_fraction']:.0f}% of total)")
    return out


def section_native() -> dict:
    native = native_first_audio()
    script = ROOT / "benchmarks" / "native_vs_kokoro_onnx.py"
    if not script.exists():
        log("  benchmarks/native_vs_kokoro_onnx.py is not there: skipped")
        return {"first_audio": native}
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True)
    log(result.stdout.rstrip() or result.stderr.rstrip()[-2000:])
    return {"first_audio": native, "returncode": result.returncode}


SECTIONS = ("load", "synth", "playback", "stop", "ort", "memory", "languages", "native")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(s for s in SECTIONS if s not in ("memory",)),
                        help=f"comma-separated sections: {', '.join(SECTIONS)} (memory is not in the default)")
    parser.add_argument("--assets", type=Path, default=None, help="serve this built web/public instead")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (memory: syntheses; default 3, memory 50)")
    parser.add_argument("--reloads", type=int, default=2)
    parser.add_argument("--models", default="int8w,int8")
    parser.add_argument("--builds", default="plain,asyncify")
    parser.add_argument("--threads", default="", help="comma-separated thread counts for 'ort' (default 1..cores)")
    parser.add_argument("--levels", default="", help="comma-separated graph optimization levels to time for 'ort' "
                                                     "(all, extended, basic, disabled; default none)")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this file")
    args = parser.parse_args(argv)
    why = browser_requirements()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 1
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    results: dict = {}
    root = args.assets or PUBLIC
    with StaticServer(root=root) as server:
        for section in sections:
            log(f"\n[{section}]")
            if section == "load":
                results[section] = section_load(server, args.reloads)
                report_load(results[section])
            elif section == "synth":
                results[section] = section_synth(server, args.runs or 3)
                report_synth(results[section])
            elif section == "playback":
                results[section] = section_playback(server, args.runs or 2)
            elif section == "stop":
                results[section] = section_stop(server, args.runs or 3)
                report_stop(results[section])
            elif section == "ort":
                threads = [int(t) for t in args.threads.split(",") if t.strip()]
                results[section] = section_ort([m for m in args.models.split(",") if m], [b for b in args.builds.split(",") if b],
                                               threads, args.runs or 3, [lv for lv in args.levels.split(",") if lv])
            elif section == "memory":
                results[section] = section_memory(server, args.runs or 50)
            elif section == "languages":
                results[section] = section_languages(server)
            elif section == "native":
                results[section] = section_native()
            else:
                print(f"unknown section {section!r}", file=sys.stderr)
                return 2
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
