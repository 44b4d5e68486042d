"""Fetch-only throughput: the real client against the fake SIASN in another process.

    .venv/bin/python bench/bench_fetch.py [--rows 100000] [--latency 0 50] [--type pangkat]

Staging is a set of pns_id (unique per distinct record in the fake), so the figures are
the client's and the fake's cost, not a database's. Prints one line per configuration.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tasks.clean import Novelty
from tasks.settings import Settings
from tasks.siasn.client import SiasnClient, walk_pages

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake(rows: int, latency: float, quirks: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    args = [
        sys.executable,
        "-m",
        "tasks.siasn.fake",
        "--port",
        str(port),
        "--rows",
        str(rows),
        "--latency-ms",
        str(latency),
        "--log-level",
        "WARNING",
    ]
    if quirks == "none":
        args.append("--no-quirks")
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/health", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the fake SIASN did not start")


class SeenStage:
    """A fetch-only `stage`: remembers each row's pns_id (unique per record in the fake)
    in a set and stores nothing, the least work a walk can do."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, rows: list[dict]) -> Novelty:
        seen = self.seen
        flags = []
        for row in rows:
            key = row.get("pns_id")
            flags.append(key not in seen)
            seen.add(key)
        return Novelty.of(flags)


def run(proxy_type: str, url: str, concurrency: int) -> str:
    stage = SeenStage()
    settings = Settings(request_backoff=0.05)
    with SiasnClient(proxy_type, base_url=url, token="fake-token", settings=settings) as client:
        t0 = time.perf_counter()
        stats = walk_pages(client, stage, concurrency=concurrency, page_cap=100_000)
        elapsed = time.perf_counter() - t0
    return (
        f"c={concurrency}: {stats.rows_new:,} rows in {elapsed:.1f}s = "
        f"{stats.rows_new / elapsed:,.0f} rows/s; pages {stats.pages}, "
        f"requests {stats.requests}, retries {stats.retries}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--latency", type=float, nargs="+", default=[0.0, 50.0])
    p.add_argument("--type", default="pangkat")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    p.add_argument(
        "--quirks", choices=["realistic", "none"], nargs="+", default=["realistic", "none"]
    )
    args = p.parse_args()
    for quirks in args.quirks:
        for latency in args.latency:
            proc, url = start_fake(args.rows, latency, quirks)
            try:
                for concurrency in args.concurrency:
                    line = run(args.type, url, concurrency)
                    print(
                        f"{args.type} rows={args.rows:,} quirks={quirks} "
                        f"latency={latency:g}ms {line}",
                        flush=True,
                    )
            finally:
                proc.terminate()
                proc.wait(timeout=10)


if __name__ == "__main__":
    main()
