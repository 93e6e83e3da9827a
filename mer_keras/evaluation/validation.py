"""What each protocol did on VALIDATION items (never test): the figures that decide between training
settings. ``python -m mer_keras.evaluation.validation RUN [RUN ...] --out reports/protocol-selection``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mer_keras.data.registry import load_dataset
from mer_keras.data.targets import OUTPUTS, decode_predictions, encode_targets
from mer_keras.evaluation.collapse import regression_collapse
from mer_keras.evaluation.format import fmt
from mer_keras.evaluation.metrics import quadrant_metrics, regression_metrics
from mer_keras.features.cache import FeatureCache
from mer_keras.inference import predict_run_items
from mer_keras.runs import RunDir, write_json, write_text


def validation_figures(run_path: Path, cache: str | None = None) -> dict:
    """The run's model on its own validation part: mean R², mean CCC, spread ratios (va) or quadrant
    accuracy (quadrant), with the protocol, best epoch and epochs run."""
    run = RunDir(run_path)
    config = run.read_config()
    split = run.read_split()
    dataset = load_dataset(config["data"])
    by_id = dataset.by_id()
    items = [by_id[i] for i in split["validation"] if i in by_id]
    kept, outputs, _ = predict_run_items(run, config, items, cache=FeatureCache(cache), workers=1)
    ablations = config.get("ablations") or []
    row = {"run": run.path.name, "protocol": config.get("protocol", "documented"), "seed": split["seed"],
           "setting": config.get("protocol", "documented") + "".join(f" -{name}" for name in ablations)
           + _added_choices(config) + _crop_setting(config)
           + (f" @{round(100 * split['train_fraction'])}% of training songs" if split.get("train_fraction", 1.0) < 1.0 else ""),
           "train_fraction": split.get("train_fraction", 1.0), "n_train": len(split["train"]),
           "ablations": ablations, "validation_fold": split.get("validation_fold"), "test_fold": split.get("test_fold"),
           "n_validation": len(kept), "best_epoch": config.get("best_epoch"), "epochs_run": config.get("epochs_run"),
           "train_seconds": config.get("train_seconds"), "task": dataset.task}
    if dataset.task == "va":
        true = np.array([[item.labels[d] for d in OUTPUTS] for item in kept])
        pred = np.array([[p[d] for d in OUTPUTS] for p in decode_predictions(outputs, "va")])
        figures = regression_metrics(true, pred)
        row |= {"r2": figures["r2"]["mean"], "ccc": figures["ccc"]["mean"],
                "spread_ratio": regression_collapse(true, pred)["spread_ratio"]}
    elif dataset.task == "quadrant":
        decoded = decode_predictions(outputs, "quadrant")
        row["quadrant_accuracy"] = quadrant_metrics([i.labels["quadrant"] for i in kept], [p["quadrant"] for p in decoded],
                                                    encode_targets(kept, "quadrant"), outputs)["quadrant_accuracy"]
    elif dataset.task == "emotion":
        true, pred = encode_targets(kept, "emotion"), np.asarray(outputs).argmax(axis=1)
        recalls = [float(np.mean(pred[true == k] == k)) for k in np.unique(true)]
        row |= {"accuracy": float(np.mean(pred == true)), "uar": float(np.mean(recalls))}
    return row


def _added_choices(config: dict) -> str:
    """`` +NAME`` for each switchable choice a run trained with that its protocol does not make (a candidate
    setting measured before it is adopted), e.g. ``utterance_norm``."""
    from mer_keras.specs import ABLATIONS, protocol_settings

    protocol, training = config.get("protocol", "documented"), config.get("training") or {}
    try:
        settings = protocol_settings(protocol, config["model"])
    except Exception:           # an unknown protocol or model in an old run: nothing to compare with
        return ""
    added = "".join(f" +{name}" for name in ABLATIONS if training.get(name) and not settings.get(name))
    # a budget set on the command line (--epochs / --patience) against the protocol's own, e.g. "epochs=80"
    for key in ("epochs", "patience"):
        if settings.get(key) is not None and training.get(key) is not None and training[key] != settings[key]:
            added += f" {key}={training[key]}"
    return added


def _crop_setting(config: dict) -> str:
    """`` R=<ratio>`` for a model trained on real plus generated crops (vit_gan, crnn_gan), `` TSTR`` for one
    trained on generated crops only: the settings an R is chosen between on validation songs (issue 22)."""
    if config.get("synthetic_only"):
        return " TSTR"
    ratio = config.get("synthetic_ratio")
    return f" R={ratio:g}" if ratio is not None else ""


def _mean_sd(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{fmt(float(np.mean(values)))} ± {fmt(float(np.std(values, ddof=1)) if len(values) > 1 else 0.0)}"


def _data_size_lines(rows: list[dict], figures: list[str], out: Path) -> list[str]:
    """A learning curve over training-set size, where runs of one setting differ only in their share of
    the training songs (``--train-fraction``): table and ``data_size_curve.png``."""
    from mer_keras.evaluation.plots import data_size_curve

    base = lambda r: r["setting"].split(" @")[0]  # noqa: E731
    series = {name: [r for r in rows if base(r) == name] for name in sorted({base(r) for r in rows})}
    series = {name: group for name, group in series.items() if len({r.get("train_fraction", 1.0) for r in group}) > 1}
    if not series or not figures:
        return []
    figure = "ccc" if "ccc" in figures else figures[0]
    lines = ["", "## Learning curve over training-set size", "",
             "The same setting trained on a seeded share of the training songs' groups (`--train-fraction`), "
             "scored on the same validation folds.", "",
             "| setting | share of training songs | training songs (mean) | runs | " + " | ".join(f"validation {f}" for f in figures) + " |",
             "|---|---|---|---|" + "---|" * len(figures)]
    for name, group in series.items():
        for fraction in sorted({r.get("train_fraction", 1.0) for r in group}):
            part = [r for r in group if r.get("train_fraction", 1.0) == fraction]
            lines.append(f"| {name} | {fraction:.0%} | {np.mean([r['n_train'] for r in part]):.0f} | {len(part)} | "
                         + " | ".join(_mean_sd([r[f] for r in part if f in r]) for f in figures) + " |")
    data_size_curve({name: [(r["n_train"], r[figure]) for r in group] for name, group in series.items()},
                    out / "data_size_curve.png", "validation figure against training-set size", f"validation {figure}")
    return lines + ["", "![learning curve over training-set size](data_size_curve.png)"]


def earlier_rows(path: Path) -> tuple[list[dict], list[str]]:
    """The validation rows and command(s) of an earlier report's ``metrics.json`` (rows measured then, not
    scored again): lets a report grow with new runs when the earlier run folders are gone."""
    import json

    from mer_keras.errors import RunError

    path = Path(path)
    if path.is_dir():
        path = path / "metrics.json"
    try:
        data = json.loads(path.read_text())
        rows = data["runs"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RunError(f"{path}: not a validation report's metrics.json ({error}); pass the metrics.json written by "
                       "python -m mer_keras.evaluation.validation") from None
    return rows, list(data.get("commands") or [data["command"]])


def write_validation_report(rows: list[dict], out: Path, command: str, earlier_commands: list[str] = ()) -> Path:
    """Per run and per setting (a protocol, less any ablated choice; mean ± sd over seeds or validation
    folds) validation figures, as report.md and metrics.json. Where the runs of a setting pair with tuned
    runs (same seed and validation fold), the mean paired difference to tuned is given too."""
    out = Path(out)
    figures = [f for f in ("r2", "ccc", "quadrant_accuracy", "accuracy", "uar") if any(f in r for r in rows)]
    for r in rows:
        r.setdefault("setting", r["protocol"])
    lines = ["# Protocols on validation items (never test)", "",
             "Each run's model on its own validation part (grouped by artist or speaker, drawn from the training items), after "
             "training under its protocol. These are the figures that decide between training settings; the test "
             "songs are scored once, by evaluate.py, in the runs' own reports.", "",
             "A setting `tuned -NAME` is the tuned protocol with one choice turned off (`train.py --ablate NAME`); "
             "runs with a validation fold K/N validate on fold K of a grouped N-fold partition of the training "
             "songs (`--validation-fold K/N`), the test songs being the seed's own and untouched.", "",
             "| setting | runs | " + " | ".join(f"validation {f} (mean ± sd)" for f in figures)
             + " | " + " | ".join(f"{f} minus tuned, paired (mean ± sd)" for f in figures)
             + " | best epoch / epochs run |",
             "|---|---|" + "---|" * (2 * len(figures)) + "---|"]
    pair_key = lambda r: (r["seed"], tuple(r.get("validation_fold") or ()), tuple(r.get("test_fold") or ()))  # noqa: E731
    tuned = {pair_key(r): r for r in rows if r["setting"] == "tuned"}
    summary = {}
    for setting in sorted({r["setting"] for r in rows}, key=lambda s: (s != "documented", s != "tuned", s)):
        group = [r for r in rows if r["setting"] == setting]
        cells, deltas, summary[setting] = [], [], {"runs": len(group)}
        for f in figures:
            values = [r[f] for r in group if f in r]
            cells.append(_mean_sd(values))
            paired = [r[f] - tuned[pair_key(r)][f] for r in group
                      if setting != "tuned" and f in r and pair_key(r) in tuned and f in tuned[pair_key(r)]]
            deltas.append(_mean_sd(paired) + f" (n={len(paired)})" if paired else "-")
            summary[setting][f] = {"mean": float(np.mean(values)) if values else None,
                                   "minus_tuned": [float(v) for v in paired]}
        epochs = ", ".join(f"{r['best_epoch']}/{r['epochs_run']}" for r in group)
        lines.append(f"| {setting} | {len(group)} | " + " | ".join(cells) + " | " + " | ".join(deltas) + f" | {epochs} |")
    lines += _data_size_lines(rows, figures, out)
    spreads = any(r.get("spread_ratio") for r in rows)
    lines += ["", "| run | setting | seed | validation fold | test fold | n | " + " | ".join(figures)
              + (" | spread ratio (valence, arousal) |" if spreads else " |"),
              "|---|---|---|---|---|---|" + "---|" * len(figures) + ("---|" if spreads else "")]
    for r in rows:
        spread = r.get("spread_ratio")
        fold = "/".join(str(v) for v in r["validation_fold"]) if r.get("validation_fold") else "-"
        test_fold = "/".join(str(v) for v in r["test_fold"]) if r.get("test_fold") else "-"
        lines.append(f"| {r['run']} | {r['setting']} | {r['seed']} | {fold} | {test_fold} | {r['n_validation']} | "
                     + " | ".join(fmt(r.get(f)) for f in figures)
                     + ((f" | {fmt(spread['valence'], 2) + ', ' + fmt(spread['arousal'], 2) if spread else '-'} |")
                        if spreads else " |"))
    commands = [*earlier_commands, command]
    lines += ["", "## Commands" if len(commands) > 1 else "## Command", ""]
    if earlier_commands:
        lines += ["Rows of runs scored by an earlier command are read from that report's metrics.json (`--include`), "
                  "not scored again; the commands below wrote them, in order.", ""]
    lines += ["```", *commands, "```", ""]
    write_json(out / "metrics.json", {"runs": rows, "settings": summary, "command": command, "commands": commands})
    return write_text(out / "report.md", "\n".join(lines))


def main(argv=None) -> int:
    from mer_keras.errors import exit_status

    parser = argparse.ArgumentParser(prog="python -m mer_keras.evaluation.validation",
                                     description="Score runs on their own validation items (never test).")
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--out", required=True, help="report folder")
    parser.add_argument("--include", action="append", default=[], metavar="REPORT",
                        help="an earlier validation report (folder or its metrics.json) whose rows to keep; "
                             "a run scored now replaces its earlier row")
    parser.add_argument("--cache")
    args = parser.parse_args(argv)
    command = "python -m mer_keras.evaluation.validation " + " ".join(sys.argv[1:] if argv is None else argv)
    def run() -> None:
        rows = [validation_figures(Path(path), args.cache) for path in args.runs]
        earlier, commands = [], []
        for report in args.include:
            more, more_commands = earlier_rows(Path(report))
            earlier += more
            commands += [c for c in more_commands if c not in commands]
        fresh = {row["run"] for row in rows}
        rows = [row for row in earlier if row["run"] not in fresh] + rows
        print(f"wrote {write_validation_report(rows, Path(args.out), command, commands)}", file=sys.stderr)

    return exit_status(run)


if __name__ == "__main__":
    raise SystemExit(main())
