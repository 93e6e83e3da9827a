"""DEAM label audit (issue 8): the rule, the correction in load_deam, --deam-labels, the real files."""

import json

import pytest

from mer_keras.data import deam_labels
from mer_keras.audit.__main__ import main as audit_main
from mer_keras.data.deam_labels import (KNOWN_OUTCOMES, audit_deam, correct_static_labels, file_sha256,
                                         read_dynamic_annotation, swap_rule)
from mer_keras.cli import train_main
from mer_keras.data.deam import STATIC_1_2000, load_deam, read_static_annotations
from mer_keras.data.registry import load_dataset
from mer_keras.errors import DataError
from tests.conftest import (DEAM_DYNAMIC, SHARED_DATA, make_4q, make_deam, make_deam_label_audit, needs_shared,
                            write_deam_static)


def _labels_by_song(dataset) -> dict:
    return {int(item.item_id): (item.labels["valence"], item.labels["arousal"]) for item in dataset.items}


def test_audit_detects_planted_swap_for_2013_only(tmp_path):
    data, _ = make_deam_label_audit(tmp_path, swap_2013=True)
    audits = audit_deam(data)
    assert {name: audit.swapped for name, audit in audits.items()} == {"2013": True, "2014": False, "2015": False}
    assert (audits["2013"].n, audits["2014"].n, audits["2015"].n) == (20, 20, 10)
    assert audits["2013"].crossed["static valence ~ dynamic arousal"] > 0.9
    assert audits["2014"].straight["static arousal ~ dynamic arousal"] > 0.9


def test_load_deam_corrects_the_planted_swap(tmp_path, capsys):
    data, truth = make_deam_label_audit(tmp_path, swap_2013=True)
    corrected = load_deam(data, features="opensmile")
    labels = _labels_by_song(corrected)
    assert len(labels) == 40
    for song, (valence, arousal) in labels.items():
        assert (valence, arousal) == pytest.approx(truth[song], abs=1e-6), song
    assert any("corrected version" in note and "2013" in note for note in corrected.notes)
    err = capsys.readouterr().err
    assert "swapped" in err and "2013" in err and "dynamic annotations" in err

    shipped = _labels_by_song(load_deam(data, features="opensmile", labels="as-shipped"))
    assert shipped[2] == pytest.approx(truth[2][::-1]) and shipped[1001] == pytest.approx(truth[1001])


def test_correct_static_labels_swaps_means_and_stds_of_the_named_subsets(tmp_path):
    path = write_deam_static(tmp_path / "static.csv", {5: (3.0, 7.0), 1005: (4.0, 6.0)})
    frame = read_static_annotations(path)
    fixed = correct_static_labels(frame, {"2013"})
    assert fixed.loc[5, ["valence_mean", "arousal_mean"]].tolist() == [7.0, 3.0]
    assert fixed.loc[5, "valence_std"] == frame.loc[5, "arousal_std"]
    assert fixed.loc[5, "arousal_std"] == frame.loc[5, "valence_std"]
    assert fixed.loc[1005].tolist() == frame.loc[1005].tolist()
    assert frame.loc[5, "valence_mean"] == 3.0          # the input is not changed
    with pytest.raises(DataError, match="unknown DEAM subset"):
        correct_static_labels(frame, {"2016"})


def test_without_a_swap_nothing_changes(tmp_path, capsys):
    data, truth = make_deam_label_audit(tmp_path, swap_2013=False)
    assert not any(audit.swapped for audit in audit_deam(data).values())
    corrected = load_deam(data, features="opensmile")
    assert _labels_by_song(corrected) == _labels_by_song(load_deam(data, features="opensmile", labels="as-shipped"))
    assert _labels_by_song(corrected)[2] == pytest.approx(truth[2])
    assert any("found no swapped subset" in note for note in corrected.notes)
    assert "nothing swapped" in capsys.readouterr().err


def test_rule_margin_and_small_samples():
    straight = {"vv": 0.5, "aa": 0.55}
    assert swap_rule(straight, {"va": 0.9, "av": 0.8}, n=100)[0] is True
    assert swap_rule(straight, {"va": 0.9, "av": 0.7}, n=100)[0] is False      # 0.7 - 0.55 < 0.2
    assert swap_rule(straight, {"va": 0.9, "av": 0.8}, n=3)[0] is None
    assert swap_rule(straight, {"va": float("nan"), "av": 0.8}, n=100)[0] is None


def test_deam_labels_round_trips_into_run_config(tmp_path):
    data = make_deam(tmp_path / "data", n_songs=10, audio=False, features=True)
    out = tmp_path / "run"
    code = train_main(["--dataset", "deam", "--data", str(data), "--features", "opensmile", "--epochs", "1",
                       "--workers", "1", "--out", str(out), "--deam-labels", "as-shipped"])
    assert code == 0
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["deam_labels"] == "as-shipped"
    assert any("as shipped" in note for note in config["notes"])
    reloaded = load_dataset(config["data"])
    assert any("as shipped" in note for note in reloaded.notes)
    old_config = {key: value for key, value in config["data"].items() if key != "deam_labels"}
    assert any("corrected version" in note for note in load_dataset(old_config).notes)


