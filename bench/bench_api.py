"""Throughput and latency of the HTTP API on loopback under concurrent clients.

Starts ``python -m tui.api.serve`` (a unique key prefix on the real Redis, one API key)
once per ``--workers`` value, queues one job, then for each route keeps ``--clients``
concurrent keep-alive connections busy for ``--seconds``:

- ``status``: GET {base}/status?jobId=<that job>   (200; the page polls it every 2 s)
- ``debug``:  GET {base}/debug                     (200; the page polls it every 5 s)
- ``sync``:   POST {base}/pangkat/sync             (409: answers with the existing job)

Prints requests per second, p50 and p99 in milliseconds; asserts nothing.

The load comes from one process on the same machine, so it takes a core of its own. Its
default client writes HTTP/1.1 on raw asyncio streams, a few microseconds per request.
``--client httpx`` uses httpx's AsyncClient instead: it spends milliseconds of CPU per
request under 50 connections, so its figures measure httpx, not the server (this is how
the first figures of issue 15, 351 req/s and p99 596 ms, were taken).

    .venv/bin/python bench/bench_api.py [--clients 50] [--seconds 10] [--workers 1 2]
                                        [--client raw|httpx] [--redis-url URL]
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
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import redis

from tasks.queue import huey_name
from tasks.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
BASE = "/api/siasn/ws/admin/proxy"
KEY = f"bench-{uuid.uuid4().hex}"

# One request: (method, path) -> (status, milliseconds).
Requester = Callable[[str, str], Awaitable[int]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, redis_url: str, prefix: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PROXYTUI_REDIS_URL": redis_url,
        "PROXYTUI_QUEUE": "redis",
        "PROXYTUI_KEY_PREFIX": prefix,
        "PROXYTUI_API_KEYS": f"bench:{KEY}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tui.api.serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"the API did not come up at {url}")


class RawConnection:
    """One keep-alive HTTP/1.1 connection: write a request, read the status line, the
    headers and a Content-Length body. Enough for our JSON answers, and cheap."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"{method} {BASE}{path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {KEY}\r\nContent-Length: 0\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(lines[0].split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load(requesters: list[Requester], method: str, path: str, expect: int, seconds: float):
    """Each requester sends requests back to back for ``seconds``; returns (latencies in
    ms, unexpected statuses, elapsed s)."""
    latencies: list[float] = []
    unexpected = 0
    stop_at = time.perf_counter() + seconds

    async def one_client(send: Requester) -> None:
        nonlocal unexpected
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            status = await send(method, path)
            latencies.append((time.perf_counter() - start) * 1000)
            unexpected += status != expect

    started = time.perf_counter()
    await asyncio.gather(*(one_client(send) for send in requesters))
    return latencies, unexpected, time.perf_counter() - started


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p))]


async def bench(port: int, clients: int, seconds: float, client_kind: str, label: str) -> None:
    root = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {KEY}"}
    job_id = httpx.post(f"{root}{BASE}/pangkat/sync", headers=headers).json()["jobId"]
    rows = [
        ("status", "GET", f"/status?jobId={job_id}", 200),
        ("debug", "GET", "/debug", 200),
        ("sync (409, existing job)", "POST", "/pangkat/sync", 409),
    ]
    connections: list[RawConnection] = []
    pool: httpx.AsyncClient | None = None
    if client_kind == "raw":
        connections = [RawConnection("127.0.0.1", port) for _ in range(clients)]
        requesters: list[Requester] = [c.request for c in connections]
    else:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        pool = httpx.AsyncClient(base_url=root + BASE, headers=headers, limits=limits, timeout=30)

        async def send(method: str, path: str) -> int:
            assert pool is not None
            return (await pool.request(method, path)).status_code

        requesters = [send] * clients
    try:
        await load(requesters, "GET", rows[0][2], 200, 1.0)  # warm up every connection
        for name, method, path, expect in rows:
            samples, unexpected, elapsed = await load(requesters, method, path, expect, seconds)
            samples.sort()
            print(
                f"{label:18} {name:26} {len(samples):9d} {len(samples) / elapsed:8.0f} "
                f"{percentile(samples, 0.50):8.1f} {percentile(samples, 0.99):8.1f} "
                f"{unexpected:11d}",
                flush=True,
            )
    finally:
        for connection in connections:
            connection.close()
        if pool is not None:
            await pool.aclose()


def cleanup_keys(redis_url: str, prefix: str) -> None:
    conn = redis.Redis.from_url(redis_url)
    keys = list(conn.scan_iter(match=f"{prefix}*", count=1000))
    name = huey_name(load_settings({"PROXYTUI_KEY_PREFIX": prefix}))
    keys += list(conn.scan_iter(match=f"huey.*.{name}", count=1000))
    if keys:
        conn.delete(*keys)
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    print(
        f"HTTP API on loopback, {os.cpu_count()} cores, {args.clients} concurrent clients "
        f"({args.client}), {args.seconds:g} s per route"
    )
    print(
        f"{'server':18} {'route':26} {'requests':>9} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'unexpected':>11}"
    )
    for workers in args.workers:
        prefix = f"benchapi{uuid.uuid4().hex[:8]}:"
        port = free_port()
        server = start_server(port, workers, args.redis_url, prefix)
        try:
            wait_until_up(f"http://127.0.0.1:{port}{BASE}/openapi.json")
            label = f"{workers} worker" + ("s" if workers > 1 else "")
            asyncio.run(bench(port, args.clients, args.seconds, args.client, label))
        finally:
            server.terminate()
            server.wait(timeout=30)
            cleanup_keys(args.redis_url, prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
