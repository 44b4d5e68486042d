"""Latency of the job API on loopback: request_sync, job_status, overview.

Measured twice: with an empty deployment, and with 100,000 unrelated jobs and keys in
the same Redis (another deployment's jobs and plain keys), to show that cost does not
grow with history. Prints p50/p99 in milliseconds; asserts nothing.

    .venv/bin/python bench/bench_jobs.py [--redis-url URL] [--n 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import redis

from tasks import jobs
from tasks.backend import open_backend
from tasks.settings import load_settings


def measure(fn, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def fill(conn: redis.Redis, prefix: str, count: int) -> None:
    pipe = conn.pipeline(transaction=False)
    for i in range(count):
        job_id = f"proxy-pangkat-{1700000000000 + i}"
        pipe.hset(f"{prefix}job:{job_id}", mapping={"jobId": job_id, "state": "completed",
                                                    "type": "pangkat", "progress": 100})
        pipe.sadd(f"{prefix}jobs:pangkat", job_id)
        pipe.set(f"unrelated:{prefix}{i}", "x" * 32)
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def run(url: str, n: int, label: str) -> None:
    prefix = f"bench{uuid.uuid4().hex[:8]}:"
    settings = load_settings({"PROXYTUI_REDIS_URL": url, "PROXYTUI_KEY_PREFIX": prefix})
    backend = open_backend(settings)
    try:
        first = jobs.request_sync("pangkat", requested_by="bench", backend=backend)
        job_id = first["jobId"]
        rows = {
            "request_sync (answers running)": lambda: jobs.request_sync(
                "pangkat", requested_by="bench", backend=backend),
            "request_sync force (queues)": lambda: jobs.request_sync(
                "skk", force=True, requested_by="bench", backend=backend),
            "job_status": lambda: jobs.job_status(job_id, backend=backend),
            "overview": lambda: jobs.overview(backend=backend),
        }
        for name, fn in rows.items():
            measure(fn, 50)  # warm up: scripts loaded, connections open
            p50, p99 = measure(fn, n)
            print(f"{label:<28} {name:<32} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms")
    finally:
        jobs.cleanup(backend=backend)
        backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--history", type=int, default=100_000)
    args = parser.parse_args()

    run(args.redis_url, args.n, "empty")
    conn = redis.Redis.from_url(args.redis_url)
    other = f"benchother{uuid.uuid4().hex[:6]}:"
    fill(conn, other, args.history)
    try:
        run(args.redis_url, args.n, f"{args.history:,} unrelated jobs+keys")
    finally:
        for pattern in (f"{other}*", f"unrelated:{other}*"):
            keys = list(conn.scan_iter(match=pattern, count=5000))
            for i in range(0, len(keys), 5000):
                conn.delete(*keys[i:i + 5000])


if __name__ == "__main__":
    main()
