"""The engine in the page (koe.mjs + the worker), in headless Chromium with the real model.

One page load for the whole file, in this order: other languages in Pyodide (issue 8), the small
first chunk and Stop (issue 11), then offline voices (issue 11), which takes the browser offline.
No timings are asserted except Stop's, which is structural: a stream that waited for the model
run in progress would end seconds after cancel(), not within one.
"""

from __future__ import annotations

import numpy as np
import pytest

from koe.runtime import run_sync
from web_fixtures import Browser, StaticServer, browser_requirements

pytestmark = pytest.mark.skipif(browser_requirements() is not None, reason=browser_requirements() or "")

JAPANESE = ("jf_alpha", "駅の近くに新しいお店ができました。")
SPANISH = ("ef_dora", "¿Dónde está la estación? Está cerca del parque, a dos calles.")
PARAGRAPH = ("When the storm finally passed, the village woke to a strange silence. Fishermen walked down to the "
             "harbour to count their boats, and children ran along the beach looking for treasures the waves had left. "
             "By noon the bakery had opened again, and the smell of fresh bread drifted through the narrow streets.")
LONG_TEXT = " ".join([PARAGRAPH] * 3)

STREAM = """async ({ text, voice, lang }) => {
  const progress = [];
  const stream = window.koe.stream({ text, voice, lang, backend: 'cpu', wav: false,
    onProgress: (p) => progress.push({ phase: p.phase, message: p.message || '' }) });
  const chunks = [];
  let samples = [];
  for await (const chunk of stream) {
    chunks.push({ phonemes: chunk.phonemes, words: chunk.words, n: chunk.samples.length });
    samples = samples.concat(Array.from(chunk.samples));
  }
  return { chunks, samples, summary: { ...stream.summary, inputs: null }, progress };
}"""


@pytest.fixture(scope="module")
def server():
    with StaticServer() as s:
        yield s


@pytest.fixture(scope="module")
def browser(server):
    with Browser(block_external=True) as b:
        b.goto(server.url + "?backend=cpu")
        info = b.wait_ready()
        assert "error" not in info, info
        b.info = info
        yield b
        assert not b.call("return ctx.state.blocked || [];"), "a request left localhost"


def test_japanese_and_spanish_in_pyodide_match_cpython(browser, engine):
    """Issue 8: the language's wheels are downloaded on its first use only, with progress; the phonemes
    of every chunk are CPython's (same code, same plan) and the audio is speech, not silence."""
    before = {lang["code"]: lang for lang in browser.evaluate("async () => await window.koe.languages()")}
    assert before["ja"]["cached"] is False and before["ja"]["bytes"] > 10_000_000  # an English visit never fetched it
    for voice, text in (JAPANESE, SPANISH):
        page = browser.evaluate(STREAM, {"text": text, "voice": voice}, timeout=900)
        plan = run_sync(engine.aplan(text, voice))
        assert [c["phonemes"] for c in page["chunks"]] == [c.phonemes for c in plan.chunks], voice
        assert page["summary"]["language"] == plan.language and page["summary"]["mismatch"] is None
        audio = np.asarray(page["samples"], dtype=np.float32)
        assert len(audio) > 0.8 * 24000 and float(np.sqrt(np.mean(audio ** 2))) > 0.01, voice
        words = [w for c in page["chunks"] for w in c["words"]]
        assert words and all(a["start"] <= b["start"] for a, b in zip(words, words[1:]))
        if voice == JAPANESE[0]:
            messages = [p["message"] for p in page["progress"] if p["phase"] == "language"]
            assert messages and messages[0].startswith("Downloading Japanese ("), messages
    after = {lang["code"]: lang for lang in browser.evaluate("async () => await window.koe.languages()")}
    assert after["ja"]["cached"] is True and after["zh"]["cached"] is False
    # The same through phonemize() and with an explicit lang (an English voice reading Spanish).
    native_text, native = engine.phonemize(SPANISH[1], "af_heart", "es")
    page = browser.evaluate("async (a) => await window.koe.phonemize(a)", {"text": SPANISH[1], "voice": "af_heart", "lang": "es"})
    assert page["normalized"] == native_text and page["phonemes"] == [p.phonemes for p in native]
    check = browser.evaluate("async () => await window.koe.checkText({ text: '駅の近く', voice: 'af_heart' })")
    assert check["language"] == "en-us" and check["mismatch"]["suggested"] == "ja"


def test_first_chunk_is_smaller_than_the_rest(browser):
    """Issue 11 item 1: first audio comes from a short first chunk; later chunks grow."""
    page = browser.evaluate(STREAM, {"text": PARAGRAPH, "voice": "af_heart"}, timeout=900)
    sizes = [len(c["phonemes"]) for c in page["chunks"]]
    assert len(sizes) >= 3, sizes
    assert all(sizes[0] < later for later in sizes[1:]), sizes
    assert page["chunks"][0]["n"] < min(c["n"] for c in page["chunks"][1:])
    # The chunks' words make the same captions in the page as natively (koe.captions, issue 9).
    from koe.captions import webvtt
    from koe.timestamps import WordTiming

    words = [w for c in page["chunks"] for w in c["words"]]
    vtt = browser.evaluate("async ({ words, text }) => await window.koe.captions(words, text, 'vtt')",
                           {"words": words, "text": PARAGRAPH})
    assert vtt.startswith("WEBVTT") and vtt == webvtt([WordTiming(**w) for w in words], PARAGRAPH)


