"""The answers of the HTTP API as Pydantic models; the OpenAPI document is generated
from them, and every answer is validated against its model on the way out.

The fields follow the job contract (DESIGN.md, "Job model") and the run ledger's rows
(``history``), plus what the existing web
page reads: ``id`` beside ``jobId`` in debug rows, ``completedAt`` / ``failedAt`` beside
``finishedAt``, and ``stackTrace`` as a list of lines. Models that hold a job record let
unknown fields through, so a field the job store adds reaches clients without a change
here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tasks.catalog import CATALOG, PROXY_TYPES
from tasks.jobs import FINISHED_STATES, RUNNING_STATES, STATES, TRIGGERS
from tasks.sink.ledger import RUN_STATES

ROUTE_TYPES = [CATALOG[name].route for name in PROXY_TYPES]
ACCEPTED_TYPES = list(dict.fromkeys(ROUTE_TYPES + list(PROXY_TYPES)))
JOB_ID_PATTERN = "^proxy-({})-[0-9]{{13,16}}$".format("|".join(PROXY_TYPES))



def job_id() -> Any:
    return Field(pattern=JOB_ID_PATTERN, examples=["proxy-pangkat-1732790000123"])


def millis(description: str = "epoch milliseconds") -> Any:
    return Field(default=None, ge=0, description=description)


def count() -> Any:
    return Field(ge=0)


def _one_of(values: object, description: str = "") -> Any:
    """A string field documented as one of ``values``."""
    return Field(json_schema_extra={"enum": list(values)}, description=description)  # type: ignore[call-overload]


class Error(BaseModel):
    """Every answer other than success."""

    success: Literal[False] = False
    error: str = Field(description="a short code, e.g. bad_type")
    message: str = Field(description="what failed and what to do next")
    valid: list[str] | None = Field(
        default=None, description="the values that would have been accepted"
    )


class JobNotFound(Error):
    found: Literal[False] = False
    jobId: str


# -- sync -------------------------------------------------------------------------------


class SyncQueued(BaseModel):
    success: Literal[True] = True
    status: Literal["queued"] = "queued"
    jobId: str = job_id()
    forced: bool
    message: str


class LastSync(BaseModel):
    finishedAt: int | None = millis()
    minutesAgo: int = count()
    result: dict[str, Any] | None = None


class SyncLastRun(BaseModel):
    """The type's last run finished recently; ``force`` runs it again."""

    success: Literal[True] = True
    status: str = _one_of(FINISHED_STATES)
    jobId: str = job_id()
    lastSync: LastSync
    message: str


class SyncRunning(BaseModel):
    """A sync of this type is already running (answered with 409)."""

    success: Literal[False] = False
    status: Literal["running"] = "running"
    state: str = _one_of(RUNNING_STATES)
    jobId: str = job_id()
    progress: int = Field(ge=0, le=99)
    message: str


# -- job records ------------------------------------------------------------------------


class ProgressInfo(BaseModel):
    """Where a running job is; the web page shows ``message``."""

    model_config = ConfigDict(extra="allow")

    stage: str | None = None
    message: str | None = None
    offset: int | None = None
    currentTotal: int | None = None
    expectedTotal: int | None = None
    rowsPerSecond: float | None = None
    etaSeconds: float | None = None


class SyncResult(BaseModel):
    """What a completed run did; the web page shows ``total``, ``inserted`` and
    ``duplicates_removed``."""

    model_config = ConfigDict(extra="allow")

    success: bool | None = None
    message: str | None = None
    total: int | None = None
    inserted: int | None = None
    duplicates_removed: int | None = None
    written: int | None = None
    removed: int | None = None


class Job(BaseModel):
    """One job record. ``progress`` is 100 only when ``state`` is completed."""

    model_config = ConfigDict(extra="allow")

    jobId: str = job_id()
    type: str = _one_of(PROXY_TYPES)
    state: str = _one_of(STATES)
    progress: int = Field(ge=0, le=100)
    progressInfo: ProgressInfo
    createdAt: int | None = millis()
    startedAt: int | None = millis()
    finishedAt: int | None = millis()
    completedAt: int | None = millis("finishedAt of a completed job")
    failedAt: int | None = millis("finishedAt of a failed job")
    requestedBy: str | None = None
    trigger: str | None = Field(
        default=None,
        json_schema_extra={"enum": [*TRIGGERS, None]},
        description="the interface that asked for the job",
    )
    attemptsMade: int | None = Field(default=None, ge=0)
    maxAttempts: int | None = Field(default=None, ge=1)
    result: SyncResult | None = None
    error: str | None = None
    stackTrace: list[str] = Field(description="the last failure's trace, line by line")
    heartbeatAt: int | None = millis()
    worker: str | None = None


