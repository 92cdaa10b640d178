// A WebGPU model session that lives in its own worker (webgpu-worker.mjs), so that it can be
// abandoned at any moment: terminate() ends the worker, its onnxruntime-web instance and its
// GPU device, and every pending call rejects. The Auto probe and a bounded WebGPU start use it;
// a session that passed is then adopted by the bridge as the engine's WebGPU session.
import { typedArrayOf } from './tensors.mjs';

export class WebGpuSession {
  /**
   * @param {object} model    {path, options}: the model variant (the bridge adopts only the same one)
   * @param {number} threads  WASM threads for the operators WebGPU leaves to the CPU
   */
  constructor(model, threads) {
    this.model = model;
    this.threads = threads;
    this.worker = new Worker(new URL('./webgpu-worker.mjs', import.meta.url), { type: 'module', name: 'koe-webgpu' });
    this.pending = new Map();
    this.next = 1;
    this.closed = null; // why the session can no longer be used
    this.info = null;
    this.worker.onmessage = ({ data }) => {
      const call = this.pending.get(data.id);
      if (!call) return;
      this.pending.delete(data.id);
      if (data.error) call.reject(new Error(data.error));
      else call.resolve(data.value);
    };
    this.worker.onerror = (event) => this.terminate(`the WebGPU worker failed: ${event.message || 'unknown error'}`);
  }

  call(message, transfer = []) {
    if (this.closed) return Promise.reject(new Error(this.closed));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Create the session from the model's bytes (transferred: the caller's copy is emptied). */
  async create(bytes, wasmBinary) {
    const transfer = [bytes.buffer, ...(wasmBinary ? [wasmBinary.buffer] : [])];
    this.info = await this.call({ type: 'create', model: bytes, options: this.model.options, threads: this.threads, wasmBinary }, transfer);
    return this.info;
  }

  /** One run: feeds as [{name, dtype, dims, data: TypedArray}] (the data is transferred). */
  run(feeds) {
    return this.call({ type: 'run', feeds }, feeds.map((f) => f.data.buffer));
  }

  /** One run of model inputs recorded as JSON by the engine ({name: {dtype, shape, data}}). */
  runRecorded(inputs) {
    return this.run(Object.entries(inputs).map(([name, t]) => ({ name, dtype: t.dtype, dims: t.shape, data: typedArrayOf(t.dtype, t.data) })));
  }

  /** End the worker (and with it the GPU device and whatever it was running). */
  terminate(why = 'the WebGPU session was closed') {
    if (this.closed) return;
    this.closed = why;
    this.worker.terminate();
    const error = new Error(why);
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}
