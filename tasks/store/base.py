"""What every job store does; the Redis and SQLite stores implement the same methods.

A store owns the job records, the per-job logs, worker presence, and the act of putting
a job's Huey message on the queue in the same atomic step as the record change. Every
write a worker makes carries its ``run_token`` and succeeds only while that run still
owns the job (fencing): a cancelled, superseded or re-enqueued run can no longer write.

Records come back as plain dicts with the contract's camelCase fields; ``state`` is the
effective state (an ``active`` job whose heartbeat is older than the stall limit reads as
``stalled``).
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from tasks.contract import JobRecord, LostJob, RequestOutcome, Snapshot
from tasks.queue import Envelope

STATES = ("waiting", "active", "delayed", "completed", "failed", "stalled")
RUNNING_STATES = ("waiting", "active", "delayed", "stalled")
FINISHED_STATES = ("completed", "failed")
# The states a cleanup counts in its breakdown; a stalled job counts as active.
COUNTED_STATES = ("active", "waiting", "delayed", "completed", "failed")
# A running job reports at most this much; only completion writes 100, so a reader that
# sees 100 sees a completed job.
RUNNING_PROGRESS_CAP = 99

# Fields stored as JSON text.
JSON_FIELDS = ("progressInfo", "result")
INT_FIELDS = (
    "progress",
    "createdAt",
    "startedAt",
    "finishedAt",
    "attemptsMade",
    "maxAttempts",
    "heartbeatAt",
    "retryAt",
    "enqueuedAt",
)
RECORD_ORDER = (
    "jobId",
    "type",
    "state",
    "progress",
    "progressInfo",
    "createdAt",
    "startedAt",
    "finishedAt",
    "requestedBy",
    "attemptsMade",
    "maxAttempts",
    "result",
    "error",
    "stackTrace",
    "heartbeatAt",
    "worker",
)
# Internal fields never shown in a record.
PRIVATE_FIELDS = ("ticket", "runToken", "message", "score")

# A line for a job's log: (level, text).
LogNote = tuple[str, str]


@dataclass(frozen=True)
class Attempt:
    """What a worker gets when it starts an attempt of a job."""

    job_id: str
    proxy_type: str
    run_token: str
    attempt: int
    max_attempts: int
    # What the run ledger records about the job (see tasks.sink.ledger).
    requested_by: str | None = None
    trigger: str | None = None
    forced: bool = False
    queued_at: int | None = None  # the job's createdAt
    started_at: int | None = None  # this attempt's start


def decode_record(raw: dict[Any, Any], now_ms: int, stall_ms: int) -> JobRecord:
    """Turn stored fields into a contract record with its effective state."""
    record: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(key, bytes):
            key = key.decode()
        if key in PRIVATE_FIELDS:
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if key in JSON_FIELDS:
            value = json.loads(value) if value not in (None, "") else None
        elif key in INT_FIELDS:
            value = int(float(value)) if value not in (None, "") else None
        elif key == "forced":
            value = value in ("1", 1, True)
        record[key] = value
    record.setdefault("progressInfo", {})
    # The contract's order first, then anything else we keep (retryAt, enqueuedAt, forced).
    ordered = {key: record.pop(key, None) for key in RECORD_ORDER}
    ordered.update(record)
    record = ordered
    heartbeat = record.get("heartbeatAt") or 0
    if record.get("state") == "active" and now_ms - heartbeat > stall_ms:
        record["state"] = "stalled"
    return cast(JobRecord, record)


class JobStore(ABC):
    """The operations `tasks.jobs` (the one door to job state) and the worker need."""

    # -- the dashboard / CLI side -------------------------------------------------

    @abstractmethod
    def request_sync(
        self,
        proxy_type: str,
        force: bool,
        requested_by: str,
        envelope: Envelope,
        log_line: str,
        trigger: str = "cli",
        fresh_ms: int = 0,
    ) -> RequestOutcome:
        """Atomically: return the type's job while it runs, or while it completed less
        than ``fresh_ms`` ago (``existing``); otherwise (and always with ``force``)
        replace every job of the type with a new one (``queued``), its envelope pushed in
        the same step. ``previous`` is the newest job a queued one replaced.
        """

    @abstractmethod
    def get_job(self, job_id: str) -> JobRecord | None: ...

    @abstractmethod
    def get_log(self, job_id: str) -> list[dict[str, Any]]: ...

    def get_job_with_log(self, job_id: str) -> tuple[JobRecord | None, list[dict[str, Any]]]:
        """The record and its log; stores that can read both in one round trip do."""
        record = self.get_job(job_id)
        return record, (self.get_log(job_id) if record is not None else [])

    async def get_job_with_log_async(
        self, job_id: str
    ) -> tuple[JobRecord | None, list[dict[str, Any]]]:
        """`get_job_with_log` for an event loop (the HTTP API). A store without an async
        client reads in a thread; the Redis store reads on the loop itself."""
        return await asyncio.to_thread(self.get_job_with_log, job_id)

    @abstractmethod
    def _snapshot(self, types: Sequence[str]) -> Snapshot:
        """The clock, live workers, queue lengths and the records of ``types``, read at once."""

    def list_jobs(self, types: Sequence[str]) -> list[JobRecord]:
        return self._snapshot(types).records

    @abstractmethod
    def cleanup(self, types: Sequence[str], states: Sequence[str]) -> dict[str, int]:
        """Remove the jobs of ``types`` whose effective state is one of ``states``, in one
        atomic step (a job that changes state meanwhile is judged by its new state).

        The breakdown counts the removed jobs by `COUNTED_STATES`; a removed active or
        stalled job is cancelled: its run is fenced out and publishes nothing.
        """

    def overview(self, types: Sequence[str]) -> dict[str, Any]:
        """The newest job of each type plus queue health; cost independent of history."""
        snap = self._snapshot(types)
        newest: dict[str, Any] = dict.fromkeys(types)
        for record in snap.records:
            current = newest.get(record["type"])
            if current is None or record["createdAt"] > current["createdAt"]:
                newest[record["type"]] = record
        return {
            "jobs": newest,
            "workers": snap.workers,
            "queued": snap.queued,
            "scheduled": snap.scheduled,
            "now": snap.now,
        }

    @abstractmethod
    def now_ms(self) -> int: ...

    @abstractmethod
    def claim_slot(self, proxy_type: str, slot_ms: int, ttl_ms: int, owner: str) -> bool:
        """Atomically claim one schedule slot of a type: True for exactly one caller per
        slot cluster-wide while the claim lasts (``ttl_ms``, longer than the grace)."""

    # -- the worker side ----------------------------------------------------------

    @abstractmethod
    def start_attempt(
        self, proxy_type: str, ticket: str, worker: str, run_token: str
    ) -> Attempt | None:
        """Claim the job a message points at; None for a stale or duplicate message."""

    @abstractmethod
    def heartbeat(self, job_id: str, run_token: str) -> bool: ...

    @abstractmethod
    def write_progress(
        self, job_id: str, run_token: str, progress: int, info: dict[str, Any]
    ) -> bool:
        """Fenced; ``progress`` is stored capped at `RUNNING_PROGRESS_CAP`."""

    @abstractmethod
    def complete(
        self, job_id: str, run_token: str, result: dict[str, Any], note: LogNote | None = None
    ) -> bool:
        """Mark the attempt completed with ``result``; False when fencing failed.

        ``note`` (level, text) joins the job's log in the same step, so whoever sees the
        new state also sees the line that explains it.
        """

    @abstractmethod
    def fail_attempt(
        self,
        job_id: str,
        run_token: str,
        error: str,
        stack_trace: str,
        retry: Envelope | None,
        retry_delay_ms: int,
        note: LogNote | None = None,
    ) -> str | None:
        """``delayed`` (retry scheduled), ``failed``, or None when fencing failed.

        ``retry`` is None when the failure is permanent or no attempts are left.
        ``note`` joins the log in the same step, as for `complete`.
        """

    @abstractmethod
    def requeue(
        self, job_id: str, run_token: str, envelope: Envelope, note: LogNote | None = None
    ) -> bool:
        """An interrupted attempt: back to ``waiting``, not counted as an attempt.

        ``note`` joins the log in the same step, before the next attempt can log a line.
        """

    @abstractmethod
    def find_lost(self) -> list[LostJob]:
        """Jobs of every type that need the reaper: stalled ones, and waiting/delayed ones
        whose message is on no queue."""

    @abstractmethod
    def recover(
        self,
        job_id: str,
        kind: str,
        run_token: str,
        envelope: Envelope | None,
        error: str,
    ) -> bool:
        """Re-enqueue (``envelope`` given) or fail a lost job, if it is still lost; ``error``
        is recorded on the job and is the line its log gets."""

    @abstractmethod
    def append_log(self, job_id: str, level: str, text: str) -> None: ...

    @abstractmethod
    def worker_seen(self, worker_id: str) -> None: ...

    @abstractmethod
    def worker_gone(self, worker_id: str) -> None: ...

    @abstractmethod
    def live_workers(self) -> tuple[int, list[tuple[str, int]]]:
        """``(now, [(worker id, last seen ms), ...])`` of the workers seen within the TTL."""

    def close(self) -> None:  # noqa: B027 - optional for stores without resources
        """Release connections."""
