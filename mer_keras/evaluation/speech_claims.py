"""A verdict per claim of the speech design note (seed 004), from committed speaker-fold reports.

Inputs are summary report folders written by ``evaluate.py`` over the runs of one model and protocol
(one run per test fold of a speaker-independent k-fold): the in-corpus folders, the cross-corpus folders
(the same runs scored on another corpus with ``evaluate.py RUN --data DIR``) and the classic yardsticks.
No test item is scored again: every figure is read from the runs' ``metrics.json``.

Each claim of ``specs/estimates.yaml`` (``speech_note_claims``) is judged per protocol, the CNN-LSTM
against the attention CRNN trained the same way on the same folds. A paired figure (CNN-LSTM minus
attention CRNN, fold by fold) gets a t interval over the folds; the claim ``holds`` when the interval
lies on the claimed side of 0, ``does not hold`` when it lies on the other side, and is ``inconclusive``
when it contains 0. The documented protocol gives the note's verdicts; the tuned one is shown beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mer_keras.errors import RunError
from mer_keras.evaluation.paired import load_runs, paired_outcome, t_interval  # noqa: F401 (re-exported)

PAIR = ("cnn_lstm", "attn_crnn")


def fold_outcome(per_fold: list[str | None]) -> str:
    """One outcome from per-fold verdicts: the common one when every fold agrees, else ``mixed (...)``."""
    known = [v for v in per_fold if v]
    if not known:
        return "not measured"
    if len(set(known)) == 1:
        return f"{known[0]} (every fold)" if len(known) > 1 else known[0]
    return "mixed (" + ", ".join(f"{known.count(v)} {v}" for v in sorted(set(known))) + ")"


def load_group(folder: Path) -> dict:
    """One summary folder of emotion runs (:func:`mer_keras.evaluation.paired.load_runs`)."""
    group = load_runs(folder)
    if group["task"] != "emotion":
        raise RunError(f"{folder}: a {group['task']} report; the speech claims need emotion runs")
    return group


def _fold(metrics: dict) -> int | None:
    fold = (metrics.get("split") or {}).get("test_fold")
    return int(fold[0]) if fold else None


def _best_epoch(metrics: dict):
    return (metrics.get("training") or {}).get("best_epoch")


def _seconds_to_best(metrics: dict):
    res, best = metrics.get("resources") or {}, _best_epoch(metrics)
    if not best or not res.get("train_seconds") or not res.get("epochs_run"):
        return None
    return res["train_seconds"] / res["epochs_run"] * best


def _recall_spread(metrics: dict):
    recall = [v for v in (metrics.get("recall") or {}).values() if v is not None]
    return float(np.std(recall)) if recall else None


FIGURES = {
    "accuracy": lambda m: m.get("accuracy"),
    "uar": lambda m: m.get("uar"),
    "macro_f1": lambda m: m.get("macro_f1"),
    "best_epoch": _best_epoch,
    "seconds_to_best": _seconds_to_best,
    "train_seconds": lambda m: (m.get("resources") or {}).get("train_seconds"),
    "seconds_per_epoch": lambda m: (m.get("resources") or {}).get("seconds_per_epoch"),
    "parameters": lambda m: (m.get("resources") or {}).get("parameters"),
    "peak_rss_mib": lambda m: (m.get("resources") or {}).get("peak_rss_mib"),
    "recall_spread": _recall_spread,
    "train_fit": lambda m: (m.get("fit") or {}).get("train") if (m.get("fit") or {}).get("figure") == "accuracy" else None,
    "validation_fit": lambda m: (m.get("fit") or {}).get("validation") if (m.get("fit") or {}).get("figure") == "accuracy" else None,
}

# Training accuracy (selected epoch) within this margin of the validation accuracy: the model does not fit its
# training clips better than clips of unseen speakers (underfits); a gap above OVERFIT_GAP: it overfits.
UNDERFIT_GAP, OVERFIT_GAP = 0.05, 0.15


def fit_diagnosis(row: dict, yardstick: dict | None) -> dict | None:
    """Why a deep model stays below the best classic yardstick, from its training fit (``train_fit``: training
    accuracy at the selected epoch; ``validation_fit``: validation accuracy there), or None without fit figures.

    Returns ``{"model", "protocol", "accuracy", "train", "validation", "yardstick", "yardstick_accuracy",
    "diagnosis", "sentence"}``; ``diagnosis`` is ``underfits``, ``overfits`` or ``neither clearly``."""
    train, val = row.get("train_fit") or {}, row.get("validation_fit") or {}
    if train.get("mean") is None or val.get("mean") is None:
        return None
    gap = train["mean"] - val["mean"]
    stick = (yardstick or {}).get("accuracy", {}).get("mean")
    diagnosis = "underfits" if gap < UNDERFIT_GAP else "overfits" if gap > OVERFIT_GAP else "neither clearly"
    said = {"underfits": "it underfits: its accuracy on its own (augmented) training clips is no better than on the "
                         "validation speakers' clips, so more epochs, capacity or a gentler regulariser are the levers "
                         "to try, not more regularisation",
            "overfits": "it overfits: it fits its training clips far better than unseen speakers' clips, so more "
                        "speakers or stronger regularisation are the levers",
            "neither clearly": "neither a clear underfit nor a clear overfit"}[diagnosis]
    below = (f"; even its training accuracy is below the yardstick's test accuracy ({stick:.3f}, {yardstick['label']})"
             if stick is not None and train["mean"] < stick else "")
    sentence = (f"{row['model']} ({row['protocol'] or 'documented'}): test accuracy {row['accuracy']['mean']:.3f}; "
                f"at the selected epoch, training accuracy {train['mean']:.3f} against validation {val['mean']:.3f} "
                f"(mean over {train['n']} folds): {said}{below}.")
    return {"model": row["model"], "protocol": row["protocol"], "accuracy": row["accuracy"]["mean"], "train": train["mean"],
            "validation": val["mean"], "yardstick": (yardstick or {}).get("label"), "yardstick_accuracy": stick,
            "diagnosis": diagnosis, "sentence": sentence}


def group_row(group: dict) -> dict:
    """Per-fold figures and their t intervals for one model and protocol, plus the collapsed folds."""
    by_fold = {_fold(m): m for m in group["runs"]}
    row = {"model": group["model"], "protocol": group["protocol"], "folder": str(group["folder"]),
           "label": Path(group["folder"]).name,
           "dataset": group["dataset"], "evaluated_on": group["evaluated_on"], "folds": sorted(k for k in by_fold if k is not None),
           "collapsed": [m["run"] for m in group["runs"] if (m.get("collapse") or {}).get("flagged")]}
    for name, get in FIGURES.items():
        row[name] = t_interval([get(m) for m in group["runs"]])
    recall = [m.get("recall") or {} for m in group["runs"]]
    classes = list(recall[0]) if recall and recall[0] else []
    row["recall"] = {c: float(np.mean([r[c] for r in recall if r.get(c) is not None])) for c in classes}
    return row


def paired(a: dict, b: dict, figure: str) -> dict:
    """``figure`` of group ``a`` minus group ``b``, fold by fold (folds both have), with its t interval."""
    fa, fb = ({_fold(m): FIGURES[figure](m) for m in g["runs"]} for g in (a, b))
    folds = sorted(k for k in fa if k in fb and fa[k] is not None and fb[k] is not None)
    return t_interval([fa[k] - fb[k] for k in folds]) | {"folds": folds}


def cross_drop(in_corpus: dict, cross: dict) -> dict:
    """In-corpus minus cross-corpus accuracy of the same runs (matched by run name), with its interval, the
    runs matched and the drop per test fold (``by_fold``: fold -> drop)."""
    inside = {m["run"]: m for m in in_corpus["runs"]}
    drops = {m["run"]: (inside[m["run"]]["accuracy"] - m["accuracy"], _fold(inside[m["run"]]))
             for m in cross["runs"] if (inside.get(m["run"]) or {}).get("accuracy") is not None}
    return t_interval([drop for drop, _ in drops.values()]) | {
        "runs": sorted(drops), "by_fold": {fold: drop for drop, fold in drops.values()}}


def _claims(cnn: dict, attn: dict, rows: dict, cross: dict, estimates: dict) -> list[dict]:
    """Verdict rows for one protocol: the CNN-LSTM (``cnn``) against the attention CRNN (``attn``)."""
    out = []
    for model, group in ((PAIR[0], cnn), (PAIR[1], attn)):
        claim = next((c for c in estimates.get("claims", {}).get(model, []) if c["metric"] == "accuracy"), None)
        if claim:
            from mer_keras.evaluation.verdict import judge

            acc = rows[model]["accuracy"]
            per_fold = [judge(claim, m["bootstrap"]["accuracy"]["low"], m["bootstrap"]["accuracy"]["high"])
                        if (m.get("bootstrap") or {}).get("accuracy") else None for m in group["runs"]]
            out.append({"claim": f"{model} accuracy {claim.get('band') or claim['value']} on 6 classes",
                        "where": claim["where"], "figure": "accuracy: mean over speaker folds; each fold's claim vs its "
                        "95% bootstrap interval over test clips", "measured": acc,
                        "outcome": fold_outcome(per_fold), "per_fold": per_fold})
    specs = {c["id"]: c for c in estimates.get("speech_note_claims", [])}

    def add(claim_id: str, figure: str, interval: dict, outcome: str, note: str = ""):
        claim = specs.get(claim_id, {"claim": claim_id, "where": "seed 004"})
        out.append({"claim": claim["claim"], "where": claim["where"], "figure": figure, "measured": interval,
                    "outcome": outcome, "note": note})

    diff = paired(cnn, attn, "accuracy")
    add("higher_accuracy", "accuracy, CNN-LSTM minus attention CRNN (paired by fold)", diff, paired_outcome(diff, +1))
    diff = paired(cnn, attn, "best_epoch")
    add("faster_convergence", "epoch of the best validation score, CNN-LSTM minus attention CRNN", diff,
        paired_outcome(diff, -1))
    worst = {model: min(rows[model]["accuracy"]["values"]) if rows[model]["accuracy"]["values"] else None for model in PAIR}
    spread = {model: rows[model]["accuracy"]["sd"] for model in PAIR}
    outcome = ("holds" if worst[PAIR[0]] > worst[PAIR[1]] and spread[PAIR[0]] <= spread[PAIR[1]] else
               "does not hold" if worst[PAIR[0]] < worst[PAIR[1]] and spread[PAIR[0]] > spread[PAIR[1]] else "mixed")
    add("speaker_generalisation", "worst speaker fold's accuracy and sd over speaker folds",
        {"worst_fold": worst, "sd_over_folds": spread}, outcome,
        "descriptive (a few speaker folds give no interval): holds when the CNN-LSTM's worst fold is higher and its "
        "spread no wider")
    if cross.get(PAIR[0]) and cross.get(PAIR[1]):
        drops = {model: cross_drop({"runs": grp["runs"]}, cross[model]) for model, grp in ((PAIR[0], cnn), (PAIR[1], attn))}
        fold_drop = {model: drops[model]["by_fold"] for model in PAIR}
        folds = sorted(k for k in fold_drop[PAIR[0]] if k is not None and k in fold_drop[PAIR[1]])
        diff = t_interval([fold_drop[PAIR[0]][k] - fold_drop[PAIR[1]][k] for k in folds]) | {"folds": folds}
        flagged = {m: sum(bool((r.get("collapse") or {}).get("flagged")) for r in cross[m]["runs"]) for m in PAIR}
        accuracy = {m: t_interval([r.get("accuracy") for r in cross[m]["runs"]])["mean"] for m in PAIR}
        note = ""
        if any(flagged.values()):
            note = ("cross-corpus runs collapsed (" + ", ".join(f"{m} {flagged[m]} of {len(cross[m]['runs'])}" for m in PAIR)
                    + "; accuracy on the other corpus " + ", ".join(f"{m} {accuracy[m]:.3f}" for m in PAIR)
                    + "): where both fall to chance there, a smaller drop mostly means less was learned in-corpus")
        add("corpus_generalisation", "cross-corpus accuracy drop, CNN-LSTM minus attention CRNN (paired by fold)",
            diff | {"drops": {m: {k: drops[m][k] for k in ("mean", "low", "high")} for m in PAIR},
                    "cross_accuracy": accuracy, "cross_collapsed": flagged},
            paired_outcome(diff, -1), note)
    else:
        add("corpus_generalisation", "cross-corpus accuracy drop", {}, "not measured",
            "no cross-corpus report of both models under this protocol was given")
    params = {model: int(rows[model]["parameters"]["mean"]) for model in PAIR}
    add("smaller", "parameters", params, "holds" if params[PAIR[0]] < params[PAIR[1]] else "does not hold")
    diff = paired(cnn, attn, "peak_rss_mib")
    add("less_memory", "peak training memory (MiB, process RSS), CNN-LSTM minus attention CRNN", diff,
        paired_outcome(diff, -1), "CPU process memory, not GPU memory; includes the inputs held in memory")
    ratio = [a / c for a, c in zip(*(sorted_values(g, "train_seconds") for g in (attn, cnn))) if c]
    interval = t_interval(ratio)
    band = specs.get("faster_training", {}).get("ratio_band", [1.5, 4.0])
    outcome = ("inconclusive (one fold)" if interval["low"] is None else "holds" if interval["low"] >= band[0]
               else "does not hold" if interval["high"] < band[0] else "inconclusive")
    add("faster_training", f"training time ratio attention CRNN / CNN-LSTM (claimed {band[0]}-{band[1]})", interval,
        outcome, "wall time on a shared 2-core CPU; early stopping sets the number of epochs")
    recall = rows[PAIR[0]]["recall"]
    if recall:
        mean_recall = float(np.mean(list(recall.values())))
        strong = {c: recall.get(c) for c in ("happy", "angry")}
        outcome = "holds" if all(v is not None and v > mean_recall for v in strong.values()) else "does not hold"
        add("strong_happy_angry", "CNN-LSTM recall of happy and angry against its mean recall over classes",
            {"recall": strong, "mean_recall": mean_recall}, outcome)
    diff = paired(cnn, attn, "recall_spread")
    add("balanced_confusion", "sd of per-class recall, CNN-LSTM minus attention CRNN (paired by fold)", diff,
        paired_outcome(diff, -1))
    collapsed = {model: (len(rows[model]["collapsed"]), len(rows[model]["folds"])) for model in PAIR}
    note = "; ".join(f"{model} collapsed on {n} of {total} folds" for model, (n, total) in collapsed.items() if n)
    if note:
        for claim in out:
            # every figure that a model which did not learn distorts: accuracy-based ones, and the epoch / time of
            # the best validation score (early stopping ends a collapsed run within a few epochs)
            if claim["figure"].startswith(("accuracy", "worst", "cross-corpus", "CNN-LSTM recall", "sd of per-class",
                                           "epoch of the best", "training time ratio")):
                claim["note"] = "; ".join(filter(None, [claim.get("note"), f"judged against collapsed runs ({note}): "
                                                        "a model that did not learn says little about the claim"]))
    return out


def sorted_values(group: dict, figure: str) -> list:
    """``figure`` per run, in test-fold order (so that two groups over the same folds line up)."""
    return [FIGURES[figure](m) for m in sorted(group["runs"], key=lambda m: (_fold(m) is None, _fold(m) or 0))]


def judge_speech_claims(in_corpus: list[Path], cross: list[Path], yardsticks: list[Path], out: Path,
                        command: str) -> dict:
    """Verdicts per protocol, rows per model, yardsticks; writes ``metrics.json`` and ``report.md`` to ``out``."""
    from mer_keras.evaluation.report import write_speech_claims_report
    from mer_keras.runs import write_json
    from mer_keras.specs import load_spec

    estimates = load_spec("estimates")
    groups = [load_group(folder) for folder in in_corpus]
    crosses = [load_group(folder) for folder in cross]
    sticks = [load_group(folder) for folder in yardsticks]
    datasets = {g["dataset"] for g in groups}
    if len(datasets) > 1:
        raise RunError(f"in-corpus reports of different corpora {sorted(datasets)}: judge one corpus at a time")
    protocols = {}
    for g in groups:
        protocols.setdefault(g["protocol"] or "documented", {})[g["model"]] = g
    cross_by = {}
    for g in crosses:
        cross_by.setdefault(g["protocol"] or "documented", {})[g["model"]] = g
    result = {"dataset": groups[0]["dataset"] if groups else None, "data": groups[0]["data"] if groups else None,
              "command": command, "protocols": {}, "yardsticks": [group_row(g) for g in sticks]}
    for protocol, models in protocols.items():
        rows = {model: group_row(g) for model, g in models.items()}
        cross_rows = {model: group_row(g) | {"drop": cross_drop(models[model], g)}
                      for model, g in cross_by.get(protocol, {}).items() if model in models}
        entry = {"rows": rows, "cross": cross_rows, "claims": []}
        if all(model in models for model in PAIR):
            entry["claims"] = _claims(models[PAIR[0]], models[PAIR[1]], rows, cross_by.get(protocol, {}), estimates)
        result["protocols"][protocol] = entry
    best_stick = max(result["yardsticks"], key=lambda r: r["accuracy"]["mean"] or 0.0, default=None)
    result["fit"] = [d for entry in result["protocols"].values() for row in entry["rows"].values()
                     if (d := fit_diagnosis(row, best_stick)) and (best_stick is None or d["accuracy"] < (d["yardstick_accuracy"] or 0))]
    out = Path(out)
    write_json(out / "metrics.json", result)
    write_speech_claims_report(result, out)
    return result


def main(argv=None) -> int:
    import argparse
    import sys

    from mer_keras.errors import exit_status

    parser = argparse.ArgumentParser(prog="python -m mer_keras.evaluation.speech_claims",
                                     description="A verdict per claim of the speech design note from speaker-fold reports.")
    parser.add_argument("--in-corpus", nargs="+", required=True, metavar="DIR",
                        help="summary folders of fold runs (one model and protocol each), one corpus")
    parser.add_argument("--cross", nargs="*", default=[], metavar="DIR",
                        help="the same runs scored on another corpus (evaluate.py RUN --data DIR)")
    parser.add_argument("--yardsticks", nargs="*", default=[], metavar="DIR", help="classic models on the same folds")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    command = "python -m mer_keras.evaluation.speech_claims " + " ".join(sys.argv[1:] if argv is None else argv)
    status = exit_status(judge_speech_claims, args.in_corpus, args.cross, args.yardsticks, Path(args.out), command)
    if status == 0:
        print(f"wrote {Path(args.out) / 'report.md'}", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
