"""Turning one tuned choice off (``--ablate``) and grouped k-fold validation (``--validation-fold``):
the settings each ablation changes, the folds' disjointness, and the paired report on validation items."""

from __future__ import annotations

import json

import pytest

from mer_keras.cli import train_main
from mer_keras.data.records import Item
from mer_keras.data.splits import check_disjoint, make_split
from mer_keras.errors import DataError, SpecError
from mer_keras.evaluation.validation import write_validation_report
from mer_keras.specs import load_spec
from mer_keras.training.protocols import ABLATIONS, training_plan
from mer_keras.training.train import parse_fold

TRAINING = load_spec("crnn")["training"]


@pytest.mark.parametrize("name, key, value", [
    ("mixup", ("augmentation", "mixup_alpha"), 0.0),
    ("masks", ("augmentation", "time_masks"), 0),
    ("time_shift", ("augmentation", "time_shift"), False),
    ("augmentation", ("augmentation",), {}),
    ("schedule", ("warmup_epochs",), 0),
    ("weight_decay", ("optimizer",), "adam"),
    ("clipnorm", ("clipnorm",), None),
    ("selection", ("monitor",), "val_loss"),
    ("averaging", ("average_best",), 1),
])
def test_each_ablation_turns_its_choice_off_and_nothing_else(name, key, value):
    full = training_plan("tuned", "crnn", "va", TRAINING)
    ablated = training_plan("tuned", "crnn", "va", TRAINING, ablations=[name])
    got = ablated
    for part in key:
        got = got[part]
    assert got == value and ablated["ablations"] == [name]
    changed = {k for k in full if full[k] != ablated[k]} - {"ablations"}
    allowed = {"augmentation", "warmup_epochs", "decay", "optimizer", "weight_decay", "clipnorm", "monitor", "mode",
               "average_best"}
    assert changed and changed <= allowed
    if name != "schedule":
        assert ablated["decay"] == full["decay"]
    if name not in ("mixup", "augmentation"):
        assert ablated["augmentation"].get("mixup_alpha") == full["augmentation"]["mixup_alpha"]


def test_ablations_are_refused_under_documented_and_unknown_names():
    with pytest.raises(SpecError, match="--protocol tuned"):
        training_plan("documented", "crnn", "va", TRAINING, ablations=["mixup"])
    with pytest.raises(SpecError, match="unknown ablation"):
        training_plan("tuned", "crnn", "va", TRAINING, ablations=["dropout"])
    assert set(ABLATIONS) >= {"mixup", "schedule", "selection"}


def _items(n_groups=20, per_group=3):
    return [Item(item_id=f"g{g}-{k}", group=f"g{g}", path=None) for g in range(n_groups) for k in range(per_group)]


def test_validation_folds_partition_the_training_groups_and_keep_the_test_part():
    items = _items()
    plain = make_split(items, seed=3)
    folds = [make_split(items, seed=3, validation_fold=(k, 4)) for k in range(4)]
    validation = [set(f["validation"]) for f in folds]
    for f in folds:
        check_disjoint(f, items)
        assert f["test"] == plain["test"]                      # the test songs never move
        assert set(f["train"]) | set(f["validation"]) == set(plain["train"]) | set(plain["validation"])
    assert set().union(*validation) == set(plain["train"]) | set(plain["validation"])
    assert sum(len(v) for v in validation) == len(set().union(*validation))     # disjoint folds
    assert folds[1]["validation_fold"] == [1, 4]
    with pytest.raises(DataError, match="fold 4 does not exist"):
        make_split(items, seed=3, validation_fold=(4, 4))


def test_parse_fold():
    assert parse_fold("2/5") == (2, 5) and parse_fold(None) is None
    with pytest.raises(DataError, match="write K/N"):
        parse_fold("two")


