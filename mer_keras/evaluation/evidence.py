"""The validation report's content: every claim of both design documents (``specs/estimates.yaml``) beside
what the committed reports measured, judged by the rules of :mod:`mer_keras.evaluation.verdict`, with the
published peers (``specs/peers.yaml``), consistency checks of the claims themselves, the data of the plots
and generated sentences. Data only: :func:`mer_keras.evaluation.report.write_validation_report` writes it.

Every figure is read from a report folder's own ``metrics.json`` (and its runs' ``metrics.json`` /
``predictions.csv``), found by :func:`mer_keras.evaluation.leaderboard.report_metrics`; a report folder that
appears later is picked up by the next ``python evaluate.py --summary``. A claim is matched to report folders by
the folders' model, task, dataset, protocol, features and precision, never by name:

- the verdict comes from the **documented** protocol (classic models: their grouped grid search), real DEAM data
  before the 4Q-VA proxy, the model's default features (its registry row), float32, cross-validated folds
  before single splits, then the most runs; the **tuned** protocol on the same data is shown beside it, and every
  other matching folder is listed ("also measured");
- folders scored on another corpus, trained on label-swapped songs, or under the leaky protocol never give a
  verdict.

The 95% interval of a figure is the t interval over the folder's runs (seeds or speaker folds) where it has
several, else the run's bootstrap interval over test items.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mer_keras.evaluation import consistency
from mer_keras.evaluation import verdict as rules
from mer_keras.evaluation.leaderboard import protocol_of, report_metrics
from mer_keras.evaluation.paired import paired_outcome, paired_row, read_predictions, t_interval
from mer_keras.evaluation.validation_page import METRIC_NAMES, PUBLISHED
from mer_keras.errors import MerError
from mer_keras.specs import load_spec

VA_METRICS = ("r2", "ccc", "mse", "mae")
LOWER_IS_BETTER = {"mse", "mae"}
DOCUMENT_OF = {"seed 000": "study", "seed 004": "speech"}


# ----------------------------------------------------------------------------------------------
# report folders


@dataclass
class Group:
    """One report folder of runs of one model (a summary over seeds or folds, or a single run)."""

    folder: Path
    summary: dict
    runs: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def model(self) -> str:
        return self.summary["model"]

    @property
    def task(self) -> str:
        return self.summary.get("task") or (self.runs[0].get("task") if self.runs else None)

    @property
    def dataset(self) -> str:
        return self.summary.get("dataset")

    @property
    def protocol(self) -> str:
        run_protocol = self.runs[0].get("protocol") if self.runs else None
        return run_protocol or protocol_of(self.summary)

    @property
    def train_commands(self) -> list[str]:
        command = self.summary.get("command") or {}
        train = command.get("train") if isinstance(command, dict) else None
        if isinstance(train, str):
            return [train]
        return list(train or [m.get("command", {}).get("train") for m in self.runs if isinstance(m.get("command"), dict)])

    @property
    def evaluate_command(self) -> str:
        command = self.summary.get("command") or {}
        return command.get("evaluate", "") if isinstance(command, dict) else str(command)

    def option(self, name: str) -> str | None:
        """An option of the first train command (``--features``, ``--backbone``, ...), or None."""
        commands = [c for c in self.train_commands if c]
        if not commands:
            return None
        words = shlex.split(commands[0])
        for k, word in enumerate(words):
            if word == name and k + 1 < len(words):
                return words[k + 1]
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
        return None

    @property
    def features(self) -> str:
        from mer_keras.models.registry import MODELS, default_features

        chosen = self.option("--features")
        if chosen:
            return chosen
        return default_features(self.model) if self.model in MODELS else "?"

    @property
    def default_features(self) -> bool:
        from mer_keras.models.registry import MODELS, default_features

        return self.model not in MODELS or self.features == default_features(self.model)

    @property
    def precision(self) -> str:
        return ((self.runs[0].get("training") or {}).get("precision") if self.runs else None) or "float32"

    @property
    def evaluated_on(self) -> str | None:
        return self.runs[0].get("evaluated_on") if self.runs else None

    @property
    def swap_va(self) -> float | None:
        """The share of training songs whose valence and arousal were exchanged (``--swap-va-fraction``), or None."""
        recorded = (self.runs[0].get("label_corruption") or {}).get("swap_va_fraction") if self.runs else None
        value = recorded if recorded is not None else self.option("--swap-va-fraction")
        return float(value) if value not in (None, "") and float(value) > 0 else None

    @property
    def synthetic_ratio(self) -> float | None:
        value = self.summary.get("synthetic_ratio", self.runs[0].get("synthetic_ratio") if self.runs else None)
        return value if value is not None else (float(self.option("--synthetic-ratio")) if self.option("--synthetic-ratio") else None)

    @property
    def proxy_label(self) -> str | None:
        return self.summary.get("proxy_label") or (self.runs[0].get("proxy_label") if self.runs else None)

    @property
    def test_folds(self) -> list | None:
        return self.summary.get("test_folds") or None

    @property
    def collapsed(self) -> list[str]:
        if "collapsed_runs" in self.summary:
            return list(self.summary["collapsed_runs"] or [])
        return [m.get("run", self.name) for m in self.runs if (m.get("collapse") or {}).get("flagged")]

    @property
    def seeds(self) -> list:
        return [(m.get("split") or {}).get("seed") for m in self.runs]

    @property
    def n_items(self) -> list[int]:
        return sorted({int(m["n_test"]) for m in self.runs if m.get("n_test") is not None})

    @property
    def synthetic_only(self) -> bool:
        """Trained on generated crops only (train on synthetic, test on real): measures the generator."""
        return bool(self.summary.get("synthetic_only", self.runs[0].get("synthetic_only") if self.runs else False)
                    or any("--synthetic-only" in shlex.split(c) for c in self.train_commands if c))

    @property
    def usable_for_verdict(self) -> bool:
        return (not self.evaluated_on and self.swap_va is None and self.protocol != "leaky"
                and not self.synthetic_only)

    def report_link(self) -> str:
        target = self.folder / "report.md"
        return f"{self.name}/{'report.md' if target.is_file() else 'metrics.json'}"


def load_groups(root: Path) -> tuple[list[Group], dict[str, dict]]:
    """The report folders of runs (``Group``) under ``root`` and every other report folder's metrics by name
    (side-by-side comparisons, speech verdicts, paired differences, selections)."""
    groups, others = [], {}
    for folder, metrics in report_metrics(root):
        if "model" in metrics and "task" in metrics:
            names = metrics.get("runs") if isinstance(metrics.get("runs"), list) else None
            if names and all(isinstance(n, str) for n in names):
                runs = [json.loads((folder / n / "metrics.json").read_text()) for n in names
                        if (folder / n / "metrics.json").is_file()]
            else:
                runs = [metrics]
            if runs:
                groups.append(Group(folder, metrics, runs))
        else:
            others[folder.name] = metrics
    return groups, others


# ----------------------------------------------------------------------------------------------
# figures of a group


def run_value(run: dict, metric: str, axis: str = "mean"):
    """One figure of one run's metrics: a V/A metric's axis (``mean`` of valence and arousal by default), or a
    scalar (accuracy, quadrant accuracy)."""
    value = run.get(metric)
    if isinstance(value, dict):
        value = value.get(axis)
        if isinstance(value, dict):         # a summary's spread
            value = value.get("mean")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def measure(group: Group, metric: str, axis: str = "mean") -> dict | None:
    """Mean and 95% interval of ``metric`` over the group's runs: ``{"mean", "low", "high", "sd", "n", "values",
    "interval"}``; the interval is the t interval over runs where there are several, else the run's bootstrap."""
    if metric == "parameters":
        value = group.summary.get("parameters") or group.runs[0].get("parameters")
        return {"mean": value, "low": None, "high": None, "n": len(group.runs), "values": [value],
                "interval": "counted by Keras (model.count_params)"} if value else None
    values = [run_value(m, metric, axis) for m in group.runs]
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return None
    unit = "speaker folds" if group.test_folds else "seeds"
    if len(values) > 1:
        spread = t_interval(values)
        return spread | {"interval": f"95% t interval over {len(values)} {unit}"}
    key = metric if metric in ("accuracy", "quadrant_accuracy") else f"{metric}_mean"
    boot = (group.runs[0].get("bootstrap") or {}).get(key) if axis == "mean" else None
    return {"mean": values[0], "sd": None, "n": 1, "values": values, "low": boot["low"] if boot else None,
            "high": boot["high"] if boot else None,
            "interval": f"95% bootstrap over {group.n_items[0] if group.n_items else '?'} test items" if boot else "one run, no interval"}


