// The bridge koe/runtimes/browser.py calls: onnxruntime-web sessions and tensors, asset bytes,
// and installing a language's Python wheels. Python hands over array.array buffers (zero-copy
// views become ort.Tensor data); outputs go back as TypedArrays. The contract is in the
// docstring of koe/runtimes/browser.py.
import { TENSOR_TYPES } from './tensors.mjs';
import { WebGpuSession } from './webgpu.mjs';

export const executionProvider = (backend) => (backend === 'webgpu' ? 'webgpu' : 'wasm');

/** Session options for a model variant (koe.assets.ModelVariant.options, all strings). */
export function sessionOptions(backend, options) {
  const extra = {};
  for (const [key, value] of Object.entries(options || {})) extra[key] = String(value);
  return { executionProviders: [executionProvider(backend)], graphOptimizationLevel: 'all', extra };
}

export class OrtBridge {
  /**
   * @param {object} ort      the onnxruntime-web module
   * @param {import('./fetch.mjs').AssetFetcher} assets
   * @param {(message: string) => void} progress  "Preparing …" messages
   * @param {(names: string[]) => Promise<void>} install  makes Python packages importable
   */
  constructor(ort, assets, progress, install) {
    this.ort = ort;
    this.assets = assets;
    this.progress = progress;
    this.install = install;
    this.sessions = new Map();
    this.nextId = 1;
    this.adopted = null; // a started WebGPU session waiting to become the engine's
  }

  /**
   * Hand over a started WebGPU session (see webgpu.mjs): the next createSession of that model on
   * 'webgpu' takes it instead of starting another. WebGPU sessions always live in a worker of
   * their own, so that they can be abandoned (terminated) at any moment.
   */
  adopt(gpuSession) {
    if (this.adopted && this.adopted !== gpuSession) this.adopted.terminate();
    this.adopted = gpuSession;
  }

  async createSession(name, source, backend, options) {
    const label = typeof source === 'string' ? source : name;
    if (backend === 'webgpu') {
      let gpu = this.adopted;
      this.adopted = null;
      if (!gpu || gpu.closed || gpu.model.path !== label) {
        if (gpu) gpu.terminate();
        gpu = new WebGpuSession({ path: label, options: options || {} }, this.ort.env.wasm.numThreads);
        const bytes = typeof source === 'string' ? await this.assets.fetch(source) : source.slice();
        this.progress(`Preparing ${name === 'kokoro' ? 'the voice model' : name} (WebGPU)…`);
        await gpu.create(bytes);
      }
      const id = this.nextId++;
      this.sessions.set(id, { session: gpu, remote: true, name, backend, label, createMs: gpu.info.createMs });
      return { id, inputNames: gpu.info.inputNames, outputNames: gpu.info.outputNames };
    }
    const bytes = typeof source === 'string' ? await this.assets.fetch(source) : source;
    this.progress(`Preparing ${name === 'kokoro' ? 'the voice model' : name} (CPU)…`);
    const started = performance.now();
    const session = await this.ort.InferenceSession.create(bytes, sessionOptions(backend, options));
    const id = this.nextId++;
    this.sessions.set(id, { session, name, backend, label, createMs: performance.now() - started });
    return { id, inputNames: session.inputNames, outputNames: session.outputNames };
  }

  async run(id, names, dtypes, shapes, buffers) {
    const entry = this.sessions.get(id);
    if (!entry) throw new Error('this model session was released');
    const views = [];
    try {
      const feeds = names.map((name, i) => {
        const view = buffers[i].getBuffer(TENSOR_TYPES[dtypes[i]].buffer); // zero-copy view of the array.array
        views.push(view);
        // A session in another worker gets a copy (the view is Python's memory).
        return { name, dtype: dtypes[i], dims: Array.from(shapes[i]), data: entry.remote ? view.data.slice() : view.data };
      });
      if (entry.remote) return await entry.session.run(feeds);
      const tensors = {};
      for (const f of feeds) tensors[f.name] = new this.ort.Tensor(f.dtype, f.data, f.dims);
      const { session } = entry;
      const started = performance.now();
      const out = await session.run(tensors);
      const ms = performance.now() - started;
      const outputs = session.outputNames.map((n) => ({ name: n, dtype: out[n].type, dims: out[n].dims, data: out[n].data }));
      return { outputs, ms };
    } finally {
      for (const view of views) view.release();
    }
  }

  async fetchBytes(path) {
    return this.assets.fetch(path);
  }

  /** Install pure-Python packages of this build (a language's wheels, on its first use). */
  async installPackages(names) {
    await this.install(Array.from(names));
  }

  releaseSession(id) {
    const entry = this.sessions.get(id);
    if (entry) {
      this.sessions.delete(id);
      if (entry.remote) entry.session.terminate();
      else entry.session.release().catch(() => {});
    }
  }

  /** What stats() reports about the sessions. */
  describe() {
    return [...this.sessions.values()].map((s) => ({ name: s.name, backend: s.backend, createMs: s.createMs }));
  }
}
