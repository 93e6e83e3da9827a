"""Plant known science bugs one at a time in a copy of the repository; check that the tests catch each.

Issue 26: a mutation check planted these bugs and no test caught them. This script keeps the list
(hand-written: file, exact old text, new text, tests to run) so that the check can be rerun:

    python bench/mutation_check.py                 # every planted bug; prints a markdown table
    python bench/mutation_check.py --list          # the planted bugs, without running anything
    python bench/mutation_check.py --only band-overestimated-inclusive --only bootstrap-90
    python bench/mutation_check.py --write bench/mutation_results.md

The repository (``git ls-files -co --exclude-standard``: tracked and untracked, not ignored) is
copied to ``<tmp>/main`` with ``<tmp>/shared`` linked to the repository's ``../shared``, so the
tests find the data and the design documents the same relative way. First the union of the listed
tests runs on the unmodified copy (a bug "caught" by a test that fails anyway means nothing); then,
for each planted bug, the edit is applied, its tests run with ``python -m pytest -x -q`` (with
``MER_CACHE`` in the temporary folder) and the file is restored. The working tree itself is never
modified. An edit whose old text is not found in any of its candidate files (code moved or
rewritten) is reported as "not applied (code moved)".
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Mutation:
    name: str
    description: str
    files: list[str]                 # candidate paths (the first holding every old text is edited)
    edits: list[tuple[str, str]]     # (exact old text, new text), each replaced once
    tests: list[str]
    notes: str = ""
    applied_to: str | None = field(default=None, init=False)


BASELINE_TESTS = ["tests/models/test_baseline_search_folds.py"]
SCALER_TESTS = ["tests/training/test_scaler_training_only.py"]
STOPPING_TESTS = ["tests/training/test_early_stopping_restores_best.py"]
PREDICT_TESTS = ["tests/test_predict_output_columns.py"]
BAND_TESTS = ["tests/evaluation/test_band_boundaries.py"]
BOOTSTRAP_TESTS = ["tests/evaluation/test_bootstrap_level.py"]
SPEC_TESTS = ["tests/test_specs_match_documents.py"]

SCALER_LINE = 'scaler = FeatureScaler().fit(prepared.parts["train"][1])'
TRAIN_FILES = ["mer_keras/training/train.py"]

MUTATIONS = [
    Mutation("baseline-kfold", "baselines' grid search folds: plain KFold instead of GroupKFold (song/artist leak)",
             ["mer_keras/models/baselines.py"],
             [("from sklearn.model_selection import GridSearchCV, GroupKFold",
               "from sklearn.model_selection import GridSearchCV, GroupKFold, KFold"),
              ("cv=GroupKFold(n_splits=n_folds)", "cv=KFold(n_splits=n_folds)")],
             BASELINE_TESTS),
    Mutation("baseline-kfold-shuffled", "baselines' grid search folds: shuffled KFold, groups ignored",
             ["mer_keras/models/baselines.py"],
             [("from sklearn.model_selection import GridSearchCV, GroupKFold",
               "from sklearn.model_selection import GridSearchCV, GroupKFold, KFold"),
              ("cv=GroupKFold(n_splits=n_folds)", "cv=KFold(n_splits=n_folds, shuffle=True, random_state=seed)")],
             BASELINE_TESTS),
    Mutation("scaler-train-val-test", "feature scaler fitted on training + validation + test features",
             TRAIN_FILES,
             [(SCALER_LINE,
               'scaler = FeatureScaler().fit(np.concatenate([prepared.parts["train"][1], prepared.parts["validation"][1], '
               'extract_features([prepared.dataset.by_id()[i] for i in prepared.split["test"]], prepared.feature_spec, '
               'cache=FeatureCache(request.cache), workers=request.workers).features]))')],
             SCALER_TESTS),
    Mutation("scaler-train-val", "feature scaler fitted on training + validation features",
             TRAIN_FILES,
             [(SCALER_LINE,
               'scaler = FeatureScaler().fit(np.concatenate([prepared.parts["train"][1], prepared.parts["validation"][1]]))')],
             SCALER_TESTS),
    Mutation("early-stopping-keeps-last", "early stopping keeps the last epoch's weights instead of restoring the best",
             ["mer_keras/training/fit.py"],
             [("        if self.run.best_weights.is_file():\n            self.model.load_weights(self.run.best_weights)",
               "        pass  # planted: the last epoch's weights stay")],
             STOPPING_TESTS),
    Mutation("predict-table-swapped", "predict.py's table prints valence and arousal swapped",
             ["mer_keras/cli.py"],
             [("valence {row['valence']:.2f}\\tarousal {row['arousal']:.2f}",
               "valence {row['arousal']:.2f}\\tarousal {row['valence']:.2f}")],
             PREDICT_TESTS),
    Mutation("predict-rows-swapped", "predict.py's rows (JSON and table) carry valence and arousal swapped",
             ["mer_keras/predict.py", "mer_keras/inference.py"],
             [("values = decode_predictions(np.asarray(outputs)[None, :], task)[0]",
               "values = decode_predictions(np.asarray(outputs)[None, :], task)[0]; "
               "values = {**values, **({'valence': values['arousal'], 'arousal': values['valence']} "
               "if 'valence' in values else {})}")],
             PREDICT_TESTS),
    Mutation("decode-swapped", "model outputs decoded to the 1-9 scale with valence and arousal swapped",
             ["mer_keras/data/targets.py"],
             [('{"valence": SCALE_CENTRE + SCALE_HALF_RANGE * v, "arousal": SCALE_CENTRE + SCALE_HALF_RANGE * a}',
               '{"valence": SCALE_CENTRE + SCALE_HALF_RANGE * a, "arousal": SCALE_CENTRE + SCALE_HALF_RANGE * v}')],
             PREDICT_TESTS),
    Mutation("keras-predictor-swapped", "the Keras run's predictor returns its two output columns swapped",
             ["mer_keras/inference.py", "mer_keras/evaluation/evaluate.py"],
             [("return lambda features: model.predict(scaler.transform(features), batch_size=32, verbose=0)",
               "return lambda features: model.predict(scaler.transform(features), batch_size=32, verbose=0)[:, ::-1]")],
             PREDICT_TESTS),
    Mutation("band-overestimated-inclusive", "band rule: `< 0.55` became `<= 0.55` (0.55 judged overestimated)",
             ["mer_keras/evaluation/verdict.py"],
             [('if measured < rule["overestimated_below"]:', 'if measured <= rule["overestimated_below"]:')],
             BAND_TESTS),
    Mutation("band-underestimated-inclusive", "band rule: `> 0.65` became `>= 0.65` (0.65 judged underestimated)",
             ["mer_keras/evaluation/verdict.py"],
             [('if measured > rule["underestimated_above"]:', 'if measured >= rule["underestimated_above"]:')],
             BAND_TESTS),
    Mutation("bootstrap-90", "bootstrap interval at 90% instead of 95% (default level)",
             ["mer_keras/evaluation/bootstrap.py"],
             [("confidence: float = 0.95", "confidence: float = 0.90")],
             BOOTSTRAP_TESTS),
    Mutation("bootstrap-tail", "bootstrap interval labelled 95% but cut at the 5th/95th percentiles (a 90% interval)",
             ["mer_keras/evaluation/bootstrap.py"],
             [("tail = (1 - confidence) / 2 * 100", "tail = (1 - confidence) * 100")],
             BOOTSTRAP_TESTS),
    Mutation("crnn-dropout-0.2", "specs/crnn.yaml: dropout 0.5 became 0.2",
             ["specs/crnn.yaml"], [("{type: Dropout, rate: 0.5}", "{type: Dropout, rate: 0.2}")], SPEC_TESTS),
    Mutation("crnn-patience-5", "specs/crnn.yaml: early-stopping patience 10 became 5",
             ["specs/crnn.yaml"], [("    patience: 10", "    patience: 5")], SPEC_TESTS),
    Mutation("crnn-builder-dropout", "the CRNN builder ignores the spec's dropout rate (hard-coded 0.2)",
             ["mer_keras/models/crnn.py"],
             [('keras.layers.Dropout(config["rate"], name=name)', 'keras.layers.Dropout(0.2, name=name)')], SPEC_TESTS),
    Mutation("estimates-xgboost-mse", "specs/estimates.yaml: XGBoost's MSE claim 1.68 became 1.58",
             ["specs/estimates.yaml"], [("{metric: mse, value: 1.68,", "{metric: mse, value: 1.58,")], SPEC_TESTS),
    Mutation("estimates-band", "specs/estimates.yaml: the validated band [0.58, 0.62] became [0.57, 0.63]",
             ["specs/estimates.yaml"], [("band: [0.58, 0.62]        #", "band: [0.57, 0.63]        #")],
             SPEC_TESTS + BAND_TESTS),
]


def repository_files(repo: Path) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=repo, check=True,
                            capture_output=True).stdout.decode().split("\0")
    return sorted({name for name in listed if name and (repo / name).is_file()})


def make_copy(repo: Path, root: Path) -> Path:
    copy = root / "main"
    for name in repository_files(repo):
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, target)
    shared = (repo.parent / "shared").resolve()
    if shared.is_dir():
        (root / "shared").symlink_to(shared, target_is_directory=True)
    return copy


def environment(root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("MER_SPECS", "MER_DATA", "PYTHONPATH")}
    env.update(MER_CACHE=str(root / "cache"), PYTHONDONTWRITEBYTECODE="1", TF_CPP_MIN_LOG_LEVEL="2")
    return env


def pytest(copy: Path, tests: list[str], env: dict, timeout: int, stop_first: bool = True):
    command = [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", *(["-x"] if stop_first else []), *tests]
    started = time.time()
    try:
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout + done.stderr, time.time() - started
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout or ""
        return None, partial.decode(errors="replace") if isinstance(partial, bytes) else partial, time.time() - started


def failed_tests(output: str) -> list[str]:
    return re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.M)


def apply(copy: Path, mutation: Mutation) -> tuple[Path, str] | None:
    """Edit the first candidate file holding every old text; return (path, original text) or None."""
    for name in mutation.files:
        path = copy / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if all(old in text for old, _ in mutation.edits):
            edited = text
            for old, new in mutation.edits:
                edited = edited.replace(old, new, 1)
            path.write_text(edited, encoding="utf-8")
            mutation.applied_to = name
            return path, text
    return None


def verdict(code, output: str) -> str:
    if code is None:
        return "caught? (timed out)"
    if code == 0:
        return "**MISSED**"
    if code == 1:
        failed = failed_tests(output)
        return "caught" + (f" (`{failed[0]}`)" if failed else "")
    if code == 5:
        return "not run (no tests collected)"
    return f"caught? (pytest error, exit {code})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the planted bugs and exit")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this planted bug (repeatable)")
    parser.add_argument("--repo", default=str(REPO), help="repository to copy (default: this one)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per pytest run")
    parser.add_argument("--write", metavar="FILE", help="also write the table, with the command and date, to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (its path is printed)")
    args = parser.parse_args(argv)

    chosen = MUTATIONS
    if args.only:
        unknown = sorted(set(args.only) - {m.name for m in MUTATIONS})
        if unknown:
            parser.error(f"unknown planted bug(s) {unknown}; --list shows the names")
        chosen = [m for m in MUTATIONS if m.name in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.name:30s} {' | '.join(m.files):45s} {m.description}\n{'':30s} tests: {' '.join(m.tests)}")
        return 0

    repo = Path(args.repo).resolve()
    root = Path(tempfile.mkdtemp(prefix="mutation_check_"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # a killed check still removes its copy
    try:
        copy = make_copy(repo, root)
        env = environment(root)
        where = subprocess.run([sys.executable, "-c", "import mer_keras; print(mer_keras.__file__)"], cwd=copy, env=env,
                               capture_output=True, text=True).stdout.strip()
        if not where.startswith(str(copy)):
            print(f"error: the copy imports mer_keras from {where!r}, not from {copy}", file=sys.stderr)
            return 2
        tests = sorted({test for m in chosen for test in m.tests})
        missing = [test for test in tests if not (copy / test.split("::")[0]).exists()]
        print(f"copy of {repo} in {copy}; clean run of {len(tests)} test file(s)", file=sys.stderr, flush=True)
        code, output, seconds = pytest(copy, [t for t in tests if t not in missing], env, args.timeout * 2, stop_first=False)
        broken = {name.split("::")[0] for name in failed_tests(output)}
        clean = "passed" if code == 0 else f"exit {code}; failing: {sorted(broken) or 'see output'}"
        print(f"clean run: {clean} ({seconds:.0f} s)", file=sys.stderr, flush=True)
        unusable = code not in (0, 1) and not broken      # e.g. pytest could not start at all
        if code not in (0, 1):
            print(output[-3000:], file=sys.stderr)

        rows = []
        for m in chosen:
            if any(test.split("::")[0] in missing for test in m.tests):
                rows.append((m, "not run (test file missing)", 0.0))
                continue
            if unusable or any(test.split("::")[0] in broken for test in m.tests):
                rows.append((m, "not judged (its tests fail without the bug)", 0.0))
                continue
            planted = apply(copy, m)
            if planted is None:
                rows.append((m, "not applied (code moved)", 0.0))
                print(f"{m.name}: not applied (code moved)", file=sys.stderr, flush=True)
                continue
            path, original = planted
            try:
                result, out, took = pytest(copy, m.tests, env, args.timeout)
            finally:
                path.write_text(original, encoding="utf-8")
            rows.append((m, verdict(result, out), took))
            print(f"{m.name}: {rows[-1][1]} ({took:.0f} s)", file=sys.stderr, flush=True)

        lines = ["| planted bug | file | caught? | tests | seconds |", "|---|---|---|---|---|"]
        for m, outcome, took in rows:
            lines.append(f"| {m.description} (`{m.name}`) | `{m.applied_to or m.files[0]}` | {outcome} | "
                         f"{', '.join(f'`{t}`' for t in m.tests)} | {took:.0f} |")
        table = "\n".join(lines)
        summary = (f"{sum(o.startswith('caught') for _, o, _ in rows)} of {len(rows)} planted bugs caught; "
                   f"clean run of the listed tests: {clean}.")
        print(table)
        print(f"\n{summary}")
        if args.write:
            command = " ".join(["python", "bench/mutation_check.py", *(argv if argv is not None else sys.argv[1:])])
            stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
            Path(args.write).write_text(
                f"# Mutation check (issue 26)\n\nCommand: `{command}`  \nDate: {stamp}  \n"
                f"Repository: working tree of `{repo.name}` (tracked and untracked files), copied; "
                "each bug planted alone in the copy.\n\n" + table + f"\n\n{summary}\n", encoding="utf-8")
        return 0 if all(o.startswith("caught") for _, o, _ in rows) else 1
    finally:
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
