// The bridge koe/runtimes/browser.py calls: onnxruntime-web sessions and tensors, asset bytes,
// and installing a language's Python wheels. Python hands over array.array buffers (zero-copy
// views, copied once into the message to the session's worker); outputs come back as
// TypedArrays. The contract is in the docstring of koe/runtimes/browser.py.
//
// No session runs in the engine worker itself: CPU sessions live in the CPU worker
// (cpu-sessions.mjs), which Stop may terminate and restart; a WebGPU session in a worker of its
// own (webgpu.mjs). A session can be started before Python asks for it (preload: the Kokoro model
// is created while Pyodide boots); Python's createSession of the same model then takes it.
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
   * @param {import('./cpu-sessions.mjs').CpuSessions} cpu  the CPU worker's sessions
   * @param {import('./fetch.mjs').AssetFetcher} assets
   * @param {(message: string) => void} progress  "Preparing …" messages
   * @param {(names: string[]) => Promise<void>} install  makes Python packages importable
   * @param {number} threads  WASM threads of a WebGPU worker (for the operators it leaves to the CPU)
   */
  constructor(cpu, assets, progress, install, threads) {
    this.cpu = cpu;
    this.assets = assets;
    this.progress = progress;
    this.install = install;
    this.threads = threads;
    this.sessions = new Map();
    this.nextId = 1;
    this.adopted = null; // a started WebGPU session waiting to become the engine's
    this.preloaded = new Map(); // `${path}|${options}` -> id of a CPU session started before Python asked
  }

  /** Start creating a CPU session of the asset `path` now; a later createSession of it takes this one. */
  preload(name, path, options) {
    const id = this.nextId++;
    const eager = name === 'kokoro';
    const created = this.cpu.create(id, name, path, options || {}, eager);
    created.catch(() => {});
    this.preloaded.set(`${path}|${JSON.stringify(options || {})}`, { id, name, created });
    return created;
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
    const plain = options && typeof options.toJs === 'function' ? options.toJs() : { ...(options || {}) };
    if (backend === 'webgpu') {
      let gpu = this.adopted;
      this.adopted = null;
      if (!gpu || gpu.closed || gpu.model.path !== label) {
        if (gpu) gpu.terminate();
        gpu = new WebGpuSession({ path: label, options: plain }, this.threads);
        const bytes = typeof source === 'string' ? await this.assets.fetch(source) : source.slice();
        this.progress(`Preparing ${name === 'kokoro' ? 'the voice model' : name} (WebGPU)…`);
        await gpu.create(bytes);
      }
      const id = this.nextId++;
      this.sessions.set(id, { session: gpu, name, backend, label, createMs: gpu.info.createMs });
      return { id, inputNames: gpu.info.inputNames, outputNames: gpu.info.outputNames };
    }
    const key = `${label}|${JSON.stringify(plain)}`;
    const preloaded = typeof source === 'string' ? this.preloaded.get(key) : null;
    let id;
    let info;
    if (preloaded) {
      this.preloaded.delete(key);
      ({ id } = preloaded);
      info = await preloaded.created;
    } else {
      this.progress(`Preparing ${name === 'kokoro' ? 'the voice model' : name} (CPU)…`);
      id = this.nextId++;
      info = await this.cpu.create(id, name, source, plain, name === 'kokoro');
    }
    this.sessions.set(id, { cpu: true, name, backend, label, createMs: info.createMs });
    return { id, inputNames: info.inputNames, outputNames: info.outputNames };
  }

  async run(id, names, dtypes, shapes, buffers) {
    const entry = this.sessions.get(id);
    if (!entry) throw new Error('this model session was released');
    const views = [];
    try {
      const feeds = names.map((name, i) => {
        const view = buffers[i].getBuffer(TENSOR_TYPES[dtypes[i]].buffer); // zero-copy view of the array.array
        views.push(view);
        // The session's worker gets a copy (the view is Python's memory), transferred.
        return { name, dtype: dtypes[i], dims: Array.from(shapes[i]), data: view.data.slice() };
      });
      return entry.cpu ? await this.cpu.run(id, feeds) : await entry.session.run(feeds);
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
      if (entry.cpu) this.cpu.release(id);
      else entry.session.terminate();
    }
  }

  /** What stats() reports about the sessions. */
  describe() {
    return [...this.sessions.values()].map((s) => ({ name: s.name, backend: s.backend, createMs: s.createMs }));
  }
}
