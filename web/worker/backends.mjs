// Which backend runs the model: 'cpu' (onnxruntime-web WASM, in the engine worker) or 'webgpu'
// (a session in a worker of its own, see webgpu.mjs), from a request of 'auto' | 'cpu' |
// 'webgpu'. Explicit requests are honoured when possible (else CPU with a notice); Auto uses
// WebGPU only if a short probe shows it matches the CPU's audio and is faster (never on a
// software fallback adapter such as SwiftShader, which is always far slower than WebAssembly).
//
// Everything WebGPU does is bounded: starting it (webgpuStartMs) and the Auto probe (probeCapMs).
// What overruns is abandoned by terminating its worker (its onnxruntime-web instance and GPU
// device go with it), so nothing it started can hold up a later WebGPU request, which starts a
// fresh session. The GPU itself may still be finishing work the abandoned worker had queued
// (browsers cannot cancel it); a later request then waits for the GPU, with progress, within
// its start bound. (Letting the abandoned run finish and reusing its session was measured to be
// slower: onnxruntime-web compiles shaders per input shape, so a new text compiles anew.)
import { logMel, melSimilarity } from '../app/audio-compare.mjs';
import { WebGpuSession } from './webgpu.mjs';

const PROBE_TEXT = 'Hello there, this is a test.';
const LIMITS = { probeCapMs: 30000, webgpuStartMs: 120000, adapterMs: 10000, probeFallbackAdapter: false };
const TICK_MS = 5000;

export const engineBackend = (backend) => (backend === 'webgpu' ? 'webgpu' : 'wasm');

class TimeoutError extends Error {}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`${what} took longer than ${Math.round(ms / 1000)} s`)), Math.max(0, ms));
    }),
  ]);
}

/** Calls `report(seconds)` every few seconds until `stop()`: long waits are never silent. */
function ticker(report) {
  const started = performance.now();
  const timer = setInterval(() => report(Math.round((performance.now() - started) / 1000)), TICK_MS);
  return () => clearInterval(timer);
}

