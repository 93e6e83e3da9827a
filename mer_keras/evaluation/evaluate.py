"""evaluate.py's work: score a run's test items once, write metrics.json, report.md and plots."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from mer_keras.data.registry import load_dataset
from mer_keras.data.splits import load_split
from mer_keras.data.targets import OUTPUTS, decode_predictions, encode_targets
from mer_keras.data.warriner import PROXY_LABEL
from mer_keras.errors import RunError
from mer_keras.evaluation import plots
from mer_keras.evaluation.bootstrap import bootstrap_interval
from mer_keras.evaluation.metrics import ccc, mean_r2, quadrant_metrics, regression_metrics
from mer_keras.evaluation.verdict import band_rule, band_verdict, claim_verdict, compare_claims, interval_note
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.normalize import FeatureScaler
from mer_keras.training.run_dir import RunDir

VERDICT_RULES = {"crnn": "crnn_r2"}   # models whose R² claim comes with a band rule


def load_predictor(run: RunDir, config: dict):
    """A function (n, frames, features) -> (n, 2) outputs, for the run's model family."""
    if config.get("family", "keras") == "sklearn":
        import joblib

        run.require("model.joblib")
        model = joblib.load(run / "model.joblib")
        return lambda features: model.predict(features.reshape(len(features), -1))
    import keras

    run.require("model.keras", "normalization.npz")
    scaler = FeatureScaler.load(run.scaler)
    from mer_keras.models.registry import register_custom_layers

    register_custom_layers()
    model = keras.models.load_model(run.model)
    return lambda features: model.predict(scaler.transform(features), batch_size=32, verbose=0)


def predict_run_items(run: RunDir, config: dict, items, cache: FeatureCache | None = None, workers=None,
                      require_any: bool = True):
    """Features -> the run's model -> outputs for ``items``; returns (kept items, outputs (n, 2), skipped)."""
    spec = FeatureSpec(config["feature"]["kind"], config["feature"]["params"])
    feature_set = extract_features(items, spec, cache=cache, workers=workers, desc="items", require_any=require_any)
    if not feature_set.item_ids:
        return [], np.empty((0, 2)), feature_set.skipped
    outputs = load_predictor(run, config)(feature_set.features)
    keep = set(feature_set.item_ids)
    return [item for item in items if item.item_id in keep], np.asarray(outputs), feature_set.skipped


