// Plain onnxruntime-web, no Pyodide: the baseline for benchmarks/browser_bench.py and the
// runtime-build table of benchmarks/page_bench.py. Runs the very inputs the engine recorded
// (tokens, style, speed per chunk) on a model, with given options, threads and ORT build.
//   {type: 'create', modelUrl, options, threads, backend, build?, level?} -> {createMs, initMs}
//   {type: 'run', chunks} -> {ms, samples}        (one pass over all chunks)
// `build` picks the onnxruntime-web bundle (served by the benchmark under /bench/ort/):
// 'plain' (ort.wasm.min.mjs: ort-wasm-simd-threaded.wasm), 'asyncify' (ort.webgpu.min.mjs, the one
// the app ships for WebGPU), 'jspi' (ort.jspi.min.mjs), 'jsep' (ort.min.mjs); without it, the
// app's own copy of its CPU bundle (the plain one).
import { typedArrayOf } from '../worker/tensors.mjs';

const BUNDLES = { plain: 'ort.wasm.min.mjs', asyncify: 'ort.webgpu.min.mjs', jspi: 'ort.jspi.min.mjs', jsep: 'ort.min.mjs' };

let ort = null;
let session = null;

const feedsOf = (chunk) => Object.fromEntries(Object.entries(chunk).map(([name, t]) => [name, new ort.Tensor(t.dtype, typedArrayOf(t.dtype, t.data), t.shape)]));

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'create') {
      const folder = data.build ? new URL('./ort/', import.meta.url).href : new URL('../ort/', import.meta.url).href;
      const t0 = performance.now();
      ort = await import(folder + BUNDLES[data.build || 'plain']);
      ort.env.wasm.numThreads = data.threads;
      ort.env.wasm.wasmPaths = folder;
      ort.env.logLevel = 'error';
      const bytes = new Uint8Array(await (await fetch(data.modelUrl)).arrayBuffer());
      const t1 = performance.now();
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: [data.backend || 'wasm'], graphOptimizationLevel: data.level || 'all', extra: data.options || {},
      });
      self.postMessage({ createMs: performance.now() - t1, initMs: t1 - t0 });
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
