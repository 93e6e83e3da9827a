"""The one report writer: a run's report, a summary over runs and a comparison, from metrics made here."""

from __future__ import annotations

import numpy as np

from mer_keras.data.emotions import EMOTIONS
from mer_keras.evaluation.comparison import compare_models
from mer_keras.evaluation.report import write_run_report
from mer_keras.evaluation.summary import summarise_runs
from mer_keras.evaluation.verdict import band_record

CONFIG = {"feature": {"kind": "logmel"}, "data": {"data_dir": "/data/4q"}, "family": "keras", "input_shape": [1292, 128],
          "padded": {}, "notes": []}


def _va_metrics(r2: float, run: str = "seed0") -> dict:
    figures = {name: {"valence": r2, "arousal": r2, "mean": r2} for name in ("r2", "ccc", "mse", "mae", "pearson_r")}
    interval = {"low": r2 - 0.1, "high": r2 + 0.1, "confidence": 0.95, "resamples": 100}
    return {"model": "crnn", "dataset": "4q-va", "task": "va", "data": "4Q audio", "n_test": 10, "scale": "1-9",
            "parameters": 479138, "claimed_parameters": 5800000, "data_notes": [], "run": run,
            "split": {"group_by": "artist", "seed": 0, "train": 8, "validation": 1, "test": 1},
            "training": {"optimizer": "adam", "learning_rate": 0.001, "loss": "mse", "batch_size": 32, "epochs": 50,
                         "patience": 10, "best_epoch": 3, "epochs_run": 13, "train_seconds": 10.0},
            "versions": {}, "command": {"train": f"python train.py --seed {run[-1]}", "evaluate": "python evaluate.py"},
            "bootstrap": {f"{k}_mean": interval for k in ("r2", "ccc", "mse", "mae")},
            "verdict": band_record("crnn_r2", r2, "the 95% interval overlaps the band"), **figures}


def test_run_report_has_results_verdict_and_inconsistencies(tmp_path):
    path = write_run_report(_va_metrics(0.3), CONFIG, tmp_path, {}, documented_model=True)
    text = path.read_text()
    assert "| r2 | 0.300 | 0.300 | 0.300 |" in text
    assert "**overestimated**: measured mean R² 0.300 against the estimate band 0.580-0.620" in text
    assert "## Inconsistencies in the specification" in text and "5.8M" in text
    other = write_run_report(_va_metrics(0.3), CONFIG, tmp_path / "other", {}, documented_model=False).read_text()
    assert "Inconsistencies" not in other


def test_summary_over_runs_means_spread_and_verdict(tmp_path):
    runs = [_va_metrics(0.59, "seed0"), _va_metrics(0.61, "seed1"), _va_metrics(0.60, "seed2")]
    summary = summarise_runs(runs, ["seed0", "seed1", "seed2"], tmp_path, "python evaluate.py a b c")
    assert np.isclose(summary["r2"]["mean"]["mean"], 0.60) and np.isclose(summary["r2"]["mean"]["sd"], 0.01)
    assert summary["verdict"]["outcome"] == "validated"
    text = (tmp_path / "report.md").read_text()
    assert "summary over 3 runs" in text and "| r2 mean | 0.600 | 0.010 | 0.590 | 0.610 |" in text
    assert "[seed1](seed1/report.md)" in text and (tmp_path / "metrics.json").is_file()


def test_summaries_of_tstr_and_backbone_runs_say_so_at_the_top(tmp_path):
    tstr = [_va_metrics(0.1, "seed0") | {"synthetic_only": True}, _va_metrics(0.2, "seed1") | {"synthetic_only": True}]
    summary = summarise_runs(tstr, ["seed0", "seed1"], tmp_path / "tstr", "python evaluate.py a b")
    head = "\n".join((tmp_path / "tstr" / "report.md").read_text().splitlines()[:6])
    assert summary["synthetic_only"] is True and "TSTR: trained on generated crops only" in head
    pretrained = [_va_metrics(0.3, "seed0") | {"model": "musicnn", "backbone": "finetune"}] * 2
    summarise_runs(pretrained, ["seed0", "seed1"], tmp_path / "musicnn", "python evaluate.py a b")
    assert (tmp_path / "musicnn" / "report.md").read_text().startswith("# musicnn (finetune backbone) on 4q-va")
    plain = (tmp_path / "plain")
    summarise_runs([_va_metrics(0.3, "seed0")] * 2, ["seed0", "seed1"], plain, "python evaluate.py a b")
    assert "TSTR" not in (plain / "report.md").read_text() and "backbone" not in (plain / "report.md").read_text()


