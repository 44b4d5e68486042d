"""Fixtures for the job core: isolated settings on each job store, and real consumers.

Every test runs on the machine's Redis, with its own key prefix (and so its own Huey
queue) whose keys are deleted afterwards, and on the embedded SQLite queue in a file of
its own; job timings are shrunk to fractions of a second.
Consumers are real ``huey_consumer`` processes running tests.support.scripted_worker.
"""

from __future__ import annotations

import os
import signal as signals
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tasks.backend import Backend, use_backend
from tasks.queue import huey_name
from tasks.settings import Settings, configure, load_settings

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("PROXYTUI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

FAST_TIMINGS = {
    "PROXYTUI_HEARTBEAT_INTERVAL": "0.3",
    "PROXYTUI_STALL_AFTER": "2",
    "PROXYTUI_REAPER_INTERVAL": "0.5",
    "PROXYTUI_WORKER_TTL": "2",
    "PROXYTUI_BACKOFF_BASE": "0.5",
    "PROXYTUI_REDIS_SOCKET_TIMEOUT": "1",
}


def wait_for(predicate: Callable[[], object], timeout: float = 20.0, every: float = 0.05):
    """Poll until ``predicate()`` is truthy; return its value or fail with a clear message."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {predicate}")
        time.sleep(every)


def wait_past_stall(backend: Backend, since_ms: int) -> None:
    """Wait until ``since_ms`` is older than the stall limit on the job store's own clock
    (the one the store judges staleness by), with a deadline."""
    limit = since_ms + int(backend.settings.stall_after * 1000)
    wait_for(lambda: backend.store.now_ms() > limit, timeout=backend.settings.stall_after + 10)


BACKENDS = ["redis", "sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis_only: runs on the Redis job store only")


@pytest.fixture(params=BACKENDS)
def job_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment variables for this test's isolated job state (for subprocesses).

    Every test that uses it runs twice: on Redis, and on the embedded SQLite queue (one
    suite, every store, as Huey tests its storages). A test that only makes sense on
    Redis says so with ``@pytest.mark.redis_only`` (or by using ``redis_server``).
    """
    redis_only = request.node.get_closest_marker("redis_only") or (
        "redis_server" in request.fixturenames
    )
    if request.param != "redis" and redis_only:
        pytest.skip("about Redis itself")
    prefix = f"pt{uuid.uuid4().hex[:10]}:"
    queue = "redis" if request.param == "redis" else f"sqlite:///{tmp_path / 'queue.db'}"
    env = {
        "PROXYTUI_REDIS_URL": REDIS_URL,
        "PROXYTUI_QUEUE": queue,
        "PROXYTUI_KEY_PREFIX": prefix,
        "PROXYTUI_DATABASE_URL": f"sqlite:///{tmp_path / 'proxy.db'}",
        "PROXYTUI_LANG": "en",
        **FAST_TIMINGS,
    }
    yield env
    conn = redis.Redis.from_url(REDIS_URL)
    try:
        name = huey_name(load_settings(env))
        keys = list(conn.scan_iter(match=f"{prefix}*", count=1000))
        keys += list(conn.scan_iter(match=f"huey.*.{name}", count=1000))
        if keys:
            conn.delete(*keys)
    finally:
        conn.close()


@pytest.fixture
def job_settings(job_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """This test's settings, made current in this process (tasks.jobs uses them)."""
    for key, value in job_env.items():
        monkeypatch.setenv(key, value)
    settings = configure(load_settings(job_env))
    use_backend(None)
    yield settings
    use_backend(None)


@dataclass
class Consumer:
    proc: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def send(self, signum: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)

    def wait(self, timeout: float = 20.0) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self, signum: int = signals.SIGINT, timeout: float = 20.0) -> int:
        """Graceful stop by default; kills after ``timeout``."""
        self.send(signum)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.proc.wait(timeout=5)

    def kill(self) -> None:
        """SIGKILL the consumer and every worker process it forked."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signals.SIGKILL)
            self.proc.wait(timeout=5)


@pytest.fixture
def start_consumer(job_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Consumer]]:
    """Start real ``huey_consumer`` processes: ``start_consumer(behaviour="slow", ...)``."""
    started: list[Consumer] = []

    def start(
        behaviour: str = "ok",
        workers: int = 1,
        worker_type: str = "thread",
        extra_env: dict[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
        config: str = "tests.support.scripted_worker.huey",
    ) -> Consumer:
        env = {**os.environ, **job_env, "PROXYTUI_TEST_SYNC": behaviour, **(extra_env or {})}
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        log_path = tmp_path / f"consumer-{len(started)}.log"
        consumer_bin = Path(sys.executable).with_name("huey_consumer")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [str(consumer_bin), config, "-k", worker_type, "-w", str(workers),
                 "-d", "0.05", "-m", "0.2", *extra_args],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        consumer = Consumer(proc, log_path, env)
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        consumer.kill()
