"""The worker's side of the run ledger: turning a finished run into its ledger row.

A completed run's row is written by the publish itself (tasks/pipeline.py hands
`StagedTable.publish` the row); the runs that publish nothing (a final failure, a run
cancelled by a force or a cleanup, a stalled job the reaper gives up on) are recorded
here, in a small transaction of their own. A database that cannot take the row costs a
warning in the worker's log, never the job's outcome.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from tasks.contract import RunState, as_trigger
from tasks.settings import Settings
from tasks.sink import open_sink
from tasks.sink.ledger import RunEntry
from tasks.store.base import Attempt
from tasks.texts import text

logger = logging.getLogger(__name__)


def now_ms() -> int:
    return int(time.time() * 1000)


def entry_for_attempt(
    attempt: Attempt,
    state: RunState,
    duration_ms: int | None,
    error: str | None = None,
    **counts: Any,
) -> RunEntry:
    """The ledger row of the attempt that ended the run (counts: rows, written, ...)."""
    return RunEntry(
        type=attempt.proxy_type,
        job_id=attempt.job_id,
        state=state,
        finished_at=now_ms(),
        attempt=attempt.attempt,
        trigger=as_trigger(attempt.trigger),
        requested_by=attempt.requested_by,
        forced=attempt.forced,
        queued_at=attempt.queued_at,
        started_at=attempt.started_at,
        duration_ms=duration_ms,
        error=error,
        **counts,
    )


def entry_for_record(
    record: Mapping[str, Any], state: RunState, error: str | None
) -> RunEntry:
    """The ledger row of a job given up on from outside its run (the reaper)."""
    finished = int(record.get("finishedAt") or now_ms())
    started = record.get("startedAt")
    return RunEntry(
        type=record["type"],
        job_id=record["jobId"],
        state=state,
        finished_at=finished,
        attempt=record.get("attemptsMade"),
        trigger=as_trigger(record.get("trigger")),
        requested_by=record.get("requestedBy"),
        forced=bool(record.get("forced")),
        queued_at=record.get("createdAt"),
        started_at=started,
        duration_ms=finished - int(started) if started else None,
        error=error,
    )


def record_run(settings: Settings, entry: RunEntry) -> bool:
    """Write a run that published nothing into the ledger; False (and a warning) when
    the destination database cannot take it."""
    try:
        sink = open_sink(settings.database_url)
        with sink:
            sink.record_run(entry, settings.history_keep)
    except Exception as exc:  # noqa: BLE001 - the job's outcome stands; the log says why
        logger.warning(
            text("ledger.not_recorded", jobId=entry.job_id, state=entry.state, reason=exc)
        )
        return False
    return True