def test_comparison_of_the_speech_pair(tmp_path):
    def run(model, accuracy, params, seconds):
        return {"model": model, "run": f"{model}-0", "dataset": "ravdess", "task": "emotion", "data": "RAVDESS",
                "accuracy": accuracy, "macro_f1": accuracy - 0.1, "command": {"train": f"train {model}"},
                "recall": {name: accuracy for name in EMOTIONS}, "bootstrap": {"accuracy": {"low": accuracy - 0.1, "high": accuracy + 0.1}},
                "verdict": {"outcome": "below claim"},
                "resources": {"parameters": params, "peak_rss_mib": 100.0, "train_seconds": seconds,
                              "seconds_per_epoch": seconds / 10, "epochs_run": 10}}
    comparison = compare_models({"cnn_lstm": [run("cnn_lstm", 0.3, 200, 50.0)],
                                 "attn_crnn": [run("attn_crnn", 0.4, 100, 100.0)]}, tmp_path, "python evaluate.py")
    outcomes = {row["figure"]: row["outcome"] for row in comparison["efficiency_claims"]}
    assert outcomes["parameters"] == "does not hold" and outcomes["train_seconds"] == "holds"
    text = (tmp_path / "report.md").read_text()
    assert "| claim (seed 004) | figure | cnn_lstm | attn_crnn |" in text and (tmp_path / "comparison.png").is_file()


def test_yardstick_is_the_best_classic_model_on_the_same_seeds(tmp_path):
    import json

    from mer_keras.evaluation.summary import find_yardstick

    def summary(model, values, seeds):
        return {"model": model, "dataset": "4q-va", "task": "va", "n_runs": len(values), "seeds": seeds,
                "runs": [f"{model}-seed{s}" for s in seeds], "per_run": {},
                "r2": {"mean": {"mean": sum(values) / len(values), "sd": 0.0, "values": values}}}

    for folder, content in {"ridge": summary("ridge", [0.3, 0.3, 0.3], [0, 1, 2]),
                            "xgboost": summary("xgboost", [0.4, 0.38, 0.42], [0, 1, 2]),
                            "svr-other-seeds": summary("svr", [0.9], [7]),
                            "crnn": summary("crnn", [0.9, 0.9, 0.9], [0, 1, 2])}.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "metrics.json").write_text(json.dumps(content))
    mine = summary("crnn", [0.2, 0.3, 0.4, 0.5, 0.6], [0, 1, 2, 3, 4])
    best = find_yardstick(tmp_path, mine, [])
    assert best["model"] == "xgboost" and best["seeds"] == [0, 1, 2]     # svr: other seeds; crnn: not classic
    assert np.isclose(best["mean"], 0.4) and np.isclose(best["this_mean"], 0.3)


def test_yardstick_pairs_fold_runs_fold_by_fold_and_never_across_corpora(tmp_path):
    import json

    from mer_keras.evaluation.summary import find_yardstick

    def summary(model, values, data="RAVDESS"):
        return {"model": model, "dataset": "ravdess", "task": "emotion", "data": data, "n_runs": len(values),
                "seeds": [0] * len(values), "test_folds": [[k, 5] for k in range(len(values))],
                "runs": [f"{model}-test{k}of5" for k in range(len(values))], "per_run": {},
                "accuracy": {"value": {"mean": sum(values) / len(values), "sd": 0.0, "values": values}}}

    for folder, content in {"svc": summary("svc", [0.5, 0.6, 0.4, 0.5, 0.5]),
                            "logreg-cross": summary("logreg", [0.9] * 5, data="EmoDB; external folder"),
                            "logreg": summary("logreg", [0.45, 0.55, 0.5, 0.5, 0.4])}.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "metrics.json").write_text(json.dumps(content))
    best = find_yardstick(tmp_path, summary("cnn_lstm", [0.3, 0.3, 0.3, 0.3, 0.3]), [])
    assert best["model"] == "svc" and best["n_runs"] == 5           # all five folds, not one value per seed
    assert np.isclose(best["mean"], 0.5) and np.isclose(best["this_mean"], 0.3)