STOP_THEN_GENERATE = """async ({ text, sentence }) => {
  const stream = window.koe.stream({ text, voice: 'af_heart', backend: 'cpu', wav: false });
  let stoppedAt = null, afterStop = 0, chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    if (stoppedAt !== null) { afterStop += 1; continue; }
    // The first chunk is here: the second one's model run has just started. Stop in its middle.
    await new Promise((r) => setTimeout(r, 300));
    stoppedAt = performance.now();
    stream.cancel();
  }
  const endedMs = performance.now() - stoppedAt;
  const t1 = performance.now();
  const again = window.koe.stream({ text: sentence, voice: 'af_heart', backend: 'cpu', wav: false });
  let firstMs = null, samples = 0;
  for await (const chunk of again) { if (firstMs === null) firstMs = performance.now() - t1; samples += chunk.samples.length; }
  const stats = await window.koe.stats();
  return { endedMs, afterStop, chunks, summary: { ...stream.summary, inputs: null }, firstMs, samples,
    nextSummary: { ...again.summary, inputs: null }, restarts: stats.restarts };
}"""


def test_stop_ends_the_run_at_once_and_the_next_request_works(browser):
    """Issue 11 item 3: Stop does not wait for the model run in progress; the model worker restarts
    from the cache and the next request's audio comes after that restart and its own first chunk."""
    out = browser.evaluate(STOP_THEN_GENERATE, {"text": LONG_TEXT, "sentence": "Yes, that works."}, timeout=900)
    summary = out["summary"]
    assert summary["cancelled"] and summary["chunks"] < summary["total"], summary
    assert out["afterStop"] == 0, "audio of the stopped run arrived after Stop"
    assert out["endedMs"] < 1000, out  # without terminating the run this is the rest of a chunk: seconds
    assert out["restarts"] and out["restarts"][-1]["sessions"] == ["kokoro"] and out["restarts"][-1]["ms"], out["restarts"]
    assert out["samples"] > 0.5 * 24000 and not out["nextSummary"]["cancelled"]
    print(f"Stop: stream ended {out['endedMs']:.0f} ms after cancel(); worker restart {out['restarts'][-1]['ms']:.0f} ms; "
          f"next request's first audio after {out['firstMs']:.0f} ms")


def test_every_preset_voice_plays_offline_after_background_caching(browser, server):
    """Issue 11 item 7: after the first synthesis the voices are cached in the background; then a voice
    never used before plays with the network gone."""
    status = browser.call("""
        await ctx.page.evaluate(() => window.koe.cacheForOffline()); // starts it if no synthesis did yet
        const deadline = Date.now() + 240000;
        for (;;) {
          const s = await ctx.page.evaluate(() => window.koe.offlineStatus());
          if (s.state === 'done' || s.state === 'failed') return s;
          if (Date.now() > deadline) return s;
          await new Promise((r) => setTimeout(r, 500));
        }
    """, timeout=260)
    assert status["state"] == "done", status
    english = [v for v in status["voices"] if v[:2] in ("af", "am", "bf", "bm")]
    assert all(status["voices"][v] for v in english)
    assert status["voices"]["jf_alpha"] is status["languages"]["ja"]  # offline once Japanese was used (above)
    assert status["voices"]["zf_xiaobei"] is False and status["languages"]["zh"] is False  # never used: not claimed
    speak = """async (voice) => {
      const r = await window.koe.synthesize({ text: 'Nobody used this voice before.', voice });
      let sq = 0; for (const x of r.samples) sq += x * x;
      return { n: r.samples.length, rms: Math.sqrt(sq / r.samples.length), online: navigator.onLine };
    }"""
    browser.call("await ctx.context.setOffline(true);")
    server.reset()
    try:
        result = browser.evaluate(speak, "bm_fable", timeout=600)
        # A reload offline: everything from the caches, Python from its snapshot, another unused voice.
        browser.call("await ctx.page.reload({ waitUntil: 'load', timeout: 120000 });")
        again = browser.wait_ready()
        result2 = browser.evaluate(speak, "am_puck", timeout=600)
    finally:
        browser.call("await ctx.context.setOffline(false);")
    # Chromium checks the service worker's script for an update on navigation, outside Playwright's
    # offline emulation (which also leaves navigator.onLine true after the reload); truly offline that
    # check fails and the installed worker stays. Anything else reaching the server is a failure.
    assert result["online"] is False, result
    assert all(path == "/sw.js" for _, path, _ in server.requests), server.requests
    for r in (result, result2):
        assert r["n"] > 0.8 * 24000 and r["rms"] > 0.01, r
    assert "error" not in again and again["bytes"] == 0 and again["pythonStart"] == "restored", (again, browser.logs_text())
