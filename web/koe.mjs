// Koe in the browser: an embeddable ES module.
//
//   import { createKoe } from './koe.mjs';
//   const koe = createKoe({ backend: 'auto' });         // starts loading in a Web Worker
//   await koe.ready;                                     // {backend, reason, threads, model, ...}
//   const voices = await koe.voices();
//   const { wav, sampleRate, timings } = await koe.synthesize({ text: 'Hello!', voice: 'af_heart' });
//   for await (const chunk of koe.stream({ text })) play(chunk.samples);   // Float32Array, 24 kHz
//   const { language, mismatch } = await koe.checkText({ text, voice });  // before synthesizing
//   const languages = await koe.languages();             // [{code, name, bytes, cached}]
//
// The engine (text normalization, G2P, chunking, voices) is the Python package `koe` running in
// Pyodide inside the worker; onnxruntime-web runs the model (WASM threads or WebGPU).

const DECISION_KEY = 'koe.backendDecision';

function readDecision() {
  try { return JSON.parse(localStorage.getItem(DECISION_KEY) || 'null'); } catch { return null; }
}

function storeDecision(info) {
  try {
    if (info.cacheKey) localStorage.setItem(DECISION_KEY, JSON.stringify({ key: info.cacheKey, decision: { backend: info.backend, reason: info.reason } }));
  } catch { /* storage disabled */ }
}

/** Wait (briefly) until a service worker controls the page, so the worker's fetches are cached. */
async function serviceWorkerControl(timeoutMs) {
  if (typeof navigator === 'undefined' || !navigator.serviceWorker || navigator.serviceWorker.controller) return;
  const registration = await navigator.serviceWorker.getRegistration().catch(() => null);
  if (!registration) return;
  await Promise.race([
    new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })),
    new Promise((resolve) => setTimeout(resolve, timeoutMs)),
  ]);
}

export class KoeError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'KoeError';
    this.code = code;
  }
}

export class Koe {
  /**
   * @param {object} [options]
   * @param {'auto'|'cpu'|'webgpu'} [options.backend='auto']
   * @param {string} [options.model]  'int8w' | 'fp32' | 'int8' (default: the best in the build)
   * @param {number} [options.threads] WASM threads (default: all cores when cross-origin isolated)
   * @param {(p: object) => void} [options.onProgress] progress: {phase, message, loaded, total} while
   *   loading, and {phase, message, id} while a request prepares a backend (e.g. 'Preparing WebGPU… 10 s')
   * @param {number} [options.webgpuStartMs=120000] how long WebGPU may take to start before the
   *   request falls back to the CPU with a notice (code 'webgpu_timeout'; asking again retries)
   * @param {number} [options.probeCapMs=30000] Auto's cap on comparing WebGPU with the CPU
   * @param {boolean} [options.probeFallbackAdapter=false] let Auto probe a software WebGPU adapter
   *   (which it otherwise rules out at once: always slower than WebAssembly); for tests
   * @param {boolean} [options.pythonSnapshot=true] start Python from a memory snapshot cached by an
   *   earlier visit (about 0.3 s instead of 2-4 s; false boots it from scratch: benchmarks)
   * @param {'voices'|'all'} [options.offline='voices'] what to cache in the background after the
   *   first synthesis: every preset voice's pack, or also every language's files (see offlineStatus)
   *
   * Progress phases heard by onProgress: 'start', 'download' ({loaded, total}: the first load),
   * 'python', 'model', 'session' (loading); then 'language' (a language's first use downloads its
   * files: {message, loaded, total, language}), 'cache' (background downloads after ready),
   * 'offline' (background caching for offline use), 'restart' (the CPU model worker restarted
   * after Stop: {restart: {ms, why}}).
   */
  constructor(options = {}) {
    this.options = { backend: 'auto', ...options };
    this.onProgress = options.onProgress || null;
    this.info = null;
    this._next = 1;
    this._pending = new Map();
    this._streams = new Map();
    this.ready = this._start();
  }

