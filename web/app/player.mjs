// The page's audio transport: one clip on a timeline of chunks, played with Web Audio.
//
// Chunks are appended while synthesis goes on; the player can pause, resume and seek anywhere
// in what has arrived, and its clock is the AudioContext's (what is being heard: the context's
// output timestamp), which the read-along view follows frame by frame.
//
// Starting (and resuming after an underrun) is decided by a scheduler: from the measured
// real-time factor R (synthesis seconds per audio second, over the chunks so far) and an
// estimate of the audio still to come, it starts only once the queued audio covers the rest:
// with R > 1 the deficit grows to (R - 1) x remaining by the end, so it waits until that much is
// queued, and says "buffering" while it does; with R < 1 it starts at once. A stall that happens
// anyway (a chunk slower than measured) is counted, and playback resumes under the same rule.

const RAMP = 0.005; // seconds of fade at every (re)start and pause: no click mid-waveform
const LEAD = 0.03; // seconds between scheduling and the first sample
const SAFETY = 1.15; // the real-time factor is taken this much slower than measured
const MARGIN = 0.25; // seconds of audio kept in hand on top of the computed need
const RECHECK_MS = 200; // while buffering, how often the start rule is re-evaluated

export class ClipPlayer {
  constructor() {
    this.ctx = null;
    this.onchange = null; // (state) => {} on every state change
    this.schedule = true; // false: play each chunk as soon as it arrives (for measurements: stalls without the scheduler)
    this.reset();
  }

  /** Forget the clip: nothing queued, nothing playing. */
  reset() {
    this._halt();
    this.segments = []; // [{start, buffer}] in clip seconds
    this.duration = 0; // seconds of audio that has arrived
    this.complete = false; // no more audio will come
    this.position = 0; // clip seconds, when not playing
    this.wantPlay = false; // the listener wants sound as soon as the scheduler allows
    this.estimate = null; // () => seconds of audio still to be synthesized (streaming)
    this.synth = { seconds: 0, audio: 0, lastArrival: 0 };
    this.stats = { stalls: 0, stalledSeconds: 0, firstChunkAt: null, startedAt: null, waitedMs: 0 };
    this._stallSince = null;
    this._setState('empty');
  }

  /** Open (or resume) the audio context: call from a click so the browser lets audio start. */
  async unlock(sampleRate = 24000) {
    try {
      if (!this.ctx || this.ctx.state === 'closed') this.ctx = new AudioContext({ sampleRate, latencyHint: 'playback' });
      if (this.ctx.state === 'suspended') await this.ctx.resume().catch(() => {});
    } catch {
      this.ctx = null; // no audio output: synthesis still works, playback is skipped
    }
    return !!this.ctx;
  }

  /**
   * Start a streamed clip: chunks follow with append(); `estimate()` gives the seconds of audio
   * not yet synthesized (from the text still to speak). Playback starts when the scheduler says.
   */
  beginStream(estimate) {
    this.reset();
    this.estimate = estimate;
    this.wantPlay = true;
    this._setState('buffering');
  }

  /** A finished clip (e.g. from the history): samples at the context's rate; plays at once if `play`. */
  load(samples, sampleRate, play = true) {
    this.reset();
    this.append(samples, sampleRate, 0);
    this.finish();
    this._setState('paused');
    if (play) this.play();
  }

  /** Add a chunk at the end of the clip; `synthSeconds` is what it took to make (for the real-time factor). */
  append(samples, sampleRate, synthSeconds) {
    if (!samples.length) return;
    const now = performance.now();
    if (this.stats.firstChunkAt == null) this.stats.firstChunkAt = now;
    if (synthSeconds > 0) {
      this.synth.seconds += synthSeconds;
      this.synth.audio += samples.length / sampleRate;
    }
    this.synth.lastArrival = now;
    const segment = { start: this.duration, samples, sampleRate, buffer: null };
    this.segments.push(segment);
    this.duration += samples.length / sampleRate;
    if (this.playing) this._schedule(segment);
    this._decide();
  }

