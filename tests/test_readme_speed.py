"""The README's speed summary is the one in bench/results.md (python bench/readme_speed.py regenerates it)."""

import subprocess
import sys

from tests.conftest import REPO


def test_readme_speed_summary_matches_bench_results(tmp_path):
    check = [sys.executable, str(REPO / "bench" / "readme_speed.py"), "--check"]
    done = subprocess.run(check, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    stale = tmp_path / "README.md"
    stale.write_text((REPO / "README.md").read_text().replace("<!-- /speed-summary -->", "old line\n<!-- /speed-summary -->"))
    done = subprocess.run([*check, "--readme", str(stale)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 1 and "differs" in done.stdout
