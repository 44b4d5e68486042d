"""``proxytui demo``: the whole system on one machine, with nothing else installed.

A fake SIASN on a free loopback port, the embedded queue (SqliteHuey plus the SQLite job
store, in one file) and the SQLite sink in the user data directory, and a Huey consumer
with thread workers inside this process: the same queue, worker, run loop and pipeline
as production, only nothing needs Redis or PostgreSQL.

The consumer runs in a thread and must leave the process's signal handlers alone (the
dashboard owns the terminal), so ``DemoConsumer`` skips Huey's. Quitting hands running
syncs back to the queue (they stop at their next page), joins every thread we started
and closes the fake's port.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from huey.consumer import Consumer
from platformdirs import user_data_dir

from tasks import argtypes, jobs
from tasks.backend import Backend, open_backend, use_backend
from tasks.catalog import PROXY_TYPES
from tasks.contract import JobStatus
from tasks.runner import hand_back_all
from tasks.settings import get_settings
from tasks.siasn.fake import FakeSiasn, Faults
from tasks.sync import register_sync_task

logger = logging.getLogger(__name__)

DEMO_LATENCY_MS = 15.0  # a little, so progress is visible; the real upstream is slower
SHUTDOWN_TIMEOUT = 15.0
HEADLESS_TIMEOUT = 1800.0


class DemoConsumer(Consumer):
    """Huey's consumer without its signal handlers: it runs beside the dashboard."""

    def _set_signal_handlers(self) -> None:
        pass


def demo_dir() -> Path:
    """Where the demo keeps its queue and tables: apart from any real data."""
    path = Path(user_data_dir("proxytui")) / "demo"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Demo:
    fake: FakeSiasn
    backend: Backend
    consumer: DemoConsumer
    thread: threading.Thread


@contextmanager
def running_demo(rows: int | None = None, workers: int = len(PROXY_TYPES)) -> Iterator[Demo]:
    """Start the fake upstream, the embedded backend and an in-process consumer; stop
    them all on the way out, whatever happened."""
    home = demo_dir()
    fake = FakeSiasn(rows=rows, faults=Faults(latency_ms=DEMO_LATENCY_MS)).start()
    previous = get_settings()
    try:
        settings = previous.replace(
            queue=f"sqlite:///{home / 'queue.db'}",
            database_url=f"sqlite:///{home / 'proxy.db'}",
            siasn_base_url=fake.base_url,
            siasn_token=fake.token,
            siasn_token_file="",
        )
        backend = open_backend(settings)
        use_backend(backend)
        register_sync_task(backend.huey)
        jobs.cleanup(backend=backend)  # the last demo's jobs and messages
        consumer = DemoConsumer(
            backend.huey,
            workers=workers,
            worker_type="thread",
            periodic=False,
            initial_delay=0.05,
            max_delay=0.5,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
        )
        thread = threading.Thread(target=consumer.run, name="demo-consumer", daemon=True)
        thread.start()
    except BaseException:
        fake.stop()
        use_backend(None)
        raise
    demo = Demo(fake, backend, consumer, thread)
    try:
        yield demo
    finally:
        stop_demo(demo)
        use_backend(None)


def stop_demo(demo: Demo) -> None:
    """Stop taking tasks, hand running syncs back, join every thread, close the port."""
    demo.consumer.stop_flag.set()
    hand_back_all()
    demo.consumer.stop(graceful=True)  # joins workers (their shutdown stops the watchdog)
    demo.thread.join(SHUTDOWN_TIMEOUT)
    for thread in threading.enumerate():
        if thread.name == "proxytui-watchdog" or thread.name.startswith("heartbeat-"):
            thread.join(SHUTDOWN_TIMEOUT)
    demo.fake.stop()
    demo.backend.huey.storage.close()
    demo.backend.close()


def run_all(demo: Demo, timeout: float = HEADLESS_TIMEOUT) -> list[JobStatus]:
    """Request all five syncs and wait until each has finished; their records."""
    ids = [jobs.request_sync(name, requested_by="demo")["jobId"] for name in PROXY_TYPES]
    deadline = time.monotonic() + timeout
    while True:
        records = [jobs.job_status(job_id) for job_id in ids]
        if all(r.get("state") in jobs.FINISHED_STATES for r in records):
            return records
        if time.monotonic() > deadline:
            return records
        time.sleep(0.2)


