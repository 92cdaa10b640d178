// The CPU (WebAssembly) model sessions, in a worker of their own (started by cpu-sessions.mjs in
// the engine worker). One model run cannot be interrupted, so Stop terminates this worker: its
// onnxruntime-web instance and every session go with it, and the engine worker starts a fresh
// one from the cached files, while Pyodide and the engine's state stay as they were.
//
//   {type: 'init', threads, wasmPaths, bundle} -> {id, value: {initMs}}
//   {type: 'create', id, key, model: Uint8Array, options} -> {id, value: {inputNames, outputNames, createMs}}
//   {type: 'run', id, key, feeds: [{name, dtype, dims, data}]} -> {id, value: {outputs: [{name, dtype, dims, data}], ms}}
//   {type: 'release', key}
//   errors -> {id, error}
import { sessionOptions } from './ort-bridge.mjs';

let ort = null;
const sessions = new Map();

async function init({ threads, wasmPaths, bundle }) {
  const started = performance.now();
  ort = await import(new URL(bundle, wasmPaths).href);
  ort.env.wasm.numThreads = threads || 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = wasmPaths; // streaming compilation; the browser caches the compiled code
  ort.env.logLevel = 'error';
  return { initMs: performance.now() - started };
}

async function create({ key, model, options }) {
  const started = performance.now();
  const session = await ort.InferenceSession.create(model, sessionOptions('wasm', options));
  sessions.set(key, session);
  return { inputNames: session.inputNames, outputNames: session.outputNames, createMs: performance.now() - started };
}

async function run({ key, feeds }) {
  const session = sessions.get(key);
  if (!session) throw new Error(`no session ${key} in the CPU worker`);
  const tensors = {};
  for (const f of feeds) tensors[f.name] = new ort.Tensor(f.dtype, f.data, f.dims);
  const started = performance.now();
  const out = await session.run(tensors);
  const ms = performance.now() - started;
  const outputs = session.outputNames.map((name) => ({ name, dtype: out[name].type, dims: out[name].dims, data: out[name].data }));
  return { outputs, ms };
}

const HANDLERS = { init, create, run };

self.onmessage = async ({ data }) => {
  if (data.type === 'release') {
    const session = sessions.get(data.key);
    sessions.delete(data.key);
    if (session) session.release().catch(() => {});
    return;
  }
  try {
    const value = await HANDLERS[data.type](data);
    const transfer = value.outputs ? value.outputs.map((o) => o.data.buffer) : [];
    self.postMessage({ id: data.id, value }, transfer);
  } catch (error) {
    self.postMessage({ id: data.id, error: error && error.message ? error.message : String(error) });
  }
};
