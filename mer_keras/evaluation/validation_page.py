"""The validation report's pages: one document (headings, paragraphs, tables, plots) built from
:func:`mer_keras.evaluation.evidence.gather`, rendered as Markdown and as one self-contained HTML page (Jinja2,
CSS inline, plots inline as base64 PNG), so that both hold the same rows. Files are written by
:func:`mer_keras.evaluation.report.write_validation_report`; the plots are drawn by
:mod:`mer_keras.evaluation.plots`.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from mer_keras.evaluation.format import fmt

#: How every published peer's figure is labelled, wherever it is shown.
PUBLISHED = "published, not re-measured here"
METRIC_NAMES = {"r2": "R²", "ccc": "CCC", "mse": "MSE", "mae": "MAE", "accuracy": "accuracy", "parameters": "parameters",
                "pearson_r": "Pearson r"}

# ----------------------------------------------------------------------------------------------
# cells: a list of segments, each a str or {"link", "text"} / {"strong"} / {"code"}


def _link(text: str, href: str) -> dict:
    return {"link": href, "text": text}


def _number(value, digits: int = 3) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 2 and value[0] == value[1]:
        return _number(value[0], digits)
    if isinstance(value, (list, tuple)):
        return "-".join(_number(v, digits) for v in value)
    if isinstance(value, bool) or value is None:
        return fmt(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    return fmt(float(value), digits)


def _interval(measured: dict | None, digits: int = 3) -> str:
    if not measured or not isinstance(measured.get("mean"), (int, float)):
        return _measured_text(measured) if measured else "-"
    text = _number(measured["mean"], digits)
    if measured.get("low") is not None and measured.get("high") is not None:
        text += f" [{_number(measured['low'], digits)}, {_number(measured['high'], digits)}]"
    return text


def _measured_text(measured) -> str:
    """Any measured record as short text: an interval, or its named figures."""
    if not isinstance(measured, dict):
        return _number(measured)
    if isinstance(measured.get("mean"), (int, float)):
        text = _interval(measured)
        return text + (f", n = {measured['n']}" if measured.get("n") else "")
    parts = []
    for key, value in measured.items():
        if key in ("values", "folds", "sd", "low", "high", "n", "mean") or value is None:
            continue
        if isinstance(value, dict):
            inner = ", ".join(f"{k} {_measured_text(v) if isinstance(v, dict) else _number(v)}" for k, v in value.items()
                              if v is not None and not isinstance(v, list))
            parts.append(f"{key}: {inner}")
        elif not isinstance(value, list):
            parts.append(f"{key} {_number(value)}")
    return "; ".join(parts) or "-"


def _runs_cell(side: dict) -> str:
    runs = side.get("n_runs")
    if not runs:
        return "-"
    unit = "speaker folds" if side.get("test_folds") else "seeds" if runs > 1 else "run"
    items = side.get("n_items") or []
    items_text = f" x {items[0]}" if len(items) == 1 else f" x {items[0]}-{items[-1]}" if items else ""
    return f"{runs} {unit}{items_text} test items" if items_text else f"{runs} {unit}"


def _command_cell(side: dict) -> list:
    commands = side.get("commands") or []
    if not commands:
        return ["-"]
    more = len(commands) - 1
    return [{"code": commands[0]}] + ([f" (+{more} more in the report)"] if more > 0 else [])


# ----------------------------------------------------------------------------------------------
# the document


def _claims_table(rows: list[dict]) -> dict:
    headers = ["id", "claim (where)", "claimed", "measured mean [95% interval]", "runs x items (interval)", "data",
               "protocol", "verdict", "tuned protocol (same data)", f"published peers ({PUBLISHED})", "caveat", "report",
               "command"]
    body = []
    for row in rows:
        side = row.get("documented") or {}
        measured = side.get("measured") or {}
        tuned = row.get("tuned")
        tuned_cell = (f"{_interval(tuned['measured'])}: {tuned['verdict']} ({tuned['folder']})" if tuned else "-")
        claim = f"{row['claim']} ({row.get('where') or '-'})"
        peers = "; ".join(row.get("peers") or []) or "-"
        if row["status"] != "measured":
            cells = [row["id"], claim, _number(row["claimed"]), "not measured", "-", "-", "-", [{"strong": "not measured"}],
                     tuned_cell, peers, row["reason"], "-", "-"]
        else:
            caveats = list(side.get("caveats") or [])
            if side.get("note"):
                caveats.insert(0, side["note"])
            cells = [row["id"], claim, _number(row["claimed"]), _interval(measured),
                     f"{_runs_cell(side)} ({measured.get('interval') or '-'})", side.get("data") or "-",
                     side.get("protocol") or "-", [{"strong": row["verdict"]}], tuned_cell, peers, "; ".join(caveats) or "-",
                     [_link(side["folder"], side["report"])], _command_cell(side)]
        body.append({"id": row["id"], "cells": cells})
    return {"kind": "table", "id": "claims", "headers": headers, "rows": body}


def _time_table(rows: list[dict]) -> dict:
    headers = ["id", "claim", "where", "claimed (h)", "measured wall time (h) [95% interval]", "scaled figure (labelled)",
               "verdict", "caveat", "report", "command"]
    body = []
    for row in rows:
        side = row.get("documented") or {}
        if row["status"] != "measured":
            cells = [row["id"], row["claim"], row.get("where") or "-", _number(row["claimed"], 2), "not measured", "-",
                     [{"strong": "not measured"}], row["reason"], "-", "-"]
        else:
            scaled = (f"{_number(side['scaled_hours'], 2)} h ({side['scaled_label']})" if side.get("scaled_hours") is not None else "-")
            cells = [row["id"], row["claim"], row.get("where") or "-", _number(row["claimed"], 2), _interval(side["measured"], 2)
                     + f" ({side['measured'].get('interval')})", scaled, [{"strong": row["verdict"]}],
                     "; ".join(side.get("caveats") or []) or "-", [_link(side["folder"], side["report"])], _command_cell(side)]
        body.append({"id": row["id"], "cells": cells})
    return {"kind": "table", "id": "times", "headers": headers, "rows": body}


def _speech_table(rows: list[dict]) -> dict:
    headers = ["id", "claim", "where", "figure", "measured, documented protocol", "verdict", "measured, tuned protocol",
               "tuned verdict", "note", "report"]
    body = []
    for row in rows:
        side, tuned = row.get("documented") or {}, row.get("tuned") or {}
        if row["status"] != "measured":
            cells = [row["id"], row["claim"], row.get("where") or "-", "-", "not measured", [{"strong": "not measured"}],
                     "-", "-", row["reason"], "-"]
        else:
            cells = [row["id"], row["claim"], row.get("where") or "-", side.get("figure") or "-", _measured_text(side["measured"]),
                     [{"strong": row["verdict"]}], _measured_text(tuned.get("measured")) if tuned else "-",
                     tuned.get("verdict", "-"), "; ".join(side.get("caveats") or []) or "-", [_link(side["folder"], side["report"])]]
        body.append({"id": row["id"], "cells": cells})
    return {"kind": "table", "id": "speech", "headers": headers, "rows": body}


def _efficiency_table(rows: list[dict]) -> dict:
    headers = ["id", "claim", "where", "figure", "CNN-LSTM", "attention CRNN", "ratio (attention CRNN / CNN-LSTM)", "verdict",
               "runs", "report"]
    body = []
    for row in rows:
        side = row.get("documented") or {}
        m = side.get("measured") or {}
        if row["status"] != "measured":
            cells = [row["id"], row["claim"], row.get("where") or "-", "-", "-", "-", "-", [{"strong": "not measured"}],
                     row["reason"], "-"]
        else:
            cells = [row["id"], row["claim"], row.get("where") or "-", m.get("figure") or "-", _number(m.get("mean"), 1),
                     _number(m.get("other"), 1), _number(m.get("ratio"), 2), [{"strong": row["verdict"]}],
                     f"{side.get('n_runs')} per model", [_link(side["folder"], side["report"])]]
        body.append({"id": row["id"], "cells": cells})
    return {"kind": "table", "id": "efficiency", "headers": headers, "rows": body}


def _inconsistency_table(rows: list[dict]) -> dict:
    return {"kind": "table", "id": "inconsistencies", "headers": ["id", "known inconsistency (specs/estimates.yaml)", "status", "check"],
            "rows": [{"id": row["id"], "cells": [row["id"], row["claim"], [{"strong": row["verdict"]}], row["reason"]]} for row in rows]}


def _peers_table(peers: list[dict]) -> dict:
    body = []
    for k, peer in enumerate(peers):
        figures = "; ".join(f"{METRIC_NAMES.get(f['metric'], f['metric'])}{' ' + str(f['axis']) if f.get('axis') else ''} "
                            f"{'figure not transcribed' if f.get('value') is None else _number(f['value'])}"
                            for f in peer.get("figures", []))
        body.append({"id": f"peer.{k}", "cells": [peer["name"], str(peer.get("year", "-")), peer.get("dataset", "-"),
                                                  peer.get("reads", "-"), figures, peer.get("source", "-"), peer.get("checked", "-")]})
    return {"kind": "table", "id": "peers", "headers": ["peer", "year", "data", "reads", f"figures ({PUBLISHED})", "source",
                                                       "how the figure was obtained here"], "rows": body}


def _checks_blocks(checks: dict) -> list[dict]:
    blocks = [{"kind": "p", "text": "Computed from the claimed figures alone (mer_keras/evaluation/consistency.py), before any "
                                    "run: CCC cannot exceed |Pearson r|, the R² of a prediction cannot exceed r², and R² "
                                    "cannot exceed CCC (equal only for a perfect prediction)."}]
    table = {"kind": "table", "id": "pairs", "headers": ["model", "claimed CCC", "claimed R²", "highest R² for that CCC (one axis)",
                                                         "highest mean R² over two axes", "|r| needed", "prediction sd / label sd",
                                                         "possible?"], "rows": []}
    for pair in checks["pairs"]:
        table["rows"].append({"id": f"pair.{pair['model']}", "cells": [
            pair["model"], _number(pair["ccc"]), _number(pair["r2"]), _number(pair["max_r2"]),
            f"{_number(pair['two_axes_max_r2']['value'])} (axis CCCs {_number(pair['two_axes_max_r2']['ccc_axes'], 2)})",
            f">= {_number(pair['min_abs_r'])}" if pair["min_abs_r"] is not None else f">= {_number(pair['r_from_r2'])} from R² alone",
            _number(pair["spread_ratio"], 2) if pair["spread_ratio"] else "-",
            [{"strong": "yes" if pair["feasible"] else "no (on one axis)"}]]})
    blocks.append(table)
    blocks.append({"kind": "list", "items": [p["sentence"] for p in checks["pairs"]]
                   + ([checks["label_variance_sentence"]] if checks.get("label_variance_sentence") else [])
                   + [f"{m['model']}: claimed MAE {_number(m['mae'])} <= sqrt(claimed MSE) {_number(m['rmse'])}: "
                      f"{'holds' if m['holds'] else 'violated'}." for m in checks["mae_vs_rmse"]]
                   + ([checks["parameters"]["sentence"]] if checks.get("parameters") else [])
                   + [f"The same inequalities on every committed valence/arousal prediction here: "
                      f"{checks['measured_predictions']['axes']} axes of {checks['measured_predictions']['runs']} runs, "
                      f"{checks['measured_predictions']['violations']} violations."]})
    ladder = checks["ladder"]
    steps = {"kind": "table", "id": "ladder", "headers": ["step", "claimed", "claimed gain", "same metric?",
                                                          "measured: paired difference of mean R² [95% t interval], pairs",
                                                          "R² step holds?", "paired difference of mean CCC", "CCC step holds?"],
             "rows": []}
    claimed = {c["model"]: c for c in ladder["claimed"]}
    for step in ladder["steps"]:
        a, b = claimed[step["from"]], claimed[step["to"]]
        measured = step.get("measured") or {}
        r2, ccc = measured.get("r2"), measured.get("ccc")
        gain = "claimed equal" if step["claimed_equal"] else f"{100 * step['claimed_gain']:+.1f}%"
        steps["rows"].append({"id": f"step.{step['from']}.{step['to']}", "cells": [
            f"{step['from']} -> {step['to']}", f"{METRIC_NAMES[a['metric']]} {_number(a['value'])} -> {METRIC_NAMES[b['metric']]} "
                                               f"{_number(b['value'])}", gain, "yes" if step["same_metric"] else "no: metric changes",
            f"{_interval(r2['difference'])}, {r2['pairs']}" if r2 else "not measured",
            [{"strong": r2["outcome"]}] if r2 else "-",
            f"{_interval(ccc['difference'])}, {ccc['pairs']}" if ccc else "not measured", [{"strong": ccc["outcome"]}] if ccc else "-"]})
    blocks += [{"kind": "p", "text": "The smooth progression argument: the study's ladder (each model's first R² or CCC claim, "
                                     "in the order of specs/estimates.yaml) against the measured one: each rung's documented "
                                     "folder, each step as the paired difference (same split seeds, hence the same test songs) "
                                     "of the upper rung minus the lower one. Measured order by mean R²: "
                                     + " > ".join(f"{m} {_number(ladder['measured'][m]['r2']['mean'])}"
                                                  for m in ladder["measured_order_r2"]) + "."}, steps]
    return blocks


def build_document(result: dict, images: dict[str, dict]) -> list[dict]:
    """The report as blocks; ``images``: plot name -> {"file", "caption"} (drawn) or {"skipped": why}."""
    rows = result["rows"]
    section = lambda name: [r for r in rows if r["section"] == name]
    measured = [r for r in rows if r["status"] == "measured" and r["section"] != "known_inconsistencies"]
    total = [r for r in rows if r["section"] != "known_inconsistencies"]
    doc = [{"kind": "h1", "text": "Validation report: the two design documents' claims against what this project measured"},
           {"kind": "p", "text": f"Generated by {result.get('command', 'python evaluate.py --summary')} from "
                                 f"{len(result['groups'])} report folders under {result['root']}/ (each row links to its "
                                 "report, which holds every per-seed figure and command). "
                                 f"{len(measured)} of {len(total)} claims measured. No figure below is typed by hand: "
                                 "claims come from specs/estimates.yaml, peers from specs/peers.yaml, measurements from "
                                 "the report folders' metrics.json."},
           {"kind": "p", "text": "Data: DEAM's audio and feature files are not available here "
                                 f"({result.get('data_gaps')}); the music claims (made on DEAM) are measured on 4Q-VA, "
                                 "4Q's real audio with valence/arousal derived from its mood tags: a PROXY for DEAM's "
                                 "listener ratings, labelled as such in every row. The speech note's claims are measured on "
                                 "RAVDESS (and EmoDB across corpora), not on the note's own data."},
           {"kind": "h2", "text": "What the evidence says", "id": "evidence"},
           {"kind": "list", "items": result["evidence"]},
           {"kind": "h2", "text": "Claims of the two documents", "id": "claims"},
           {"kind": "p", "text": "Verdicts come from the documented protocol (classic models: their grouped grid search) "
                                 "with the rules of mer_keras/evaluation/verdict.py: the CRNN's estimate band, otherwise the "
                                 "claimed value against the 95% interval (overlap: consistent). The interval is the t "
                                 "interval over the folder's runs (seeds or speaker folds) where there are several, else "
                                 "the run's bootstrap over test items; where the folder's own per-run verdicts differ, both "
                                 "are given. The tuned protocol (the same layers, trained as well as the project can) is "
                                 "shown beside, never instead."},
           _claims_table(section("claims"))]
    also = [(row["id"], a) for row in section("claims") for a in row.get("also") or []]
    if also:
        doc += [{"kind": "h3", "text": "Also measured (not used for the verdicts)"},
                {"kind": "p", "text": "Other report folders of the same models and task: other features, precision, "
                                      "tuned variants beyond the one shown, or older protocols."},
                {"kind": "table", "id": "also", "headers": ["claim id", "report", "protocol", "features",
                                                            "measured mean [95% interval]"],
                 "rows": [{"id": f"also.{rid}.{a['folder']}", "cells": [rid, [_link(a["folder"], a["report"])], a["protocol"],
                                                                        a["features"], _interval(a["measured"])]}
                          for rid, a in also]}]
    doc += [{"kind": "h2", "text": "Training times", "id": "times"},
            {"kind": "p", "text": "Wall time recorded by each run on this project's CPU machines against the documents' "
                                  "figures (on GPUs where stated). Scaled figures are labelled as such; nothing is "
                                  "converted between machines."},
            _time_table(section("training_time_claims")),
            {"kind": "h2", "text": "The speech note's claims", "id": "speech"}, _speech_table(section("speech_note_claims")),
            {"kind": "h3", "text": "Efficiency claims (side-by-side comparison)"}, _efficiency_table(section("speech_efficiency_claims")),
            {"kind": "h2", "text": "Known inconsistencies of the documents", "id": "inconsistencies"},
            _inconsistency_table(section("known_inconsistencies")),
            {"kind": "h2", "text": f"Published peers ({PUBLISHED})", "id": "peers"},
            {"kind": "p", "text": "Other systems' published figures on the tasks the claims are about, from specs/peers.yaml. "
                                  "They were not re-measured here, and they are on DEAM (music) or on the benchmark's own "
                                  "splits (speech), so they are not comparable one to one with the 4Q-VA proxy figures."},
            _peers_table(result["peers"]),
            {"kind": "h2", "text": "Plots", "id": "plots"}]
    for name, image in images.items():
        if image.get("file"):
            doc.append({"kind": "image", "name": name, "file": image["file"], "caption": image["caption"]})
        else:
            doc.append({"kind": "p", "text": f"{image['title']}: not drawn ({image['skipped']})."})
    doc += [{"kind": "h2", "text": "Consistency checks of the claims", "id": "checks"}] + _checks_blocks(result["checks"])
    doc += _swap_blocks(result["label_swap"])
    doc += _reproduction_blocks(result["reproduction"])
    doc += [{"kind": "h2", "text": "Command", "id": "command"},
            {"kind": "code", "text": result.get("command", "python evaluate.py --summary --out reports/VALIDATION.md")}]
    return doc


def _swap_blocks(swap: dict) -> list[dict]:
    share = swap.get("share") or {}
    blocks = [{"kind": "h2", "text": "The DEAM label audit's consequence (issue 24, point 6)", "id": "label-swap"}]
    if share:
        blocks.append({"kind": "p", "text": f"DEAM's {share['subset']} songs ({share['swapped']} of {share['of']} in the "
                                            f"static 1-2000 file, {100 * share['share']:.1f}%) ship with valence and arousal "
                                            f"exchanged ({share['audit']}). The experiment: exchange the two labels for the "
                                            "same share of TRAINING songs (validation and test keep theirs; train.py "
                                            "--swap-va-fraction), train on corrupted and clean labels on the same splits, "
                                            "and compare valence R², arousal R² and the correlation between the two "
                                            "predicted outputs, paired by seed."})
    if swap["status"] != "measured":
        blocks.append({"kind": "p", "text": "Status: not measured yet. The commands (the best committed classic and Keras "
                                            "4Q-VA folders by mean R², their seeds):"})
        blocks.append({"kind": "code", "text": "\n".join(swap["commands"]) or "(no DEAM label audit report found)"})
        return blocks
    table = {"kind": "table", "id": "swap", "headers": ["swapped folder", "clean folder", "valence R² difference", "arousal R² "
                                                        "difference", "output correlation swapped / clean", "difference"],
             "rows": []}
    for k, r in enumerate(swap["results"]):
        if not r.get("clean"):
            table["rows"].append({"id": f"swap.{k}", "cells": [r["folder"], "-", "-", "-", "-", r.get("why", "-")]})
            continue
        corr = r["output_correlation"]
        table["rows"].append({"id": f"swap.{k}", "cells": [
            r["folder"], r["clean"], f"{_interval(r['valence_r2']['difference'])} ({_direction(r['valence_r2']['difference'])})",
            f"{_interval(r['arousal_r2']['difference'])} ({_direction(r['arousal_r2']['difference'])})",
            f"{_number(corr['swapped']['mean'])} / {_number(corr['clean']['mean'])}",
            f"{_interval(corr['difference'])} ({_direction(corr['difference'])})"]})
    blocks.append(table)
    return blocks


def _direction(difference: dict) -> str:
    """Swapped minus clean, in words from its interval: "lower" / "higher" when the interval excludes 0."""
    low, high = (difference or {}).get("low"), (difference or {}).get("high")
    if low is None or high is None:
        return "one seed: no interval"
    return "lower when swapped" if high < 0 else "higher when swapped" if low > 0 else "no clear difference"


def _reproduction_blocks(summary: dict) -> list[dict]:
    scope = {"kind": "table", "id": "scope", "headers": ["id", "claim", "where", "kind", "measured on", "status"],
             "rows": [{"id": f"scope.{s['id']}", "cells": [s["id"], s["claim"], s.get("where") or "-", s.get("kind") or "-",
                                                         s["measured_on"], s["status"]]} for s in summary["scope"]]}
    return [{"kind": "h2", "text": "Reproduction summary", "id": "reproduction"},
            {"kind": "h3", "text": "Scope of each claim"}, scope,
            {"kind": "h3", "text": "What was easy (recorded time per run; no collapsed run)"}, {"kind": "list", "items": summary["easy"] or ["-"]},
            {"kind": "h3", "text": "What was hard (collapsed runs, claims without runs)"}, {"kind": "list", "items": summary["hard"] or ["-"]},
            {"kind": "h3", "text": "Every deviation from the documents (read from specs/ and the reports)"},
            {"kind": "list", "items": summary["deviations"]},
            {"kind": "h3", "text": "What the reports state about their data"},
            {"kind": "list", "items": summary.get("data_notes") or ["-"]}]


# ----------------------------------------------------------------------------------------------
# Markdown


def _md_cell(cell) -> str:
    segments = cell if isinstance(cell, list) else [cell]
    out = []
    for segment in segments:
        if isinstance(segment, dict) and "link" in segment:
            out.append(f"[{_md_escape(segment['text'])}]({segment['link']})")
        elif isinstance(segment, dict) and "strong" in segment:
            out.append(f"**{_md_escape(segment['strong'])}**")
        elif isinstance(segment, dict) and "code" in segment:
            out.append(f"`{segment['code'].replace('|', '&#124;')}`")
        else:
            out.append(_md_escape(str(segment)))
    return "".join(out)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(doc: list[dict]) -> str:
    lines = []
    for block in doc:
        kind = block["kind"]
        if kind in ("h1", "h2", "h3"):
            lines += [{"h1": "#", "h2": "##", "h3": "###"}[kind] + " " + block["text"], ""]
        elif kind == "p":
            lines += [block["text"], ""]
        elif kind == "list":
            lines += [f"- {item}" for item in block["items"]] + [""]
        elif kind == "code":
            lines += ["```", block["text"], "```", ""]
        elif kind == "image":
            lines += [f"![{block['name']}]({block['file']})", "", f"*{block['caption']}*", ""]
        elif kind == "table":
            lines += ["| " + " | ".join(_md_escape(h) for h in block["headers"]) + " |",
                      "|" + "---|" * len(block["headers"])]
            lines += ["| " + " | ".join(_md_cell(c) for c in row["cells"]) + " |" for row in block["rows"]]
            lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# HTML


def _html_cell(cell) -> str:
    segments = cell if isinstance(cell, list) else [cell]
    out = []
    for segment in segments:
        if isinstance(segment, dict) and "link" in segment:
            out.append(f'<a href="{html.escape(segment["link"])}">{html.escape(segment["text"])}</a>')
        elif isinstance(segment, dict) and "strong" in segment:
            out.append(f"<strong>{html.escape(segment['strong'])}</strong>")
        elif isinstance(segment, dict) and "code" in segment:
            out.append(f"<code>{html.escape(segment['code'])}</code>")
        else:
            out.append(html.escape(str(segment)))
    return "".join(out)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px 32px; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6em; border-bottom: 2px solid #ddd; padding-bottom: 6px; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #eee; padding-bottom: 4px; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; font-size: 11.5px; margin: 10px 0 18px; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #f3f5f7; position: sticky; top: 0; }
tr:nth-child(even) td { background: #fafbfc; }
td code, pre { font-size: 10.5px; word-break: break-all; white-space: pre-wrap; }
#table-claims td:nth-child(2), #table-claims td:nth-child(6) { min-width: 100px; }
#table-claims td:nth-child(11), #table-claims td:nth-child(13), #table-times td:nth-child(10) { min-width: 160px; }
pre { background: #f6f8fa; padding: 10px; border-radius: 4px; }
strong.v-bad { color: #b42318; } strong.v-good { color: #067647; } strong.v-none { color: #6b7280; }
figure { margin: 14px 0 26px; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 12px; color: #555; }
ul li { margin-bottom: 4px; }
</style>
</head>
<body>
{% for block in blocks %}
{%- if block.kind in ("h1", "h2", "h3") %}<{{ block.kind }}{% if block.id %} id="{{ block.id }}"{% endif %}>{{ block.text }}</{{ block.kind }}>
{%- elif block.kind == "p" %}<p>{{ block.text }}</p>
{%- elif block.kind == "list" %}<ul>{% for item in block["items"] %}<li>{{ item }}</li>{% endfor %}</ul>
{%- elif block.kind == "code" %}<pre>{{ block.text }}</pre>
{%- elif block.kind == "image" %}<figure><img data-plot="{{ block.name }}" alt="{{ block.name }}" src="data:image/png;base64,{{ block.data }}"><figcaption>{{ block.caption }}</figcaption></figure>
{%- elif block.kind == "table" %}<table id="table-{{ block.id }}"><thead><tr>{% for h in block.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in block.rows %}<tr data-claim="{{ row.id }}">{% for cell in row.cells %}<td>{{ cell | safe }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{%- endif %}
{% endfor %}
<script>
// a browser check reads these (tests/evaluation/test_validation_report.py): rows and plots as rendered
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  document.body.dataset.plotsLoaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.dataset.plots = images.length;
  document.body.dataset.rows = document.querySelectorAll("tr[data-claim]").length;
});
</script>
</body>
</html>
"""

