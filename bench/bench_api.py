"""Throughput and latency of the HTTP API on loopback under concurrent clients.

Starts ``python -m tui.serve`` (one uvicorn process, a unique key prefix on the real Redis,
one API key), queues one job, then for each route keeps ``--clients`` concurrent clients
busy for ``--seconds``:

- ``status``: GET {base}/status?jobId=<that job>   (200)
- ``sync``:   POST {base}/pangkat/sync             (409: answers with the existing job)

Prints requests per second, p50 and p99 in milliseconds; asserts nothing. The client is
one asyncio process on the same machine, so the figures are a floor, not a ceiling.

    .venv/bin/python bench/bench_api.py [--clients 50] [--seconds 10] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import redis

from tasks.queue import huey_name
from tasks.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
BASE = "/api/siasn/ws/admin/proxy"
KEY = f"bench-{uuid.uuid4().hex}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, redis_url: str, prefix: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PROXYTUI_REDIS_URL": redis_url,
        "PROXYTUI_QUEUE": "redis",
        "PROXYTUI_KEY_PREFIX": prefix,
        "PROXYTUI_API_KEYS": f"bench:{KEY}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tui.serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_up(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"the API did not come up at {url}")


async def load(
    client: httpx.AsyncClient, method: str, path: str, expect: int, clients: int, seconds: float
) -> tuple[int, int, list[float], float]:
    """Keep ``clients`` requests in flight for ``seconds``; returns (ok, unexpected,
    latencies in ms, elapsed s)."""
    latencies: list[float] = []
    unexpected = 0
    stop_at = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal unexpected
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            response = await client.request(method, path)
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status_code != expect:
                unexpected += 1

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return len(latencies) - unexpected, unexpected, latencies, elapsed


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p))]


async def bench(root: str, clients: int, seconds: float) -> None:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(
        base_url=root + BASE, headers=headers, limits=limits, timeout=30
    ) as client:
        first = (await client.post("/pangkat/sync")).json()
        job_id = first["jobId"]
        rows = [
            ("status", "GET", f"/status?jobId={job_id}", 200),
            ("sync (answers 409, existing job)", "POST", "/pangkat/sync", 409),
        ]
        await load(client, "GET", f"/status?jobId={job_id}", 200, clients, 1.0)  # warm up
        print(f"HTTP API on loopback, {clients} concurrent clients, {seconds:g} s per route")
        print(
            f"{'route':36} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'unexpected':>11}"
        )
        for name, method, path, expect in rows:
            _, unexpected, samples, elapsed = await load(
                client, method, path, expect, clients, seconds
            )
            samples.sort()
            print(
                f"{name:36} {len(samples):9d} {len(samples) / elapsed:8.0f} "
                f"{percentile(samples, 0.50):8.1f} {percentile(samples, 0.99):8.1f} "
                f"{unexpected:11d}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    prefix = f"benchapi{uuid.uuid4().hex[:8]}:"
    port = free_port()
    server = start_server(port, args.redis_url, prefix)
    try:
        wait_until_up(f"http://127.0.0.1:{port}{BASE}/openapi.json")
        asyncio.run(bench(f"http://127.0.0.1:{port}", args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
        conn = redis.Redis.from_url(args.redis_url)
        keys = list(conn.scan_iter(match=f"{prefix}*", count=1000))
        name = huey_name(load_settings({"PROXYTUI_KEY_PREFIX": prefix}))
        keys += list(conn.scan_iter(match=f"huey.*.{name}", count=1000))
        if keys:
            conn.delete(*keys)
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
