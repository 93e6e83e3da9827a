"""``python -m mer_keras.features {extract,status}``: fill the shared feature cache ahead of training, one shard
per process, and check it (:mod:`mer_keras.features.sharded`).

    python -m mer_keras.features extract --data DIR [--dataset NAME] [--model M] [--features KIND]
                                         [--shard I/N] [--engine local|ray] [--workers W] [--cache DIR]
    python -m mer_keras.features status  --data DIR [--dataset NAME] [--model M] [--features KIND] [--shard I/N]

The entries are exactly the ones ``train.py`` / ``evaluate.py`` read for the same dataset, model and
features. Exit status: 0 when done; ``status`` 1 when items are missing from the cache (never extracted:
run their shard again; failed files are listed but do not count, training skips them too); 2 for bad input
(one ``error:`` line); 130 / 143 when interrupted (every clip finished so far stays cached).
"""

from __future__ import annotations

import argparse
import os
import sys

from mer_keras.errors import DataError, exit_status
from mer_keras.features.for_dataset import FEATURES

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROG = "python -m mer_keras.features"


def _selection_options(parser: argparse.ArgumentParser) -> None:
    """The options that pick the items and the features, as train.py takes them."""
    parser.add_argument("--data", help="dataset folder (default: $MER_DATA, else ../shared/data/<dataset>, as train.py)")
    parser.add_argument("--dataset", choices=["deam", "4q", "ravdess", "cremad", "emodb"],
                        help="the folder's layout (default: told from the folder)")
    parser.add_argument("--model", help="the model whose inputs to cache (its default features and family); "
                                        "default: a Keras model's, else a classic one's when only those take --features")
    parser.add_argument("--features", choices=[name for name in FEATURES if name != "embeddings"],
                        help="as train.py --features (default: the model's, else mel); embeddings are never cached")
    parser.add_argument("--shard", metavar="I/N", help="only shard I of N (0-based): the items sorted by id, every "
                                                       "N-th from the I-th; e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT")
    parser.add_argument("--cache", help="feature cache folder (default $MER_CACHE or ~/.cache/mer_keras)")


def features_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Fill the feature cache ahead of training, and check it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{extract,status}")
    extract = commands.add_parser("extract", help="cache the features of every item of a shard not cached yet")
    _selection_options(extract)
    extract.add_argument("--engine", choices=["local", "ray"], default="local",
                         help="local (default): worker processes here; ray: Ray Data, one extractor per Ray worker "
                              "(pip install -r requirements-cluster.txt)")
    extract.add_argument("--workers", type=int, help="worker processes, or Ray workers (default: CPU count, at most 8)")
    extract.add_argument("--address", help="--engine ray: join a running Ray cluster (e.g. HEAD_IP:6379); default: "
                                           "start a local one with --workers CPUs")
    status = commands.add_parser("status", help="list the items missing from the cache and the failed files; "
                                                "exit 1 while any is missing")
    _selection_options(status)
    return parser


def _features(args) -> str | None:
    """``--features``, else ``--model``'s default (as train.py), else None (the dataset's default, mel)."""
    if args.features or not args.model:
        return args.features
    from mer_keras.models.registry import default_features

    return default_features(args.model)


def _feature_spec(dataset, features: str | None, model: str | None):
    """train.py's :func:`feature_spec` for ``model``'s family; without a model, the Keras models', else (for
    features only the classic models take) the classic ones'."""
    from mer_keras.features.for_dataset import feature_spec

    if model:
        from mer_keras.models.registry import feature_family

        return feature_spec(dataset, features, feature_family(model))
    try:
        return feature_spec(dataset, features or "mel", "keras")
    except DataError:
        return feature_spec(dataset, features or "mel", "sklearn")


def select(args, shard):
    """The dataset, this shard's items and the feature spec that train.py would use.

    Returns
    -------
    tuple
        ``(dataset, items, spec)``.
    """
    from mer_keras.data.registry import load_dataset, resolve_data

    features = _features(args)
    choice = resolve_data(args.dataset, args.data, None, features)
    if args.model:
        from mer_keras.models.registry import check_task

        check_task(args.model, choice.target, choice.dataset)
    if choice.dataset == "4q":
        choice.target = "quadrant"            # the labels are not needed here, so neither are the word norms
    dataset = load_dataset(choice)
    return dataset, shard.select(dataset.items), _feature_spec(dataset, features, args.model)


def _describe(dataset, shard, items) -> str:
    part = f"shard {shard}: {len(items)} of {len(dataset.items)} items" if shard.count > 1 else f"{len(items)} items"
    return f"{dataset.name} ({dataset.description}), {part}"


def _extract(args, shard) -> int:
    from mer_keras.features.cache import FeatureCache
    from mer_keras.features.sharded import extract_items

    if args.workers is not None and args.workers < 1:
        raise DataError(f"--workers {args.workers}: give at least 1")
    dataset, items, spec = select(args, shard)
    cache = FeatureCache(args.cache)
    print(f"{_describe(dataset, shard, items)}; features {spec.kind}; cache {cache.root}", file=sys.stderr)
    result = extract_items(items, spec, cache, engine=args.engine, workers=args.workers, address=args.address,
                           desc=f"shard {shard}" if shard.count > 1 else spec.kind)
    for item_id, reason in sorted(result.failed.items()):
        print(f"failed\t{item_id}\t{reason}")
    rate = f" in {result.seconds:.1f} s ({result.extracted / result.seconds:.2f} clips/s)" if result.seconds else ""
    print(f"{result.kind}: {result.total} items, {result.cached_before} cached before, {result.extracted} extracted"
          f"{rate}, {len(result.failed)} failed", file=sys.stderr)
    return 0


def _status(args, shard) -> int:
    from mer_keras.features.cache import FeatureCache
    from mer_keras.features.sharded import survey

    dataset, items, spec = select(args, shard)
    cache = FeatureCache(args.cache)
    found = survey(items, spec, cache)
    for item, _ in found.missing:
        print(f"missing\t{item.item_id}\t{item.path}")
    for failure in found.failed:
        print(f"failed\t{failure.item.item_id}\t{failure.item.path}\t{failure.reason}")
    without = f"; {len(dataset.skipped)} listed by the dataset have no input file" if dataset.skipped else ""
    print(f"{found.kind} in {cache.root}, {_describe(dataset, shard, items)}: {len(found.cached)} cached, "
          f"{len(found.failed)} failed, {len(found.missing)} missing{without}")
    if found.missing:
        print(f"{len(found.missing)} item(s) missing: run the extraction again (the same --shard, or none)",
              file=sys.stderr)
    return 1 if found.missing else 0


def _run(argv: list[str]) -> int:
    args = features_parser().parse_args(argv)
    from mer_keras.features.sharded import parse_shard

    shard = parse_shard(args.shard)           # first: a bad --shard is refused before any data is read
    return _extract(args, shard) if args.command == "extract" else _status(args, shard)


def main(argv=None) -> int:
    """Entry point: project errors as one ``error:`` line (status 2); Ctrl-C / SIGTERM as one line (130 / 143)."""
    from mer_keras.interrupts import run_command

    argv = sys.argv[1:] if argv is None else list(argv)
    return run_command(lambda: exit_status(_run, argv), "every clip extracted so far stays cached: run the same "
                       "command again to continue")


if __name__ == "__main__":
    from mer_keras.interrupts import exit_process

    exit_process(main())
