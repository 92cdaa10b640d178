// The Koe page: wires the form to koe.mjs (the engine in a worker) and the streaming player.
import { createKoe, decodeAudioTo16k, resampleTo16k } from '../koe.mjs';
import { StreamPlayer } from './player.mjs';
import { streamChat, SentenceBuffer } from './llm.mjs';
import { concatWav } from './wav.mjs';
import { CustomVoices } from './custom-voices.mjs';

const $ = (id) => document.getElementById(id);
const els = Object.fromEntries(['text', 'voice', 'speed', 'speed-value', 'backend', 'generate', 'stop', 'status', 'progress',
  'notice', 'audio', 'download', 'metrics', 'backend-badge', 'backend-reason', 'build', 'llm-toggle', 'llm-fields', 'llm-url',
  'llm-key', 'llm-model', 'llm-reply', 'ref-import', 'ref-export', 'ref-delete', 'ref-rename', 'ref-record', 'ref-file',
  'ref-name', 'ref-create', 'ref-cancel', 'ref-recording', 'ref-level', 'ref-timer', 'ref-progress', 'ref-status'].map((id) => [id, $(id)]));
const params = new URLSearchParams(location.search);
const store = {
  get(key, fallback = null) { try { return localStorage.getItem(`koe.${key}`) ?? fallback; } catch { return fallback; } },
  set(key, value) { try { localStorage.setItem(`koe.${key}`, value); } catch { /* storage disabled */ } },
};

const app = { koe: null, player: new StreamPlayer(), run: null, lastRun: null, ready: false, runs: 0 };
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
    await navigator.serviceWorker.ready;
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