def _rank(group: Group, real_first: bool) -> tuple:
    protocol = 1 if group.protocol == "tuned" else 0
    real = 0 if (not real_first or group.dataset == "deam") else 1
    return (real, protocol, not group.default_features, group.precision != "float32", not group.test_folds,
            -len(group.runs), group.name)


def candidates(groups: list[Group], model: str, task: str | None) -> list[Group]:
    """Folders that can judge a claim about ``model`` (on ``task``), best first (see the module's docstring)."""
    found = [g for g in groups if g.model == model and (task is None or g.task == task) and g.usable_for_verdict
             and not (g.synthetic_ratio == 0)]
    return sorted(found, key=lambda g: _rank(g, real_first=task == "va"))


def choose(groups: list[Group], model: str, task: str | None) -> tuple[Group | None, Group | None, list[Group]]:
    """(documented folder, tuned folder, the others) for a claim."""
    found = candidates(groups, model, task)
    documented = next((g for g in found if g.protocol != "tuned"), None)
    tuned_all = [g for g in found if g.protocol == "tuned"]
    tuned = None
    if tuned_all:
        same = [g for g in tuned_all if documented and g.dataset == documented.dataset and g.features == documented.features]
        tuned = (same or tuned_all)[0]
    others = [g for g in found if g is not documented and g is not tuned]
    return documented, tuned, others


# ----------------------------------------------------------------------------------------------
# claim rows


def _task_of(metric: str) -> str | None:
    return "va" if metric in VA_METRICS else "emotion" if metric == "accuracy" else None


def _claimed(claim: dict):
    return claim["value"] if claim.get("value") is not None else claim.get("band")


def _claim_text(model: str, claim: dict) -> str:
    metric = METRIC_NAMES.get(claim["metric"], claim["metric"])
    value = _claimed(claim)
    shown = f"{value[0]:g}-{value[1]:g}" if isinstance(value, list) else f"{value:,}" if isinstance(value, int) else f"{value:g}"
    extra = []
    if claim.get("approx"):
        shown = "≈ " + shown
    if claim.get("classes"):
        extra.append(f"{claim['classes']} classes")
    if claim.get("pretrained"):
        extra.append(f"pretrained on {claim['pretrained']}")
    if claim.get("rule"):
        rule = rules.band_rule(claim["rule"])
        extra.append(f"band {rule['band'][0]:g}-{rule['band'][1]:g}")
    return f"{model}: {metric} {shown}" + (f" ({', '.join(extra)})" if extra else "")


def _data_text(group: Group) -> str:
    """The data a folder's figures come from; a proxy named as such first."""
    if group.proxy_label:
        return f"PROXY: {group.dataset} ({group.proxy_label})"
    return group.summary.get("data") or group.dataset


def _caveats(group: Group, claim: dict | None = None) -> list[str]:
    verdict = group.summary.get("verdict") or {}
    found = []
    for key in ("caveat", "caveat_pretrained", "caveat_collapse"):
        if verdict.get(key) and verdict[key] not in found and verdict[key] != group.proxy_label:
            found.append(verdict[key])
    if group.collapsed and not verdict.get("caveat_collapse"):
        found.append(f"{len(group.collapsed)} of {len(group.runs)} runs collapsed ({', '.join(group.collapsed)})")
    if claim and claim.get("pretrained") and not verdict.get("caveat_pretrained"):
        weights = {m.get("weights") for m in group.runs}
        if weights <= {None, "random initialisation"}:
            found.append(f"the claim is for a model pretrained on {claim['pretrained']}; these runs started from random "
                         "initialisation")
    if claim and claim.get("approx"):
        found.append("the claim is approximate (≈)")
    if claim and claim["metric"] in LOWER_IS_BETTER:
        found.append(f"{METRIC_NAMES[claim['metric']]}: lower is better, on the 1-9 scale")
    return found


def _judge(claim: dict, measured: dict) -> tuple[str, str, str | None]:
    """(outcome, rule, note) of a claim against a measured figure, by the rules of verdict.py."""
    if claim.get("rule"):
        rule = rules.band_rule(claim["rule"])
        outcome = rules.band_verdict(measured["mean"], rule)
        note = (rules.interval_note({"low": measured["low"], "high": measured["high"], "confidence": 0.95}, rule)
                if measured.get("low") is not None else None)
        text = (f"band rule {claim['rule']}: mean inside {rule['band'][0]:g}-{rule['band'][1]:g} validated, below "
                f"{rule['overestimated_below']:g} overestimated, above {rule['underestimated_above']:g} underestimated, "
                "else inconclusive")
        return outcome, text, note
    if claim["metric"] == "parameters":
        ratio = measured["mean"] / claim["value"]
        return ("inconsistent with the claim" if abs(ratio - 1) > 0.05 else "consistent",
                "built model's parameter count against the claimed count (within 5%: consistent)",
                f"measured = {ratio:.3f} x claimed")
    low, high = measured.get("low"), measured.get("high")
    if low is None:
        low = high = measured["mean"]
    return (rules.judge(claim, low, high), "claimed value (or band) against the 95% interval: overlap = consistent, "
            "else below / above claim", None)


def _describe(group: Group, claim: dict | None = None) -> dict:
    """Where a figure comes from: the folder, its report, protocol, data, runs, caveats and commands."""
    return {"folder": group.name, "report": group.report_link(), "protocol": group.protocol, "data": _data_text(group),
            "proxy": bool(group.proxy_label), "features": group.features, "n_runs": len(group.runs), "seeds": group.seeds,
            "n_items": group.n_items, "test_folds": group.test_folds, "collapsed": group.collapsed,
            "caveats": _caveats(group, claim), "commands": [c for c in group.train_commands if c],
            "evaluate": group.evaluate_command}


