"""Quality figures of a conditional spectrogram GAN (issue 22), and its per-epoch picture grid.

All three figures compare generated crops with REAL crops of the run's own songs, never test songs:

- Frechet distance in a fixed embedding (NON-STANDARD: the penultimate layer of the run's small crop CNN,
  ``mer_keras.models.crop_cnn``, trained on training songs' crops; not Inception, not VGGish), between
  generated crops and validation songs' crops, beside the same distance between training and validation
  crops (what two sets of real crops score).
- Label fidelity: the crop CNN's prediction for generated crops against their conditioning labels (mean
  CCC over valence and arousal, or quadrant accuracy), beside the same figure on real validation crops.
- Memorisation: each generated crop's distance to its nearest training crop (RMS over pooled cells, in
  standardised units) against real validation crops' nearest-training distances; a generated crop
  nearer than the 1st percentile of those is counted as a near-copy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mer_keras.evaluation.metrics import ccc
from mer_keras.runs import save_figure

#: How every report and summary names the embedding of the Frechet distance.
FRECHET_LABEL = "embedding: the penultimate layer of the run's crop CNN; non-standard, compare runs of this project only"


def frechet_distance(first: np.ndarray, second: np.ndarray, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians fitted to two sets of embeddings ``(n, d)``.

    ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``; the matrix square root is taken with ``eps`` added to
    both diagonals when the product is singular or the root comes out non-finite, and its imaginary part
    (round-off) dropped.
    """
    import warnings

    from scipy import linalg

    first, second = np.asarray(first, np.float64), np.asarray(second, np.float64)
    mu1, mu2 = first.mean(axis=0), second.mean(axis=0)
    s1 = np.atleast_2d(np.cov(first, rowvar=False))
    s2 = np.atleast_2d(np.cov(second, rowvar=False))
    with warnings.catch_warnings():         # a singular product is handled below, not reported
        warnings.simplefilter("ignore")
        root = linalg.sqrtm(s1 @ s2)
        if not np.isfinite(root).all():
            offset = np.eye(len(s1)) * eps
            root = linalg.sqrtm((s1 + offset) @ (s2 + offset))
    root = np.real(root)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(root))


def label_fidelity(predicted: np.ndarray, labels: np.ndarray, condition: str) -> float:
    """Mean CCC over (valence, arousal) of ``predicted`` (n, 2) against ``labels`` (n, 2) for ``va``; the share
    of ``predicted`` class probabilities (n, 4) whose most probable class is ``labels`` (n, 1) for ``quadrant``."""
    predicted = np.asarray(predicted)
    if condition == "va":
        labels = np.asarray(labels, float).reshape(-1, 2)
        return float(np.mean([ccc(labels[:, k], predicted[:, k]) for k in range(2)]))
    return float(np.mean(np.argmax(predicted, axis=1) == np.asarray(labels).reshape(-1)))


def pooled(crops: np.ndarray, pool: int) -> np.ndarray:
    """Crops ``(n, frames, mels)`` averaged over ``pool`` x ``pool`` cells and flattened: ``(n, cells)`` float32."""
    n, frames, mels = crops.shape
    frames, mels = frames // pool * pool, mels // pool * pool
    cells = crops[:, :frames, :mels].reshape(n, frames // pool, pool, mels // pool, pool).mean(axis=(2, 4))
    return cells.reshape(n, -1).astype(np.float32)


def nearest_distances(queries: np.ndarray, reference: np.ndarray, chunk: int = 256) -> np.ndarray:
    """For each row of ``queries`` (n, d), the RMS distance per cell to its nearest row of ``reference`` (m, d)."""
    reference = np.asarray(reference, np.float32)
    norms = np.sum(reference ** 2, axis=1)
    out = []
    for start in range(0, len(queries), chunk):
        block = np.asarray(queries[start:start + chunk], np.float32)
        squared = np.sum(block ** 2, axis=1)[:, None] + norms[None, :] - 2.0 * block @ reference.T
        out.append(np.sqrt(np.maximum(squared.min(axis=1), 0.0) / reference.shape[1]))
    return np.concatenate(out) if out else np.empty(0, np.float32)


def memorisation(generated_distances: np.ndarray, validation_distances: np.ndarray) -> dict:
    """Nearest-training-crop distances of generated crops against those of real validation crops.

    Returns ``{"generated_median", "validation_median", "generated_p05", "validation_p05", "threshold",
    "near_copies"}``: ``threshold`` is the validation distances' 1st percentile, ``near_copies`` the share of
    generated crops nearer than it (about 0.01 if generated crops sit as far from training crops as real
    unseen crops do; near 1 if the generator copies training crops).
    """
    threshold = float(np.percentile(validation_distances, 1))
    return {"generated_median": float(np.median(generated_distances)),
            "validation_median": float(np.median(validation_distances)),
            "generated_p05": float(np.percentile(generated_distances, 5)),
            "validation_p05": float(np.percentile(validation_distances, 5)),
            "threshold": threshold, "near_copies": float(np.mean(generated_distances < threshold))}


def crop_grid(rows: list[tuple[str, np.ndarray, np.ndarray]], path: Path, title: str) -> Path:
    """One row per class / V-A region: its real crops, then generated crops for the same labels.

    ``rows``: ``(name, real (k, frames, mels), generated (k, frames, mels))``; drawn as spectrograms (mel bins
    up, time across) on one colour scale (standardised units).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = max(len(real) + len(fake) for _, real, fake in rows)
    figure, axes = plt.subplots(len(rows), width, figsize=(1.25 * width, 1.3 * len(rows)), squeeze=False)
    for r, (name, real, fake) in enumerate(rows):
        crops = [("real", c) for c in real] + [("generated", c) for c in fake]
        for c in range(width):
            axis = axes[r][c]
            axis.set_xticks([])
            axis.set_yticks([])
            if c >= len(crops):
                axis.axis("off")
                continue
            kind, crop = crops[c]
            axis.imshow(np.asarray(crop).T, origin="lower", aspect="auto", cmap="magma", vmin=-3, vmax=3)
            axis.set_title(kind, fontsize=6, color="black" if kind == "real" else "tab:blue")
            if c == 0:
                axis.set_ylabel(name, fontsize=7)
    figure.suptitle(title, fontsize=8)
    figure.tight_layout()
    save_figure(figure, path, dpi=64)
    plt.close(figure)
    return path


def quality_curves(history: dict[str, list[float]], path: Path, title: str) -> Path:
    """Per-epoch Frechet distance, label fidelity and near-copy share, each beside its real-data reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.asarray(history["epoch"]) + 1
    figure, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    panels = (("frechet", "frechet_real", "Frechet distance (crop CNN, non-standard)"),
              ("fidelity", "fidelity_real", "label fidelity"),
              ("near_copies", None, "near-copy share"))
    for axis, (name, reference, label) in zip(axes, panels):
        if name in history:
            axis.plot(epochs, history[name], marker="o", label="generated")
        if reference and reference in history:
            axis.plot(epochs, history[reference], "k--", label="real validation crops")
        axis.set(xlabel="epoch", title=label)
        axis.legend(fontsize=7)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path
