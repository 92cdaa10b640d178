// The Koe page: wires the form to koe.mjs (the engine in a worker), the player, the read-along
// view, the session's history and the custom voices. Every string that comes from a user or a
// file (voice names, texts, LLM replies) is put in the page as text, never as HTML.
import { createKoe, decodeAudioTo16k, resampleTo16k } from '../koe.mjs';
import { ClipPlayer } from './player.mjs';
import { ReadAlong } from './readalong.mjs';
import { ClipHistory } from './history.mjs';
import { BlendBuilder } from './blend.mjs';
import { fillVoicePicker, languagesOf, voiceFor } from './voice-picker.mjs';
import { voiceLabel, clipTitle, fileName } from './names.mjs';
import { readShared, shareLink } from './share.mjs';
import { streamChat, SentenceBuffer } from './llm.mjs';
import { concatWav } from './wav.mjs';
import { CustomVoices } from './custom-voices.mjs';

const $ = (id) => document.getElementById(id);
const els = Object.fromEntries(['text', 'readalong', 'edit-text', 'voice', 'preview', 'voice-offline', 'voice-offline-line', 'offline-all', 'lang', 'speed', 'speed-value',
  'backend', 'generate', 'stop', 'share', 'share-box', 'share-link', 'share-note', 'status', 'progress', 'notice', 'mismatch',
  'mismatch-message', 'mismatch-switch', 'mismatch-lang', 'mismatch-anyway', 'play', 'seek', 'clock', 'buffering', 'download',
  'captions', 'metrics', 'history', 'history-empty', 'backend-badge', 'backend-reason', 'build', 'llm-toggle', 'llm-fields', 'llm-url',
  'llm-key', 'llm-model', 'llm-reply', 'blend-box', 'blend-rows', 'blend-add', 'blend-spec', 'blend-use', 'blend-save', 'blend-name',
  'ref-import', 'ref-export', 'ref-delete', 'ref-rename', 'ref-record', 'ref-file', 'ref-name', 'ref-create', 'ref-cancel', 'ref-improve',
  'ref-recording', 'ref-level', 'ref-timer', 'ref-progress', 'ref-status', 'voice-status', 'voice-undo'].map((id) => [id, $(id)]));
const params = new URLSearchParams(location.search);
const shared = readShared(location);
const store = {
  get(key, fallback = null) { try { return localStorage.getItem(`koe.${key}`) ?? fallback; } catch { return fallback; } },
  set(key, value) { try { localStorage.setItem(`koe.${key}`, value); } catch { /* storage disabled */ } },
  remove(key) { try { localStorage.removeItem(`koe.${key}`); } catch { /* storage disabled */ } },
};
const SAMPLE_RATE = 24000;

const app = {
  koe: null, player: new ClipPlayer(), previewPlayer: new ClipPlayer(), run: null, lastRun: null, ready: false, runs: 0,
  voices: [], blends: [], clip: null, history: null, frame: null, unavailable: new Set(),
};
window.koeApp = app;

// --- status, notices --------------------------------------------------------------------------------

function setStatus(message, kind = 'info') {
  els.status.textContent = message;
  els.status.dataset.kind = kind;
}

function showError(message) {
  setStatus(message, 'error');
}

function showNotice(message) {
  els.notice.textContent = message || '';
  els.notice.hidden = !message;
}

