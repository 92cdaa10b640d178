// Koe's engine worker: Pyodide runs the pure-Python engine (py_core/koe), onnxruntime-web runs
// every ONNX graph. This file starts both and dispatches the messages of koe.mjs; the plumbing
// lives in worker/: fetch.mjs (assets, byte progress, caches), cpu-sessions.mjs (the CPU model
// sessions, in a worker Stop can terminate), ort-bridge.mjs (the sessions and tensors Python
// drives), backends.mjs (CPU, WebGPU, Auto), webgpu.mjs (WebGPU sessions, each in a worker of its
// own), packages.mjs (wheels), offline.mjs (voices cached in the background). No text or audio
// logic lives in JavaScript.
//
// Start-up overlaps everything that can: the CPU worker starts onnxruntime-web and creates the
// Kokoro session (and the English G2P network's) while Pyodide starts here (from a memory
// snapshot after the first visit: worker/python.mjs); the default voice's dictionary and pack are
// fetched meanwhile. `info.phases` says when each step ended (ms since the worker started).
import { AssetFetcher, cacheNameOf } from './worker/fetch.mjs';
import { CpuSessions } from './worker/cpu-sessions.mjs';
import { OrtBridge } from './worker/ort-bridge.mjs';
import { Backends, engineBackend } from './worker/backends.mjs';
import { Packages } from './worker/packages.mjs';
import { OfflineCache } from './worker/offline.mjs';
import { glue, startPython } from './worker/python.mjs';

const BASE = new URL('./', import.meta.url);
const PYODIDE_FILES = ['pyodide/pyodide.asm.mjs', 'pyodide/pyodide.asm.wasm', 'pyodide/python_stdlib.zip', 'pyodide/pyodide-lock.json'];

let manifest = null;
let assets = null;
let cpu = null;
let bridge = null;
let backends = null;
let host = null;
let pyodide = null;
let packages = null;
let offline = null;
let threads = 1;
let variant = null; // the CPU's model variant
let gpuVariant = null; // WebGPU's (a float one), or null
let warmed = false;
let options = {};
/** How Python started: 'restored' (from the cached snapshot), 'made' (booted, snapshot taken) or 'none'. */
let pythonStart = null;
const phases = {};
/** The request being served (synthesis or voice search): {id, kind, backend}. */
let current = null;
const cancelled = new Set();

const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const progress = (phase, extra = {}) => post({ type: 'progress', phase, ...extra });
const mark = (phase) => { phases[phase] = Math.round(performance.now()); };

// --- loading --------------------------------------------------------------------------------------

/**
 * The model variant a backend runs: the requested one if this build has it (and, for WebGPU, it
 * computes in float), else the first of the backend's order in the manifest (`backend_models`:
 * the CPU runs the int8 model, measured fastest in WebAssembly; WebGPU a float one). Null if none.
 */
function pickModel(requested, backend) {
  const order = (manifest.backend_models || {})[backend] || manifest.models.map((m) => m.key);
  const present = order.map((key) => manifest.models.find((m) => m.key === key)).filter((m) => m && manifest.files[m.path]);
  return present.find((m) => m.key === requested) || present[0] || null;
}

/** The onnxruntime-web build of a backend (manifest.ort: {cpu|webgpu: {bundle, wasm}}), paths in the build. */
const ortBuild = (backend) => manifest.ort[backend];

