"""Plots for reports: predicted vs true, learning curves, confusion matrix (PNG, Agg backend)."""

from __future__ import annotations

import textwrap
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


# --- the validation report (issue 24) ------------------------------------------------------------


def claims_ladder(ladder: dict, band: dict, peers: list[dict], path: Path) -> Path:
    """The study's claimed ladder against the measured one: claimed figures (diamonds, by metric), measured mean R²
    and mean CCC of each rung's documented folder with their 95% intervals, the tuned protocol's R² (hollow), the
    CRNN's estimate band shaded, and published peers at the right (grey, labelled: not re-measured here)."""
    plt = _pyplot()
    rungs = [c["model"] for c in ladder["claimed"]]
    figure, axis = plt.subplots(figsize=(10.5, 5.6))
    colour = {"r2": "tab:blue", "ccc": "tab:orange"}
    axis.axhspan(band["band"][0], band["band"][1], color="tab:green", alpha=0.15,
                 label=f"CRNN estimate band {band['band'][0]:g}-{band['band'][1]:g}")
    for k, claim in enumerate(ladder["claimed"]):
        axis.scatter([k], [claim["value"]], marker="D", s=60, facecolor="white", edgecolor=colour[claim["metric"]], lw=2,
                     zorder=4, label=f"claimed ({'R²' if claim['metric'] == 'r2' else 'CCC'})")
        measured = ladder["measured"].get(claim["model"]) or {}
        for offset, key, marker, face in ((-0.12, "r2", "o", "tab:blue"), (0.12, "ccc", "s", "tab:orange"),
                                          (-0.24, "tuned_r2", "o", "none")):
            entry = measured.get(key)
            if not entry:
                continue
            low = entry["mean"] - entry["low"] if entry.get("low") is not None else 0
            high = entry["high"] - entry["mean"] if entry.get("high") is not None else 0
            edge = "tab:blue" if "r2" in key else "tab:orange"
            label = {"r2": "measured mean R², documented (95% interval)", "ccc": "measured mean CCC, documented",
                     "tuned_r2": "measured mean R², tuned protocol"}[key]
            axis.errorbar([k + offset], [entry["mean"]], yerr=[[low], [high]], fmt=marker, color=edge, mfc=face,
                          capsize=3, zorder=3, label=label)
        if not measured.get("r2"):
            axis.annotate("not measured", (k, claim["value"]), textcoords="offset points", xytext=(0, -16), ha="center",
                          fontsize=7, color="grey")
    names = list(rungs)
    x = len(rungs)
    for peer in peers:
        shown = [f for f in peer.get("figures", []) if f.get("value") is not None and peer.get("task") == "va"]
        if not shown:
            continue
        for f in shown:
            axis.scatter([x], [f["value"]], marker="^", color="grey", zorder=3, label="published peer (DEAM), not re-measured here")
            metric = {"r2": "R²", "ccc": "CCC", "pearson_r": "r"}.get(f["metric"], f["metric"])
            axis.annotate(f"{metric}{' ' + f['axis'] if f.get('axis') else ''}", (x, f["value"]), textcoords="offset points",
                          xytext=(6, -3), fontsize=7, color="grey")
        names.append("\n".join(textwrap.wrap(peer["name"], 14)) + "\n(published)")
        x += 1
    axis.axvline(len(rungs) - 0.5, color="grey", lw=0.6, ls=":")
    axis.set_xticks(range(len(names)), names, fontsize=8)
    axis.set_ylabel("R² / CCC (mean of valence and arousal)")
    axis.set_title("The study's ladder: claimed (DEAM) against measured here (4Q-VA proxy)", fontsize=10)
    axis.axhline(0, color="k", lw=0.5)
    axis.grid(axis="y", alpha=0.3)
    handles, labels = axis.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    axis.legend(unique.values(), unique.keys(), fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path


def paired_gains(panels: list[dict], path: Path) -> Path:
    """Paired differences per seed (or fold): each pair a dot, the mean with its 95% t interval, 0 dashed."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(max(5.0, 2.2 * len(panels) + 1), 4))
    for k, panel in enumerate(panels):
        values = panel["values"]
        axis.scatter([k] * len(values), values, color="k", s=14, zorder=3)
        interval = panel["interval"]
        if interval.get("low") is not None:
            axis.errorbar([k + 0.15], [interval["mean"]], yerr=[[interval["mean"] - interval["low"]], [interval["high"] - interval["mean"]]],
                          fmt="o", color="tab:red", capsize=4)
    axis.axhline(0, color="k", ls="--", lw=0.8)
    axis.set_xticks(range(len(panels)), [p["label"] for p in panels], fontsize=7)
    axis.set_ylabel("treatment minus baseline (per pair)")
    axis.set_title("Paired gains per seed / fold (red: mean, 95% t interval)", fontsize=9)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path


def confusion_grid(panels: list[dict], path: Path) -> Path:
    """Confusion matrices side by side, each row (true class) coloured by its share, counts written."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.2), squeeze=False)
    for axis, panel in zip(axes[0], panels):
        matrix = np.asarray(panel["matrix"], float)
        shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                axis.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=7,
                          color="white" if shares[i, j] > 0.6 else "black")
        labels = panel["labels"]
        axis.set(xticks=range(len(labels)), yticks=range(len(labels)), xlabel="predicted", ylabel="true")
        axis.set_xticklabels(labels, rotation=45, fontsize=7)
        axis.set_yticklabels(labels, fontsize=7)
        axis.set_title(panel["title"], fontsize=8)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path