function setProgress(value, max) {
  if (value == null) { els.progress.hidden = true; return; }
  els.progress.hidden = false;
  els.progress.max = max || 1;
  els.progress.value = value;
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

function showBackend(info) {
  const label = info.backend === 'webgpu' ? 'WebGPU' : `CPU · ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  els['backend-badge'].textContent = label;
  els['backend-badge'].dataset.backend = info.backend;
  els['backend-reason'].textContent = info.reason || '';
  if (info.notice) showNotice(info.notice);
}

// --- loading ----------------------------------------------------------------------------------------

async function setupServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext || params.has('nosw')) return false;
  try {
    await navigator.serviceWorker.register('sw.js');
  } catch (error) {
    console.warn('service worker not registered:', error);
    return false;
  }
  // A static host without COOP/COEP: the service worker adds them; reload once to get isolation.
  if (!window.crossOriginIsolated && !sessionStorage.getItem('koe.coiReload')) {
    // A service worker that fails to install never becomes ready: go on without it after a while.
    const ready = await Promise.race([navigator.serviceWorker.ready.then(() => true), new Promise((r) => setTimeout(() => r(false), 15000))]);
    if (!ready) {
      console.warn('the service worker did not install: no offline use, and one thread without COOP/COEP');
      return false;
    }
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => {
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
        setTimeout(resolve, 3000);
      });
    }
    if (navigator.serviceWorker.controller) {
      sessionStorage.setItem('koe.coiReload', '1');
      location.reload();
      return true;
    }
  }
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (app.ready) showNotice('Koe was updated. Reload the page to use the new version.');
  });
  return false;
}

async function start() {
  if (await setupServiceWorker()) return;
  restoreSettings();
  const backend = params.get('backend') || store.get('backend', 'auto');
  els.backend.value = backend;
  const options = { backend, onProgress: onLoadProgress };
  if (params.get('model')) options.model = params.get('model');
  if (params.get('threads')) options.threads = Number(params.get('threads'));
  for (const key of ['probeCapMs', 'webgpuStartMs']) if (params.get(key)) options[key] = Number(params.get(key)); // slow devices, tests
  if (params.has('probeFallbackAdapter')) options.probeFallbackAdapter = true; // tests: let Auto probe a software adapter
  app.koe = createKoe(options);
  window.koe = app.koe;
  let info;
  try {
    info = await app.koe.ready;
  } catch (error) {
    setProgress(null);
    showError(`Koe could not start: ${error.message}`);
    return;
  }
  setProgress(null);
  showBackend(info);
  applyRules(info.rules);
  // Custom voices must not be lost silently: this store throws when localStorage is full or disabled.
  app.customVoices = new CustomVoices(app.koe, { get: store.get, set: (key, value) => localStorage.setItem(`koe.${key}`, value) });
  await app.customVoices.restore().catch((error) => showNotice(error.message));
  await refreshVoices(shared.voice || store.get('voice'));
  await refreshLanguages(shared.lang || '');
  els.build.textContent = `Build ${info.build} · model ${info.model}`;
  const loaded = info.bytes ? `, ${mb(info.bytes)} downloaded` : ', from the cache';
  setStatus(`Ready (loaded in ${(info.loadMs / 1000).toFixed(1)} s${loaded}).`);
  els.generate.disabled = false;
  els.preview.disabled = false;
  app.ready = true;
  app.loadInfo = info;
  enableReference();
  const connectivity = async () => { await readOffline(); await refreshVoices(els.voice.value); };
  window.addEventListener('online', connectivity);
  window.addEventListener('offline', connectivity);
  await detectKoeServer();
}

/** Loading progress. Once the page is ready, background work (warming caches) says nothing here:
 * the status belongs to what the user asked for (requests report through showRequestProgress). */
function onLoadProgress(p) {
  if (p.phase === 'offline') showOffline(p);
  else if (!app.ready) showProgress(p);
}

function showProgress(p) {
  if (p.phase === 'download') {
    setProgress(p.loaded, p.total);
    setStatus(`Downloading… ${mb(p.loaded)} of ${mb(p.total)}`);
  } else if (p.phase === 'language' && p.total) {
    setProgress(p.loaded, p.total); // a language's first use: its files, with their own message
    setStatus(p.message || `Downloading the language data… ${mb(p.loaded)} of ${mb(p.total)}`);
  } else if (p.message) {
    if (p.phase !== 'session') setProgress(null);
    setStatus(p.message);
  }
}

/** Limits the engine enforces (koe.rules, from the build's manifest): shown, never restated. */
function applyRules(rules) {
  if (!rules) return;
  els['ref-name'].maxLength = rules.max_name_chars;
  els['ref-name'].placeholder = `${rules.default_voice_prefix}N`;
  els['blend-name'].maxLength = rules.max_name_chars;
  if (rules.max_input_chars) els.text.maxLength = rules.max_input_chars;
  if (rules.min_speed) els.speed.min = String(rules.min_speed);
  if (rules.max_speed) els.speed.max = String(rules.max_speed);
  setSpeed(app.wantedSpeed);
}

// --- settings ---------------------------------------------------------------------------------------

function setSpeed(value) {
  const speed = Math.min(Number(els.speed.max), Math.max(Number(els.speed.min), Number(value) || 1));
  els.speed.value = String(speed);
  els['speed-value'].textContent = `${Number(els.speed.value).toFixed(2)}×`;
}

function restoreSettings() {
  app.wantedSpeed = shared.speed ?? store.get('speed', '1'); // applied again once the engine's limits are known
  setSpeed(app.wantedSpeed);
  if (shared.text != null) els.text.value = shared.text;
  // The LLM switch is off at every visit: a text typed later must never go to an LLM unasked.
  store.remove('llm.on');
  els['llm-toggle'].checked = false;
  els['llm-url'].value = store.get('llm.url', '');
  els['llm-key'].value = store.get('llm.key', '');
  els['llm-model'].value = store.get('llm.model', '');
  els['llm-fields'].hidden = true;
}

/**
 * Served by the Koe server with an LLM configured? Then its /llm/v1 proxy is the default base URL.
 * The Koe server marks its pages (header X-Koe-Server); only then is /health asked, once, so a
 * static host never sees a request for a path it does not have.
 */
async function detectKoeServer() {
  if (els['llm-url'].value) return;
  try {
    const page = await fetch(location.pathname, { method: 'HEAD', cache: 'no-store' });
    if (!page.headers.get('x-koe-server')) return;
    const response = await fetch('health', { headers: { accept: 'application/json' } });
    const health = response.ok ? await response.json() : null;
    if (health && health.llm_proxy === true && !els['llm-url'].value) {
      els['llm-url'].value = new URL('llm/v1', location.href).pathname;
    }
  } catch { /* offline, or not the Koe server */ }
}

els.speed.addEventListener('input', () => {
  setSpeed(els.speed.value);
  store.set('speed', els.speed.value);
});
els.voice.addEventListener('change', () => {
  store.set('voice', els.voice.value);
  updateCustomButtons();
  updateLanguageLabel();
  hideMismatch();
});
els.lang.addEventListener('change', hideMismatch);
els['llm-toggle'].addEventListener('change', () => {
  els['llm-fields'].hidden = !els['llm-toggle'].checked;
});
for (const key of ['url', 'key', 'model']) {
  els[`llm-${key}`].addEventListener('change', () => store.set(`llm.${key}`, els[`llm-${key}`].value.trim()));
}

els.backend.addEventListener('change', async () => {
  if (!app.ready) return;
  const wanted = els.backend.value;
  store.set('backend', wanted);
  showNotice('');
  els.generate.disabled = true;
  setStatus(wanted === 'auto' ? 'Auto: choosing a backend…' : `Switching to ${wanted === 'webgpu' ? 'WebGPU' : 'CPU'}…`);
  try {
    const decision = await app.koe.setBackend(wanted);
    showBackend({ ...decision, threads: app.loadInfo.threads });
    setStatus('Ready.');
  } catch (error) {
    showError(`Could not switch backend: ${error.message}`);
  } finally {
    els.generate.disabled = !!app.run;
  }
});

// --- voices and languages ---------------------------------------------------------------------------

/** Which preset voices work offline (the engine's offlineStatus: {state, voices: {id: bool}, cached, total}). */
async function readOffline() {
  try {
    app.offline = await app.koe.offlineStatus();
  } catch (error) {
    console.warn('offline status:', error.message);
  }
  return app.offline;
}

/** The line under the picker: how many voices work offline, or the background saving's progress. */
function showOffline(progress) {
  if (progress && progress.voices) { // the final status of the background saving
    app.offline = progress;
    refreshLanguages(els.lang.value); // their "to download" marks
  }
  const status = app.offline;
  let text = '';
  let offer = '';
  if (progress && progress.state === 'caching' && progress.message) text = progress.message;
  else if (status && status.total) {
    // Voices whose language's files (wheels, dictionaries) are not saved: they need them first.
    const missing = Object.entries(status.languages || {}).filter(([, saved]) => !saved).map(([code]) => code)
      .filter((code) => app.voices.some((v) => !v.custom && v.language === code));
    const names = missing.map((code) => (app.languages || []).find((l) => l.code === code)?.name || code);
    const bytes = missing.reduce((n, code) => n + ((app.languages || []).find((l) => l.code === code)?.bytes || 0), 0);
    if (status.state === 'failed') text = `Not every voice could be saved for offline use (${status.error || 'unknown error'}).`;
    else if (status.cached >= status.total) text = `All ${status.total} preset voices work offline.`;
    else if (status.state === 'done' && missing.length) {
      text = `${status.cached} of ${status.total} preset voices work offline; the ${names.join(', ')} voices need their language's files first.`;
      offer = `Save them too${bytes ? ` (${mb(bytes)})` : ''}`;
    } else text = `${status.cached} of ${status.total} preset voices work offline; the others are saved in the background after your first Generate.`;
    if (navigator.onLine === false && app.unavailable.size) {
      text = `You are offline: the ${app.unavailable.size} voices not saved on this device are greyed out.`;
      offer = '';
    }
  }
  els['voice-offline'].textContent = text;
  els['voice-offline-line'].hidden = !text;
  els['offline-all'].textContent = offer;
  els['offline-all'].hidden = !offer;
}

