"""report.md writers: one run, and a summary over several runs (seeds)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mer_keras.specs import load_spec
from mer_keras.training.run_dir import RunDir

METRIC_NAMES = ("r2", "ccc", "mse", "mae", "pearson_r")


def _fmt(value, digits=3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return "-".join(_fmt(v, digits) for v in value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _inconsistencies() -> list[str]:
    return list(load_spec("estimates").get("known_inconsistencies", []))


def _data_lines(metrics: dict, config: dict) -> list[str]:
    lines = [f"- Data: {metrics['data']} (`{config['data']['data_dir']}`)."]
    if metrics.get("proxy_label"):
        lines.insert(0, f"> **Note, {metrics['proxy_label']}.** Figures below are not comparable "
                        "one-to-one with the study's DEAM figures; the verdict is about this proxy task.\n")
    split = metrics["split"]
    use = ("used with the training part in the cross-validated search" if config.get("family") == "sklearn"
           else "early stopping only")
    lines.append(f"- Split by {split['group_by']}, seed {split['seed']}: {split['train']} train, "
                 f"{split['validation']} validation ({use}), {split['test']} test; "
                 f"no {split['group_by']} on two sides.")
    for note in metrics.get("data_notes", config.get("notes", [])):
        if not metrics.get("proxy_label") or metrics["proxy_label"] not in note:
            lines.append(f"- {note}")
    padded = config.get("padded")
    if isinstance(padded, dict) and padded:
        seconds = np.array(list(padded.values()))
        lines.append(f"- {len(padded)} training/validation inputs were shorter than the window and padded "
                     f"(median {np.median(seconds):.2f} s, {int(np.sum(seconds > 1))} by more than 1 s, longest {seconds.max():.1f} s).")
    elif padded:
        lines.append(f"- {len(padded)} training/validation inputs were shorter than the window and padded.")
    if config.get("n_annotated_without_input"):
        lines.append(f"- {config['n_annotated_without_input']} annotated items had no input file (listed in the run's skipped.csv).")
    if metrics.get("test_skipped"):
        lines.append(f"- Test items skipped (unreadable): {metrics['test_skipped']}")
    return lines


def write_run_report(metrics: dict, config: dict, run: RunDir, report_dir: Path, history: dict) -> Path:
    lines = [f"# {metrics['model']} on {metrics['dataset']} ({config['feature']['kind']})", ""]
    lines += _data_lines(metrics, config)
    lines += ["", "## Protocol", ""] + _protocol_lines(metrics, config) + [""]
    lines += ["## Results on the test items", ""]
    if metrics["task"] == "va":
        lines += [f"Scale {metrics['scale']}, n = {metrics['n_test']} test items.", "",
                  "| metric | valence | arousal | mean |", "|---|---|---|---|"]
        for name in METRIC_NAMES:
            lines.append(f"| {name} | {_fmt(metrics[name]['valence'])} | {_fmt(metrics[name]['arousal'])} | {_fmt(metrics[name]['mean'])} |")
        for name, interval in metrics["bootstrap"].items():
            lines.append(f"\n95% bootstrap interval of {name} (resampling test items, {interval['resamples']} resamples): "
                         f"{_fmt(interval['low'])} to {_fmt(interval['high'])}.")
        lines += ["", "![predicted vs true](predicted_vs_true.png)", ""]
    elif metrics["task"] == "emotion":
        from mer_keras.evaluation.emotion import report_lines

        lines += report_lines(metrics)
    else:
        boot = metrics["bootstrap"]["quadrant_accuracy"]
        lines += [f"- Quadrant accuracy {_fmt(metrics['quadrant_accuracy'])} (95% bootstrap interval {_fmt(boot['low'])}-{_fmt(boot['high'])}); "
                  f"majority-class rate {_fmt(metrics['chance_accuracy'])}; n = {metrics['n_test']}.",
                  f"- Sign accuracy: valence {_fmt(metrics['sign_accuracy']['valence'])}, arousal {_fmt(metrics['sign_accuracy']['arousal'])}.",
                  "", "![confusion matrix](confusion_matrix.png)", ""]
    lines += ["## Verdict", ""] + _verdict_lines(metrics["verdict"]) + [""]
    if metrics.get("claims"):
        lines += ["## Claims in specs/estimates.yaml beside what was measured", "",
                  "| metric | claimed | kind | where | measured (mean of valence, arousal) | 95% bootstrap interval |",
                  "|---|---|---|---|---|---|"]
        for row in metrics["claims"]:
            interval = _fmt(row.get("interval")) if row.get("interval") else "-"
            lines.append(f"| {row['metric']} | {_fmt(row['claimed'])} | {row['kind']} | {row['where']} | {_fmt(row['measured'])} | {interval} |")
        lines.append("")
    if metrics["model"] == "crnn":
        lines += ["## Inconsistencies in the specification", ""] + [f"- {text}" for text in _inconsistencies()]
    if metrics.get("feature_importance_top20"):
        lines += ["", "## Feature importance (top 20, gain)", "", "![feature importance](feature_importance.png)", "",
                  ", ".join(f"{row['feature']} {row['importance']:.3f}" for row in metrics["feature_importance_top20"])]
    if history:
        lines += ["", "![learning curves](learning_curves.png)"]
    lines += ["", "## Commands", "", "```", metrics["command"]["train"], metrics["command"]["evaluate"], "```", ""]
    path = Path(report_dir) / "report.md"
    path.write_text("\n".join(lines))
    return path


def _protocol_lines(metrics: dict, config: dict) -> list[str]:
    training, versions = metrics["training"], metrics["versions"]
    where = (f"on {versions.get('machine', '?')} (Python {versions.get('python', '?')}, Keras {versions.get('keras', '?')}, "
             f"backend {versions.get('backend', '?')})")
    if config.get("family") == "sklearn":
        return [f"- Input: {config.get('n_features')} features per item ({config['feature']['kind']}); standardised inside the "
                "scikit-learn Pipeline, so inside every cross-validation fold.",
                f"- Grid {training['search']} searched with {training['cv']['folds']} folds grouped by "
                f"{metrics['split']['group_by']} on the training items (train + validation parts; test untouched), "
                f"scored by mean R² over valence and arousal.",
                f"- Chosen: {training['best_params']} (cross-validated mean R² {_fmt(training['best_cv_r2'])}); "
                f"search and refit took {_fmt(training.get('train_seconds'), 0)} s {where}.",
                "- Targets: as for the CRNN, (rating - 5) / 4 per dimension (or the quadrant's signs); predictions mapped back to 1-9."]
    return [f"- Input {config['input_shape'][0]} frames x {config['input_shape'][1]} features "
            f"(time as the sequence axis), standardised per feature with training-song statistics.",
            f"- {training['optimizer']} lr {training['learning_rate']}, loss {training['loss']}, batch {training['batch_size']}, "
            f"up to {training['epochs']} epochs, early stopping patience {training['patience']} on validation loss, best weights restored.",
            f"- Stopped after {training.get('epochs_run')} epochs; best epoch {training.get('best_epoch')}; "
            f"training time {_fmt(training.get('train_seconds'), 0)} s {where}.",
            f"- Parameters: {_fmt(metrics['parameters'])} measured; {_fmt(metrics.get('claimed_parameters'))} claimed."] + (
            [f"- Peak training memory (process peak RSS at the end of training): {_fmt(config['peak_rss_mib'], 0)} MiB."]
            if config.get("peak_rss_mib") else []) + _initialisation_lines(config)


def _initialisation_lines(config: dict) -> list[str]:
    """Transformers: where the weights started, the configuration trained and the augmentation."""
    if "model_config" not in config or not config.get("model_config"):
        return []
    model = dict(config["model_config"])
    augmentation = model.pop("augmentation", None)
    start = config.get("weights") or "random initialisation"
    lines = [f"- Initial weights: {start}" + (" (no pretraining)." if start == "random initialisation" else " (local file).")]
    preset = f"preset {config['preset']}" if config.get("preset") else "the default size in the spec"
    lines.append(f"- Configuration ({preset}): " + ", ".join(f"{k} {_fmt(v)}" for k, v in model.items()) + ".")
    if augmentation:
        lines.append("- SpecAugment during training only: " + ", ".join(f"{k} {_fmt(v)}" for k, v in augmentation.items()) + ".")
    return lines


def _verdict_lines(verdict: dict) -> list[str]:
    if verdict["outcome"] == "not applicable":
        return [f"Not applicable: {verdict['why']}."]
    if "claimed" in verdict:
        from mer_keras.evaluation.verdict import METRIC_LABELS

        span = "per-run 95% bootstrap intervals span" if verdict["rule"].endswith("per run") else "95% bootstrap interval"
        label = METRIC_LABELS.get(verdict["metric"], verdict["metric"])
        lines = [f"**{verdict['outcome']}**: measured mean {label} {_fmt(verdict['measured'])} ({span} "
                 f"{_fmt(verdict['interval_low'])}-{_fmt(verdict['interval_high'])}) against the claimed "
                 f"{_fmt(verdict['claimed'])} ({verdict['where']}); rule: {verdict['rule']}."]
        for key in ("caveat_pretrained", "caveat"):
            if verdict.get(key):
                lines.append(f"Caveat: {verdict[key]}.")
        return lines
    lines = [f"**{verdict['outcome']}**: measured mean R² {_fmt(verdict['measured_r2_mean'])} against the estimate band "
             f"{_fmt(verdict['band'])} (below {verdict['overestimated_below']}: overestimated; above "
             f"{verdict['underestimated_above']}: underestimated; otherwise inconclusive)."]
    if verdict.get("interval"):
        lines.append(f"Uncertainty: {verdict['interval']}.")
    if verdict.get("caveat"):
        lines.append(f"Caveat: {verdict['caveat']}.")
    return lines


def summarise_runs(all_metrics: list[dict], names: list[str], report_dir: Path, command: str) -> dict:
    """Mean, sd and range over runs (seeds) of each headline figure; verdict on the mean over runs."""
    from mer_keras.evaluation.verdict import band_rule, band_verdict

    first = all_metrics[0]
    summary = {"model": first["model"], "dataset": first["dataset"], "task": first["task"], "data": first["data"],
               "runs": names, "n_runs": len(names), "parameters": first["parameters"],
               "claimed_parameters": first.get("claimed_parameters"), "command": {"evaluate": command,
               "train": [m["command"]["train"] for m in all_metrics]}, "per_run": {}}
    if first.get("proxy_label"):
        summary["proxy_label"] = first["proxy_label"]
    if first["task"] == "va":
        keys = [(name, dim) for name in METRIC_NAMES for dim in ("valence", "arousal", "mean")]
    elif first["task"] == "emotion":
        keys = [("accuracy", None), ("macro_f1", None)] + [("recall", name) for name in first["recall"]]
    else:
        keys = [("quadrant_accuracy", None), ("sign_accuracy", "valence"), ("sign_accuracy", "arousal")]
    for name, dim in keys:
        values = [m[name][dim] if dim else m[name] for m in all_metrics]
        entry = {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                 "min": float(np.min(values)), "max": float(np.max(values)), "values": values}
        summary.setdefault(name, {})[dim or "value"] = entry
    if first["task"] in ("quadrant", "emotion"):
        summary["chance_accuracy"] = float(np.mean([m["chance_accuracy"] for m in all_metrics]))
    for name, m in zip(names, all_metrics):
        summary["per_run"][name] = {"verdict": m["verdict"]["outcome"], "bootstrap": m["bootstrap"],
                                    "best_epoch": m["training"].get("best_epoch"), "train_seconds": m["training"].get("train_seconds")}
    if first["task"] == "emotion":
        from mer_keras.evaluation.emotion import summary_verdict

        summary["verdict"] = summary_verdict(all_metrics, summary["accuracy"]["value"]["mean"])
    elif first["task"] == "va" and "band" in first["verdict"]:
        rule = band_rule(first["verdict"]["rule"])
        measured = summary["r2"]["mean"]["mean"]
        summary["verdict"] = {"rule": first["verdict"]["rule"], "band": rule["band"], "measured_r2_mean": measured,
                              "overestimated_below": rule["overestimated_below"],
                              "underestimated_above": rule["underestimated_above"],
                              "outcome": band_verdict(measured, rule),
                              "interval": f"over {len(names)} seeds the mean R² ranges "
                                          f"{_fmt(summary['r2']['mean']['min'])}-{_fmt(summary['r2']['mean']['max'])} "
                                          f"(sd {_fmt(summary['r2']['mean']['sd'])}); per-seed verdicts "
                                          f"{[summary['per_run'][n]['verdict'] for n in names]}"}
        if first.get("proxy_label"):
            summary["verdict"]["caveat"] = first["proxy_label"]
    elif first["verdict"].get("claimed") is not None:
        outcomes = sorted({m["verdict"]["outcome"] for m in all_metrics})
        metric = first["verdict"]["metric"]
        summary["verdict"] = {"rule": first["verdict"]["rule"] + ", per run", "metric": metric,
                              "claimed": first["verdict"]["claimed"], "where": first["verdict"]["where"],
                              "measured": summary[metric]["mean"]["mean"],
                              "interval_low": min(m["bootstrap"][f"{metric}_mean"]["low"] for m in all_metrics),
                              "interval_high": max(m["bootstrap"][f"{metric}_mean"]["high"] for m in all_metrics),
                              "outcome": outcomes[0] if len(outcomes) == 1 else "mixed: " + ", ".join(outcomes)}
        if first["verdict"].get("caveat_pretrained"):
            summary["verdict"]["caveat_pretrained"] = first["verdict"]["caveat_pretrained"]
        if first.get("proxy_label"):
            summary["verdict"]["caveat"] = first["proxy_label"]
    else:
        summary["verdict"] = first["verdict"]
    report_dir = Path(report_dir)
    (report_dir / "metrics.json").write_text(json.dumps(summary, indent=1))
    lines = [f"# {first['model']} on {first['dataset']}: summary over {len(names)} runs", ""]
    if summary.get("proxy_label"):
        lines += [f"> **Note, {summary['proxy_label']}.**", ""]
    lines += [f"Data: {first['data']}. Parameters: {_fmt(first['parameters'])} measured, "
              f"{_fmt(first.get('claimed_parameters'))} claimed. Each run has its own seed, split and report "
              f"(folders below); figures are on the test items of each run.", "",
              "| figure | mean over runs | sd | min | max |", "|---|---|---|---|---|"]
    for name, dim in keys:
        entry = summary[name][dim or "value"]
        lines.append(f"| {name}{' ' + dim if dim else ''} | {_fmt(entry['mean'])} | {_fmt(entry['sd'])} | {_fmt(entry['min'])} | {_fmt(entry['max'])} |")
    if summary.get("chance_accuracy") is not None:
        lines += ["", f"Majority-class rate of the test parts (chance level to beat): {_fmt(summary['chance_accuracy'])}."]
    lines += ["", "## Verdict", ""] + _verdict_lines(summary["verdict"]) + ["", "## Runs", ""]
    for name in names:
        run = summary["per_run"][name]
        boots = "; ".join(f"{k} 95% CI {_fmt(v['low'])}-{_fmt(v['high'])}" for k, v in run["bootstrap"].items())
        lines.append(f"- [{name}]({name}/report.md): verdict {run['verdict']}, best epoch {run['best_epoch']}, "
                     f"{_fmt(run['train_seconds'], 0)} s; {boots}")
    lines += ["", "## Commands", "", "```"] + summary["command"]["train"] + [command, "```", ""]
    (report_dir / "report.md").write_text("\n".join(lines))
    return summary
