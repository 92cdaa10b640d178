// Log-mel spectrograms and a similarity score, used by the Auto backend probe to check that
// WebGPU's audio matches the CPU's. (Raw waveforms cannot be compared across backends: Kokoro's
// decoder turns tiny numeric differences into phase shifts; spectral envelopes survive.)

const N_FFT = 1024;
const HOP = 240; // 10 ms at 24 kHz
const N_MELS = 80;

function fft(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const next = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = next;
      }
    }
  }
}

const hz2mel = (f) => 2595 * Math.log10(1 + f / 700);
const mel2hz = (m) => 700 * (10 ** (m / 2595) - 1);

function melBank(sampleRate) {
  const bins = N_FFT / 2 + 1;
  const top = hz2mel(sampleRate / 2);
  const points = Array.from({ length: N_MELS + 2 }, (_, i) => (mel2hz((top * i) / (N_MELS + 1)) * N_FFT) / sampleRate);
  return Array.from({ length: N_MELS }, (_, m) => {
    const row = new Float32Array(bins);
    for (let k = 0; k < bins; k++) {
      const up = (k - points[m]) / (points[m + 1] - points[m]);
      const down = (points[m + 2] - k) / (points[m + 2] - points[m + 1]);
      row[k] = Math.max(0, Math.min(up, down));
    }
    return row;
  });
}

/** Frames x 80 log-mel matrix (array of Float32Array) of mono samples. */
export function logMel(samples, sampleRate = 24000) {
  const bank = melBank(sampleRate);
  const window = Float32Array.from({ length: N_FFT }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N_FFT));
  const frames = [];
  const re = new Float64Array(N_FFT);
  const im = new Float64Array(N_FFT);
  for (let start = 0; start + N_FFT <= Math.max(samples.length, N_FFT); start += HOP) {
    for (let i = 0; i < N_FFT; i++) {
      re[i] = (samples[start + i] || 0) * window[i];
      im[i] = 0;
    }
    fft(re, im);
    const row = new Float32Array(N_MELS);
    for (let m = 0; m < N_MELS; m++) {
      let sum = 0;
      const weights = bank[m];
      for (let k = 0; k <= N_FFT / 2; k++) if (weights[k]) sum += weights[k] * (re[k] * re[k] + im[k] * im[k]);
      row[m] = Math.log10(sum + 1e-8);
    }
    frames.push(row);
  }
  return frames;
}

/** Pearson correlation of two log-mel matrices after stretching b's time axis to a's length. */
export function melSimilarity(a, b) {
  if (!a.length || !b.length) return 0;
  const xs = [];
  const ys = [];
  for (let t = 0; t < a.length; t++) {
    const pos = a.length === 1 ? 0 : (t * (b.length - 1)) / (a.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, b.length - 1);
    const w = pos - lo;
    for (let m = 0; m < N_MELS; m++) {
      xs.push(a[t][m]);
      ys.push(b[lo][m] * (1 - w) + b[hi][m] * w);
    }
  }
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0;
}