def _side(group: Group | None, claim: dict, axis: str = "mean") -> dict | None:
    if group is None:
        return None
    measured = measure(group, claim["metric"], axis)
    if measured is None:
        return None
    outcome, rule, note = _judge(claim, measured)
    own = _own_verdict(group, claim)
    if own and own != outcome:
        outcome = f"{outcome}; per run: {own}"
    return _describe(group, claim) | {"measured": measured, "verdict": outcome, "rule": rule, "note": note}


def _own_verdict(group: Group, claim: dict) -> str | None:
    """The folder's own verdict on the same claim (verdict.py's per-run roll-up, each run's bootstrap interval)."""
    own = group.summary.get("verdict") or {}
    metric = own.get("metric") or ("r2" if own.get("rule") and own.get("rule") == claim.get("rule") else None)
    return own.get("outcome") if metric == claim["metric"] and own.get("outcome") else None


def pending_reason(model: str, groups: list[Group]) -> str:
    """Why a claim about ``model`` has no run, from the registry, the report folders and specs/validation.yaml."""
    from mer_keras.models.registry import MODELS

    pending = (load_spec("validation").get("pending") or {}).get(model)
    where = f" (issue {pending['issue']}: {pending['what']})" if pending else ""
    if model not in MODELS:
        return f"{model}: not built yet{where}"
    unusable = [g.name for g in groups if g.model == model]
    if unusable:
        return (f"{model}: report folders {', '.join(unusable)} exist but none can give a verdict (control arm, leaky "
                f"protocol, label-swapped or cross-corpus){where}")
    return f"{model}: built, but no report folder under reports/ yet{where}"


def claim_rows(groups: list[Group]) -> list[dict]:
    """One row per entry of ``claims`` in specs/estimates.yaml."""
    rows = []
    for model, claims in load_spec("estimates")["claims"].items():
        for claim in claims:
            task = _task_of(claim["metric"])
            documented, tuned, others = choose(groups, model, task)
            where = claim.get("where", "")
            row_id = f"{model}.{claim['metric']}"
            row_id += f".{sum(1 for r in rows if r['id'].startswith(row_id))}" if any(r["id"] == row_id for r in rows) else ""
            row = {"id": row_id, "section": "claims", "document": DOCUMENT_OF.get(where[:8], "study"),
                   "model": model, "metric": claim["metric"], "claim": _claim_text(model, claim), "claimed": _claimed(claim),
                   "kind": claim.get("kind"), "where": where}
            primary = documented
            if documented is None and tuned is not None:      # e.g. vit_gan, trained under the tuned protocol only
                primary, tuned = tuned, None
            side = _side(primary, claim)
            if side is not None and primary.protocol == "tuned":
                side["caveats"].insert(0, "no documented-protocol run of this model: the verdict comes from the tuned protocol")
            if side is None:
                reason = pending_reason(model, groups) if primary is None else f"{primary.name} has no {claim['metric']}"
                row |= {"status": "not measured", "reason": reason, "verdict": "not measured"}
            else:
                row |= {"status": "measured", "verdict": side["verdict"]} | {"documented": side}
            row["tuned"] = _side(tuned, claim)
            row["also"] = [{"folder": g.name, "report": g.report_link(), "protocol": g.protocol, "features": g.features,
                            "measured": measure(g, claim["metric"])} for g in others if measure(g, claim["metric"])]
            rows.append(row)
    return rows


def _hours(seconds: float | None) -> float | None:
    return seconds / 3600 if seconds is not None else None


def _gan_runs(root: Path) -> list[dict]:
    """GAN runs committed under ``root`` (``train.py --model gan`` writes gan_quality.json and config.json)."""
    found = []
    for quality in sorted(Path(root).glob("*/gan_quality.json")) + sorted(Path(root).glob("*/*/gan_quality.json")):
        config = quality.parent / "config.json"
        data = json.loads(config.read_text()) if config.is_file() else {}
        seconds = [s for s in ((json.loads(quality.read_text()).get("per_epoch") or {}).get("seconds") or []) if s]
        found.append({"folder": str(quality.parent.relative_to(root)),
                      "train_seconds": data.get("train_seconds") or (sum(seconds) if seconds else None),
                      "epochs_run": data.get("epochs_run") or (len(seconds) or None),
                      "seconds_per_epoch": data.get("seconds_per_epoch") or (float(np.mean(seconds)) if seconds else None),
                      "machine": (data.get("versions") or {}).get("machine"), "command": data.get("command")})
    return found


def time_rows(groups: list[Group], root: Path) -> list[dict]:
    """The documents' training times against the wall times recorded by the runs here."""
    rows = []
    for model, claim in load_spec("estimates").get("training_time_claims", {}).items():
        claimed_hours = claim.get("hours") or [claim["minutes"] / 60] * 2
        text = (f"{model}: training {claimed_hours[0]:g}-{claimed_hours[1]:g} h" if claimed_hours[0] != claimed_hours[1]
                else f"{model}: training {claim.get('minutes', claimed_hours[0] * 60):g} min")
        if claim.get("epochs"):
            text += f", {claim['epochs']} epochs"
        if claim.get("hardware"):
            text += f" on a {claim['hardware']}"
        row = {"id": f"time.{model}", "section": "training_time_claims", "document": DOCUMENT_OF.get(claim.get("where", "")[:8], "study"),
               "model": model, "metric": "training hours", "claim": text, "claimed": claimed_hours, "kind": claim.get("kind"),
               "where": claim.get("where")}
        if model == "gan":
            runs = [r for r in _gan_runs(root) if r["train_seconds"]]
            if not runs:
                row |= {"status": "not measured", "verdict": "not measured",
                        "reason": pending_reason("gan", groups)}
                rows.append(row)
                continue
            seconds = [r["train_seconds"] for r in runs]
            per_epoch = [r["seconds_per_epoch"] for r in runs if r["seconds_per_epoch"]]
            measured = t_interval([s / 3600 for s in seconds]) | {"interval": f"over {len(runs)} GAN runs"}
            scaled = (float(np.mean(per_epoch)) * claim["epochs"] / 3600) if per_epoch and claim.get("epochs") else None
            side = {"folder": runs[0]["folder"], "report": f"{runs[0]['folder']}/report.md", "protocol": "-", "measured": measured,
                    "data": "GAN runs", "commands": [r["command"] for r in runs if r["command"]], "evaluate": "",
                    "scaled_hours": scaled, "scaled_label": f"scaled: seconds per epoch x {claim.get('epochs')} epochs",
                    "machine": runs[0]["machine"], "caveats": [], "n_runs": len(runs), "seeds": [], "n_items": []}
        else:
            task = "emotion" if model in ("cnn_lstm", "attn_crnn") else "va"
            documented, tuned, _ = choose(groups, model, task)
            documented = documented or tuned
            if documented is None:
                row |= {"status": "not measured", "verdict": "not measured", "reason": pending_reason(model, groups)}
                rows.append(row)
                continue
            seconds = [(m.get("resources") or {}).get("train_seconds") or (m.get("training") or {}).get("train_seconds")
                       for m in documented.runs]
            seconds = [s for s in seconds if s]
            per_epoch = [(m.get("resources") or {}).get("seconds_per_epoch") for m in documented.runs]
            per_epoch = [s for s in per_epoch if s]
            max_epochs = (documented.runs[0].get("training") or {}).get("epochs")
            measured = (t_interval([s / 3600 for s in seconds]) | {"interval": f"95% t interval over {len(seconds)} runs"}
                        if seconds else None)
            if measured is None:
                row |= {"status": "not measured", "verdict": "not measured",
                        "reason": f"{documented.name} records no training time"}
                rows.append(row)
                continue
            side = _describe(documented) | {"measured": measured, "scaled_hours": (float(np.mean(per_epoch)) * max_epochs / 3600) if per_epoch and max_epochs else None,
                     "scaled_label": f"scaled: seconds per epoch x {max_epochs} epochs (the spec's maximum; early stopping ran fewer)",
                     "machine": (documented.runs[0].get("versions") or {}).get("machine")}
        mean = side["measured"]["mean"]
        outcome = ("shorter than claimed" if mean < claimed_hours[0] else "longer than claimed" if mean > claimed_hours[1]
                   else "within the claimed range")
        side["caveats"] = list(side.get("caveats") or []) + [
            f"not the same hardware: claimed on {claim.get('hardware', 'unstated hardware')}, measured on this project's CPU "
            f"({side.get('machine') or '?'}); no scaling between machines is applied"]
        row |= {"status": "measured", "verdict": outcome, "documented": side}
        rows.append(row)
    return rows


