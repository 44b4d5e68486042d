"""The job model's shapes, written down once so that a type checker holds every side to them.

The ``TypedDict``s are the JSON of the contract (DESIGN.md, "Job model"): what
`tasks.jobs` answers and what the dashboard, the CLI and the HTTP API read. The frozen
dataclasses are what the job stores and the sink hand back to `tasks.jobs`, the runner
and the watchdog: named fields instead of positions in a tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

JobState = Literal["waiting", "active", "delayed", "stalled", "completed", "failed"]
RunState = Literal["completed", "failed", "cancelled"]
Trigger = Literal["dashboard", "cli", "api", "schedule"]
TRIGGERS: tuple[Trigger, ...] = ("dashboard", "cli", "api", "schedule")


def as_trigger(value: object) -> Trigger | None:
    """A stored trigger read back: one of ours, else None (records from older builds)."""
    for trigger in TRIGGERS:
        if value == trigger:
            return trigger
    return None


# -- the contract's JSON ---------------------------------------------------------------


class ProgressInfo(TypedDict, total=False):
    """``progressInfo`` of a job: what the run last reported."""

    stage: str
    message: str
    offset: int
    page: int
    currentTotal: int
    expectedTotal: int | None
    rowsPerSecond: float
    etaSeconds: float | None


class JobRecord(TypedDict, total=False):
    """One job as the job store keeps it (``state`` is the effective state)."""

    jobId: str
    type: str
    state: JobState
    progress: int
    progressInfo: ProgressInfo
    createdAt: int
    startedAt: int | None
    finishedAt: int | None
    requestedBy: str | None
    attemptsMade: int
    maxAttempts: int
    result: dict[str, Any] | None
    error: str | None
    stackTrace: str | None
    heartbeatAt: int | None
    worker: str | None
    retryAt: int | None
    enqueuedAt: int | None
    forced: bool
    trigger: Trigger


class LastSync(TypedDict):
    finishedAt: int | None
    minutesAgo: int
    result: dict[str, Any] | None


class SyncRunning(TypedDict):
    """`tasks.jobs.request_sync` when a job of the type is waiting, active, delayed or stalled."""

    success: Literal[False]
    status: Literal["running"]
    state: JobState
    jobId: str
    progress: int
    message: str


class SyncFresh(TypedDict):
    """`tasks.jobs.request_sync` when the last job completed recently enough to stand."""

    success: Literal[True]
    status: Literal["completed"]
    jobId: str
    lastSync: LastSync
    message: str


class SyncQueued(TypedDict):
    """`tasks.jobs.request_sync` when a new job was queued."""

    success: Literal[True]
    status: Literal["queued"]
    jobId: str
    forced: bool
    message: str


SyncAnswer = SyncRunning | SyncFresh | SyncQueued


class BackendHealth(TypedDict):
    kind: str
    url: str
    reachable: bool
    error: str | None
    workers: int
    queued: int
    scheduled: int
    noWorker: bool


class DatabaseHealth(TypedDict):
    url: str
    reachable: bool
    error: str | None


class LastSuccess(TypedDict):
    jobId: str
    finishedAt: int
    durationMs: int | None
    rows: int | None
    written: int | None
    removed: int | None
    trigger: Trigger | None
    requestedBy: str | None


class LastFailure(TypedDict):
    jobId: str
    finishedAt: int
    state: Literal["failed", "cancelled"]
    error: str | None


class LastRun(TypedDict):
    jobId: str
    finishedAt: int
    state: RunState
    durationMs: int | None


class Dataset(TypedDict):
    """What the destination database holds for a type (None when it cannot be read)."""

    rows: int | None
    publishedAt: int | None
    lastSuccess: LastSuccess | None
    lastFailure: LastFailure | None
    lastRun: LastRun | None


class TypeRow(TypedDict):
    """One proxy type in the overview: its current job, what its table holds (``dataset``,
    None when the destination database cannot be read) and its schedule."""

    type: str
    title: str
    titleId: str
    job: JobRecord | None
    dataset: Dataset | None
    schedule: str | None
    scheduleZone: str | None  # the zone the schedule is read in (PROXYTUI_TZ or the host's)
    nextRunAt: int | None


class Overview(TypedDict):
    """`tasks.jobs.overview`: never raises; each half says whether it could be read."""

    now: int | None
    backend: BackendHealth
    database: DatabaseHealth
    types: list[TypeRow]


class HistoryRun(TypedDict):
    """One finished run in the ledger (`tasks.jobs.history`); counts are None when unknown."""

    type: str
    jobId: str
    attempt: int | None
    trigger: Trigger | None
    requestedBy: str | None
    forced: bool
    state: RunState
    queuedAt: int | None
    startedAt: int | None
    finishedAt: int | None
    durationMs: int | None
    rows: int | None
    written: int | None
    removed: int | None
    unchanged: int | None
    duplicatesRemoved: int | None
    pages: int | None
    requests: int | None
    retries: int | None
    expectedTotal: int | None
    error: str | None


class History(TypedDict):
    """`tasks.jobs.history`: finished runs, newest first, of one type (``type``) or all."""

    type: str | None
    runs: list[HistoryRun]


class ScheduleRow(TypedDict):
    type: str
    expression: str | None
    nextRunAt: int | None


class Schedules(TypedDict):
    """`tasks.jobs.schedules`: every type's cron expression and next slot."""

    timezone: str
    types: list[ScheduleRow]


class CleanupAnswer(TypedDict):
    """`tasks.jobs.cleanup`; ``removed`` repeats ``cleaned`` under the web page's name."""

    success: bool
    message: str
    cleaned: int
    removed: int
    breakdown: dict[str, int]


class JobStatus(JobRecord, total=False):
    """`tasks.jobs.job_status`: the record and its log, or ``found: false`` and why."""

    found: bool
    message: str
    log: list[dict[str, Any]]


# -- what stores and sinks return --------------------------------------------------------


@dataclass(frozen=True)
class RequestOutcome:
    """A store's answer to a sync request: the type's newest job (``existing``), or the
    job it just queued (``queued``) and the newest one it replaced (``previous``); ``now``
    is the store's clock (epoch ms)."""

    outcome: Literal["existing", "queued"]
    job: JobRecord
    now: int
    previous: JobRecord | None = None


@dataclass(frozen=True)
class Snapshot:
    """One consistent read of the queue and the jobs of some types."""

    now: int
    workers: int
    queued: int
    scheduled: int
    records: list[JobRecord]


@dataclass(frozen=True)
class FinalizeCounts:
    """What `StagedTable.finalize` found in a run's staging table."""

    received: int
    distinct: int
    rows: int
    duplicates_removed: int
    ids_derived: int
    null_ids: int
    rejected: int
    reject_samples: list[str]


@dataclass(frozen=True)
class LostJob:
    """A job the reaper must recover: ``stalled`` (heartbeat too old) or ``orphan``
    (waiting or delayed with its message on no queue)."""

    job_id: str
    kind: Literal["stalled", "orphan"]
    type: str
    run_token: str
    attempts_made: int
    max_attempts: int
    worker: str
