import pytest

from mer_keras.data.fourq import load_4q, quadrant_from_signs
from mer_keras.errors import DataError
from tests.conftest import make_4q


def test_va_target_from_mood_words(fourq_dir):
    dataset = load_4q(fourq_dir, target="va")
    assert dataset.name == "4q-va" and len(dataset.items) == 10
    s2 = dataset.by_id()["S2"]
    assert s2.labels["valence"] == pytest.approx((8.5 + 7.5 + 4.0) / 3)
    assert s2.group == "Bob"
    assert "not DEAM listener ratings" in dataset.description


def test_quadrant_target(fourq_dir):
    dataset = load_4q(fourq_dir, target="quadrant")
    assert {item.labels["quadrant"] for item in dataset.items} == {"Q1", "Q2", "Q3", "Q4"}


def test_song_without_audio_is_listed_not_dropped(fourq_dir):
    (fourq_dir / "Q2" / "S4.wav").unlink()
    dataset = load_4q(fourq_dir, target="quadrant")
    assert ("S4", "no audio file") in dataset.skipped
    assert "S4" not in dataset.by_id()


def test_mp3_audio_is_found(tmp_path):
    data = make_4q(tmp_path, ext=".mp3")
    assert load_4q(data).items[0].path.suffix == ".mp3"


def test_missing_annotations_file(fourq_dir):
    (fourq_dir / "panda_dataset_taffc_annotations.csv").unlink()
    with pytest.raises(DataError, match="panda_dataset_taffc_annotations.csv"):
        load_4q(fourq_dir)


def test_missing_column_named(fourq_dir):
    path = fourq_dir / "panda_dataset_taffc_metadata.csv"
    path.write_text('"Song","Title"\n"S1","x"\n')
    with pytest.raises(DataError, match=r"Artist"):
        load_4q(fourq_dir)


def test_bad_quadrant_label(fourq_dir):
    path = fourq_dir / "panda_dataset_taffc_annotations.csv"
    path.write_text(path.read_text().replace("S1,Q1", "S1,Q5"))
    with pytest.raises(DataError, match="S1.*Q5"):
        load_4q(fourq_dir)


def test_empty_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_4q(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="annotations"):
        load_4q(tmp_path / "empty")


def test_quadrant_from_signs():
    assert [quadrant_from_signs(*p) for p in [(1, 1), (-1, 1), (-1, -1), (1, -1)]] == ["Q1", "Q2", "Q3", "Q4"]
