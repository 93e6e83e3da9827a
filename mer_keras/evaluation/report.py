"""The one report writer: ``report.md`` of a run, of a summary over runs (seeds) and of a side-by-side
comparison of models. It writes text only; the figures come from the evaluation and task modules."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mer_keras.evaluation.format import fmt as _fmt
from mer_keras.evaluation.tasks import task_module
from mer_keras.evaluation.verdict import LEAKY_LABEL, METRIC_LABELS, TSTR_LABEL
from mer_keras.models.baselines import SCORING_LABELS
from mer_keras.runs import write_text
from mer_keras.specs import load_spec


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
    if metrics.get("evaluated_on"):
        lines.append(f"- Test items: every item of `{metrics['evaluated_on']}` ({split['test']}), a folder sharing no item "
                     f"with the run's {split['train']} training and {split['validation']} validation items (checked by id).")
    else:
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
    if config.get("label_corruption"):
        swap = config["label_corruption"]
        lines.append(f"- **Training labels corrupted on purpose** (--swap-va-fraction {swap['swap_va_fraction']}): valence and "
                     f"arousal exchanged for {swap['n_swapped']} of {swap['n_train']} training items (seed {swap['seed']}); "
                     f"{swap['untouched']}.")
    if config.get("n_annotated_without_input"):
        lines.append(f"- {config['n_annotated_without_input']} annotated items had no input file (listed in the run's skipped.csv).")
    if metrics.get("test_skipped"):
        lines.append(f"- Test items skipped (unreadable): {metrics['test_skipped']}")
    return lines


def model_title(figures: dict) -> str:
    """The model as a title names it: with its backbone where it has one (``musicnn, finetune backbone``).

    ``figures``: a run's ``metrics.json`` or a summary's."""
    backbone = figures.get("backbone")
    return f"{figures['model']}" + (f" ({backbone} backbone)" if backbone else "")


def write_run_report(metrics: dict, config: dict, report_dir: Path, history: dict,
                     documented_model: bool = False) -> Path:
    """``report.md`` of one run: data, protocol, results (by task), verdict, claims, commands.

    ``documented_model``: the model is the study's documented one, whose specification
    inconsistencies (``known_inconsistencies`` in estimates.yaml) the report lists.
    """
    protocol = protocol_name(config.get("protocol"))
    lines = [f"# {model_title(metrics)} on {metrics['dataset']} ({config['feature']['kind']}"
             + (f", {protocol} protocol" if protocol and config.get("family") != "sklearn" else "") + ")", ""]
    lines += _data_lines(metrics, config)
    lines += ["", "## Protocol", ""] + _protocol_lines(metrics, config) + augmentation_lines(config) + [""]
    lines += ["## Results on the test items", ""]
    lines += task_module(metrics["task"]).result_lines(metrics)
    lines += ["## Verdict", ""] + _verdict_lines(metrics["verdict"]) + [""]
    if metrics.get("claims"):
        lines += ["## Claims in specs/estimates.yaml beside what was measured", "",
                  "| metric | claimed | kind | where | measured (mean of valence, arousal) | 95% bootstrap interval |",
                  "|---|---|---|---|---|---|"]
        for row in metrics["claims"]:
            interval = _fmt(row.get("interval")) if row.get("interval") else "-"
            lines.append(f"| {row['metric']} | {_fmt(row['claimed'])} | {row['kind']} | {row['where']} | {_fmt(row['measured'])} | {interval} |")
        lines.append("")
    if documented_model:
        lines += ["## Inconsistencies in the specification", ""] + [f"- {text}" for text in _inconsistencies()]
    if metrics.get("feature_importance_top20"):
        lines += ["", "## Feature importance (top 20, gain)", "", "![feature importance](feature_importance.png)", "",
                  ", ".join(f"{row['feature']} {row['importance']:.3f}" for row in metrics["feature_importance_top20"])]
    if history:
        lines += ["", "![learning curves](learning_curves.png)"]
    lines += ["", "## Commands", "", "```", metrics["command"]["train"], metrics["command"]["evaluate"], "```", ""]
    return write_text(Path(report_dir) / "report.md", "\n".join(lines))


def _protocol_lines(metrics: dict, config: dict) -> list[str]:
    training, versions = metrics["training"], metrics["versions"]
    where = (f"on {versions.get('machine', '?')} (Python {versions.get('python', '?')}, Keras {versions.get('keras', '?')}, "
             f"backend {versions.get('backend', '?')})")
    if config.get("family") == "sklearn":
        # runs before issue 18 record best_cv_r2 only (always R²); later ones best_cv_score and cv_scoring
        scoring = training.get("cv_scoring", "r2")
        score = training.get("best_cv_score", training.get("best_cv_r2"))
        label = SCORING_LABELS.get(scoring, scoring)
        scored_by = "mean R² over valence and arousal" if scoring == "r2" else label
        fixed = f" (fixed: {training['fixed']})" if training.get("fixed") else ""
        targets = ("- Targets: the six emotions as class indices; class weights balanced; the outputs are the class "
                   "probabilities (predict_proba), the prediction their most probable class."
                   if metrics.get("task") == "emotion" else
                   "- Targets: as for the CRNN, (rating - 5) / 4 per dimension (or the quadrant's signs); predictions mapped back to 1-9.")
        return [f"- Input: {config.get('n_features')} features per item ({config['feature']['kind']}); standardised inside the "
                "scikit-learn Pipeline, so inside every cross-validation fold.",
                f"- Grid {training['search']}{fixed} searched with {training.get('cv_folds', training['cv']['folds'])} folds "
                f"grouped by {metrics['split']['group_by']} on the training items (train + validation parts; test untouched), "
                f"scored by {scored_by}.",
                f"- Chosen: {training['best_params']} (cross-validated {label} {_fmt(score)}); "
                f"search and refit took {_fmt(training.get('train_seconds'), 0)} s {where}.",
                targets]
    return [f"- Input {config['input_shape'][0]} frames x {config['input_shape'][1]} features "
            f"(time as the sequence axis), standardised per feature with training-song statistics."] + _training_lines(training, config) + [
            f"- Stopped after {training.get('epochs_run')} epochs; best epoch {training.get('best_epoch')}; "
            f"training time {_fmt(training.get('train_seconds'), 0)} s {where}.",
            f"- Parameters: {_fmt(metrics['parameters'])} measured; {_fmt(metrics.get('claimed_parameters'))} claimed."] + (
            [f"- Peak training memory (process peak RSS at the end of training): {_fmt(config['peak_rss_mib'], 0)} MiB."]
            if config.get("peak_rss_mib") else []) + _initialisation_lines(config)


def _training_lines(training: dict, config: dict) -> list[str]:
    """How the model was trained: the documented protocol (the spec's training) or the tuned one."""
    protocol = training.get("protocol", config.get("protocol", "documented"))
    if protocol == "documented":
        return [f"- Protocol **documented** (the specification's training): {training['optimizer']} lr "
                f"{training['learning_rate']}, loss {training['loss']}, batch {training['batch_size']}, up to "
                f"{training['epochs']} epochs, early stopping patience {training['patience']} on validation loss, "
                "best weights restored."]
    augmentation = training.get("augmentation") or {}
    lines = [f"- Protocol **{protocol_name(protocol)}** (the same layers; settings from specs/protocols.yaml, chosen on "
             f"validation songs only): {training['optimizer']} lr {training['learning_rate']}"
             + (f", weight decay {training['weight_decay']}" if training.get("weight_decay") else "")
             + (f", gradient clipping at norm {training['clipnorm']}" if training.get("clipnorm") else "")
             + (f", {training['warmup_epochs']} warm-up epochs" if training.get("warmup_epochs") else "")
             + (f", {training['decay']} decay" if training.get("decay") else "")
             + f"; loss {training['loss']}, batch {training['batch_size']}, up to {training['epochs']} epochs; the epoch "
             f"is selected by {training.get('monitor', 'val_loss')} on the validation part (patience "
             f"{training['patience']}, min delta {training.get('min_delta', 0)})."]
    if augmentation:
        lines.append("- Augmentation of training items only (validation and test are never augmented): "
                     + ", ".join(f"{k} {_fmt(v)}" for k, v in augmentation.items()) + ".")
    averaged = config.get("averaged_weights")
    if averaged:
        lines.append(f"- Weights of the best epochs {averaged['epochs']} averaged: validation "
                     f"{training.get('monitor')} {_fmt(averaged['averaged_score'])} against {_fmt(averaged['best_epoch_score'])} "
                     f"for the best single epoch, so the average was {'kept' if averaged['kept'] else 'not kept'}.")
    return lines


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
    if "claimed_r2" in verdict and "claimed" not in verdict:      # runs scored before verdicts named their metric
        verdict = verdict | {"claimed": verdict["claimed_r2"], "metric": "r2", "measured": verdict["measured_r2_mean"]}
    if verdict["outcome"] == "not applicable":
        return [f"Not applicable: {verdict['why']}."]
    if "claimed" in verdict:
        span = "per-run 95% bootstrap intervals span" if verdict["rule"].endswith("per run") else "95% bootstrap interval"
        label = METRIC_LABELS.get(verdict["metric"], verdict["metric"])
        lines = [f"**{verdict['outcome']}**: measured mean {label} {_fmt(verdict['measured'])} ({span} "
                 f"{_fmt(verdict['interval_low'])}-{_fmt(verdict['interval_high'])}) against the claimed "
                 f"{_fmt(verdict['claimed'])} ({verdict['where']}); rule: {verdict['rule']}."]
        for key in ("caveat_pretrained", "caveat", "caveat_collapse"):
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


def _runs_sentence(summary: dict) -> str:
    if summary.get("test_folds"):
        n = summary["test_folds"][0][1]
        return (f"Each run is one fold of a {n}-fold cross-validation grouped by {summary.get('group_by') or 'group'} "
                "(its test part is one fold; its report is in the folders below), so every item is tested once; "
                "the fold spread (sd, min-max) is the interval that matters, and one run can train differently on "
                "another CPU.")
    return ("Each run has its own seed, split and report (folders below); figures are on the test items of each "
            "run; the seed spread (sd, min-max) is the interval that matters, and one seed can train differently "
            "on another CPU.")


def write_summary_report(summary: dict, keys: list, report_dir: Path) -> Path:
    """``report.md`` of a summary over runs (seeds): mean, sd and range of each figure, the verdict, the runs."""
    names, command = summary["runs"], summary["command"]["evaluate"]
    protocol = f", {protocol_name(summary['protocol'])} protocol" if summary.get("protocol") else ""
    lines = [f"# {model_title(summary)} on {summary['dataset']}{protocol}: summary over {len(names)} runs", ""]
    if summary.get("proxy_label"):
        lines += [f"> **Note, {summary['proxy_label']}.**", ""]
    if summary.get("synthetic_only"):
        from mer_keras.evaluation.verdict import TSTR_LABEL

        lines += [f"> **TSTR: {TSTR_LABEL}.** Validation and test songs are real; no claim is judged here: the "
                  "figures measure how much of the real songs' signal the generated crops carry.", ""]
    if summary.get("label_corruption"):
        share = summary["label_corruption"].get("swap_va_fraction")
        lines += [f"> **Training labels corrupted on purpose** (--swap-va-fraction {share}): valence and arousal "
                  "exchanged for that share of each run's training songs; validation and test songs keep their labels. "
                  "An experiment (the DEAM label audit's consequence), never a verdict on a claim.", ""]
    collapsed = summary.get("collapsed_runs") or []
    if collapsed:
        lines += [f"> **Collapse flagged in {len(collapsed)} of {len(names)} runs** ({', '.join(collapsed)}): their "
                  "predictions are nearly constant. The table gives each figure over all runs and, in its last "
                  "column, over the runs that learned.", ""]
    lines += [f"Data: {summary['data']}. Parameters: {_fmt(summary['parameters'])} measured, "
              f"{_fmt(summary.get('claimed_parameters'))} claimed. " + _runs_sentence(summary), ""]
    if collapsed:
        lines += ["| figure | mean over runs | sd | min | max | runs that learned: mean ± sd |", "|---|---|---|---|---|---|"]
    else:
        lines += ["| figure | mean over runs | sd | min | max |", "|---|---|---|---|---|"]
    for name, dim in keys:
        entry = summary[name][dim or "value"]
        row = f"| {name}{' ' + dim if dim else ''} | {_fmt(entry['mean'])} | {_fmt(entry['sd'])} | {_fmt(entry['min'])} | {_fmt(entry['max'])} |"
        if collapsed:
            learned = entry.get("without_collapsed")
            row += f" {_fmt(learned['mean'])} ± {_fmt(learned['sd'])} |" if learned else " - |"
        lines.append(row)
    if summary.get("pooled"):
        lines += [""] + task_module(summary["task"]).pooled_lines(summary["pooled"])
    if summary.get("chance_accuracy") is not None:
        lines += ["", f"Majority-class rate of the test parts (chance level to beat): {_fmt(summary['chance_accuracy'])}."]
    if summary.get("yardstick"):
        lines += ["", yardstick_line(summary["yardstick"])]
    lines += ["", "## Verdict", ""] + _verdict_lines(summary["verdict"]) + ["", "## Runs", ""]
    for name in names:
        run = summary["per_run"][name]
        flag = " **collapsed**" if run.get("collapsed") else ""
        boots = "; ".join(f"{k} 95% CI {_fmt(v['low'])}-{_fmt(v['high'])}" for k, v in run["bootstrap"].items())
        lines.append(f"- [{name}]({name}/report.md){flag}: verdict {run['verdict']}, best epoch {run['best_epoch']}, "
                     f"{_fmt(run['train_seconds'], 0)} s; {boots}")
    lines += ["", "## Commands", "", "```"] + summary["command"]["train"] + [command, "```", ""]
    return write_text(Path(report_dir) / "report.md", "\n".join(lines))


def yardstick_line(yardstick: dict) -> str:
    """The best classic model on the same splits, beside this model's figure."""
    return (f"Yardstick: the best classic model on the same splits is **{yardstick['model']}** "
            f"({yardstick['figure']} {_fmt(yardstick['mean'])} ± {_fmt(yardstick['sd'])} over the {yardstick['n_runs']} "
            f"{'fold runs' if len(yardstick.get('seeds', [])) < yardstick['n_runs'] else 'seeds'} both share, "
            f"[report]({yardstick['report']})); this model: {_fmt(yardstick['this_mean'])}, "
            f"{'at least matching' if yardstick['this_mean'] >= yardstick['mean'] else 'below'} it.")


def _count(value: float) -> str:
    return f"{int(value):,}" if np.isfinite(value) else "-"


def write_comparison_report(comparison: dict, report_dir: Path) -> Path:
    """``report.md`` of models side by side (see :func:`mer_keras.evaluation.comparison.compare_models`)."""
    rows, efficiency, command = comparison["models"], comparison["efficiency_claims"], comparison["command"]
    models = list(rows)
    classes = next((list(row["recall"]) for row in rows.values() if "recall" in row), [])
    first = next(iter(rows.values()))
    lines = ["# Side by side: " + " vs ".join(models), "",
             f"Data: {first['data']}. Figures are means over each model's runs (seeds; sd in brackets); each run is "
             "scored on its own speaker-independent test part, once.", ""]
    caveat = getattr(task_module(first["task"]), "DATA_CAVEAT", {}).get(first["dataset"])
    if caveat:
        lines += [f"> **Note:** {caveat}.", ""]
    if first["task"] != "emotion":
        return _write_music_comparison(comparison, report_dir)
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
                  "| model | " + " | ".join(classes) + " |", "|---|" + "---|" * len(classes)]
        for model, row in rows.items():
            if "recall" in row:
                lines.append(f"| {model} | " + " | ".join(_fmt(row["recall"][name]) for name in classes) + " |")
    lines += ["", "## Efficiency claims", ""]
    if efficiency:
        small, big = comparison["pair"]
        lines += [f"| claim (seed 004) | figure | {small} | {big} | {big} / {small} | outcome here |", "|---|---|---|---|---|---|"]
        for row in efficiency:
            digits = 0 if row["figure"] in ("parameters", "peak_rss_mib", "train_seconds") else 1
            lines.append(f"| {row['claim']} | {row['figure']} | {_fmt(row[small], digits)} | {_fmt(row[big], digits)} | "
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
    return write_text(Path(report_dir) / "report.md", "\n".join(lines) + "\n")


def _write_music_comparison(comparison: dict, report_dir: Path) -> Path:
    """Side by side for the music tasks: each group's headline figures (mean ± sd over seeds, per seed),
    collapsed runs, training time and epochs; e.g. one model under the documented and the tuned protocol."""
    rows, command = comparison["models"], comparison["command"]
    first = next(iter(rows.values()))
    figures = list(first["headline"])
    lines = ["# Side by side: " + " vs ".join(rows), "",
             f"Data: {first['data']}. Each group's runs are scored on their own test songs, once; mean ± sd over "
             "seeds (the seed spread is the interval that matters), then the per-seed values.", ""]
    lines += ["| group | protocol | runs | " + " | ".join(figures) + " | collapsed runs | training time (s) | epochs |",
              "|---|---|---|" + "---|" * len(figures) + "---|---|---|"]
    for label, row in rows.items():
        cells = [f"{_fmt(row['headline'][f]['mean'])} ± {_fmt(row['headline'][f]['sd'])} "
                 f"({', '.join(_fmt(v) for v in row['headline'][f]['values'])})" for f in figures]
        lines.append(f"| {label} | {protocol_name(row.get('protocol')) or '-'} | {row['n_runs']} | " + " | ".join(cells)
                     + f" | {len(row['collapsed_runs'])} | {_fmt(row['train_seconds']['mean'], 0)} | "
                       f"{_fmt(row['epochs_run']['mean'], 1)} |")
    lines += ["", "## Commands", "", "```"]
    for row in rows.values():
        lines += row["train_commands"]
    lines += [command, "```", ""]
    for label, row in rows.items():
        lines.append(f"Runs of {label}: " + ", ".join(row["runs"]))
    return write_text(Path(report_dir) / "report.md", "\n".join(lines) + "\n")


def _interval_text(interval: dict, digits: int = 3) -> str:
    """``mean [low, high]`` of a t interval over folds (``mean (one fold)`` when there is no interval)."""
    if not interval or interval.get("mean") is None:
        return "-"
    if interval.get("low") is None:
        return f"{_fmt(interval['mean'], digits)} (one fold)"
    return f"{_fmt(interval['mean'], digits)} [{_fmt(interval['low'], digits)}, {_fmt(interval['high'], digits)}]"


def _measured_text(measured: dict) -> str:
    if "mean" in measured:
        return _interval_text(measured) + (f", n = {measured['n']}" if measured.get("n") else "")
    parts = []
    for key, value in measured.items():
        if isinstance(value, dict):
            parts.append(f"{key}: " + ", ".join(f"{k} {_interval_text(v) if isinstance(v, dict) else _fmt(v)}"
                                                 for k, v in value.items()))
        else:
            parts.append(f"{key} {_fmt(value)}")
    return "; ".join(parts) or "-"


def write_speech_claims_report(result: dict, report_dir: Path) -> Path:
    """``report.md`` of :func:`mer_keras.evaluation.speech_claims.judge_speech_claims`: a verdict per claim of
    the speech note per protocol, the models' fold figures, cross-corpus drops and the yardsticks."""
    lines = ["# The speech design note's claims (seed 004), judged on speaker folds", "",
             f"Data: {result['data']}. Every figure is a mean over speaker-independent test folds (one run per fold, "
             "each test fold scored once by evaluate.py) with its 95% t interval over the folds in brackets. "
             "Paired figures are CNN-LSTM minus attention CRNN on the same test fold. The `documented` protocol "
             "gives the note's verdicts; `tuned` (the fairest training of the same layers) is shown beside it.", "",
             "> **Note:** measured on public acted-speech corpora, not on the note's own (unshared) data; the "
             "attention CRNN here is a wav2vec-style model trained from scratch, not a pretrained wav2vec.", ""]
    columns = ("accuracy", "uar", "macro_f1", "best_epoch", "seconds_to_best", "train_seconds", "parameters", "peak_rss_mib")
    header = ("| model | protocol | folds | accuracy | UAR | macro-F1 | best epoch | s to best epoch | training s | "
              "parameters | peak MiB | collapsed folds |")
    lines += ["## Models on the same folds", "", header, "|---" * 12 + "|"]
    every = [(p, row) for p, entry in result["protocols"].items() for row in entry["rows"].values()]
    every += [(row["protocol"] or "-", row) for row in result["yardsticks"]]
    for protocol, row in every:
        cells = [_interval_text(row[c], 0 if c in ("seconds_to_best", "train_seconds", "parameters", "peak_rss_mib") else
                                1 if c == "best_epoch" else 3) if row[c]["mean"] is not None else "-" for c in columns]
        name = row["model"] if protocol != "-" else f"{row['model']} ([{row['label']}](../{row['label']}/report.md))"
        lines.append(f"| {name} | {protocol} | {len(row['folds'])} | " + " | ".join(cells) +
                     f" | {len(row['collapsed'])} of {len(row['folds'])} |")
    if result.get("fit"):
        lines += ["", "## Why the deep models stay below the best yardstick", "",
                  "The training fit at each run's selected epoch (history.csv: accuracy on the run's augmented training "
                  "batches against its validation speakers'; no test item), mean over folds:", ""]
        lines += [f"- {d['sentence']}" for d in result["fit"]]
    crosses = [(p, row) for p, entry in result["protocols"].items() for row in entry["cross"].values()]
    if crosses:
        lines += ["", "## Cross-corpus", "", "The same fold runs scored on the other corpus (its six shared classes, every "
                  "item a test item).", "", "| model | protocol | scored on | accuracy | UAR | drop from in-corpus accuracy | collapsed |",
                  "|---|---|---|---|---|---|---|"]
        for protocol, row in crosses:
            lines.append(f"| [{row['model']}](../{row['label']}/report.md) | {protocol} | {Path(row['evaluated_on'] or '-').name} | "
                         f"{_interval_text(row['accuracy'])} | "
                         f"{_interval_text(row['uar'])} | {_interval_text(row['drop'])} | "
                         f"{len(row['collapsed'])} of {row['accuracy']['n']} |")
    for protocol, entry in result["protocols"].items():
        if not entry["claims"]:
            continue
        lines += ["", f"## Verdicts, {protocol} protocol", "", "| claim | where | figure | measured | outcome |",
                  "|---|---|---|---|---|"]
        for claim in entry["claims"]:
            note = f" ({claim['note']})" if claim.get("note") else ""
            lines.append(f"| {claim['claim']} | {claim['where']} | {claim['figure']} | {_measured_text(claim['measured'])} | "
                         f"**{claim['outcome']}**{note} |")
    collapsed = [(p, row["model"], row["collapsed"]) for p, row in every if row["collapsed"]]
    if collapsed:
        lines += ["", "Collapsed folds (one class over half of the predictions) are kept in the means above and listed "
                  "here, so that no mean hides them: " + "; ".join(f"{m} {p}: {', '.join(c)}" for p, m, c in collapsed) + "."]
    lines += ["", "## Command", "", "```", result["command"], "```", "",
              "Each folder's own report.md lists the train and evaluate commands of its runs."]
    return write_text(Path(report_dir) / "report.md", "\n".join(lines) + "\n")


def write_paired_report(result: dict, report_dir: Path) -> Path:
    """``report.md`` of paired differences (see :func:`mer_keras.evaluation.paired.compare_paired`)."""
    figure, label = result["figure"], result["label"] or result["treatment"]
    lines = [f"# Paired: {result['treatment']} against {', '.join(row['baseline'] for row in result['rows'])}", "",
             f"What is tested: {label}. Figure: {figure} on the test items, {result['treatment']} minus each other group, "
             "pair by pair (same split seed and test fold: the same test items); the interval is the 95 % t interval "
             "of the mean difference over pairs. Every number is read from the committed summaries; no test item was "
             "scored again.", "", f"Data: {result['data']}", "",
             f"| against | pairs | {result['treatment']} | other | difference [95 % interval] | per pair | outcome "
             "(treatment higher?) | collapsed pairs |", "|---|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        per_pair = ", ".join(f"{_fmt(p['difference'])}{'*' if p['collapsed'] else ''}" for p in row["pairs"])
        lines.append(f"| {row['baseline']} | {row['difference']['n']} | {_fmt(row['treatment_mean'])} | "
                     f"{_fmt(row['baseline_mean'])} | {_interval_text(row['difference'])} | {per_pair or '-'} | "
                     f"{row['outcome']} | {row['collapsed_pairs']} |")
    boots = [(row["baseline"], row["bootstrap"]) for row in result["rows"] if row.get("bootstrap")]
    if boots:
        lines += [""] + [f"95% bootstrap interval of the mean paired difference against {name} over test items "
                         f"({b['resamples']} resamples; each pair's shared test items drawn with replacement, the same "
                         f"draw for both arms; items per pair {', '.join(map(str, b['items']))}): "
                         f"[{_fmt(b['low'])}, {_fmt(b['high'])}]." for name, b in boots]
    lines += ["", "`*`: a pair in which at least one run's predictions collapsed (see its run report); it is kept in "
              "the mean and counted in the last column."]
    unpaired = sorted({name for row in result["rows"] for name in row["unpaired"]})
    if unpaired:
        lines += ["", "Runs without a partner on the same split (not used): " + ", ".join(unpaired)]
    lines += ["", "## Command", "", "```", result["command"], "```", ""]
    return write_text(Path(report_dir) / "report.md", "\n".join(lines) + "\n")



# --- GAN augmentation (issue 22) -------------------------------------------------------------------

def protocol_name(protocol: str | None) -> str | None:
    """A protocol as reports print it: the leaky protocol always with its label."""
    return LEAKY_LABEL if protocol == "leaky" else protocol


def write_gan_report(config: dict, quality: dict, report_dir: Path) -> Path:
    """``report.md`` of a GAN run (``train.py --model gan``): data, the crop deviation, training, the quality
    figures of the kept generator beside what real crops score, the per-epoch table and pictures."""
    figures, training = quality["figures"], config["training"]
    history = quality.get("per_epoch") or {}
    condition = config["condition"]
    fidelity = "mean CCC (valence, arousal)" if condition == "va" else "quadrant accuracy"
    lines = [f"# Conditional GAN on {config['dataset_name']} ({condition})", "",
             f"- Data: {config['description']}; split seed {training['seed']}: trained on the "
             f"{config['n_items']['train']} TRAINING songs only; the {config['n_items']['validation']} validation songs "
             f"serve the quality figures and the choice of epoch; the {config['n_items']['test']} test songs are never read.",
             f"- **Deviation from the {config['input_shape'][0]}-frame input:** {config['crop']['deviation']}.",
             f"- Objective {training['objective']} loss with spectral normalisation in the critic (projection "
             f"discriminator), conditioned on {'continuous valence/arousal' if condition == 'va' else 'the quadrant class'}; "
             f"generator Adam {training['generator_optimizer']}, critic Adam {training['critic_optimizer']}; batch "
             f"{training['batch_size']}, {training['steps_per_epoch']} steps per epoch, {config['epochs_run']} epochs.",
             f"- Parameters: generator {_fmt(config['generator_parameters'])}, critic {_fmt(config['critic_parameters'])}; "
             f"training {_fmt(config.get('train_seconds'), 0)} s ({_fmt(config.get('seconds_per_epoch'), 1)} s per epoch, "
             f"quality figures included) on backend {config.get('backend')}, "
             f"{config.get('versions', {}).get('machine', '?')}; peak memory {_fmt(config.get('peak_rss_mib'), 0)} MiB.",
             "", "## Quality of the kept generator", "",
             f"Generator of epoch {quality['selected_epoch']} ({quality['selected_by']}). Generated crops: "
             f"{config['quality_config']['generated']}, labels drawn from the training songs' labels, fixed noise.", "",
             "| figure | generated crops | real validation crops (reference) |", "|---|---|---|",
             f"| Frechet distance to the validation crops ({quality['embedding']}) | {_fmt(figures['frechet'])} | "
             f"{_fmt(figures['frechet_real'])} (training crops) |",
             f"| label fidelity: crop CNN's {fidelity} against the conditioning label | {_fmt(figures['fidelity'])} | "
             f"{_fmt(figures['fidelity_real'])} |",
             f"| median distance to the nearest training crop (RMS per pooled cell, standardised units) | "
             f"{_fmt(figures['nearest_median'])} | {_fmt(figures['nearest_median_real'])} |",
             f"| share nearer than the 1st percentile of real validation crops (near copies) | "
             f"{_fmt(figures['near_copies'])} | 0.01 by construction |", "",
             "What these are not: the Frechet distance is not FID (another embedding, a few hundred crops), so it "
             "compares runs of this project only; label fidelity is read by a small crop CNN that reads real crops only as "
             "well as the right column says (a generator can beat that figure by exaggerating what the CNN keys on, "
             "which is not realism); nearest-neighbour distances are on crops cut "
             f"every {config['quality_config']['reference_stride']} frames of the training songs, so a copy shifted "
             "between those cuts is found less near.", "", "## Per epoch", "",
             "| epoch | critic loss | generator loss | Frechet | fidelity | near copies | seconds |",
             "|---|---|---|---|---|---|---|"]
    for k, epoch in enumerate(history.get("epoch", [])):
        cells = [_fmt(history[name][k]) if name in history else "-"
                 for name in ("critic_loss", "generator_loss", "frechet", "fidelity", "near_copies")]
        lines.append(f"| {int(epoch) + 1} | " + " | ".join(cells) + f" | {_fmt(history['seconds'][k], 0)} |")
    lines += ["", "![quality per epoch](quality_curves.png)", "",
              f"Real against generated crops per {'V-A region' if condition == 'va' else 'quadrant'}, kept epoch: "
              f"![grid](grid-epoch-{quality['selected_epoch']:02d}.png)", "",
              "## Command", "", "```", config["command"], "```", ""]
    return write_text(Path(report_dir) / "report.md", "\n".join(lines))


def augmentation_lines(config: dict) -> list[str]:
    """Runs of a model on crops (vit_gan): the crop deviation, the generated crops and their GAN run, (leaky) what
    leaked, (``--synthetic-only``) that no real crop was trained on."""
    if config.get("synthetic_ratio") is None and not config.get("synthetic_only"):
        return []
    lines = [f"- **Deviation from the {config['input_shape'][0]}-frame input:** {config['crop']['deviation']}."]
    synthetic, gan = config.get("synthetic") or {}, config.get("gan_run") or {}
    if config.get("protocol") == "leaky":
        leak = config["leaky"]
        lines += [f"- **Protocol {LEAKY_LABEL}.** {leak['crops_per_song']} crops of every song (test songs included) "
                  f"and {leak['generated_crops']} generated crops ({leak['labels']}) were pooled and standardised "
                  f"({leak['scaler']}) before a random crop-level split: {leak['test_songs_with_a_crop_in_training']} "
                  f"test songs have crops in the training part ({leak['test_song_crops_in_training_part']} crops), and "
                  f"{leak['generated_in_test_part']} generated crops are in its test part. The test figures below are "
                  "on the song split's test songs, whole clips, whose crops were partly trained on."]
        if config.get("leaky_test"):
            scores = {k: v for k, v in config["leaky_test"].items() if k in ("r2", "ccc", "quadrant_accuracy")}
            text = ", ".join(f"{k} {_fmt(v['mean'] if isinstance(v, dict) else v)}" for k, v in scores.items())
            lines.append(f"- The random test part of the pool itself ({config['leaky_test']['n_crops']} crops, each scored "
                         f"alone), as a leaky study would report it: {text}.")
    elif config.get("synthetic_only"):
        lines.append(f"- **TSTR:** {TSTR_LABEL}: {synthetic.get('generated_crops')} generated crops "
                     f"in every epoch ({synthetic.get('labels')}), as many as the real crops an epoch of R = 0 holds, "
                     f"from the generator of epoch {gan.get('selected_epoch')} of the GAN run `{gan.get('path')}`; no crop "
                     "of a real training song was trained on (the scaler is fitted on their frames). Validation and test "
                     "are real held-out songs. Not judged against a claim: it measures how much of the real songs' "
                     "signal the generated crops carry.")
    elif config["synthetic_ratio"] == 0:
        backbone = (config.get("crop") or {}).get("backbone", "vit")
        name = {"vit": "ViT", "crnn": "CRNN"}.get(backbone, backbone)
        claim = ("not judged against the ViT + GAN claim" if backbone == "vit" else
                 "the documents make no claim about it; the ViT + GAN claim is about augmentation itself")
        lines.append(f"- No generated crops (R = 0): the same {name} on the same crops, the control arm of the GAN "
                     f"augmentation experiment ({claim}).")
    else:
        lines.append(f"- Training items: one fresh random crop of each of the {synthetic.get('real_songs')} training songs "
                     f"per epoch plus {synthetic.get('generated_crops')} generated crops (R = {config['synthetic_ratio']:g}; "
                     f"{synthetic.get('labels')}), from the generator of epoch {gan.get('selected_epoch')} of the GAN run "
                     f"`{gan.get('path')}`; {synthetic.get('note', '')}.")
    if config.get("leak_guard"):
        lines.append(f"- Leak guard: {config['leak_guard']}.")
    return lines


# --- the validation report (issue 24) -------------------------------------------------------------

def write_validation_report(result: dict, out: Path) -> dict:
    """``out`` (Markdown), its HTML twin ``<stem>.html`` beside it (one file: CSS and plots inline) and the plots
    and ``claims.json`` in ``<stem>/`` (e.g. reports/VALIDATION.md, reports/validation.html, reports/validation/);
    ``result`` from :func:`mer_keras.evaluation.evidence.gather`."""
    from mer_keras.evaluation import validation_page as page
    from mer_keras.runs import write_json

    out = Path(out)
    plot_dir = out.parent / out.stem.lower()
    images = page.draw_plots(result, plot_dir, relative_to=out.parent)
    doc = page.build_document(result, images)
    markdown = write_text(out, page.markdown(doc))
    data = {name: page.encode_png(out.parent / image["file"]) for name, image in images.items() if image.get("file")}
    html = write_text(out.with_name(out.stem.lower() + ".html"), page.html_page(doc, data))
    plain = result | {"predictions": [{k: v for k, v in p.items() if k not in ("true", "pred")} for p in result["predictions"]]}
    write_json(plot_dir / "claims.json", plain)
    return {"markdown": markdown, "html": html, "plots": [out.parent / i["file"] for i in images.values() if i.get("file")],
            "rows": [row["id"] for row in result["rows"]]}