def _speech_claims_folders(others: dict) -> list[tuple[str, dict]]:
    return [(name, m) for name, m in others.items() if isinstance(m.get("protocols"), dict)
            and any(isinstance(p, dict) and p.get("claims") for p in m["protocols"].values())]


def _measured_words(measured) -> str:
    """A paired figure as ``mean [low, high], n = k``, else its plain text."""
    if isinstance(measured, dict) and measured.get("mean") is not None and "low" in measured:
        interval = (f" [{measured['low']:.3f}, {measured['high']:.3f}]" if measured.get("low") is not None else "")
        return f"{measured['mean']:.3f}{interval}, n = {measured.get('n')}"
    return str(measured)


def speech_rows(others: dict) -> list[dict]:
    """The speech note's claims (``speech_note_claims``), each with the verdict of the committed speech-claims report."""
    folders = _speech_claims_folders(others)
    rows = []
    for claim in load_spec("estimates").get("speech_note_claims", []):
        row = {"id": f"speech.{claim['id']}", "section": "speech_note_claims", "document": "speech", "model": "cnn_lstm vs attn_crnn",
               "metric": claim["id"], "claim": claim["claim"], "claimed": claim.get("ratio_band"), "kind": "reported",
               "where": claim.get("where")}
        found, elsewhere = None, []
        # the folder that judges the claim under the documented protocol first (the note's verdicts); others (e.g.
        # the same claims with EmoDB as the training corpus) are cited in its caveats
        ranked = sorted(folders, key=lambda f: "documented" not in f[1]["protocols"])
        for name, metrics in ranked:
            for protocol, entry in metrics["protocols"].items():
                match = next((c for c in entry.get("claims", []) if c["claim"] == claim["claim"]), None)
                if match:
                    found = found or {"folder": name, "metrics": metrics, "by_protocol": {}}
                    if found["folder"] == name:
                        found["by_protocol"][protocol] = match
                    else:
                        elsewhere.append(f"also judged in {name} ({metrics.get('dataset') or '?'} as the training "
                                         f"corpus, {protocol}): {match['outcome']}, {_measured_words(match['measured'])}")
        if not found:
            row |= {"status": "not measured", "verdict": "not measured",
                    "reason": "no speech-claims report (python -m mer_keras.evaluation.speech_claims) under reports/"}
            rows.append(row)
            continue
        for protocol in ("documented", "tuned"):
            match = found["by_protocol"].get(protocol)
            if not match:
                continue
            side = {"folder": found["folder"], "report": f"{found['folder']}/report.md", "protocol": protocol,
                    "measured": match["measured"], "figure": match.get("figure"), "verdict": match["outcome"],
                    "rule": "paired per speaker fold (CNN-LSTM minus attention CRNN), t interval over folds: holds / does "
                            "not hold / inconclusive (mer_keras.evaluation.speech_claims)",
                    "data": found["metrics"].get("data"),
                    "caveats": ([match["note"]] if match.get("note") else []) + (elsewhere if protocol == "documented" else []),
                    "commands": [found["metrics"].get("command", "")], "evaluate": "",
                    "n_runs": (match["measured"] or {}).get("n"), "seeds": [], "n_items": []}
            if protocol == "documented":
                row |= {"status": "measured", "verdict": match["outcome"], "documented": side}
            else:
                row["tuned"] = side
        if "documented" not in row:
            row |= {"status": "not measured", "verdict": "not measured",
                    "reason": f"{found['folder']} judges it under the tuned protocol only"}
        rows.append(row)
    return rows


def efficiency_rows(others: dict) -> list[dict]:
    """``speech_efficiency_claims`` from the committed side-by-side comparisons of the two speech models."""
    rows = []
    spec = load_spec("estimates")
    pair = spec.get("speech_efficiency_pair", {})
    small, big = pair.get("claimed_smaller", "cnn_lstm"), pair.get("compared_with", "attn_crnn")
    for k, claim in enumerate(spec.get("speech_efficiency_claims", [])):
        row = {"id": f"efficiency.{k}", "section": "speech_efficiency_claims", "document": "speech", "model": f"{small} vs {big}",
               "metric": "efficiency", "claim": claim["claim"], "claimed": None, "kind": "reported", "where": claim.get("where")}
        for name, metrics in others.items():
            match = next((c for c in metrics.get("efficiency_claims") or [] if c.get("claim") == claim["claim"]), None)
            if match:
                models = metrics.get("models") or {}
                side = {"folder": name, "report": f"{name}/report.md", "protocol": "documented",
                        "measured": {"mean": match.get(small), "other": match.get(big), "ratio": match.get("ratio_attn_over_cnn"),
                                     "figure": match.get("figure")},
                        "verdict": match["outcome"], "rule": "mean over runs of the CNN-LSTM against the attention CRNN's",
                        "data": (models.get(small) or {}).get("data"), "caveats": [],
                        "commands": (models.get(small) or {}).get("train_commands", [])[:1], "evaluate": metrics.get("command", ""),
                        "n_runs": (models.get(small) or {}).get("n_runs"), "seeds": [], "n_items": []}
                row |= {"status": "measured", "verdict": match["outcome"], "documented": side}
                break
        else:
            row |= {"status": "not measured", "verdict": "not measured",
                    "reason": "no side-by-side comparison of the two speech models under reports/"}
        if claim.get("same_as"):
            row["same_as"] = f"speech.{claim['same_as']}"
        rows.append(row)
    return rows


