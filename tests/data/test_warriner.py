import pytest

from mer_keras.data.warriner import load_norms, mood_words_va, split_mood_words
from mer_keras.errors import DataError
from tests.conftest import write_norms


def test_split_mood_words_strips_and_lowercases():
    assert split_mood_words(" Happy ;excited; ;CALM ") == ["happy", "excited", "calm"]
    assert split_mood_words(float("nan")) == []


def test_song_va_is_mean_over_words(tmp_path):
    norms = load_norms(write_norms(tmp_path / "norms.csv"))
    valence, arousal = mood_words_va("S1", "Happy; SAD", norms)
    assert valence == pytest.approx((8.5 + 2.0) / 2)
    assert arousal == pytest.approx((6.0 + 3.0) / 2)


def test_words_null_and_nan_are_kept_as_words(tmp_path):
    norms = load_norms(write_norms(tmp_path / "norms.csv"))
    assert norms["null"] == (4.0, 3.0) and norms["nan"] == (5.0, 5.0)


def test_unknown_word_names_song_and_word(tmp_path):
    norms = load_norms(write_norms(tmp_path / "norms.csv"))
    with pytest.raises(DataError, match=r"S9.*'bouncy'"):
        mood_words_va("S9", "happy; bouncy", norms)


def test_song_without_words_is_an_error(tmp_path):
    norms = load_norms(write_norms(tmp_path / "norms.csv"))
    with pytest.raises(DataError, match="S3.*empty"):
        mood_words_va("S3", " ; ", norms)


def test_norms_missing_column_names_file(tmp_path):
    path = tmp_path / "norms.csv"
    path.write_text("Word,V.Mean.Sum\nhappy,8\n")
    with pytest.raises(DataError, match=r"norms.csv.*A.Mean.Sum"):
        load_norms(path)


def test_norms_missing_file_says_how_to_fix(tmp_path):
    with pytest.raises(DataError, match="--norms"):
        load_norms(tmp_path / "absent.csv")
