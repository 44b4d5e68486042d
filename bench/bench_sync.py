"""A whole sync against the fake SIASN: wall time, rows/s, and how close to the floors.

For each page latency (0 and 50 ms by default) the fake serves N pangkat rows with its
realistic quirks from its own process; we time

- a fetch-only pass: the same client and walker, staging into a Python set;
- a full sync: tasks.pipeline.sync_proxy (fetch -> clean -> stage -> finalize -> publish)
  into a fresh SQLite table,

and print their ratio (target: full sync within 1.15x of fetch-only) and the ratio to the
latency floor (pages x latency / concurrency). Beside each pass, the CPU seconds of the
worker and of the fake server: the fake runs on the same cores, so the sync can finish no
sooner than their sum over the cores, which bounds the ratio any scheduling could reach.
Then the peak RSS of a worker process syncing 100,000 and 1,000,000 rows (target: grows
by less than 50 MB), and publish throughput per sink (bench_publish.py).
Prints figures, asserts nothing.

    .venv/bin/python bench/bench_sync.py [--rows 100000] [--latency 0 50] [--rss 100000 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from bench_fetch import SeenStage, start_fake

from tasks.pipeline import sync_proxy
from tasks.settings import Settings
from tasks.siasn.client import SiasnClient, walk_pages
from tasks.sink.ledger import RunEntry

HERE = Path(__file__).resolve().parent
CORES = os.cpu_count() or 1


class BenchRun:
    """The RunContext surface sync_proxy uses, without a job store behind it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.job_id = "proxy-pangkat-0000000000000"
        self.cancelled = threading.Event()
        self.last: dict = {}

    def check(self) -> None:
        pass

    def report(self, **fields) -> None:
        self.last = fields

    def is_current(self) -> bool:
        return True

    def log(self, line: str, level: str = "info") -> None:
        pass

    def ledger_entry(self, state: str, error: str | None = None, **counts: Any) -> RunEntry:
        """The ledger row the publish writes: a real one, so its cost is in the figures."""
        return RunEntry("pangkat", self.job_id, state, int(time.time() * 1000), error=error,
                        **counts)


def settings_for(url: str, database_url: str) -> Settings:
    return Settings(siasn_base_url=url,
        siasn_token="fake-token",
        database_url=database_url,
        request_backoff=0.05,
    )


class CpuMeter:
    """CPU seconds spent by this process (every thread) and by the fake server's process.

    Two cores are shared by both, so no pass can finish faster than their summed CPU time
    divided by the cores: that is the floor the sync/fetch ratio is measured against.
    """

    def __init__(self, server_pid: int) -> None:
        self._server = psutil.Process(server_pid)
        self.client = self.server = 0.0

    def __enter__(self) -> CpuMeter:
        self._c0, self._s0 = time.process_time(), self._server_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client = time.process_time() - self._c0
        self.server = self._server_cpu() - self._s0

    def _server_cpu(self) -> float:
        times = self._server.cpu_times()
        return times.user + times.system

    def floor(self) -> float:
        return (self.client + self.server) / CORES

    def __str__(self) -> str:
        return f"CPU {self.client:.1f}s worker + {self.server:.1f}s fake"


def fetch_only(url: str, settings: Settings, meter: CpuMeter) -> tuple[float, int, int]:
    stage = SeenStage()
    with SiasnClient("pangkat", base_url=url, token="fake-token", settings=settings) as client:
        t0 = time.perf_counter()
        with meter:
            stats = walk_pages(client, stage, concurrency=settings.concurrency_for("pangkat"))
        return time.perf_counter() - t0, stats.pages, stats.rows_new


def full_sync(settings: Settings, meter: CpuMeter) -> tuple[float, dict]:
    t0 = time.perf_counter()
    with meter:
        result = sync_proxy("pangkat", BenchRun(settings))
    return time.perf_counter() - t0, result


def rss_child(rows: int) -> None:
    """Run in a child: sync `rows` rows and print the peak RSS in MB."""
    proc, url = start_fake(rows, 0.0, "realistic")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_for(url, f"sqlite:///{tmp}/rss.db")
            result = sync_proxy("pangkat", BenchRun(settings))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{peak:.0f} {result['inserted']}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--latency", type=float, nargs="*", default=[0.0, 50.0])
    parser.add_argument("--rss", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--skip-publish", action="store_true")
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child)
        return

    for latency in args.latency:
        proc, url = start_fake(args.rows, latency, "realistic")
        try:
            with tempfile.TemporaryDirectory() as tmp:
                settings = settings_for(url, f"sqlite:///{tmp}/sync.db")
                concurrency = settings.concurrency_for("pangkat")
                fetch_cpu, sync_cpu = CpuMeter(proc.pid), CpuMeter(proc.pid)
                fetch_s, pages, fetched = fetch_only(url, settings, fetch_cpu)
                sync_s, result = full_sync(settings, sync_cpu)
            floor = pages * latency / 1000 / concurrency
            print(
                f"pangkat {args.rows:,} rows, latency {latency:g} ms, concurrency {concurrency}: "
                f"fetch-only {fetch_s:.1f}s ({fetched / fetch_s:,.0f} rows/s; {fetch_cpu}); "
                f"full sync {sync_s:.1f}s ({result['inserted'] / sync_s:,.0f} rows/s, "
                f"{result['inserted']:,} rows, {result['pages']} pages; {sync_cpu}); "
                f"sync/fetch {sync_s / fetch_s:.2f}x; "
                + (f"sync/latency floor {sync_s / floor:.2f}x" if floor else "latency floor 0")
                + f"; the sync's CPU on {CORES} cores alone needs {sync_cpu.floor():.1f}s, "
                f"{sync_cpu.floor() / fetch_s:.2f}x fetch-only"
                + f"  (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    peaks = []
    for rows in args.rss:
        child = subprocess.run(
            [sys.executable, str(HERE / "bench_sync.py"), "--rss-child", str(rows)],
            capture_output=True,
            text=True,
        )
        if child.returncode:
            print(f"RSS run of {rows:,} rows failed:\n{child.stderr[-2000:]}", flush=True)
            continue
        out = child.stdout.split()
        peaks.append(float(out[0]))
        print(
            f"worker peak RSS syncing {rows:,} rows: {out[0]} MB ({int(out[1]):,} rows)", flush=True
        )
    if len(peaks) >= 2:
        growth = peaks[-1] - peaks[0]
        print(f"RSS growth {args.rss[0]:,} -> {args.rss[-1]:,} rows: {growth:+.0f} MB")

    if not args.skip_publish:
        print("publish throughput (bench_publish.py):", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "bench_publish.py"), "--rows", str(args.rows)], check=False
        )


if __name__ == "__main__":
    main()