def merge_same_claims(efficiency: list[dict], speech: list[dict]) -> list[dict]:
    """One row per claim: an efficiency claim that a speech-note claim restates (``same_as``) is judged by the
    speech row (paired over speaker folds); its side-by-side figure is cited there as a caveat, not a second verdict.
    Returns the efficiency rows left (those without a measured speech twin)."""
    by_id = {row["id"]: row for row in speech}
    kept = []
    for row in efficiency:
        twin = by_id.get(row.get("same_as"))
        if not twin or twin.get("status") != "measured":
            kept.append(row)
            continue
        if row.get("status") == "measured":
            side = row["documented"]
            measured = side["measured"]
            figure = measured.get("figure") or "figure"
            digits = 0 if figure == "parameters" else 1
            mine, other = (f"{measured[k]:,.{digits}f}" if isinstance(measured.get(k), (int, float)) else "-"
                           for k in ("mean", "other"))
            twin["documented"].setdefault("caveats", []).append(
                f"also measured side by side in {side['folder']} ({side.get('n_runs') or '?'} runs per model, {figure}: "
                f"CNN-LSTM {mine}, attention CRNN {other}, {row['verdict']}; no interval, so this row's paired figure judges)")
    return kept


def inconsistency_rows(checks: dict, rows: list[dict]) -> list[dict]:
    """``known_inconsistencies``: each with the computed check or the claim rows that test it, where there are any
    (matched by the models and figures the text names)."""
    out = []
    for k, text in enumerate(load_spec("estimates").get("known_inconsistencies", [])):
        words = set(re.findall(r"[a-z_0-9]+", re.sub(r"\s*\+\s*", "_", text.lower())))
        related = []
        if "parameters" in words and checks.get("parameters"):
            related.append(checks["parameters"]["sentence"])
        related += [p["sentence"] for p in checks.get("pairs", []) if p["model"] in words and "ccc" in words]
        named = [r["id"] for r in rows if r["section"] == "claims" and r["model"] in words
                 and r["metric"] in words | {"r2" if "r²" in text.lower() else ""}]
        if named:
            related.append("claim rows: " + ", ".join(named))
        out.append({"id": f"inconsistency.{k}", "section": "known_inconsistencies", "document": "study", "model": "-",
                    "metric": "-", "claim": text, "claimed": None, "kind": "inconsistency", "where": "specs/estimates.yaml",
                    "status": "recorded", "verdict": "checked: see the consistency checks" if related else "recorded (no figure to measure)",
                    "reason": " ".join(related) or "handled as stated in every report of the documented model"})
    return out


# ----------------------------------------------------------------------------------------------
# consistency of the claims


def _claims_by_metric(model: str) -> dict:
    return {c["metric"]: c for c in load_spec("estimates")["claims"].get(model, []) if "value" in c}


def consistency_checks(groups: list[Group], rows: list[dict]) -> dict:
    """Bounds implied by claimed pairs, the parameter count, implied label variances, MAE against MSE, the
    ladder's metrics, and the same inequalities on every committed V/A prediction."""
    spec = load_spec("estimates")["claims"]
    pairs, variances, mae_checks = [], [], []
    for model in spec:
        claims = _claims_by_metric(model)
        if "ccc" in claims and "r2" in claims:
            c, r2 = claims["ccc"]["value"], claims["r2"]["value"]
            bounds = consistency.r_bounds_given(c, r2)
            two = consistency.max_mean_r2_two_axes(c)
            approx = claims["ccc"].get("approx") or claims["r2"].get("approx")
            if bounds["feasible"]:
                sentence = (f"{model}: CCC {c:g} with R² {r2:g} is possible on one axis only if |Pearson r| >= "
                            f"{bounds['min_abs_r']:.3f} (R² alone needs >= {bounds['r_from_r2']:.3f}, CCC alone >= "
                            f"{bounds['r_from_ccc']:.3f}) and the predictions' sd is {bounds['spread_ratio'][0]:.2f}-"
                            f"{bounds['spread_ratio'][1]:.2f} of the labels' (shrunk predictions).")
            else:
                sentence = (f"{model}: CCC {c:g} with R² {r2:g}{' (both approximate)' if approx else ''} cannot hold on one axis: "
                            f"a prediction with CCC {c:g} reaches at most R² {bounds['max_r2']:.3f}; as a mean over two axes at "
                            f"most {two['value']:.3f}, and only with one axis predicted perfectly (axis CCCs "
                            f"{two['ccc_axes'][0]:.2f} and {two['ccc_axes'][1]:.2f}).")
            pairs.append(bounds | {"model": model, "two_axes_max_r2": two, "approx": bool(approx), "sentence": sentence})
        if "mse" in claims and "r2" in claims:
            variances.append({"model": model, "mse": claims["mse"]["value"], "r2": claims["r2"]["value"],
                              "label_variance": consistency.implied_label_variance(claims["mse"]["value"], claims["r2"]["value"])})
        if "mse" in claims and "mae" in claims:
            bound = math.sqrt(claims["mse"]["value"])
            mae_checks.append({"model": model, "mae": claims["mae"]["value"], "rmse": bound, "holds": claims["mae"]["value"] <= bound})
    spread = [v["label_variance"] for v in variances if v["label_variance"]]
    variance_sentence = (("Claimed MSE and R² together imply a label variance of " + ", ".join(
        f"{v['model']} {v['label_variance']:.2f}" for v in variances) +
        f" (MSE / (1 - R²)): a spread of {max(spread) - min(spread):.3f}, so the study's figures agree on one test set's "
        "variance.") if len(spread) > 1 else None)

    parameters = None
    claimed = _claims_by_metric("crnn").get("parameters")
    crnn = next((r for r in rows if r["id"] == "crnn.parameters"), None)
    if claimed and crnn and crnn.get("documented"):
        measured = crnn["documented"]["measured"]["mean"]
        parameters = {"claimed": claimed["value"], "measured": measured, "ratio": measured / claimed["value"],
                      "folder": crnn["documented"]["folder"],
                      "sentence": f"The built CRNN (the listed layers) has {measured:,} parameters against the claimed "
                                  f"{claimed['value']:,}: {measured / claimed['value']:.3f} of the claim "
                                  f"({crnn['documented']['folder']})."}

    axis_totals = {"runs": 0, "axes": 0, "violations": 0}
    for group in groups:
        if group.task != "va":
            continue
        for name in (group.summary.get("runs") or []):
            path = group.folder / name / "predictions.csv"
            if not path.is_file():
                continue
            table = read_predictions(path)
            axis_totals["runs"] += 1
            for axis in ("valence", "arousal"):
                checks = consistency.axis_checks(table[f"true_{axis}"], table[f"pred_{axis}"])
                axis_totals["axes"] += 1
                axis_totals["violations"] += not (checks["ccc_le_abs_r"] and checks["r2_le_r_squared"] and checks["r2_le_ccc"])
    return {"pairs": pairs, "label_variance": variances, "label_variance_sentence": variance_sentence,
            "mae_vs_rmse": mae_checks, "parameters": parameters, "measured_predictions": axis_totals,
            "ladder": ladder_check(groups)}


