// Gapless streaming playback with Web Audio: each chunk is scheduled to start exactly where the
// previous one ends, so the first chunk plays while later ones are still being synthesized.

const FADE = 48; // samples (2 ms at 24 kHz): only at chunk edges after an underrun, and on stop
const LEAD = 0.06; // seconds of scheduling headroom when (re)starting

export class StreamPlayer {
  constructor() {
    this.ctx = null;
    this.gain = null;
    this.sources = [];
    this.next = 0;
    this.onended = null;
  }

  /** Call from a user gesture (click) so the browser lets audio start. */
  async start(sampleRate = 24000) {
    try {
      if (!this.ctx || this.ctx.state === 'closed') this.ctx = new AudioContext({ sampleRate, latencyHint: 'playback' });
      if (this.ctx.state === 'suspended') await this.ctx.resume().catch(() => {});
    } catch {
      this.ctx = null; // no audio output: synthesis still works, playback is skipped
      return;
    }
    this.stopNow();
    this.gain = this.ctx.createGain();
    this.gain.connect(this.ctx.destination);
    this.next = 0;
  }

  /** Queue one chunk of mono float samples. */
  enqueue(samples, sampleRate) {
    if (!this.ctx || !this.gain || !samples.length) return;
    const now = this.ctx.currentTime;
    const underrun = this.next < now + 0.005;
    const data = underrun && this.next > 0 ? fadeIn(samples) : samples;
    const buffer = this.ctx.createBuffer(1, data.length, sampleRate);
    buffer.copyToChannel(data, 0);
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.gain);
    const at = underrun ? now + LEAD : this.next;
    source.start(at);
    this.next = at + buffer.duration;
    this.sources.push(source);
    source.onended = () => {
      this.sources = this.sources.filter((s) => s !== source);
      if (!this.sources.length && this.onended) this.onended();
    };
  }

  /** Seconds of audio still scheduled. */
  get buffered() {
    return this.ctx ? Math.max(0, this.next - this.ctx.currentTime) : 0;
  }

  /** Fade out quickly (no click) and drop everything queued. */
  stop() {
    if (!this.ctx || !this.gain) return;
    const gain = this.gain;
    const sources = this.sources;
    this.sources = [];
    this.gain = null;
    const t = this.ctx.currentTime;
    gain.gain.setValueAtTime(gain.gain.value, t);
    gain.gain.linearRampToValueAtTime(0, t + 0.03);
    for (const s of sources) {
      s.onended = null;
      try { s.stop(t + 0.035); } catch { /* already stopped */ }
    }
    setTimeout(() => gain.disconnect(), 100);
    this.next = 0;
  }

  stopNow() {
    this.stop();
  }
}

function fadeIn(samples) {
  const out = samples.slice();
  for (let i = 0; i < Math.min(FADE, out.length); i++) out[i] *= i / FADE;
  return out;
}