def evaluate_run(run_path: Path, report_dir: Path | None = None, command: str = "",
                 cache: str | None = None, n_resamples: int = 1000) -> dict:
    """Score the test part of one run. Returns the metrics dict also written to ``metrics.json``."""
    from mer_keras.evaluation.report import write_run_report

    run = RunDir(run_path)
    config = run.read_config()
    run.require("split.json")
    if config.get("status") != "finished":
        raise RunError(f"run {run.path} did not finish training; continue it with train.py --resume --out {run.path}")
    report_dir = Path(report_dir) if report_dir else run.path
    report_dir.mkdir(parents=True, exist_ok=True)

    dataset = load_dataset(config["data"])
    split = load_split(run.split)
    by_id = dataset.by_id()
    unknown = [i for i in split["test"] if i not in by_id]
    if unknown:
        raise RunError(f"{len(unknown)} test items of {run.split} are not in the dataset at {config['data']['data_dir']} "
                       f"(first: {unknown[0]}); was the data changed since training?")
    test_items = [by_id[i] for i in split["test"]]
    print(f"evaluating {run.path} on its {len(test_items)} test items", file=sys.stderr)
    kept, outputs, skipped = predict_run_items(run, config, test_items, cache=FeatureCache(cache))
    true_encoded = encode_targets(kept, dataset.task)

    metrics = {
        "model": config["model"], "dataset": config["dataset_name"], "task": dataset.task,
        "data": dataset.description, "n_test": len(kept), "test_skipped": skipped,
        "parameters": config["parameters"], "claimed_parameters": config.get("claimed_parameters"),
        "split": {"group_by": split["group_by"], "seed": split["seed"],
                  **{part: len(split[part]) for part in ("train", "validation", "test")}},
        "training": config["training"] | {"best_epoch": config.get("best_epoch"), "epochs_run": config.get("epochs_run"),
                                          "train_seconds": config.get("train_seconds")},
        "command": {"train": config.get("command", ""), "evaluate": command},
        "versions": config.get("versions", {}), "data_notes": dataset.notes,
        "run": run.path.name, "resources": run_resources(config),
    }
    if config["dataset_name"] == "4q-va":
        metrics["proxy_label"] = PROXY_LABEL
    rows = []
    if dataset.task == "va":
        true = np.array([[item.labels[d] for d in OUTPUTS] for item in kept])
        pred = np.array([[p[d] for d in OUTPUTS] for p in decode_predictions(outputs, "va")])
        metrics.update(regression_metrics(true, pred))
        metrics["scale"] = "1-9"
        metrics["bootstrap"] = {
            "r2_mean": bootstrap_interval(lambda idx: mean_r2(true[idx], pred[idx]), len(kept), n_resamples),
            "ccc_mean": bootstrap_interval(lambda idx: float(np.mean([ccc(true[idx, k], pred[idx, k]) for k in range(2)])),
                                           len(kept), n_resamples),
            "mse_mean": bootstrap_interval(lambda idx: float(np.mean((true[idx] - pred[idx]) ** 2)), len(kept), n_resamples),
            "mae_mean": bootstrap_interval(lambda idx: float(np.mean(np.abs(true[idx] - pred[idx]))), len(kept), n_resamples),
        }
        rule_name = VERDICT_RULES.get(config["model"])
        if rule_name:
            rule = band_rule(rule_name)
            measured = metrics["r2"]["mean"]
            metrics["verdict"] = {"rule": rule_name, "band": rule["band"], "measured_r2_mean": measured,
                                  "overestimated_below": rule["overestimated_below"],
                                  "underestimated_above": rule["underestimated_above"],
                                  "outcome": band_verdict(measured, rule),
                                  "interval": interval_note(metrics["bootstrap"]["r2_mean"], rule)}
            if "proxy_label" in metrics:
                metrics["verdict"]["caveat"] = PROXY_LABEL
        else:
            metrics["verdict"] = claim_verdict(config["model"], metrics, config.get("weights"))
            if "proxy_label" in metrics:
                metrics["verdict"]["caveat"] = PROXY_LABEL
        metrics["claims"] = compare_claims(config["model"], metrics)
        plots.predicted_vs_true(true, pred, report_dir / "predicted_vs_true.png",
                                f"{config['model']} on {config['dataset_name']} test songs (n={len(kept)})")
        rows = [(item.item_id, *t, *p) for item, t, p in zip(kept, true, pred)]
        header = ["item_id", "true_valence", "true_arousal", "pred_valence", "pred_arousal"]
    elif dataset.task == "emotion":
        from mer_keras.evaluation.emotion import score_emotion

        scored, rows, header = score_emotion(kept, outputs, config, report_dir, n_resamples)
        metrics.update(scored)
    else:
        decoded = decode_predictions(outputs, "quadrant")
        true_q = [item.labels["quadrant"] for item in kept]
        pred_q = [p["quadrant"] for p in decoded]
        metrics.update(quadrant_metrics(true_q, pred_q, true_encoded, outputs))
        hits = np.asarray(true_q) == np.asarray(pred_q)
        metrics["bootstrap"] = {"quadrant_accuracy": bootstrap_interval(lambda idx: float(hits[idx].mean()), len(kept), n_resamples)}
        metrics["chance_accuracy"] = max(true_q.count(q) for q in set(true_q)) / len(true_q)
        metrics["verdict"] = {"outcome": "not applicable",
                              "why": "the study's claims (and the CRNN's 0.58-0.62 band) are about valence/arousal "
                                     "regression; quadrant labels give accuracy, which the study does not claim"}
        plots.confusion(metrics["confusion_matrix"]["rows_true_columns_predicted"], metrics["confusion_matrix"]["labels"],
                        report_dir / "confusion_matrix.png", f"{config['model']} on 4Q test songs (n={len(kept)})")
        rows = [(item.item_id, t, p["quadrant"], p["valence_output"], p["arousal_output"]) for item, t, p in zip(kept, true_q, decoded)]
        header = ["item_id", "true_quadrant", "pred_quadrant", "valence_output", "arousal_output"]
    importances = feature_importances(run, config)
    if importances:
        metrics["feature_importance_top20"] = importances
        plots.importances(importances, report_dir / "feature_importance.png",
                          f"{config['model']} feature importance (gain), top {len(importances)}")
    history = run.read_history()
    if history:
        plots.learning_curves(history, report_dir / "learning_curves.png", f"{config['model']} on {config['dataset_name']}",
                              **({"ylabel": "cross-entropy"} if dataset.task == "emotion" else {}))
    with open(report_dir / "predictions.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    run.write_json(report_dir / "metrics.json", metrics)
    write_run_report(metrics, config, run, report_dir, history)
    print(f"wrote {report_dir / 'metrics.json'} and {report_dir / 'report.md'}", file=sys.stderr)
    return metrics


def run_resources(config: dict) -> dict:
    """Size, peak training memory and training time of a run, from its config.json."""
    seconds, epochs = config.get("train_seconds"), config.get("epochs_run")
    return {"parameters": config.get("parameters"), "peak_rss_mib": config.get("peak_rss_mib"),
            "train_seconds": seconds, "epochs_run": epochs,
            "seconds_per_epoch": round(seconds / epochs, 2) if seconds and epochs else None}


def feature_importances(run: RunDir, config: dict, top: int = 20) -> list[dict]:
    """Top features of a tree model (xgboost's gain importances), named; empty for other models."""
    import json

    if config.get("family") != "sklearn":
        return []
    import joblib

    model = joblib.load(run / "model.joblib").named_steps["model"]
    values = getattr(model, "feature_importances_", None)
    if values is None:
        return []
    names_file = run / "feature_names.json"
    names = json.loads(names_file.read_text()) if names_file.is_file() else [f"feature_{k}" for k in range(len(values))]
    order = np.argsort(values)[::-1][:top]
    return [{"feature": names[k], "importance": float(values[k])} for k in order]
