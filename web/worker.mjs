// Koe's engine worker: Pyodide runs the pure-Python engine (py_core/koe), onnxruntime-web
// runs every ONNX graph. This file is only the bridge and the plumbing: fetching (with byte
// progress and the versioned cache), ORT sessions and tensors, backend selection, and the
// message protocol of koe.mjs. No text or audio logic lives here.
import * as ort from './ort/ort.webgpu.min.mjs';
import { loadPyodide } from './pyodide/pyodide.mjs';
import { logMel, melSimilarity } from './app/audio-compare.mjs';

const BASE = new URL('./', import.meta.url);
const MODELS = {
  // "int8 weights, float compute": as small as int8, numerically a float model (see README).
  int8w: { path: 'model/kokoro-v1.0.int8w.onnx', options: { 'session.disable_quant_qdq': '1' }, float: true },
  fp32: { path: 'model/kokoro-v1.0.fp32.onnx', options: {}, float: true },
  int8: { path: 'model/kokoro-v1.0.int8.onnx', options: {}, float: false },
};
const MODEL_ORDER = ['int8w', 'fp32', 'int8'];
const PROBE_TEXT = 'Hello there, this is a test.';
const BUFFER_TYPES = { float32: 'f32', float64: 'f64', int64: 'i64', int32: 'i32', uint8: 'u8', int8: 'i8' };

let manifest = null;
let host = null;
let pyodide = null;
let threads = 1;
let modelKey = null;
const sessions = new Map();
let nextSession = 1;
const prefetched = new Map();
const decisions = new Map(); // requested backend -> {active, reason, notice}
const stats = { bytes: 0, fromCache: 0, files: [], warmed: false };

const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const progress = (phase, extra = {}) => post({ type: 'progress', phase, ...extra });

// --- fetching ------------------------------------------------------------------------------------

function cacheName(path) {
  return /^(model|embeddings|lexicon)\//.test(path) ? `koe-data-${manifest.data_hash}` : `koe-app-${manifest.app_hash}`;
}

// Byte progress of the first load: the total is known up front from the manifest (files not in
// the cache yet); files Pyodide fetches itself count as loaded when it has them.
const download = { loaded: 0, total: 0, last: 0, planned: new Set() };

async function planDownloads(paths) {
  const opened = new Map();
  for (const path of paths) {
    const entry = manifest.files[path];
    if (!entry || download.planned.has(path)) continue;
    let cached = false;
    try {
      const name = cacheName(path);
      if (self.caches && !opened.has(name)) opened.set(name, await caches.open(name));
      cached = self.caches ? !!(await opened.get(name).match(new URL(path, BASE).href)) : false;
    } catch { cached = false; }
    if (cached) continue;
    download.planned.add(path);
    download.total += entry.bytes;
  }
}

function plannedDone(paths) {
  for (const path of paths) {
    if (download.planned.has(path) && manifest.files[path]) download.loaded += manifest.files[path].bytes;
  }
  reportDownload(true);
}
function reportDownload(force) {
  const now = performance.now();
  if (force || now - download.last > 120) {
    download.last = now;
    progress('download', { loaded: download.loaded, total: download.total });
  }
}

/** An asset's bytes: from the versioned Cache Storage if there, else the network (counted, cached). */
async function fetchAsset(path) {
  if (prefetched.has(path)) {
    const pending = prefetched.get(path);
    prefetched.delete(path);
    return pending;
  }
  const entry = manifest.files[path];
  const url = new URL(path, BASE).href;
  let cache = null;
  try { cache = self.caches ? await caches.open(cacheName(path)) : null; } catch { cache = null; }
  let response = cache ? await cache.match(url) : undefined;
  const cached = !!response;
  if (!response) {
    try {
      response = await fetch(url);
    } catch {
      throw new Error(self.navigator.onLine === false ? 'this device is offline and the file is not cached yet' : 'the server could not be reached');
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  }
  const size = entry ? entry.bytes : Number(response.headers.get('content-length')) || 0;
  if (!cached && !download.planned.has(path)) download.total += size;
  let bytes;
  if (size && response.body) {
    bytes = new Uint8Array(size);
    let offset = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (offset + value.length > bytes.length) { // size changed under us: grow
        const grown = new Uint8Array(Math.max(bytes.length * 2, offset + value.length));
        grown.set(bytes);
        bytes = grown;
      }
      bytes.set(value, offset);
      offset += value.length;
      if (!cached) { download.loaded += value.length; reportDownload(); }
    }
    if (offset !== bytes.length) bytes = bytes.slice(0, offset);
  } else {
    bytes = new Uint8Array(await response.arrayBuffer());
    if (!cached) download.loaded += bytes.length;
  }
  if (cached) stats.fromCache += bytes.length;
  else {
    stats.bytes += bytes.length;
    reportDownload(true);
    // The service worker caches what it serves; cache it here too when it did not (first visit).
    if (cache && !response.headers.get('x-koe-sw') && manifest.files[path]) {
      const headers = { 'content-type': response.headers.get('content-type') || 'application/octet-stream' };
      cache.put(url, new Response(bytes, { headers })).catch(() => {});
    }
  }
  stats.files.push({ path, bytes: bytes.length, cached });
  return bytes;
}