_GOOD = ("validated", "consistent", "holds", "within the claimed range")
_BAD = ("overestimated", "underestimated", "below claim", "above claim", "does not hold", "inconsistent with the claim")


def _verdict_class(text: str) -> str:
    if text.startswith("not measured") or text.startswith("recorded"):
        return "v-none"
    if text.startswith(_GOOD):
        return "v-good"
    return "v-bad" if text.startswith(_BAD) else ""


def html_page(doc: list[dict], images_data: dict[str, str]) -> str:
    """One self-contained HTML page: CSS inline, every plot inline (``images_data``: name -> base64 PNG)."""
    from jinja2 import Environment

    environment = Environment(autoescape=True)
    blocks = []
    for block in doc:
        block = dict(block)
        if block["kind"] == "table":
            rows = []
            for row in block["rows"]:
                cells = []
                for cell in row["cells"]:
                    rendered = _html_cell(cell)
                    for segment in (cell if isinstance(cell, list) else []):
                        if isinstance(segment, dict) and "strong" in segment and _verdict_class(segment["strong"]):
                            rendered = rendered.replace("<strong>", f'<strong class="{_verdict_class(segment["strong"])}">', 1)
                    cells.append(rendered)
                rows.append({"id": row["id"], "cells": cells})
            block["rows"] = rows
        elif block["kind"] == "image":
            block["data"] = images_data[block["name"]]
        blocks.append(block)
    title = next((b["text"] for b in doc if b["kind"] == "h1"), "Validation report")
    return environment.from_string(_TEMPLATE).render(blocks=blocks, title=title)


