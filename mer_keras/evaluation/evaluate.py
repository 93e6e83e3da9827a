"""evaluate.py's work: score a run's test items once, write metrics.json, report.md and plots."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from mer_keras.data.registry import load_dataset
from mer_keras.data.warriner import PROXY_LABEL
from mer_keras.errors import RunError
from mer_keras.evaluation import plots
from mer_keras.evaluation.report import write_run_report
from mer_keras.evaluation.tasks import task_module
from mer_keras.features.cache import FeatureCache
from mer_keras.inference import predict_run_items
from mer_keras.runs import RunDir, write_csv, write_json


def _finished_run(run_path: Path) -> tuple[RunDir, dict]:
    run = RunDir(run_path)
    config = run.read_config()
    run.require("split.json")
    if config.get("status") != "finished":
        raise RunError(f"run {run.path} did not finish training; continue it with train.py --resume --out {run.path}")
    if config.get("family") == "gan":
        raise RunError(f"{run.path} is a GAN run: it predicts no test song (its quality figures are in its report.md); "
                       "evaluate the vit_gan runs trained on its crops")
    return run, config


def evaluate_run(run_path: Path, report_dir: Path | None = None, command: str = "",
                 cache: str | None = None, n_resamples: int = 1000) -> dict:
    """Score the test part of one run. Returns the metrics dict also written to ``metrics.json``."""
    run, config = _finished_run(run_path)
    dataset = load_dataset(config["data"])
    split = run.read_split()
    by_id = dataset.by_id()
    unknown = [i for i in split["test"] if i not in by_id]
    if unknown:
        raise RunError(f"{len(unknown)} test items of {run.split} are not in the dataset at {config['data']['data_dir']} "
                       f"(first: {unknown[0]}); was the data changed since training?")
    test_items = [by_id[i] for i in split["test"]]
    print(f"evaluating {run.path} on its {len(test_items)} test items", file=sys.stderr)
    return _score(run, config, dataset, test_items, split, Path(report_dir) if report_dir else run.path,
                  command, cache, n_resamples)


def evaluate_on_folder(run_path: Path, data_dir: str, dataset_name: str | None = None, report_dir: Path | None = None,
                       command: str = "", cache: str | None = None, n_resamples: int = 1000) -> dict:
    """Score a trained run on another labelled folder: every item there is a test item.

    The folder is read with the run's dataset loader (or ``dataset_name``'s) and the run's target and
    features. A folder that shares an item (by id) with the run's training or validation part is
    refused in one line: its score would not be a test score.
    """
    from dataclasses import replace

    from mer_keras.data.registry import DATASETS, DataChoice

    run, config = _finished_run(run_path)
    folder = Path(data_dir)
    if not folder.is_dir():
        raise RunError(f"--data {folder}: no such folder; give a labelled folder in the {config['data']['dataset']} layout")
    if dataset_name and dataset_name not in DATASETS:
        raise RunError(f"--dataset {dataset_name}: unknown; choose from {DATASETS}")
    choice = DataChoice(**config["data"])
    norms = choice.norms
    default_norms = Path(choice.data_dir).parent / "warriner" / "Ratings_Warriner_et_al.csv"
    if norms is None and not (folder.parent / "warriner").is_dir() and default_norms.is_file():
        norms = str(default_norms)          # the norms the run was trained with
    choice = replace(choice, dataset=dataset_name or choice.dataset, data_dir=str(folder.resolve()), norms=norms)
    dataset = load_dataset(choice)
    split = run.read_split()
    seen = (set(split["train"]) | set(split["validation"])) & set(dataset.by_id())
    if seen:
        first = sorted(seen)[0]
        raise RunError(f"{folder} shares {len(seen)} item(s) with the training or validation part of {run.path} "
                       f"(first: {first}); scoring them would not be a test: remove them or use another folder")
    if dataset.task != config["task"]:
        raise RunError(f"{folder} gives task {dataset.task!r} but the run was trained for {config['task']!r}")
    items = list(dataset.items)
    print(f"evaluating {run.path} on all {len(items)} items of {folder} (none seen in training)", file=sys.stderr)
    config = dict(config, data=choice.to_dict())
    external = {"group_by": f"external folder {folder.name}", "seed": split.get("seed"),
                "train": len(split["train"]), "validation": len(split["validation"]), "test": len(items)}
    return _score(run, config, dataset, items, split, Path(report_dir) if report_dir else run.path / f"eval-{folder.name}",
                  command, cache, n_resamples, external={"folder": str(folder), "split": external})


def _score(run: RunDir, config: dict, dataset, test_items: list, split: dict, report_dir: Path, command: str,
           cache: str | None, n_resamples: int, external: dict | None = None) -> dict:
    """Predict ``test_items``, score them by task, write metrics.json, predictions.csv, plots and report.md."""
    from mer_keras.models.registry import get_row

    report_dir.mkdir(parents=True, exist_ok=True)
    kept, outputs, skipped = predict_run_items(run, config, test_items, cache=FeatureCache(cache))
    metrics = {
        "model": config["model"], "dataset": config["dataset_name"], "task": dataset.task,
        "data": dataset.description + (f"; external folder {external['folder']}, every item a test item" if external else ""),
        "n_test": len(kept), "test_skipped": skipped,
        "parameters": config["parameters"], "claimed_parameters": config.get("claimed_parameters"),
        "split": external["split"] if external else {
            "group_by": split["group_by"], "seed": split["seed"],
            **{part: len(split[part]) for part in ("train", "validation", "test")},
            **{key: split[key] for key in ("test_fold", "validation_fold", "train_fraction") if key in split}},
        "training": config["training"] | {"best_epoch": config.get("best_epoch"), "epochs_run": config.get("epochs_run"),
                                          "train_seconds": config.get("train_seconds")},
        "command": {"train": config.get("command", ""), "evaluate": command},
        "versions": config.get("versions", {}), "data_notes": dataset.notes,
        "run": run.path.name, "resources": run_resources(config),
        "protocol": config.get("protocol", "documented") if config.get("family", "keras") == "keras" else None,
    }
    if config.get("backbone"):
        metrics["backbone"] = config["backbone"]       # frozen / finetune / scratch: named in every title
    if external:
        metrics["evaluated_on"] = external["folder"]
    proxy = PROXY_LABEL if config["dataset_name"] == "4q-va" else None
    if proxy:
        metrics["proxy_label"] = proxy
    task = task_module(dataset.task)
    scored, rows, header = task.score(kept, outputs, config, report_dir, n_resamples, proxy)
    metrics.update(scored)
    if config.get("synthetic_ratio") is not None or config.get("synthetic_only"):
        from mer_keras.evaluation.verdict import augmentation_verdict     # vit_gan (issue 22): no verdict for leaky

        metrics["verdict"] = augmentation_verdict(metrics["verdict"], config)   # runs, R = 0 or --synthetic-only
        metrics["synthetic_ratio"] = config.get("synthetic_ratio")
        if config.get("synthetic_only"):
            metrics["synthetic_only"] = True
    if config.get("label_corruption"):      # train.py --swap-va-fraction (issue 24): an experiment, never a claim verdict
        metrics["label_corruption"] = {k: v for k, v in config["label_corruption"].items() if k != "swapped_item_ids"}
        metrics["verdict"] = {"outcome": "not applicable", "why": "valence and arousal were exchanged on purpose for "
                              f"{config['label_corruption']['n_swapped']} training items (--swap-va-fraction)"}
    importances = feature_importances(run, config)
    if importances:
        metrics["feature_importance_top20"] = importances
        plots.importances(importances, report_dir / "feature_importance.png",
                          f"{config['model']} feature importance (gain), top {len(importances)}")
    history = run.read_history()
    if history:
        from mer_keras.evaluation.fit import fit_figures

        fit = fit_figures(history, config.get("best_epoch"))
        if fit:
            metrics["fit"] = fit        # training against validation figure at the selected epoch (no test item)
        plots.learning_curves(history, report_dir / "learning_curves.png", f"{config['model']} on {config['dataset_name']}",
                              **({"ylabel": task.CURVE_LABEL} if task.CURVE_LABEL else {}))
    write_csv(report_dir / "predictions.csv", header, rows)
    write_json(report_dir / "metrics.json", metrics)
    write_run_report(metrics, config, report_dir, history, documented_model=get_row(config["model"]).documented)
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
    from mer_keras.inference import load_baseline_model

    model = load_baseline_model(run).named_steps["model"]     # pickle-free files, checked against the manifest
    values = getattr(model, "feature_importances_", None)
    if values is None:
        return []
    names_file = run / "feature_names.json"
    names = json.loads(names_file.read_text()) if names_file.is_file() else [f"feature_{k}" for k in range(len(values))]
    order = np.argsort(values)[::-1][:top]
    return [{"feature": names[k], "importance": float(values[k])} for k in order]