els['offline-all'].addEventListener('click', async () => {
  els['offline-all'].hidden = true;
  try {
    app.offline = await app.koe.cacheForOffline({ languages: true });
    showOffline(app.offline.state === 'caching' ? { state: 'caching', message: 'Saving the languages for offline use…' } : null);
  } catch (error) {
    els['voice-offline'].textContent = `Could not save the languages for offline use: ${error.message}`;
  }
});

/** Voices that cannot be used now: the browser is offline and their data is not in the cache. */
function unavailableVoices(voices) {
  const saved = app.offline && app.offline.voices;
  if (navigator.onLine !== false || !saved) return new Set();
  return new Set(voices.filter((v) => !v.custom && saved[v.id] === false).map((v) => v.id));
}

async function refreshVoices(selected) {
  app.voices = await app.koe.voices();
  if (!app.offline) await readOffline();
  app.unavailable = unavailableVoices(app.voices);
  fillVoicePicker(els.voice, app.voices, { selected, fallback: app.koe.defaultVoice, blends: app.blends, unavailable: app.unavailable });
  showOffline();
  updateCustomButtons();
  updateLanguageLabel();
  const presets = app.voices.filter((v) => !v.custom);
  app.blender.setVoices(presets, ['af_heart', 'bf_emma'].filter((id) => presets.some((v) => v.id === id)));
}

function updateCustomButtons() {
  const isCustom = !!(app.customVoices && app.customVoices.has(els.voice.value));
  els['ref-export'].disabled = !isCustom;
  els['ref-delete'].disabled = !isCustom;
  els['ref-rename'].disabled = !isCustom;
  const recipe = isCustom ? app.customVoices.get(els.voice.value) : null;
  els['ref-improve'].disabled = app.creating || !(recipe && recipe.embedding && recipe.embedding.length);
}

/** The selected voice's entry ({id, name, language...}); a blend gets its first voice's language. */
function selectedVoice() {
  const id = els.voice.value;
  const voice = app.voices.find((v) => v.id === id);
  if (voice) return voice;
  const blend = app.blends.find((b) => b.spec === id);
  if (blend) {
    const first = app.voices.find((v) => v.id === blend.components[0].voice) || {};
    return { id, name: blend.label, language: first.language, language_name: first.language_name, gender: '', custom: false, blend: true };
  }
  return { id, name: id, language: '', language_name: '' };
}

async function refreshLanguages(selected) {
  let list = [];
  try {
    list = app.koe.languages ? await app.koe.languages() : [];
  } catch (error) {
    console.warn('languages:', error.message);
  }
  const known = new Map(list.map((l) => [l.code, l]));
  const options = languagesOf(app.voices).map(([code, name]) => ({ code, name, ...(known.get(code) || {}) }));
  for (const l of list) if (!options.some((o) => o.code === l.code)) options.push(l);
  const first = new Option("The voice's language", '');
  els.lang.replaceChildren(first, ...options.map((l) => {
    const extra = l.cached === false && l.bytes ? ` (${mb(l.bytes)} to download)` : '';
    return new Option(`${l.name}${extra}`, l.code);
  }));
  els.lang.value = options.some((o) => o.code === selected) ? selected : '';
  els.lang.disabled = false;
  app.languages = options;
  updateLanguageLabel();
}

function updateLanguageLabel() {
  const first = els.lang.options[0];
  if (!first) return;
  const voice = selectedVoice();
  first.textContent = voice.language_name ? `The voice's language (${voice.language_name})` : "The voice's language";
}

// --- the mismatch warning ---------------------------------------------------------------------------

function hideMismatch() {
  els.mismatch.hidden = true;
  app.mismatch = null;
}

/** Say that the text's script is not one the voice's language reads, with one-click fixes. */
function showMismatch(mismatch) {
  app.mismatch = mismatch;
  els['mismatch-message'].textContent = mismatch.message;
  const language = mismatch.suggested;
  const languageName = (app.languages || []).find((l) => l.code === language)?.name || language;
  const voice = language ? voiceFor(app.voices, language, selectedVoice()) : null;
  els['mismatch-switch'].hidden = !voice;
  if (voice) {
    els['mismatch-switch'].textContent = `Use ${voiceLabel(voice)}`;
    els['mismatch-switch'].dataset.voice = voice.id;
  }
  els['mismatch-lang'].hidden = !language;
  if (language) {
    els['mismatch-lang'].textContent = `Read it as ${languageName} with this voice`;
    els['mismatch-lang'].dataset.lang = language;
  }
  els.mismatch.hidden = false;
  setStatus('Nothing was synthesized: see the message above.', 'error');
}

els['mismatch-switch'].addEventListener('click', () => {
  els.voice.value = els['mismatch-switch'].dataset.voice;
  store.set('voice', els.voice.value);
  els.lang.value = '';
  updateCustomButtons();
  updateLanguageLabel();
  hideMismatch();
  generate();
});
els['mismatch-lang'].addEventListener('click', () => {
  els.lang.value = els['mismatch-lang'].dataset.lang;
  hideMismatch();
  generate();
});
els['mismatch-anyway'].addEventListener('click', () => {
  hideMismatch();
  generate({ force: true });
});

// --- the player, the read-along view ----------------------------------------------------------------

const mainView = new ReadAlong(els.readalong, { onseek: (t) => seekTo(t) });
const replyView = new ReadAlong(els['llm-reply'], { onseek: (t) => seekTo(t) });

function seekTo(seconds) {
  app.player.seek(seconds);
  if (app.player.state !== 'playing' && app.player.state !== 'buffering') app.player.play();
  tick();
}

/** The text box becomes the transcript while a text clip plays (or is paused), and editable after. */
function showTranscript(on) {
  const transcript = on && app.clip && app.clip.kind === 'text';
  const focused = document.activeElement === els.readalong || els.readalong.contains(document.activeElement);
  els.readalong.hidden = !transcript;
  els.text.hidden = !!transcript;
  els['edit-text'].hidden = !transcript;
  if (!transcript && focused) els.text.focus({ preventScroll: true });
}

