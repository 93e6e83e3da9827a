import pytest

from mer_keras.data.cremad import load_cremad, parse_cremad_name
from mer_keras.data.emotions import EMOTIONS
from mer_keras.data.registry import resolve_data
from mer_keras.errors import DataError
from tests.speech_fixtures import make_cremad


@pytest.mark.parametrize("stem, speaker, emotion, intensity", [
    ("1001_DFA_ANG_XX", "1001", "angry", "unspecified"),
    ("1091_IEO_SAD_HI", "1091", "sad", "high"),
    ("1050_TSI_NEU_XX", "1050", "neutral", "unspecified"),
    ("1002_IWL_FEA_LO", "1002", "fearful", "low"),
    ("1003_MTI_DIS_MD", "1003", "disgust", "medium"),
    ("1004_ITH_HAP_XX", "1004", "happy", "unspecified"),
])
def test_file_names_parse(stem, speaker, emotion, intensity):
    fields = parse_cremad_name(stem)
    assert (fields["speaker"], fields["emotion"], fields["intensity"]) == (speaker, emotion, intensity)


@pytest.mark.parametrize("stem, message", [
    ("1001_DFA_JOY_XX", "emotion JOY"), ("1001_DFA_ANG_ZZ", "intensity ZZ"), ("1001-DFA-ANG-XX", "not a CREMA-D name"),
    ("101_DFA_ANG_XX", "not a CREMA-D name"),
])
def test_bad_names_raise(stem, message):
    with pytest.raises(DataError, match=message):
        parse_cremad_name(stem)


def test_layout_loads_by_speaker_and_lists_bad_names(tmp_path):
    data = make_cremad(tmp_path)
    for folder in (data, data / "AudioWAV"):          # the root or AudioWAV itself
        dataset = load_cremad(folder)
        assert dataset.task == "emotion" and len(dataset.items) == 24
        assert {item.labels["emotion"] for item in dataset.items} == set(EMOTIONS)
        assert {item.group for item in dataset.items} == {f"speaker_{s}" for s in (1001, 1002, 1003, 1004)}
        assert dataset.skipped == [("1001_DFA_JOY_XX.wav", dataset.skipped[0][1])]
        assert "JOY" in dataset.skipped[0][1]
    assert resolve_data(None, str(data), None, None).dataset == "cremad"


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "AudioWAV").mkdir()
    with pytest.raises(DataError, match=r"AudioWAV.*1001_DFA_ANG_XX"):
        load_cremad(tmp_path)
