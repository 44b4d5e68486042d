"""The run loop around a sync function: one attempt of one job, start to finish.

Claims the job the Huey message points at, heartbeats it from a side thread (so a slow
upstream request does not look like a dead worker), hands the sync a RunContext for
progress and fencing, and records the outcome: completed, retried with exponential
backoff, failed, or handed back to the queue when the worker shuts down.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from tasks.backend import Backend
from tasks.contract import RunState
from tasks.errors import AttemptTimedOut, BackendUnavailable, JobCancelled, PermanentFailure
from tasks.run_ledger import entry_for_attempt, record_run
from tasks.settings import Settings
from tasks.sink.ledger import RunEntry
from tasks.store.base import RUNNING_PROGRESS_CAP, Attempt
from tasks.texts import text

logger = logging.getLogger(__name__)

SyncFunction = Callable[[str, "RunContext"], dict[str, Any]]

# Runs in flight in this process, by Huey task id, for the shutdown signal handler.
_in_flight: dict[str, RunContext] = {}
_in_flight_lock = threading.Lock()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def format_limit(seconds: float) -> str:
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


class RunContext:
    """What a sync function gets: progress reporting, the fence, the job log."""

    def __init__(self, backend: Backend, attempt: Attempt) -> None:
        self.backend = backend
        self.store = backend.store
        self.settings: Settings = backend.settings
        self.attempt = attempt
        self.job_id = attempt.job_id
        self.proxy_type = attempt.proxy_type
        self.run_token = attempt.run_token
        self.cancelled = threading.Event()
        self.handed_back = False  # interrupted by a shutdown: the job is queued again
        self.began = time.monotonic()
        self.deadline = self.began + self.settings.attempt_limit
        self._info: dict[str, Any] = {}
        self._progress = 0

    def check(self) -> None:
        """Raise when this run must stop: cancelled/superseded, or past the time limit."""
        if self.cancelled.is_set():
            raise JobCancelled(text("run.cancelled", jobId=self.job_id))
        if time.monotonic() > self.deadline:
            raise AttemptTimedOut(timed_out_message(self.settings))

    def report(
        self,
        *,
        progress: int | None = None,
        stage: str | None = None,
        message: str | None = None,
        **info: Any,
    ) -> None:
        """Write progress (fenced). Progress never goes backwards within an attempt, and
        stays below 100 until the job completes (readers take 100 to mean done)."""
        self.check()
        if progress is not None:
            self._progress = max(self._progress, min(RUNNING_PROGRESS_CAP, int(progress)))
        if stage is not None:
            self._info["stage"] = stage
        if message is not None:
            self._info["message"] = message
        self._info.update(info)
        try:
            current = self.store.write_progress(
                self.job_id, self.run_token, self._progress, self._info
            )
        except BackendUnavailable as exc:
            logger.warning("progress of %s not written: %s", self.job_id, exc)
            return
        if not current:
            self.cancelled.set()
            self.check()

    def is_current(self) -> bool:
        """The publish fence: does this run still own its job?"""
        if self.cancelled.is_set():
            return False
        try:
            current = self.store.heartbeat(self.job_id, self.run_token)
        except BackendUnavailable:
            return False
        if not current:
            self.cancelled.set()
        return current

    def ledger_entry(
        self, state: RunState, error: str | None = None, **counts: Any
    ) -> RunEntry:
        """This run's row for the run ledger, as it ends now (counts: rows, written, ...)."""
        duration = int((time.monotonic() - self.began) * 1000)
        return entry_for_attempt(self.attempt, state, duration, error, **counts)

    def log(self, line: str, level: str = "info") -> None:
        self.echo(line, level)
        try:
            self.store.append_log(self.job_id, level, line)
        except BackendUnavailable as exc:
            logger.warning("log line of %s not written: %s", self.job_id, exc)

    def echo(self, line: str, level: str = "info") -> None:
        """A job-log line to the worker's log only (the store already holds it)."""
        getattr(logger, level if level in ("debug", "info", "warning", "error") else "info")(
            "%s: %s", self.job_id, line
        )


class Heartbeat(threading.Thread):
    """Keeps the job's heartbeat fresh while the attempt runs; notices cancellation."""

    def __init__(self, run: RunContext) -> None:
        super().__init__(name=f"heartbeat-{run.job_id}", daemon=True)
        self.run_ctx = run
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = self.run_ctx.settings.heartbeat_interval
        while not self.stopped.wait(interval):
            try:
                if not self.run_ctx.store.heartbeat(self.run_ctx.job_id, self.run_ctx.run_token):
                    self.run_ctx.cancelled.set()
                    return
            except BackendUnavailable as exc:
                logger.warning("heartbeat of %s not written: %s", self.run_ctx.job_id, exc)

    def stop(self) -> None:
        self.stopped.set()