def _ladder_claims() -> list[dict]:
    """The study's ladder: each music model's first claim of R² or CCC, in the order of estimates.yaml."""
    ladder = []
    for model, claims in load_spec("estimates")["claims"].items():
        first = next((c for c in claims if c["metric"] in ("r2", "ccc") and "value" in c), None)
        if first:
            ladder.append({"model": model, "metric": first["metric"], "value": first["value"]})
    return ladder


def _paired_step(lower: Group, upper: Group, figure: str) -> dict:
    as_runs = lambda g: {"folder": g.folder, "label": g.name, "task": g.task, "protocol": g.protocol, "runs": g.runs}
    row = paired_row(as_runs(upper), as_runs(lower), figure)
    return {"figure": figure, "difference": row["difference"], "outcome": row["outcome"], "pairs": len(row["pairs"])}


def ladder_check(groups: list[Group]) -> dict:
    """The claimed ladder (each step's relative gain and whether its metric changes) against the measured one:
    each rung's documented folder, each step as a paired (same split seeds) difference of mean R² and of mean CCC."""
    ladder = _ladder_claims()
    steps = []
    for low, high in zip(ladder, ladder[1:]):
        steps.append({"from": low["model"], "to": high["model"], "claimed_gain": consistency.relative_gain(low["value"], high["value"]),
                      "same_metric": low["metric"] == high["metric"], "claimed_equal": low["value"] == high["value"],
                      "metrics": [low["metric"], high["metric"]]})
    measured = {}
    for rung in ladder:
        documented, tuned, _ = choose(groups, rung["model"], "va")
        if documented is None:          # a model trained under the tuned protocol only (vit_gan)
            documented, tuned = tuned, None
        measured[rung["model"]] = {
            "folder": documented.name if documented else None,
            "r2": measure(documented, "r2") if documented else None, "ccc": measure(documented, "ccc") if documented else None,
            "tuned_r2": measure(tuned, "r2") if tuned else None, "tuned_folder": tuned.name if tuned else None,
            "group": documented}
    for step in steps:
        lower, upper = measured[step["from"]]["group"], measured[step["to"]]["group"]
        if lower is None or upper is None:
            step["measured"] = None
            continue
        step["measured"] = {figure: _paired_step(lower, upper, figure) for figure in ("r2", "ccc")}
    order = sorted((m for m in measured if measured[m]["r2"]), key=lambda m: -measured[m]["r2"]["mean"])
    for entry in measured.values():
        entry.pop("group")
    return {"claimed": ladder, "steps": steps, "measured": measured, "measured_order_r2": order}


# ----------------------------------------------------------------------------------------------
# peers, paired reports, the label-swap experiment, plots' data


def peers() -> list[dict]:
    return list(load_spec("peers").get("peers", []))


def peer_cells(metric: str, task: str | None) -> list[str]:
    """Published figures of the same metric (and task) for a claims-table cell."""
    cells = []
    for peer in peers():
        if task and peer.get("task") != task:
            continue
        for figure in peer.get("figures", []):
            if figure["metric"] != metric:
                continue
            value = "figure not transcribed" if figure.get("value") is None else f"{figure['value']:g}"
            axis = f" {figure['axis']}" if figure.get("axis") else ""
            cells.append(f"{peer['name']} ({peer['dataset']}){axis}: {value}")
    return cells


def paired_reports(others: dict) -> list[dict]:
    """Committed paired comparisons (``python -m mer_keras.evaluation.paired``)."""
    return [m | {"folder": name} for name, m in others.items() if "treatment" in m and isinstance(m.get("rows"), list)]


def _swap_share(root: Path) -> dict | None:
    settings = load_spec("validation").get("label_swap") or {}
    path = Path(root) / settings.get("audit_report", "deam-label-audit") / "audit.json"
    if not path.is_file():
        return None
    audit = json.loads(path.read_text())
    subsets = audit.get("subsets") or {}
    swapped = subsets.get(settings.get("swapped_subset", "2013"))
    if not swapped:
        return None
    same_file = [s for s in subsets.values() if "1_2000" in str(s.get("songs", ""))]
    total = sum(int(s.get("n_static") or s.get("n") or 0) for s in same_file) or None
    count = int(swapped.get("n_static") or swapped.get("n"))
    return {"swapped": count, "of": total, "share": count / total if total else None, "subset": swapped.get("subset"),
            "audit": path.parent.name}


def _swap_command(command: str, share: float) -> str:
    words = shlex.split(command)
    tag = f"swapva{round(100 * share)}"
    if "--out" in words:
        k = words.index("--out") + 1
        words[k] = re.sub(r"-seed(\d+)", rf"-{tag}-seed\1", words[k]) if "-seed" in words[k] else words[k] + f"-{tag}"
    return shlex.join(words + ["--swap-va-fraction", f"{share:.4f}"])


def label_swap(groups: list[Group], root: Path) -> dict:
    """Issue 24, point 6: clean against label-swapped training on the same splits (valence R², arousal R², and the
    correlation between the two predicted outputs, paired by seed), or the commands that would measure it."""
    share = _swap_share(root)
    swapped = [g for g in groups if g.swap_va is not None and g.task == "va" and not g.evaluated_on]
    results = []
    for group in swapped:
        clean = [g for g in groups if g.usable_for_verdict and g.model == group.model and g.task == "va"
                 and g.features == group.features and g.protocol == group.protocol and g.dataset == group.dataset]
        if not clean:
            results.append({"folder": group.name, "clean": None, "why": "no clean folder of the same model, features and protocol"})
            continue
        base = max(clean, key=lambda g: len(set(g.seeds) & set(group.seeds)))
        as_runs = lambda g: {"folder": g.folder, "label": g.name, "task": g.task, "protocol": g.protocol, "runs": g.runs}
        figures = {f: paired_row(as_runs(group), as_runs(base), f) for f in ("valence_r2", "arousal_r2")}
        corr = {}
        for g in (group, base):
            corr[g.name] = {}
            for run, name in zip(g.runs, g.summary.get("runs") or []):
                path = g.folder / name / "predictions.csv"
                if path.is_file():
                    table = read_predictions(path)
                    corr[g.name][(run.get("split") or {}).get("seed")] = float(np.corrcoef(table["pred_valence"], table["pred_arousal"])[0, 1])
        seeds = sorted(set(corr[group.name]) & set(corr[base.name]), key=lambda s: -1 if s is None else s)
        corr_diff = t_interval([corr[group.name][s] - corr[base.name][s] for s in seeds])
        results.append({"folder": group.name, "clean": base.name, "fraction": group.swap_va,
                        "valence_r2": figures["valence_r2"], "arousal_r2": figures["arousal_r2"],
                        "output_correlation": {"swapped": t_interval([corr[group.name][s] for s in seeds]),
                                               "clean": t_interval([corr[base.name][s] for s in seeds]),
                                               "difference": corr_diff, "outcome": paired_outcome(corr_diff, +1) if seeds else None}})
    commands = []
    if share and share.get("share"):
        usable = [g for g in groups if g.usable_for_verdict and g.task == "va" and measure(g, "r2")
                  and len(g.runs) >= (load_spec("validation").get("label_swap") or {}).get("min_seeds", 3)]
        from mer_keras.models.registry import MODELS

        for family in ("sklearn", "keras"):
            best = sorted((g for g in usable if MODELS.get(g.model) and MODELS[g.model].family == family),
                          key=lambda g: -measure(g, "r2")["mean"])
            if best:
                group = best[0]
                outs = []
                for command in group.train_commands:
                    swapped_command = _swap_command(command, share["share"])
                    commands.append(swapped_command)
                    words = shlex.split(swapped_command)
                    if "--out" in words:
                        outs.append(words[words.index("--out") + 1])
                if outs:
                    commands.append(shlex.join(["python", "evaluate.py", *outs, "--report-dir",
                                                f"reports/{group.name}-swapva{round(100 * share['share'])}"]))
    return {"share": share, "results": results, "commands": commands,
            "status": "measured" if any(r.get("clean") for r in results) else "not measured yet"}


