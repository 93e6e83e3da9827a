"""melbank's filter bank and window equal librosa's (the numbers every log-mel of the project is made of)."""

import librosa
import numpy as np
import pytest

from mer_keras.features.melbank import hann_window, mel_filters


@pytest.mark.parametrize("sample_rate,n_fft,n_mels", [(22050, 2048, 128), (16000, 512, 96), (16000, 400, 64),
                                                      (44100, 1024, 40)])
def test_mel_filters_match_librosa(sample_rate, n_fft, n_mels):
    ours = mel_filters(sample_rate, n_fft, n_mels)
    theirs = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels)
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-9)
    assert (ours.max(axis=1) > 0).all()


@pytest.mark.parametrize("n", [400, 512, 2048])
def test_hann_window_matches_librosa(n):
    np.testing.assert_allclose(hann_window(n), librosa.filters.get_window("hann", n, fftbins=True), atol=1e-7)