export class Backends {
  /**
   * @param {object} engine  {host (BrowserHost), bridge (OrtBridge), assets (AssetFetcher), gpuVariant
   *   (the float model variant WebGPU runs, {key, path, options, float}, or null), build, threads,
   *   ortWasm (asset path of ORT's WASM binary for WebGPU)}
   * @param {object} [limits]  overrides of LIMITS (probeCapMs, webgpuStartMs; probeFallbackAdapter:
   *   let Auto probe a software adapter too): slow devices, tests
   */
  constructor(engine, limits = {}) {
    Object.assign(this, engine);
    this.limits = { ...LIMITS, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => Number(v) > 0)) };
    this.decisions = new Map(); // requested backend -> {backend, reason, notice?}
    this.probeId = -1;
  }

  /**
   * Whether WebGPU can run the model here, and the adapter's name. The browser answers the
   * adapter request only when its GPU process is free: after an abandoned probe that can take a
   * while (the GPU finishes the work already queued), so an explicit request waits up to `ms`.
   */
  async gpuCheck(ms = this.limits.adapterMs, report = () => {}) {
    if (!this.gpuVariant) return { ok: false, why: 'this build has only the int8 model, which WebGPU cannot run' };
    if (!self.navigator.gpu) return { ok: false, why: 'this browser has no WebGPU' };
    let adapter = null;
    const stop = ticker((s) => report('session', { message: `Waiting for the GPU… ${s} s (at most ${Math.round(ms / 1000)} s)` }));
    try {
      adapter = await withTimeout(self.navigator.gpu.requestAdapter(), ms, 'waiting for the GPU');
    } catch (error) {
      return { ok: false, why: 'no WebGPU adapter is available', timedOut: error instanceof TimeoutError };
    } finally {
      stop();
    }
    if (!adapter) return { ok: false, why: 'no WebGPU adapter is available' };
    const info = adapter.info || {};
    return { ok: true, adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter',
      fallback: !!(info.isFallbackAdapter ?? adapter.isFallbackAdapter) };
  }

  /** A WebGPU session of the model in its own worker, created within `ms` (else terminated, and this rejects). */
  async startGpu(ms, what) {
    const gpu = new WebGpuSession(this.gpuVariant, this.threads);
    const creating = this.createSession(gpu);
    try {
      await withTimeout(creating, ms, what);
    } catch (error) {
      gpu.terminate(`abandoned: ${error.message}`);
      creating.catch(() => {});
      throw error;
    }
    return gpu;
  }

  /** Create the model's session in `gpu`'s worker (the model and ORT's WASM from the cache). */
  async createSession(gpu) {
    const [model, wasm] = await Promise.all([this.assets.fetch(this.gpuVariant.path), this.assets.fetch(this.ortWasm)]);
    return gpu.create(model, wasm);
  }

  /** Make a started WebGPU session the engine's WebGPU backend. */
  async useGpu(gpu) {
    this.bridge.adopt(gpu);
    await this.host.load('webgpu', this.gpuVariant.path, JSON.stringify(this.gpuVariant.options));
  }

  /** Start WebGPU for the engine within `bound` ms; with a progress message every few seconds. */
  async loadGpu(report, bound = this.limits.webgpuStartMs) {
    report('session', { message: 'Preparing WebGPU…' });
    const stop = ticker((s) => report('session', { message: `Preparing WebGPU… ${s} s (at most ${Math.round(bound / 1000)} s)` }));
    try {
      await this.useGpu(await this.startGpu(bound, 'starting WebGPU'));
    } finally {
      stop();
    }
  }

  /**
   * Resolve 'auto' | 'cpu' | 'webgpu' to the backend that will run: {backend, reason, notice?,
   * code?}. `report(phase, extra)` gets progress messages; `startMs` bounds an explicit WebGPU
   * start (default webgpuStartMs). A start that timed out is not remembered: asking again retries.
   */
  async select(requested, cached, report = () => {}, startMs = 0) {
    if (this.decisions.has(requested)) return this.decisions.get(requested);
    let decision;
    if (requested === 'cpu') {
      decision = { backend: 'cpu', reason: 'CPU (WebAssembly) selected' };
    } else if (requested === 'webgpu') {
      decision = await this.startExplicit(report, startMs > 0 ? startMs : this.limits.webgpuStartMs);
    } else {
      const gpu = await this.gpuCheck();
      if (!gpu.ok) {
        decision = { backend: 'cpu', reason: `Auto: ${gpu.timedOut ? 'the GPU did not answer in time' : gpu.why}, so CPU` };
        if (gpu.timedOut) return decision;
      } else if (gpu.fallback && !this.limits.probeFallbackAdapter) {
        decision = { backend: 'cpu', reason: `Auto: the WebGPU adapter (${gpu.adapter}) is a software fallback, slower than WebAssembly, so CPU` };
      } else if (cached && cached.key === `${this.build}|${gpu.adapter}`) {
        decision = { ...cached.decision, reason: `${cached.decision.reason} (remembered)` };
        if (decision.backend === 'webgpu') {
          try { await this.loadGpu(report); } catch (error) { decision = { backend: 'cpu', reason: `Auto: WebGPU failed to start (${error.message})` }; }
        }
      } else {
        decision = await this.autoProbe(gpu, report);
        decision.cacheKey = `${this.build}|${gpu.adapter}`;
      }
    }
    if (decision.code !== 'webgpu_timeout') this.decisions.set(requested, decision);
    return decision;
  }

  /** An explicit WebGPU request: wait for the GPU and start a session, all within `bound` ms (else CPU). */
  async startExplicit(report, bound) {
    const deadline = performance.now() + bound;
    const timedOut = (what) => ({
      backend: 'cpu', code: 'webgpu_timeout', reason: `WebGPU did not start within ${Math.round(bound / 1000)} s (${what})`,
      notice: `WebGPU did not start within ${Math.round(bound / 1000)} s (${what}); using the CPU instead. Choose WebGPU again to retry.`,
    });
    const gpu = await this.gpuCheck(bound, report);
    if (gpu.timedOut) return timedOut('the GPU did not answer');
    if (!gpu.ok) {
      return { backend: 'cpu', code: 'webgpu_unavailable', reason: `WebGPU unavailable: ${gpu.why}`,
        notice: `WebGPU is not available here (${gpu.why}); using the CPU instead.` };
    }
    try {
      await this.loadGpu(report, deadline - performance.now());
      return { backend: 'webgpu', reason: `WebGPU selected (${gpu.adapter})`, adapter: gpu.adapter };
    } catch (error) {
      if (error instanceof TimeoutError) return timedOut('its session was not ready');
      return { backend: 'cpu', code: 'webgpu_failed', reason: `WebGPU failed to start: ${error.message}`,
        notice: `WebGPU failed to start (${error.message}); using the CPU instead.` };
    }
  }

  /** The probe phrase on the CPU engine: its samples, time inside the model and the model inputs. */
  async cpuReference() {
    const id = this.probeId--;
    const parts = [];
    const summary = JSON.parse(await this.host.stream(id, 'wasm', PROBE_TEXT, '', 1.0, (kind, meta, data) => {
      if (kind === 'chunk') parts.push(data);
    }, true, false));
    if (summary.error) throw new Error(summary.error);
    return { samples: parts[0], ms: summary.ort_ms, inputs: summary.inputs[0] };
  }

  /**
   * Auto: WebGPU only if, on the very model inputs the CPU engine used for the probe phrase, it
   * gives the same audio and is faster, all within probeCapMs. WebGPU runs in a worker of its own,
   * which is terminated when the cap is reached.
   */
  async autoProbe(gpu, report) {
    const cap = this.limits.probeCapMs;
    const started = performance.now();
    const left = () => cap - (performance.now() - started);
    let stage = 'cpu';
    let session = null;
    const within = (promise) => withTimeout(promise, left(), 'the WebGPU probe');
    report('probe', { message: 'Auto: comparing WebGPU with the CPU…' });
    const stop = ticker((s) => report('probe', { message: `Auto: comparing WebGPU with the CPU… ${s} s (at most ${Math.round(cap / 1000)} s)` }));
    try {
      const cpu = await this.cpuReference();
      stage = 'start';
      session = new WebGpuSession(this.gpuVariant, this.threads);
      await within(this.createSession(session));
      stage = 'run';
      const first = await within(session.runRecorded(cpu.inputs));
      const samples = first.outputs[0].data;
      const ratio = samples.length / cpu.samples.length;
      if (Math.abs(ratio - 1) > 0.02) {
        throw new Error(`WebGPU audio length differs from the CPU's by ${(Math.abs(ratio - 1) * 100).toFixed(1)}%`);
      }
      const similarity = melSimilarity(logMel(cpu.samples), logMel(samples));
      if (!(similarity >= 0.9)) throw new Error(`WebGPU audio does not match the CPU's (log-mel similarity ${similarity.toFixed(2)})`);
      const second = await within(session.runRecorded(cpu.inputs));
      const gpuMs = Math.min(first.ms, second.ms);
      if (gpuMs >= cpu.ms) throw new Error(`CPU is faster (${Math.round(cpu.ms)} ms vs WebGPU ${Math.round(gpuMs)} ms)`);
      stage = 'load';
      await this.useGpu(session);
      return { backend: 'webgpu', adapter: gpu.adapter, reason: `Auto: WebGPU is faster (${Math.round(gpuMs)} ms vs CPU ${Math.round(cpu.ms)} ms) and matches the CPU's audio` };
    } catch (error) {
      if (session) session.terminate(`abandoned: ${error.message}`);
      return { backend: 'cpu', reason: `Auto: ${error.message}, so CPU`, probe: { stoppedIn: stage, ms: Math.round(performance.now() - started) } };
    } finally {
      stop();
    }
  }
}