def encode_png(path: Path) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")


# ----------------------------------------------------------------------------------------------
# plots


def draw_plots(result: dict, plot_dir: Path, relative_to: Path) -> dict[str, dict]:
    """Every plot of the report as a PNG in ``plot_dir``: name -> {"file" (relative to ``relative_to``), "caption",
    "title"}, or {"skipped": why, "title"} where its data is not there."""
    from mer_keras.evaluation import plots

    plot_dir = Path(plot_dir)
    rel = lambda path: Path(path).resolve().relative_to(Path(relative_to).resolve()).as_posix()
    images: dict[str, dict] = {}
    ladder = plots.claims_ladder(result["checks"]["ladder"], result["band"], result["peers"], plot_dir / "ladder.png")
    images["ladder"] = {"file": rel(ladder), "title": "The claimed ladder against the measured one",
                        "caption": "Claimed figures (diamonds; DEAM) against each rung's documented 4Q-VA folder: mean R² and "
                                   "mean CCC with their 95% intervals over seeds, the tuned protocol's R² hollow; green: the "
                                   "CRNN's estimate band; grey triangles: published DEAM peers, not re-measured here."}
    panels = []
    for paired in result["paired"]:
        for row in paired["rows"]:
            values = [p["difference"] for p in row["pairs"]]
            if values:
                panels.append({"label": f"{paired['treatment']}\nminus {row['baseline']}\n({paired['figure']})",
                               "values": values, "interval": row["difference"]})
    title = "Paired gains per seed (pretraining, augmentation)"
    if panels:
        path = plots.paired_gains(panels, plot_dir / "paired.png")
        images["paired"] = {"file": rel(path), "title": title,
                            "caption": "Each committed paired report (python -m mer_keras.evaluation.paired): every pair "
                                       "(same split seed or fold) a dot, the mean difference with its 95% t interval."}
    else:
        images["paired"] = {"title": title, "skipped": "no paired report (python -m mer_keras.evaluation.paired) is "
                                                       "committed under reports/ yet; the pretraining (issue 19) and GAN "
                                                       "augmentation (issue 22) gains appear here once they are"}
    for panel in result["predictions"]:
        name = f"predictions-{panel['folder']}"
        title = f"Predicted against true, {panel['folder']} ({panel['why']})"
        if panel.get("missing"):
            images[name] = {"title": title, "skipped": panel["missing"]}
            continue
        path = plots.predicted_vs_true(panel["true"], panel["pred"], plot_dir / f"{name}.png",
                                       f"{panel['run']} (R² {panel['r2']:.3f}; folder mean {panel['folder_r2']:.3f})")
        images[name] = {"file": rel(path), "title": title,
                        "caption": f"{title}: test songs of {panel['run']}, the run whose mean R² is closest to its "
                                   "folder's mean (a typical run, not the best one); dashed: perfect prediction."}
    if result["confusions"]:
        grid = [c | {"title": f"{c['model']} ({c['protocol']}), {c['runs']} folds pooled, acc. {c['accuracy']:.3f}"}
                for c in result["confusions"]]
        path = plots.confusion_grid(grid, plot_dir / "confusions.png")
        images["confusions"] = {"file": rel(path), "title": "Speech confusion matrices",
                                "caption": "The speech models' confusion matrices, pooled over their speaker folds (rows: true "
                                           "class; colour: share of the row; numbers: clips), for the folders that judge "
                                           "the note's claims."}
    else:
        images["confusions"] = {"title": "Speech confusion matrices", "skipped": "no speech report with confusion matrices"}
    return images