def predictions_panels(groups: list[Group]) -> list[dict]:
    """Predicted against true: the best 4Q-VA folder by mean R² and the documented CRNN, each through the run
    closest to its folder's mean (a typical run, not the best one)."""
    usable = [g for g in groups if g.usable_for_verdict and g.task == "va" and measure(g, "r2")]
    panels = []
    chosen = []
    if usable:
        chosen.append(("best mean R² here", max(usable, key=lambda g: measure(g, "r2")["mean"])))
    crnn, _, _ = choose(groups, "crnn", "va")
    if crnn is not None and all(crnn is not g for _, g in chosen):
        chosen.append(("the documented CRNN", crnn))
    for why, group in chosen:
        mean = measure(group, "r2")["mean"]
        runs = [(abs((run_value(m, "r2") or 0) - mean), name) for m, name in zip(group.runs, group.summary.get("runs") or [])
                if (group.folder / name / "predictions.csv").is_file()]
        if not runs:
            panels.append({"folder": group.name, "why": why, "missing": "its runs hold no predictions.csv"})
            continue
        _, name = min(runs)
        table = read_predictions(group.folder / name / "predictions.csv")
        panels.append({"folder": group.name, "run": name, "why": why, "folder_r2": mean, "true": np.stack([table["true_valence"], table["true_arousal"]], 1),
                       "pred": np.stack([table["pred_valence"], table["pred_arousal"]], 1),
                       "r2": run_value(next(m for m, n in zip(group.runs, group.summary["runs"]) if n == name), "r2")})
    return panels


def confusion_panels(groups: list[Group]) -> list[dict]:
    """The speech models' confusion matrices (pooled over their folds) for the folders that judge the note's claims."""
    panels = []
    for model in ("cnn_lstm", "attn_crnn"):
        documented, tuned, _ = choose(groups, model, "emotion")
        for group in (documented, tuned):
            if group is None:
                continue
            pooled = (group.summary.get("pooled") or {}).get("confusion_matrix")
            if pooled:
                labels, matrix = pooled["labels"], np.asarray(pooled["rows_true_columns_predicted"])
            else:
                found = [m["confusion_matrix"] for m in group.runs if m.get("confusion_matrix")]
                if not found:
                    continue
                labels = found[0]["labels"]
                matrix = np.sum([np.asarray(c["rows_true_columns_predicted"]) for c in found], axis=0)
            accuracy = float(np.trace(matrix) / matrix.sum()) if matrix.sum() else None
            panels.append({"folder": group.name, "model": model, "protocol": group.protocol, "labels": labels,
                           "matrix": matrix.tolist(), "accuracy": accuracy, "runs": len(group.runs)})
    return panels


# ----------------------------------------------------------------------------------------------
# sentences


def _names(rows: list[dict]) -> str:
    return ", ".join(r["claim"] for r in rows)


def evidence_sentences(result: dict) -> list[str]:
    """What the evidence says, templated from the rows, checks and peers (nothing hand-typed about a result)."""
    rows = [r for r in result["rows"] if r["section"] != "known_inconsistencies"]
    measured = [r for r in rows if r["status"] == "measured"]
    missing = [r for r in rows if r["status"] != "measured"]
    out = [f"Of {len(rows)} claims of the two documents, {len(measured)} are measured here and {len(missing)} are not "
           f"({'; '.join(sorted({r['reason'] for r in missing}))})." if missing else
           f"All {len(rows)} claims of the two documents are measured here."]
    crnn = next((r for r in rows if r["id"] == "crnn.r2"), None)
    if crnn and crnn.get("documented"):
        side = crnn["documented"]
        m = side["measured"]
        text = (f"The headline estimate ({crnn['claim']}): the documented protocol's mean R² is "
                f"{m['mean']:.3f} ({m['interval']}: {_fmt(m.get('low'))}-{_fmt(m.get('high'))}) on {side['data']}: "
                f"{side['verdict']}")
        if side.get("note"):
            text += f"; {side['note']}"
        tuned = crnn.get("tuned")
        if tuned:
            text += (f". The tuned protocol (same layers) gives {tuned['measured']['mean']:.3f} "
                     f"({_fmt(tuned['measured'].get('low'))}-{_fmt(tuned['measured'].get('high'))}): {tuned['verdict']}")
        out.append(text + ".")
    by_verdict: dict[str, list] = {}
    for row in measured:
        by_verdict.setdefault(row["verdict"], []).append(row)
    for outcome, group in sorted(by_verdict.items(), key=lambda kv: -len(kv[1])):
        out.append(f"{outcome} ({len(group)}): {_names(group)}.")
    ladder = result["checks"]["ladder"]
    held = [s for s in ladder["steps"] if s.get("measured") and not s["claimed_equal"]]
    holds = [s for s in held if s["measured"]["r2"]["outcome"] == "holds"]
    reversed_ = [s for s in held if s["measured"]["r2"]["outcome"] == "does not hold"]
    if held:
        out.append(f"The claimed ladder ({' < '.join(c['model'] for c in ladder['claimed'])}): of {len(held)} measured steps, "
                   f"{len(holds)} {_verb(len(holds), 'holds', 'hold')} on mean R² (paired by split seed), "
                   f"{len(reversed_)} {_verb(len(reversed_), 'is', 'are')} reversed"
                   + (f" ({', '.join(s['from'] + ' > ' + s['to'] for s in reversed_)})" if reversed_ else "")
                   + f", {len(held) - len(holds) - len(reversed_)} inconclusive. Measured order by mean R² (documented "
                   "protocol): "
                   + " > ".join(ladder["measured_order_r2"]) + ".")
    switches = [s for s in ladder["steps"] if not s["same_metric"]]
    if switches:
        out.append("The claimed ladder changes metric at " + ", ".join(f"{s['from']} -> {s['to']} ({s['metrics'][0]} -> "
                                                                     f"{s['metrics'][1]})" for s in switches)
                   + ": a step across metrics is not like for like (R² <= CCC for every prediction).")
    for pair in result["checks"]["pairs"]:
        out.append(pair["sentence"])
    if result["checks"].get("parameters"):
        out.append(result["checks"]["parameters"]["sentence"])
    collapsed = [r for r in measured if (r.get("documented") or {}).get("collapsed")]
    if collapsed:
        out.append(f"{len(collapsed)} measured rows rest on folders in which some runs collapsed (nearly constant "
                   f"predictions): {', '.join(sorted({r['documented']['folder'] for r in collapsed}))}; a verdict on a "
                   "model that did not learn says more about its training than about the claim.")
    proxies = [r for r in measured if (r.get("documented") or {}).get("proxy")]
    if proxies:
        out.append(f"{len(proxies)} music rows are measured on the 4Q-VA proxy (tag-derived valence/arousal), not on "
                   "DEAM's listener ratings: their verdicts are about the proxy task.")
    best = next((g for g in result["predictions"] if g.get("folder_r2") is not None), None)
    music_peers = [(p, f) for p in peers() if p["task"] == "va" for f in p["figures"] if f["metric"] == "r2" and f.get("value") is not None]
    if music_peers and best:
        out.append("Published DEAM figures (" + "; ".join(f"{p['name']} {f['axis']} R² {f['value']:g}" for p, f in music_peers)
                   + f") sit beside the best mean R² measured here ({best['folder_r2']:.3f}, {best['folder']}, 4Q-VA proxy); "
                   "different data, "
                   f"{PUBLISHED}.")
    for paired in result["paired"]:
        if not any(word in paired["treatment"] for word in ("vit_gan", "crnn_gan")):
            continue
        for row in paired["rows"]:
            diff = row["difference"]
            if diff.get("mean") is None:
                continue
            interval = f" [{diff['low']:+.3f}, {diff['high']:+.3f}]" if diff.get("low") is not None else ""
            collapsed = f"; {row['collapsed_pairs']} pair(s) with a collapsed run" if row.get("collapsed_pairs") else ""
            out.append(f"{paired.get('label') or 'GAN augmentation'}: {paired['treatment']} minus {row['baseline']} "
                       f"(the same layers on the same crops without generated ones), {row['figure'].upper()} "
                       f"{diff['mean']:+.3f}{interval} over {diff['n']} paired seeds ({row['outcome']}{collapsed}); "
                       f"test means {row['treatment_mean']:.3f} against {row['baseline_mean']:.3f} "
                       f"({paired['folder']}). The study claims 0.68 -> 0.740 for the ViT.")
    swap = result["label_swap"]
    measured_swaps = [r for r in swap["results"] if r.get("clean")]
    if swap["status"] == "measured":
        share = (swap.get("share") or {}).get("share")
        parts = []
        for r in measured_swaps:
            v, a, c = (r["valence_r2"]["difference"], r["arousal_r2"]["difference"], r["output_correlation"])
            parts.append(f"{r['folder']}: valence R² {v['mean']:+.3f}, arousal R² {a['mean']:+.3f} against "
                         f"{r['clean']} (paired over {v['n']} seeds), and the correlation between its two outputs "
                         f"{c['clean']['mean']:.2f} -> {c['swapped']['mean']:.2f}")
        out.append("The DEAM label audit's consequence, measured: exchanging valence and arousal for "
                   + (f"{100 * share:.0f}% of " if share else "a share of ") + "the training songs costs "
                   + "; ".join(parts) + ". A model trained on DEAM as shipped would carry that signature: outputs "
                   "that move together.")
    else:
        out.append("The DEAM label audit's consequence (swapped valence/arousal in training labels): not measured yet "
                   "(commands below).")
    return out


