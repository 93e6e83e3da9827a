"""predict.py's outputs besides the table: CSV rows, the trajectory plot, and the last line with counts."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import numpy as np

from mer_keras.errors import MerError

COMMON_COLUMNS = ["seconds", "windows", "padded_s", "unheard_s", "model", "features", "training_data",
                  "proxy_label", "warning", "error"]


def csv_columns(task: str) -> list[str]:
    """The CSV header for a run's task: file, level (``clip``, ``mean of N windows`` or ``window``), the
    window's start and end (s), the task's values, then :data:`COMMON_COLUMNS`."""
    from mer_keras.data.emotions import EMOTIONS

    values = {"va": ["valence", "arousal", "quadrant", "mood_words"],
              "quadrant": ["quadrant", "valence_output", "arousal_output", "valence_sign", "arousal_sign"],
              "emotion": ["emotion", *(f"p_{name}" for name in EMOTIONS)]}[task]
    return ["file", "level", "start_s", "end_s", *values, *COMMON_COLUMNS]


def _flat(values: dict) -> dict:
    """A row's or window's values as CSV cells: mood words joined by '; ', probabilities one column each."""
    cells = {key: value for key, value in values.items() if key not in ("mood_words", "probabilities", "segments")}
    if "mood_words" in values:
        cells["mood_words"] = "; ".join(values["mood_words"])
    for name, p in values.get("probabilities", {}).items():
        cells[f"p_{name}"] = p
    return cells


def csv_rows(rows: list[dict]) -> list[dict]:
    """One CSV row per file (level ``clip``, or ``mean of N windows`` for a long file), preceded by one row per
    window (level ``window``) when the rows carry ``segments``."""
    flat = []
    for row in rows:
        common = {key: row.get(key) for key in COMMON_COLUMNS}
        for segment in row.get("segments", []):
            flat.append({**common, "file": row["file"], "level": "window", "start_s": segment["start"],
                         "end_s": segment["end"], **_flat({k: v for k, v in segment.items() if k not in ("start", "end")})})
        level = row.get("clip_value", "clip") if "error" not in row else ""
        end = row.get("seconds") if row.get("windows", 1) > 1 else (row.get("seconds", 0) - row.get("unheard_s", 0))
        flat.append({**common, "file": row["file"], "level": level, "start_s": 0.0 if "error" not in row else None,
                     "end_s": round(end, 3) if "error" not in row else None, **_flat(row)})
    return flat


def csv_text(rows: list[dict], task: str) -> str:
    """The rows as CSV text (header :func:`csv_columns`; empty cells for what a row lacks)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=csv_columns(task), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(rows):
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return buffer.getvalue()


