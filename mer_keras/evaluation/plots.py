"""Plots for reports: predicted vs true, learning curves, confusion matrix (PNG, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mer_keras.runs import save_figure


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def predicted_vs_true(true: np.ndarray, pred: np.ndarray, path: Path, title: str, scale=(1, 9)) -> Path:
    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    for k, (axis, name) in enumerate(zip(axes, ("valence", "arousal"))):
        axis.scatter(true[:, k], pred[:, k], s=10, alpha=0.6)
        axis.plot(scale, scale, "k--", lw=0.8)
        axis.set(xlim=scale, ylim=scale, xlabel=f"true {name}", ylabel=f"predicted {name}", title=name)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path


def learning_curves(history: dict[str, list[float]], path: Path, title: str, ylabel: str = "MSE (tanh scale)") -> Path:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    epochs = np.asarray(history["epoch"]) + 1
    for name in ("loss", "val_loss"):
        if name in history:
            axis.plot(epochs, history[name], label=name)
    axis.set(xlabel="epoch", ylabel=ylabel, title=title)
    axis.legend()
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path


def confusion(matrix: list[list[int]], labels: list[str], path: Path, title: str) -> Path:
    plt = _pyplot()
    matrix = np.asarray(matrix)
    figure, axis = plt.subplots(figsize=(4.6, 4))
    axis.imshow(matrix, cmap="Blues")
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            axis.text(j, i, str(matrix[i, j]), ha="center", va="center")
    axis.set(xticks=range(len(labels)), yticks=range(len(labels)), xticklabels=labels, yticklabels=labels,
             xlabel="predicted", ylabel="true", title=title)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path


def importances(rows: list[dict], path: Path, title: str) -> Path:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(7, 0.28 * len(rows) + 1.2))
    names = [row["feature"] for row in rows][::-1]
    axis.barh(names, [row["importance"] for row in rows][::-1])
    axis.set(xlabel="importance (gain share)", title=title)
    axis.tick_params(axis="y", labelsize=7)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path


def comparison(rows: dict, path: Path) -> Path:
    """Bars per model (mean over runs, sd) of accuracy, parameters, peak memory and training time."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    names = list(rows)
    for axis, (key, label) in zip(axes, [("accuracy", "test accuracy"), ("parameters", "parameters"),
                                        ("peak_rss_mib", "peak training RSS (MiB)"), ("train_seconds", "training time (s)")]):
        means = [rows[n][key]["mean"] for n in names]
        sds = [rows[n][key]["sd"] for n in names]
        axis.bar(names, means, yerr=sds, capsize=4, color=["tab:blue", "tab:orange", "tab:green", "tab:red"][:len(names)])
        for k, n in enumerate(names):
            axis.scatter([k] * len(rows[n][key]["values"]), rows[n][key]["values"], color="k", s=10, zorder=3)
        if key == "accuracy":
            for n in names:
                claim = rows[n].get("accuracy_claim", {}).get("claimed")
                if isinstance(claim, list):
                    axis.axhspan(claim[0], claim[1], color="tab:blue", alpha=0.15)
                elif claim is not None:
                    axis.axhline(claim, color="tab:orange", ls="--", lw=1)
        axis.set_title(label, fontsize=9)
        axis.tick_params(labelsize=8)
    figure.suptitle("bars: mean over runs (sd); dots: runs; shaded / dashed: the note's accuracy claims", fontsize=8)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path


def data_size_curve(points: dict[str, list[tuple[int, float]]], path: Path, title: str, ylabel: str) -> Path:
    """A learning curve over training-set size: per series, every run as a point (training items,
    validation figure) and the mean per size as a line."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    for name, values in points.items():
        sizes = sorted({n for n, _ in values})
        axis.scatter([n for n, _ in values], [v for _, v in values], s=14, alpha=0.6)
        axis.plot(sizes, [np.mean([v for n, v in values if n == size]) for size in sizes], marker="o", label=name)
    axis.set(xlabel="training songs", ylabel=ylabel, title=title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path
