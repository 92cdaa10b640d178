// The bridge koe/runtimes/browser.py calls: onnxruntime-web sessions and tensors, asset bytes,
// and installing a language's Python wheels. Python hands over array.array buffers (zero-copy
// views become ort.Tensor data); outputs go back as TypedArrays. The contract is in the
// docstring of koe/runtimes/browser.py.
import { TENSOR_TYPES } from './tensors.mjs';

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
  }

  async createSession(name, source, backend, options) {
    const bytes = typeof source === 'string' ? await this.assets.fetch(source) : source;
    const label = typeof source === 'string' ? source : name;
    this.progress(`Preparing ${name === 'kokoro' ? 'the voice model' : name} (${backend === 'webgpu' ? 'WebGPU' : 'CPU'})…`);
    const started = performance.now();
    const session = await this.ort.InferenceSession.create(bytes, sessionOptions(backend, options));
    const id = this.nextId++;
    this.sessions.set(id, { session, name, backend, label, createMs: performance.now() - started });
    return { id, inputNames: session.inputNames, outputNames: session.outputNames };
  }

  async run(id, names, dtypes, shapes, buffers) {
    const { session } = this.sessions.get(id);
    const views = [];
    const feeds = {};
    try {
      for (let i = 0; i < names.length; i++) {
        const view = buffers[i].getBuffer(TENSOR_TYPES[dtypes[i]].buffer); // zero-copy view of the array.array
        views.push(view);
        feeds[names[i]] = new this.ort.Tensor(dtypes[i], view.data, Array.from(shapes[i]));
      }
      const started = performance.now();
      const out = await session.run(feeds);
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
      entry.session.release().catch(() => {});
    }
  }

  /** What stats() reports about the sessions. */
  describe() {
    return [...this.sessions.values()].map((s) => ({ name: s.name, backend: s.backend, createMs: s.createMs }));
  }
}
