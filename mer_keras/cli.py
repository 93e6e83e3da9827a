"""Argument parsing for train.py, evaluate.py and predict.py; errors become one clear line."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from mer_keras.errors import MerError, exit_status

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _guard(function, argv, script):
    """Run a command: project errors as one ``error:`` line (status 2); Ctrl-C (SIGINT) or SIGTERM as one
    line and status 130 / 143 (:mod:`mer_keras.interrupts`); never a traceback."""
    from mer_keras.interrupts import run_command

    return run_command(lambda: exit_status(function, argv, script))


def resume_command(command: str) -> str:
    """A run's recorded command with ``--resume`` (once), the command that continues it."""
    return command if "--resume" in shlex.split(command) else f"{command} --resume"


def _command(script: str, argv: list[str]) -> str:
    return " ".join(["python", script, *map(shlex.quote, argv)])


def _ablations():
    from mer_keras.training.protocols import ABLATIONS

    return ABLATIONS


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="train.py", description="Train a model; writes a run directory.")
    parser.add_argument("--model", default="crnn", help="music: crnn (default), vit, ast, musicnn (see --backbone), ridge, "
                                                         "svr, xgboost, gan (a conditional spectrogram GAN), vit_gan and "
                                                         "crnn_gan (the ViT / the CRNN on crops beside generated ones: see "
                                                         "--synthetic-ratio); speech: cnn_lstm, attn_crnn, svc, logreg")
    parser.add_argument("--dataset", choices=["deam", "4q", "ravdess", "cremad", "emodb"],
                        help="default: DEAM if its inputs are found, else 4Q; ravdess / cremad / emodb: 6-class speech emotion "
                             "(models cnn_lstm, attn_crnn, svc, logreg)")
    parser.add_argument("--data", help="dataset folder (default: $MER_DATA, else ../shared/data/<dataset>)")
    parser.add_argument("--target", choices=["va", "quadrant", "emotion"],
                        help="4Q: 'va' = tag-derived valence/arousal (4Q-VA, default), 'quadrant' = quadrant signs")
    parser.add_argument("--features", choices=["mel", "opensmile", "handcrafted", "waveform", "embeddings", "egemaps",
                                               "musicnn"],
                        help="mel: log-mel from audio (deep models' default); handcrafted: librosa descriptors "
                             "(baselines' default); opensmile: openSMILE frames in DEAM's layout (DEAM's files, or computed from 4Q audio); waveform: raw 16 kHz audio "
                             "(attn_crnn's default); embeddings: see --embeddings; egemaps: openSMILE's 88 eGeMAPS v02 "
                             "functionals per speech clip (svc and logreg's default, speech datasets only); musicnn: "
                             "the pretrained musicnn's 400-d clip embedding (ridge, svr, xgboost; needs "
                             "pip install --no-deps musicnn==0.1.0)")
    parser.add_argument("--embeddings", help="attn_crnn: folder of precomputed wav2vec2 frame embeddings, one "
                                             "<clip name>.npy (frames, dim) per clip; replaces the conv encoder. "
                                             "Nothing is downloaded")
    parser.add_argument("--deam-labels", choices=["corrected", "as-shipped"],
                        help="DEAM static labels: 'corrected' (default; valence/arousal swapped back for the 2013 songs "
                             "the label audit finds swapped) or 'as-shipped'")
    parser.add_argument("--norms", help="4Q-VA: Warriner norms CSV (default: <data>/../warriner/Ratings_Warriner_et_al.csv)")
    parser.add_argument("--epochs", type=int, help="maximum epochs (spec: 50)")
    parser.add_argument("--batch-size", type=int, help="batch size (spec: 32)")
    parser.add_argument("--patience", type=int, help="early-stopping patience (spec: 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed for split, initialisation and shuffling")
    parser.add_argument("--limit", type=int, help="use a seeded random subset of N items (smoke runs)")
    parser.add_argument("--out", help="run directory (default runs/<model>-<dataset>-<target>-<features>[-as-shipped]-seed<N>)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    parser.add_argument("--cache", help="feature cache folder (default $MER_CACHE or ~/.cache/mer_keras)")
    parser.add_argument("--workers", type=int, help="feature extraction processes (default: CPU count)")
    parser.add_argument("--precision", choices=["float32", "mixed_bfloat16"], default="float32",
                        help="float32 (default, the documented model) or mixed_bfloat16 (opt-in; bfloat16 compute, "
                             "float32 weights; faster only where the hardware has bfloat16 units)")
    parser.add_argument("--protocol", choices=["documented", "tuned", "leaky"], default="documented",
                        help="Keras models: 'documented' (default; the spec's training exactly, used for the documents' "
                             "verdicts) or 'tuned' (the same layers trained as fairly as the project can: "
                             "specs/protocols.yaml); vit_gan / crnn_gan only: 'leaky' (generated crops pooled with every song's crops "
                             "before a random split: for illustration, never used for a verdict)")
    parser.add_argument("--ablate", action="append", metavar="CHOICE",
                        help="with --protocol tuned: turn one tuned choice off to measure it on validation songs "
                             "(repeatable): " + ", ".join(sorted(_ablations())))
    parser.add_argument("--validation-fold", metavar="K/N",
                        help="validation part = fold K of a grouped N-fold partition of the training songs (test part "
                             "unchanged), to compare choices over N validation folds")
    parser.add_argument("--test-fold", metavar="K/N",
                        help="cross-validation: test part = fold K of a grouped N-fold partition of all items (by "
                             "speaker, artist or song); run K = 0..N-1 and evaluate them together for per-fold and "
                             "pooled figures")
    parser.add_argument("--train-fraction", type=float, default=1.0, metavar="F",
                        help="train on a seeded share F of the training songs' groups (validation and test parts "
                             "unchanged): learning curves over training-set size")
    parser.add_argument("--preset", help="vit / ast: a named size from specs/<model>.yaml `presets` (e.g. vit_base_16, "
                                         "ast_paper); default: the small configuration in `model`")
    parser.add_argument("--weights", help="vit / ast: local pretrained weights (a keras-hub preset folder or a "
                                          ".weights.h5 file); default: random initialisation. Nothing is downloaded")
    parser.add_argument("--backbone", choices=["frozen", "finetune", "scratch"],
                        help="musicnn: its pretrained (Million Song Dataset tags) backbone 'frozen' (default; only the head "
                             "trains), 'finetune' (trained too, at a tenth of the head's learning rate) or 'scratch' (the "
                             "same layers randomly initialised: the control); other models refuse it")
    parser.add_argument("--synthetic-ratio", type=float, metavar="R",
                        help="vit_gan / crnn_gan: R generated crops per real training crop (0: the same model on the same crops "
                             "without generated ones, the control)")
    parser.add_argument("--gan-run", metavar="DIR", help="vit_gan / crnn_gan: the run of train.py --model gan whose generator makes "
                                                         "the crops (same dataset, target and seed)")
    parser.add_argument("--synthetic-only", action="store_true",
                        help="vit_gan / crnn_gan: train on generated crops only (as many as the real crops of an epoch, labels drawn "
                             "from the training songs'), validate and test on real held-out songs: train on synthetic, "
                             "test on real (needs --gan-run; run name ...-tstr-...)")
    parser.add_argument("--swap-va-fraction", type=float, metavar="F",
                        help="exchange valence and arousal for a seeded share F of the TRAINING songs (validation and test "
                             "keep their labels; recorded in config.json): DEAM's 2013 labels replayed, e.g. 0.4266 = 744 of 1,744")
    parser.add_argument("--distribution", choices=["none", "data-parallel"], default="none",
                        help="Keras models on JAX: 'data-parallel' replicates the model on every visible device and "
                             "splits each batch (--batch-size: the global batch, a multiple of the device count); "
                             "several processes join through KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES / "
                             "_PROCESS_ID (README: Running on a cluster); only process 0 writes the run")
    return parser


def _train(argv, script):
    args = train_parser().parse_args(argv)      # first: --help answers without the training imports
    from mer_keras.interrupts import Interrupted
    from mer_keras.training.train import TrainRequest, train

    request = TrainRequest(**{k: v for k, v in vars(args).items()}, command=_command(script, argv))
    try:
        train(request)
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else 2
        raise Interrupted(signum, f"{Interrupted(signum)}; the run keeps its completed epochs and cached features: "
                                  f"continue it with: {resume_command(request.command)}") from None
    return 0


_TRUST_PICKLE_HELP = ("open a run whose model is a pickle (model.joblib, runs trained before pickle-free baselines); "
                      "unsafe: a pickle runs whatever code it carries when opened, so only for runs you made or trust")


def _evaluate(argv, script):
    parser = argparse.ArgumentParser(prog="evaluate.py", description="Score runs on their test items; write metrics.json and report.md.")
    parser.add_argument("runs", nargs="*", help="run directories (several: one per seed, plus a summary); "
                                                "default: the newest run under runs/")
    parser.add_argument("--report-dir", help="where to write the report (default: the run directory)")
    parser.add_argument("--cache", help="feature cache folder")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--data", help="score the run on another labelled folder (every item there is a test item; "
                                       "refused if it shares an item with the run's training or validation part)")
    parser.add_argument("--dataset", help="with --data: the folder's dataset layout (default: the run's)")
    parser.add_argument("--trust-pickle", action="store_true", help=_TRUST_PICKLE_HELP)
    parser.add_argument("--summary", action="store_true",
                        help="instead of scoring runs: the validation report, every claim of both documents beside the "
                             "committed reports under --out's folder (Markdown, one self-contained HTML page, plots)")
    parser.add_argument("--out", default="reports/VALIDATION.md", help="with --summary: the Markdown file (default "
                                                                      "reports/VALIDATION.md; the HTML and plots go beside it)")
    args = parser.parse_args(argv)
    if args.summary:
        return _validation_summary(args, script, argv)
    from mer_keras.inference import trusting_pickles

    with trusting_pickles(args.trust_pickle):
        return _evaluate_runs(args, script, argv)


def _validation_summary(args, script, argv):
    """``evaluate.py --summary``: the validation report from the committed reports (no run is scored)."""
    from mer_keras.evaluation.validation_summary import write_validation

    if args.runs:
        raise MerError("--summary reads the committed reports under --out's folder; it takes no run directories")
    written = write_validation(Path(args.out), command=_command(script, argv))
    for line in written["messages"]:
        print(line, file=sys.stderr)
    print(f"wrote {written['markdown']} and {written['html']}", file=sys.stderr)
    return 0


def _evaluate_runs(args, script, argv):
    from mer_keras.evaluation.evaluate import evaluate_run

    command = _command(script, argv)
    if args.data:
        from mer_keras.evaluation.evaluate import evaluate_on_folder

        if len(args.runs) != 1:
            raise MerError("--data scores one run: pass exactly one run directory")
        metrics = evaluate_on_folder(Path(args.runs[0]), args.data, args.dataset, args.report_dir, command=command,
                                     cache=args.cache, n_resamples=args.resamples)
        print(json.dumps({k: metrics[k] for k in ("r2", "ccc", "quadrant_accuracy", "accuracy") if k in metrics}, indent=1))
        return 0
    if not args.runs:
        from mer_keras.inference import latest_run

        args.runs = [str(latest_run())]
        print(f"evaluating the newest run, {args.runs[0]}", file=sys.stderr)
    if len(args.runs) == 1:
        metrics = evaluate_run(Path(args.runs[0]), args.report_dir, command=command, cache=args.cache, n_resamples=args.resamples)
        print(json.dumps({k: metrics[k] for k in ("r2", "ccc", "quadrant_accuracy", "verdict") if k in metrics}, indent=1))
        return 0
    from mer_keras.evaluation.summary import summarise_runs

    report_dir = Path(args.report_dir or "reports/summary")
    names = [Path(run).name for run in args.runs]
    models = [_run_model(run) for run in args.runs]
    if len(set(models)) > 1:
        return _compare(args, names, models, report_dir, command)
    all_metrics = [evaluate_run(Path(run), report_dir / name, command=command, cache=args.cache, n_resamples=args.resamples)
                   for run, name in zip(args.runs, names)]
    summary = summarise_runs(all_metrics, names, report_dir, command, yardstick_root=report_dir.parent)
    print(json.dumps(summary["verdict"], indent=1))
    return 0


def _run_model(run: str) -> str:
    """A run's group for summaries and comparisons: its model, with its backbone (musicnn: frozen, finetune or
    scratch) and with the protocol when not documented."""
    from mer_keras.runs import RunDir

    config = RunDir(Path(run)).read_config()
    protocol = config.get("protocol", "documented")
    model = f"{config['model']}-{config['backbone']}" if config.get("backbone") else config["model"]
    if config.get("synthetic_only"):                    # vit_gan trained on generated crops only
        model += "-tstr"
    elif config.get("synthetic_ratio") is not None:     # vit_gan: each ratio of generated crops its own group
        model += f"-r{config['synthetic_ratio']:g}"
    return model if protocol == "documented" else f"{model}-{protocol}"


def _compare(args, names, models, report_dir: Path, command: str) -> int:
    """Runs of different models: each model's runs scored (and summarised over seeds) under
    ``report_dir/<model>/``, then one side-by-side report in ``report_dir``."""
    from mer_keras.evaluation.comparison import compare_models
    from mer_keras.evaluation.evaluate import evaluate_run
    from mer_keras.evaluation.summary import summarise_runs

    groups: dict[str, list[dict]] = {}
    for run, name, model in zip(args.runs, names, models):
        groups.setdefault(model, []).append(
            evaluate_run(Path(run), report_dir / model / name, command=command, cache=args.cache, n_resamples=args.resamples))
    for model, all_metrics in groups.items():
        if len(all_metrics) > 1:
            summarise_runs(all_metrics, [m["run"] for m in all_metrics], report_dir / model, command,
                           yardstick_root=report_dir.parent)
    comparison = compare_models(groups, report_dir, command)
    print(json.dumps({model: {figure: value["mean"] for figure, value in row["headline"].items()}
                      for model, row in comparison["models"].items()}, indent=1))
    print(f"wrote {report_dir / 'report.md'}", file=sys.stderr)
    return 0


def predict_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="predict.py", description="Valence/arousal (1-9) or quadrant of audio files; "
                                                                    "the emotion of speech files for a speech run. A file "
                                                                    "longer than the model's window is heard whole: its "
                                                                    "value is the mean over its windows.")
    parser.add_argument("files", nargs="+", metavar="PATH", help="audio files or folders (searched recursively; "
                                                                 "wav, flac, ogg, opus, mp3, m4a, aiff, ...)")
    parser.add_argument("--run", help="trained run directory, or `latest` (the newest under runs/); default: the released model in released/default")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--csv", metavar="OUT", help="write the rows as CSV to OUT ('-': stdout) instead of the table")
    parser.add_argument("--segments", type=float, metavar="SECONDS",
                        help="one row per model window too (start, end), a window starting every SECONDS s over the "
                             "whole file (at most the model's window); the file's value is the mean over its windows")
    parser.add_argument("--plot", metavar="OUT.png", help="draw each file's windows on the valence/arousal plane and "
                                                          "over time")
    parser.add_argument("--norms", help="Warriner norms CSV for the mood words (default: the run's, else "
                                        "../shared/data/warriner/Ratings_Warriner_et_al.csv)")
    parser.add_argument("--mood-words", type=int, default=3, metavar="K",
                        help="the K mood words nearest to each prediction (default 3; 0: none)")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N",
                        help="windows predicted together (default 32; the numbers do not depend on it)")
    parser.add_argument("--cache", help="feature cache folder")
    parser.add_argument("--trust-pickle", action="store_true", help=_TRUST_PICKLE_HELP)
    parser.add_argument("--tags", action="store_true", help="instead of a run's prediction: the pretrained musicnn's "
                                                            "top music tags with probabilities (no training needed)")
    parser.add_argument("--top", type=int, default=10, help="with --tags: how many tags per file (default 10)")
    parser.add_argument("--tag-weights", choices=["MSD_musicnn", "MTT_musicnn"], default="MSD_musicnn",
                        help="with --tags: the Million Song Dataset's 50 tags (default) or MagnaTagATune's")
    return parser


