// The engine worker's handle on the CPU model sessions, which live in a worker of their own
// (cpu-worker.mjs): every graph on the CPU (the Kokoro model, the English G2P network, the speaker
// encoder) is created and run there.
//
// Why a worker of their own: one model run cannot be interrupted, and a run of a long chunk takes
// seconds on WebAssembly. abort() terminates the worker at once (every pending call rejects with
// a RunAborted error), so Stop never waits for a run, and starts a fresh worker from the cached
// files: the sessions are recreated (the eager ones, such as the Kokoro model, at once; the others
// when next used), under the same ids, so the Python engine never notices. `restarts` records what
// each restart cost.

export class RunAborted extends Error {
  constructor(why) {
    super(why);
    this.name = 'RunAborted';
  }
}

export class CpuSessions {
  /**
   * @param {object} options
   * @param {number} options.threads    WebAssembly threads of onnxruntime-web
   * @param {string} options.wasmPaths  URL of the folder with onnxruntime-web's files
   * @param {string} options.bundle     the onnxruntime-web ES module in that folder
   * @param {(path: string) => Promise<Uint8Array>} options.load  a model file's bytes (from the cache)
   */
  constructor({ threads, wasmPaths, bundle, load }) {
    Object.assign(this, { threads, wasmPaths, bundle, load });
    this.sessions = new Map(); // key -> {name, source, options, eager}
    this.worker = null;
    this.started = null; // the worker's init
    this.created = new Map(); // key -> Promise of {inputNames, outputNames, createMs} in this worker
    this.pending = new Map(); // call id -> {resolve, reject}
    this.next = 1;
    this.restarts = [];
    this.generation = 0;
  }

  /** Start the worker (and onnxruntime-web in it) if there is none. */
  start() {
    if (this.worker) return this.started;
    this.generation += 1;
    this.worker = new Worker(new URL('./cpu-worker.mjs', import.meta.url), { type: 'module', name: 'koe-cpu' });
    this.worker.onmessage = ({ data }) => {
      const call = this.pending.get(data.id);
      if (!call) return;
      this.pending.delete(data.id);
      if (data.error) call.reject(new Error(data.error));
      else call.resolve(data.value);
    };
    this.worker.onerror = (event) => this.abort(`the CPU model worker failed: ${event.message || 'unknown error'}`, { restart: false });
    this.started = this.call({ type: 'init', threads: this.threads, wasmPaths: this.wasmPaths, bundle: this.bundle });
    this.started.catch(() => {});
    return this.started;
  }

  call(message, transfer = []) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Whether a model call is under way (a run, or a session being created). */
  get busy() {
    return this.pending.size > 0;
  }

  /**
   * Register a session and create it in the worker. `source` is an asset path (its bytes are
   * read with `load`, again after a restart) or bytes (kept for a restart). `eager`: recreate it as
   * soon as the worker restarts (the Kokoro model), instead of on its next use.
   */
  async create(key, name, source, options, eager = false) {
    this.sessions.set(key, { name, source: typeof source === 'string' ? source : source.slice(), options, eager });
    return this.ensure(key);
  }

  /** The session `key` in the current worker (created there now if it is not yet). */
  ensure(key) {
    this.start();
    let created = this.created.get(key);
    if (!created) {
      const entry = this.sessions.get(key);
      if (!entry) return Promise.reject(new Error('this model session was released'));
      created = (async () => {
        const begun = performance.now();
        const bytes = typeof entry.source === 'string' ? await this.load(entry.source) : entry.source.slice();
        const loadMs = performance.now() - begun;
        await this.started;
        const info = await this.call({ type: 'create', key, model: bytes, options: entry.options }, [bytes.buffer]);
        return { ...info, loadMs };
      })();
      created.catch(() => this.created.get(key) === created && this.created.delete(key));
      this.created.set(key, created);
    }
    return created;
  }

  /** One run: feeds as [{name, dtype, dims, data: TypedArray}] (the data is transferred). */
  async run(key, feeds) {
    await this.ensure(key);
    return this.call({ type: 'run', key, feeds }, feeds.map((f) => f.data.buffer));
  }

  release(key) {
    this.sessions.delete(key);
    this.created.delete(key);
    if (this.worker) this.worker.postMessage({ type: 'release', key });
  }

  /**
   * Terminate the worker now: every pending call rejects with RunAborted(why). Unless `restart` is
   * false, a fresh worker starts at once and the eager sessions are recreated; the promise resolves
   * when they are ready, with what the restart cost ({ms, sessions}).
   */
  async abort(why = 'stopped', { restart = true } = {}) {
    if (!this.worker) return null;
    const started = performance.now();
    this.worker.terminate();
    this.worker = null;
    this.created.clear();
    const error = new RunAborted(why);
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    if (!restart) return null;
    const eager = [...this.sessions].filter(([, s]) => s.eager).map(([key]) => key);
    const record = { why, at: Math.round(started), ms: null, sessions: eager.map((key) => this.sessions.get(key).name) };
    this.restarts.push(record);
    if (this.restarts.length > 20) this.restarts.shift();
    const generation = this.generation + 1;
    try {
      const [init, ...sessions] = await Promise.all([this.started, ...eager.map((key) => this.ensure(key))]);
      if (this.generation === generation) {
        record.ms = performance.now() - started;
        record.initMs = init.initMs; // onnxruntime-web's start in the new worker
        record.loadMs = Math.max(...sessions.map((s) => s.loadMs)); // the model's bytes from the cache
        record.createMs = sessions.reduce((n, s) => n + s.createMs, 0); // creating the sessions
      }
    } catch (failure) {
      record.error = failure.message;
    }
    return record;
  }
}