  /** No more chunks will come. */
  finish() {
    this.complete = true;
    this.estimate = null;
    this._decide();
  }

  /** Measured real-time factor (synthesis seconds per audio second), null before the first chunk. */
  get rtf() {
    return this.synth.audio ? this.synth.seconds / this.synth.audio : null;
  }

  /**
   * Seconds of audio that must be queued ahead of the playhead before playing on, so the rest
   * plays through without a gap (0 when it can start now; Infinity while nothing is known).
   */
  neededAhead() {
    if (this.complete || !this.schedule) return 0;
    const r = this.rtf;
    if (r == null) return Infinity;
    const rate = r * SAFETY;
    const remaining = Math.max(0, this.estimate ? this.estimate() : 0);
    if (!remaining) return MARGIN;
    // Chunks arrive whole: the last one is needed `chunk` seconds before the end, and the next
    // one must be made while the queue plays. The chunk in progress has already had `done` seconds.
    const chunk = Math.min(remaining, Math.max(...this.segments.map((s) => s.samples.length / s.sampleRate), 0));
    const done = (performance.now() - this.synth.lastArrival) / 1000;
    const need = Math.max(rate * remaining - remaining + chunk, rate * chunk) - done + MARGIN;
    return Math.max(0, need);
  }

  /** Seconds of audio queued after the playhead. */
  get ahead() {
    return Math.max(0, this.duration - this.currentTime);
  }

  /** The clip time being heard now (the AudioContext's output clock while playing). */
  get currentTime() {
    if (!this.playing) return this.position;
    const t = this.playing.clipStart + (this._heardContextTime() - this.playing.contextStart);
    return Math.min(this.duration, Math.max(this.playing.clipStart, t));
  }

  /** Seconds until playback would start at the measured rate (for "buffering…" messages), or null. */
  get waitEstimate() {
    const need = this.neededAhead();
    if (!Number.isFinite(need) || this.rtf == null) return null;
    const missing = need - this.ahead;
    return missing > 0 ? missing * this.rtf * SAFETY : 0;
  }

  play() {
    if (!this.segments.length && this.complete) return;
    if (this.state === 'ended') this.position = 0;
    this.wantPlay = true;
    if (!this.playing) this._setState('buffering');
    this._decide();
  }

  pause() {
    this.wantPlay = false;
    if (this.playing) this.position = this.currentTime;
    this._halt();
    if (this._stallSince != null) this._endStall();
    this._setState(this.segments.length || !this.complete ? 'paused' : 'empty');
  }

  toggle() {
    if (this.playing || (this.wantPlay && this.state === 'buffering')) this.pause();
    else this.play();
  }

  /** Jump to `seconds` (within what has arrived); keeps playing if it was. */
  seek(seconds) {
    const target = Math.max(0, Math.min(this.duration, Number(seconds) || 0));
    const was = this.playing || this.wantPlay;
    this._halt();
    this.position = target;
    if (was) {
      this._setState('buffering');
      this._decide();
    } else if (this.state === 'ended') {
      this._setState('paused');
    } else {
      this._setState(this.state);
    }
  }

  /** Stop at once and forget the clip (Stop, a failure). */
  stop() {
    this.reset();
  }

  // --- internals -----------------------------------------------------------------------------

  _setState(state) {
    this.state = state;
    if (this.onchange) this.onchange(state);
  }

  /** The context time of the sample being heard: the output timestamp, moved on to now. */
  _heardContextTime() {
    const ctx = this.ctx;
    if (!ctx) return 0;
    if (ctx.getOutputTimestamp) {
      const ts = ctx.getOutputTimestamp();
      if (ts.contextTime > 0 && ts.performanceTime > 0) {
        return Math.min(ctx.currentTime, ts.contextTime + Math.max(0, performance.now() - ts.performanceTime) / 1000);
      }
    }
    return Math.max(0, ctx.currentTime - (ctx.outputLatency || ctx.baseLatency || 0));
  }

