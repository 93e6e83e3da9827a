"""Speech emotion (task ``emotion``): scoring, the verdict against the design note, seed summaries and
the side-by-side comparison of models (accuracy, size, memory, training time)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mer_keras.data.emotions import EMOTIONS
from mer_keras.evaluation import plots
from mer_keras.evaluation.bootstrap import bootstrap_interval
from mer_keras.evaluation.metrics import classification_metrics, macro_f1
from mer_keras.specs import load_spec

DATA_CAVEAT = {
    "ravdess": "measured on RAVDESS speech (speaker-independent test actors), not on the design note's own data; "
               "the note's figures are for 6-class speech emotion on data it does not share",
    "cremad": "measured on CREMA-D; the design note does not say which data its figures come from",
}


def score_emotion(kept, outputs: np.ndarray, config: dict, report_dir: Path, n_resamples: int) -> tuple[dict, list, list]:
    """Metrics, prediction rows and header for a classification run; plots the confusion matrix."""
    from mer_keras.data.targets import decode_predictions

    decoded = decode_predictions(outputs, "emotion")
    true = np.asarray([item.labels["emotion"] for item in kept])
    pred = np.asarray([row["emotion"] for row in decoded])
    metrics = classification_metrics(list(true), list(pred), list(EMOTIONS))
    metrics["recall"] = {name: metrics["per_class"][name]["recall"] for name in EMOTIONS}
    hits = true == pred
    metrics["bootstrap"] = {
        "accuracy": bootstrap_interval(lambda idx: float(hits[idx].mean()), len(kept), n_resamples),
        "macro_f1": bootstrap_interval(lambda idx: macro_f1(true[idx], pred[idx]), len(kept), n_resamples),
    }
    counts = {name: int(np.sum(true == name)) for name in EMOTIONS}
    metrics["chance_accuracy"] = max(counts.values()) / len(true)
    metrics["verdict"] = emotion_verdict(config["model"], metrics["accuracy"], metrics["bootstrap"]["accuracy"],
                                         config["data"]["dataset"])
    plots.confusion(metrics["confusion_matrix"]["rows_true_columns_predicted"], list(EMOTIONS),
                    report_dir / "confusion_matrix.png",
                    f"{config['model']} on {config['dataset_name']} test clips (n={len(kept)})")
    rows = [(item.item_id, item.group, t, p["emotion"], *[f"{p['probabilities'][name]:.4f}" for name in EMOTIONS])
            for item, t, p in zip(kept, true, decoded)]
    header = ["item_id", "speaker", "true_emotion", "pred_emotion", *[f"p_{name}" for name in EMOTIONS]]
    return metrics, rows, header


def accuracy_claim(model: str) -> dict | None:
    claims = [c for c in load_spec("estimates")["claims"].get(model, []) if c["metric"] == "accuracy"]
    return claims[0] if claims else None


def judge(claim: dict, low: float, high: float) -> str:
    """A band claim against the interval: ``below claim`` (interval under the band), ``above claim``
    (over it), ``consistent`` (they overlap). A value claim (``~0.53``): the value vs the interval."""
    band = claim.get("band") or [claim["value"], claim["value"]]
    if high < band[0]:
        return "below claim"
    if low > band[1]:
        return "above claim"
    return "consistent"


def emotion_verdict(model: str, measured: float, interval: dict, dataset: str) -> dict:
    """The measured accuracy's 95% bootstrap interval against the note's claim for ``model``."""
    claim = accuracy_claim(model)
    if claim is None:
        return {"outcome": "not applicable", "why": f"specs/estimates.yaml has no accuracy claim for {model}"}
    kind = "band" if claim.get("band") else "approximate value"
    return {"rule": f"claimed {kind} vs 95% bootstrap interval of accuracy (overlap: consistent)", "metric": "accuracy",
            "claimed": claim.get("band") or claim["value"], "where": claim.get("where"), "measured": measured,
            "interval_low": interval["low"], "interval_high": interval["high"],
            "outcome": judge(claim, interval["low"], interval["high"]),
            "caveat": DATA_CAVEAT.get(dataset, f"measured on {dataset}")}


def summary_verdict(all_metrics: list[dict], mean_accuracy: float) -> dict:
    """Over seeds: the per-run outcomes, and the mean accuracy against the claim."""
    first = all_metrics[0]["verdict"]
    if first["outcome"] == "not applicable":
        return first
    outcomes = sorted({m["verdict"]["outcome"] for m in all_metrics})
    return first | {"rule": first["rule"] + ", per run", "measured": mean_accuracy,
                    "interval_low": min(m["bootstrap"]["accuracy"]["low"] for m in all_metrics),
                    "interval_high": max(m["bootstrap"]["accuracy"]["high"] for m in all_metrics),
                    "outcome": outcomes[0] if len(outcomes) == 1 else "mixed: " + ", ".join(outcomes)}


def report_lines(metrics: dict) -> list[str]:
    """The results section of a run's report.md."""
    from mer_keras.evaluation.report import _fmt

    acc, f1 = metrics["bootstrap"]["accuracy"], metrics["bootstrap"]["macro_f1"]
    lines = [f"- Accuracy {_fmt(metrics['accuracy'])} (95% bootstrap interval {_fmt(acc['low'])}-{_fmt(acc['high'])}, "
             f"{acc['resamples']} resamples of the test clips); majority-class rate {_fmt(metrics['chance_accuracy'])}; "
             f"n = {metrics['n_test']}.",
             f"- Macro-F1 {_fmt(metrics['macro_f1'])} (95% interval {_fmt(f1['low'])}-{_fmt(f1['high'])}).", "",
             "| class | recall | precision | F1 | test clips |", "|---|---|---|---|---|"]
    for name, row in metrics["per_class"].items():
        lines.append(f"| {name} | {_fmt(row['recall'])} | {_fmt(row['precision'])} | {_fmt(row['f1'])} | {row['support']} |")
    lines += ["", "![confusion matrix](confusion_matrix.png)", ""]
    resources = metrics.get("resources", {})
    if resources:
        lines += [f"- Resources: {_fmt(resources.get('parameters'))} parameters; peak training memory "
                  f"{_fmt(resources.get('peak_rss_mib'), 0)} MiB (process peak RSS); training time "
                  f"{_fmt(resources.get('train_seconds'), 0)} s over {resources.get('epochs_run')} epochs "
                  f"({_fmt(resources.get('seconds_per_epoch'), 1)} s per epoch).", ""]
    return lines