function prefetch(path) {
  if (!prefetched.has(path) && manifest.files[path]) {
    const pending = fetchAsset(path);
    pending.catch(() => {});
    prefetched.set(path, pending);
  }
}

/** Make sure a file is in the cache (without keeping its bytes), for offline use later. */
async function cacheOnly(path) {
  if (!self.caches || !manifest.files[path]) return;
  const cache = await caches.open(cacheName(path));
  const url = new URL(path, BASE).href;
  if (!(await cache.match(url))) await cache.add(url);
}

/** After start-up: load the default voice's dictionary and voice pack, cache the other dictionaries. */
async function warm() {
  try {
    await host.warm();
    for (const path of Object.keys(manifest.files).filter((p) => p.startsWith('lexicon/'))) await cacheOnly(path);
    await warmCache();
  } catch (error) {
    console.warn('warm-up:', error.message);
  }
  stats.warmed = true;
}

/** After loading: put the runtime files Pyodide/ORT fetched themselves into the cache (offline reloads). */
async function warmCache() {
  if (!self.caches) return;
  const cache = await caches.open(cacheName('pyodide/'));
  const wanted = Object.keys(manifest.files).filter((p) => /^(pyodide|ort|py|app)\//.test(p) || !p.includes('/'));
  for (const path of wanted) {
    const url = new URL(path, BASE).href;
    if (!(await cache.match(url))) {
      try { await cache.add(url); } catch { /* offline or gone: the next visit retries */ }
    }
  }
}

// --- the bridge (called from koe/runtimes/browser.py) ----------------------------------------------

const bridge = {
  async createSession(name, source, backend, options) {
    const bytes = typeof source === 'string' ? await fetchAsset(source) : source;
    const label = typeof source === 'string' ? source : name;
    progress('session', { message: `Preparing ${name === 'kokoro' ? 'the voice model' : name} (${backend === 'webgpu' ? 'WebGPU' : 'CPU'})…` });
    const extra = {};
    for (const [key, value] of Object.entries(options || {})) extra[key] = String(value);
    const started = performance.now();
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: [backend === 'webgpu' ? 'webgpu' : 'wasm'],
      graphOptimizationLevel: 'all',
      extra,
    });
    const id = nextSession++;
    sessions.set(id, { session, name, backend, label, createMs: performance.now() - started });
    return { id, inputNames: session.inputNames, outputNames: session.outputNames };
  },

  async run(id, names, dtypes, shapes, buffers) {
    const { session } = sessions.get(id);
    const views = [];
    const feeds = {};
    try {
      for (let i = 0; i < names.length; i++) {
        const view = buffers[i].getBuffer(BUFFER_TYPES[dtypes[i]]); // zero-copy view of the array.array
        views.push(view);
        feeds[names[i]] = new ort.Tensor(dtypes[i], view.data, Array.from(shapes[i]));
      }
      const started = performance.now();
      const out = await session.run(feeds);
      const ms = performance.now() - started;
      const outputs = session.outputNames.map((n) => ({ name: n, dtype: out[n].type, dims: out[n].dims, data: out[n].data }));
      return { outputs, ms };
    } finally {
      for (const view of views) view.release();
    }
  },

  async fetchBytes(path) {
    return fetchAsset(path);
  },

  releaseSession(id) {
    const entry = sessions.get(id);
    if (entry) {
      sessions.delete(id);
      entry.session.release().catch(() => {});
    }
  },
};