  async _start() {
    const begun = performance.now();
    await serviceWorkerControl(this.options.serviceWorkerWaitMs ?? 4000);
    const serviceWorkerMs = Math.round(performance.now() - begun);
    this.worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module', name: 'koe-engine' });
    this.worker.onmessage = (event) => this._onMessage(event.data);
    this.worker.onerror = (event) => {
      const error = new KoeError(`The engine worker failed: ${event.message || 'unknown error'}`, 'worker_error');
      for (const { reject } of this._pending.values()) reject(error);
      for (const s of this._streams.values()) s.fail(error);
    };
    const info = await this._call('init', { options: { ...this.options, onProgress: undefined, decision: readDecision() } });
    info.phases = { serviceWorkerWait: serviceWorkerMs, ...(info.phases || {}), readyInPage: Math.round(performance.now() - begun) };
    storeDecision(info);
    this.info = info;
    return info;
  }

  _call(type, payload = {}, transfer = [], onProgress = null) {
    const id = this._next++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ type, id, ...payload }, transfer);
    });
  }

  _onMessage(msg) {
    if (msg.type === 'progress') {
      if (this.onProgress) this.onProgress(msg);
      const request = msg.id != null && (this._pending.get(msg.id) || this._streams.get(msg.id));
      if (request && request.onProgress) request.onProgress(msg);
      return;
    }
    if (msg.type === 'voice-progress') {
      const pending = this._pending.get(msg.id);
      if (pending && pending.onProgress) pending.onProgress(msg.progress);
      return;
    }
    const stream = this._streams.get(msg.id);
    if (stream) {
      stream.push(msg);
      return;
    }
    const pending = this._pending.get(msg.id);
    if (!pending) return;
    this._pending.delete(msg.id);
    if (msg.type === 'error') pending.reject(new KoeError(msg.message, msg.code));
    else pending.resolve(msg.type === 'ready' ? msg.info : msg.value);
  }

  /** Presets then custom voices: [{id, name, language, language_name, gender, custom}] (the default: `defaultVoice`). */
  async voices() {
    await this.ready;
    return this.info.voices.voices;
  }

  /**
   * The languages of this build: [{code, name, bytes, cached, packages}]. `bytes` is what the
   * first use of the language downloads when nothing of it is cached (its Python wheels and data;
   * for English its dictionary and G2P graph, loaded at start-up); `cached` whether all of it is in
   * the browser's cache already (then it works offline).
   */
  async languages() {
    await this.ready;
    return this._call('languages');
  }

  /**
   * Before synthesizing: the language `text` will be read in (the voice's, or `lang`) and whether
   * its script is one that language cannot read: `{language, mismatch}` where `mismatch` is null
   * or `{script, language, suggested, message}` (e.g. Japanese text with an English voice:
   * `suggested` names a language that reads it, `message` says so in a sentence for people).
   * Rejects with a KoeError (code unknown_voice, unknown_language...) for a bad voice or lang.
   */
  async checkText({ text, voice, lang } = {}) {
    await this.ready;
    return this._call('check-text', { text, voice, lang });
  }

  get defaultVoice() {
    return this.info ? this.info.voices.default : 'af_heart';
  }

  /** The limits and naming rules the engine enforces (koe.rules, from koe-manifest.json). */
  get rules() {
    return this.info ? this.info.rules : null;
  }

  /**
   * Switch backend ('auto' | 'cpu' | 'webgpu'); resolves to {backend, reason, notice?, code?}.
   * Where WebGPU is unavailable, fails or does not start within `webgpuStartMs`, the backend is
   * the CPU and `notice` says why (`code`: webgpu_unavailable, webgpu_failed, webgpu_timeout).
   * `onProgress({phase, message})` hears about a long start every few seconds; `startTimeoutMs`
   * bounds this request's WebGPU start instead of the `webgpuStartMs` option.
   */
  async setBackend(backend, { onProgress, startTimeoutMs } = {}) {
    await this.ready;
    const decision = await this._call('backend', { backend, startMs: startTimeoutMs }, [], onProgress);
    this.options.backend = backend;
    storeDecision(decision);
    return decision;
  }

  /**
   * Make `recipes` the custom voices: recipe dicts as the engine writes them (Recipe.to_dict();
   * older `{id, name, components: [[preset, weight], ...]}` entries are accepted too). Resolves to
   * `{recipes, problems, voices}`: the validated recipes (store these), one message per refused one.
   */
  async setCustomVoices(recipes) {
    await this.ready;
    const result = await this._call('custom-voices', { recipes });
    this.info.voices = result.voices;
    return result;
  }

  /** A shared recipe (e.g. an imported file), validated and given an id not in `takenIds` nor the engine's; not registered. */
  async importRecipe(recipe, takenIds = []) {
    await this.ready;
    return this._call('import-recipe', { recipe, taken: takenIds });
  }

  /** `recipe` under a new display name (cleaned by the engine; the id stays). */
  async renameRecipe(recipe, name) {
    await this.ready;
    return this._call('rename-recipe', { recipe, name });
  }

  /**
   * The speaker embedding (256 floats) of 16 kHz mono samples, computed in the worker by the same
   * Python code and ONNX graphs as natively (koe.speaker.SpeakerEncoder.aembed).
   */
  async embed(samples16k) {
    await this.ready;
    const samples = Float32Array.from(samples16k);
    return this._call('embed', { samples }, [samples.buffer]);
  }

  /**
   * Make a custom voice from reference speech (3 to 60 s of one speaker).
   *
   * Pass `samples16k` (mono Float32Array at 16 kHz) or `file` (a File/Blob/ArrayBuffer in any
   * format the browser decodes). The worker checks the audio (errors: KoeError with `code`
   * not_audio, too_short, too_long, silent, clipped), embeds it and searches the preset mix
   * closest to the speaker, then moves it beyond the presets for `budgetSeconds` (default 60), calling `onProgress({step, total,
   * best_score, elapsed_s, budget_s, components})` after each measurement. Abort `signal` (an
   * AbortSignal) to stop the search early: the best mix so far is kept. Resolves to
   * `{recipe, voices, cancelled, totalMs}`; the voice is registered in the engine (usable by
   * `recipe.id`) but not stored: the page keeps it in localStorage (see app/custom-voices.mjs).
   */
  async createVoice({ samples16k, file, name = '', budgetSeconds = 60, maxSteps, language, source, onProgress, signal } = {}) {
    await this.ready;
    let samples;
    if (samples16k) samples = Float32Array.from(samples16k);
    else if (file) samples = await decodeAudioTo16k(file);
    else throw new KoeError('Give createVoice() samples16k or a file.', 'not_audio');
    if (signal && signal.aborted) throw new KoeError('Cancelled.', 'cancelled');
    const options = { name, budget_s: budgetSeconds, max_steps: maxSteps || null, language: language || null,
      source: source || (file && file.name ? `file:${file.name}` : '') };
    return this._voiceSearch({ type: 'create-voice', samples, options }, [samples.buffer], onProgress, signal);
  }

  /**
   * "Improve further": continue the search of the custom voice `voice` (an id registered in the
   * engine, as createVoice() and setCustomVoices() leave them) for `budgetSeconds` (default 60),
   * toward the speaker embeddings its recipe keeps. The search starts from the voice as it is, so
   * the result is never worse by its measure. Progress and `signal` as in createVoice() (Stop keeps
   * the best voice so far). Resolves to `{recipe, voices, cancelled, totalMs}`: the improved recipe,
   * under the same id, already replaces the old one in the engine; store it (localStorage).
   */
  async refineVoice({ voice, budgetSeconds = 60, maxSteps, onProgress, signal } = {}) {
    await this.ready;
    if (signal && signal.aborted) throw new KoeError('Cancelled.', 'cancelled');
    const options = { budget_s: budgetSeconds, max_steps: maxSteps || null };
    return this._voiceSearch({ type: 'refine-voice', voice, options }, [], onProgress, signal);
  }

  async _voiceSearch(message, transfer, onProgress, signal) {
    const id = this._next++;
    const onAbort = () => this.worker.postMessage({ type: 'cancel', target: id });
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await new Promise((resolve, reject) => {
        this._pending.set(id, { resolve, reject, onProgress });
        this.worker.postMessage({ ...message, id, backend: this.options.backend }, transfer);
      });
      this.info.voices = result.voices;
      return result;
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Which voices and languages work offline now: {state: 'idle'|'caching'|'done'|'failed',
   * voices: {id: bool}, languages: {code: bool}, cached, total, error}. After the first synthesis
   * the engine caches every preset voice in the background (and every language's files with the
   * option `offline: 'all'`); `onProgress` hears about it (phase 'offline': {loaded, total,
   * message}, then the final status with its message).
   */
  async offlineStatus() {
    await this.ready;
    return this._call('offline-status');
  }

  /**
   * Start the background caching now rather than after the first synthesis; with `languages`
   * every language's files too (Japanese and Mandarin are ~18 MB and ~3 MB). Resolves to the status.
   */
  async cacheForOffline({ languages = false } = {}) {
    await this.ready;
    return this._call('offline-start', { languages });
  }

  /**
   * The normalized text and phonemes of `text` as the engine reads it with `voice` (or in `lang`),
   * as `koe phonemize` prints them: {normalized, phonemes: [one string per paragraph], skipped}.
   */
  async phonemize({ text, voice, lang } = {}) {
    await this.ready;
    return this._call('phonemize', { text, voice, lang });
  }

  /**
   * Captions of a clip: `words` as stream chunks and synthesize() give them (times in seconds of
   * the clip's audio, char offsets in `text`) -> a WebVTT (`format` 'vtt') or SRT ('srt') string,
   * or 'json' ({"words": [...]}), made by koe.captions as `koe say --timestamps out.vtt` makes
   * them (readable cues, at most 42 characters a line, a new cue after a sentence or a pause). Rejects with a KoeError (code invalid_words) for words it cannot read.
   */
  async captions(words, text, format = 'vtt') {
    await this.ready;
    return this._call('captions', { words, text, format });
  }

  /** Worker-side counters: bytes fetched, sessions, threads, load phases, model worker restarts, memory. */
  async stats() {
    await this.ready;
    return this._call('stats');
  }

  /**
   * Stream audio chunks as they are synthesized: an async iterator of
   * {samples: Float32Array, sampleRate, index, total, text, phonemes, words}. `words` are the
   * written words of the text spoken in this chunk: [{text, start, end, char_start, char_end,
   * skipped?}], `start`/`end` in seconds of the whole stream's audio, `char_*` offsets in `text`.
   * `lang` reads the text in another language than the voice's ('es', 'ja', ...).
   * Leaving the loop early (break) or calling `.cancel()` stops the synthesis.
   * After the loop, `.summary` holds timings, the `language` read and the `mismatch` (see
   * checkText), and `.wav` the WAV Blob (unless wav: false).
   * `onProgress({phase, message})` hears about a backend being prepared for this request (e.g. the
   * first WebGPU request starting its session) or a language being downloaded on its first use
   * (phase 'language', with loaded/total bytes); `.summary.notice` says if it fell back to the CPU.
   */
  stream({ text, voice, speed = 1.0, lang, backend, record = false, wav = true, onProgress = null } = {}) {
    const id = this._next++;
    const buffered = [];
    let wake = null;
    let finished = false;
    let failure = null;
    const self = this;
    const iterator = {
      summary: null,
      wav: null,
      id,
      onProgress,
      push(msg) {
        if (msg.type === 'chunk') buffered.push(msg);
        else if (msg.type === 'wav') iterator.wav = new Blob([msg.wav], { type: 'audio/wav' });
        else if (msg.type === 'done') { iterator.summary = msg.summary; finished = true; self._streams.delete(id); }
        else if (msg.type === 'error') { failure = new KoeError(msg.message, msg.code); finished = true; self._streams.delete(id); }
        if (wake) { wake(); wake = null; }
      },
      fail(error) { failure = error; finished = true; if (wake) { wake(); wake = null; } },
      cancel() { if (self.worker) self.worker.postMessage({ type: 'cancel', target: id }); },
      async next() {
        await self.ready;
        for (;;) {
          if (buffered.length) {
            const { meta, samples } = buffered.shift();
            return { done: false, value: { samples, sampleRate: meta.sample_rate, index: meta.index, total: meta.total, text: meta.text,
              phonemes: meta.phonemes, seconds: meta.seconds, words: meta.words || [] } };
          }
          if (failure) throw failure;
          if (finished) return { done: true, value: undefined };
          await new Promise((resolve) => { wake = resolve; });
        }
      },
      async return() {
        if (!finished) {
          iterator.cancel();
          while (!finished) await new Promise((resolve) => { wake = resolve; });
        }
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() { return iterator; },
    };
    this._streams.set(id, iterator);
    this.ready.then(() => {
      this.worker.postMessage({ type: 'synthesize', id, text, voice, speed, lang, backend: backend || this.options.backend, record, wav });
    }, (error) => iterator.fail(error));
    return iterator;
  }

  /**
   * Synthesize everything: {wav: Blob, samples: Float32Array, sampleRate, words, language, mismatch,
   * timings, summary, inputs?}. Takes what stream() takes ({text, voice, speed, lang, backend,
   * onProgress}); `words` are every chunk's words in order (times in seconds of `samples`).
   */
  async synthesize(request = {}) {
    const stream = this.stream(request);
    const parts = [];
    const words = [];
    let sampleRate = 24000;
    for await (const chunk of stream) {
      parts.push(chunk.samples);
      words.push(...chunk.words);
      sampleRate = chunk.sampleRate;
    }
    const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) { samples.set(p, offset); offset += p.length; }
    const s = stream.summary;
    const timings = {
      firstChunkMs: s.firstChunkMs, totalMs: s.totalMs, audioSeconds: samples.length / sampleRate,
      rtf: s.totalMs / 1000 / (samples.length / sampleRate || 1), modelMs: s.model_seconds * 1000, ortMs: s.ort_ms,
      chunks: s.chunks, backend: s.backend, threads: s.threads, model: s.model,
    };
    return { wav: stream.wav, samples, sampleRate, words, language: s.language, mismatch: s.mismatch ?? null, timings, inputs: s.inputs, summary: s };
  }

  terminate() {
    if (this.worker) this.worker.terminate();
  }
}

