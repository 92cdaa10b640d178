// Plain onnxruntime-web, no Pyodide: the baseline for benchmarks/browser_bench.py. Runs the very
// inputs the engine recorded (tokens, style, speed per chunk) on the same model, options and threads.
//   {type: 'create', modelUrl, options, threads, backend} -> {createMs}
//   {type: 'run', chunks} -> {ms, samples}        (one pass over all chunks)
import * as ort from '../ort/ort.webgpu.min.mjs';
import { typedArrayOf } from '../worker/tensors.mjs';

let session = null;

const feedsOf = (chunk) => Object.fromEntries(Object.entries(chunk).map(([name, t]) => [name, new ort.Tensor(t.dtype, typedArrayOf(t.dtype, t.data), t.shape)]));

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'create') {
      ort.env.wasm.numThreads = data.threads;
      ort.env.wasm.wasmPaths = new URL('../ort/', import.meta.url).href;
      ort.env.logLevel = 'error';
      const bytes = new Uint8Array(await (await fetch(data.modelUrl)).arrayBuffer());
      const t0 = performance.now();
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: [data.backend || 'wasm'], graphOptimizationLevel: 'all', extra: data.options || {},
      });
      self.postMessage({ createMs: performance.now() - t0 });
    } else if (data.type === 'run') {
      const feeds = data.chunks.map(feedsOf); // tensors built outside the timed region
      const t0 = performance.now();
      let samples = 0;
      for (const f of feeds) samples += (await session.run(f))[session.outputNames[0]].data.length;
      self.postMessage({ ms: performance.now() - t0, samples });
    }
  } catch (error) {
    self.postMessage({ error: String(error && error.stack || error) });
  }
};
