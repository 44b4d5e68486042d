"""Publish throughput: rows/s through stage -> finalize -> publish, SQLite and PostgreSQL.

Prints figures, asserts nothing. The target is >= 50,000 rows/s for publish (staging ->
live, one transaction). Staging (hash + clean + insert, per page) and finalize (derived
ids) are shown beside it; JSON parsing of the pages is not timed (the client does it).
"tidy" is the housekeeping after a commit that changed the live table (PostgreSQL:
VACUUM and/or ANALYZE as its churn calls for; SQLite: the WAL checkpoint), timed apart
because readers already see the rows. Each sink gets three passes: first (empty table),
same (a re-sync of unchanged data) and changed (every row's content is new).

    .venv/bin/python bench/bench_publish.py [--rows 200000] [--page 600] [--postgres URL]

PostgreSQL defaults to a throwaway database on the local server (created, then dropped);
pass ``--postgres ''`` to skip it.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import psutil

from tasks.catalog import get_proxy_type
from tasks.siasn.fake_data import Dataset, Quirks
from tasks.sink import open_sink
from tasks.sink.base import Published, StagedTable

log = logging.getLogger("bench")


def pangkat_pages(count: int, page: int, changed: bool = False) -> Iterator[list[dict]]:
    """Pages of rows exactly as the fake SIASN serves pangkat (~73 keys, ~3 KB of JSON),
    quirks included (repeats, twins, null ids), parsed as the client parses them.
    ``changed``: the same records, each with a new ``status_usulan``."""
    dataset = Dataset("pangkat", count, seed=7, quirks=Quirks())
    served = len(dataset)
    for start in range(0, served, page):
        rows = [orjson.loads(text) for text in dataset.rows_json(start, start + page)]
        if changed:
            for row in rows:
                row["status_usulan"] = (row.get("status_usulan") or 0) + 100
        yield rows


# Three syncs into one table: the first fills it; "same" brings back the same data (a
# re-sync when nothing changed upstream, the common case); "changed" brings every record
# back with new content (the worst case: every live row is replaced).
PASSES = (("first", False), ("same", False), ("changed", True))


def run_one(url: str, rows: int, page: int) -> None:
    for label, changed in PASSES:
        sync_once(url, rows, page, label, changed)


def time_tidy(staged: StagedTable) -> list[float]:
    """Time the housekeeping after the commit (PostgreSQL's VACUUM, SQLite's checkpoint)
    apart from the publish transaction itself: readers see the new rows at commit."""
    spent = [0.0]
    tidy = staged._tidy_live

    def timed(published: Published) -> None:
        t0 = time.perf_counter()
        tidy(published)
        spent[0] += time.perf_counter() - t0

    staged._tidy_live = timed  # type: ignore[method-assign]
    return spent


def sync_once(url: str, rows: int, page: int, label: str, changed: bool) -> None:
    proxy = get_proxy_type("pangkat")
    sink = open_sink(url)
    process = psutil.Process()
    rss0 = process.memory_info().rss
    staging = staging_cpu = 0.0
    with sink.staging(proxy) as staged:
        for rows_of_page in pangkat_pages(rows, page, changed):  # parsing is not timed
            t0, c0 = time.perf_counter(), time.process_time()
            staged.stage(rows_of_page)
            staging += time.perf_counter() - t0
            staging_cpu += time.process_time() - c0
        t0 = time.perf_counter()
        counts = staged.finalize()
        finalizing = time.perf_counter() - t0
        tidying = time_tidy(staged)
        t0 = time.perf_counter()
        published = staged.publish(lambda: True)
        publishing = time.perf_counter() - t0 - tidying[0]
    rss = (process.memory_info().rss - rss0) / 2**20
    where = "sqlite" if url.startswith("sqlite") else sink.label.split("@")[-1].split("/")[0]
    print(
        f"{where:<16} {label:<8} rows {published.total:>9,} (written {published.written:,}, "
        f"removed {published.removed:,})  "
        f"publish {published.total / publishing:>8,.0f}/s + tidy {tidying[0]:4.2f}s  "
        f"stage {counts.received / staging:>7,.0f}/s "
        f"(worker CPU {counts.received / staging_cpu:>7,.0f}/s)  "
        f"finalize {finalizing:5.2f}s  "
        f"all {published.total / (staging + finalizing + publishing + tidying[0]):>7,.0f}/s  "
        f"rss +{rss:.0f} MB  (received {counts.received:,}, "
        f"derived {counts.ids_derived}, load {os.getloadavg()[0]:.1f})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--page", type=int, default=600)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "PROXYTUI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        run_one(f"sqlite:///{Path(tmp) / 'bench.db'}", args.rows, args.page)
    if args.postgres:
        import psycopg

        name = f"proxytui_bench_{secrets.token_hex(4)}"
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base, _, _ = args.postgres.rpartition("/")
            run_one(f"{base}/{name}", args.rows, args.page)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
