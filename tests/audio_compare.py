"""Compare two renditions of the same utterance (numpy only).

Two runtimes or two model variants rarely produce sample-identical audio: float
rounding shifts phase, and int8 paths can even change a duration by a frame. A
waveform correlation then says "different" for audio that sounds the same. These
helpers compare what a listener hears instead: log-mel spectrograms, aligned in time
by dynamic time warping (DTW), then correlated.

    >>> from audio_compare import dtw_logmel_correlation
    >>> dtw_logmel_correlation(audio_a, audio_b, sr=24000)   # ~0.98 for the same sentence

Used by tests/test_model_variants.py and benchmarks; meant for browser-vs-native checks
too. Cost: O(n*m) time and memory in frames (30 s at 24 kHz is ~2,800 frames, i.e. ~8 M
cells: 1-4 s on a busy 2-core machine and ~200 MB), so split longer audio first.
"""

from __future__ import annotations

import numpy as np

N_FFT = 1024
HOP = 256
N_MELS = 80
LOG_FLOOR = 1e-5


def _hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def _mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sr: int, n_fft: int = N_FFT, n_mels: int = N_MELS, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular HTK-mel filters, shape [n_mels, n_fft // 2 + 1] (unnormalized, peak 1)."""
    fmax = sr / 2 if fmax is None else fmax
    freqs = np.linspace(0.0, sr / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    lower, center, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - lower) / (center - lower)
    falling = (upper - freqs[None, :]) / (upper - center)
    return np.maximum(0.0, np.minimum(rising, falling))


def logmel(samples, sr: int = 24000, n_fft: int = N_FFT, hop: int = HOP, n_mels: int = N_MELS,
           floor: float = LOG_FLOOR) -> np.ndarray:
    """log10 mel power spectrogram, shape [frames, n_mels].

    Hann window, centred frames (reflect padding), power spectrum, ``log10(max(mel, floor))``.
    The floor keeps silence from dominating with -inf-like values.
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size < 2:
        x = np.zeros(n_fft, dtype=np.float64)
    pad = n_fft // 2
    x = np.pad(x, pad, mode="reflect" if x.size > pad else "constant")
    frames = 1 + (x.size - n_fft) // hop
    index = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    spectrum = np.abs(np.fft.rfft(x[index] * np.hanning(n_fft + 1)[:-1], axis=1)) ** 2
    return np.log10(np.maximum(spectrum @ mel_filterbank(sr, n_fft, n_mels).T, floor))


def dtw_path(a: np.ndarray, b: np.ndarray, band: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost monotonic alignment of feature sequences a [n, d] and b [m, d].

    Cost is cosine distance between frames after removing each band's mean (taken over
    both sequences); without centring, log-mel frames all point the same way and every
    pair looks alike. Steps: diagonal, down, right. ``band`` (fraction of the longer
    length) is an optional Sakoe-Chiba window: it forbids far-fetched alignments but
    does not make the computation cheaper. Returns index arrays (i, j) of equal length.
    Filled one anti-diagonal at a time so numpy does the inner loop.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        raise ValueError("dtw_path needs two non-empty sequences")
    mean = np.concatenate([a, b]).mean(axis=0)
    an, bn = a - mean, b - mean
    an /= np.maximum(np.linalg.norm(an, axis=1, keepdims=True), 1e-12)
    bn /= np.maximum(np.linalg.norm(bn, axis=1, keepdims=True), 1e-12)
    cost = 1.0 - an @ bn.T
    if band is not None:
        i, j = np.ogrid[:n, :m]
        cost[np.abs(i / max(n - 1, 1) - j / max(m - 1, 1)) * max(n, m) > band * max(n, m) + 1] = np.inf
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    step = np.zeros((n, m), dtype=np.int8)  # 0 diagonal, 1 down (i-1), 2 right (j-1)
    for k in range(n + m - 1):
        i = np.arange(max(0, k - m + 1), min(n, k + 1))
        j = k - i
        options = np.stack([acc[i, j], acc[i, j + 1], acc[i + 1, j]])
        best = np.argmin(options, axis=0)
        acc[i + 1, j + 1] = cost[i, j] + options[best, np.arange(i.size)]
        step[i, j] = best
    if not np.isfinite(acc[n, m]):
        raise ValueError("no alignment within the band; widen it")
    path_i, path_j = [n - 1], [m - 1]
    i, j = n - 1, m - 1
    while i > 0 or j > 0:
        move = step[i, j] if i > 0 and j > 0 else (1 if i > 0 else 2)
        if move == 0:
            i, j = i - 1, j - 1
        elif move == 1:
            i -= 1
        else:
            j -= 1
        path_i.append(i)
        path_j.append(j)
    return np.array(path_i[::-1]), np.array(path_j[::-1])


def dtw_logmel_correlation(a, b, sr: int = 24000, band: float | None = None) -> float:
    """Pearson correlation of the log-mel spectrograms of a and b after DTW alignment.

    1.0 means identical spectra; the same sentence from two float runtimes scores ~0.98-1.0,
    Kokoro int8 against its float variants 0.987-0.997, and two different sentences by the
    same voice ~0.77-0.79.
    """
    la, lb = logmel(a, sr), logmel(b, sr)
    i, j = dtw_path(la, lb, band)
    return float(np.corrcoef(la[i].ravel(), lb[j].ravel())[0, 1])


def waveform_correlation(a, b) -> float:
    """Pearson correlation of two waveforms over their common length (phase-sensitive)."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    n = min(a.size, b.size)
    if n < 2:
        return float("nan")
    return float(np.corrcoef(a[:n], b[:n])[0, 1])