app.player.onchange = (state) => {
  const has = app.player.segments.length > 0;
  els.play.disabled = !has && state !== 'buffering';
  const active = state === 'playing' || (state === 'buffering' && app.player.wantPlay);
  els.play.textContent = active ? 'Pause' : 'Play';
  els.play.setAttribute('aria-pressed', String(active));
  els.seek.disabled = !has;
  showTranscript(state === 'playing' || state === 'paused' || state === 'buffering');
  showBuffering();
  if (state === 'ended' && app.clip && app.clip.view) app.clip.view.clear();
  tick();
};

function showBuffering() {
  const p = app.player;
  const waiting = p.state === 'buffering' && p.wantPlay;
  let text = '';
  if (waiting && p.segments.length) {
    const wait = p.waitEstimate;
    const why = p.stats.stalls ? 'Synthesis fell behind' : 'Synthesis is slower than playback here';
    text = `Buffering… ${why}: playback starts when enough is ready to play through without a break`
      + `${wait != null && wait > 0.5 ? ` (about ${Math.ceil(wait)} s)` : ''}.`;
  } else if (waiting && app.run) {
    text = 'Buffering… waiting for the first audio.';
  }
  els.buffering.textContent = text;
  els.buffering.hidden = !text;
}

/** Update the clock, seek bar and highlighted word; keeps going every frame while audio plays. */
function tick() {
  if (app.frame) cancelAnimationFrame(app.frame);
  app.frame = null;
  const p = app.player;
  const t = p.currentTime;
  els.seek.max = String(p.duration);
  if (!app.seeking) els.seek.value = String(t);
  els.clock.textContent = `${clock(t)} / ${clock(p.duration)}`;
  if (app.clip && app.clip.view && p.state !== 'ended' && p.state !== 'empty') app.clip.view.update(t);
  if (p.state === 'playing') app.frame = requestAnimationFrame(tick);
}

els.play.addEventListener('click', async () => {
  await app.player.unlock(SAMPLE_RATE);
  app.player.toggle();
});
els.seek.addEventListener('input', () => { app.seeking = true; els.clock.textContent = `${clock(Number(els.seek.value))} / ${clock(app.player.duration)}`; });
els.seek.addEventListener('change', () => { app.seeking = false; app.player.seek(Number(els.seek.value)); tick(); });
els['edit-text'].addEventListener('click', () => {
  app.player.pause();
  showTranscript(false);
  els.text.focus();
});

// --- generating -------------------------------------------------------------------------------------

function setBusy(busy) {
  els.generate.disabled = busy;
  els.stop.disabled = !busy;
  els.preview.disabled = busy;
  els.generate.setAttribute('aria-busy', String(busy));
}

function showMetrics(m) {
  const rows = [
    ['Time to first audio', m.firstMs != null ? `${Math.round(m.firstMs)} ms` : '—'],
    ['Total time', `${(m.totalMs / 1000).toFixed(2)} s`],
    ['Audio length', `${m.audioSeconds.toFixed(2)} s`],
    // Synthesis time per audio second: only meaningful for a run that finished.
    ['Real-time factor', m.rtf != null ? m.rtf.toFixed(2) : '—'],
    ['Playback', m.playback || '—'],
    ['Backend', m.backend === 'webgpu' ? 'WebGPU' : m.backend ? 'CPU (WebAssembly)' : '—'],
    ['Threads', m.threads ? String(m.threads) : '—'],
    ['Model', m.model || '—'],
    ['Chunks', `${m.chunks}${m.total ? ` of ${m.total}` : ''}${m.cancelled ? ' (stopped)' : ''}`],
  ];
  els.metrics.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
  els.metrics.dataset.ttfaMs = m.firstMs != null ? String(Math.round(m.firstMs)) : '';
  els.metrics.dataset.totalMs = String(Math.round(m.totalMs));
}

/** The clip the download buttons offer (null: none). */
function offerClip(clip) {
  app.offered = clip;
  if (!clip) {
    els.download.removeAttribute('href');
    els.download.removeAttribute('download');
    els.download.removeAttribute('data-bytes');
    els.download.setAttribute('aria-disabled', 'true');
    els.captions.disabled = true;
    return;
  }
  els.download.href = clip.url;
  els.download.download = app.history.wavName(clip);
  els.download.setAttribute('aria-disabled', 'false');
  els.download.dataset.bytes = String(clip.wav.size);
  els.captions.disabled = !(clip.words && clip.words.length && app.koe.captions);
}

/** Audio seconds still to come, from the text not yet spoken and the audio per character so far. */
function remainingEstimate(state) {
  return () => {
    const spokenChars = state.chars;
    const left = Math.max(0, state.totalChars - spokenChars);
    if (!left) return 0;
    const perChar = spokenChars ? app.player.duration / spokenChars : 0.07;
    return left * perChar;
  };
}

/** Speak one text through the engine into the player; resolves to the stream (summary, wav) or null if stopped. */
async function speak(text, run, { lang, onChunk, charOffset = 0 } = {}) {
  const request = { text, voice: els.voice.value, speed: Number(els.speed.value), backend: els.backend.value };
  if (lang) request.lang = lang;
  // A backend being prepared or a language downloaded for this request: shown while the run is on.
  const stream = app.koe.stream({ ...request, onProgress: (p) => { if (app.run === run && !run.stopped) showProgress(p); } });
  run.streams.push(stream);
  const iterator = stream[Symbol.asyncIterator]();
  let timeOffset = null;
  let last = performance.now();
  for (;;) {
    const step = await Promise.race([iterator.next(), run.stoppedPromise]);
    if (run.stopped || step.done) break;
    const chunk = step.value;
    const now = performance.now();
    if (run.firstMs == null) run.firstMs = now - run.started;
    if (timeOffset == null) timeOffset = app.player.duration;
    // Synthesis time of this chunk: the engine's measure for the first (setup excluded), then arrival intervals.
    const synth = run.chunks === 0 && chunk.seconds ? chunk.seconds : (now - last) / 1000;
    last = now;
    run.chunks += 1;
    run.total = Math.max(run.total, chunk.total);
    run.samples += chunk.samples.length;
    const words = (chunk.words || []).map((w) => ({ ...w, start: w.start + timeOffset, end: w.end + timeOffset,
      char_start: w.char_start + charOffset, char_end: w.char_end + charOffset }));
    const spoken = words.filter((w) => !w.skipped);
    run.progress.chars = spoken.length ? Math.max(run.progress.chars, spoken[spoken.length - 1].char_end)
      : run.progress.chars + chunk.text.length;
    app.clip.words.push(...words);
    app.clip.view.add(words);
    app.player.append(chunk.samples, chunk.sampleRate, synth);
    if (onChunk) onChunk(chunk);
  }
  return run.stopped ? null : stream;
}

