// Koe's engine worker: Pyodide runs the pure-Python engine (py_core/koe), onnxruntime-web
// runs every ONNX graph. This file starts both and dispatches the messages of koe.mjs; the
// plumbing lives in worker/: fetch.mjs (assets, byte progress, caches), ort-bridge.mjs (the
// sessions and tensors Python drives), backends.mjs (CPU, WebGPU, Auto), webgpu.mjs (WebGPU
// sessions, each in a worker of its own). No text or audio logic lives in JavaScript.
import * as ort from './ort/ort.webgpu.min.mjs';
import { loadPyodide } from './pyodide/pyodide.mjs';
import { AssetFetcher } from './worker/fetch.mjs';
import { OrtBridge } from './worker/ort-bridge.mjs';
import { Backends, engineBackend } from './worker/backends.mjs';

const BASE = new URL('./', import.meta.url);
const ORT_WASM = 'ort/ort-wasm-simd-threaded.asyncify.wasm';

let manifest = null;
let assets = null;
let bridge = null;
let backends = null;
let host = null;
let pyodide = null;
let threads = 1;
let variant = null;
let warmed = false;

const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const progress = (phase, extra = {}) => post({ type: 'progress', phase, ...extra });

// --- loading --------------------------------------------------------------------------------------

/** The model variant to load: the requested one if this build has it, else the first of the manifest's order. */
function pickModel(requested) {
  const present = manifest.models.filter((m) => manifest.files[m.path]);
  return present.find((m) => m.key === requested) || present[0] || null;
}

async function init(options) {
  const started = performance.now();
  progress('start', { message: 'Loading…' });
  const response = await fetch(new URL('koe-manifest.json', BASE));
  if (!response.ok) throw new Error(`koe-manifest.json: HTTP ${response.status} (run ./build.sh)`);
  manifest = await response.json();
  variant = pickModel(options.model);
  if (!variant) throw new Error('no Kokoro model in this build (run ./build.sh)');
  assets = new AssetFetcher(manifest, BASE, (p) => progress('download', p));
  bridge = new OrtBridge(ort, assets, (message) => progress('session', { message }), installPackages);

  // Start the big downloads right away; they overlap with Python's start-up.
  const ortWasm = ORT_WASM;
  const pyodideFiles = ['pyodide/pyodide.asm.mjs', 'pyodide/pyodide.asm.wasm', 'pyodide/python_stdlib.zip', 'pyodide/pyodide-lock.json'];
  const wheelFiles = Object.values(manifest.wheels).map((w) => `py/${w}`);
  await assets.plan([variant.path, 'model/g2p_en.onnx', ortWasm, ...pyodideFiles, ...wheelFiles]);
  for (const path of [variant.path, ortWasm, 'model/g2p_en.onnx']) assets.prefetch(path);

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
  assets.done(pyodideFiles);
  await pyodide.loadPackage('micropip', { messageCallback: () => {}, errorCallback: (m) => console.warn(m) });
  await installPackages(['num2words', 'koe']);
  assets.done(wheelFiles);
  const browser = pyodide.pyimport('koe.runtimes.browser');
  host = browser.BrowserHost(bridge, JSON.stringify(manifest));
  browser.destroy();

  ort.env.wasm.wasmBinary = await assets.fetch(ortWasm);
  progress('model', { message: 'Loading the voice model…' });
  await host.load('wasm', variant.path, JSON.stringify(variant.options));
  ort.env.wasm.wasmBinary = undefined; // compiled and instantiated now: let the 27 MB go
  const voices = JSON.parse(host.voices());
  const loadMs = performance.now() - started;

  backends = new Backends({ host, bridge, assets, variant, build: manifest.build, threads, ortWasm },
    { probeCapMs: options.probeCapMs, webgpuStartMs: options.webgpuStartMs, probeFallbackAdapter: options.probeFallbackAdapter });
  const decision = await backends.select(options.backend || 'auto', options.decision, progress);
  return {
    build: manifest.build, model: variant.key, modelPath: variant.path, modelOptions: variant.options, threads, crossOriginIsolated: isolated,
    loadMs, bytes: assets.stats.bytes, bytesFromCache: assets.stats.fromCache, voices, ...decision,
    runtimes: manifest.runtimes, rules: manifest.rules,
  };
}

const installed = new Set();

/** Install wheels of this build (manifest.wheels: package -> file in py/) with micropip, once each. */
async function installPackages(names) {
  const wanted = names.filter((name) => !installed.has(name));
  if (!wanted.length) return;
  const missing = wanted.filter((name) => !manifest.wheels[name]);
  if (missing.length) throw new Error(`the Python package(s) ${missing.join(', ')} are not part of this build (run ./build.sh)`);
  const micropip = pyodide.pyimport('micropip');
  try {
    await micropip.install.callKwargs(wanted.map((name) => new URL(`py/${manifest.wheels[name]}`, BASE).href), { deps: false });
  } finally {
    micropip.destroy();
  }
  for (const name of wanted) installed.add(name);
}

/** After start-up: load the default voice's dictionary and voice pack, cache the dictionaries and the app. */
async function warm() {
  try {
    await host.warm();
    for (const path of Object.keys(manifest.files).filter((p) => p.startsWith('lexicon/'))) await assets.cacheOnly(path);
    await assets.cacheGroup('app'); // the runtime files Pyodide/ORT fetched themselves: offline reloads
  } catch (error) {
    console.warn('warm-up:', error.message);
  }
  warmed = true;
}

// --- synthesis ------------------------------------------------------------------------------------

/** Progress messages of one request (koe.mjs hands them to the request's onProgress too). */
const progressOf = (id) => (phase, extra = {}) => post({ type: 'progress', id, phase, ...extra });

async function synthesize(msg) {
  const decision = await backends.select(msg.backend || 'auto', null, progressOf(msg.id));
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
    summary: { ...summary, firstChunkMs: first, totalMs: performance.now() - started, threads, backend: decision.backend, reason: decision.reason, notice: decision.notice, model: variant.key },
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
      reply(msg, async () => {
        const started = performance.now();
        const report = (json) => post({ type: 'voice-progress', id: msg.id, progress: JSON.parse(json) });
        const decision = await backends.select(msg.backend || 'auto', null, progressOf(msg.id));
        const options = { ...(msg.options || {}), backend: engineBackend(decision.backend) };
        const result = JSON.parse(await host.create_voice(msg.id, msg.samples, JSON.stringify(options), report));
        return result.error ? result : { ...result, totalMs: performance.now() - started, voices: JSON.parse(host.voices()) };
      });
      break;
    case 'stats':
      post({ type: 'result', id: msg.id, value: { ...(assets ? assets.stats : {}), warmed, threads, model: variant && variant.key, sessions: bridge ? bridge.describe() : [] } });
      break;
    default:
      fail(new Error(`unknown message ${msg.type}`));
  }
};
