"""The validation report (python evaluate.py --summary) on tiny report folders made here: a row per claim of
specs/estimates.yaml, verdicts by verdict.py's rules, "not measured" with a reason where no run exists, the HTML
holding the Markdown's rows, the consistency bounds, and (with Chromium) every row and plot rendered."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from mer_keras.evaluation import browser, consistency, verdict
from mer_keras.evaluation.evidence import gather
from mer_keras.specs import load_spec

PROXY = "proxy target: 4Q tag-derived valence/arousal, not DEAM listener ratings"


def _run_metrics(model, task, seed, values: dict, name: str, protocol="documented", features=None, n_test=40,
                 folds=None) -> dict:
    command = f"python train.py --model {model}" + (f" --features {features}" if features else "") + \
              (f" --protocol {protocol}" if protocol == "tuned" else "") + f" --seed {seed} --out runs/{name}"
    metrics = {"model": model, "dataset": "4q-va" if task == "va" else "ravdess", "task": task, "n_test": n_test,
               "split": {"group_by": "artist", "seed": seed, "train": 100, "validation": 20, "test": n_test,
                         **({"test_fold": [seed, folds]} if folds else {})},
               "training": {"epochs": 50, "precision": "float32", "best_epoch": 3},
               "command": {"train": command, "evaluate": "python evaluate.py ..."}, "versions": {"machine": "x86_64"},
               "run": name, "resources": {"train_seconds": 600.0 + seed, "seconds_per_epoch": 40.0, "epochs_run": 15},
               "protocol": protocol, "collapse": {"flagged": False}}
    if task == "va":
        metrics["proxy_label"] = PROXY
        for metric, mean in values.items():
            metrics[metric] = {"valence": mean - 0.05, "arousal": mean + 0.05, "mean": mean}
        metrics["bootstrap"] = {f"{m}_mean": {"low": v - 0.1, "high": v + 0.1, "confidence": 0.95} for m, v in values.items()}
    else:
        metrics["accuracy"] = values["accuracy"]
        metrics["bootstrap"] = {"accuracy": {"low": values["accuracy"] - 0.05, "high": values["accuracy"] + 0.05}}
        labels = ["angry", "disgust", "fearful", "happy", "neutral", "sad"]
        metrics["confusion_matrix"] = {"labels": labels, "rows_true_columns_predicted": (np.eye(6, dtype=int) * 5 + 1).tolist()}
    return metrics


def make_group(root: Path, name: str, model: str, task: str, per_seed: list[dict], protocol="documented",
               features=None, parameters=None, folds=None, predictions=False) -> Path:
    """A summary folder like evaluate.py writes over several runs, with one sub-folder per run."""
    folder = root / name
    runs = []
    for seed, values in enumerate(per_seed):
        run_name = f"{name}-seed{seed}"
        metrics = _run_metrics(model, task, seed, values, run_name, protocol, features, folds=folds)
        (folder / run_name).mkdir(parents=True)
        (folder / run_name / "metrics.json").write_text(json.dumps(metrics))
        (folder / run_name / "report.md").write_text("# run\n")
        if predictions:
            rng = np.random.default_rng(seed)
            true = rng.uniform(2, 8, (40, 2))
            pred = 5 + 0.5 * (true - 5) + rng.normal(0, 0.3, true.shape)
            lines = ["item_id,true_valence,true_arousal,pred_valence,pred_arousal"]
            lines += [f"S{k},{t[0]},{t[1]},{p[0]},{p[1]}" for k, (t, p) in enumerate(zip(true, pred))]
            (folder / run_name / "predictions.csv").write_text("\n".join(lines) + "\n")
        runs.append(metrics)
    headline = "r2" if task == "va" else "accuracy"
    mean = float(np.mean([v[headline] for v in per_seed]))
    summary = {"model": model, "dataset": runs[0]["dataset"], "task": task, "data": "tiny test data",
               "runs": [r["run"] for r in runs], "n_runs": len(runs), "parameters": parameters,
               "command": {"train": [r["command"]["train"] for r in runs], "evaluate": "python evaluate.py ..."},
               "collapsed_runs": [], "protocol": protocol, "seeds": list(range(len(runs)))}
    if folds:
        summary["test_folds"] = [[k, folds] for k in range(len(runs))]
    if task == "va":
        summary["proxy_label"] = PROXY
    rule = verdict.band_rule_for(model)
    summary["verdict"] = (verdict.band_record(rule, mean, "-") if rule and task == "va"
                          else {"outcome": "not applicable", "why": "test"})
    (folder / "metrics.json").write_text(json.dumps(summary))
    (folder / "report.md").write_text("# summary\n")
    return folder


def _crnn(root: Path, r2: float) -> Path:
    return make_group(root, "crnn-4q-va-mel", "crnn", "va",
                      [{"r2": r2 + d, "ccc": 0.6, "mse": 1.4, "mae": 0.9} for d in (-0.01, 0.0, 0.01)],
                      parameters=479_138, predictions=True)


@pytest.fixture
def reports(tmp_path) -> Path:
    root = tmp_path / "reports"
    _crnn(root, 0.60)
    make_group(root, "crnn-4q-va-mel-tuned", "crnn", "va",
               [{"r2": 0.62 + d, "ccc": 0.6, "mse": 1.3, "mae": 0.8} for d in (-0.01, 0.0, 0.01)], protocol="tuned",
               parameters=479_138)
    make_group(root, "ridge-4q-va-handcrafted", "ridge", "va",
               [{"r2": v, "ccc": 0.5, "mse": 1.5, "mae": 0.9} for v in (0.30, 0.32, 0.34)], protocol=None)
    make_group(root, "cnn_lstm-ravdess-emotion-mel-5fold", "cnn_lstm", "emotion",
               [{"accuracy": v} for v in (0.30, 0.35, 0.40)], folds=5)
    return root


def _claim_ids() -> set[str]:
    spec = load_spec("estimates")
    ids = {f"{model}.{c['metric']}" for model, claims in spec["claims"].items() for c in claims}
    ids |= {f"time.{model}" for model in spec["training_time_claims"]}
    ids |= {f"speech.{c['id']}" for c in spec["speech_note_claims"]}
    ids |= {f"efficiency.{k}" for k in range(len(spec["speech_efficiency_claims"]))}
    ids |= {f"inconsistency.{k}" for k in range(len(spec["known_inconsistencies"]))}
    return ids


def test_a_row_per_claim_of_both_documents(reports):
    result = gather(reports)
    ids = [row["id"] for row in result["rows"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == _claim_ids()
    for row in result["rows"]:
        assert row["verdict"] and row["status"] in ("measured", "not measured", "recorded")
        if row["status"] == "not measured":
            assert row["reason"]            # never a blank


@pytest.mark.parametrize("mean, outcome", [(0.60, "validated"), (0.50, "overestimated"), (0.70, "underestimated"),
                                           (0.56, "inconclusive")])
def test_crnn_band_verdict_follows_the_rule_in_estimates(tmp_path, mean, outcome):
    _crnn(tmp_path, mean)
    row = next(r for r in gather(tmp_path)["rows"] if r["id"] == "crnn.r2")
    assert row["verdict"] == outcome == verdict.band_verdict(mean)
    assert row["documented"]["measured"]["mean"] == pytest.approx(mean)
    assert row["documented"]["measured"]["n"] == 3 and "t interval over 3 seeds" in row["documented"]["measured"]["interval"]
    assert row["documented"]["proxy"] and row["documented"]["data"].startswith("PROXY")


def test_point_claims_judged_by_their_interval_and_tuned_shown_beside(reports):
    rows = {r["id"]: r for r in gather(reports)["rows"]}
    ridge = rows["ridge.r2"]       # 0.30-0.34 over seeds against the claimed 0.497: the whole interval lies below
    assert ridge["verdict"] == "below claim" and ridge["documented"]["protocol"] == "grid search"
    crnn = rows["crnn.r2"]
    assert crnn["documented"]["folder"] == "crnn-4q-va-mel" and crnn["tuned"]["folder"] == "crnn-4q-va-mel-tuned"
    assert crnn["tuned"]["verdict"] == "validated"
    assert rows["crnn.parameters"]["documented"]["measured"]["mean"] == 479_138
    speech = rows["cnn_lstm.accuracy"]
    assert speech["documented"]["folder"] == "cnn_lstm-ravdess-emotion-mel-5fold"
    assert "speaker folds" in speech["documented"]["measured"]["interval"]


def test_missing_runs_read_not_measured_with_a_reason(reports):
    rows = {r["id"]: r for r in gather(reports)["rows"]}
    for claim_id in ("ast.ccc", "vit.ccc", "vit_gan.ccc", "time.gan", "speech.higher_accuracy", "efficiency.0"):
        assert rows[claim_id]["status"] == "not measured" and rows[claim_id]["verdict"] == "not measured"
        assert rows[claim_id]["reason"]
    assert "vit_gan" in rows["vit_gan.ccc"]["reason"] and "issue 22" in rows["vit_gan.ccc"]["reason"]


def test_label_swapped_and_cross_corpus_folders_never_give_a_verdict(reports):
    make_group(reports, "ridge-swapped", "ridge", "va", [{"r2": 0.9, "ccc": 0.9, "mse": 0.1, "mae": 0.1}] * 3, protocol=None)
    for run in (reports / "ridge-swapped").glob("*/metrics.json"):
        data = json.loads(run.read_text())
        data["command"]["train"] += " --swap-va-fraction 0.43"
        run.write_text(json.dumps(data))
    assert next(r for r in gather(reports)["rows"] if r["id"] == "ridge.r2")["documented"]["folder"] == "ridge-4q-va-handcrafted"


def test_a_train_on_synthetic_folder_never_gives_the_vit_gan_verdict(reports):
    make_group(reports, "vit_gan-tstr-tuned", "vit_gan", "va", [{"r2": 0.9, "ccc": 0.9, "mse": 0.1, "mae": 0.1}] * 3,
               protocol="tuned")
    for run in (reports / "vit_gan-tstr-tuned").glob("*/metrics.json"):
        data = json.loads(run.read_text())
        data["synthetic_only"] = True            # as evaluate.py records a --synthetic-only run
        run.write_text(json.dumps(data))
    row = next(r for r in gather(reports)["rows"] if r["id"] == "vit_gan.ccc")
    assert row["status"] == "not measured"


def _md_table_ids(text: str, ids) -> set[str]:
    return {i for i in ids if re.search(rf"^\| {re.escape(i)} \|", text, re.M)}


def test_markdown_and_html_hold_the_same_rows(reports, monkeypatch):
    from mer_keras.evaluation.validation_summary import write_validation

    monkeypatch.setenv("MER_CHROMIUM", str(reports / "no-browser-here"))
    written = write_validation(reports / "VALIDATION.md", command="python evaluate.py --summary", render=True)
    markdown = written["markdown"].read_text()
    page = written["html"].read_text()
    html_rows = re.findall(r'<tr data-claim="([^"]+)"', page)
    md_rows = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    header_lines = len(re.findall(r"<thead>", page))
    assert len(html_rows) == len(md_rows) - header_lines       # every table row in both, nothing more
    claim_ids = {row for row in written["rows"]}
    assert claim_ids <= set(html_rows)
    assert _md_table_ids(markdown, claim_ids) == claim_ids
    # self-contained: every plot inline, no external resource
    assert page.count('src="data:image/png;base64,') == len(written["plots"]) >= 3
    assert not re.search(r'(src|href)="https?://', page)
    for plot in written["plots"]:
        assert plot.is_file() and f"]({plot.relative_to(reports).as_posix()})" in markdown
    assert (reports / "validation" / "claims.json").is_file()
    assert any("Chromium not found" in line for line in written["messages"])
    # links resolve to the fake reports
    for link in re.findall(r"\]\(([^)]+\.md)\)", markdown):
        assert (reports / link).is_file(), link


def test_evaluate_summary_command(reports, monkeypatch):
    from mer_keras.cli import evaluate_main

    monkeypatch.setenv("MER_CHROMIUM", str(reports / "no-browser-here"))
    assert evaluate_main(["--summary", "--out", str(reports / "VALIDATION.md")]) == 0
    assert (reports / "validation.html").is_file()
    assert evaluate_main(["--summary", "--out", str(reports / "missing" / "VALIDATION.md")]) == 2


# ----------------------------------------------------------------------------------------------
# the consistency bounds


def _sampled_pairs(n: int = 20000, seed: int = 0):
    """(CCC, R², |r|) of random predictions in closed form: u = sd(p)/sd(y), correlation r, bias b = bias²/var(y)."""
    rng = np.random.default_rng(seed)
    u, r, b = rng.uniform(0.01, 2, n), rng.uniform(-1, 1, n), rng.uniform(0, 1, n) ** 2
    ccc = 2 * r * u / (1 + u ** 2 + b)
    r2 = 2 * r * u - u ** 2 - b
    return ccc, r2, np.abs(r)


def test_bounds_hold_for_every_sampled_prediction():
    ccc, r2, r = _sampled_pairs()
    assert np.all(np.abs(ccc) <= r + 1e-12) and np.all(r2 <= r ** 2 + 1e-12) and np.all(r2 <= ccc + 1e-12)
    assert all(b <= consistency.max_r2_given_ccc(c) + 1e-9 for c, b in zip(ccc, r2))
    for c, b, rr in list(zip(ccc, r2, r))[:3000]:
        bounds = consistency.r_bounds_given(c, b)
        assert bounds["feasible"] and rr >= bounds["min_abs_r"] - 1e-9


def test_bounds_are_tight():
    # an unbiased, perfectly correlated, shrunk prediction p = a y reaches the highest R² for its CCC
    for a in (0.2, 0.5, 0.8):
        ccc, r2 = 2 * a / (1 + a * a), 2 * a - a * a
        assert consistency.max_r2_given_ccc(ccc) == pytest.approx(r2, abs=1e-9)
        assert consistency.r_bounds_given(ccc, r2 - 1e-9)["min_abs_r"] == pytest.approx(1.0, abs=1e-3)


def test_two_axis_bound_matches_a_search_and_axis_checks_agree():
    best = consistency.max_mean_r2_two_axes(0.6)
    grid = np.linspace(0.2, 1.0, 801)
    brute = max((consistency.max_r2_given_ccc(c) + consistency.max_r2_given_ccc(1.2 - c)) / 2 for c in grid)
    assert best["value"] == pytest.approx(brute, abs=1e-4) and best["value"] < 0.6
    rng = np.random.default_rng(1)
    y = rng.normal(5, 1.5, 500)
    checks = consistency.axis_checks(y, 5 + 0.4 * (y - 5) + rng.normal(0, 0.5, 500))
    assert checks["ccc_le_abs_r"] and checks["r2_le_r_squared"] and checks["r2_le_ccc"]


def test_report_checks_are_computed_from_the_claims(reports):
    checks = gather(reports)["checks"]
    spec = load_spec("estimates")["claims"]
    paired = {m for m, claims in spec.items() if {"ccc", "r2"} <= {c["metric"] for c in claims if "value" in c}}
    assert {p["model"] for p in checks["pairs"]} == paired
    for pair in checks["pairs"]:
        assert pair == pair | consistency.r_bounds_given(pair["ccc"], pair["r2"])
    assert checks["parameters"]["claimed"] == next(c["value"] for c in spec["crnn"] if c["metric"] == "parameters")
    assert checks["parameters"]["measured"] == 479_138
    assert checks["measured_predictions"]["axes"] == 6 and checks["measured_predictions"]["violations"] == 0
    ladder = [step["from"] for step in checks["ladder"]["steps"]]
    assert ladder[0] == "ridge" and "crnn" in ladder


# ----------------------------------------------------------------------------------------------
# the browser


@pytest.mark.skipif(browser.find_chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_the_page_renders_every_row_and_plot_in_chromium(reports):
    from mer_keras.evaluation.validation_summary import write_validation

    written = write_validation(reports / "VALIDATION.md", command="python evaluate.py --summary")
    check = written["browser"]
    assert set(written["rows"]) <= set(check["rows"]) and check["n_rows"] == len(check["rows"])
    assert check["plots"] == check["plots_loaded"] == len(written["plots"])
    assert written["screenshot"].is_file() and written["screenshot"].stat().st_size > 10_000


def test_tuned_only_models_and_gan_runs_are_picked_up(reports):
    """vit_gan trains under the tuned protocol only (its R = 0 control arm never judges the claim); a GAN run's
    training time is read from its gan_quality.json."""
    for name, ratio, ccc in (("vit_gan-r1", 1, 0.74), ("vit_gan-r0", 0, 0.99)):
        folder = make_group(reports, name, "vit_gan", "va", [{"r2": 0.3, "ccc": ccc + d, "mse": 1.5, "mae": 0.9}
                                                             for d in (-0.02, 0.0, 0.02)], protocol="tuned")
        summary = json.loads((folder / "metrics.json").read_text())
        (folder / "metrics.json").write_text(json.dumps(summary | {"synthetic_ratio": ratio}))
    gan = reports / "gan-4q-va"
    gan.mkdir()
    (gan / "gan_quality.json").write_text(json.dumps({"per_epoch": {"seconds": [60.0] * 15}}))
    rows = {r["id"]: r for r in gather(reports)["rows"]}
    vit_gan = rows["vit_gan.ccc"]
    assert vit_gan["status"] == "measured" and vit_gan["documented"]["folder"] == "vit_gan-r1"
    assert vit_gan["verdict"] == "consistent" and "tuned protocol" in vit_gan["documented"]["caveats"][0]
    assert rows["time.gan"]["documented"]["measured"]["mean"] == pytest.approx(0.25)
    assert rows["time.gan"]["verdict"] == "shorter than claimed"


def test_an_efficiency_claim_the_speech_note_restates_is_one_row_judged_by_the_paired_folds():
    from mer_keras.evaluation.evidence import efficiency_rows, merge_same_claims, speech_rows

    spec = load_spec("estimates")
    note = {c["id"]: c["claim"] for c in spec["speech_note_claims"]}
    comparison = {"command": "python -m mer_keras.evaluation.comparison ...",
                  "models": {"cnn_lstm": {"n_runs": 3, "data": "RAVDESS", "train_commands": ["python train.py ..."]}},
                  "efficiency_claims": [{"claim": c["claim"], "figure": "train_seconds", "cnn_lstm": 600.0,
                                         "attn_crnn": 900.0, "outcome": "holds"}
                                        for c in spec["speech_efficiency_claims"]]}
    judged = {"faster_training": "inconclusive"}              # only this twin has a paired verdict
    claims_report = {"data": "RAVDESS", "command": "python -m mer_keras.evaluation.speech_claims ...",
                     "protocols": {"documented": {"claims": [
                         {"claim": note[i], "outcome": v, "measured": {"n": 5}} for i, v in judged.items()]}}}
    others = {"speech-ravdess-comparison": comparison, "speech-note-004-claims": claims_report}
    speech = speech_rows(others)
    kept = merge_same_claims(efficiency_rows(others), speech)
    twins = {c["same_as"] for c in spec["speech_efficiency_claims"] if c.get("same_as")}
    assert "faster_training" in twins
    left = {row["same_as"] for row in kept}
    assert left == {f"speech.{t}" for t in twins - set(judged)}       # unjudged twins keep their own row
    faster = next(r for r in speech if r["id"] == "speech.faster_training")
    assert faster["verdict"] == "inconclusive"                         # the paired verdict stands
    cited = faster["documented"]["caveats"][-1]
    assert "speech-ravdess-comparison" in cited and "holds" in cited and "600.0" in cited


def test_a_speech_claim_judged_on_a_second_training_corpus_is_cited_beside_the_documented_verdict():
    from mer_keras.evaluation.evidence import speech_rows

    claim = next(c["claim"] for c in load_spec("estimates")["speech_note_claims"] if c["id"] == "corpus_generalisation")
    judged = lambda outcome, mean: {"claims": [{"claim": claim, "outcome": outcome,
                                                "measured": {"mean": mean, "low": mean - 0.1, "high": mean + 0.1, "n": 5}}]}
    others = {"a-emodb-claims": {"dataset": "emodb", "data": "EmoDB", "protocols": {"tuned": judged("holds", -0.2)}},
              "b-ravdess-claims": {"dataset": "ravdess", "data": "RAVDESS",
                                   "protocols": {"documented": judged("inconclusive", 0.01), "tuned": judged("holds", -0.07)}}}
    row = next(r for r in speech_rows(others) if r["id"] == "speech.corpus_generalisation")
    assert row["documented"]["folder"] == "b-ravdess-claims" and row["verdict"] == "inconclusive"
    assert row["tuned"]["verdict"] == "holds"
    cited = [c for c in row["documented"]["caveats"] if "a-emodb-claims" in c]
    assert len(cited) == 1 and "emodb as the training corpus, tuned): holds, -0.200 [-0.300, -0.100], n = 5" in cited[0]


def test_the_gan_augmentation_paired_result_is_said_in_the_evidence(reports):
    folder = reports / "vit_gan-gan-paired"
    folder.mkdir()
    row = {"baseline": "vit_gan-r0", "figure": "ccc", "outcome": "inconclusive", "treatment_mean": 0.37,
           "baseline_mean": 0.35, "collapsed_pairs": 1,
           "difference": {"mean": 0.02, "low": -0.19, "high": 0.23, "n": 3, "values": [-0.03, -0.02, 0.12]}}
    (folder / "metrics.json").write_text(json.dumps({"treatment": "vit_gan-r1", "label": "GAN augmentation, R = 1",
                                                     "figure": "ccc", "task": "va", "rows": [row]}))
    said = [line for line in gather(reports)["evidence"] if line.startswith("GAN augmentation, R = 1")]
    assert len(said) == 1 and "CCC +0.020 [-0.190, +0.230] over 3 paired seeds (inconclusive; 1 pair(s)" in said[0]
