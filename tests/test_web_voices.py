"""Custom voices made in the browser: reference audio -> the same Python pipeline in Pyodide.

One page (with Chromium's fake microphone) is shared by the tests; the reference WAVs are
synthesized natively. Kept short: the search runs one or two measurements.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from koe.adapters.audio_in import load_reference
from koe.speaker import SpeakerEncoder, cosine
from koe.wav import encode_wav
from web_fixtures import Browser, StaticServer, browser_requirements

pytestmark = pytest.mark.skipif(browser_requirements() is not None, reason=browser_requirements() or "")

REFERENCE_TEXT = "Four hours of steady work faced us. The swan dive was far short of perfect."
FAKE_MIC = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
VOICE_IDS = "() => [...document.querySelectorAll('[data-testid=voice] option')].map((o) => o.value)"


@pytest.fixture(scope="module")
def server():
    with StaticServer() as s:
        yield s


@pytest.fixture(scope="module")
def browser(server):
    with Browser(block_external=True, extra_flags=FAKE_MIC) as b:
        b.goto(server.url + "?backend=cpu")
        info = b.wait_ready()
        assert "error" not in info, info
        yield b


@pytest.fixture(scope="module")
def reference_wav(engine, tmp_path_factory):
    """A 24 kHz WAV of bm_george, about 5 s of speech."""
    path = tmp_path_factory.mktemp("ref") / "george.wav"
    path.write_bytes(encode_wav(engine.synthesize_all(REFERENCE_TEXT, "bm_george"), engine.sample_rate))
    return path


def create_from_file(browser, path, name="", steps=1):
    """Pick ``path`` in ref-file, click Create voice, wait for the end; returns what the page shows."""
    return browser.call("""
        await ctx.page.evaluate((steps) => { window.koeApp.voiceOptions = { budgetSeconds: 20, maxSteps: steps }; window.koeApp.lastVoice = null; }, args.steps);
        await ctx.page.getByTestId('ref-name').fill(args.name);
        await ctx.page.getByTestId('ref-file').setInputFiles(args.path);
        await ctx.page.getByTestId('ref-create').click();
        await ctx.page.waitForFunction(() => window.koeApp.lastVoice && !window.koeApp.creating, null, { timeout: 240000, polling: 200 });
        return await ctx.page.evaluate(() => ({
          last: window.koeApp.lastVoice,
          status: document.querySelector('[data-testid=ref-status]').textContent,
          kind: document.querySelector('[data-testid=ref-status]').dataset.kind || '',
          stored: JSON.parse(localStorage.getItem('koe.customVoices') || '[]').map((r) => r.id),
        }));
    """, path=str(path), name=name, steps=steps, timeout=260)


def test_browser_embedding_matches_cpython(browser, engine, reference_wav):
    samples = load_reference(reference_wav.read_bytes())  # native decode + soxr to 16 kHz, as the server does
    native = SpeakerEncoder.load(engine.assets, engine.runtime).embed(samples)
    started = time.monotonic()
    web = browser.evaluate("(s) => window.koe.embed(s)", list(samples), timeout=180)
    print(f"browser embed: {time.monotonic() - started:.2f} s")
    similarity = cosine(native, web)
    print(f"embedding parity cosine: {similarity:.6f}")
    assert len(web) == 256
    assert similarity >= 0.999


def test_create_voice_from_file_survives_reload_and_speaks(browser, server, reference_wav):
    out = create_from_file(browser, reference_wav)
    assert out["kind"] != "error", out["status"]
    recipe = out["last"]["recipe"]
    print(f"voice created in {out['last']['totalMs'] / 1000:.1f} s: {recipe['components']} score {recipe['score']}")
    assert recipe["id"].startswith("added_speaker_") and recipe["name"] == recipe["id"]
    assert recipe["seconds"] >= 3 and len(recipe["embedding"]) == 256
    assert recipe["id"] in browser.evaluate(VOICE_IDS) and recipe["id"] in out["stored"]
    assert browser.evaluate("() => document.querySelector('[data-testid=voice]').value") == recipe["id"]

    browser.goto(server.url + "?backend=cpu")
    assert "error" not in browser.wait_ready()
    assert recipe["id"] in browser.evaluate(VOICE_IDS)
    samples = browser.evaluate("""async (voice) => Array.from((await window.koe.synthesize({ text: 'Hello there.', voice })).samples)""",
                               recipe["id"], timeout=180)
    assert len(samples) > 12000 and float(np.sqrt(np.mean(np.square(samples)))) > 0.01


def test_improve_further_never_worse_and_stop_is_prompt(browser, reference_wav):
    """Issue 10: "Improve further" searches on from the selected custom voice (same id, a score never
    below the one it had, stored); Stop during a long search ends it without another measurement
    (the model worker is stopped mid-run) and keeps the best voice so far."""
    out = create_from_file(browser, reference_wav, name="Improve me", steps=1)
    assert out["kind"] != "error", out["status"]
    recipe = out["last"]["recipe"]
    improved = browser.call("""
        await ctx.page.evaluate(() => { window.koeApp.voiceOptions = { budgetSeconds: 60, maxSteps: 3 }; window.koeApp.lastVoice = null; });
        await ctx.page.getByTestId('ref-improve').click();
        await ctx.page.waitForFunction(() => window.koeApp.lastVoice && !window.koeApp.creating, null, { timeout: 240000, polling: 200 });
        return await ctx.page.evaluate(() => ({ last: window.koeApp.lastVoice,
          status: document.querySelector('[data-testid=ref-status]').textContent,
          stored: JSON.parse(localStorage.getItem('koe.customVoices') || '[]') }));
    """, timeout=260)
    better = improved["last"]["recipe"]
    assert better["id"] == recipe["id"] and better["score"] >= recipe["score"], (recipe["score"], better)
    assert len(improved["last"]["progress"]) == 3 and "→" in improved["status"], improved["status"]
    assert [r for r in improved["stored"] if r["id"] == recipe["id"]][0]["score"] == better["score"]

    stop = browser.call("""
        await ctx.page.evaluate(() => { window.koeApp.voiceOptions = { budgetSeconds: 600 }; window.koeApp.lastVoice = null; });
        await ctx.page.getByTestId('ref-improve').click();
        // Stop right after a measurement: the next one has just started (seconds of model runs).
        await ctx.page.waitForFunction(() => window.koeApp.voiceRun && window.koeApp.voiceRun.progress.length >= 2, null, { timeout: 240000, polling: 20 });
        const seen = await ctx.page.evaluate(() => window.koeApp.voiceRun.progress.length);
        const clicked = Date.now();
        await ctx.page.getByTestId('ref-cancel').click();
        await ctx.page.waitForFunction(() => window.koeApp.lastVoice && !window.koeApp.creating, null, { timeout: 120000, polling: 20 });
        const stoppedMs = Date.now() - clicked;
        return await ctx.page.evaluate(({ seen, stoppedMs }) => ({ seen, stoppedMs, last: window.koeApp.lastVoice,
          status: document.querySelector('[data-testid=ref-status]').textContent }), { seen, stoppedMs });
    """, timeout=300)
    print(f"Stop search: ended {stop['stoppedMs']} ms after the click")
    assert stop["last"]["cancelled"] is True, stop
    assert len(stop["last"]["progress"]) == stop["seen"], "a measurement finished after Stop"
    assert stop["last"]["recipe"]["score"] >= better["score"] and "(stopped)" in stop["status"]
    # The model worker restarted: the voice still speaks.
    samples = browser.evaluate("""async (voice) => (await window.koe.synthesize({ text: 'Still here.', voice })).samples.length""",
                               recipe["id"], timeout=180)
    assert samples > 12000


def test_bad_references_show_clear_errors_and_keep_voices(browser, engine, tmp_path):
    before = browser.evaluate("() => JSON.parse(localStorage.getItem('koe.customVoices') || '[]').map((r) => r.id)")
    if not before:  # run alone: have one voice to keep
        recipe = tmp_path / "keep.koe-voice.json"
        recipe.write_text(json.dumps({"name": "Keep me", "components": [["af_heart", 1]]}))
        browser.call("await ctx.page.getByTestId('ref-import').setInputFiles(args.path);", path=str(recipe))
        before = ["keep_me"]
    short = tmp_path / "short.wav"
    short.write_bytes(encode_wav(engine.synthesize_all("Hello.", "af_heart")[:engine.sample_rate], engine.sample_rate))
    notes = tmp_path / "notes.wav"
    notes.write_bytes(b"These are my notes, not audio at all.\n" * 50)

    out = create_from_file(browser, short)
    assert out["kind"] == "error" and out["last"]["code"] == "too_short", out
    assert "speech" in out["status"] and "at least 3 s" in out["status"]
    out = create_from_file(browser, notes)
    assert out["kind"] == "error" and out["last"]["code"] == "not_audio", out
    assert "notes.wav could not be decoded as audio" in out["status"]
    assert out["stored"] == before
    assert set(before) <= set(browser.evaluate(VOICE_IDS))


def test_microphone_recording_with_fake_device(browser):
    """Chromium's fake microphone (a beep): the level meter and timer run and Stop gives a reference."""
    out = browser.call("""
        await ctx.page.getByTestId('ref-record').click();
        await ctx.page.waitForFunction(() => document.querySelector('[data-testid=ref-record]').getAttribute('aria-pressed') === 'true', null, { timeout: 20000 });
        await ctx.page.waitForTimeout(1500);
        const during = await ctx.page.evaluate(() => ({ timer: document.querySelector('[data-testid=ref-timer]').textContent,
          visible: !document.getElementById('ref-recording').hidden }));
        await ctx.page.getByTestId('ref-record').click();
        await ctx.page.waitForFunction(() => !window.koeApp.recording, null, { timeout: 20000 });
        return { during, status: await ctx.page.evaluate(() => document.querySelector('[data-testid=ref-status]').textContent),
          create: await ctx.page.getByTestId('ref-create').isEnabled(),
          reference: await ctx.page.evaluate(() => ({ rate: window.koeApp.reference.rate, n: window.koeApp.reference.samples.length })) };
    """)
    assert out["during"]["visible"] and out["during"]["timer"].startswith("0:01"), out
    assert out["status"].startswith("Recorded "), out
    assert out["create"]
    # Recorded at the speaker encoder's rate (the browser resamples the microphone): no WAV round trip.
    seconds = float(out["status"].split()[1])
    assert out["reference"]["rate"] == 16000 and abs(out["reference"]["n"] - seconds * 16000) <= 0.06 * 16000, out
