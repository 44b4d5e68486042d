"""Memory stays flat as the dataset grows: dedup lives in the staging table, not in Python.

A child process stages N rows (with repeats and twins) page by page, finalizes and
publishes, and reports its peak RSS; 1M rows may cost at most 50 MB more than 100k.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import resource, sys
    from tasks.catalog import get_proxy_type
    from tasks.sink import open_sink

    url, n = sys.argv[1], int(sys.argv[2])
    proxy = get_proxy_type("skk")

    def page(start, size=500):
        rows = []
        for i in range(start, min(start + size, n)):
            rows.append({"id": str(i // 2 if i % 97 == 0 else i), "nama": f"pegawai {i}",
                         "status_usulan": i % 7, "usulan_data": {"data": {"i": i}}})
        if rows:
            rows.append(dict(rows[0]))  # a repeat on every page
        return rows

    with open_sink(url).staging(proxy) as staged:
        for start in range(0, n, 500):
            staged.stage(page(start))
        counts = staged.finalize()
        staged.publish(lambda: True)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, counts["rows"])
    """
)


def peak_rss_mb(url: str, rows: int) -> int:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(rows)],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    ).stdout.split()
    assert int(out[1]) > rows * 0.95
    return int(out[0])


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_million_rows_cost_no_more_memory_than_a_hundred_thousand(database_url: str) -> None:
    small = peak_rss_mb(database_url, 100_000)
    large = peak_rss_mb(database_url, 1_000_000)
    assert large - small < 50, (small, large)
