import numpy as np
import pytest

from mer_keras.errors import DataError
from mer_keras.features.audio import load_audio
from mer_keras.features.logmel import LogMelConfig, logmel_from_file, logmel_from_signal
from tests.conftest import tone, write_audio


def test_spec_shape_is_1292_frames_by_128_mels():
    config = LogMelConfig.from_spec()
    assert (config.sample_rate, config.n_mels, config.hop_length, config.frames) == (22050, 128, 512, 1292)
    features, padded = logmel_from_signal(tone(30.0), config)
    assert features.shape == (1292, 128) and features.dtype == np.float32 and padded == 0.0


def test_short_clip_is_padded_and_flagged(tmp_path):
    features, padded = logmel_from_file(write_audio(tmp_path / "short.wav", seconds=2.0), LogMelConfig.from_spec())
    assert padded == pytest.approx(28.0, abs=0.01) and features.shape == (1292, 128)
    assert features[-10:].max() < features[:40].max() - 20   # silence after the clip


def test_mp3_and_resampling(tmp_path):
    path = write_audio(tmp_path / "clip.mp3", seconds=3.0, rate=44100)
    signal = load_audio(path, 22050)
    assert abs(signal.size - 3 * 22050) < 2000


def test_window_offset(tmp_path):
    path = write_audio(tmp_path / "clip.wav", seconds=5.0)
    assert load_audio(path, 22050, offset=2.0).size == pytest.approx(3 * 22050, abs=2)
    with pytest.raises(DataError, match="shorter than the window start"):
        load_audio(path, 22050, offset=10.0)


@pytest.mark.parametrize("content", [b"", b"not audio at all" * 100])
def test_corrupt_or_empty_file_names_the_file(tmp_path, content):
    path = tmp_path / "broken.mp3"
    path.write_bytes(content)
    with pytest.raises(DataError, match="broken.mp3"):
        load_audio(path, 22050)


def test_truncated_file(tmp_path):
    path = write_audio(tmp_path / "cut.flac", seconds=3.0)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match="cut.flac"):
        logmel_from_file(path, LogMelConfig.from_spec())


def test_missing_file():
    with pytest.raises(DataError, match="not found"):
        load_audio("/no/such/file.wav", 22050)