function newRun() {
  let stopNow;
  const run = {
    started: performance.now(), firstMs: null, samples: 0, chunks: 0, total: 0, streams: [], stopped: false,
    id: ++app.runs, progress: { chars: 0, totalChars: 0 },
  };
  run.stoppedPromise = new Promise((resolve) => { stopNow = resolve; });
  run.stop = () => { run.stopped = true; stopNow({ done: true }); };
  return run;
}

/** Generate speech for the text box (or the LLM's reply to it). `force`: skip the language check. */
async function generate({ force = false } = {}) {
  if (!app.ready || app.run) return;
  showNotice('');
  hideMismatch();
  const text = els.text.value;
  const llm = els['llm-toggle'].checked;
  const voice = selectedVoice();
  const lang = els.lang.value || null;
  const run = newRun();
  app.run = run;
  setBusy(true);
  offerClip(null);
  app.player.stop();
  await app.player.unlock(SAMPLE_RATE); // within the click: browsers let audio start
  try {
    if (!llm && !force && text.trim()) {
      const check = await app.koe.checkText({ text, voice: els.voice.value, lang });
      if (run.stopped) return;
      if (check.mismatch) {
        app.lastRun = { mismatch: check.mismatch };
        showMismatch(check.mismatch);
        return;
      }
    }
    app.clip = { kind: llm ? 'llm' : 'text', text: llm ? '' : text, prompt: text, words: [], voice: els.voice.value, voiceName: voice.name,
      view: llm ? replyView : mainView };
    app.clip.view.show(app.clip.text);
    run.progress.totalChars = app.clip.text.length;
    app.player.beginStream(remainingEstimate(run.progress));
    let summary;
    let wav;
    if (llm) {
      ({ summary, wav } = await generateWithLlm(text, run));
    } else {
      setStatus('Synthesizing…');
      const stream = await speak(text, run, {
        lang,
        onChunk: (chunk) => {
          setProgress(chunk.index + 1, chunk.total);
          setStatus(`Synthesizing… ${chunk.index + 1}/${chunk.total} chunks done`);
        },
      });
      summary = stream && stream.summary;
      wav = stream && stream.wav;
    }
    if (run.stopped) return; // stop() has shown what happened
    app.player.finish();
    const totalMs = performance.now() - run.started;
    const audioSeconds = run.samples / SAMPLE_RATE;
    const stats = app.player.stats;
    const m = {
      firstMs: run.firstMs, totalMs, audioSeconds, rtf: audioSeconds ? totalMs / 1000 / audioSeconds : null, backend: summary.backend,
      threads: summary.threads, model: summary.model, chunks: summary.chunks, total: summary.total, cancelled: false,
      playback: playbackSummary(stats),
    };
    showMetrics(m);
    app.lastRun = { ...m, summary, wavBytes: wav ? wav.size : 0, playback: { ...stats }, words: app.clip.words.length };
    if (summary.notice) showNotice(summary.notice);
    if (wav) {
      const clip = app.history.add({
        title: clipTitle(app.clip.voiceName, app.clip.text), voice: app.clip.voice, voiceName: app.clip.voiceName,
        text: app.clip.text, words: app.clip.words, wav, duration: audioSeconds, kind: app.clip.kind,
      });
      app.clip.entry = clip;
      offerClip(clip);
    }
    const skipped = summary.skipped && summary.skipped.length ? ` Could not pronounce: ${summary.skipped.join(', ')}.` : '';
    setStatus(`Done: ${audioSeconds.toFixed(1)} s of audio in ${(totalMs / 1000).toFixed(1)} s.${skipped}`);
  } catch (error) {
    if (run.stopped) return;
    app.player.stop();
    app.clip = null;
    showTranscript(false);
    app.lastRun = { error: error.message, code: error.code };
    showError(error.message);
  } finally {
    if (app.run === run) finishRun();
  }
}

function playbackSummary(stats) {
  if (stats.startedAt == null) return 'not started';
  const waited = stats.waitedMs > 50 ? `started after buffering ${(stats.waitedMs / 1000).toFixed(1)} s` : 'started at once';
  const stalls = stats.stalls ? `, ${stats.stalls} stall${stats.stalls === 1 ? '' : 's'} (${stats.stalledSeconds.toFixed(1)} s)` : ', no stalls';
  return waited + stalls;
}

function finishRun() {
  setProgress(null);
  setBusy(false);
  app.run = null;
  showBuffering();
  if (document.activeElement === els.stop || document.activeElement === document.body) els.generate.focus({ preventScroll: true });
}

async function generateWithLlm(prompt, run) {
  if (!prompt.trim()) throw new Error('Type a message for the LLM first.');
  const reply = els['llm-reply'];
  reply.hidden = false;
  replyView.show('');
  const splitter = new SentenceBuffer();
  const controller = new AbortController();
  run.abort = () => controller.abort();
  const wavs = [];
  const summaries = [];
  let chain = Promise.resolve();
  let sentences = 0;
  let spoken = 0;
  let cursor = 0; // where the next sentence is looked for in the reply
  let replying = false;
  const queue = (sentence) => {
    sentences += 1;
    const at = app.clip.text.indexOf(sentence, cursor);
    const charOffset = at >= 0 ? at : cursor;
    cursor = at >= 0 ? at + sentence.length : cursor;
    chain = chain.then(async () => {
      if (run.stopped) return;
      const stream = await speak(sentence, run, { charOffset });
      if (!stream) return;
      spoken += 1;
      if (stream.summary) summaries.push(stream.summary);
      if (stream.wav) wavs.push(stream.wav);
      setStatus(`Speaking the reply… ${spoken} of ${sentences} sentence${sentences === 1 ? '' : 's'} synthesized${replying ? ', the LLM is still writing' : ''}`);
    });
  };
  setStatus('Waiting for the LLM…');
  for await (const delta of streamChat({
    baseUrl: els['llm-url'].value.trim(), apiKey: els['llm-key'].value.trim(), model: els['llm-model'].value.trim(),
    prompt, signal: controller.signal,
  })) {
    if (!replying) { replying = true; setStatus('The LLM is replying…'); }
    app.clip.text += delta;
    run.progress.totalChars = app.clip.text.length;
    replyView.setText(app.clip.text);
    for (const sentence of splitter.push(delta)) queue(sentence);
    if (run.stopped) break;
  }
  replying = false;
  for (const sentence of splitter.flush()) queue(sentence);
  if (!sentences && !run.stopped) throw new Error('The LLM sent an empty reply.');
  if (!run.stopped && spoken < sentences) setStatus(`The LLM has finished; speaking the reply… ${spoken} of ${sentences} sentences synthesized`);
  await chain;
  const last = summaries[summaries.length - 1] || { backend: '', threads: 0, model: '', total: 0 };
  const summary = { ...last, chunks: summaries.reduce((n, s) => n + s.chunks, 0), total: summaries.reduce((n, s) => n + s.total, 0), cancelled: run.stopped };
  return { summary, wav: wavs.length ? await concatWav(wavs) : null };
}

