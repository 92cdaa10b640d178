"""The web app in headless Chromium: Pyodide + onnxruntime-web running the real model.

One page load is shared by most tests (loading Pyodide and the model is the slow part); the
offline test and the WebGPU test start browsers of their own. Nothing here asserts timings.
"""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest

from web_fixtures import Browser, StaticServer, browser_requirements, decode_wav

pytestmark = pytest.mark.skipif(browser_requirements() is not None, reason=browser_requirements() or "")

SENTENCE = "The quick brown fox jumps over the lazy dog."
LONG_TEXT = " ".join([
    "Stop must interrupt this long text.",
    "It has many sentences, so the engine splits it into several chunks.",
    "Each chunk is synthesized while the previous one is playing.",
    "Nobody should have to wait for all of it when they pressed stop.",
    "The next sentence would take a few more seconds to render.",
    "And this one would take even longer, because it goes on and on about nothing in particular.",
    "Finally, the last sentence closes the paragraph.",
])


def audio_of(wav_b64: str):
    return decode_wav(base64.b64decode(wav_b64))


WAV_OF_PAGE = """async () => {
  const a = document.querySelector('[data-testid=download]');
  const bytes = new Uint8Array(await (await fetch(a.href)).arrayBuffer());
  let s = ''; for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}"""

SYNTHESIZE = """async (req) => {
  const r = await window.koe.synthesize(req);
  const bytes = new Uint8Array(await r.wav.arrayBuffer());
  let s = ''; for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { wav: btoa(s), samples: Array.from(r.samples), sampleRate: r.sampleRate, timings: r.timings, inputs: r.inputs };
}"""


@pytest.fixture(scope="module")
def server():
    with StaticServer() as s:
        yield s


@pytest.fixture(scope="module")
def browser(server):
    with Browser(block_external=True) as b:
        b.goto(server.url)
        info = b.wait_ready()
        assert "error" not in info, info
        b.info = info
        yield b


def click_and_wait_done(browser, timeout=240):
    """Click Generate and wait for the run to end (done, stopped or error); returns the status."""
    return browser.call("""
        await ctx.page.waitForFunction(() => !document.querySelector('[data-testid=generate]').disabled, null, { timeout: 60000 });
        const before = await ctx.page.evaluate(() => window.koeApp.runs);
        await ctx.page.getByTestId('generate').click();
        await ctx.page.waitForFunction((n) => window.koeApp.runs > n && !window.koeApp.run, before, { timeout: args.ms, polling: 200 });
        return await ctx.page.evaluate(() => ({
          status: document.querySelector('[data-testid=status]').textContent,
          kind: document.querySelector('[data-testid=status]').dataset.kind || '',
          metrics: document.querySelector('[data-testid=metrics]').textContent,
          lastRun: window.koeApp.lastRun,
          audio: window.koeApp.player.duration > 0 && !!document.querySelector('[data-testid=download]').getAttribute('href'),
        }));
    """, ms=timeout * 1000, timeout=timeout + 30)


def fill(browser, testid, value):
    browser.call("await ctx.page.getByTestId(args.id).fill(args.value);", id=testid, value=value)


def test_page_loads_isolated_with_threads(browser):
    info = browser.info
    assert info["crossOriginIsolated"] is True
    assert info["threads"] >= 1
    assert info["backend"] == "cpu" and info["reason"]  # headless without a GPU: Auto says why it chose the CPU
    assert info["model"] in {"int8w", "fp32", "int8"}
    ids = browser.evaluate("""() => ['text','voice','speed','backend','generate','stop','audio','download','status','metrics',
        'ref-record','ref-file','ref-name','ref-create','ref-delete','ref-export','ref-import','llm-toggle','llm-url','llm-key','llm-model']
        .filter((id) => !document.querySelector(`[data-testid="${id}"]`))""")
    assert ids == []
    groups = browser.evaluate("() => [...document.querySelectorAll('[data-testid=voice] optgroup')].map((g) => g.label)")
    assert groups[0] == "American English" and any("British" in g for g in groups)


