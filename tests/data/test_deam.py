import pytest

from mer_keras.data.deam import STATIC_1_2000, load_deam, read_static_annotations
from mer_keras.errors import DataError


def test_static_file_with_spaces_after_commas(deam_dir):
    frame = read_static_annotations(deam_dir / STATIC_1_2000)
    assert list(frame.columns) == ["valence_mean", "valence_std", "arousal_mean", "arousal_std"]
    assert frame.index[0] == 2


def test_songs_without_input_are_listed(deam_dir):
    (deam_dir / "features" / "3.csv").unlink()
    dataset = load_deam(deam_dir, features="opensmile")
    assert [song for song, _ in dataset.skipped] == ["3"]
    assert len(dataset.items) == 7 and dataset.window_offset == 15.0


def test_nan_label_names_file_and_line(deam_dir):
    path = deam_dir / STATIC_1_2000
    lines = path.read_text().splitlines()
    lines[2] = "3, , 1.0, 4.0, 1.0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"line 3: valence_mean"):
        read_static_annotations(path)


def test_out_of_range_label(deam_dir):
    path = deam_dir / STATIC_1_2000
    path.write_text(path.read_text() + "99, 0.2, 0.1, 5.0, 1.0\n")
    with pytest.raises(DataError, match="song 99.*1-9"):
        read_static_annotations(path)


def test_wrong_csv_missing_column(deam_dir):
    path = deam_dir / STATIC_1_2000
    path.write_text("song_id, valence_mean\n2, 5\n")
    with pytest.raises(DataError, match="arousal_mean"):
        read_static_annotations(path)


def test_no_inputs_at_all_explains_how_to_get_deam(tmp_path):
    from tests.conftest import make_deam

    data = make_deam(tmp_path, audio=False, features=False)
    with pytest.raises(DataError, match="DEAM is at"):
        load_deam(data)
