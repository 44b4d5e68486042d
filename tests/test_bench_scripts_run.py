"""Every script under bench/ still runs to the end and prints its figures.

The benches call the product's internals directly (a stand-in run for the pipeline, the
sink's counts), so an interface change can break one without any other test noticing.
Each runs here on the smallest input that still takes its whole path; the figures
themselves are not checked (tests never assert wall-clock times).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# script, arguments, a word every figure line of it prints
SMALL_RUNS = [
    ("bench_fetch.py", ["--rows", "2000", "--latency", "0"], "rows/s"),
    ("bench_publish.py", ["--rows", "2000", "--postgres", ""], "publish"),
    ("bench_sync.py", ["--rows", "2000", "--latency", "0", "--rss", "2000", "--skip-publish"],
     "sync/fetch"),
    ("bench_jobs.py", ["--n", "20"], "p99"),
    ("bench_overview.py", ["--n", "20"], "p99"),
    ("bench_api.py", ["--seconds", "1", "--workers", "1", "--clients", "4"], "req/s"),
    ("bench_tui.py", ["--seconds", "1", "--changes", "1"], "idle CPU"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("script", "args", "word"), SMALL_RUNS, ids=[r[0] for r in SMALL_RUNS])
def test_the_bench_script_runs_to_the_end_and_prints_figures(
    script: str, args: list[str], word: str
) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert word in done.stdout, done.stdout[-3000:]