def test_generate_plays_and_offers_wav_without_external_requests(browser, server):
    fill(browser, "text", "Hello from the browser.")
    result = click_and_wait_done(browser)
    assert result["kind"] != "error", result["status"]
    assert result["status"].startswith("Done"), result
    assert result["audio"]
    for label in ("Time to first audio", "Total time", "Real-time factor", "Backend", "Threads"):
        assert label in result["metrics"]
    rate, audio = audio_of(browser.evaluate(WAV_OF_PAGE))
    assert rate == 24000 and len(audio) > 0.5 * rate and np.abs(audio).max() > 0.05
    # Every request went to the local server; none was even attempted elsewhere.
    requested = browser.call("return { all: ctx.requests, blocked: ctx.state.blocked || [] };")
    assert requested["blocked"] == []
    assert requested["all"] and all(u.startswith(server.url) or u.startswith(("blob:", "data:")) for u in requested["all"])


def test_empty_text_shows_error_and_page_stays_usable(browser):
    fill(browser, "text", "   ")
    result = click_and_wait_done(browser)
    assert result["kind"] == "error" and "empty" in result["status"].lower()
    fill(browser, "text", "Okay.")
    result = click_and_wait_done(browser)
    assert result["kind"] != "error" and result["status"].startswith("Done"), result["status"]


def test_webgpu_request_without_adapter_falls_back_with_notice(browser):
    result = browser.call("""
        await ctx.page.getByTestId('backend').selectOption('webgpu');
        await ctx.page.waitForFunction(() => !document.getElementById('notice').hidden, null, { timeout: 60000 });
        const out = await ctx.page.evaluate(() => ({ notice: document.getElementById('notice').textContent,
          badge: document.getElementById('backend-badge').dataset.backend }));
        await ctx.page.getByTestId('backend').selectOption('cpu');
        await ctx.page.waitForFunction(() => !document.querySelector('[data-testid=generate]').disabled, null, { timeout: 60000 });
        return out;
    """)
    assert "not available" in result["notice"] and result["badge"] == "cpu"


def test_browser_engine_matches_cpython(browser, assets_dir):
    """Same model inputs as the native engine, deterministic output, same audio (log-mel after DTW)."""
    from audio_compare import dtw_logmel_correlation
    from koe.engine import Koe
    from koe.runtimes.onnxruntime import OnnxRuntime

    request = {"text": SENTENCE, "voice": "af_heart", "speed": 1.0, "backend": "cpu", "record": True}
    first = browser.evaluate(SYNTHESIZE, request)
    second = browser.evaluate(SYNTHESIZE, {**request, "record": False})
    assert first["sampleRate"] == 24000
    assert first["samples"] == second["samples"], "two runs on one backend must give identical audio"
    assert first["wav"] == second["wav"]

    info = browser.info
    native = Koe.load(assets_dir, OnnxRuntime(threads=2), model=info["modelPath"], model_options=info["modelOptions"])
    recorded = []
    run = native.session.run

    async def recording_run(feeds):
        recorded.append({name: {"dtype": t.dtype, "shape": list(t.shape), "data": t.data.tolist()} for name, t in feeds.items()})
        return await run(feeds)

    native.session.run = recording_run
    native_audio = np.asarray(native.synthesize_all(SENTENCE, "af_heart", 1.0), dtype=np.float32)

    assert first["inputs"] == recorded  # token ids, style vector and speed: exactly equal
    browser_audio = np.asarray(first["samples"], dtype=np.float32)
    assert abs(len(browser_audio) - len(native_audio)) <= 0.02 * len(native_audio)
    assert dtw_logmel_correlation(browser_audio, native_audio, sr=24000) >= 0.95


def test_stop_interrupts_long_synthesis(browser):
    fill(browser, "text", LONG_TEXT)
    result = browser.call("""
        await ctx.page.getByTestId('generate').click();
        await ctx.page.waitForFunction(() => /Synthesizing… 1\\//.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 240000, polling: 100 });
        await ctx.page.getByTestId('stop').click();
        await ctx.page.waitForFunction(() => !window.koeApp.run, null, { timeout: 240000, polling: 200 });
        return await ctx.page.evaluate(() => ({ status: document.querySelector('[data-testid=status]').textContent, last: window.koeApp.lastRun }));
    """, timeout=600)
    assert result["status"].startswith("Stopped"), result
    summary = result["last"]["summary"]
    assert summary["cancelled"] and summary["chunks"] < summary["total"], summary
    # Stopped means stopped: no WAV of a partial run is offered, and the page works on.
    assert not browser.evaluate("() => document.querySelector('[data-testid=download]').getAttribute('href')")
    fill(browser, "text", "Yes.")
    assert click_and_wait_done(browser)["status"].startswith("Done")


