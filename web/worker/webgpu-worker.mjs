// The WebGPU model session, in a worker of its own (started by webgpu.mjs in the engine
// worker). Its own onnxruntime-web instance and its own GPU device: terminating this worker
// abandons whatever it was doing (an Auto probe that overran its cap, a start that took too
// long) without leaving the engine worker's runtime busy or half-initialized.
//
//   {type: 'create', id, model: Uint8Array, options, threads, wasmBinary?} -> {id, value: {inputNames, outputNames, createMs}}
//   {type: 'run', id, feeds: [{name, dtype, dims, data}]} -> {id, value: {outputs: [{name, dtype, dims, data}], ms}}
//   errors -> {id, error}
import * as ort from '../ort/ort.webgpu.min.mjs';
import { sessionOptions } from './ort-bridge.mjs';

let session = null;

async function create({ model, options, threads, wasmBinary }) {
  ort.env.wasm.numThreads = threads || 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = new URL('../ort/', import.meta.url).href;
  if (wasmBinary) ort.env.wasm.wasmBinary = wasmBinary;
  ort.env.logLevel = 'error';
  const started = performance.now();
  session = await ort.InferenceSession.create(model, sessionOptions('webgpu', options));
  ort.env.wasm.wasmBinary = undefined;
  return { inputNames: session.inputNames, outputNames: session.outputNames, createMs: performance.now() - started };
}

async function run({ feeds }) {
  const tensors = {};
  for (const f of feeds) tensors[f.name] = new ort.Tensor(f.dtype, f.data, f.dims);
  const started = performance.now();
  const out = await session.run(tensors);
  const ms = performance.now() - started;
  const outputs = session.outputNames.map((name) => ({ name, dtype: out[name].type, dims: out[name].dims, data: out[name].data }));
  return { outputs, ms };
}

self.onmessage = async ({ data }) => {
  try {
    const value = data.type === 'create' ? await create(data) : await run(data);
    const transfer = value.outputs ? value.outputs.map((o) => o.data.buffer) : [];
    self.postMessage({ id: data.id, value }, transfer);
  } catch (error) {
    self.postMessage({ id: data.id, error: error && error.message ? error.message : String(error) });
  }
};