  /** Play or keep buffering, by the scheduler's rule. */
  _decide() {
    clearTimeout(this._recheck);
    if (!this.wantPlay || this.playing) return;
    if (this.position >= this.duration && this.complete) {
      this.wantPlay = false;
      this.position = this.duration;
      this._setState(this.segments.length ? 'ended' : 'empty');
      return;
    }
    const ahead = this.duration - this.position;
    if (ahead > 0 && ahead >= this.neededAhead()) {
      this._start();
      return;
    }
    if (this.state !== 'buffering') this._setState('buffering');
    else if (this.onchange) this.onchange('buffering'); // the wait estimate changed
    if (!this.complete) this._recheck = setTimeout(() => this._decide(), RECHECK_MS);
  }

  _start() {
    if (this._stallSince != null) this._endStall();
    if (this.stats.startedAt == null) {
      this.stats.startedAt = performance.now();
      this.stats.waitedMs = this.stats.firstChunkAt != null ? this.stats.startedAt - this.stats.firstChunkAt : 0;
    }
    if (!this.ctx) {
      // No audio output: the clip "plays" silently on the wall clock, so the page behaves the same.
      this._setState('paused');
      return;
    }
    const ctx = this.ctx;
    const gain = ctx.createGain();
    gain.connect(ctx.destination);
    const contextStart = ctx.currentTime + LEAD;
    gain.gain.setValueAtTime(0, contextStart);
    gain.gain.linearRampToValueAtTime(1, contextStart + RAMP);
    this.playing = { gain, contextStart, clipStart: this.position, sources: [], until: this.position };
    for (const segment of this.segments) this._schedule(segment);
    this._setState('playing');
  }

  _schedule(segment) {
    const p = this.playing;
    const end = segment.start + segment.samples.length / segment.sampleRate;
    if (end <= p.until + 1e-9) return;
    const offset = Math.max(0, p.until - segment.start);
    const ctx = this.ctx;
    let when = p.contextStart + (segment.start + offset - p.clipStart);
    if (when < ctx.currentTime) {
      // It came too late for a seamless join: the queue ran dry. Count the stall, rebuffer.
      this._stall();
      return;
    }
    if (!segment.buffer) {
      segment.buffer = ctx.createBuffer(1, segment.samples.length, segment.sampleRate);
      segment.buffer.copyToChannel(segment.samples, 0);
    }
    const source = ctx.createBufferSource();
    source.buffer = segment.buffer;
    source.connect(p.gain);
    source.start(Math.max(when, ctx.currentTime), offset);
    p.sources.push(source);
    p.until = end;
    source.onended = () => {
      if (this.playing !== p || p.sources[p.sources.length - 1] !== source) return;
      // The last scheduled audio has been played.
      this.position = p.until;
      this._halt();
      if (this.complete && this.position >= this.duration - 1e-6) {
        this.wantPlay = false;
        this._setState('ended');
      } else {
        this._stall();
      }
    };
  }

  _stall() {
    const p = this.playing;
    if (p) {
      this.position = Math.min(this.duration, p.until);
      this._halt();
    }
    this.stats.stalls += 1;
    this._stallSince = performance.now();
    this._setState('buffering');
    this._decide();
  }

  _endStall() {
    this.stats.stalledSeconds += (performance.now() - this._stallSince) / 1000;
    this._stallSince = null;
  }

  /** Silence what is scheduled (a short fade) and drop it. */
  _halt() {
    clearTimeout(this._recheck);
    const p = this.playing;
    this.playing = null;
    if (!p || !this.ctx) return;
    const t = this.ctx.currentTime;
    try {
      p.gain.gain.cancelScheduledValues(t);
      p.gain.gain.setValueAtTime(p.gain.gain.value, t);
      p.gain.gain.linearRampToValueAtTime(0, t + RAMP);
    } catch { /* context closing */ }
    for (const s of p.sources) {
      s.onended = null;
      try { s.stop(t + RAMP + 0.005); } catch { /* already stopped */ }
    }
    setTimeout(() => p.gain.disconnect(), 100);
  }
}
