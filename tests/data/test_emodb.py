import pytest

from mer_keras.data.emodb import load_emodb, parse_emodb_name
from mer_keras.data.emotions import EMOTIONS
from mer_keras.data.registry import load_dataset, resolve_data
from mer_keras.errors import DataError
from tests.speech_fixtures import make_emodb


@pytest.mark.parametrize("stem, speaker, emotion", [
    ("03a01Fa", "03", "happy"), ("08b10Wb", "08", "angry"), ("16a07Ec", "16", "disgust"), ("09b03Aa", "09", "fearful"),
    ("10a02Na", "10", "neutral"), ("11a05Ta", "11", "sad"), ("12b02La", "12", "boredom"),
])
def test_file_names_parse(stem, speaker, emotion):
    fields = parse_emodb_name(stem)
    assert (fields["speaker"], fields["emotion"]) == (speaker, emotion)


@pytest.mark.parametrize("stem", ["03a01Xa", "3a01Fa", "03c01Fa", "03a01Fa_copy", "03-01-01-01-01-01-03"])
def test_bad_names_raise(stem):
    with pytest.raises(DataError, match="not an EmoDB name"):
        parse_emodb_name(stem)


def test_layout_loads_six_classes_skips_boredom_and_lists_bad_names(tmp_path):
    data = make_emodb(tmp_path)
    for folder in (data, data / "wav"):          # the root or wav/ itself
        dataset = load_emodb(folder)
        assert dataset.task == "emotion" and len(dataset.items) == 24        # 4 speakers x 6, .wav and .flac
        assert {item.labels["emotion"] for item in dataset.items} == set(EMOTIONS)
        assert {item.group for item in dataset.items} == {f"speaker_{s:02d}" for s in (3, 8, 9, 10)}
        assert "4 boredom utterances" in dataset.notes[0]
        assert len(dataset.skipped) == 1 and "03a01Xa" in dataset.skipped[0][0]
        assert any("1 file(s) skipped: not an EmoDB file name" in note for note in dataset.notes)


def test_folder_is_recognised_and_loaded_through_the_registry(tmp_path):
    data = make_emodb(tmp_path, extras=False)
    choice = resolve_data(None, str(data), None, None)
    assert (choice.dataset, choice.target) == ("emodb", "emotion")
    assert len(load_dataset(choice).items) == 24
    with pytest.raises(DataError, match="speech emotion dataset"):
        resolve_data("emodb", str(data), "va", None)


def test_empty_or_foreign_folders_are_refused_in_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no .wav or .flac files"):
        load_emodb(tmp_path / "empty")
    make_emodb(tmp_path / "x", speakers=(3,), extras=False)
    for path in (tmp_path / "x" / "emodb" / "wav").iterdir():
        path.rename(path.with_name("take_" + path.name))
    with pytest.raises(DataError, match="none of the 6 audio files"):
        load_emodb(tmp_path / "x" / "emodb")
