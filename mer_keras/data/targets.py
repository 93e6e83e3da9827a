"""Labels <-> the two tanh outputs (valence, arousal), by name, never by column position."""

from __future__ import annotations

import numpy as np

from mer_keras.data.emotions import EMOTIONS
from mer_keras.data.fourq import QUADRANT_SIGNS, quadrant_from_signs
from mer_keras.data.records import Item
from mer_keras.errors import DataError

OUTPUTS = ("valence", "arousal")
SCALE_CENTRE, SCALE_HALF_RANGE = 5.0, 4.0   # the 1-9 rating scale maps onto tanh's [-1, 1]


def encode_targets(items: list[Item], task: str) -> np.ndarray:
    """Targets of shape (n_items, 2) in [-1, 1], columns (valence, arousal).

    ``va``: (rating - 5) / 4 for ratings on the 1-9 scale. ``quadrant``: the quadrant's signs.
    ``emotion``: shape (n_items,), int32, the index of each item's emotion in
    :data:`mer_keras.data.emotions.EMOTIONS` (sparse categorical targets).
    """
    if task == "emotion":
        index = {name: k for k, name in enumerate(EMOTIONS)}
        unknown = [item for item in items if item.labels.get("emotion") not in index]
        if unknown:
            raise DataError(f"item {unknown[0].item_id}: emotion {unknown[0].labels.get('emotion')!r} is not one of {EMOTIONS}")
        return np.asarray([index[item.labels["emotion"]] for item in items], dtype=np.int32)
    rows = []
    for item in items:
        if task == "va":
            values = [item.labels[name] for name in OUTPUTS]
            if not all(np.isfinite(values)) or not all(1.0 <= v <= 9.0 for v in values):
                raise DataError(f"item {item.item_id}: valence/arousal {values} not finite within the 1-9 scale")
            rows.append([(v - SCALE_CENTRE) / SCALE_HALF_RANGE for v in values])
        elif task == "quadrant":
            rows.append(list(QUADRANT_SIGNS[item.labels["quadrant"]]))
        else:
            raise DataError(f"unknown task {task!r}")
    return np.asarray(rows, dtype=np.float32)


def decode_predictions(outputs: np.ndarray, task: str) -> list[dict]:
    """Model outputs (n, 2) -> per item ``{"valence", "arousal"}`` on 1-9 (va) or ``{"quadrant", ...}``;
    for ``emotion``, softmax outputs (n, 6) -> ``{"emotion": name, "probabilities": {name: p}}``."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if task == "emotion":
        return [{"emotion": EMOTIONS[int(np.argmax(row))],
                 "probabilities": {name: float(p) for name, p in zip(EMOTIONS, row)}} for row in outputs]
    if task == "va":
        return [{"valence": SCALE_CENTRE + SCALE_HALF_RANGE * v, "arousal": SCALE_CENTRE + SCALE_HALF_RANGE * a}
                for v, a in outputs]
    return [{"quadrant": quadrant_from_signs(v, a), "valence_sign": 1 if v >= 0 else -1,
             "arousal_sign": 1 if a >= 0 else -1, "valence_output": float(v), "arousal_output": float(a)}
            for v, a in outputs]