def _predict_run(choice: str | None, latest_run) -> Path:
    """``--run``: a run folder, ``latest`` (the newest under runs/), or nothing: the released default model
    (``released/default``, see ``python -m mer_keras.release``)."""
    from mer_keras.release import RELEASE_DIR

    if choice == "latest":
        run = latest_run()
        print(f"using the newest run, {run}", file=sys.stderr)
        return run
    if choice:
        return Path(choice)
    if not (RELEASE_DIR / "config.json").is_file():
        raise MerError(f"no released model at {RELEASE_DIR} and no --run given: pass --run RUN_DIR (or --run latest "
                       "for the newest run under runs/)")
    print(f"using the released model {RELEASE_DIR} (its model_card.md says what it is; --run picks another)",
          file=sys.stderr)
    return RELEASE_DIR


def _predict(argv, script):
    args = predict_parser().parse_args(argv)
    if args.tags:
        return _print_tags(args)
    from mer_keras.inference import latest_run
    from mer_keras.predict import predict_paths
    from mer_keras.predict_output import csv_text, plot_trajectories, print_table, summary_line, write_text
    from mer_keras.runs import RunDir

    run = _predict_run(args.run, latest_run)
    task = RunDir(run).read_config()["task"]
    if args.plot and task == "emotion":
        raise MerError("--plot draws valence/arousal; this is a speech-emotion run (six classes): drop --plot")
    prediction = predict_paths(run, args.files, cache=args.cache, trust_pickle=args.trust_pickle,
                               segments=args.segments, norms=args.norms, mood_words=args.mood_words,
                               batch_size=args.batch_size)
    print(f"predict.py: {_about_line(run, prediction.about)}", file=sys.stderr)
    rows, written = prediction.rows, []
    if args.csv:
        text = csv_text(rows, task)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            written.append(str(write_text(Path(args.csv), text, "--csv")))
    elif args.json:
        print(json.dumps(rows, indent=1))
    else:
        print_table(rows, _table_line)
    if args.plot:
        written.append(str(plot_trajectories(rows, Path(args.plot), task, _about_line(run, prediction.about))))
    print(summary_line(rows, prediction.left_out, ", ".join(written) or None), file=sys.stderr)
    return 1 if prediction.skipped else 0