function fillVoices(voices, selected) {
  const groups = new Map();
  const presets = voices.filter((v) => !v.custom);
  const custom = voices.filter((v) => v.custom);
  for (const v of presets) {
    const key = `${v.language_name || v.language} · ${v.gender === 'female' ? 'Female' : v.gender === 'male' ? 'Male' : v.gender}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(v);
  }
  const select = els.voice;
  select.replaceChildren();
  const english = (k) => (k.startsWith('American') ? 0 : k.startsWith('British') ? 1 : 2);
  const keys = [...groups.keys()].sort((a, b) => english(a) - english(b) || a.localeCompare(b));
  for (const key of keys) {
    const group = document.createElement('optgroup');
    group.label = key;
    for (const v of groups.get(key)) group.append(new Option(v.name, v.id));
    select.append(group);
  }
  if (custom.length) {
    const group = document.createElement('optgroup');
    group.label = 'Custom voices';
    for (const v of custom) group.append(new Option(v.name, v.id));
    select.append(group);
  }
  const ids = new Set(voices.map((v) => v.id));
  select.value = ids.has(selected) ? selected : app.koe.defaultVoice;
  select.disabled = false;
  updateCustomButtons();
}

function updateCustomButtons() {
  const isCustom = app.customVoices && app.customVoices.has(els.voice.value);
  els['ref-export'].disabled = !isCustom;
  els['ref-delete'].disabled = !isCustom;
  els['ref-rename'].disabled = !isCustom;
}

async function start() {
  if (await setupServiceWorker()) return;
  restoreSettings();
  const backend = params.get('backend') || store.get('backend', 'auto');
  els.backend.value = backend;
  const options = { backend, onProgress };
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
  els['ref-name'].maxLength = info.rules.max_name_chars;
  els['ref-name'].placeholder = `${info.rules.default_voice_prefix}N`;
  // Custom voices must not be lost silently: this store throws when localStorage is full or disabled.
  app.customVoices = new CustomVoices(app.koe, { get: store.get, set: (key, value) => localStorage.setItem(`koe.${key}`, value) });
  await app.customVoices.restore().catch((error) => showNotice(error.message));
  fillVoices(await app.koe.voices(), params.get('voice') || store.get('voice'));
  els.build.textContent = `Build ${info.build} · model ${info.model}`;
  const loaded = info.bytes ? `, ${mb(info.bytes)} downloaded` : ', from the cache';
  setStatus(`Ready (loaded in ${(info.loadMs / 1000).toFixed(1)} s${loaded}).`);
  els.generate.disabled = false;
  app.ready = true;
  app.loadInfo = info;
  enableReference();
  await detectKoeServer();
}

function onProgress(p) {
  if (p.phase === 'download') {
    setProgress(p.loaded, p.total);
    setStatus(`Downloading… ${mb(p.loaded)} of ${mb(p.total)}`);
  } else if (p.message) {
    if (p.phase !== 'session') setProgress(null);
    setStatus(p.message);
  }
}

// --- settings ---------------------------------------------------------------------------------------

function restoreSettings() {
  els.speed.value = store.get('speed', '1');
  els['speed-value'].textContent = `${Number(els.speed.value).toFixed(2)}×`;
  els['llm-toggle'].checked = store.get('llm.on') === '1';
  els['llm-url'].value = store.get('llm.url', '');
  els['llm-key'].value = store.get('llm.key', '');
  els['llm-model'].value = store.get('llm.model', '');
  els['llm-fields'].hidden = !els['llm-toggle'].checked;
}

async function detectKoeServer() {
  // Served by the Koe server? Then its /llm/v1 proxy is the default LLM base URL.
  if (els['llm-url'].value) return;
  try {
    const response = await fetch('health', { headers: { accept: 'application/json' } });
    const health = response.ok ? await response.json() : null;
    if (health && 'llm_proxy' in health) {
      els['llm-url'].value = new URL('llm/v1', location.href).pathname;
      els['llm-url'].placeholder = els['llm-url'].value;
    }
  } catch { /* a static host */ }
}

els.speed.addEventListener('input', () => {
  els['speed-value'].textContent = `${Number(els.speed.value).toFixed(2)}×`;
  store.set('speed', els.speed.value);
});
els.voice.addEventListener('change', () => { store.set('voice', els.voice.value); updateCustomButtons(); });
els['llm-toggle'].addEventListener('change', () => {
  els['llm-fields'].hidden = !els['llm-toggle'].checked;
  store.set('llm.on', els['llm-toggle'].checked ? '1' : '0');
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
    els.generate.disabled = false;
  }
});

// --- generating -------------------------------------------------------------------------------------

function setBusy(busy) {
  els.generate.disabled = busy;
  els.stop.disabled = !busy;
  els.generate.setAttribute('aria-busy', String(busy));
}

function showMetrics(m) {
  const rows = [
    ['Time to first audio', m.firstMs != null ? `${Math.round(m.firstMs)} ms` : '—'],
    ['Total time', `${(m.totalMs / 1000).toFixed(2)} s`],
    ['Audio length', `${m.audioSeconds.toFixed(2)} s`],
    ['Real-time factor', m.audioSeconds ? `${(m.totalMs / 1000 / m.audioSeconds).toFixed(2)}` : '—'],
    ['Backend', m.backend === 'webgpu' ? 'WebGPU' : 'CPU (WebAssembly)'],
    ['Threads', String(m.threads)],
    ['Model', m.model],
    ['Chunks', `${m.chunks}${m.cancelled ? ' (stopped)' : ''}`],
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

function offerWav(blob) {
  if (app.wavUrl) URL.revokeObjectURL(app.wavUrl);
  if (!blob) {
    els.audio.removeAttribute('src');
    els.download.removeAttribute('href');
    els.download.setAttribute('aria-disabled', 'true');
    return;
  }
  app.wavUrl = URL.createObjectURL(blob);
  els.audio.src = app.wavUrl;
  els.download.href = app.wavUrl;
  els.download.setAttribute('aria-disabled', 'false');
  els.download.dataset.bytes = String(blob.size);
}

/** Speak one text through the engine into the player; returns the stream (summary, wav). */
async function speak(text, run, onChunk) {
  const stream = app.koe.stream({ text, voice: els.voice.value, speed: Number(els.speed.value), backend: els.backend.value });
  run.streams.push(stream);
  for await (const chunk of stream) {
    if (run.stopped) break;
    if (run.firstMs == null) run.firstMs = performance.now() - run.started;
    app.player.enqueue(chunk.samples, chunk.sampleRate);
    run.samples += chunk.samples.length;
    if (onChunk) onChunk(chunk);
  }
  return stream;
}

async function generate() {
  if (!app.ready || app.run) return;
  showNotice('');
  const text = els.text.value;
  const run = { started: performance.now(), firstMs: null, samples: 0, streams: [], stopped: false, id: ++app.runs };
  app.run = run;
  setBusy(true);
  offerWav(null);
  await app.player.start(24000);
  try {
    let summary;
    let wav;
    if (els['llm-toggle'].checked) {
      ({ summary, wav } = await generateWithLlm(text, run));
    } else {
      setStatus('Synthesizing…');
      const stream = await speak(text, run, (chunk) => {
        setProgress(chunk.index + 1, chunk.total);
        setStatus(`Synthesizing… ${chunk.index + 1}/${chunk.total} chunks done`);
      });
      summary = stream.summary;
      wav = stream.wav;
    }
    if (!summary) return;
    const totalMs = performance.now() - run.started;
    const m = {
      firstMs: run.firstMs, totalMs, audioSeconds: run.samples / 24000, backend: summary.backend,
      threads: summary.threads, model: summary.model, chunks: summary.chunks, cancelled: run.stopped || summary.cancelled,
    };
    showMetrics(m);
    app.lastRun = { ...m, summary, wavBytes: wav ? wav.size : 0 };
    if (summary.notice) showNotice(summary.notice);
    if (run.stopped || summary.cancelled) {
      setStatus(`Stopped after ${summary.chunks} of ${summary.total} chunks.`);
      offerWav(null);
    } else {
      offerWav(wav);
      const skipped = summary.skipped && summary.skipped.length ? ` Could not pronounce: ${summary.skipped.join(', ')}.` : '';
      setStatus(`Done: ${m.audioSeconds.toFixed(1)} s of audio in ${(totalMs / 1000).toFixed(1)} s.${skipped}`);
    }
  } catch (error) {
    app.player.stop();
    app.lastRun = { error: error.message };
    showError(error.message);
  } finally {
    setProgress(null);
    setBusy(false);
    app.run = null;
    els.generate.focus({ preventScroll: true });
  }
}

async function generateWithLlm(prompt, run) {
  if (!prompt.trim()) throw new Error('Type a message for the LLM first.');
  const reply = els['llm-reply'];
  reply.hidden = false;
  reply.textContent = '';
  const splitter = new SentenceBuffer();
  const controller = new AbortController();
  run.abort = () => controller.abort();
  const wavs = [];
  const summaries = [];
  let chain = Promise.resolve();
  let sentences = 0;
  let spoken = 0;
  const queue = (sentence) => {
    sentences += 1;
    chain = chain.then(async () => {
      if (run.stopped) return;
      const stream = await speak(sentence, run);
      spoken += 1;
      if (stream.summary) summaries.push(stream.summary);
      if (stream.wav) wavs.push(stream.wav);
      setStatus(`Speaking the reply… ${spoken}/${sentences} sentences`);
    });
  };
  setStatus('Waiting for the LLM…');
  for await (const delta of streamChat({
    baseUrl: els['llm-url'].value.trim(), apiKey: els['llm-key'].value.trim(), model: els['llm-model'].value.trim(),
    prompt, signal: controller.signal,
  })) {
    reply.textContent += delta;
    for (const sentence of splitter.push(delta)) queue(sentence);
    if (run.stopped) break;
  }
  for (const sentence of splitter.flush()) queue(sentence);
  if (!sentences && !run.stopped) throw new Error('The LLM sent an empty reply.');
  await chain;
  const last = summaries[summaries.length - 1] || { backend: '', threads: 0, model: '', total: 0 };
  const summary = { ...last, chunks: summaries.reduce((n, s) => n + s.chunks, 0), total: summaries.reduce((n, s) => n + s.total, 0), cancelled: run.stopped };
  return { summary, wav: wavs.length ? await concatWav(wavs) : null };
}

function stop() {
  const run = app.run;
  if (!run) return;
  run.stopped = true;
  if (run.abort) run.abort();
  for (const stream of run.streams) stream.cancel();
  app.player.stop();
  setStatus('Stopping…');
}

els.generate.addEventListener('click', generate);
els.stop.addEventListener('click', stop);
els.text.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); generate(); }
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && app.run) stop();
});

// --- custom voices ----------------------------------------------------------------------------------

els['ref-import'].addEventListener('change', async () => {
  const file = els['ref-import'].files[0];
  els['ref-import'].value = '';
  if (!file) return;
  try {
    const added = await app.customVoices.importFile(file);
    fillVoices(await app.koe.voices(), added[0]);
    setStatus(`Imported ${added.length} custom voice${added.length === 1 ? '' : 's'}.`);
  } catch (error) {
    showError(`Import failed: ${error.message}`);
  }
});
els['ref-export'].addEventListener('click', () => {
  try { app.customVoices.exportVoice(els.voice.value); } catch (error) { showError(error.message); }
});
els['ref-delete'].addEventListener('click', async () => {
  const id = els.voice.value;
  try {
    await app.customVoices.remove(id);
    fillVoices(await app.koe.voices(), null);
    setStatus(`Deleted the custom voice ${id}.`);
  } catch (error) {
    showError(error.message);
  }
});

// --- custom voices from a recording or a file ------------------------------------------------------

const MAX_RECORD_S = 90;
app.voiceOptions = {
  budgetSeconds: Number(params.get('voiceBudget')) || 20,
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

const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

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

async function createVoice() {
  if (!app.ready || !app.reference || app.creating) return;
  const reference = app.reference;
  const controller = new AbortController();
  app.voiceRun = { controller, started: performance.now(), progress: [] };
  refBusy(true);
  els['ref-progress'].hidden = false;
  els['ref-progress'].removeAttribute('value');
  try {
    refStatus(`Reading ${reference.label}…`);
    const samples = reference.file ? await decodeAudioTo16k(reference.file) : await resampleTo16k(reference.samples, reference.rate);
    refStatus('Checking the audio and measuring the speaker…');
    const { budgetSeconds, maxSteps } = app.voiceOptions;
    const result = await app.koe.createVoice({
      samples16k: samples, name: els['ref-name'].value.trim(), budgetSeconds, maxSteps, source: reference.source,
      signal: controller.signal,
      onProgress: (p) => {
        app.voiceRun.progress.push({ ...p, atMs: performance.now() - app.voiceRun.started });
        els['ref-progress'].max = Math.max(1, p.total);
        els['ref-progress'].value = p.step;
        refStatus(`Matching the voice… step ${p.step} of ${Math.max(p.step, p.total)}, best similarity ${p.best_score.toFixed(3)} `
          + `(${Math.round(p.elapsed_s)} of ${Math.round(p.budget_s)} s)`);
      },
    });
    const totalMs = performance.now() - app.voiceRun.started;
    const recipe = result.recipe;
    app.lastVoice = { recipe, totalMs, cancelled: result.cancelled, progress: app.voiceRun.progress };
    els['ref-name'].value = '';
    let kept = '';
    try {
      await app.customVoices.add(recipe);
    } catch (error) {
      kept = ` But: ${error.message}`;
    }
    fillVoices(await app.koe.voices(), recipe.id);
    store.set('voice', recipe.id);
    const score = recipe.score != null ? `, similarity ${recipe.score.toFixed(3)}` : '';
    refStatus(`Created “${recipe.name}” from ${recipe.seconds.toFixed(1)} s of speech in ${(totalMs / 1000).toFixed(1)} s`
      + `${result.cancelled ? ' (search stopped early)' : ''}${score}. It is selected above.${kept}`, kept ? 'error' : 'info');
  } catch (error) {
    app.lastVoice = { error: error.message, code: error.code };
    refStatus(error.message, 'error');
  } finally {
    els['ref-progress'].hidden = true;
    app.voiceRun = null;
    refBusy(false);
  }
}

els['ref-create'].addEventListener('click', createVoice);
els['ref-cancel'].addEventListener('click', () => {
  if (app.voiceRun) {
    app.voiceRun.controller.abort();
    refStatus('Stopping the search (keeping the best match so far)…');
  }
});
els['ref-rename'].addEventListener('click', async () => {
  const id = els.voice.value;
  try {
    const renamed = await app.customVoices.rename(id, els['ref-name'].value);
    els['ref-name'].value = '';
    fillVoices(await app.koe.voices(), id);
    refStatus(`Renamed the custom voice to “${renamed.name}”.`);
  } catch (error) {
    refStatus(error.message, 'error');
  }
});

start().catch((error) => showError(`Koe could not start: ${error.message}`));
