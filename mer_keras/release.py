"""The released default model: a verified copy of one finished run, with a model card, that ``predict.py``
uses when no ``--run`` is given.

``python -m mer_keras.release RUN --report REPORT_DIR [--out released/default]`` copies the files the
run's manifest lists (never the resume-only checkpoints, never a pickle), writes ``model_card.md`` from
the run's config and its test report (``metrics.json`` written by ``evaluate.py``: figures with their
bootstrap intervals, collapse check, data, proxy label, protocol, licences) and seals the copy with a
fresh manifest. Updating the released model is that one command.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mer_keras.errors import RunError
from mer_keras.runs import MANIFEST, PICKLE_SUFFIXES, RunDir, _finished, write_text

#: Where the released model lives: ``released/default`` at the repository root.
RELEASE_DIR = Path(__file__).resolve().parent.parent / "released" / "default"
#: A released model ships in git: a few MB at most.
MAX_BYTES = 8 * 2**20

LICENCES = {
    "4q": "4Q audio: research use (cite Panda et al. 2018); the audio is not shipped, only the model.",
    "4q-va": "4Q audio: research use (cite Panda et al. 2018); valence/arousal targets from the Warriner "
             "et al. word norms (CC BY-NC-ND 3.0). The audio and norms are not shipped, only the model.",
    "ravdess": "RAVDESS: CC BY-NC-SA 4.0 (cite Livingstone & Russo 2018); the audio is not shipped.",
    "emodb": "EmoDB: free for research (cite Burkhardt et al. 2005); the audio is not shipped.",
    "musicnn": "musicnn backbone: the MSD_musicnn checkpoint of the `musicnn` 0.1.0 wheel (ISC licence), "
               "converted on first use; not shipped here (install: python -m pip install --no-deps musicnn==0.1.0).",
}


CAVEATS = {
    "musicnn": "Pretraining caveat: the musicnn backbone was trained on the Million Song Dataset's last.fm tags, "
               "which include mood words; 4Q's labels derive from AllMusic mood tags, and whether some 4Q songs are "
               "also in the MSD is not checked here.",
}


def _interval(metrics: dict, key: str) -> str:
    interval = (metrics.get("bootstrap") or {}).get(key)
    if not interval:
        return "-"
    return f"{interval['low']:.3f} to {interval['high']:.3f}"


def model_card(config: dict, metrics: dict, source: str, command: str) -> str:
    """``model_card.md`` text for a run (``config.json``) and its own test report (``metrics.json``)."""
    from mer_keras.evaluation.tasks import task_module

    task = metrics["task"]
    headline = task_module(task).headline(metrics)
    feature = (config.get("feature") or {}).get("kind", "?")
    lines = [f"# Model card: {config['model']} on {metrics['dataset']} ({task})", "",
             f"- Source run: `{source}` (files copied and re-sealed; sha256 of each in `{MANIFEST}`).",
             f"- Model: `{config['model']}` ({config.get('family', 'keras')}), input features `{feature}`, "
             f"{metrics.get('parameters') or '-'} parameters; protocol `{metrics.get('protocol') or '-'}`.",
             f"- Training data: {metrics['data']}; split by {metrics['split'].get('group_by', '?')} "
             f"(seed {metrics['split'].get('seed')}): {metrics['split'].get('train')} training, "
             f"{metrics['split'].get('validation')} validation, {metrics['split'].get('test')} test items.",
             f"- Trained with: `{config.get('command', '?')}`."]
    if metrics.get("proxy_label"):
        lines.append(f"- **Proxy label:** {metrics['proxy_label']}. Values are on that 1-9 scale, not listener ratings.")
    lines += ["", f"## Test figures ({metrics.get('n_test')} test items never seen in training, scored once by evaluate.py)", "",
              "| figure | value | 95% bootstrap interval |", "|---|---|---|"]
    keys = {"mean R²": "r2_mean", "mean CCC": "ccc_mean", "quadrant accuracy": "quadrant_accuracy", "accuracy": "accuracy"}
    for name, value in headline.items():
        lines.append(f"| {name} | {value:.3f} | {_interval(metrics, keys.get(name, ''))} |")
    collapse = metrics.get("collapse") or {}
    lines += ["", f"Collapse check: {'**flagged**: ' + collapse.get('why', '') if collapse.get('flagged') else 'not flagged'}"
              + (f" (prediction sd / label sd: " + ", ".join(f"{k} {v:.2f}" for k, v in collapse['spread_ratio'].items()) + ")"
                 if collapse.get("spread_ratio") else "") + ".",
              "", "One seed's figures; the seed spread of the same setting is in the committed summary reports "
              "(README, Results). Another CPU can train the same seed differently.", "", "## Licences", ""]
    if feature in CAVEATS:
        lines[-3:-3] = [CAVEATS[feature], ""]
    dataset = config.get("dataset_name") or metrics["dataset"]
    lines += [f"- {LICENCES[key]}" for key in (dataset, feature) if key in LICENCES]
    lines += ["- The project's code and this model's weights: see the repository's licence.", "",
              "## Updating", "", "```", command, "```", ""]
    return "\n".join(lines)


def release_run(run_path: Path, report_dir: Path, out: Path = RELEASE_DIR, command: str = "") -> Path:
    """Copy a finished, verified run to ``out`` with a model card; returns ``out``.

    Refuses (one line each): an unfinished or unsealed run, a pickle, a report of another run, a copy over
    ``MAX_BYTES``. ``out`` is replaced only once the new copy is complete.
    """
    run, out, report_dir = RunDir(run_path), Path(out), Path(report_dir)
    config = _finished(run)
    files = run.read_manifest()
    if files is None:
        raise RunError(f"{run.path} has no {MANIFEST}; check the run, then python -m mer_keras.runs seal {run.path}")
    if any(name.endswith(PICKLE_SUFFIXES) for name in files):
        raise RunError(f"{run.path} holds a pickle; a released model carries none: train the run again")
    run.verify(required=("config.json",))
    report = report_dir / "metrics.json"
    try:
        metrics = json.loads(report.read_text())
    except (OSError, ValueError) as error:
        raise RunError(f"{report}: {error}; pass the folder where evaluate.py wrote this run's test report") from None
    if metrics.get("run") != run.path.name or metrics.get("evaluated_on"):
        raise RunError(f"{report} is not this run's own test report (it is for {metrics.get('run')!r}"
                       f"{' on ' + str(metrics['evaluated_on']) if metrics.get('evaluated_on') else ''}); "
                       f"pass the folder where evaluate.py {run.path} wrote")
    names = [name for name in files if name != "model_card.md"]
    size = sum((run / name).stat().st_size for name in names)
    if size > MAX_BYTES:
        raise RunError(f"{run.path} is {size / 2**20:.1f} MiB; a released model must stay under "
                       f"{MAX_BYTES / 2**20:.0f} MiB (it ships in git): release a smaller model")
    temp = out.with_name(out.name + ".partial")
    shutil.rmtree(temp, ignore_errors=True)
    try:
        temp.mkdir(parents=True)
        for name in names:
            shutil.copy2(run / name, temp / name)
        write_text(temp / "model_card.md", model_card(config, metrics, str(run.path), command))
        RunDir(temp).write_manifest()
        if out.exists():
            shutil.rmtree(out)
        temp.rename(out)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise RunError(f"cannot write {out}: {exc.strerror or exc}; choose a writable place") from None
    return out


def main(argv=None) -> int:
    import argparse
    import sys

    from mer_keras.errors import exit_status

    parser = argparse.ArgumentParser(prog="python -m mer_keras.release",
                                     description="Make a finished run the released default model of predict.py.")
    parser.add_argument("run", help="a finished, sealed run directory")
    parser.add_argument("--report", required=True, help="the folder where evaluate.py wrote this run's test report")
    parser.add_argument("--out", default=str(RELEASE_DIR), help=f"default: {RELEASE_DIR}")
    args = parser.parse_args(argv)
    command = "python -m mer_keras.release " + " ".join(sys.argv[1:] if argv is None else argv)
    status = exit_status(release_run, Path(args.run), Path(args.report), Path(args.out), command)
    if status == 0:
        print(f"released {args.run} to {args.out} (model_card.md beside it)", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
