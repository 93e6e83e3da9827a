import collections

import pytest

from mer_keras.data.emotions import EMOTIONS
from mer_keras.data.ravdess import load_ravdess, parse_ravdess_name
from mer_keras.data.registry import resolve_data
from mer_keras.data.splits import check_disjoint, make_split
from mer_keras.errors import DataError
from tests.conftest import needs_shared, SHARED_DATA
from tests.speech_fixtures import make_ravdess


def test_six_classes_by_actor_calm_and_surprised_counted(tmp_path):
    data = make_ravdess(tmp_path)
    dataset = load_ravdess(data)
    assert dataset.task == "emotion" and len(dataset.items) == 24
    assert {item.labels["emotion"] for item in dataset.items} == set(EMOTIONS)
    assert {item.group for item in dataset.items} == {"actor_01", "actor_02", "actor_03", "actor_04"}
    assert any(item.path.suffix == ".flac" for item in dataset.items)   # .wav and .flac both read
    assert "4 calm and 4 surprised" in dataset.notes[0]
    # the badly named file is a listed skip, not a crash; calm/surprised are not skips
    assert [reason.split(":")[0] for _, reason in dataset.skipped] == ["not a RAVDESS file name"]
    assert "notes take 2.wav" in dataset.skipped[0][0]


def test_name_fields():
    fields = parse_ravdess_name("03-01-05-02-01-02-12")
    assert fields["emotion"] == "angry" and fields["intensity"] == "strong" and fields["actor"] == "12"
    with pytest.raises(DataError, match="not a RAVDESS name"):
        parse_ravdess_name("03-01-05-02")
    with pytest.raises(DataError, match="01-08"):
        parse_ravdess_name("03-01-09-01-01-01-01")


def test_empty_folder_names_folder_and_layout(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty.*Actor_NN/03-01-EE"):
        load_ravdess(tmp_path / "empty")
    with pytest.raises(DataError, match="does not exist"):
        load_ravdess(tmp_path / "missing")


def test_speaker_split_has_no_speaker_on_two_sides(tmp_path):
    dataset = load_ravdess(make_ravdess(tmp_path, actors=tuple(range(1, 11)), extras=False))
    for seed in (0, 1, 2):
        split = make_split(dataset.items, seed=seed)
        check_disjoint(split, dataset.items)
        group_of = {item.item_id: item.group for item in dataset.items}
        sides = [{group_of[i] for i in split[part]} for part in ("train", "validation", "test")]
        assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])


def test_data_folder_detected_as_ravdess(tmp_path):
    data = make_ravdess(tmp_path)
    choice = resolve_data(None, str(data), None, None)
    assert (choice.dataset, choice.target, choice.features) == ("ravdess", "emotion", "mel")
    assert resolve_data("ravdess", str(tmp_path), None, None).data_dir == str(data.resolve())
    with pytest.raises(DataError, match="emotion"):
        resolve_data("ravdess", str(data), "va", None)


@needs_shared("ravdess")
def test_shared_ravdess_is_880_clips_of_20_actors():
    dataset = load_ravdess(SHARED_DATA / "ravdess")
    assert len(dataset.items) == 880 and not dataset.skipped
    assert len({item.group for item in dataset.items}) == 20
    counts = collections.Counter(item.labels["emotion"] for item in dataset.items)
    assert counts["neutral"] == 80 and all(counts[name] == 160 for name in EMOTIONS if name != "neutral")
    assert "160 calm and 160 surprised" in dataset.notes[0]
