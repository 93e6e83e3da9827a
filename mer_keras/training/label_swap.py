"""Training labels with valence and arousal exchanged for a seeded share of the training songs
(``train.py --swap-va-fraction F``): the DEAM label audit's consequence replayed on clean data.

DEAM's static annotations for its 2013 songs ship with the two columns exchanged (reports/deam-label-audit); a
model trained on DEAM as shipped learns from such labels. This reproduces that corruption on any valence/arousal
dataset, in the training part only: the validation part (early stopping, selection) and the test songs keep
their labels, so the scores say what the corruption does to a model judged on clean labels.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mer_keras.data.records import Item
from mer_keras.errors import DataError


def swap_valence_arousal(items: list[Item], fraction: float, seed: int) -> tuple[list[Item], list[str]]:
    """``items`` with valence and arousal exchanged for ``round(fraction * len(items))`` of them, chosen by
    ``seed`` among the items sorted by id (the same songs whatever order they come in); returns the items in their
    order and the sorted ids of the swapped ones. Other labels are kept."""
    if not 0.0 <= fraction <= 1.0:
        raise DataError(f"--swap-va-fraction {fraction}: give a share between 0 and 1 (DEAM's 2013 songs: 744 of 1,744)")
    missing = [item.item_id for item in items if not {"valence", "arousal"} <= set(item.labels)]
    if missing:
        raise DataError(f"--swap-va-fraction exchanges valence and arousal, but item {missing[0]} has labels "
                        f"{sorted(items[0].labels) if items else []}: use it on a valence/arousal target (e.g. --target va)")
    ids = sorted(item.item_id for item in items)
    count = int(round(fraction * len(ids)))
    rng = np.random.default_rng([int(seed), 2013])
    chosen = set(rng.choice(len(ids), size=count, replace=False).tolist()) if count else set()
    swapped = {ids[k] for k in chosen}
    out = [replace(item, labels=item.labels | {"valence": item.labels["arousal"], "arousal": item.labels["valence"]})
           if item.item_id in swapped else item for item in items]
    return out, sorted(swapped)


def swap_record(fraction: float, seed: int, swapped: list[str], n_train: int) -> dict:
    """What config.json records about the corruption."""
    return {"swap_va_fraction": fraction, "seed": seed, "part": "train", "n_swapped": len(swapped), "n_train": n_train,
            "swapped_item_ids": swapped,
            "untouched": "validation part and test songs keep their labels"}