/**
 * Any audio file the browser can decode (wav, mp3, ogg/opus, m4a/aac, flac, webm...) -> mono
 * Float32Array at 16 kHz. The browser's own decoder (decodeAudioData of an OfflineAudioContext
 * at 16 kHz, which resamples with its sinc resampler) then a channel average. Throws a KoeError
 * (code not_audio) when the file is not audio.
 */
export async function decodeAudioTo16k(file, { maxBytes = 100 * 1024 * 1024 } = {}) {
  const size = file.byteLength ?? file.size ?? 0;
  if (size > maxBytes) throw new KoeError(`The file is ${(size / 1e6).toFixed(0)} MB; use at most ${maxBytes / 1024 / 1024} MB of audio.`, 'too_large');
  const bytes = file instanceof ArrayBuffer ? file.slice(0) : ArrayBuffer.isView(file) ? file.slice().buffer : await file.arrayBuffer();
  if (!bytes.byteLength) throw new KoeError('The file is empty.', 'not_audio');
  const Offline = globalThis.OfflineAudioContext || globalThis.webkitOfflineAudioContext;
  if (!Offline) throw new KoeError('This browser cannot decode audio (no Web Audio API).', 'not_audio');
  let buffer;
  try {
    buffer = await new Offline(1, 1, 16000).decodeAudioData(bytes);
  } catch {
    const what = file.name ? `${file.name} ` : 'The file ';
    throw new KoeError(`${what}could not be decoded as audio: use a recording in a common format (WAV, MP3, Ogg/Opus, M4A/AAC, FLAC).`, 'not_audio');
  }
  if (!buffer.length) throw new KoeError('The file holds no audio.', 'not_audio');
  const out = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const data = buffer.getChannelData(c);
    for (let i = 0; i < data.length; i++) out[i] += data[i];
  }
  if (buffer.numberOfChannels > 1) for (let i = 0; i < out.length; i++) out[i] /= buffer.numberOfChannels;
  return out;
}

/**
 * Mono samples at `rate` -> Float32Array at 16 kHz (the speaker encoder's rate), rendered by an
 * OfflineAudioContext. Samples already at 16 kHz are returned as they are.
 */
export async function resampleTo16k(samples, rate) {
  if (rate === 16000) return samples;
  const Offline = globalThis.OfflineAudioContext || globalThis.webkitOfflineAudioContext;
  if (!Offline) throw new KoeError('This browser cannot resample audio (no Web Audio API).', 'not_audio');
  const context = new Offline(1, Math.max(1, Math.round(samples.length * 16000 / rate)), 16000);
  const buffer = context.createBuffer(1, samples.length, rate);
  buffer.copyToChannel(samples, 0);
  const source = context.createBufferSource();
  source.buffer = buffer;
  source.connect(context.destination);
  source.start();
  return (await context.startRendering()).getChannelData(0);
}

export function createKoe(options) {
  return new Koe(options);
}

export default createKoe;