// --- loading --------------------------------------------------------------------------------------

function pickModel(requested) {
  if (requested && MODELS[requested] && manifest.files[MODELS[requested].path]) return requested;
  return MODEL_ORDER.find((k) => manifest.files[MODELS[k].path]) || null;
}

async function init(options) {
  const started = performance.now();
  progress('start', { message: 'Loading…' });
  const response = await fetch(new URL('koe-manifest.json', BASE));
  if (!response.ok) throw new Error(`koe-manifest.json: HTTP ${response.status} (run ./build.sh)`);
  manifest = await response.json();
  modelKey = pickModel(options.model);
  if (!modelKey) throw new Error('no Kokoro model in this build (run ./build.sh)');
  const model = MODELS[modelKey];

  // Start the big downloads right away; they overlap with Python's start-up.
  const ortWasm = 'ort/ort-wasm-simd-threaded.asyncify.wasm';
  const pyodideFiles = ['pyodide/pyodide.asm.mjs', 'pyodide/pyodide.asm.wasm', 'pyodide/python_stdlib.zip', 'pyodide/pyodide-lock.json'];
  const wheelFiles = Object.values(manifest.wheels).map((w) => `py/${w}`);
  await planDownloads([model.path, 'model/g2p_en.onnx', ortWasm, ...pyodideFiles, ...wheelFiles]);
  for (const path of [model.path, ortWasm, 'model/g2p_en.onnx']) prefetch(path);

  const isolated = self.crossOriginIsolated === true;
  const cores = self.navigator.hardwareConcurrency || 1;
  threads = isolated ? Math.max(1, Math.min(options.threads || cores, 8)) : 1;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = new URL('ort/', BASE).href;
  ort.env.logLevel = 'error';

  progress('python', { message: 'Starting Python…' });
  pyodide = await loadPyodide({
    indexURL: new URL('pyodide/', BASE).href,
    lockFileURL: new URL('pyodide/pyodide-lock.json', BASE).href,
    stdout: (line) => console.log('[py]', line),
    stderr: (line) => console.warn('[py]', line),
  });
  plannedDone(pyodideFiles);
  await pyodide.loadPackage('micropip', { messageCallback: () => {}, errorCallback: (m) => console.warn(m) });
  const micropip = pyodide.pyimport('micropip');
  const wheels = ['num2words', 'koe'].map((k) => new URL(`py/${manifest.wheels[k]}`, BASE).href);
  await micropip.install.callKwargs(wheels, { deps: false });
  micropip.destroy();
  plannedDone(wheelFiles);
  const browser = pyodide.pyimport('koe.runtimes.browser');
  host = browser.BrowserHost(bridge, JSON.stringify(manifest));
  browser.destroy();

  ort.env.wasm.wasmBinary = await fetchAsset(ortWasm);
  progress('model', { message: 'Loading the voice model…' });
  await host.load('wasm', model.path, JSON.stringify(model.options));
  ort.env.wasm.wasmBinary = undefined; // compiled and instantiated now: let the 27 MB go
  const voices = JSON.parse(host.voices());
  const loadMs = performance.now() - started;

  const decision = await selectBackend(options.backend || 'auto', options.decision);
  return {
    build: manifest.build, model: modelKey, modelPath: model.path, modelOptions: model.options, threads, crossOriginIsolated: isolated,
    loadMs, bytes: stats.bytes, bytesFromCache: stats.fromCache, voices, ...decision,
    runtimes: manifest.runtimes,
  };
}

// --- backends -------------------------------------------------------------------------------------

async function gpuCheck() {
  if (!MODELS[modelKey].float) return { ok: false, why: 'this build has only the int8 model, which WebGPU cannot run' };
  if (!self.navigator.gpu) return { ok: false, why: 'this browser has no WebGPU' };
  let adapter = null;
  try { adapter = await self.navigator.gpu.requestAdapter(); } catch { adapter = null; }
  if (!adapter) return { ok: false, why: 'no WebGPU adapter is available' };
  const info = adapter.info || {};
  return { ok: true, adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter' };
}

async function loadBackend(backend) {
  const model = MODELS[modelKey];
  await host.load(backend, model.path, JSON.stringify(model.options));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms); }),
  ]);
}

