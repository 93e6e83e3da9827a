"""train.py --swap-va-fraction: valence and arousal exchanged for a seeded share of the TRAINING songs only."""

from __future__ import annotations

import json

import pytest

from mer_keras.data.records import Item
from mer_keras.errors import DataError
from mer_keras.training.label_swap import swap_valence_arousal
from mer_keras.training.train import TrainRequest, prepare


def _items(n: int = 20) -> list[Item]:
    return [Item(f"S{k:02d}", f"A{k}", None, {"valence": 1.0 + k * 0.3, "arousal": 9.0 - k * 0.3, "quadrant": "Q1"})
            for k in range(n)]


def test_the_share_is_swapped_seeded_and_order_free():
    items = _items()
    out, swapped = swap_valence_arousal(items, 0.43, seed=3)
    assert len(swapped) == round(0.43 * 20)
    for before, after in zip(items, out):
        if before.item_id in swapped:
            assert (after.labels["valence"], after.labels["arousal"]) == (before.labels["arousal"], before.labels["valence"])
        else:
            assert after == before
        assert after.labels["quadrant"] == "Q1"          # other labels untouched
    assert swap_valence_arousal(list(reversed(items)), 0.43, seed=3)[1] == swapped       # by id, not by order
    assert swap_valence_arousal(items, 0.43, seed=4)[1] != swapped
    assert swap_valence_arousal(items, 0.0, seed=3)[1] == []
    with pytest.raises(DataError):
        swap_valence_arousal(items, 1.5, seed=3)
    with pytest.raises(DataError, match="valence/arousal"):
        swap_valence_arousal([Item("S1", "A", None, {"quadrant": "Q2"})], 0.5, seed=0)


def test_only_training_labels_change_and_the_run_records_it(fourq_dir, tmp_path):
    request = TrainRequest(model="ridge", data=str(fourq_dir), target="va", features="handcrafted", workers=1,
                           swap_va_fraction=0.5, out=str(tmp_path / "run"), seed=1)
    prepared = prepare(request, "sklearn")
    original = prepared.dataset.by_id()
    train_items, _ = prepared.parts["train"]
    swapped = set(prepared.label_swap["swapped_item_ids"])
    assert len(swapped) == round(0.5 * len(train_items)) > 0
    assert swapped <= set(prepared.split["train"])
    for item in train_items:
        labels = original[item.item_id].labels
        expected = (labels["arousal"], labels["valence"]) if item.item_id in swapped else (labels["valence"], labels["arousal"])
        assert (item.labels["valence"], item.labels["arousal"]) == expected
    for item in prepared.parts["validation"][0]:                   # validation untouched
        assert item.labels == original[item.item_id].labels
    # evaluate.py reads the test items from the dataset again: the dataset is untouched
    from mer_keras.data.registry import load_dataset

    reloaded = load_dataset(prepared.choice).by_id()
    assert {i: item.labels for i, item in reloaded.items()} == {i: item.labels for i, item in original.items()}
    from mer_keras.training.train import base_config

    config = base_config(request, prepared)
    assert config["label_corruption"]["swap_va_fraction"] == 0.5
    assert config["label_corruption"]["n_swapped"] == len(swapped)
    json.dumps(config["label_corruption"])


def test_a_swapped_run_is_reported_as_such_and_judges_no_claim(fourq_dir, tmp_path):
    from mer_keras.cli import evaluate_main, train_main

    run = tmp_path / "run"
    assert train_main(["--model", "ridge", "--data", str(fourq_dir), "--workers", "1", "--swap-va-fraction", "0.5",
                       "--out", str(run)]) == 0
    assert json.loads((run / "config.json").read_text())["label_corruption"]["part"] == "train"
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["label_corruption"]["swap_va_fraction"] == 0.5 and "swapped_item_ids" not in metrics["label_corruption"]
    assert metrics["verdict"]["outcome"] == "not applicable"
    assert "corrupted on purpose" in (run / "report.md").read_text()


def test_a_summary_of_swapped_runs_says_so_at_the_top(fourq_dir, tmp_path):
    from mer_keras.cli import evaluate_main, train_main

    runs = [tmp_path / f"run{seed}" for seed in (0, 1)]
    for seed, run in enumerate(runs):
        assert train_main(["--model", "ridge", "--data", str(fourq_dir), "--workers", "1", "--seed", str(seed),
                           "--swap-va-fraction", "0.5", "--out", str(run)]) == 0
    assert evaluate_main([*map(str, runs), "--resamples", "20", "--report-dir", str(tmp_path / "summary")]) == 0
    head = "\n".join((tmp_path / "summary" / "report.md").read_text().splitlines()[:8])
    assert "corrupted on purpose" in head and "--swap-va-fraction 0.5" in head
    assert json.loads((tmp_path / "summary" / "metrics.json").read_text())["label_corruption"]["swap_va_fraction"] == 0.5
