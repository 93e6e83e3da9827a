"""Speaker-independent k-fold on speech: folds never share a speaker, every item is tested once, and the
summary pools the folds' confusion matrices; EmoDB trains through the same path."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mer_keras.cli import evaluate_main, train_main
from mer_keras.data.emodb import load_emodb
from mer_keras.data.splits import check_disjoint, make_split
from mer_keras.errors import DataError
from mer_keras.evaluation.tasks.emotion import pooled
from tests.speech_fixtures import make_emodb


def test_test_folds_partition_the_speakers_and_never_share_one(tmp_path):
    dataset = load_emodb(make_emodb(tmp_path, speakers=(3, 8, 9, 10, 11, 12), extras=False))
    splits = [make_split(dataset.items, seed=0, test_fold=(k, 3)) for k in range(3)]
    speaker = {item.item_id: item.group for item in dataset.items}
    tested = [{speaker[i] for i in split["test"]} for split in splits]
    for split, test_speakers in zip(splits, tested):
        check_disjoint(split, dataset.items)
        assert not test_speakers & {speaker[i] for i in split["train"] + split["validation"]}
        assert split["validation"] and split["test_fold"][1] == 3
    assert sum(len(t) for t in tested) == 6 and set().union(*tested) == set(speaker.values())
    assert sorted(i for split in splits for i in split["test"]) == sorted(speaker)       # every item tested once


def test_a_fold_that_shares_a_speaker_is_caught():
    from mer_keras.data.records import Item

    items = [Item("a1", "speaker_a", None), Item("a2", "speaker_a", None), Item("b1", "speaker_b", None)]
    with pytest.raises(DataError, match="speaker_a"):
        check_disjoint({"train": ["a1", "b1"], "validation": [], "test": ["a2"]}, items)


def test_pooled_figures_sum_the_folds_confusion_matrices():
    labels = ["angry", "sad"]
    def fold(k, matrix):
        return {"split": {"test_fold": [k, 2]}, "confusion_matrix": {"labels": labels, "rows_true_columns_predicted": matrix}}

    figures = pooled([fold(0, [[3, 1], [0, 2]]), fold(1, [[1, 1], [2, 2]])])
    assert figures["confusion_matrix"]["rows_true_columns_predicted"] == [[4, 2], [2, 4]]
    assert figures["accuracy"] == pytest.approx(8 / 12) and figures["uar"] == pytest.approx((4 / 6 + 4 / 6) / 2)
    assert pooled([fold(0, [[1, 0], [0, 1]]), fold(0, [[1, 0], [0, 1]])]) is None      # the same fold twice
    assert pooled([{"split": {}, "confusion_matrix": {}}]) is None                        # not cross-validation


def test_emodb_speaker_folds_train_evaluate_and_pool(tmp_path):
    data = make_emodb(tmp_path / "data", speakers=(3, 8, 9, 10, 11, 12))
    runs = []
    for k in range(3):
        run = tmp_path / f"fold{k}"
        assert train_main(["--model", "cnn_lstm", "--data", str(data), "--test-fold", f"{k}/3", "--epochs", "1",
                           "--batch-size", "4", "--workers", "1", "--out", str(run)]) == 0
        runs.append(run)
    config = json.loads((runs[0] / "config.json").read_text())
    assert config["data"]["dataset"] == "emodb" and config["test_fold"] == [0, 3]
    summary_dir = tmp_path / "summary"
    assert evaluate_main([*map(str, runs), "--report-dir", str(summary_dir), "--resamples", "20"]) == 0
    summary = json.loads((summary_dir / "metrics.json").read_text())
    assert summary["pooled"]["n_items"] == 36 and summary["pooled"]["folds"] == [0, 1, 2]     # 6 speakers x 6
    assert np.asarray(summary["pooled"]["confusion_matrix"]["rows_true_columns_predicted"]).sum(axis=1).tolist() == [6] * 6
    text = (summary_dir / "report.md").read_text()
    assert "uar" in summary and "Pooled over folds 0, 1, 2 of 3" in text
    assert "3-fold cross-validation grouped by speaker" in text and summary["test_folds"][2] == [2, 3]