/** Stop now: silence, forget the partial clip, and hand the page back at once (the engine finishes the
 * chunk in progress on its own; the next request queues behind it). */
function stop() {
  const run = app.run;
  if (!run) return;
  run.stop();
  if (run.abort) run.abort();
  for (const stream of run.streams) stream.cancel();
  app.player.stop();
  app.clip = null;
  showTranscript(false);
  const totalMs = performance.now() - run.started;
  const summary = { cancelled: true, chunks: run.chunks, total: run.total };
  showMetrics({ firstMs: run.firstMs, totalMs, audioSeconds: run.samples / SAMPLE_RATE, rtf: null, chunks: run.chunks,
    total: run.total, cancelled: true, playback: 'stopped' });
  app.lastRun = { cancelled: true, summary, totalMs };
  setStatus(run.total ? `Stopped after ${run.chunks} of ${run.total} chunks.` : 'Stopped.');
  offerClip(null);
  finishRun();
}

els.generate.addEventListener('click', () => generate());
els.stop.addEventListener('click', stop);
els.text.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); generate(); }
});
els.text.addEventListener('input', hideMismatch);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && app.run) stop();
});

// --- captions, history, preview, share --------------------------------------------------------------

function saveBlob(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function downloadCaptions(clip) {
  if (!clip || !app.koe.captions) return;
  try {
    const vtt = await app.koe.captions(clip.words, clip.text, 'vtt');
    saveBlob(new Blob([vtt], { type: 'text/vtt' }), fileName(clip.title, 'vtt'));
  } catch (error) {
    showError(`Could not make the captions: ${error.message}`);
  }
}

els.captions.addEventListener('click', () => downloadCaptions(app.offered));

app.history = new ClipHistory(els.history, {
  onplay: (clip) => replay(clip),
  oncaptions: (clip) => downloadCaptions(clip),
  onchange: (clips) => {
    els['history-empty'].hidden = clips.length > 0;
    if (app.offered) offerClip(clips.find((c) => c.id === app.offered.id) || null); // a renamed clip downloads under its new name
  },
});

/** Play a clip of this session again (its words highlighted as before). */
async function replay(clip) {
  if (app.run) stop();
  if (!(await app.player.unlock(SAMPLE_RATE))) {
    showError('This browser gives the page no audio output.');
    return;
  }
  let samples;
  try {
    const buffer = await app.player.ctx.decodeAudioData(await clip.wav.arrayBuffer());
    samples = buffer.getChannelData(0);
  } catch (error) {
    showError(`Could not play the clip: ${error.message}`);
    return;
  }
  const view = clip.kind === 'llm' ? replyView : mainView;
  if (clip.kind === 'llm') els['llm-reply'].hidden = false;
  app.clip = { ...clip, view, entry: clip };
  view.show(clip.text, clip.words);
  offerClip(clip);
  app.player.load(samples, app.player.ctx.sampleRate);
  setStatus(`Playing “${clip.title}”.`);
}

const PREVIEW_TEXT = {
  'en-us': 'Hello! This is how I sound.', 'en-gb': 'Hello! This is how I sound.', es: '¡Hola! Así suena mi voz.',
  fr: 'Bonjour ! Voici ma voix.', it: 'Ciao! Questa è la mia voce.', 'pt-br': 'Olá! Esta é a minha voz.',
  hi: 'नमस्ते! मेरी आवाज़ ऐसी है।', ja: 'こんにちは。これが私の声です。', zh: '你好！这是我的声音。',
};
const previews = new Map();
/** Samples of a voice made before it changed (an improved custom voice) are not its sound any more. */
const forgetPreviews = (id) => { for (const key of [...previews.keys()]) if (key.startsWith(`${id}@`)) previews.delete(key); };

/** A short sample of the selected voice (made once per voice and speed in this session). */
async function preview() {
  if (!app.ready || app.run || app.previewing) return;
  const voice = selectedVoice();
  const key = `${voice.id}@${els.speed.value}`;
  app.previewing = true;
  els.preview.disabled = true;
  els.generate.disabled = true;
  await app.previewPlayer.unlock(SAMPLE_RATE);
  try {
    let samples = previews.get(key);
    if (!samples) {
      setStatus(`Preparing a sample of ${voiceLabel(voice)}…`);
      const text = PREVIEW_TEXT[voice.language] || PREVIEW_TEXT['en-us'];
      const result = await app.koe.synthesize({ text, voice: voice.id, speed: Number(els.speed.value), backend: els.backend.value, wav: false,
        onProgress: (p) => { if (app.previewing) showProgress(p); } });
      samples = result.samples;
      previews.set(key, samples);
    }
    app.player.pause();
    app.previewPlayer.load(samples, SAMPLE_RATE);
    setStatus(`Playing a sample of ${voiceLabel(voice)}.`);
  } catch (error) {
    showError(`No sample of ${voiceLabel(voice)}: ${error.message}`);
  } finally {
    app.previewing = false;
    els.preview.disabled = false;
    els.generate.disabled = !!app.run;
  }
}

els.preview.addEventListener('click', preview);

els.share.addEventListener('click', async () => {
  const link = shareLink(location, { text: els.text.value, voice: els.voice.value, speed: Number(els.speed.value), lang: els.lang.value });
  els['share-link'].value = link.url;
  els['share-box'].hidden = false;
  const what = `${link.textIncluded ? 'The link carries the text, voice and speed.'
    : 'The text is too long for a link: it carries the voice and speed only.'} The text stays in the link's #fragment, which browsers do not send to servers.`;
  els['share-note'].textContent = what;
  els['share-link'].select();
  try {
    // The clipboard may ask for permission (or never answer): the link is shown to copy by hand meanwhile.
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(link.url);
      els['share-note'].textContent = `Copied. ${what}`;
    }
  } catch { /* no clipboard permission */ }
});

