"""openSMILE frames in DEAM's layout computed from audio (issue 17): shape, names, values, errors, cache."""

import numpy as np
import pytest
import soundfile as sf

from mer_keras.data.records import Dataset, Item
from mer_keras.errors import DataError
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.for_dataset import feature_spec
from mer_keras.features.opensmile import (opensmile_audio_columns, opensmile_audio_params, opensmile_from_file,
                                          window_count)
from tests.conftest import tone, write_audio


@pytest.fixture
def clip(tmp_path):
    """3 s of sine + noise at 22.05 kHz (decoded and resampled to 16 kHz by load_audio)."""
    return write_audio(tmp_path / "clip.wav", seconds=3.0)


def test_shape_and_deam_column_names(clip):
    features, padding = opensmile_from_file(clip, duration=3.0, frames=5)
    assert features.shape == (5, 260) and features.dtype == np.float32 and padding == 0.0
    assert np.all(np.isfinite(features))
    columns = opensmile_audio_columns()
    assert len(columns) == len(set(columns)) == 260
    # DEAM's order and names: per LLD sd then mean; the 65 LLDs, then the 65 deltas; DEAM's MFCC names
    assert columns[:4] == ["F0final_sma_stddev", "F0final_sma_amean",
                           "voicingFinalUnclipped_sma_stddev", "voicingFinalUnclipped_sma_amean"]
    assert columns[130:132] == ["F0final_sma_de_stddev", "F0final_sma_de_amean"]
    assert columns[-1] == "pcm_fftMag_mfcc_sma_de[14]_amean"
    assert "pcm_fftMag_mfcc_sma[1]_amean" in columns and "audSpec_Rfilt_sma_de[0]_stddev" in columns
    assert not any(c.startswith("mfcc_") for c in columns)
    assert np.all(features[:, 0::2] >= 0)                     # the sd columns


def test_window_values_match_opensmile_llds(clip):
    from mer_keras.features.audio import load_audio
    from mer_keras.features.opensmile import import_opensmile

    opensmile = import_opensmile()

    signal = load_audio(clip, 16000, duration=3.0)
    llds = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016,
                           feature_level=opensmile.FeatureLevel.LowLevelDescriptors).process_signal(signal, 16000)
    starts = llds.index.get_level_values("start").total_seconds().to_numpy()
    columns = opensmile_audio_columns()
    features, _ = opensmile_from_file(clip, duration=3.0, frames=5)
    second = (starts >= 0.5) & (starts < 1.5)                 # window 1: frames starting in [0.5, 1.5) s
    for lld, deam in (("pcm_RMSenergy_sma", "pcm_RMSenergy_sma"), ("mfcc_sma[3]", "pcm_fftMag_mfcc_sma[3]")):
        values = llds[lld].to_numpy()[second]
        np.testing.assert_allclose(features[1, columns.index(f"{deam}_amean")], values.mean(), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(features[1, columns.index(f"{deam}_stddev")], values.std(), rtol=1e-4, atol=1e-6)


def test_short_clip_is_edge_padded_to_the_window(clip):
    params = opensmile_audio_params()
    assert params["frames"] == 59 == window_count(30.0) and params["sample_rate"] == 16000
    features, padding = opensmile_from_file(clip, **params)
    assert features.shape == (59, 260) and padding == (59 - 5) * 0.5
    np.testing.assert_array_equal(features[-1], features[4])


def test_corrupt_and_too_short_audio_name_the_file(tmp_path):
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"ID3" + bytes(range(256)) * 8)
    with pytest.raises(DataError, match="broken.mp3") as error:
        opensmile_from_file(broken)
    assert "cannot decode" in str(error.value)
    short = tmp_path / "short.wav"
    sf.write(short, tone(0.5, 16000), 16000)
    with pytest.raises(DataError, match="short.wav.*shorter than one"):
        opensmile_from_file(short)


def test_4q_maps_to_computed_features_and_deam_to_its_files(clip):
    fourq = Dataset("4q-va", "va", [], "", input_kind="audio", window_offset=0.0)
    assert feature_spec(fourq, "opensmile", "keras").kind == "opensmile_audio"
    spec = feature_spec(fourq, "opensmile", "sklearn")
    assert spec.kind == "opensmile_audio_summary" and spec.params["frames"] == 59
    deam = Dataset("deam", "va", [], "", input_kind="opensmile", window_offset=15.0)
    assert feature_spec(deam, "opensmile", "sklearn").kind == "opensmile_summary"


def test_survives_tensorflow_in_the_same_process():
    """TensorFlow exports an FFT under openSMILE's function names (see import_opensmile): without the
    RTLD_DEEPBIND load, openSMILE after ``import tensorflow`` aborts the process (run in a child)."""
    import subprocess
    import sys

    code = ("import tensorflow, numpy as np\n"
            "from mer_keras.features.opensmile import opensmile_frames_from_signal\n"
            "x = (0.3 * np.sin(np.arange(32000) / 16000 * 2 * np.pi * 300)).astype(np.float32)\n"
            "rows = [opensmile_frames_from_signal(x, 16000) for _ in range(3)]\n"
            "print(rows[-1].shape, float(rows[-1][1, 1]))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(3, 260)" in result.stdout


def test_summary_reuses_the_cached_frames(tmp_path):
    items = [Item(f"c{k}", f"a{k}", write_audio(tmp_path / f"c{k}.wav", seconds=2.0, freq=300 + 100 * k, seed=k))
             for k in range(3)]
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    cache = FeatureCache(tmp_path / "cache")
    params = opensmile_audio_params()
    frames = extract_features(items + [Item("bad", "b", bad)], FeatureSpec("opensmile_audio", params),
                              cache=cache, workers=1)
    assert frames.features.shape == (3, 59, 260) and [i for i, _ in frames.skipped] == ["bad"]
    assert "bad.wav" in frames.skipped[0][1]
    assert len(list((tmp_path / "cache" / "opensmile_audio").glob("*.npz"))) == 3
    summary = extract_features(items, FeatureSpec("opensmile_audio_summary", params), cache=cache, workers=1)
    assert summary.features.shape == (3, 1, 520) and summary.padded == frames.padded
    np.testing.assert_allclose(summary.features[:, 0, :260], frames.features.mean(axis=1), rtol=1e-5)
    assert not (tmp_path / "cache" / "opensmile_audio_summary").exists()   # nothing computed twice