def test_deam_labels_is_refused_for_4q(tmp_path, capsys):
    fourq = make_4q(tmp_path / "data")
    assert train_main(["--dataset", "4q", "--data", str(fourq), "--deam-labels", "as-shipped",
                       "--out", str(tmp_path / "run")]) == 2
    assert "DEAM only" in capsys.readouterr().err


def test_missing_dynamic_files_and_unknown_checksum_is_a_clear_error(tmp_path):
    data, _ = make_deam_label_audit(tmp_path, dynamic=False)
    with pytest.raises(DataError, match=r"dynamic annotations.*not the official file.*as-shipped"):
        load_deam(data, features="opensmile")
    assert len(load_deam(data, features="opensmile", labels="as-shipped").items) == 40
    with pytest.raises(DataError, match="unknown DEAM label version"):
        load_deam(data, features="opensmile", labels="fixed")


def test_missing_dynamic_files_use_the_recorded_outcome_for_a_known_file(tmp_path, monkeypatch):
    data, truth = make_deam_label_audit(tmp_path, dynamic=False)
    monkeypatch.setitem(KNOWN_OUTCOMES, file_sha256(data / STATIC_1_2000), {"2013": True, "2014": False})
    dataset = load_deam(data, features="opensmile")
    assert _labels_by_song(dataset)[2] == pytest.approx(truth[2])
    assert any("recorded audit outcome" in note for note in dataset.notes)


def test_dynamic_file_with_wrong_layout_names_the_file(tmp_path):
    path = tmp_path / "arousal.csv"
    path.write_text("id,value\n2,0.5\n")
    with pytest.raises(DataError, match=r"arousal\.csv.*dynamic layout"):
        read_dynamic_annotation(path, "arousal")
    path.write_text("song_id,sample_15000ms\n2,5.5\n")
    with pytest.raises(DataError, match=r"arousal\.csv, line 2.*outside \[-1, 1\]"):
        read_dynamic_annotation(path, "arousal")
    with pytest.raises(DataError, match=r"not found: .*valence\.csv"):
        read_dynamic_annotation(tmp_path / "valence.csv", "valence")


def test_ragged_rows_average_their_non_missing_samples(tmp_path):
    path = tmp_path / "valence.csv"
    path.write_bytes(b"song_id,sample_15000ms,sample_15500ms,sample_16000ms\r\n2,0.1,0.3,\r\n3,0.5\r\n4,0.2,0.4,0.6,0.8\r\n")
    means = read_dynamic_annotation(path, "valence")
    assert means.to_dict() == pytest.approx({2: 0.2, 3: 0.5, 4: 0.5})


def test_audit_command_writes_json_and_plot(tmp_path, capsys):
    data, _ = make_deam_label_audit(tmp_path, features=False)
    out = tmp_path / "report"
    assert audit_main(["deam", "--data", str(data), "--out", str(out)]) == 0
    record = json.loads((out / "audit.json").read_text())
    assert record["swapped"] == {"2013": True, "2014": False, "2015": False}
    assert record["subsets"]["2013"]["n"] == 20 and record["rule"] == deam_labels.RULE
    assert record["static_1_2000_sha256"] == file_sha256(data / STATIC_1_2000)
    assert record["command"].startswith("python -m mer_keras.audit deam")
    assert (out / "static_vs_dynamic.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "2013" in printed and "hold each other's values" in printed

    (data / DEAM_DYNAMIC / "valence.csv").unlink()
    assert audit_main(["deam", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "valence.csv" in err and len(err.strip().splitlines()) == 1


@needs_shared("deam", *DEAM_DYNAMIC.parts, "arousal.csv")
def test_real_deam_2013_swapped_2014_not(tmp_path):
    data = SHARED_DATA / "deam"
    audits = audit_deam(data)
    assert audits["2013"].swapped is True and audits["2014"].swapped is False
    assert (audits["2013"].n, audits["2014"].n) == (744, 1000)
    assert file_sha256(data / STATIC_1_2000) in KNOWN_OUTCOMES
    shipped = read_static_annotations(data / STATIC_1_2000)
    corrected = _labels_by_song(load_deam(data, features="mel"))
    assert corrected[2] == (shipped.loc[2, "arousal_mean"], shipped.loc[2, "valence_mean"])


@needs_shared("deam", *STATIC_1_2000.parts)
def test_real_static_file_without_dynamic_files_uses_the_recorded_outcome(tmp_path):
    copy = tmp_path / "deam" / STATIC_1_2000
    copy.parent.mkdir(parents=True)
    copy.write_bytes((SHARED_DATA / "deam" / STATIC_1_2000).read_bytes())
    decision = deam_labels.decide_label_swaps(tmp_path / "deam", read_static_annotations(copy), copy)
    assert decision.swapped == {"2013": True, "2014": False} and "recorded" in decision.source