// --- blends -----------------------------------------------------------------------------------------

app.blender = new BlendBuilder({
  rows: els['blend-rows'], add: els['blend-add'], spec: els['blend-spec'], use: els['blend-use'], save: els['blend-save'], name: els['blend-name'],
}, {
  onuse: (blend) => {
    if (!app.blends.some((b) => b.spec === blend.spec)) app.blends.push(blend);
    fillVoicePicker(els.voice, app.voices, { selected: blend.spec, blends: app.blends, unavailable: app.unavailable });
    updateCustomButtons();
    updateLanguageLabel();
    setStatus(`Selected ${blend.label} (${blend.spec}).`);
  },
  onsave: async ({ name, components }) => {
    try {
      const recipe = await app.customVoices.addShared({ name, components });
      await refreshVoices(recipe.id);
      store.set('voice', recipe.id);
      els['blend-name'].value = '';
      voiceStatus(`Saved the blend as the custom voice “${recipe.name}”. It is selected above.`);
    } catch (error) {
      voiceStatus(`Could not save the blend: ${error.message}`, 'error');
    }
  },
});

// --- custom voices ----------------------------------------------------------------------------------

/** Messages about the voice library, next to its buttons (not in another card). */
function voiceStatus(message, kind = 'info', undo = null) {
  els['voice-status'].textContent = message;
  els['voice-status'].dataset.kind = kind;
  app.undo = undo;
  els['voice-undo'].hidden = !undo;
}

els['ref-import'].addEventListener('change', async () => {
  const file = els['ref-import'].files[0];
  els['ref-import'].value = '';
  if (!file) return;
  try {
    const added = await app.customVoices.importFile(file);
    await refreshVoices(added[0]);
    const names = added.map((id) => `“${app.customVoices.get(id).name}”`).join(', ');
    voiceStatus(`Imported ${added.length} custom voice${added.length === 1 ? '' : 's'}: ${names}.`);
  } catch (error) {
    voiceStatus(`Import failed: ${error.message}`, 'error');
  }
});
els['ref-export'].addEventListener('click', () => {
  try { app.customVoices.exportVoice(els.voice.value); } catch (error) { voiceStatus(error.message, 'error'); }
});
els['ref-delete'].addEventListener('click', async () => {
  const id = els.voice.value;
  try {
    const removed = await app.customVoices.remove(id);
    await refreshVoices(null);
    voiceStatus(`Deleted the custom voice “${removed.recipe.name}”.`, 'info', removed);
  } catch (error) {
    voiceStatus(error.message, 'error');
  }
});
els['voice-undo'].addEventListener('click', async () => {
  const undo = app.undo;
  if (!undo) return;
  try {
    const recipe = await app.customVoices.undo(undo);
    await refreshVoices(recipe.id);
    voiceStatus(`Restored the custom voice “${recipe.name}”.`);
  } catch (error) {
    voiceStatus(error.message, 'error');
  }
});

// --- custom voices from a recording or a file ------------------------------------------------------

const MAX_RECORD_S = 90;
app.voiceOptions = {
  budgetSeconds: Number(params.get('voiceBudget')) || 60,
  maxSteps: Number(params.get('voiceSteps')) || undefined,
};

function refStatus(message, kind = 'info') {
  els['ref-status'].textContent = message;
  els['ref-status'].dataset.kind = kind;
}

function refBusy(busy) {
  app.creating = busy;
  els['ref-create'].disabled = busy || !app.reference;
  els['ref-cancel'].disabled = !busy;
  els['ref-file'].disabled = busy;
  els['ref-record'].disabled = busy || !canRecord();
  updateCustomButtons();
}

const canRecord = () => !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

function enableReference() {
  els['ref-file'].disabled = false;
  els['ref-record'].disabled = !canRecord();
  if (!canRecord()) els['ref-record'].title = 'Recording needs a secure page (https or localhost) and a microphone.';
}

function setReference(reference) {
  app.reference = reference;
  els['ref-create'].disabled = !reference || app.creating;
}

/** An AudioContext at 16 kHz, the speaker encoder's rate (the browser resamples the microphone);
 * the device's rate where a browser cannot record at another rate (then resampled after). */
function recordingContext() {
  try { return new AudioContext({ sampleRate: 16000 }); } catch { return new AudioContext(); }
}

async function startRecording() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false } });
  } catch (error) {
    const denied = error && (error.name === 'NotAllowedError' || error.name === 'SecurityError');
    refStatus(denied ? 'Microphone access was refused: allow it in the browser (site settings) and try again.'
      : `No microphone could be opened (${error && error.message ? error.message : error}).`, 'error');
    return;
  }
  let context = recordingContext();
  let source;
  try {
    source = context.createMediaStreamSource(stream);
  } catch { // a browser that cannot connect a microphone to a context at another rate
    await context.close().catch(() => {});
    context = new AudioContext();
    source = context.createMediaStreamSource(stream);
  }
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  const processor = context.createScriptProcessor(4096, 1, 1);
  const parts = [];
  processor.onaudioprocess = (event) => parts.push(new Float32Array(event.inputBuffer.getChannelData(0)));
  source.connect(analyser);
  source.connect(processor);
  processor.connect(context.destination); // silent output: keeps the processor running
  const frame = new Float32Array(analyser.fftSize);
  const started = performance.now();
  const rec = { stream, context, processor, parts, started };
  rec.timer = setInterval(() => {
    analyser.getFloatTimeDomainData(frame);
    let peak = 0;
    for (const v of frame) peak = Math.max(peak, Math.abs(v));
    els['ref-level'].value = peak;
    const seconds = (performance.now() - started) / 1000;
    els['ref-timer'].textContent = `${clock(seconds)} / ${clock(MAX_RECORD_S)}${peak >= 0.99 ? ' · too loud' : ''}`;
    if (seconds >= MAX_RECORD_S) stopRecording();
  }, 100);
  app.recording = rec;
  els['ref-record'].textContent = 'Stop recording';
  els['ref-record'].setAttribute('aria-pressed', 'true');
  els['ref-recording'].hidden = false;
  els['ref-file'].disabled = true;
  els['ref-create'].disabled = true;
  refStatus('Recording… speak naturally for 10 to 30 s, then press Stop recording.');
}

