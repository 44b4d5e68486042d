"""Worker presence and the reaper, run by a daemon thread in every consumer process.

Huey acknowledges nothing: a consumer killed with SIGKILL takes its task with it. The
job's heartbeat stops, the job reads as ``stalled`` after the stall limit, and the reaper
(any live consumer's) re-enqueues it while attempts are left, or fails it. The reaper
also re-enqueues a waiting or delayed job whose message is on no queue.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import socket
import sys
import threading
import time

from tasks.backend import Backend
from tasks.errors import BackendUnavailable
from tasks.run_ledger import entry_for_record, record_run
from tasks.texts import text

logger = logging.getLogger(__name__)


def reap_lost_jobs(backend: Backend, suspects: set[str] | None = None) -> int:
    """Recover every lost job once; returns how many were recovered.

    A stalled job is certain (its heartbeat is older than the stall limit). An orphan is
    not: between a worker popping a message and claiming its job, the message is on no
    queue. So an orphan is recovered only when the previous pass (``suspects``, updated
    in place) already saw it; without ``suspects`` every orphan is recovered at once.
    """
    recovered = 0
    seen_orphans: set[str] = set()
    for lost in backend.store.find_lost():
        if lost.kind == "orphan" and suspects is not None:
            seen_orphans.add(lost.job_id)
            if lost.job_id not in suspects:
                continue
        if lost.kind == "stalled":
            retry = lost.attempts_made < lost.max_attempts
            outcome = text("run.stalled.requeued" if retry else "run.stalled.failed")
            error = text("run.stalled", worker=lost.worker or "?", outcome=outcome)
        else:
            retry = True
            error = text("watchdog.orphan_requeued")
        envelope = backend.envelopes.build(lost.type) if retry else None
        if backend.store.recover(lost.job_id, lost.kind, lost.run_token, envelope, error):
            logger.warning("%s: %s", lost.job_id, error)
            recovered += 1
            seen_orphans.discard(lost.job_id)
            record = None if retry else backend.store.get_job(lost.job_id)
            if record is not None:  # given up on: the run ends here, in the ledger too
                record_run(backend.settings, entry_for_record(record, "failed", error))
    if suspects is not None:
        suspects.clear()
        suspects.update(seen_orphans)
    return recovered


def worker_kind() -> str:
    """How this consumer runs its Huey workers: process, thread or greenlet."""
    if "gevent.monkey" in sys.modules:
        return "greenlet"
    if multiprocessing.current_process().name != "MainProcess":
        return "process"
    return "thread" if threading.current_thread() is not threading.main_thread() else "process"


def parse_presence(presence_id: str) -> dict[str, object]:
    """``host:pid[:kind:started]`` back into its parts (older consumers send host:pid)."""
    parts = presence_id.split(":")
    host = parts[0]
    pid = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    kind = parts[2] if len(parts) > 2 else None
    started = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else None
    return {"id": f"{host}:{parts[1] if len(parts) > 1 else ''}", "host": host, "pid": pid,
            "kind": kind, "startedAt": started}


class Watchdog(threading.Thread):
    """Advertises this consumer process and reaps lost jobs, every few seconds."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(name="proxytui-watchdog", daemon=True)
        self.backend = backend
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        # What the Workers screen shows: host:pid, then how Huey runs its workers here and
        # since when (epoch ms); `parse_presence` reads it back.
        self.presence_id = f"{self.worker_id}:{worker_kind()}:{int(time.time() * 1000)}"
        self.stopped = threading.Event()
        self.suspects: set[str] = set()

    def run(self) -> None:
        settings = self.backend.settings
        interval = min(settings.reaper_interval, settings.worker_ttl / 3)
        while True:
            try:
                self.backend.store.worker_seen(self.presence_id)
                reap_lost_jobs(self.backend, self.suspects)
            except BackendUnavailable as exc:
                logger.warning("watchdog: job store unreachable: %s", exc)
            except Exception:
                logger.exception("watchdog pass failed")
            if self.stopped.wait(interval):
                break
        with contextlib.suppress(BackendUnavailable):
            self.backend.store.worker_gone(self.presence_id)

    def stop(self) -> None:
        self.stopped.set()


_watchdog: Watchdog | None = None
_lock = threading.Lock()


def ensure_watchdog(backend: Backend) -> Watchdog:
    """Start this process's watchdog once (worker threads of one process share it)."""
    global _watchdog
    with _lock:
        current = _watchdog
        this_process = f"{socket.gethostname()}:{os.getpid()}"
        if current is None or not current.is_alive() or current.worker_id != this_process:
            current = _watchdog = Watchdog(backend)
            current.start()
        return current


def stop_watchdog() -> None:
    with _lock:
        if _watchdog is not None:
            _watchdog.stop()