async function init(opts) {
  options = opts;
  const started = performance.now();
  progress('start', { message: 'Loading…' });
  const response = await fetch(new URL('koe-manifest.json', BASE));
  if (!response.ok) throw new Error(`koe-manifest.json: HTTP ${response.status} (run ./build.sh)`);
  manifest = await response.json();
  mark('manifest');
  variant = pickModel(opts.model, 'cpu');
  if (!variant) throw new Error('no Kokoro model in this build (run ./build.sh)');
  gpuVariant = pickModel(opts.model, 'webgpu');
  assets = new AssetFetcher(manifest, BASE, (p) => progress('download', p));

  const isolated = self.crossOriginIsolated === true;
  const cores = self.navigator.hardwareConcurrency || 1;
  threads = isolated ? Math.max(1, Math.min(opts.threads || cores, 8)) : 1;

  // The CPU worker starts onnxruntime-web and creates the model's session while Pyodide boots.
  const cpuOrt = ortBuild('cpu');
  const wheelFiles = Object.values(manifest.wheels).filter((w) => !w.startsWith('micropip')).map((w) => `py/${w}`);
  const startup = manifest.startup || { files: [] };
  await assets.plan([variant.path, cpuOrt.wasm, ...PYODIDE_FILES, ...wheelFiles, ...startup.files]);
  cpu = new CpuSessions({ threads, wasmPaths: new URL('ort/', BASE).href, bundle: cpuOrt.bundle.slice('ort/'.length), load: (path) => assets.fetch(path) });
  cpu.start().then(() => { mark('ort'); assets.done([cpuOrt.wasm]); }, () => {});
  bridge = new OrtBridge(cpu, assets, (message) => progress('session', { message }), (names) => installPackages(names), threads);
  const model = bridge.preload('kokoro', variant.path, variant.options);
  model.then(() => mark('model'), () => {});
  for (const path of startup.files) {
    if (path.endsWith('.onnx')) bridge.preload(path.split('/').pop().split('.')[0], path, {});
    else assets.prefetch(path); // the default voice's dictionary and pack: read when warming up
  }

  progress('python', { message: 'Starting Python…' });
  packages = new Packages(manifest, assets);
  const python = await startPython(BASE, cacheNameOf(manifest, 'koe.mjs'), async (py) => {
    mark('pyodide');
    assets.done(PYODIDE_FILES);
    packages.attach(py);
    await packages.install(['num2words', 'koe']);
    assets.done(wheelFiles);
    mark('wheels');
  }, { useSnapshot: opts.pythonSnapshot !== false });
  ({ pyodide } = python);
  pythonStart = python.snapshot;
  const browser = pyodide.pyimport('koe.runtimes.browser');
  host = browser.BrowserHost(bridge, JSON.stringify(manifest));
  browser.destroy();
  mark('python');

  progress('model', { message: 'Loading the voice model…' });
  await host.load('wasm', variant.path, JSON.stringify(variant.options));
  const voices = JSON.parse(host.voices());
  mark('engine');

  backends = new Backends({ host, bridge, assets, gpuVariant, build: manifest.build, threads, ortWasm: ortBuild('webgpu').wasm },
    { probeCapMs: opts.probeCapMs, webgpuStartMs: opts.webgpuStartMs, probeFallbackAdapter: opts.probeFallbackAdapter });
  const decision = await backends.select(opts.backend || 'auto', opts.decision, progress);
  mark('backend');
  const loadMs = performance.now() - started;
  // From here on, downloads are background work (warm-up, offline caching), not the first load.
  assets.progress = (p) => progress('cache', p);
  offline = new OfflineCache(manifest, assets, () => !current && !cpu.busy, (status) => progress('offline', status));
  return {
    build: manifest.build, model: variant.key, modelPath: variant.path, modelOptions: variant.options, gpuModel: gpuVariant ? gpuVariant.key : null,
    threads, crossOriginIsolated: isolated,
    loadMs, phases: { ...phases }, bytes: assets.stats.bytes, bytesFromCache: assets.stats.fromCache, voices, ...decision,
    runtimes: manifest.runtimes, rules: manifest.rules, ortBuild: cpuOrt.bundle, pythonStart,
  };
}

/** Install Python packages of this build (a language's wheels on its first use), with download progress. */
async function installPackages(names) {
  const id = current ? current.id : undefined;
  await packages.install(names, (p) => post({ type: 'progress', id, phase: 'language', ...p }));
}

/** After start-up: load the default voice's dictionary and voice pack, cache the dictionaries and the app. */
async function warm() {
  try {
    await host.warm();
    mark('warm');
    for (const path of Object.keys(manifest.files).filter((p) => p.startsWith('lexicon/'))) await assets.cacheOnly(path);
    // The runtime files Pyodide and onnxruntime-web fetched themselves: offline reloads. Not the
    // WebGPU runtime unless WebGPU runs here (it is cached when first used).
    const gpu = ortBuild('webgpu');
    const cpuBuild = ortBuild('cpu');
    const skip = new Set([gpu.bundle, gpu.wasm, gpu.wasm.replace(/\.wasm$/, '.mjs')].filter((p) => p !== cpuBuild.bundle && p !== cpuBuild.wasm));
    await assets.cacheGroup('app', skip);
  } catch (error) {
    console.warn('warm-up:', error.message);
  }
  warmed = true;
}

// --- synthesis ------------------------------------------------------------------------------------

/** Progress messages of one request (koe.mjs hands them to the request's onProgress too). */
const progressOf = (id) => (phase, extra = {}) => post({ type: 'progress', id, phase, ...extra });

