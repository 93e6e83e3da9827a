"""Group-aware, seeded splits: no group (song, artist, speaker) on two sides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupShuffleSplit

from mer_keras.data.records import Item
from mer_keras.errors import DataError, RunError

PARTS = ("train", "validation", "test")


def _group_split(ids: list[str], groups: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    if len(set(groups)) < 2:
        raise DataError(f"cannot split {len(ids)} items from {len(set(groups))} group(s); at least 2 groups are needed")
    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    keep, held = next(splitter.split(np.zeros(len(ids)), groups=groups))
    return [ids[i] for i in sorted(keep)], [ids[i] for i in sorted(held)]


def _group_fold(ids: list[str], groups: list[str], fold: int, folds: int, seed: int) -> tuple[list[str], list[str]]:
    """Fold ``fold`` of a seeded grouped ``folds``-fold partition: (the other folds' ids, this fold's ids)."""
    names = sorted(set(groups))
    if not 2 <= folds <= len(names):
        raise DataError(f"grouped {folds}-fold validation needs between 2 and {len(names)} folds "
                        f"({len(names)} training groups)")
    if not 0 <= fold < folds:
        raise DataError(f"fold {fold} does not exist; choose 0..{folds - 1}")
    order = np.random.default_rng(seed).permutation(len(names))
    held = {names[i] for rank, i in enumerate(order) if rank % folds == fold}
    keep = [i for i, g in zip(ids, groups) if g not in held]
    return keep, [i for i, g in zip(ids, groups) if g in held]


def make_split(items: list[Item], seed: int, test_fraction: float = 0.2,
               validation_fraction: float = 0.1, group_by: str = "group",
               validation_fold: tuple[int, int] | None = None, test_fold: tuple[int, int] | None = None) -> dict:
    """Split items by group into train / validation / test.

    The test part takes ``test_fraction`` of the groups (rounded up, as scikit-learn does:
    1,744 DEAM songs give 1,395 / 349); the validation part, used for early stopping only,
    takes ``validation_fraction`` of the remaining training groups. With ``validation_fold=(k, n)`` the
    validation part is instead fold ``k`` of a grouped ``n``-fold partition of the training groups (the
    test part is the same as without it), so that choices can be compared over ``n`` validation folds.
    With ``test_fold=(k, n)`` the test part is fold ``k`` of a seeded grouped ``n``-fold partition of all
    groups (cross-validation: the ``n`` runs' test parts are disjoint and cover every item once).

    Returns
    -------
    dict with ``train``, ``validation``, ``test`` (lists of item ids), ``seed``,
    ``group_by`` and the fractions; the form stored as ``split.json``.
    """
    ids = [item.item_id for item in items]
    groups = [item.group for item in items]
    if test_fold is None:
        train_ids, test_ids = _group_split(ids, groups, test_fraction, seed)
    else:
        train_ids, test_ids = _group_fold(ids, groups, *test_fold, seed=seed)
        test_fraction = None
    by_id = {item.item_id: item for item in items}
    train_groups = [by_id[i].group for i in train_ids]
    if validation_fold is None:
        fit_ids, validation_ids = _group_split(train_ids, train_groups, validation_fraction, seed + 1)
    else:
        fit_ids, validation_ids = _group_fold(train_ids, train_groups, *validation_fold, seed=seed + 1)
        validation_fraction = None
    split = {"seed": seed, "group_by": group_by, "test_fraction": test_fraction,
             "validation_fraction": validation_fraction,
             "train": fit_ids, "validation": validation_ids, "test": test_ids}
    if validation_fold is not None:
        split["validation_fold"] = list(validation_fold)
    if test_fold is not None:
        split["test_fold"] = list(test_fold)
    return split


def subsample_train(split: dict, items: list[Item], fraction: float, seed: int) -> dict:
    """``split`` with its training part cut to a seeded ``fraction`` of its groups (a learning curve over
    training-set size); the validation and test parts are unchanged. The dropped ids are not used at all."""
    if not 0.0 < fraction <= 1.0:
        raise DataError(f"--train-fraction {fraction}: give a fraction in (0, 1]")
    if fraction == 1.0:
        return split
    group_of = {item.item_id: item.group for item in items}
    names = sorted({group_of[i] for i in split["train"]})
    order = np.random.default_rng(seed + 2).permutation(len(names))
    keep = {names[i] for i in order[:max(1, round(fraction * len(names)))]}
    return split | {"train": [i for i in split["train"] if group_of[i] in keep], "train_fraction": fraction,
                    "train_dropped": len([i for i in split["train"] if group_of[i] not in keep])}


def check_disjoint(split: dict, items: list[Item]) -> None:
    """Raise when a group appears in two parts (a leak)."""
    group_of = {item.item_id: item.group for item in items}
    seen: dict[str, str] = {}
    for part in PARTS:
        for item_id in split[part]:
            group = group_of.get(item_id)
            if group in seen and seen[group] != part:
                raise DataError(f"group {group!r} is in both {seen[group]} and {part}")
            seen[group] = part


def check_split_record(split: dict, path: Path) -> dict:
    """A split read from ``path`` (split.json), checked to hold every part."""
    missing = [part for part in PARTS if part not in split]
    if missing:
        raise RunError(f"{path} lacks part(s) {missing}")
    return split