def test_llm_mode_streams_reply_and_speaks_it(browser, server):
    fill(browser, "text", "Say two sentences.")
    browser.call("""
        await ctx.page.getByTestId('llm-toggle').check();
        await ctx.page.getByTestId('llm-url').fill(args.url);
        await ctx.page.getByTestId('llm-key').fill('wrong-key');
        await ctx.page.getByTestId('llm-model').fill('fake-model');
    """, url=server.url + "fake-llm/v1")
    failed = click_and_wait_done(browser)
    assert failed["kind"] == "error" and "401" in failed["status"] and "Incorrect API key" in failed["status"]

    fill(browser, "llm-key", "good-key")
    result = click_and_wait_done(browser)
    try:
        assert result["kind"] != "error", result["status"]
        reply = browser.evaluate("() => document.getElementById('llm-reply').textContent")
        assert reply == "Sure. Here is the first sentence of my answer. And here is the second one."
        assert result["lastRun"]["summary"]["chunks"] >= 2 and result["audio"]
        sent = server.llm_requests[-1]
        assert sent["stream"] is True and sent["model"] == "fake-model"
        assert sent["messages"] == [{"role": "user", "content": "Say two sentences."}]
        stored = browser.evaluate("() => [localStorage.getItem('koe.llm.url'), localStorage.getItem('koe.llm.model')]")
        assert stored == [server.url + "fake-llm/v1", "fake-model"]
    finally:
        browser.call("await ctx.page.getByTestId('llm-toggle').uncheck();")


