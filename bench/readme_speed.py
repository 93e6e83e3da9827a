"""Copy the speed summary of bench/results.md (between ``<!-- speed-summary -->`` and
``<!-- /speed-summary -->``) into the README's "Speed" section (between the same markers there).

    python bench/readme_speed.py [--readme README.md] [--check]

``--check`` exits 1 when the README's copy differs (nothing written).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"<!-- speed-summary -->\n(.*?)<!-- /speed-summary -->", re.S)


def summary(results: str) -> str:
    found = BLOCK.search(results)
    if not found:
        raise SystemExit("bench/results.md has no <!-- speed-summary --> ... <!-- /speed-summary --> block")
    return found.group(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    block = summary(args.results.read_text())
    readme = args.readme.read_text()
    if not BLOCK.search(readme):
        raise SystemExit(f"{args.readme} has no <!-- speed-summary --> ... <!-- /speed-summary --> block to replace")
    updated = BLOCK.sub(lambda _: f"<!-- speed-summary -->\n{block}<!-- /speed-summary -->", readme, count=1)
    if args.check:
        if updated != readme:
            print(f"{args.readme}: its speed summary differs from bench/results.md; run python bench/readme_speed.py")
            return 1
        return 0
    args.readme.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