async function stopRecording() {
  const rec = app.recording;
  if (!rec) return;
  app.recording = null;
  clearInterval(rec.timer);
  rec.processor.disconnect();
  for (const track of rec.stream.getTracks()) track.stop();
  const rate = rec.context.sampleRate;
  await rec.context.close().catch(() => {});
  els['ref-record'].textContent = 'Record';
  els['ref-record'].setAttribute('aria-pressed', 'false');
  els['ref-recording'].hidden = true;
  els['ref-level'].value = 0;
  els['ref-file'].disabled = false;
  const samples = new Float32Array(rec.parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of rec.parts) { samples.set(p, offset); offset += p.length; }
  const seconds = samples.length / rate;
  if (seconds < 0.5) {
    setReference(null);
    refStatus('Nothing was recorded: press Record, speak, then press Stop recording.', 'error');
    return;
  }
  setReference({ samples, rate, source: 'microphone', label: `a ${seconds.toFixed(1)} s recording` });
  refStatus(`Recorded ${seconds.toFixed(1)} s. Name it (optional) and click Create voice.`);
}

els['ref-record'].addEventListener('click', () => (app.recording ? stopRecording() : startRecording()));

els['ref-file'].addEventListener('change', () => {
  const file = els['ref-file'].files[0];
  if (!file) return;
  setReference({ file, source: `file:${file.name}`, label: file.name });
  refStatus(`Selected ${file.name}. Name it (optional) and click Create voice.`);
});

/**
 * One custom-voice search in the page (Create voice, Improve further): the busy state, the
 * progress bar, Stop (the AbortSignal given to `search`), keeping the result in this browser and
 * selecting it. `search(signal)` resolves to what koe.createVoice/refineVoice give; `describe(recipe,
 * result, seconds)` says what was made.
 */
async function runVoiceSearch(search, describe, extra = {}) {
  const controller = new AbortController();
  app.voiceRun = { controller, started: performance.now(), progress: [] };
  refBusy(true);
  els['ref-progress'].hidden = false;
  els['ref-progress'].removeAttribute('value');
  try {
    const result = await search(controller.signal);
    const totalMs = performance.now() - app.voiceRun.started;
    const recipe = result.recipe;
    app.lastVoice = { recipe, totalMs, cancelled: result.cancelled, progress: app.voiceRun.progress, ...extra };
    let kept = '';
    try {
      await app.customVoices.add(recipe);
    } catch (error) {
      kept = ` But: ${error.message}`;
    }
    forgetPreviews(recipe.id);
    await refreshVoices(recipe.id);
    store.set('voice', recipe.id);
    refStatus(`${describe(recipe, result, totalMs / 1000)}${kept}`, kept ? 'error' : 'info');
  } catch (error) {
    app.lastVoice = { error: error.message, code: error.code, ...extra };
    refStatus(error.message, 'error');
  } finally {
    els['ref-progress'].hidden = true;
    app.voiceRun = null;
    refBusy(false);
  }
}

async function createVoice() {
  if (!app.ready || !app.reference || app.creating) return;
  const reference = app.reference;
  await runVoiceSearch(async (signal) => {
    refStatus(`Reading ${reference.label}…`);
    const samples = reference.file ? await decodeAudioTo16k(reference.file) : await resampleTo16k(reference.samples, reference.rate);
    refStatus('Checking the audio and measuring the speaker…');
    const { budgetSeconds, maxSteps } = app.voiceOptions;
    const result = await app.koe.createVoice({
      samples16k: samples, name: els['ref-name'].value.trim(), budgetSeconds, maxSteps, source: reference.source,
      signal, onProgress: searchProgress('Matching the voice'),
    });
    els['ref-name'].value = '';
    return result;
  }, (recipe, result, seconds) => {
    const score = recipe.score != null ? ` (similarity ${recipe.score.toFixed(3)} by Koe's speaker measure)` : '';
    return `Created “${recipe.name}”, the closest voice Koe can make to this speaker${score}, from `
      + `${recipe.seconds.toFixed(1)} s of speech in ${seconds.toFixed(1)} s${result.cancelled ? ' (search stopped early)' : ''}. `
      + 'It is selected above: Preview plays it; Improve further searches on.';
  });
}

/** The progress callback of a voice search: by the time budget (the number of measurements is an estimate that moves). */
function searchProgress(what) {
  return (p) => {
    const run = app.voiceRun;
    if (!run) return;
    run.progress.push({ ...p, atMs: performance.now() - run.started });
    if (run.controller.signal.aborted) return; // "Stopping…" stays until the search has stopped
    els['ref-progress'].max = Math.max(1, p.budget_s);
    els['ref-progress'].value = Math.min(p.elapsed_s, p.budget_s);
    refStatus(`${what}… ${p.step} measurement${p.step === 1 ? '' : 's'}, best similarity ${p.best_score.toFixed(3)} `
      + `(${Math.round(p.elapsed_s)} of ${Math.round(p.budget_s)} s)`);
  };
}

/** "Improve further": search on from the selected custom voice; the improved one replaces it. */
async function improveVoice() {
  const recipe = app.customVoices && app.customVoices.get(els.voice.value);
  if (!app.ready || !recipe || app.creating) return;
  await runVoiceSearch((signal) => {
    refStatus(`Improving “${recipe.name}”…`);
    const { budgetSeconds, maxSteps } = app.voiceOptions;
    return app.koe.refineVoice({ voice: recipe.id, budgetSeconds, maxSteps, signal, onProgress: searchProgress(`Improving “${recipe.name}”`) });
  }, (improved, result, seconds) => {
    const before = recipe.score != null ? recipe.score.toFixed(3) : '?';
    const after = improved.score != null ? improved.score.toFixed(3) : '?';
    return `“${improved.name}”: similarity ${before} → ${after} in ${seconds.toFixed(1)} s`
      + `${result.cancelled ? ' (stopped)' : ''}. Preview plays it; Improve further searches on.`;
  }, { refined: true });
}

els['ref-create'].addEventListener('click', createVoice);
els['ref-improve'].addEventListener('click', improveVoice);
els['ref-cancel'].addEventListener('click', () => {
  if (app.voiceRun) {
    app.voiceRun.controller.abort();
    els['ref-cancel'].disabled = true;
    els['ref-progress'].removeAttribute('value');
    refStatus('Stopping the search (keeping the best match so far)…');
  }
});
els['ref-rename'].addEventListener('click', async () => {
  const id = els.voice.value;
  try {
    const renamed = await app.customVoices.rename(id, els['ref-name'].value);
    els['ref-name'].value = '';
    await refreshVoices(id);
    voiceStatus(`Renamed the custom voice to “${renamed.name}”.`);
  } catch (error) {
    voiceStatus(error.message, 'error');
  }
});

start().catch((error) => showError(`Koe could not start: ${error.message}`));