def test_custom_voice_import_export_rename_delete(browser, tmp_path):
    """Recipes are kept as the engine returns them: export -> import keeps score, embedding and source;
    ids and names are decided by the engine (koe.rules), not by the page."""
    from koe.recipe import Recipe

    embedding = [round(0.01 * ((i * 37) % 200 - 100), 5) for i in range(256)]
    recipe = {"format": "koe-voice", "version": 1, "name": "Warm mix", "source": "file:alice.wav", "score": 0.8125,
              "seconds": 12.5, "embedding": embedding, "language": "en-us", "gender": "female",
              "components": [{"voice": "af_heart", "weight": 2}, {"voice": "bf_emma", "weight": 1}]}
    path = tmp_path / "warm.koe-voice.json"
    path.write_text(json.dumps(recipe))
    imported = browser.call("""
        const has = (id) => [...document.querySelectorAll('[data-testid=voice] option')].some((o) => o.value === id);
        const exportSelected = async () => {
          const download = ctx.page.waitForEvent('download');
          await ctx.page.getByTestId('ref-export').click();
          const file = await download;
          return { name: file.suggestedFilename(), data: JSON.parse((await import('node:fs')).readFileSync(await file.path(), 'utf8')) };
        };
        const before = await ctx.page.evaluate(() => document.querySelectorAll('[data-testid=voice] option').length);
        await ctx.page.getByTestId('ref-import').setInputFiles(args.path);
        await ctx.page.waitForFunction((n) => document.querySelectorAll('[data-testid=voice] option').length > n, before, { timeout: 60000 });
        const first = await exportSelected();
        // The exported file imports again, as a second voice with a free id.
        await ctx.page.getByTestId('ref-import').setInputFiles({ name: 'again.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(first.data)) });
        await ctx.page.waitForFunction((n) => document.querySelectorAll('[data-testid=voice] option').length > n + 1, before, { timeout: 60000 });
        const second = await exportSelected();
        return { first, second, stored: await ctx.page.evaluate(() => JSON.parse(localStorage.getItem('koe.customVoices'))) };
    """, path=str(path))
    first, second = imported["first"]["data"], imported["second"]["data"]
    assert first["id"] == "warm_mix" and imported["first"]["name"] == "warm_mix.koe-voice.json"
    assert second["id"] == "warm_mix_2" and second["name"] == "Warm mix"
    for exported in (first, second):
        assert Recipe.from_dict(exported) == Recipe.from_dict({**recipe, "id": exported["id"], "created": exported["created"]})
        assert exported["embedding"] == embedding and exported["score"] == 0.8125 and exported["source"] == "file:alice.wav"
    assert [r["id"] for r in imported["stored"]] == ["warm_mix", "warm_mix_2"]
    assert imported["stored"][0] == first  # stored exactly as the engine returned it

    # Rename: the engine cleans the name; the id (used in texts and links) stays.
    fill(browser, "ref-name", "  Warm   mix, take two\u0007 ")
    renamed = browser.call("""
        await ctx.page.getByTestId('ref-rename').click();
        await ctx.page.waitForFunction(() => /Renamed/.test(document.querySelector('[data-testid=voice-status]').textContent), null, { timeout: 60000 });
        return await ctx.page.evaluate(() => ({ selected: document.querySelector('[data-testid=voice]').selectedOptions[0].textContent,
          stored: JSON.parse(localStorage.getItem('koe.customVoices')).map((r) => [r.id, r.name]) }));
    """)
    assert renamed["selected"] == "Warm mix, take two — custom, American English"
    assert renamed["stored"] == [["warm_mix", "Warm mix"], ["warm_mix_2", "Warm mix, take two"]]

    # A file that is not a recipe: the engine's message, nothing changes.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "No parts", "components": [{"voice": "nobody", "weight": 1}]}))
    browser.call("await ctx.page.getByTestId('ref-import').setInputFiles(args.path);", path=str(bad))
    status = browser.call("""
        await ctx.page.waitForFunction(() => /Import failed/.test(document.querySelector('[data-testid=voice-status]').textContent), null, { timeout: 60000 });
        return await ctx.page.evaluate(() => document.querySelector('[data-testid=voice-status]').textContent);
    """)
    assert "'nobody'" in status and "not a preset voice" in status, status

    out = browser.call("""
        for (const id of ['warm_mix', 'warm_mix_2']) {
          await ctx.page.getByTestId('voice').selectOption(id);
          await ctx.page.getByTestId('ref-delete').click();
          await ctx.page.waitForFunction((id) => ![...document.querySelectorAll('[data-testid=voice] option')].some((o) => o.value === id), id, { timeout: 60000 });
        }
        return { stored: await ctx.page.evaluate(() => JSON.parse(localStorage.getItem('koe.customVoices'))),
          noReference: await ctx.page.getByTestId('ref-create').isDisabled() };
    """)
    assert out["stored"] == []
    assert out["noReference"] is True  # Create voice waits for a recording or a file (tests/test_web_voices.py)


def test_static_host_isolation_and_offline_reload_via_service_worker():
    """A host without COOP/COEP: the service worker adds them (one reload) so WASM gets threads.
    Then a second visit with the server gone and the browser offline: the service worker serves everything."""
    with StaticServer(isolate=False) as server, Browser() as b:
        b.goto(server.url + "?backend=cpu")
        info = b.wait_ready()
        assert "error" not in info, info
        assert info["crossOriginIsolated"] is True  # thanks to the service worker's headers
        assert info["threads"] == b.evaluate("() => Math.min(navigator.hardwareConcurrency || 1, 8)")
        first_bytes = server.bytes_sent
        # Wait until the service worker controls the page and the worker has warmed the cache.
        b.call("""
            const deadline = Date.now() + 180000;
            while (!(await ctx.page.evaluate(async () => !!navigator.serviceWorker.controller && (await window.koe.stats()).warmed))) {
              if (Date.now() > deadline) throw new Error('the cache was not warmed in time');
              await new Promise((r) => setTimeout(r, 500));
            }
        """, timeout=200)
        server.__exit__(None, None, None)
        b.call("await ctx.context.setOffline(true);")
        b.call("await ctx.page.reload({ waitUntil: 'load', timeout: 120000 });")
        again = b.wait_ready()
        assert "error" not in again, again
        assert again["bytes"] == 0 and again["bytesFromCache"] > 50_000_000
        result = b.evaluate("async () => { const r = await window.koe.synthesize({ text: 'Offline.' });"
                            " return { n: r.samples.length, peak: Math.max(...r.samples.map(Math.abs)) }; }")
        assert result["n"] > 0.3 * 24000 and result["peak"] > 0.05
        assert first_bytes > 50_000_000


