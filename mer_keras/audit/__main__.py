"""``python -m mer_keras.audit deam [--data DIR] [--out DIR]``: the DEAM label audit (issue 8).

Prints the correlations of static against time-averaged dynamic labels per subset, writes
``audit.json`` and ``static_vs_dynamic.png`` to ``--out`` and prints the finding. Errors are
one line (``error: ...``) and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from pathlib import Path

from mer_keras.data.deam_labels import (CROSSED_PAIRS, DYNAMIC_FILES, KNOWN_OUTCOMES, MIN_SONGS, RULE,
                                         STRAIGHT_PAIRS, SUBSETS, SWAP_MARGIN, SubsetAudit, audit_deam,
                                         file_sha256)
from mer_keras.data.deam import STATIC_1_2000, STATIC_2000_2058
from mer_keras.errors import DataError, exit_status

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "deam"
DEFAULT_OUT = Path("reports", "deam-label-audit")
PAIRS = {**STRAIGHT_PAIRS, **CROSSED_PAIRS}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m mer_keras.audit", description="Data audits.")
    audits = main.add_subparsers(dest="audit", required=True)
    deam = audits.add_parser("deam", help="are DEAM's static valence/arousal columns swapped for a subset? (issue 8)")
    deam.add_argument("--data", default=str(DEFAULT_DATA), help=f"DEAM folder (default {DEFAULT_DATA})")
    deam.add_argument("--out", default=str(DEFAULT_OUT), help=f"where audit.json and the plot go (default {DEFAULT_OUT})")
    return main


def _r(value: float) -> str:
    return "  n/a" if math.isnan(value) else f"{value:+.2f}"


def correlation_table(audits: dict[str, SubsetAudit]) -> str:
    """Plain-text table: one row per subset, Pearson r per pair, n and the decision."""
    lines = ["subset     n   straight: sV~dV  sA~dA   crossed: sV~dA  sA~dV   swapped",
             "(s = static column, d = time-averaged dynamic annotation, V = valence, A = arousal; Pearson r)"]
    for audit in audits.values():
        straight = "  ".join(f"{_r(audit.straight[name]):>5}" for name in STRAIGHT_PAIRS)
        crossed = "  ".join(f"{_r(audit.crossed[name]):>5}" for name in CROSSED_PAIRS)
        lines.append(f"{audit.subset:<6} {audit.n:>5}             {straight}            {crossed}   {audit.swapped}")
    return "\n".join(lines)


def finding(audits: dict[str, SubsetAudit]) -> str:
    """The finding in words, from the computed decisions (nothing assumed)."""
    swapped = [audit for audit in audits.values() if audit.swapped]
    kept = [audit for audit in audits.values() if audit.swapped is False]
    undecided = [audit for audit in audits.values() if audit.swapped is None]
    sentences = []
    for audit in swapped:
        sentences.append(
            f"{audit.subset} songs ({SUBSETS[audit.subset]}, n = {audit.n}): the static valence_* and arousal_* "
            f"columns hold each other's values. Static \"valence\" correlates "
            f"r = {audit.crossed['static valence ~ dynamic arousal']:.2f} with dynamic arousal and "
            f"{audit.straight['static valence ~ dynamic valence']:.2f} with dynamic valence; static \"arousal\" "
            f"r = {audit.crossed['static arousal ~ dynamic valence']:.2f} with dynamic valence and "
            f"{audit.straight['static arousal ~ dynamic arousal']:.2f} with dynamic arousal ({audit.reason}).")
    for audit in kept:
        sentences.append(
            f"{audit.subset} songs (n = {audit.n}): not swapped; straight r = "
            f"{audit.straight['static valence ~ dynamic valence']:.2f} (valence), "
            f"{audit.straight['static arousal ~ dynamic arousal']:.2f} (arousal) ({audit.reason}).")
    for audit in undecided:
        sentences.append(f"{audit.subset} songs: {audit.reason}.")
    if not swapped:
        sentences.insert(0, "No subset has its static valence/arousal columns swapped.")
    return " ".join(sentences)


def plot_static_vs_dynamic(audits: dict[str, SubsetAudit], path: Path) -> Path:
    """Scatter static (1-9) against time-averaged dynamic (-1..1) per subset: straight and crossed pairs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(audits.values())
    figure, axes = plt.subplots(len(rows), len(PAIRS), figsize=(3.2 * len(PAIRS), 3.0 * len(rows)), squeeze=False)
    for row, audit in zip(axes, rows):
        correlations = {**audit.straight, **audit.crossed}
        for axis, (name, (static, dynamic)) in zip(row, PAIRS.items()):
            kind = "straight" if name in STRAIGHT_PAIRS else "crossed"
            axis.scatter(audit.pairs[f"static_{static}"], audit.pairs[f"dynamic_{dynamic}"], s=4, alpha=0.4,
                         color="tab:blue" if kind == "straight" else "tab:red")
            axis.set_title(f"{audit.subset} ({kind}), n={audit.n}\nr = {_r(correlations[name])}", fontsize=9)
            axis.set_xlabel(f"static {static} (1-9)", fontsize=8)
            axis.set_ylabel(f"dynamic {dynamic}, time mean", fontsize=8)
            axis.set_xlim(1, 9)
            axis.set_ylim(-1, 1)
            axis.tick_params(labelsize=7)
    figure.suptitle("DEAM: static labels vs time-averaged dynamic annotations (blue: straight, red: crossed)", fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def audit_record(data_dir: Path, audits: dict[str, SubsetAudit], command: str) -> dict:
    """What audit.json holds."""
    static = data_dir / STATIC_1_2000
    checksum = file_sha256(static)
    files = {"static_1_2000": {"path": str(static), "sha256": checksum}}
    if (data_dir / STATIC_2000_2058).is_file():
        files["static_2000_2058"] = {"path": str(data_dir / STATIC_2000_2058), "sha256": file_sha256(data_dir / STATIC_2000_2058)}
    for dimension, relative in DYNAMIC_FILES.items():
        files[f"dynamic_{dimension}"] = {"path": str(data_dir / relative), "sha256": file_sha256(data_dir / relative)}
    return {
        "command": command, "data_dir": str(data_dir), "files": files,
        "static_1_2000_sha256": checksum,
        "rule": RULE, "margin": SWAP_MARGIN, "min_songs": MIN_SONGS,
        "subsets": {name: audit.to_dict() for name, audit in audits.items()},
        "swapped": {name: audit.swapped for name, audit in audits.items()},
        "known_outcome_for_this_file": KNOWN_OUTCOMES.get(checksum),
        "finding": finding(audits),
    }


def run_deam_audit(data: str, out: str, command: str) -> dict:
    """Run the audit, print the table and finding, write audit.json and the plot; return the record."""
    data_dir, out_dir = Path(data).resolve(), Path(out)
    if not data_dir.is_dir():
        raise DataError(f"DEAM folder {data_dir} does not exist; pass --data DIR (the folder holding annotations/)")
    audits = audit_deam(data_dir)
    record = audit_record(data_dir, audits, command)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "audit.json").write_text(json.dumps(record, indent=1) + "\n")
    plot_static_vs_dynamic(audits, out_dir / "static_vs_dynamic.png")
    print(correlation_table(audits))
    print()
    print("rule: " + RULE)
    print("finding: " + record["finding"])
    print(f"wrote {out_dir / 'audit.json'} and {out_dir / 'static_vs_dynamic.png'}")
    return record


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    command = " ".join(["python -m mer_keras.audit", *map(shlex.quote, argv)])
    return exit_status(run_deam_audit, args.data, args.out, command)


if __name__ == "__main__":
    sys.exit(main())