class LogLine(BaseModel):
    t: int = Field(description="epoch milliseconds")
    level: str
    msg: str


class JobStatus(Job):
    success: Literal[True] = True
    found: Literal[True] = True
    log: list[LogLine]


class DebugJob(Job):
    id: str = Field(description="the job id again, as the web page's table reads it")


# -- debug and cleanup --------------------------------------------------------------------


class Breakdown(BaseModel):
    """Jobs by state; a stalled job counts as active."""

    active: int = count()
    waiting: int = count()
    delayed: int = count()
    completed: int = count()
    failed: int = count()


class StateCounts(Breakdown):
    stalled: int = count()


class Summary(BaseModel):
    total: int = count()
    byStatus: StateCounts


class Debug(BaseModel):
    success: Literal[True] = True
    summary: Summary
    byType: dict[str, Breakdown] = Field(description=f"one entry per type: {PROXY_TYPES}")
    jobs: list[DebugJob]


class Cleanup(BaseModel):
    success: Literal[True] = True
    message: str
    cleaned: int = count()
    removed: int = Field(ge=0, description="the same as cleaned")
    breakdown: Breakdown


CLEANUP_STATES = [*STATES, "wait", "paused", "prioritized"]
_STATE = "({})".format("|".join(CLEANUP_STATES))
STATES_PATTERN = f"^{_STATE}(,{_STATE})*$"
CleanupState = Annotated[str, Field(json_schema_extra={"enum": CLEANUP_STATES})]


class CleanupRequest(BaseModel):
    """The optional JSON body of a cleanup, as the web page sends it; a value given here
    wins over the same parameter in the query."""

    model_config = ConfigDict(extra="forbid")

    states: list[CleanupState] | None = Field(
        default=None,
        min_length=1,
        description="only jobs in these states (default every state); a running job goes "
        "only when 'active' is listed. 'wait', 'paused' and 'prioritized' (BullMQ's names) "
        "mean waiting.",
    )
    type: str | None = Field(
        default=None,
        json_schema_extra={"enum": [*ACCEPTED_TYPES, None]},
        description="one type, dashed or with underscores; null for every type",
    )



# -- history ----------------------------------------------------------------------------


def tally(description: str) -> Any:
    """A count of a run; None where the run never got that far (a failed run has no rows)."""
    return Field(default=None, ge=0, description=description)


class Run(BaseModel):
    """One finished run as the run ledger recorded it. The ledger outlives the job
    records, so a run is here after a force, a cleanup or the loss of Redis."""

    model_config = ConfigDict(extra="allow")

    type: str = _one_of(PROXY_TYPES)
    jobId: str = Field(examples=["proxy-pangkat-1732790000123"])
    attempt: int | None = tally("the attempt that finished the run (1 = the first)")
    trigger: str | None = Field(
        default=None,
        json_schema_extra={"enum": [*TRIGGERS, None]},
        description="the interface that asked for the run",
    )
    requestedBy: str | None = None
    forced: bool
    state: str = _one_of(RUN_STATES)
    queuedAt: int | None = millis()
    startedAt: int | None = millis()
    finishedAt: int = Field(ge=0, description="epoch milliseconds")
    durationMs: int | None = Field(default=None, description="milliseconds")
    rows: int | None = tally("rows in the live table after the publish")
    written: int | None = tally("rows inserted or changed by the publish")
    removed: int | None = tally("rows the publish deleted (gone upstream)")
    unchanged: int | None = tally("rows the publish left as they were")
    duplicatesRemoved: int | None = tally("duplicate rows dropped before the publish")
    pages: int | None = tally("pages read from SIASN")
    requests: int | None = tally("HTTP requests made to SIASN, retries included")
    retries: int | None = tally("requests repeated after a transient failure")
    expectedTotal: int | None = tally("the total SIASN announced")
    error: str | None = Field(default=None, description="the first line of a failure")


class History(BaseModel):
    """Runs newest first, of one type or of every type."""

    type: str | None = Field(
        json_schema_extra={"enum": [*PROXY_TYPES, None]},
        description="the type asked for (with underscores), null for every type",
    )
    runs: list[Run]