def _count(value: float) -> str:
    return f"{int(value):,}" if np.isfinite(value) else "-"


def _mean_sd(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None]
    if not values:
        return float("nan"), float("nan")
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def compare_models(groups: dict[str, list[dict]], report_dir: Path, command: str) -> dict:
    """Side-by-side report of several models (each a list of per-seed metrics): accuracy, macro-F1,
    parameters, peak training memory and training time, against the note's claims in estimates.yaml."""
    from mer_keras.evaluation.report import _fmt

    estimates = load_spec("estimates")
    time_claims = estimates.get("training_time_claims", {})
    rows = {}
    for model, runs in groups.items():
        res = [m.get("resources", {}) for m in runs]
        row = {"runs": [m["run"] for m in runs], "n_runs": len(runs), "dataset": runs[0]["dataset"],
               "train_commands": [m["command"]["train"] for m in runs],
               "task": runs[0]["task"], "data": runs[0]["data"]}
        for key, values in {"accuracy": [m.get("accuracy") for m in runs], "macro_f1": [m.get("macro_f1") for m in runs],
                            "parameters": [r.get("parameters") for r in res],
                            "peak_rss_mib": [r.get("peak_rss_mib") for r in res],
                            "train_seconds": [r.get("train_seconds") for r in res],
                            "seconds_per_epoch": [r.get("seconds_per_epoch") for r in res],
                            "epochs_run": [r.get("epochs_run") for r in res]}.items():
            mean, sd = _mean_sd(values)
            row[key] = {"mean": mean, "sd": sd, "values": values}
        if runs[0]["task"] == "emotion":
            row["accuracy_intervals"] = [[m["bootstrap"]["accuracy"]["low"], m["bootstrap"]["accuracy"]["high"]] for m in runs]
            row["recall"] = {name: _mean_sd([m["recall"][name] for m in runs])[0] for name in EMOTIONS}
            claim = accuracy_claim(model)
            if claim:
                row["accuracy_claim"] = {"claimed": claim.get("band") or claim["value"], "where": claim.get("where"),
                                         "per_run_outcomes": [m["verdict"]["outcome"] for m in runs],
                                         "mean_outcome": judge(claim, row["accuracy"]["mean"], row["accuracy"]["mean"])}
        if model in time_claims:
            claim = time_claims[model]
            hours = claim.get("hours") or [claim["minutes"] / 60] * 2
            measured_hours = row["train_seconds"]["mean"] / 3600
            row["training_time_claim"] = {"claimed_hours": hours, "measured_hours": measured_hours,
                                          "where": claim.get("where"), "hardware": claim.get("hardware", "not stated"),
                                          "measured_on": runs[0].get("versions", {}).get("machine", "?")}
        rows[model] = row

    efficiency = []
    models = list(rows)
    if set(models) >= {"cnn_lstm", "attn_crnn"}:
        small, big = rows["cnn_lstm"], rows["attn_crnn"]
        for claim in estimates.get("speech_efficiency_claims", []):
            text = claim["claim"]
            key = ("parameters" if "smaller" in text else "peak_rss_mib" if "memory" in text
                   else "train_seconds" if "faster" in text else None)
            if key is None:
                continue
            a, b = small[key]["mean"], big[key]["mean"]
            efficiency.append({"claim": text, "where": claim.get("where"), "figure": key, "cnn_lstm": a, "attn_crnn": b,
                               "ratio_attn_over_cnn": b / a if a else None,
                               "outcome": "holds" if a < b else "does not hold"})
        per_epoch = (small["seconds_per_epoch"]["mean"], big["seconds_per_epoch"]["mean"])
        efficiency.append({"claim": "(per epoch) CNN-LSTM trains faster", "where": "derived: training time / epochs",
                           "figure": "seconds_per_epoch", "cnn_lstm": per_epoch[0], "attn_crnn": per_epoch[1],
                           "ratio_attn_over_cnn": per_epoch[1] / per_epoch[0] if per_epoch[0] else None,
                           "outcome": "holds" if per_epoch[0] < per_epoch[1] else "does not hold"})
    comparison = {"models": rows, "efficiency_claims": efficiency, "command": command}
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "metrics.json").write_text(json.dumps(comparison, indent=1, default=float))
    _comparison_plot(rows, report_dir / "comparison.png")

    first = next(iter(rows.values()))
    lines = ["# Side by side: " + " vs ".join(models), "",
             f"Data: {first['data']}. Figures are means over each model's runs (seeds; sd in brackets); each run is "
             "scored on its own speaker-independent test part, once.", ""]
    caveat = DATA_CAVEAT.get(first["dataset"])
    if caveat:
        lines += [f"> **Note:** {caveat}.", ""]
    lines += ["| model | runs | accuracy | macro-F1 | per-run 95% intervals of accuracy | claimed accuracy | parameters | "
              "peak training memory (MiB) | training time (s) | epochs | s / epoch |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, row in rows.items():
        intervals = ", ".join(f"{_fmt(lo)}-{_fmt(hi)}" for lo, hi in row.get("accuracy_intervals", []))
        claim = row.get("accuracy_claim", {})
        lines.append(f"| {model} | {row['n_runs']} | {_fmt(row['accuracy']['mean'])} ({_fmt(row['accuracy']['sd'])}) | "
                     f"{_fmt(row['macro_f1']['mean'])} ({_fmt(row['macro_f1']['sd'])}) | {intervals or '-'} | "
                     f"{_fmt(claim.get('claimed'))} | {_count(row['parameters']['mean'])} | "
                     f"{_fmt(row['peak_rss_mib']['mean'], 0)} ({_fmt(row['peak_rss_mib']['sd'], 0)}) | "
                     f"{_fmt(row['train_seconds']['mean'], 0)} ({_fmt(row['train_seconds']['sd'], 0)}) | "
                     f"{_fmt(row['epochs_run']['mean'], 1)} | {_fmt(row['seconds_per_epoch']['mean'], 1)} |")
    lines += ["", "![comparison](comparison.png)", "", "## Accuracy against the note", ""]
    for model, row in rows.items():
        claim = row.get("accuracy_claim")
        if claim:
            lines.append(f"- {model}: claimed {_fmt(claim['claimed'])} ({claim['where']}); per-run verdicts "
                         f"(claim vs each run's 95% interval) {claim['per_run_outcomes']}; the mean over runs, "
                         f"{_fmt(row['accuracy']['mean'])}, is {claim['mean_outcome'].replace('consistent', 'inside the claim')}.")
    if any("recall" in row for row in rows.values()):
        lines += ["", "Per-class recall (mean over runs); the note says the CNN-LSTM is strong on happy and angry:", "",
                  "| model | " + " | ".join(EMOTIONS) + " |", "|---|" + "---|" * len(EMOTIONS)]
        for model, row in rows.items():
            if "recall" in row:
                lines.append(f"| {model} | " + " | ".join(_fmt(row["recall"][name]) for name in EMOTIONS) + " |")
    lines += ["", "## Efficiency claims", ""]
    if efficiency:
        lines += ["| claim (seed 004) | figure | cnn_lstm | attn_crnn | attn_crnn / cnn_lstm | outcome here |", "|---|---|---|---|---|---|"]
        for row in efficiency:
            digits = 0 if row["figure"] in ("parameters", "peak_rss_mib", "train_seconds") else 1
            lines.append(f"| {row['claim']} | {row['figure']} | {_fmt(row['cnn_lstm'], digits)} | {_fmt(row['attn_crnn'], digits)} | "
                         f"{_fmt(row['ratio_attn_over_cnn'], 2)} | {row['outcome']} |")
        lines.append("")
    for model, row in rows.items():
        claim = row.get("training_time_claim")
        if claim:
            lines.append(f"- {model} training time: claimed {_fmt(claim['claimed_hours'])} h ({claim['where']}, hardware "
                         f"{claim['hardware']}); measured {_fmt(claim['measured_hours'], 3)} h here "
                         f"({claim['measured_on']} CPU; different hardware and data size, so only the ratio between "
                         "the models is comparable).")
    lines += ["", "Peak training memory is the training process's peak resident set size (`ru_maxrss`), which "
              "includes the training inputs held in memory (raw waveforms are larger than log-mels), the "
              "framework and compilation, not only the model. Training time is the sum of the epochs' wall-clock "
              "seconds in each run's history.csv; it depends on how many epochs early stopping ran and on whatever "
              "else the machine ran at the time, so compare it with care (seconds per epoch of the same model vary "
              "between runs on a shared machine).", "", "## Commands", "", "```"]
    for row in rows.values():
        lines += row["train_commands"]
    lines += [command, "```", ""]
    for model, row in rows.items():
        lines.append(f"Runs of {model}: " + ", ".join(row["runs"]))
    (report_dir / "report.md").write_text("\n".join(lines) + "\n")
    return comparison


def _comparison_plot(rows: dict, path: Path) -> None:
    plt = plots._pyplot()
    figure, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    names = list(rows)
    for axis, (key, label) in zip(axes, [("accuracy", "test accuracy"), ("parameters", "parameters"),
                                        ("peak_rss_mib", "peak training RSS (MiB)"), ("train_seconds", "training time (s)")]):
        means = [rows[n][key]["mean"] for n in names]
        sds = [rows[n][key]["sd"] for n in names]
        axis.bar(names, means, yerr=sds, capsize=4, color=["tab:blue", "tab:orange", "tab:green", "tab:red"][:len(names)])
        for k, n in enumerate(names):
            axis.scatter([k] * len(rows[n][key]["values"]), rows[n][key]["values"], color="k", s=10, zorder=3)
        if key == "accuracy":
            for n in names:
                claim = rows[n].get("accuracy_claim", {}).get("claimed")
                if isinstance(claim, list):
                    axis.axhspan(claim[0], claim[1], color="tab:blue", alpha=0.15)
                elif claim is not None:
                    axis.axhline(claim, color="tab:orange", ls="--", lw=1)
        axis.set_title(label, fontsize=9)
        axis.tick_params(labelsize=8)
    figure.suptitle("bars: mean over runs (sd); dots: runs; shaded / dashed: the note's accuracy claims", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
