"""``python evaluate.py --summary [--out reports/VALIDATION.md]``: gather the committed reports
(:func:`mer_keras.evaluation.evidence.gather`), write the validation report and its HTML twin
(:func:`mer_keras.evaluation.report.write_validation_report`), then, where Chromium is installed, render the page
headless: check that every row and plot arrived, and save a screenshot beside it (``validation.png``)."""

from __future__ import annotations

from pathlib import Path

from mer_keras.evaluation import browser
from mer_keras.evaluation.evidence import gather
from mer_keras.evaluation.report import write_validation_report


def write_validation(out: Path, command: str, render: bool = True) -> dict:
    """Write the report to ``out`` (its folder holds the report folders read); returns the written paths and
    ``messages`` (the browser check's outcome, one line each)."""
    out = Path(out)
    if not out.parent.is_dir():
        from mer_keras.errors import RunError

        raise RunError(f"{out.parent} is not a folder of reports: --out names the Markdown file inside it "
                       "(e.g. reports/VALIDATION.md)")
    result = gather(out.parent)
    result["command"] = command
    written = write_validation_report(result, out)
    messages = []
    chromium = browser.find_chromium() if render else None
    if chromium is None:
        messages.append("no headless browser check: Chromium not found (Debian: apt-get install chromium)" if render else
                        "no headless browser check (not asked for)")
    else:
        check = browser.page_check(written["html"], chromium)
        missing = sorted(set(written["rows"]) - set(check["rows"]))
        messages.append(f"chromium: {len(check['rows'])} table rows rendered ({len(missing)} claim rows missing), "
                        f"{check['plots_loaded']} of {check['plots']} plots decoded")
        shot = browser.screenshot(written["html"], out.with_name(out.stem.lower() + ".png"), chromium=chromium)
        if shot:
            written["screenshot"] = shot
            messages.append(f"screenshot: {shot}")
        written["browser"] = check
    written["messages"] = messages
    return written
