// Which backend runs the model: 'cpu' (onnxruntime-web WASM) or 'webgpu', from a request of
// 'auto' | 'cpu' | 'webgpu'. Explicit requests are honoured when possible (else CPU with a
// notice); Auto uses WebGPU only if a short probe shows it matches the CPU's audio and is faster.
import { logMel, melSimilarity } from '../app/audio-compare.mjs';

const PROBE_TEXT = 'Hello there, this is a test.';
const PROBE_CAP_MS = 30000;

export const engineBackend = (backend) => (backend === 'webgpu' ? 'webgpu' : 'wasm');

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms); }),
  ]);
}

export class Backends {
  /**
   * @param {object} host      koe.runtimes.browser.BrowserHost (a PyProxy)
   * @param {object} variant   the model variant in use: {key, path, options, float}
   * @param {string} build     the build id (an Auto verdict is remembered per build and adapter)
   * @param {(phase: string, extra: object) => void} progress
   */
  constructor(host, variant, build, progress) {
    this.host = host;
    this.variant = variant;
    this.build = build;
    this.progress = progress;
    this.decisions = new Map(); // requested backend -> {backend, reason, notice?}
    this.probeId = -1;
  }

  async gpuCheck() {
    if (!this.variant.float) return { ok: false, why: 'this build has only the int8 model, which WebGPU cannot run' };
    if (!self.navigator.gpu) return { ok: false, why: 'this browser has no WebGPU' };
    let adapter = null;
    try { adapter = await self.navigator.gpu.requestAdapter(); } catch { adapter = null; }
    if (!adapter) return { ok: false, why: 'no WebGPU adapter is available' };
    const info = adapter.info || {};
    return { ok: true, adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter' };
  }

  async load(backend) {
    await this.host.load(backend, this.variant.path, JSON.stringify(this.variant.options));
  }

  /** Unload the WebGPU engine (and forget an explicit WebGPU decision, which would reload it). */
  dropGpu() {
    this.decisions.delete('webgpu');
    this.host.unload('webgpu');
  }

  async probeRun(backend) {
    const id = this.probeId--;
    const parts = [];
    const started = performance.now();
    const summary = JSON.parse(await this.host.stream(id, backend, PROBE_TEXT, '', 1.0, (kind, meta, data) => {
      if (kind === 'chunk') parts.push(data);
    }, false, false));
    if (summary.error) throw new Error(summary.error);
    const total = parts.reduce((n, p) => n + p.length, 0);
    const samples = new Float32Array(total);
    let offset = 0;
    for (const p of parts) { samples.set(p, offset); offset += p.length; }
    return { samples, ms: performance.now() - started, id };
  }

  /** Resolve 'auto' | 'cpu' | 'webgpu' to the backend that will run, with the reason (and a notice on fallback). */
  async select(requested, cached) {
    if (this.decisions.has(requested)) return this.decisions.get(requested);
    let decision;
    if (requested === 'cpu') {
      decision = { backend: 'cpu', reason: 'CPU (WebAssembly) selected' };
    } else {
      const gpu = await this.gpuCheck();
      if (!gpu.ok) {
        decision = requested === 'webgpu'
          ? { backend: 'cpu', reason: `WebGPU unavailable: ${gpu.why}`, notice: `WebGPU is not available here (${gpu.why}); using the CPU instead.` }
          : { backend: 'cpu', reason: `Auto: ${gpu.why}, so CPU` };
      } else if (requested === 'webgpu') {
        try {
          this.progress('session', { message: 'Preparing WebGPU…' });
          await this.load('webgpu');
          decision = { backend: 'webgpu', reason: `WebGPU selected (${gpu.adapter})`, adapter: gpu.adapter };
        } catch (error) {
          decision = { backend: 'cpu', reason: `WebGPU failed to start: ${error.message}`, notice: `WebGPU failed to start (${error.message}); using the CPU instead.` };
        }
      } else if (cached && cached.key === `${this.build}|${gpu.adapter}`) {
        decision = { ...cached.decision, reason: `${cached.decision.reason} (remembered)` };
        if (decision.backend === 'webgpu') {
          try { await this.load('webgpu'); } catch (error) { decision = { backend: 'cpu', reason: `Auto: WebGPU failed to start (${error.message})` }; }
        }
      } else {
        decision = await this.autoProbe(gpu);
        decision.cacheKey = `${this.build}|${gpu.adapter}`;
      }
    }
    this.decisions.set(requested, decision);
    return decision;
  }

  /** Auto: WebGPU only if it matches the CPU's audio and is faster, within a time cap. */
  async autoProbe(gpu) {
    const capMs = PROBE_CAP_MS;
    const started = performance.now();
    this.progress('probe', { message: 'Auto: comparing WebGPU with the CPU…' });
    try {
      const cpu = await this.probeRun('wasm');
      const left = () => capMs - (performance.now() - started);
      const loading = this.load('webgpu');
      try {
        await withTimeout(loading, left(), 'starting WebGPU');
      } catch (error) {
        loading.then(() => this.dropGpu(), () => {});
        throw error;
      }
      const first = this.probeRun('webgpu');
      let gpuRun;
      try {
        gpuRun = await withTimeout(first, left(), 'the WebGPU probe');
      } catch (error) {
        this.host.cancel(this.probeId + 1);
        first.then(() => this.dropGpu(), () => this.dropGpu());
        throw error;
      }
      const ratio = gpuRun.samples.length / cpu.samples.length;
      if (Math.abs(ratio - 1) > 0.02) {
        this.dropGpu();
        return { backend: 'cpu', reason: `Auto: WebGPU audio length differs from the CPU's by ${(Math.abs(ratio - 1) * 100).toFixed(1)}%, so CPU` };
      }
      const similarity = melSimilarity(logMel(cpu.samples), logMel(gpuRun.samples));
      if (!(similarity >= 0.9)) {
        this.dropGpu();
        return { backend: 'cpu', reason: `Auto: WebGPU audio does not match the CPU's (log-mel similarity ${similarity.toFixed(2)}), so CPU` };
      }
      const second = await withTimeout(this.probeRun('webgpu'), left(), 'the WebGPU probe');
      const gpuMs = Math.min(gpuRun.ms, second.ms);
      if (gpuMs >= cpu.ms) {
        this.dropGpu();
        return { backend: 'cpu', reason: `Auto: CPU is faster (${Math.round(cpu.ms)} ms vs WebGPU ${Math.round(gpuMs)} ms)` };
      }
      return { backend: 'webgpu', adapter: gpu.adapter, reason: `Auto: WebGPU is faster (${Math.round(gpuMs)} ms vs CPU ${Math.round(cpu.ms)} ms) and matches the CPU's audio` };
    } catch (error) {
      return { backend: 'cpu', reason: `Auto: ${error.message}, so CPU` };
    }
  }
}