def summary_table(records: Sequence[Mapping[str, Any]]) -> str:
    """Rows, duplicates removed and duration per type, one line each, plus a total."""
    head = f"{'type':<12} {'state':<10} {'rows':>8} {'duplicates':>10} {'seconds':>8}"
    lines = [head, "-" * len(head)]
    total_rows = total_dups = 0
    for record in records:
        result = record.get("result") or {}
        rows = int(result.get("inserted") or 0)
        dups = int(result.get("duplicates_removed") or 0)
        total_rows, total_dups = total_rows + rows, total_dups + dups
        started, finished = record.get("startedAt"), record.get("finishedAt")
        seconds = f"{(finished - started) / 1000:.1f}" if started and finished else "-"
        state = record.get("state") or "missing"
        lines.append(
            f"{record.get('type', '?'):<12} {state:<10} {rows:>8} {dups:>10} {seconds:>8}"
        )
        if state != "completed" and record.get("error"):
            lines.append(f"  error: {record['error']}")
    lines.append("-" * len(head))
    lines.append(f"{'total':<12} {'':<10} {total_rows:>8} {total_dups:>10}")
    return "\n".join(lines)


def all_succeeded(records: Sequence[Mapping[str, Any]]) -> bool:
    return all(
        r.get("state") == "completed" and (r.get("result") or {}).get("success") for r in records
    )


def run_headless(rows: int | None, out: TextIO = sys.stdout) -> int:
    with running_demo(rows) as demo:
        out.write(f"proxytui demo: fake SIASN on {demo.fake.base_url}, queue {demo_dir()}\n")
        out.flush()
        records = run_all(demo)
    # The summary is the product of this command, so it goes to stdout.
    out.write(summary_table(records) + "\n")
    out.flush()
    return 0 if all_succeeded(records) else 1


def run_interactive(rows: int | None, interval: float | None) -> int:
    from tui.app import run_dashboard

    with running_demo(rows) as demo:
        for name in PROXY_TYPES:
            jobs.request_sync(name, requested_by="demo")
        return run_dashboard(interval=interval or demo.backend.settings.poll_interval)


def log_to_file(path: Path) -> None:
    """Warnings go to a file: on the terminal they would tear the dashboard apart."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)


def run_demo(args: argparse.Namespace) -> int:
    """``proxytui demo [--headless] [--rows N]``: the exit code."""
    rows = getattr(args, "rows", None)
    log_to_file(demo_dir() / "demo.log")
    if getattr(args, "headless", False):
        return run_headless(rows)
    return run_interactive(rows, getattr(args, "interval", None))


def save_screenshot(path: Path, rows: int = 20_000, size: tuple[int, int] = (120, 30),
                    timeout: float = 120.0) -> Path:
    """Render the dashboard of a running demo to an SVG (the README's picture).

    A first pass of all five syncs leaves runs in the ledger, so the cards of the second
    pass show their data's age and rows beside live progress; the picture is taken once
    one sync has finished while others still run (or at the deadline).
    """
    from tui.app import ProxyTuiApp

    with running_demo(rows) as demo:
        run_all(demo, timeout)
        jobs.cleanup(backend=demo.backend)
        for name in PROXY_TYPES:
            jobs.request_sync(name, requested_by="demo")
        app = ProxyTuiApp(interval=demo.backend.settings.poll_interval, watch_terminal=False)

        def worth_showing() -> bool:
            states = [row["job"]["state"] for row in (app.snapshot or {}).get("types", [])
                      if row.get("job")]
            return "completed" in states and "active" in states

        async def shoot(pilot: Any) -> None:
            deadline = time.monotonic() + timeout
            while not worth_showing() and time.monotonic() < deadline:
                await pilot.pause(0.1)
            app.save_screenshot(path.name, str(path.parent))
            app.exit()

        app.run(headless=True, size=size, auto_pilot=shoot)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Save the demo dashboard as an SVG.")
    parser.add_argument("--screenshot", type=Path, default=Path("docs/dashboard.svg"))
    parser.add_argument("--rows", type=argtypes.positive_int, default=20_000)
    options = parser.parse_args()
    log_to_file(demo_dir() / "demo.log")
    print(save_screenshot(options.screenshot.resolve(), options.rows))