def write_text(path: Path, text: str, option: str) -> Path:
    """``text`` into ``path`` atomically (a temporary file, then a rename); an unwritable path is one line."""
    path, temp = Path(path), Path(path).with_name(Path(path).name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except OSError as exc:
        _remove_quietly(temp)
        raise MerError(f"cannot write {path}: {exc.strerror or exc}; pass {option} a writable path with free space") from None
    return path


def listing(names: list[str], shown: int = 3) -> str:
    """A few names, then how many more: ``a, b, c, +4 more``."""
    more = f", +{len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def summary_line(rows: list[dict], left_out: list[tuple[str, str]], written: str | None = None) -> str:
    """The last line on stderr: files predicted, files skipped by cause (naming a few), a folder's non-audio
    files left out, and where the output went."""
    done = [row for row in rows if "error" not in row]
    windows = sum(row.get("windows", 1) for row in done)
    parts = [f"predicted {len(done)} file(s)" + (f" ({windows} windows)" if windows != len(done) else "")]
    causes: dict[str, list[str]] = {}
    for row in rows:
        if "error" in row:
            causes.setdefault(_cause(row["error"]), []).append(Path(row["file"]).name)
    if causes:
        parts.append(f"skipped {sum(map(len, causes.values()))}: " +
                     "; ".join(f"{len(names)} {cause} ({listing(names)})" for cause, names in causes.items()))
    if left_out:
        names = [Path(file).name for file, _ in left_out]
        parts.append(f"left out {len(left_out)} non-audio file(s) found in folders ({listing(names)})")
    if written:
        parts.append(f"wrote {written}")
    return "predict.py: " + "; ".join(parts)


def _cause(error: str) -> str:
    """A skipped file's cause in a few words, for the counts: the start of its one-line error."""
    for prefix in ("not found", "empty file", "not audio", "cannot decode", "no audio samples", "cannot compute"):
        if error.startswith(prefix):
            return prefix
    return "unreadable"


# --- the trajectory plot ---------------------------------------------------------------------------------

def plot_trajectories(rows: list[dict], path: Path, task: str, title: str) -> Path:
    """Each file's windows on the valence/arousal plane (left; 1-9, or the quadrant run's outputs on -1..1)
    and over time (right: window centres), as PNG (Agg backend). Raises ``MerError`` for an emotion run."""
    if task == "emotion":
        raise MerError("--plot draws valence/arousal; this is a speech-emotion run (six classes): drop --plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys, scale = (("valence", "arousal"), (1, 9)) if task == "va" else (("valence_output", "arousal_output"), (-1, 1))
    figure, (plane, time) = plt.subplots(1, 2, figsize=(11, 4.6))
    drawn = [row for row in rows if "error" not in row]
    for index, row in enumerate(drawn):
        segments = row.get("segments") or [{"start": 0.0, "end": row["seconds"], **row}]
        v, a = (np.array([segment[key] for segment in segments]) for key in keys)
        centres = np.array([(segment["start"] + segment["end"]) / 2 for segment in segments])
        colour = f"C{index % 10}"
        label = Path(row["file"]).name if len(drawn) <= 10 else None
        plane.plot(v, a, "-o", color=colour, ms=3, lw=1, label=label)
        plane.plot(v[:1], a[:1], "s", color=colour, ms=6)                     # start
        plane.plot([row[keys[0]]], [row[keys[1]]], "*", color=colour, ms=12)   # the clip-level value (mean)
        time.plot(centres, v, "-o", color=colour, lw=1.2, ms=3)
        time.plot(centres, a, "--o", color=colour, lw=1.2, ms=3)
    middle = sum(scale) / 2
    plane.axhline(middle, color="grey", lw=0.6)
    plane.axvline(middle, color="grey", lw=0.6)
    for name, (x, y) in {"Q1": (0.97, 0.97), "Q2": (0.03, 0.97), "Q3": (0.03, 0.03), "Q4": (0.97, 0.03)}.items():
        plane.text(x, y, name, transform=plane.transAxes, ha="right" if x > 0.5 else "left",
                   va="top" if y > 0.5 else "bottom", color="grey", fontsize=8)
    plane.set(xlim=scale, ylim=scale, xlabel=keys[0], ylabel=keys[1],
              title="valence/arousal plane (square: first window, star: mean)")
    time.set(ylim=scale, xlabel="time (s, window centre)", ylabel="value",
             title="over time (solid: valence, dashed: arousal)")
    if drawn and len(drawn) <= 10:
        plane.legend(fontsize=7, loc="best")
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    _save(figure, Path(path))
    plt.close(figure)
    return Path(path)


def _save(figure, path: Path) -> None:
    temp = path.with_name(path.stem + ".tmp.png")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(temp, dpi=110)
        os.replace(temp, path)
    except OSError as exc:
        raise MerError(f"cannot write {path}: {exc.strerror or exc}; pass --plot a writable path") from None


def print_table(rows: list[dict], line) -> None:
    """Each row (and, with ``segments``, each window first) through ``line`` to stdout."""
    for row in rows:
        for segment in row.get("segments", []):
            print(line({**row, **segment, "file": row["file"], "window": (segment["start"], segment["end"])}))
        print(line(row))
    sys.stdout.flush()