/** Unload the WebGPU engine (and forget an explicit WebGPU decision, which would reload it). */
function dropGpu() {
  decisions.delete('webgpu');
  host.unload('webgpu');
}

let probeId = -1;
async function probeRun(backend) {
  const id = probeId--;
  const parts = [];
  const started = performance.now();
  const summary = JSON.parse(await host.stream(id, backend, PROBE_TEXT, '', 1.0, (kind, meta, data) => {
    if (kind === 'chunk') parts.push(data);
  }, false, false));
  if (summary.error) throw new Error(summary.error);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const samples = new Float32Array(total);
  let offset = 0;
  for (const p of parts) { samples.set(p, offset); offset += p.length; }
  return { samples, ms: performance.now() - started, id };
}

/** Resolve 'auto' | 'cpu' | 'webgpu' to the backend that will run, with the reason (and a notice on fallback). */
async function selectBackend(requested, cached) {
  if (decisions.has(requested)) return decisions.get(requested);
  let decision;
  if (requested === 'cpu') {
    decision = { backend: 'cpu', reason: 'CPU (WebAssembly) selected' };
  } else {
    const gpu = await gpuCheck();
    if (!gpu.ok) {
      decision = requested === 'webgpu'
        ? { backend: 'cpu', reason: `WebGPU unavailable: ${gpu.why}`, notice: `WebGPU is not available here (${gpu.why}); using the CPU instead.` }
        : { backend: 'cpu', reason: `Auto: ${gpu.why}, so CPU` };
    } else if (requested === 'webgpu') {
      try {
        progress('session', { message: 'Preparing WebGPU…' });
        await loadBackend('webgpu');
        decision = { backend: 'webgpu', reason: `WebGPU selected (${gpu.adapter})`, adapter: gpu.adapter };
      } catch (error) {
        decision = { backend: 'cpu', reason: `WebGPU failed to start: ${error.message}`, notice: `WebGPU failed to start (${error.message}); using the CPU instead.` };
      }
    } else if (cached && cached.key === `${manifest.build}|${gpu.adapter}`) {
      decision = { ...cached.decision, reason: `${cached.decision.reason} (remembered)` };
      if (decision.backend === 'webgpu') {
        try { await loadBackend('webgpu'); } catch (error) { decision = { backend: 'cpu', reason: `Auto: WebGPU failed to start (${error.message})` }; }
      }
    } else {
      decision = await autoProbe(gpu);
      decision.cacheKey = `${manifest.build}|${gpu.adapter}`;
    }
  }
  decisions.set(requested, decision);
  return decision;
}

/** Auto: WebGPU only if it matches the CPU's audio and is faster, within a time cap. */
async function autoProbe(gpu) {
  const capMs = 30000;
  const started = performance.now();
  progress('probe', { message: 'Auto: comparing WebGPU with the CPU…' });
  try {
    const cpu = await probeRun('wasm');
    const left = () => capMs - (performance.now() - started);
    const loading = loadBackend('webgpu');
    try {
      await withTimeout(loading, left(), 'starting WebGPU');
    } catch (error) {
      loading.then(dropGpu, () => {});
      throw error;
    }
    const first = probeRun('webgpu');
    let gpuRun;
    try {
      gpuRun = await withTimeout(first, left(), 'the WebGPU probe');
    } catch (error) {
      host.cancel(probeId + 1);
      first.then(dropGpu, dropGpu);
      throw error;
    }
    const ratio = gpuRun.samples.length / cpu.samples.length;
    if (Math.abs(ratio - 1) > 0.02) {
      dropGpu();
      return { backend: 'cpu', reason: `Auto: WebGPU audio length differs from the CPU's by ${(Math.abs(ratio - 1) * 100).toFixed(1)}%, so CPU` };
    }
    const similarity = melSimilarity(logMel(cpu.samples), logMel(gpuRun.samples));
    if (!(similarity >= 0.9)) {
      dropGpu();
      return { backend: 'cpu', reason: `Auto: WebGPU audio does not match the CPU's (log-mel similarity ${similarity.toFixed(2)}), so CPU` };
    }
    const second = await withTimeout(probeRun('webgpu'), left(), 'the WebGPU probe');
    const gpuMs = Math.min(gpuRun.ms, second.ms);
    if (gpuMs >= cpu.ms) {
      dropGpu();
      return { backend: 'cpu', reason: `Auto: CPU is faster (${Math.round(cpu.ms)} ms vs WebGPU ${Math.round(gpuMs)} ms)` };
    }
    return { backend: 'webgpu', adapter: gpu.adapter, reason: `Auto: WebGPU is faster (${Math.round(gpuMs)} ms vs CPU ${Math.round(cpu.ms)} ms) and matches the CPU's audio` };
  } catch (error) {
    return { backend: 'cpu', reason: `Auto: ${error.message}, so CPU` };
  }
}