def timed_out_message(settings: Settings) -> str:
    return text("run.timed_out", limit=format_limit(settings.attempt_limit))


def error_line(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def retry_delay(settings: Settings, attempt: int) -> float:
    """Exponential backoff: base, 2x base, 4x base, ..."""
    return settings.backoff_base * (2 ** (attempt - 1))


@contextlib.contextmanager
def hard_time_limit(settings: Settings) -> Iterator[None]:
    """SIGALRM ends the attempt at the limit, wherever the sync is (even mid-request).

    Signals reach only a process's main thread: that is where ``huey_consumer -k process``
    runs a task. Thread workers rely on the cooperative checks in RunContext.check().
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise AttemptTimedOut(timed_out_message(settings))

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, settings.attempt_limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_job(
    backend: Backend, proxy_type: str, ticket: str, sync_fn: SyncFunction, task_id: str = ""
) -> None:
    """One attempt of the job ``ticket`` points at; stale messages are dropped."""
    store = backend.store
    attempt = store.start_attempt(proxy_type, ticket, worker_name(), secrets.token_hex(8))
    if attempt is None:
        logger.info("dropping a stale or duplicate %s message (ticket %s)", proxy_type, ticket)
        return
    run = RunContext(backend, attempt)
    run.log(
        text(
            "run.started",
            attempt=attempt.attempt,
            maxAttempts=attempt.max_attempts,
            worker=worker_name(),
        )
    )
    heartbeat = Heartbeat(run)
    heartbeat.start()
    with _in_flight_lock:
        _in_flight[task_id] = run
    try:
        with hard_time_limit(run.settings):
            run.report(progress=0, stage="starting", message="starting")
            result = sync_fn(proxy_type, run)
        done = text("run.completed", message=result.get("message", ""))
        if store.complete(run.job_id, run.run_token, result, note=("info", done)):
            run.echo(done, "info")
        else:
            logger.info("%s finished but no longer owns its job; result dropped", run.job_id)
    except JobCancelled as exc:
        logger.info("%s: run cancelled or superseded; stopped", run.job_id)
        if not run.handed_back:
            record_run(run.settings, run.ledger_entry("cancelled", error=str(exc)))
    except KeyboardInterrupt:
        hand_back(run)
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
        record_failure(run, exc)
    finally:
        heartbeat.stop()
        with _in_flight_lock:
            _in_flight.pop(task_id, None)


def record_failure(run: RunContext, exc: BaseException) -> None:
    settings = run.settings
    if isinstance(exc, AttemptTimedOut):
        error = f"AttemptTimedOut: {timed_out_message(settings)}"
    else:
        error = error_line(exc)
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    attempt = run.attempt
    permanent = isinstance(exc, PermanentFailure)
    retry = None
    delay = 0.0
    if not permanent and attempt.attempt < attempt.max_attempts:
        delay = retry_delay(settings, attempt.attempt)
        retry = run.backend.envelopes.build(run.proxy_type, delay)
    # The error is a sentence of its own; inside the log line it runs on after a colon.
    clause = error[:-1] if error.endswith(".") else error
    values: dict[str, Any] = {
        "attempt": attempt.attempt, "maxAttempts": attempt.max_attempts, "error": clause
    }
    if retry is not None:
        level, line = "warning", text("run.retry", delay=f"{delay:g}", **values)
    else:
        level, line = "error", text("run.failed", **values)
    outcome = run.store.fail_attempt(
        run.job_id, run.run_token, error, trace, retry, int(delay * 1000), note=(level, line)
    )
    if outcome is None:
        logger.info("%s failed after it was cancelled: %s", run.job_id, error)
        record_run(settings, run.ledger_entry("cancelled", error=error))
        return
    run.echo(line, level)
    if outcome == "failed":
        record_run(settings, run.ledger_entry("failed", error=error))


def hand_back(run: RunContext) -> None:
    """The worker is shutting down mid-attempt: the job goes back to ``waiting``."""
    run.handed_back = True
    envelope = run.backend.envelopes.build(run.proxy_type)
    try:
        line = text("run.interrupted")
        if run.store.requeue(run.job_id, run.run_token, envelope, note=("warning", line)):
            run.echo(line, "warning")
    except BackendUnavailable as exc:
        logger.error("could not hand %s back to the queue: %s", run.job_id, exc)
    run.cancelled.set()


def hand_back_task(task_id: str) -> None:
    """Huey's SIGNAL_INTERRUPTED for thread workers: hand back the run of ``task_id``."""
    with _in_flight_lock:
        run = _in_flight.get(task_id)
    if run is not None:
        hand_back(run)


def hand_back_all() -> int:
    """Hand back every run in flight in this process (an in-process consumer stopping:
    thread workers cannot be interrupted, so their runs are cancelled instead)."""
    with _in_flight_lock:
        runs = list(_in_flight.values())
    for run in runs:
        hand_back(run)
    return len(runs)