def _about_line(run: Path, about: dict) -> str:
    """Which model and training data the predictions come from, for stderr and the plot's title."""
    proxy = f" ({about['proxy_label']})" if about.get("proxy_label") else ""
    return f"run {run}: {about['model']} on {about['features']} features, trained on {about['training_data']}{proxy}"


def _table_line(row: dict) -> str:
    """One line of predict.py's table: the file, the window (with --segments), the values, then what to know
    (mean of N windows, padded, unheard)."""
    from mer_keras.predict import NOTE_SECONDS

    if "error" in row:
        return f"{row['file']}\terror: {row['error']}"
    where = [f"{row['window'][0]:g}-{row['window'][1]:g} s"] if "window" in row else []
    if "emotion" in row:
        top = sorted(row["probabilities"].items(), key=lambda pair: -pair[1])[:3]
        values = f"{row['emotion']}\t(" + ", ".join(f"{name} {p:.2f}" for name, p in top) + ")"
    elif "valence" in row:
        values = f"valence {row['valence']:.2f}\tarousal {row['arousal']:.2f}\t{row['quadrant']}"
        values += f"\t{', '.join(row['mood_words'])}" if row.get("mood_words") else ""
    else:
        values = f"{row['quadrant']}\t(valence {row['valence_output']:+.2f}, arousal {row['arousal_output']:+.2f})"
    extras = [] if "window" in row else [
        *([row["clip_value"]] if row.get("clip_value") else []),
        *([f"padded {row['padded_s']:g} s"] if row.get("padded_s") else []),
        *([f"unheard {row['unheard_s']:g} s"] if row.get("unheard_s", 0) >= NOTE_SECONDS else [])]
    return "\t".join([row["file"], *where, values, *extras])


def _print_tags(args) -> int:
    from mer_keras.audio_inputs import collect_inputs
    from mer_keras.predict import predict_tags

    rows = predict_tags(collect_inputs(args.files).files, weights=args.tag_weights, top=args.top)
    if args.json:
        print(json.dumps(rows, indent=1))
    for row in [] if args.json else rows:
        tags = row.get("tags", {})
        print(f"{row['file']}\t" + (f"error: {row['error']}" if "error" in row else
                                     ", ".join(f"{tag} {p:.2f}" for tag, p in tags.items())))
    return 1 if any("error" in row for row in rows) else 0


def train_main(argv=None) -> int:
    return _guard(_train, sys.argv[1:] if argv is None else argv, "train.py")


def evaluate_main(argv=None) -> int:
    return _guard(_evaluate, sys.argv[1:] if argv is None else argv, "evaluate.py")


def predict_main(argv=None) -> int:
    return _guard(_predict, sys.argv[1:] if argv is None else argv, "predict.py")