def _verb(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _fmt(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def reproduction_summary(result: dict, groups: list[Group]) -> dict:
    """Scope of each claim, what was easy and hard (from recorded times and collapse flags), every deviation."""
    scope = []
    for row in result["rows"]:
        if row["section"] == "known_inconsistencies":
            continue
        side = row.get("documented") or {}
        scope.append({"id": row["id"], "claim": row["claim"], "where": row.get("where"), "kind": row.get("kind"),
                      "measured_on": side.get("data") or "-", "status": row["status"]})
    times = {}
    for group in groups:
        if not group.usable_for_verdict:
            continue
        seconds = [(m.get("resources") or {}).get("train_seconds") for m in group.runs]
        seconds = [s for s in seconds if s]
        if seconds:
            entry = times.setdefault(group.model, {"seconds": [], "runs": 0, "collapsed": 0})
            entry["seconds"] += seconds
            entry["runs"] += len(group.runs)
            entry["collapsed"] += len(group.collapsed)
    easy = [f"{m}: median {np.median(t['seconds']) / 60:.1f} min per run, no collapsed run in {t['runs']}"
            for m, t in sorted(times.items()) if t["collapsed"] == 0]
    hard = [f"{m}: {t['collapsed']} of {t['runs']} runs collapsed (median {np.median(t['seconds']) / 60:.1f} min per run)"
            for m, t in sorted(times.items()) if t["collapsed"]]
    hard += [f"not measured: {r['reason']}" for r in result["rows"] if r["status"] == "not measured"]
    deviations = list(load_spec("estimates").get("known_inconsistencies", []))
    data_notes = []
    seen = set(deviations)
    for group in groups:
        if not group.usable_for_verdict:
            continue
        verdict = group.summary.get("verdict") or {}
        for note in (verdict.get("caveat"), verdict.get("caveat_pretrained"), group.proxy_label):
            if note and note not in seen:
                seen.add(note)
                deviations.append(note)
        for note in (n for m in group.runs[:1] for n in (m.get("data_notes") or [])):
            if note not in seen and "proxy" not in note.lower():
                seen.add(note)
                data_notes.append(f"{group.dataset}: {note}")
    try:
        gan, vit_gan = load_spec("gan"), load_spec("vit_gan")
    except MerError:            # a checkout without the GAN's specs (issue 22)
        gan, vit_gan = {}, {}
    crop = (gan.get("crop") or {}).get("frames")
    frames = (gan.get("input") or {}).get("frames")
    if crop and frames:
        deviations.append(f"The GAN and vit_gan see {crop}-frame crops of the {frames:,}-frame input "
                          f"(specs/gan.yaml, specs/vit_gan.yaml: crop {(vit_gan.get('crop') or {}).get('frames')} frames).")
    return {"scope": scope, "easy": easy, "hard": hard, "deviations": deviations, "data_notes": data_notes}


# ----------------------------------------------------------------------------------------------
# everything


def gather(root: Path) -> dict:
    """The validation report's content from the report folders under ``root``."""
    root = Path(root)
    groups, others = load_groups(root)
    speech = speech_rows(others)
    rows = claim_rows(groups) + time_rows(groups, root) + merge_same_claims(efficiency_rows(others), speech) + speech
    checks = consistency_checks(groups, rows)
    rows += inconsistency_rows(checks, rows)
    for row in rows:
        task = _task_of(row["metric"]) if row["section"] == "claims" else None
        row["peers"] = peer_cells(row["metric"], task) if row["section"] == "claims" else []
    result = {"root": str(root), "rows": rows, "checks": checks, "peers": peers(), "paired": paired_reports(others),
              "label_swap": label_swap(groups, root), "predictions": predictions_panels(groups),
              "confusions": confusion_panels(groups),
              "band": rules.band_rule(rules.band_rule_for("crnn") or "crnn_r2"),
              "groups": [g.name for g in groups], "data_gaps": load_spec("validation").get("data_gaps")}
    result["evidence"] = evidence_sentences(result)
    result["reproduction"] = reproduction_summary(result, groups)
    return result