const engineBackend = (backend) => (backend === 'webgpu' ? 'webgpu' : 'wasm');

// --- synthesis ------------------------------------------------------------------------------------

async function synthesize(msg) {
  const decision = await selectBackend(msg.backend || 'auto');
  const started = performance.now();
  let first = null;
  const emit = (kind, meta, data) => {
    if (kind === 'chunk') {
      if (first === null) first = performance.now() - started;
      post({ type: 'chunk', id: msg.id, meta: JSON.parse(meta), samples: data }, [data.buffer]);
    } else if (kind === 'wav') {
      post({ type: 'wav', id: msg.id, wav: data }, [data.buffer]);
    }
  };
  const summary = JSON.parse(await host.stream(msg.id, engineBackend(decision.backend), msg.text, msg.voice || '',
    msg.speed ?? 1.0, emit, !!msg.record, msg.wav !== false));
  if (summary.error) {
    post({ type: 'error', id: msg.id, message: summary.error, code: summary.code });
    return;
  }
  post({
    type: 'done', id: msg.id,
    summary: { ...summary, firstChunkMs: first, totalMs: performance.now() - started, threads, backend: decision.backend, reason: decision.reason, notice: decision.notice, model: modelKey },
  });
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

self.onmessage = (event) => {
  const msg = event.data;
  const fail = (error) => post({ type: 'error', id: msg.id, message: conciseError(error) });
  switch (msg.type) {
    case 'init':
      serial(() => init(msg.options || {}).then((info) => post({ type: 'ready', id: msg.id, info }), fail));
      serial(() => (host ? warm() : null));
      break;
    case 'cancel':
      if (host) host.cancel(msg.target);
      break;
    case 'synthesize':
      serial(() => synthesize(msg).catch(fail));
      break;
    case 'backend':
      serial(() => selectBackend(msg.backend, msg.decision).then((d) => post({ type: 'result', id: msg.id, value: d }), fail));
      break;
    case 'custom-voices':
      serial(async () => {
        try {
          const result = JSON.parse(host.set_custom_voices(JSON.stringify(msg.recipes)));
          post({ type: 'result', id: msg.id, value: { ...result, voices: JSON.parse(host.voices()) } });
        } catch (error) { fail(error); }
      });
      break;
    case 'embed':
      serial(async () => {
        try {
          const result = JSON.parse(await host.embed(msg.samples));
          if (result.error) post({ type: 'error', id: msg.id, message: result.error, code: result.code });
          else post({ type: 'result', id: msg.id, value: result.embedding });
        } catch (error) { fail(error); }
      });
      break;
    case 'create-voice':
      serial(async () => {
        try {
          const started = performance.now();
          const report = (json) => post({ type: 'voice-progress', id: msg.id, progress: JSON.parse(json) });
          const decision = await selectBackend(msg.backend || 'auto');
          const options = { ...(msg.options || {}), backend: engineBackend(decision.backend) };
          const result = JSON.parse(await host.create_voice(msg.id, msg.samples, JSON.stringify(options), report));
          if (result.error) post({ type: 'error', id: msg.id, message: result.error, code: result.code });
          else post({ type: 'result', id: msg.id, value: { ...result, totalMs: performance.now() - started, voices: JSON.parse(host.voices()) } });
        } catch (error) { fail(error); }
      });
      break;
    case 'stats':
      post({ type: 'result', id: msg.id, value: { ...stats, threads, model: modelKey, sessions: [...sessions.values()].map((s) => ({ name: s.name, backend: s.backend, createMs: s.createMs })) } });
      break;
    default:
      fail(new Error(`unknown message ${msg.type}`));
  }
};
