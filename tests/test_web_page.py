"""The page as a user meets it (issues 8, 9, 11, 12): one page load in headless Chromium, shared
by the tests in order (real engine, real model; texts kept short because WASM synthesis is slow).

Covers: hidden elements hidden, the status after loading, a shared link read on load, the LLM
switch never silently remembered, no request to /health on a static host, the app manifest;
voices grouped by language with unambiguous names and the script-mismatch warning (nothing
synthesized); the blend builder; a hostile voice name shown as text everywhere (picker,
messages, history, file names) with no dialog; delete with undo; read-along (the highlighted
word follows the audio clock, clicking a word seeks); downloads named after the voice and the
first words; the session's history (replay, rename); Stop resetting the player at once.
Nothing here asserts timings.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from web_fixtures import Browser, StaticServer, browser_requirements

pytestmark = pytest.mark.skipif(browser_requirements() is not None, reason=browser_requirements() or "")

HOSTILE = "<img src=x onerror=alert(1)>"
SHARED_TEXT = "Shared words for a link."
READ_TEXT = "One, two, three, four, five, six."


@pytest.fixture(scope="module")
def server():
    with StaticServer() as s:
        yield s


@pytest.fixture(scope="module")
def browser(server):
    with Browser(block_external=True) as b:
        # An earlier visit left the LLM switch on (as older versions of the page remembered it), and
        # every dialog (alert, confirm) is recorded: none may open.
        b.call("""
            ctx.state.dialogs = [];
            ctx.page.on('dialog', (d) => { ctx.state.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
            await ctx.page.addInitScript(() => { try { if (!sessionStorage.getItem('seeded')) { localStorage.setItem('koe.llm.on', '1');
              sessionStorage.setItem('seeded', '1'); } } catch {} });
        """)
        fragment = f"#text={quote(SHARED_TEXT)}&voice=bf_emma&speed=1.25"
        b.goto(server.url + "?backend=cpu" + fragment)
        info = b.wait_ready()
        assert "error" not in info, info
        b.info = info
        yield b
        assert b.call("return ctx.state.dialogs;") == [], "a dialog opened"


def page_state(browser, expression):
    return browser.evaluate(f"() => ({expression})")


def fill(browser, testid, value):
    browser.call("await ctx.page.getByTestId(args.id).fill(args.value);", id=testid, value=value)


def test_loaded_page_state(browser, server):
    # Ready stays: warming the caches afterwards does not overwrite it with "Downloading…".
    browser.call("""
        const deadline = Date.now() + 240000;
        while (!(await ctx.page.evaluate(async () => (await window.koe.stats()).warmed))) {
          if (Date.now() > deadline) throw new Error('the caches were not warmed in time');
          await new Promise((r) => setTimeout(r, 500));
        }
    """, timeout=260)
    status = page_state(browser, "document.querySelector('[data-testid=status]').textContent")
    assert status.startswith("Ready"), status

    # Under the voice picker: how many preset voices work offline (the engine's offlineStatus).
    offline = page_state(browser, "document.querySelector('[data-testid=voice-offline]').textContent")
    assert "preset voices work offline" in offline, offline

    # Every element marked hidden is not displayed (CSS display rules must not override it).
    shown = browser.evaluate("""() => [...document.querySelectorAll('[hidden]')]
        .filter((el) => getComputedStyle(el).display !== 'none').map((el) => el.id || el.className)""")
    assert shown == []
    for testid in ("llm-url", "ref-level"):
        assert not browser.call("return await ctx.page.getByTestId(args.id).isVisible();", id=testid)

    # The shared link's fragment (text, voice, speed) was read on load.
    shared = page_state(browser, """{ text: document.querySelector('[data-testid=text]').value,
        voice: document.querySelector('[data-testid=voice]').value, speed: document.querySelector('[data-testid=speed]').value }""")
    assert shared == {"text": SHARED_TEXT, "voice": "bf_emma", "speed": "1.25"}
    link = browser.call("await ctx.page.getByTestId('share').click(); return await ctx.page.getByTestId('share-link').inputValue();")
    assert link.split("#")[1] == "text=Shared+words+for+a+link.&voice=bf_emma&speed=1.25"

    # The LLM switch left on by an earlier visit is off, and turning it on is not remembered.
    llm = browser.call("""
        const before = await ctx.page.evaluate(() => ({ checked: document.querySelector('[data-testid=llm-toggle]').checked,
          fieldsHidden: document.getElementById('llm-fields').hidden, url: document.querySelector('[data-testid=llm-url]').value }));
        await ctx.page.getByTestId('llm-toggle').check();
        const visible = await ctx.page.getByTestId('llm-url').isVisible();
        const stored = await ctx.page.evaluate(() => localStorage.getItem('koe.llm.on'));
        await ctx.page.getByTestId('llm-toggle').uncheck();
        return { before, visible, stored };
    """)
    assert llm["before"] == {"checked": False, "fieldsHidden": True, "url": ""}, llm
    assert llm["visible"] and llm["stored"] is None

    # A static host: no request for /health (nothing logged as a 404 on every load).
    assert not [r for r in server.requests if r[1].endswith("/health")], server.requests

    # Installable: the web app manifest and its icons load.
    manifest = browser.evaluate("""async () => {
        const href = document.querySelector('link[rel=manifest]').href;
        const manifest = await (await fetch(href)).json();
        const icons = await Promise.all(manifest.icons.map(async (i) => (await fetch(new URL(i.src, href))).status));
        return { name: manifest.short_name, display: manifest.display, start: new URL(manifest.start_url, href).href, icons,
          sizes: manifest.icons.map((i) => i.sizes) };
    }""")
    assert manifest["name"] == "Koe" and manifest["display"] == "standalone"
    assert manifest["start"] == server.url and set(manifest["icons"]) == {200} and "512x512" in manifest["sizes"]

    # Limits come from the engine's rules (the manifest's `rules`), not from the page.
    rules = browser.info["rules"]
    limits = page_state(browser, "{ min: document.querySelector('[data-testid=speed]').min, max: document.querySelector('[data-testid=speed]').max }")
    assert limits == {"min": str(rules["min_speed"]), "max": str(rules["max_speed"])}


PLAYER = """async () => {
  // The page's player on synthetic chunks (a tone), with the real AudioContext: the start rule,
  // then pause, seek and resume while chunks keep coming, a stall counted, and the end.
  const { ClipPlayer } = await import('./app/player.mjs');
  const tone = (seconds) => Float32Array.from({ length: Math.round(seconds * 24000) }, (_, i) => 0.05 * Math.sin(i / 8));
  const wait = async (ok) => { for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 20)); return ok(); };
  const out = {};

  // Faster than real time (0.5 s to make 1 s): it starts with the first chunk.
  const fast = new ClipPlayer();
  await fast.unlock(24000);
  fast.beginStream(() => 10);
  fast.append(tone(1), 24000, 0.5);
  out.fast = fast.state;
  fast.stop();

  // Slower than real time (2 s per 1 s of audio), 6 s still to come: it waits ("buffering") until
  // the queue covers the rest, then plays.
  const p = new ClipPlayer();
  await p.unlock(24000);
  let remaining = 6;
  p.beginStream(() => remaining);
  p.append(tone(1), 24000, 2);
  out.slow = { state: p.state, need: p.neededAhead(), rtf: p.rtf };
  remaining = 1;
  p.append(tone(9), 24000, 18);
  out.started = p.state;

  // Pause, seek back, resume; a chunk arrives while playing and the clip grows.
  await wait(() => p.currentTime > 0.2);
  p.pause();
  out.paused = { state: p.state, position: p.currentTime };
  p.seek(0.1);
  out.seeked = { state: p.state, position: p.currentTime };
  p.play();
  out.resumed = p.state;
  p.append(tone(0.5), 24000, 1);
  out.grown = p.duration;

  // Near the end of what has arrived, with more to come than it has: it waits rather than run dry.
  p.seek(p.duration - 0.15);
  out.short = p.state;
  // The estimate said nothing was left, but a chunk is late: it plays into the end, the stall is
  // counted and it buffers; then the last chunk, and the end.
  remaining = 0;
  p.seek(p.duration - 0.4);
  out.playingToEnd = p.state;
  out.stalled = await wait(() => p.state === 'buffering');
  out.stalls = p.stats.stalls;
  p.append(tone(0.2), 24000, 0.1);
  p.finish();
  out.ended = await wait(() => p.state === 'ended');
  out.end = { position: p.currentTime, duration: p.duration };
  p.stop();
  return out;
}"""


def test_player_schedules_pauses_and_seeks_while_streaming(browser):
    out = browser.evaluate(PLAYER, timeout=120)
    assert out["fast"] == "playing", out
    assert out["slow"]["state"] == "buffering" and out["slow"]["rtf"] == 2 and out["slow"]["need"] > 6, out
    assert out["started"] == "playing", out
    assert out["paused"]["state"] == "paused" and out["paused"]["position"] > 0.2, out
    assert out["seeked"] == {"state": "paused", "position": 0.1}, out
    assert out["resumed"] == "playing" and out["grown"] == 10.5, out
    assert out["short"] == "buffering" and out["playingToEnd"] == "playing", out
    assert out["stalled"] and out["stalls"] == 1, out
    assert out["ended"] and out["end"]["position"] == out["end"]["duration"] == 10.7, out


def test_voices_grouped_by_language_and_script_mismatch_warned(browser):
    picker = browser.evaluate("""() => [...document.querySelectorAll('[data-testid=voice] optgroup')].map((g) => ({
        label: g.label, options: [...g.querySelectorAll('option')].map((o) => [o.value, o.textContent]) }))""")
    groups = [g["label"] for g in picker]
    assert groups[:2] == ["American English", "British English"] and {"Japanese", "Spanish"} <= set(groups)
    labels = {value: text for g in picker for value, text in g["options"]}
    assert labels["jf_alpha"] == "Alpha — Japanese, female" and labels["af_heart"] == "Heart — American English, female"
    assert len(set(labels.values())) == len(labels), "two voices share a name in the picker"
    for g in picker:
        assert all(value[0] == g["options"][0][0][0] or g["label"] == "Custom voices" for value, _ in g["options"])

    # Japanese text with a Spanish voice: a clear message with the fixes, and nothing synthesized.
    fill(browser, "text", "駅の近くに新しいお店ができました。")
    out = browser.call("""
        await ctx.page.getByTestId('voice').selectOption('ef_dora');
        const before = await ctx.page.evaluate(() => window.koeApp.runs);
        await ctx.page.getByTestId('generate').click();
        await ctx.page.waitForFunction(() => !document.querySelector('[data-testid=mismatch]').hidden, null, { timeout: 60000 });
        await ctx.page.waitForFunction(() => !window.koeApp.run, null, { timeout: 60000 });
        return await ctx.page.evaluate((before) => ({
          message: document.getElementById('mismatch-message').textContent,
          switchTo: document.querySelector('[data-testid=mismatch-switch]').textContent,
          switchVoice: document.querySelector('[data-testid=mismatch-switch]').dataset.voice,
          readAs: document.querySelector('[data-testid=mismatch-lang]').textContent,
          duration: window.koeApp.player.duration, clip: window.koeApp.clip, runs: window.koeApp.runs - before,
          download: document.querySelector('[data-testid=download]').getAttribute('href'),
          generate: !document.querySelector('[data-testid=generate]').disabled,
        }), before);
    """)
    assert "Japanese" in out["message"] and "Spanish" in out["message"], out
    assert out["switchVoice"].startswith("jf_") and out["switchTo"].startswith("Use ") and "— Japanese, female" in out["switchTo"]
    assert out["readAs"] == "Read it as Japanese with this voice"
    assert out["duration"] == 0 and out["clip"] is None and out["download"] is None and out["generate"]

    # "Generate anyway": the engine's own clear error (the Spanish reader cannot read any of it), never 0.4 s of audio.
    result = browser.call("""
        await ctx.page.getByTestId('mismatch-anyway').click();
        await ctx.page.waitForFunction(() => !window.koeApp.run && window.koeApp.lastRun && !window.koeApp.lastRun.mismatch, null, { timeout: 120000 });
        return await ctx.page.evaluate(() => ({ status: document.querySelector('[data-testid=status]').textContent,
          kind: document.querySelector('[data-testid=status]').dataset.kind, duration: window.koeApp.player.duration,
          hidden: document.querySelector('[data-testid=mismatch]').hidden }));
    """, timeout=150)
    assert result["kind"] == "error" and "Nothing in the text can be spoken" in result["status"], result
    assert result["duration"] == 0 and result["hidden"]


def test_blend_builder_makes_a_voice(browser):
    out = browser.call("""
        await ctx.page.locator('#blend-box summary').click();
        const rows = ctx.page.locator('[data-testid=blend-rows] .blend-row');
        await rows.nth(0).locator('select').selectOption('af_heart');
        await rows.nth(0).locator('input').fill('2');
        await rows.nth(1).locator('select').selectOption('bf_emma');
        await rows.nth(1).locator('input').fill('1');
        const spec = await ctx.page.getByTestId('blend-spec').textContent();
        await ctx.page.getByTestId('blend-use').click();
        const used = await ctx.page.evaluate(() => ({ value: document.querySelector('[data-testid=voice]').value,
          label: document.querySelector('[data-testid=voice]').selectedOptions[0].textContent }));
        await ctx.page.getByTestId('blend-name').fill('Heart and Emma');
        await ctx.page.getByTestId('blend-save').click();
        await ctx.page.waitForFunction(() => /Saved the blend/.test(document.querySelector('[data-testid=voice-status]').textContent), null, { timeout: 60000 });
        const saved = await ctx.page.evaluate(() => ({ value: document.querySelector('[data-testid=voice]').value,
          stored: JSON.parse(localStorage.getItem('koe.customVoices')).map((r) => [r.id, r.name, r.components]) }));
        return { spec, used, saved };
    """)
    assert out["spec"] == "af_heart(2)+bf_emma(1)"
    assert out["used"] == {"value": "af_heart(2)+bf_emma(1)", "label": "Blend: Heart 2 + Emma 1"}
    assert out["saved"]["value"] == "heart_and_emma"
    (voice_id, name, components), = out["saved"]["stored"]
    assert (voice_id, name) == ("heart_and_emma", "Heart and Emma")
    weights = {c["voice"]: c["weight"] for c in components}
    assert set(weights) == {"af_heart", "bf_emma"} and abs(weights["af_heart"] / weights["bf_emma"] - 2) < 1e-3  # normalized to 4 decimals


def test_hostile_voice_name_is_shown_as_text_and_delete_can_be_undone(browser, tmp_path):
    path = tmp_path / "hostile.koe-voice.json"
    path.write_text(json.dumps({"name": HOSTILE, "components": [{"voice": "af_heart", "weight": 1}]}))
    out = browser.call("""
        await ctx.page.getByTestId('ref-import').setInputFiles(args.path);
        await ctx.page.waitForFunction(() => /Imported/.test(document.querySelector('[data-testid=voice-status]').textContent), null, { timeout: 60000 });
        return await ctx.page.evaluate(() => ({
          value: document.querySelector('[data-testid=voice]').value,
          label: document.querySelector('[data-testid=voice]').selectedOptions[0].textContent,
          group: document.querySelector('[data-testid=voice]').selectedOptions[0].parentElement.label,
          status: document.querySelector('[data-testid=voice-status]').textContent,
          images: document.querySelectorAll('img').length,
        }));
    """, path=str(path))
    assert out["label"] == f"{HOSTILE} — custom, American English" and out["group"] == "Custom voices", out
    assert HOSTILE in out["status"] and out["images"] == 0
    voice_id = out["value"]

    # Delete says what it deleted, right under the buttons, with Undo (no confirmation dialog).
    deleted = browser.call("""
        await ctx.page.getByTestId('ref-delete').click();
        await ctx.page.waitForFunction(() => /Deleted/.test(document.querySelector('[data-testid=voice-status]').textContent), null, { timeout: 60000 });
        const has = (id) => [...document.querySelectorAll('[data-testid=voice] option')].some((o) => o.value === id);
        const gone = await ctx.page.evaluate(({ id }) => ({ listed: [...document.querySelectorAll('[data-testid=voice] option')].some((o) => o.value === id),
          stored: JSON.parse(localStorage.getItem('koe.customVoices')).map((r) => r.id),
          status: document.querySelector('[data-testid=voice-status]').textContent }), { id: args.id });
        await ctx.page.getByTestId('voice-undo').click();
        await ctx.page.waitForFunction(() => /Restored/.test(document.querySelector('[data-testid=voice-status]').textContent), null, { timeout: 60000 });
        const back = await ctx.page.evaluate(() => ({ value: document.querySelector('[data-testid=voice]').value,
          stored: JSON.parse(localStorage.getItem('koe.customVoices')).map((r) => r.id),
          undo: document.querySelector('[data-testid=voice-undo]').hidden, images: document.querySelectorAll('img').length }));
        return { gone, back };
    """, id=voice_id)
    assert not deleted["gone"]["listed"] and voice_id not in deleted["gone"]["stored"]
    assert deleted["gone"]["status"] == f"Deleted the custom voice “{HOSTILE}”."
    assert deleted["back"]["value"] == voice_id and voice_id in deleted["back"]["stored"] and deleted["back"]["undo"]
    assert deleted["back"]["images"] == 0


GENERATE_AND_TRACE = """async () => {
  // Click Generate, then sample the player's clock and the highlighted word on every animation
  // frame from the start of playback to its end.
  const app = window.koeApp;
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const runs = app.runs;
  document.querySelector('[data-testid=generate]').click();
  while (app.runs === runs || (app.player.state !== 'playing' && (app.run || app.player.state === 'buffering'))) await frame();
  const trace = [];
  while (app.player.state === 'playing') {
    const current = document.querySelector('[data-testid=readalong] .word.current');
    trace.push([app.player.currentTime, current ? Number(current.dataset.word) : -1]);
    await frame();
  }
  while (app.run) await frame();
  return { trace, state: app.player.state, status: document.querySelector('[data-testid=status]').textContent };
}"""

CLICK_A_WORD = """async (index) => {
  // Play, pause, then click a word of the transcript: playback goes on from that word.
  const app = window.koeApp;
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  document.querySelector('[data-testid=play]').click();
  while (app.player.state !== 'playing') await frame();
  document.querySelector('[data-testid=play]').click();
  while (app.player.state === 'playing') await frame();
  const paused = { state: app.player.state, transcript: !document.querySelector('[data-testid=readalong]').hidden };
  document.querySelector(`[data-testid=readalong] .word[data-word="${index}"]`).click();
  const current = document.querySelector('[data-testid=readalong] .word.current');
  return { paused, t: app.player.currentTime, state: app.player.state, current: current ? Number(current.dataset.word) : -1 };
}"""


def test_read_along_history_and_downloads_named_after_the_voice(browser):
    """The custom voice with the hostile name speaks a short text: the read-along view highlights
    each word as the audio clock reaches it, a click on a word seeks there, and the WAV and the
    history entry are named after the voice and the first words (the name kept as text)."""
    fill(browser, "text", READ_TEXT)
    out = browser.evaluate(GENERATE_AND_TRACE, timeout=400)
    assert out["status"].startswith("Done"), out["status"]
    words = browser.evaluate("() => window.koeApp.clip.words.filter((w) => !w.skipped)")
    assert [w["text"] for w in words] == ["One", "two", "three", "four", "five", "six"], words
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and words[-1]["end"] <= browser.evaluate("() => window.koeApp.player.duration") + 1e-3

    def index_at(t):
        return max((i for i, s in enumerate(starts) if s <= t), default=-1)

    playing = out["trace"]
    assert len(playing) > 20 and out["state"] == "ended", out
    seen = [i for _, i in playing]
    assert seen == sorted(seen), "the highlight went backwards"
    assert set(range(len(words))) <= set(seen), f"words never highlighted: {set(range(len(words))) - set(seen)}"
    # Within one animation frame of the audio clock: the highlighted word is the one heard at this
    # frame or at the previous one.
    for (t0, _), (t1, i) in zip(playing, playing[1:]):
        assert i in {index_at(t0), index_at(t1)}, (t0, t1, i, starts)

    # Playback ended: the text box is editable again; a click on a word of the transcript seeks there.
    ended = browser.evaluate("""() => ({ textarea: !document.querySelector('[data-testid=text]').hidden,
        transcript: document.querySelector('[data-testid=readalong]').hidden })""")
    assert ended == {"textarea": True, "transcript": True}
    seek = browser.evaluate(CLICK_A_WORD, 4)
    assert seek["paused"] == {"state": "paused", "transcript": True}, seek
    assert abs(seek["t"] - starts[4]) < 0.05 and seek["current"] == 4 and seek["state"] == "playing", (seek, starts)

    # Downloads are named after the voice and the first words; the history has the clip.
    download = browser.call("""
        await ctx.page.waitForFunction(() => window.koeApp.player.state === 'ended' || window.koeApp.player.state === 'paused', null, { timeout: 60000 });
        const saving = ctx.page.waitForEvent('download');
        await ctx.page.getByTestId('download').click();
        const file = await saving;
        const captioning = ctx.page.waitForEvent('download');
        await ctx.page.getByTestId('captions').click();
        const vtt = await captioning;
        const captions = { name: vtt.suggestedFilename(), text: (await import('node:fs')).readFileSync(await vtt.path(), 'utf8') };
        return { captions, name: file.suggestedFilename(), history: await ctx.page.evaluate(() => [...document.querySelectorAll('[data-testid=history] .clip-title')].map((e) => e.textContent)),
          images: await ctx.page.evaluate(() => document.querySelectorAll('img').length) };
    """)
    assert download["name"] == "img src=x onerror=alert(1) - One, two, three, four, five, six.wav", download
    assert download["history"] == [f"{HOSTILE} - {READ_TEXT}"] and download["images"] == 0
    # Captions beside it: WebVTT made by the engine (koe.captions), the cue text as written.
    captions = download["captions"]
    assert captions["name"] == "img src=x onerror=alert(1) - One, two, three, four, five, six.vtt", captions
    assert captions["text"].startswith("WEBVTT") and READ_TEXT in captions["text"], captions

    # Rename the clip in the history: its downloads follow the new name.
    renamed = browser.call("""
        await ctx.page.locator('[data-testid=history] .clip button', { hasText: 'Rename' }).first().click();
        await ctx.page.locator('[data-testid=history] .clip-rename').fill('Counting to six');
        await ctx.page.locator('[data-testid=history] .clip-rename').press('Enter');
        const saving = ctx.page.waitForEvent('download');
        await ctx.page.locator('[data-testid=history] .clip a', { hasText: 'WAV' }).first().click();
        return { name: (await saving).suggestedFilename(), main: await ctx.page.evaluate(() => document.querySelector('[data-testid=download]').download) };
    """)
    assert renamed == {"name": "Counting to six.wav", "main": "Counting to six.wav"}


def test_read_along_in_the_llm_reply(browser, server):
    """The LLM's reply is highlighted word by word as it is spoken (the fake LLM of web_fixtures)."""
    server.httpd.llm_reply = ["Yes", ", it", " works well."]
    fill(browser, "text", "Say that it works.")
    out = browser.call("""
        await ctx.page.getByTestId('llm-toggle').check();
        await ctx.page.getByTestId('llm-url').fill(args.url);
        await ctx.page.getByTestId('llm-key').fill('good-key');
        const out = await ctx.page.evaluate(async () => {
          const app = window.koeApp;
          const frame = () => new Promise((r) => requestAnimationFrame(r));
          const runs = app.runs;
          // Every status the page shows, however briefly (a frame-by-frame sample misses one that lasts under a frame).
          const statuses = new Set();
          const record = (records) => { for (const r of records) for (const node of r.addedNodes) statuses.add(node.textContent); };
          const watcher = new MutationObserver(record);
          watcher.observe(document.querySelector('[data-testid=status]'), { childList: true });
          document.querySelector('[data-testid=generate]').click();
          while (app.runs === runs || (app.player.state !== 'playing' && app.run)) await frame();
          record(watcher.takeRecords());
          watcher.disconnect();
          const highlighted = [];
          while (app.player.state === 'playing') {
            const current = document.querySelector('[data-testid=llm-reply] .word.current');
            if (current && highlighted[highlighted.length - 1] !== current.textContent) highlighted.push(current.textContent);
            await frame();
          }
          while (app.run) await frame();
          return { highlighted, statuses: [...statuses], reply: document.querySelector('[data-testid=llm-reply]').textContent,
            status: document.querySelector('[data-testid=status]').textContent };
        });
        await ctx.page.getByTestId('llm-toggle').uncheck();
        return out;
    """, url=server.url + "fake-llm/v1", timeout=400)
    assert out["status"].startswith("Done") and out["reply"] == "Yes, it works well.", out
    assert out["highlighted"] == ["Yes", "it", "works", "well"], out
    # The status follows the reply: waiting, then replying (not "Waiting for the LLM…" while it streams).
    assert "Waiting for the LLM…" in out["statuses"] and "The LLM is replying…" in out["statuses"], out["statuses"]