def test_protocols_side_by_side_from_committed_summaries(tmp_path):
    from mer_keras.evaluation.comparison import compare_reports
    from mer_keras.runs import write_json

    for folder, protocol, values in (("doc", "documented", (0.20, 0.25)), ("tuned", "tuned", (0.35, 0.40))):
        runs = []
        for seed, r2 in enumerate(values):
            metrics = _va_metrics(r2, f"crnn-seed{seed}") | {"protocol": protocol, "collapse": {"flagged": r2 < 0.21}}
            write_json(tmp_path / folder / metrics["run"] / "metrics.json", metrics)
            runs.append(metrics)
        summarise_runs(runs, [m["run"] for m in runs], tmp_path / folder, "cmd")
    comparison = compare_reports([tmp_path / "doc", tmp_path / "tuned"], tmp_path / "side", "python -m ...")
    assert set(comparison["models"]) == {"crnn", "crnn-tuned"}
    assert np.isclose(comparison["models"]["crnn-tuned"]["headline"]["mean R²"]["mean"], 0.375)
    assert comparison["models"]["crnn"]["collapsed_runs"] == ["crnn-seed0"]
    text = (tmp_path / "side" / "report.md").read_text()
    assert "| crnn-tuned | tuned | 2 | 0.375 ± 0.035 (0.350, 0.400)" in text


def test_resummarise_from_run_folders_without_scoring_again(tmp_path):
    from mer_keras.evaluation.summary import resummarise
    from mer_keras.runs import write_json

    for seed, r2 in enumerate((0.2, 0.3, 0.4)):
        write_json(tmp_path / "crnn" / f"crnn-seed{seed}" / "metrics.json", _va_metrics(r2, f"crnn-seed{seed}"))
    summary = resummarise(tmp_path / "crnn", "cmd")
    assert summary["n_runs"] == 3 and np.isclose(summary["r2"]["mean"]["mean"], 0.3)
    assert (tmp_path / "crnn" / "report.md").is_file()


def test_a_head_on_pretrained_features_is_not_a_classic_yardstick(tmp_path):
    import json

    from mer_keras.evaluation.summary import find_yardstick

    def summary(model, values, features):
        folder = tmp_path / f"{model}-{features}"
        (folder / f"{model}-seed0").mkdir(parents=True)
        (folder / f"{model}-seed0" / "metrics.json").write_text(json.dumps(
            {"command": {"train": f"python train.py --model {model} --features {features} --seed 0"}}))
        content = {"model": model, "dataset": "4q-va", "task": "va", "n_runs": len(values), "seeds": [0, 1],
                   "runs": [f"{model}-seed0", f"{model}-seed1"], "per_run": {},
                   "r2": {"mean": {"mean": sum(values) / len(values), "sd": 0.0, "values": values}}}
        (folder / "metrics.json").write_text(json.dumps(content))
        return content

    summary("ridge", [0.5, 0.5], "musicnn")
    summary("xgboost", [0.4, 0.4], "opensmile")
    recorded = tmp_path / "svr-recorded"          # a newer summary records its features itself (no run folders read)
    recorded.mkdir()
    (recorded / "metrics.json").write_text(json.dumps(
        {"model": "svr", "dataset": "4q-va", "task": "va", "n_runs": 2, "seeds": [0, 1], "runs": ["s0", "s1"],
         "per_run": {}, "features": "musicnn", "r2": {"mean": {"mean": 0.7, "sd": 0.0, "values": [0.7, 0.7]}}}))
    mine = {"model": "crnn", "dataset": "4q-va", "task": "va", "seeds": [0, 1], "runs": ["a-seed0", "a-seed1"],
            "r2": {"mean": {"mean": 0.2, "values": [0.2, 0.2]}}}
    assert find_yardstick(tmp_path, mine, [])["model"] == "xgboost"
