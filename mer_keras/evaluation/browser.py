"""A headless browser check of an HTML report: Chromium (Debian package ``chromium``) renders the page, and the
rendered DOM says how many table rows and plots the browser saw (the page records them on load); a screenshot
can be saved beside the page. Every function answers None / raises nothing when Chromium is absent: callers say so."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# headless, no GPU; no sandbox: containers and CI run as root, and the page is a local file this project wrote
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions")


def find_chromium() -> str | None:
    """``$MER_CHROMIUM`` or the first Chromium / Chrome on PATH, else None."""
    chosen = os.environ.get("MER_CHROMIUM")
    if chosen:
        return shutil.which(chosen) or (chosen if Path(chosen).is_file() else None)
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def rendered_dom(html_path: Path, chromium: str | None = None, timeout: float = 120) -> str | None:
    """The page's DOM after loading (its scripts run), or None without Chromium."""
    chromium = chromium or find_chromium()
    if chromium is None:
        return None
    done = subprocess.run([chromium, *FLAGS, "--virtual-time-budget=10000", "--dump-dom", Path(html_path).resolve().as_uri()],
                          capture_output=True, text=True, timeout=timeout)
    return done.stdout


def page_check(html_path: Path, chromium: str | None = None) -> dict | None:
    """What the browser rendered: ``{"rows": [row ids], "n_rows", "plots", "plots_loaded"}`` from the counts the page
    writes on load (``data-rows``, ``data-plots``, ``data-plots-loaded`` on <body>) and its ``data-claim`` rows."""
    dom = rendered_dom(html_path, chromium)
    if dom is None:
        return None
    body = re.search(r"<body([^>]*)>", dom)
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1))) if body else {}
    number = lambda key: int(attributes[key]) if attributes.get(key, "").isdigit() else None
    return {"rows": re.findall(r'<tr data-claim="([^"]+)"', dom), "n_rows": number("rows"), "plots": number("plots"),
            "plots_loaded": number("plots-loaded")}


def screenshot(html_path: Path, png_path: Path, size: tuple[int, int] = (1400, 4000), chromium: str | None = None,
               timeout: float = 180) -> Path | None:
    """A PNG of the rendered page (the top ``size`` pixels), written atomically; None without Chromium."""
    chromium = chromium or find_chromium()
    if chromium is None:
        return None
    png_path = Path(png_path)
    temp = png_path.with_name(png_path.stem + ".tmp.png")
    subprocess.run([chromium, *FLAGS, f"--screenshot={temp.resolve()}", f"--window-size={size[0]},{size[1]}",
                    "--virtual-time-budget=10000", Path(html_path).resolve().as_uri()],
                   capture_output=True, text=True, timeout=timeout, check=False)
    if not temp.is_file():
        return None
    _shrink(temp)
    os.replace(temp, png_path)
    return png_path


def _shrink(path: Path) -> None:
    """A page of text and plots needs no more than 256 colours: about a third of the bytes (reports/ keeps small files)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)