async function synthesize(msg) {
  const started = performance.now();
  let first = null;
  let chunks = 0;
  let total = null;
  let samples = 0;
  if (cancelled.has(msg.id)) { // stopped before it started
    cancelled.delete(msg.id);
    post({ type: 'done', id: msg.id, summary: { cancelled: true, chunks: 0, total: 0, samples: 0, totalMs: 0, firstChunkMs: null } });
    return;
  }
  const decision = await backends.select(msg.backend || 'auto', null, progressOf(msg.id));
  current = { id: msg.id, kind: 'synthesize', backend: decision.backend };
  const emit = (kind, meta, data) => {
    if (kind === 'chunk') {
      if (first === null) first = performance.now() - started;
      const parsed = JSON.parse(meta);
      chunks += 1;
      total = parsed.total;
      samples += data.length;
      post({ type: 'chunk', id: msg.id, meta: parsed, samples: data }, [data.buffer]);
    } else if (kind === 'wav') {
      post({ type: 'wav', id: msg.id, wav: data }, [data.buffer]);
    }
  };
  let summary;
  try {
    summary = JSON.parse(await host.stream(msg.id, engineBackend(decision.backend), msg.text, msg.voice || '',
      msg.speed ?? 1.0, emit, !!msg.record, msg.wav !== false, msg.lang || ''));
  } catch (error) {
    if (!cancelled.has(msg.id)) throw error;
    // Stop terminated the model run in progress (see cancel()): the synthesis ends here.
    summary = { cancelled: true, chunks, total: total ?? chunks, samples, sample_rate: 24000, aborted: true };
  } finally {
    current = null;
    cancelled.delete(msg.id);
  }
  if (summary.error) {
    post({ type: 'error', id: msg.id, message: summary.error, code: summary.code });
    return;
  }
  post({
    type: 'done', id: msg.id,
    summary: { ...summary, firstChunkMs: first, totalMs: performance.now() - started, threads, backend: decision.backend, reason: decision.reason, notice: decision.notice,
      model: decision.backend === 'webgpu' && gpuVariant ? gpuVariant.key : variant.key },
  });
  if (offline && !summary.cancelled) offline.start({ languages: options.offline === 'all' });
}

/**
 * Stop request `target`. The engine stops between chunks by itself (host.cancel); a CPU model run
 * in progress is not waited for: its worker is terminated (and restarted from the cache at once),
 * so the stream ends now and the next request can start. A voice search stops after the
 * measurement in progress (it keeps its best mix so far; see web/README.md).
 */
/**
 * A custom-voice search (create-voice: from reference samples; refine-voice: "Improve further" of a
 * registered custom voice), reporting each measurement as 'voice-progress'.
 */
async function voiceSearch(msg) {
  const begun = performance.now();
  const decision = await backends.select(msg.backend || 'auto', null, progressOf(msg.id));
  const opts = JSON.stringify({ ...(msg.options || {}), backend: engineBackend(decision.backend) });
  current = { id: msg.id, kind: msg.type, backend: decision.backend, measured: false };
  const report = (json) => {
    if (current && current.id === msg.id) current.measured = true;
    post({ type: 'voice-progress', id: msg.id, progress: JSON.parse(json) });
  };
  try {
    const result = JSON.parse(msg.type === 'create-voice'
      ? await host.create_voice(msg.id, msg.samples, opts, report)
      : await host.refine_voice(msg.id, String(msg.voice), opts, report));
    return result.error ? result : { ...result, totalMs: performance.now() - begun, voices: JSON.parse(host.voices()) };
  } finally {
    current = null;
    cancelled.delete(msg.id);
  }
}

function cancel(target) {
  cancelled.add(target);
  if (host) host.cancel(target);
  // A model run cannot be interrupted: Stop terminates the CPU model worker (pending runs reject). A
  // voice search keeps the best voice measured so far, so it is stopped that way once one was measured.
  const stoppable = current && (current.kind === 'synthesize' || current.measured);
  if (stoppable && current.id === target && current.backend === 'cpu' && cpu.busy) {
    cpu.abort('stopped').then((record) => { if (record) post({ type: 'progress', phase: 'restart', restart: record }); });
  }
}

/** The build's languages (manifest.languages) and whether each one's files are all cached already. */
async function languages() {
  const out = [];
  for (const lang of manifest.languages || []) {
    let cached = true;
    for (const path of lang.files) if (!(await assets.isCached(path))) { cached = false; break; }
    out.push({ code: lang.code, name: lang.name, bytes: lang.bytes, cached, packages: lang.packages });
  }
  return out;
}

/** Normalized text and phonemes, as `koe phonemize` prints them (the same Python code). */
let python = null;
async function phonemize(msg) {
  python = python || glue(pyodide);
  const service = host.service;
  try {
    return JSON.parse(await python.phonemize(service, String(msg.text ?? ''), msg.voice || '', msg.lang || ''));
  } finally {
    service.destroy();
  }
}

