"""Latency of `tasks.jobs.overview()`, the dashboard's 1 s poll, with the run ledger.

Measured on SQLite and on PostgreSQL, with an empty ledger and with 5,000 ledger rows
per type (25,000 in all), a schedule for every type and a job of every type in Redis:
the overview's cost must not grow with history. Prints p50/p99 in milliseconds; asserts
nothing.

    .venv/bin/python bench/bench_overview.py [--redis-url URL] [--postgres-url URL] [--n 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from bench_jobs import measure  # bench/ is the script's directory

from tasks import jobs
from tasks.backend import open_backend
from tasks.catalog import PROXY_TYPES
from tasks.settings import load_settings
from tasks.sink import open_sink
from tasks.sink.ledger import POSTGRES, SQLITE, RunEntry, write_run

ROWS_PER_TYPE = 5_000
SCHEDULE = ";".join(f"{t}=0 2 * * *" for t in PROXY_TYPES)


def entries(proxy_type: str, count: int):
    base = 1_700_000_000_000
    for i in range(count):
        state = "completed" if i % 10 else "failed"
        yield RunEntry(
            proxy_type, f"proxy-{proxy_type}-{base + i}", state, base + i * 60_000,
            attempt=1, trigger="schedule", requested_by="schedule", duration_ms=40_000,
            rows=23_190 if state == "completed" else None, written=12, removed=3,
            error=None if state == "completed" else "PermanentFailure: token rejected",
        )


def fill_ledger(database_url: str, count: int) -> None:
    """``count`` runs per type, written as the worker writes them (insert, prune, total)."""
    sink = open_sink(database_url)
    sink.record_run(RunEntry("pangkat", "proxy-pangkat-0", "cancelled", 0))  # creates it
    if database_url.startswith("sqlite"):
        conn = sink.connect()  # type: ignore[attr-defined]
        conn.execute("BEGIN IMMEDIATE")
        for proxy_type in PROXY_TYPES:
            for entry in entries(proxy_type, count):
                write_run(conn, SQLITE, entry, keep=count)
        conn.execute("COMMIT")
        conn.close()
        return
    with sink.connect() as conn, conn.transaction():  # type: ignore[attr-defined]
        for proxy_type in PROXY_TYPES:
            for entry in entries(proxy_type, count):
                write_run(conn, POSTGRES, entry, keep=count)
        conn.execute("ANALYZE siasn_proxy.proxytui_runs")


def run(label: str, redis_url: str, database_url: str, n: int) -> None:
    prefix = f"bench{uuid.uuid4().hex[:8]}:"
    settings = load_settings({
        "PROXYTUI_REDIS_URL": redis_url, "PROXYTUI_KEY_PREFIX": prefix,
        "PROXYTUI_DATABASE_URL": database_url, "PROXYTUI_SCHEDULE": SCHEDULE,
        "PROXYTUI_TZ": "Asia/Jakarta",
    })
    backend = open_backend(settings)
    try:
        for proxy_type in PROXY_TYPES:
            jobs.request_sync(proxy_type, requested_by="bench", backend=backend)
        for rows in (0, ROWS_PER_TYPE):
            if rows:
                fill_ledger(database_url, rows)
            jobs.overview(backend)  # connect once, as the dashboard does
            p50, p99 = measure(lambda: jobs.overview(backend), n)
            view = jobs.overview(backend)
            assert view["database"]["reachable"], view["database"]
            print(f"{label:<10} {rows:>6} rows/type   overview p50 {p50:6.2f} ms   "
                  f"p99 {p99:6.2f} ms")
    finally:
        conn = redis.Redis.from_url(redis_url)
        keys = list(conn.scan_iter(match=f"{prefix}*", count=1000))
        keys += list(conn.scan_iter(match=f"huey.*.{prefix.rstrip(':')}", count=1000))
        if keys:
            conn.delete(*keys)
        backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", args.redis_url, f"sqlite:///{Path(tmp) / 'bench.db'}", args.n)
    import psycopg

    name = f"proxytui_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(urlsplit(args.postgres_url)._replace(path=f"/{name}"))
        run("postgres", args.redis_url, url, args.n)
    finally:
        with psycopg.connect(args.postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