WEBGPU_WORD = """async ({ text, start }) => {
  const progress = [];
  const t0 = performance.now();
  const onProgress = (p) => progress.push([Math.round(performance.now() - t0), p.message]);
  const refused = await window.koe.setBackend('webgpu', { startTimeoutMs: start, onProgress });
  const t1 = performance.now();
  const r = await window.koe.synthesize({ text, voice: 'af_heart', backend: 'webgpu', record: true, onProgress });
  return { refused, ms: performance.now() - t1, progress, samples: Array.from(r.samples), timings: r.timings, inputs: r.inputs,
    notice: r.summary.notice || null, sessions: (await window.koe.stats()).sessions };
}"""


def test_webgpu_word_after_an_abandoned_auto_probe():
    """Issue 14, on Chromium's software WebGPU adapter (SwiftShader: correct but minutes per word).

    The page starts in Auto with the probe's cap lowered, so the probe overruns and is abandoned
    (its worker terminated) while WebGPU is busy. A WebGPU start that cannot happen within a tiny
    bound says so and uses the CPU; then one word on WebGPU completes (with progress reported:
    the GPU may first finish what the abandoned probe had queued) and agrees with the CPU:
    identical model inputs, duration within 2%, DTW log-mel >= 0.95.
    """
    from audio_compare import dtw_logmel_correlation

    with StaticServer() as server, Browser(webgpu=True) as b:
        # probeFallbackAdapter: Auto would otherwise rule SwiftShader out without probing.
        b.goto(server.url + "?backend=auto&nosw=1&probeFallbackAdapter=1&probeCapMs=45000&webgpuStartMs=900000")
        info = b.wait_ready(timeout=600)
        assert "error" not in info, info
        if not info.get("gpuModel"):
            pytest.skip("this build has no float model (tools/make_float_model.py); WebGPU needs one")
        if "adapter" in info["reason"] or "no WebGPU" in info["reason"]:
            pytest.skip(f"no WebGPU adapter in this Chromium (even with --enable-unsafe-webgpu): {info['reason']}")
        assert info["backend"] == "cpu" and info["reason"].startswith("Auto:") and "took longer than" in info["reason"], info
        assert info["probe"]["stoppedIn"] in {"start", "run"}, info["probe"]  # abandoned with WebGPU work under way

        started = time.monotonic()
        gpu = b.evaluate(WEBGPU_WORD, {"text": "Hi.", "start": 2000}, timeout=1500)
        print(f"WebGPU word after the abandoned probe: {gpu['ms'] / 1000:.1f} s "
              f"({time.monotonic() - started:.1f} s with the refused start); progress: {gpu['progress']}")
        refused = gpu["refused"]
        assert refused["backend"] == "cpu" and refused["code"] == "webgpu_timeout", refused
        assert "using the CPU instead" in refused["notice"] and "2 s" in refused["notice"], refused
        assert gpu["timings"]["backend"] == "webgpu" and gpu["notice"] is None, gpu["notice"]
        assert gpu["progress"], "the WebGPU start reported no progress"
        assert [s["backend"] for s in gpu["sessions"] if s["name"] == "kokoro"] == ["wasm", "webgpu"], gpu["sessions"]

        cpu = b.evaluate(SYNTHESIZE, {"text": "Hi.", "voice": "af_heart", "backend": "cpu", "record": True}, timeout=300)
        assert gpu["inputs"] == cpu["inputs"]  # token ids, style vector and speed: exactly equal
        rate, audio = audio_of(cpu["wav"])
        assert rate == 24000 and np.abs(audio).max() > 0.05
        a, g = np.asarray(cpu["samples"], np.float32), np.asarray(gpu["samples"], np.float32)
        assert np.abs(g).max() > 0.05
        assert abs(len(a) - len(g)) <= 0.02 * len(a)
        assert dtw_logmel_correlation(a, g, sr=24000) >= 0.95