def test_stop_resets_the_player_and_history_replays(browser):
    fill(browser, "text", "This run is stopped before it can finish, and the player must be empty afterwards.")
    out = browser.call("""
        await ctx.page.getByTestId('voice').selectOption('af_heart');
        await ctx.page.getByTestId('generate').click();
        await ctx.page.waitForFunction(() => window.koeApp.run && window.koeApp.player.state === 'buffering', null, { timeout: 60000, polling: 20 });
        await ctx.page.getByTestId('stop').click();
        return await ctx.page.evaluate(() => ({
          run: !!window.koeApp.run, generate: !document.querySelector('[data-testid=generate]').disabled,
          state: window.koeApp.player.state, duration: window.koeApp.player.duration,
          play: document.querySelector('[data-testid=play]').disabled, seek: document.querySelector('[data-testid=seek]').disabled,
          clock: document.querySelector('[data-testid=clock]').textContent,
          download: document.querySelector('[data-testid=download]').getAttribute('href'),
          status: document.querySelector('[data-testid=status]').textContent,
          metrics: document.querySelector('[data-testid=metrics]').textContent,
          textarea: !document.querySelector('[data-testid=text]').hidden,
        }));
    """)
    # At once (in the same task as the click): the page is usable, the player empty, no stale clip.
    assert out["run"] is False and out["generate"], out
    assert out["state"] == "empty" and out["duration"] == 0 and out["play"] and out["seek"] and out["clock"] == "0:00 / 0:00", out
    assert out["download"] is None and out["status"].startswith("Stopped") and out["textarea"]
    assert "Real-time factor—" in out["metrics"], out["metrics"]

    # The clip renamed earlier plays from the history, with its words.
    replay = browser.call("""
        await ctx.page.locator('[data-testid=history] .clip', { hasText: 'Counting to six' }).getByRole('button', { name: /^Play/ }).click();
        await ctx.page.waitForFunction(() => window.koeApp.player.state === 'playing', null, { timeout: 60000, polling: 20 });
        return await ctx.page.evaluate(() => ({ duration: window.koeApp.player.duration, words: window.koeApp.clip.words.length,
          transcript: document.querySelector('[data-testid=readalong]').textContent }));
    """)
    assert replay["duration"] > 1 and replay["words"] == 6 and replay["transcript"] == READ_TEXT
    browser.call("await ctx.page.getByTestId('play').click();")  # pause


def test_nothing_left_this_machine(browser, server):
    """Every request of the page (all the tests above) went to the local server; none was even attempted elsewhere."""
    requested = browser.call("return { all: ctx.requests, blocked: ctx.state.blocked || [] };")
    assert requested["blocked"] == []
    assert requested["all"] and all(u.startswith(server.url) or u.startswith(("blob:", "data:")) for u in requested["all"])