/** WebVTT, SRT or JSON captions of a synthesis' words (koe.captions, as `koe say --timestamps`). */
function captions(msg) {
  python = python || glue(pyodide);
  const result = JSON.parse(python.captions(JSON.stringify(msg.words || []), String(msg.text ?? ''), String(msg.format || 'vtt')));
  return result.error ? result : result.text;
}

/** What stats() reports about the worker's memory: Pyodide's WebAssembly heap. */
function memory() {
  const heap = pyodide && pyodide._module && pyodide._module.HEAPU8;
  return { pyodideHeap: heap ? heap.byteLength : null, jsHeap: self.performance.memory ? self.performance.memory.usedJSHeapSize : null };
}

// --- messages -------------------------------------------------------------------------------------

/** An error for people: a Python traceback becomes its last line ("ValueError: ..."). */
function conciseError(error) {
  const text = error && error.message ? error.message : String(error);
  if (!text.includes('Traceback (most recent call last)')) return text;
  console.error(text);
  const lines = text.trim().split('\n').filter((l) => l.trim());
  return lines[lines.length - 1];
}

let queue = Promise.resolve();
const serial = (fn) => { queue = queue.then(fn, fn); return queue; };
/** Settles when init has (the engine can answer questions). */
let started = new Promise(() => {});

/** Run `fn` in turn; post its value as the result, or a Python-side `{error, code}` as an error. */
function reply(msg, fn) {
  serial(async () => {
    try {
      const value = await fn();
      if (value && value.error) post({ type: 'error', id: msg.id, message: value.error, code: value.code });
      else post({ type: 'result', id: msg.id, value });
    } catch (error) {
      post({ type: 'error', id: msg.id, message: conciseError(error) });
    }
  });
}

/** Answer at once, not queued behind a synthesis: for questions that only read. */
function answer(msg, fn) {
  started.then(fn).then((value) => (value && value.error ? post({ type: 'error', id: msg.id, message: value.error, code: value.code })
    : post({ type: 'result', id: msg.id, value })), (error) => post({ type: 'error', id: msg.id, message: conciseError(error) }));
}

self.onmessage = (event) => {
  const msg = event.data;
  const fail = (error) => post({ type: 'error', id: msg.id, message: conciseError(error) });
  switch (msg.type) {
    case 'init':
      started = serial(() => init(msg.options || {}).then((info) => post({ type: 'ready', id: msg.id, info }), (error) => { fail(error); throw error; }));
      started.catch(() => {});
      serial(() => (host ? warm() : null));
      break;
    case 'cancel':
      cancel(msg.target);
      break;
    case 'check-text':
      answer(msg, () => JSON.parse(host.check_text(String(msg.text ?? ''), msg.voice || '', msg.lang || '')));
      break;
    case 'languages':
      answer(msg, languages);
      break;
    case 'captions':
      answer(msg, () => captions(msg));
      break;
    case 'offline-status':
      answer(msg, () => offline.status());
      break;
    case 'offline-start':
      answer(msg, () => { offline.start({ languages: !!msg.languages }); return offline.status(); });
      break;
    case 'synthesize':
      serial(() => synthesize(msg).catch(fail));
      break;
    case 'phonemize':
      reply(msg, () => phonemize(msg));
      break;
    case 'backend':
      reply(msg, () => backends.select(msg.backend, msg.decision, progressOf(msg.id), msg.startMs));
      break;
    case 'custom-voices':
      reply(msg, () => ({ ...JSON.parse(host.set_custom_voices(JSON.stringify(msg.recipes))), voices: JSON.parse(host.voices()) }));
      break;
    case 'import-recipe':
      reply(msg, () => {
        const result = JSON.parse(host.import_recipe(JSON.stringify(msg.recipe), JSON.stringify(msg.taken || [])));
        return result.error ? result : result.recipe;
      });
      break;
    case 'rename-recipe':
      reply(msg, () => {
        const result = JSON.parse(host.rename_recipe(JSON.stringify(msg.recipe), String(msg.name)));
        return result.error ? result : result.recipe;
      });
      break;
    case 'embed':
      reply(msg, async () => {
        const result = JSON.parse(await host.embed(msg.samples));
        return result.error ? result : result.embedding;
      });
      break;
    case 'create-voice':
    case 'refine-voice':
      reply(msg, () => voiceSearch(msg));
      break;
    case 'stats':
      post({ type: 'result', id: msg.id, value: { ...(assets ? assets.stats : {}), warmed, threads, model: variant && variant.key,
        sessions: bridge ? bridge.describe() : [], restarts: cpu ? cpu.restarts : [], phases: { ...phases },
        installs: packages ? packages.installs : [], memory: memory() } });
      break;
    default:
      fail(new Error(`unknown message ${msg.type}`));
  }
};