def test_cli_refuses_ablation_without_tuned_in_one_line(capsys, fourq_dir, tmp_path):
    assert train_main(["--model", "crnn", "--ablate", "mixup", "--epochs", "1", "--data", str(fourq_dir),
                       "--out", str(tmp_path / "r"), "--cache", str(tmp_path / "c"), "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith("use it with --protocol tuned") and "Traceback" not in "".join(err)


def test_validation_report_pairs_each_ablation_with_tuned(tmp_path):
    def row(setting, seed, fold, ccc):
        return {"run": f"{setting}-{seed}-{fold}", "protocol": setting.split()[0], "setting": setting, "seed": seed,
                "validation_fold": [fold, 5], "n_validation": 10, "best_epoch": 3, "epochs_run": 9, "r2": ccc / 2,
                "ccc": ccc, "spread_ratio": {"valence": 0.5, "arousal": 0.6}}

    rows = [row("tuned", 0, 0, 0.30), row("tuned", 0, 1, 0.40), row("tuned -mixup", 0, 0, 0.35),
            row("tuned -mixup", 0, 1, 0.47), row("documented", 0, 0, 0.20)]
    write_validation_report(rows, tmp_path, "cmd")
    report = (tmp_path / "report.md").read_text()
    line = next(l for l in report.splitlines() if l.startswith("| tuned -mixup |"))
    assert "0.060 ± 0.014 (n=2)" in line                       # paired: +0.05 and +0.07
    settings = json.loads((tmp_path / "metrics.json").read_text())["settings"]
    assert settings["tuned -mixup"]["ccc"]["minus_tuned"] == pytest.approx([0.05, 0.07])
    assert settings["documented"]["ccc"]["minus_tuned"] == pytest.approx([-0.10])


def test_validation_report_pairs_speaker_fold_runs_by_test_fold(tmp_path):
    def row(setting, fold, accuracy):
        return {"run": f"{setting}-{fold}", "protocol": "tuned", "setting": setting, "seed": 0, "validation_fold": None,
                "test_fold": [fold, 5], "n_validation": 88, "best_epoch": 3, "epochs_run": 9, "accuracy": accuracy,
                "uar": accuracy, "task": "emotion"}

    rows = [row("tuned", 0, 0.24), row("tuned", 1, 0.43), row("tuned +utterance_norm", 0, 0.38),
            row("tuned +utterance_norm", 1, 0.28)]
    write_validation_report(rows, tmp_path, "cmd")
    settings = json.loads((tmp_path / "metrics.json").read_text())["settings"]
    assert settings["tuned +utterance_norm"]["accuracy"]["minus_tuned"] == pytest.approx([0.14, -0.15])
    assert "| tuned +utterance_norm-1 | tuned +utterance_norm | 0 | - | 1/5 | 88 | 0.280 | 0.280 |" in (
        tmp_path / "report.md").read_text()


def test_a_candidate_choice_outside_the_protocol_is_named_in_the_setting():
    from mer_keras.evaluation.validation import _added_choices

    config = {"model": "cnn_lstm", "protocol": "tuned", "training": {"utterance_norm": True}}
    assert _added_choices(config) == " +utterance_norm"
    assert _added_choices({**config, "training": {}}) == ""
    assert _added_choices({**config, "protocol": "not-a-protocol"}) == ""
    # every switchable choice of protocols.ABLATIONS, not a hand-kept list: one the documented protocol lacks
    documented = {"model": "cnn_lstm", "protocol": "documented", "training": {"class_weight": "balanced", "clipnorm": 1.0}}
    assert _added_choices(documented) == " +clipnorm +class_weight"
    longer = {"model": "attn_crnn", "protocol": "tuned", "training": {"epochs": 80, "patience": 12}}
    assert _added_choices(longer) == " epochs=80"           # the tuned protocol's own budget is 40 epochs


def test_validation_report_keeps_earlier_rows_and_pairs_new_ones_with_them(tmp_path):
    from mer_keras.errors import RunError
    from mer_keras.evaluation.validation import earlier_rows

    def row(setting, fold, ccc):
        return {"run": f"{setting}-{fold}", "protocol": "tuned", "setting": setting, "seed": 0,
                "validation_fold": [fold, 5], "n_validation": 10, "best_epoch": 3, "epochs_run": 9, "ccc": ccc}

    write_validation_report([row("tuned", 0, 0.30), row("tuned", 1, 0.40)], tmp_path / "first", "first command")
    rows, commands = earlier_rows(tmp_path / "first")
    assert [r["run"] for r in rows] == ["tuned-0", "tuned-1"] and commands == ["first command"]
    write_validation_report(rows + [row("tuned -schedule", 0, 0.20), row("tuned -schedule", 1, 0.34)],
                            tmp_path / "second", "second command", commands)
    data = json.loads((tmp_path / "second" / "metrics.json").read_text())
    assert data["commands"] == ["first command", "second command"]
    assert data["settings"]["tuned -schedule"]["ccc"]["minus_tuned"] == pytest.approx([-0.10, -0.06])
    report = (tmp_path / "second" / "report.md").read_text()
    assert "first command" in report and "second command" in report and "not scored again" in report
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(RunError, match="not a validation report"):
        earlier_rows(tmp_path / "bad.json")


def test_an_ablated_run_on_a_validation_fold_records_both(fourq_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert train_main(["--model", "crnn", "--protocol", "tuned", "--ablate", "mixup", "--validation-fold", "1/2",
                       "--epochs", "1", "--batch-size", "4", "--workers", "1", "--data", str(fourq_dir),
                       "--cache", str(tmp_path / "c")]) == 0
    run = tmp_path / "runs" / "crnn-4q-va-mel-tuned-no-mixup-seed0-fold1of2"
    config = json.loads((run / "config.json").read_text())
    assert config["ablations"] == ["mixup"] and config["validation_fold"] == [1, 2]
    assert config["training"]["augmentation"]["mixup_alpha"] == 0.0
    assert json.loads((run / "split.json").read_text())["validation_fold"] == [1, 2]


def test_train_fraction_keeps_whole_groups_and_leaves_validation_and_test_alone():
    from mer_keras.data.splits import subsample_train

    items = _items(n_groups=40)
    split = make_split(items, seed=1, validation_fold=(0, 5))
    half = subsample_train(split, items, 0.5, seed=1)
    group = {i.item_id: i.group for i in items}
    kept_groups = {group[i] for i in half["train"]}
    assert len(kept_groups) == round(0.5 * len({group[i] for i in split["train"]}))
    assert all(group[i] in kept_groups for i in split["train"] if i in half["train"])
    assert sum(group[i] in kept_groups for i in split["train"]) == len(half["train"])    # whole groups only
    assert half["validation"] == split["validation"] and half["test"] == split["test"]
    assert half["train_fraction"] == 0.5 and half["train_dropped"] == len(split["train"]) - len(half["train"])
    assert subsample_train(split, items, 1.0, seed=1) is split
    with pytest.raises(DataError, match="fraction in"):
        subsample_train(split, items, 0.0, seed=1)


def test_validation_report_draws_a_learning_curve_over_training_set_size(tmp_path):
    def row(fraction, fold, ccc, n):
        setting = "tuned" + (f" @{round(100 * fraction)}% of training songs" if fraction < 1 else "")
        return {"run": f"{fraction}-{fold}", "protocol": "tuned", "setting": setting, "seed": 0,
                "validation_fold": [fold, 5], "train_fraction": fraction, "n_train": n, "n_validation": 10,
                "best_epoch": 2, "epochs_run": 5, "r2": ccc / 2, "ccc": ccc}

    rows = [row(0.25, 0, 0.10, 100), row(0.25, 1, 0.14, 104), row(1.0, 0, 0.30, 400), row(1.0, 1, 0.34, 410)]
    write_validation_report(rows, tmp_path, "cmd")
    report = (tmp_path / "report.md").read_text()
    assert "## Learning curve over training-set size" in report
    assert "| tuned | 25% | 102 | 2 | 0.060 ± 0.014 | 0.120 ± 0.028 |" in report
    assert (tmp_path / "data_size_curve.png").stat().st_size > 1000
    write_validation_report(rows[2:], tmp_path / "plain", "cmd")
    assert "Learning curve" not in (tmp_path / "plain" / "report.md").read_text()


def test_runs_on_generated_crops_are_told_apart_by_their_ratio():
    from mer_keras.evaluation.validation import _crop_setting

    assert _crop_setting({"synthetic_ratio": 0.5}) == " R=0.5" and _crop_setting({"synthetic_ratio": 0.0}) == " R=0"
    assert _crop_setting({"synthetic_ratio": None, "synthetic_only": True}) == " TSTR"
    assert _crop_setting({"protocol": "tuned"}) == ""            # every other model keeps its label
