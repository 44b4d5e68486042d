"""The shared status helper: the only door to job state.

The dashboard, the CLI and the HTTP API call these functions and nothing else; each
returns the contract JSON of DESIGN.md ("Job model"). Single-flight and the freshness
window live in the store (one atomic step); this module turns the store's answers into
the contract and its human sentences, and reads the run ledger (the durable account of
finished runs, in the destination database) for the dataset side.
"""

from __future__ import annotations

import getpass
import re
import time
from collections.abc import Iterable
from typing import Any

from tasks.backend import Backend, current_backend
from tasks.catalog import CATALOG, PROXY_TYPES, get_proxy_type
from tasks.contract import (
    BackendHealth,
    CleanupAnswer,
    DatabaseHealth,
    Dataset,
    History,
    JobRecord,
    JobStatus,
    LastFailure,
    LastRun,
    LastSuccess,
    Overview,
    RequestOutcome,
    Schedules,
    SyncAnswer,
    Trigger,
    TypeRow,
)
from tasks.errors import (
    BackendUnavailable,
    DatasetUnavailable,
    InvalidJobId,
    InvalidJobState,
    InvalidLimit,
)
from tasks.schedule import load_schedule
from tasks.settings import get_settings, mask_url
from tasks.sink.ledger import Latest
from tasks.store.base import (
    COUNTED_STATES,
    FINISHED_STATES,
    RECORD_ORDER,
    RUNNING_STATES,
    STATES,
)
from tasks.texts import text

__all__ = [
    "COUNTED_STATES",
    "FINISHED_STATES",
    "RECORD_ORDER",
    "RUNNING_STATES",
    "STATES",
    "cleanup",
    "cleanup_states",
    "history",
    "job_status",
    "job_status_async",
    "list_jobs",
    "operator_name",
    "overview",
    "request_sync",
    "schedules",
    "validate_job_id",
    "workers",
]

JOB_ID_RE = re.compile(rf"proxy-({'|'.join(PROXY_TYPES)})-([0-9]{{13,16}})")
MAX_SHOWN_ID = 60
HISTORY_MAX = 1000
TRIGGERS = ("dashboard", "cli", "api", "schedule")


def operator_name() -> str:
    """Who is asking, for ``requestedBy``: the login name of the operator."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): still a useful answer
        return "unknown"


def validate_job_id(job_id: str) -> str:
    """Reject anything that is not ``proxy-<type>-<epoch ms>`` before it reaches a store."""
    if not isinstance(job_id, str) or not JOB_ID_RE.fullmatch(job_id):
        shown = job_id if len(str(job_id)) <= MAX_SHOWN_ID else f"{str(job_id)[:MAX_SHOWN_ID]}…"
        raise InvalidJobId(text("job.bad_id", jobId=shown))
    return job_id


def _minutes_ago(now_ms: int, then_ms: int | None) -> int:
    return max(0, (now_ms - (then_ms or now_ms)) // 60_000)


def request_sync(
    proxy_type: str,
    force: bool = False,
    requested_by: str | None = None,
    trigger: Trigger = "cli",
    backend: Backend | None = None,
) -> SyncAnswer:
    """Start a sync unless one is running, or the last one completed less than
    ``fresh_for`` ago (then return that one); ``force`` replaces whatever exists.
    ``trigger`` says which interface asked (dashboard, cli, api, schedule).
    Raises UnknownProxyType and BackendUnavailable."""
    name = get_proxy_type(proxy_type).name
    backend = backend or current_backend()
    who = requested_by or operator_name()
    envelope = backend.envelopes.build(name)
    log_line = text("job.log.queued_forced" if force else "job.log.queued", who=who)
    fresh_ms = int(backend.settings.fresh_for * 1000)
    answer = backend.store.request_sync(
        name, force, who, envelope, log_line, trigger=trigger, fresh_ms=fresh_ms
    )
    job = answer.job
    if answer.outcome == "queued":
        return {
            "success": True,
            "status": "queued",
            "jobId": job["jobId"],
            "forced": bool(force),
            "message": _queued_message(name, job["jobId"], force, answer, fresh_ms),
        }
    state = job["state"]
    if state == "completed":  # the store answers with a finished job only while it is fresh
        minutes = _minutes_ago(answer.now, job.get("finishedAt"))
        return {
            "success": True,
            "status": "completed",
            "jobId": job["jobId"],
            "lastSync": {
                "finishedAt": job.get("finishedAt"),
                "minutesAgo": minutes,
                "result": job.get("result"),
            },
            "message": text(
                "sync.last", type=name, status=text(f"status.{state}"), minutesAgo=minutes
            ),
        }
    return {
        "success": False,
        "status": "running",
        "state": state,
        "jobId": job["jobId"],
        "progress": job.get("progress", 0),
        "message": text(
            "sync.running", type=name, state=state, progress=job.get("progress", 0),
            jobId=job["jobId"],
        ),
    }


def _queued_message(
    name: str, job_id: str, force: bool, answer: RequestOutcome, fresh_ms: int
) -> str:
    """Say why a new run was queued: forced, first, stale, or after a failure."""
    previous = answer.previous
    if force or previous is None:
        return text("sync.forced" if force else "sync.queued", type=name, jobId=job_id)
    minutes = _minutes_ago(answer.now, previous.get("finishedAt"))
    if previous["state"] == "completed":
        return text(
            "dataset.queued_stale", type=name, jobId=job_id, minutesAgo=minutes,
            freshMinutes=f"{fresh_ms / 60_000:g}",
        )
    error = str(previous.get("error") or "").strip().rstrip(".") or previous["state"]
    return text("dataset.queued_retry", type=name, jobId=job_id, minutesAgo=minutes, error=error)


def job_status(job_id: str, backend: Backend | None = None) -> JobStatus:
    """The record of one job, with its log; ``found: false`` when it does not exist.

    Raises InvalidJobId for an id not of our form, BackendUnavailable."""
    validate_job_id(job_id)
    backend = backend or current_backend()
    return _status(job_id, *backend.store.get_job_with_log(job_id))


async def job_status_async(job_id: str, backend: Backend | None = None) -> JobStatus:
    """`job_status` for an event loop: the HTTP API answers status polls without a
    thread per request."""
    validate_job_id(job_id)
    backend = backend or current_backend()
    return _status(job_id, *await backend.store.get_job_with_log_async(job_id))


def _status(
    job_id: str, record: JobRecord | None, log: list[dict[str, Any]]
) -> JobStatus:
    if record is None:
        return {"found": False, "jobId": job_id, "message": text("job.not_found", jobId=job_id)}
    return {"found": True, **record, "log": log}


def type_status(proxy_type: str, backend: Backend | None = None) -> JobStatus:
    """`job_status` of the type's current job: the one the dashboard shows and a plain
    `request_sync` would answer with. ``found: false`` (with ``type``) when it has none.

    Raises UnknownProxyType, BackendUnavailable."""
    name = get_proxy_type(proxy_type).name
    backend = backend or current_backend()
    job = backend.store.overview([name])["jobs"].get(name)
    if job is None:
        return {"found": False, "type": name, "message": text("job.none_for_type", type=name)}
    return job_status(job["jobId"], backend)


def list_jobs(
    proxy_type: str | None = None, backend: Backend | None = None
) -> dict[str, list[JobRecord]]:
    """Every job, grouped by state, newest first."""
    types = [get_proxy_type(proxy_type).name] if proxy_type else list(PROXY_TYPES)
    backend = backend or current_backend()
    groups: dict[str, list[JobRecord]] = {state: [] for state in STATES}
    for record in backend.store.list_jobs(types):
        groups.setdefault(record["state"], []).append(record)
    for records in groups.values():
        records.sort(key=lambda r: r.get("createdAt") or 0, reverse=True)
    order = ("active", "waiting", "delayed", "stalled", "completed", "failed")
    return {state: groups[state] for state in order}


def cleanup_states(states: Iterable[str] | None) -> tuple[str, ...]:
    """The effective states a cleanup of ``states`` removes (None: every state).

    ``active`` covers ``stalled`` too (a stalled job is an active one whose heartbeat is
    late); ``stalled`` alone means only those. Raises InvalidJobState for anything else,
    or for an empty list.
    """
    if states is None:
        return STATES
    wanted = list(dict.fromkeys(states))
    unknown = [state for state in wanted if state not in STATES]
    if unknown or not wanted:
        shown = ", ".join(repr(state) for state in unknown) or "[]"
        raise InvalidJobState(
            text("api.cleanup.bad_states", states=shown, valid=", ".join(STATES))
        )
    if "active" in wanted and "stalled" not in wanted:
        wanted.append("stalled")
    return tuple(state for state in STATES if state in wanted)


def cleanup(
    proxy_type: str | None = None,
    states: Iterable[str] | None = None,
    backend: Backend | None = None,
) -> CleanupAnswer:
    """Remove the jobs of a type (or of all types) that are in ``states`` (None: all).

    A running job goes only when ``active`` (or ``stalled``, for a stalled one) is
    listed; it is then cancelled and its run publishes nothing. Raises UnknownProxyType,
    InvalidJobState, BackendUnavailable.
    """
    types = [get_proxy_type(proxy_type).name] if proxy_type else list(PROXY_TYPES)
    wanted = cleanup_states(states)
    backend = backend or current_backend()
    breakdown = backend.store.cleanup(types, wanted)
    cleaned = sum(breakdown.values())
    scope = types[0] if proxy_type else text("cleanup.all")
    return {
        "success": True,
        "message": text("cleanup.done", cleaned=cleaned, scope=scope),
        "cleaned": cleaned,
        "removed": cleaned,
        "breakdown": {key: int(breakdown.get(key, 0)) for key in COUNTED_STATES},
    }


def overview(backend: Backend | None = None) -> Overview:
    """One row per proxy type plus the health of the job store and of the destination
    database: one job-store round trip and one ledger query, whatever the history.
    Never raises for an unreachable job store or database (``backend.reachable`` and
    ``database.reachable`` say so, and the other half still works)."""
    backend = backend or current_backend()
    health = BackendHealth(
        kind=backend.kind,
        url=backend.settings.backend_label,
        reachable=True,
        error=None,
        workers=0,
        queued=0,
        scheduled=0,
        noWorker=False,
    )
    jobs: dict[str, JobRecord | None] = dict.fromkeys(PROXY_TYPES)
    now = None
    try:
        snap = backend.store.overview(list(PROXY_TYPES))
    except BackendUnavailable as exc:
        health["reachable"] = False
        health["error"] = exc.reason
    else:
        jobs = snap["jobs"]
        now = snap["now"]
        health["workers"] = snap["workers"]
        health["queued"] = snap["queued"]
        health["scheduled"] = snap["scheduled"]
    waiting = any(job and job["state"] == "waiting" for job in jobs.values())
    health["noWorker"] = bool(health["reachable"] and waiting and health["workers"] == 0)
    database = DatabaseHealth(
        url=mask_url(backend.settings.database_url), reachable=True, error=None
    )
    latest: dict[str, Latest] | None = None
    try:
        latest = backend.ledger.latest(PROXY_TYPES)
    except DatasetUnavailable as exc:
        database["reachable"] = False
        database["error"] = exc.reason
    schedule = load_schedule(backend.settings)
    clock = now if now is not None else int(time.time() * 1000)
    rows = [
        TypeRow(
            type=name,
            title=CATALOG[name].title,
            titleId=CATALOG[name].title_id,
            job=jobs.get(name),
            dataset=dataset_block(latest[name]) if latest is not None else None,
            schedule=schedule.expressions.get(name),
            scheduleZone=schedule.timezone if name in schedule.expressions else None,
            nextRunAt=schedule.next_run_ms(name, clock),
        )
        for name in PROXY_TYPES
    ]
    return Overview(now=now, backend=health, database=database, types=rows)


def workers(backend: Backend | None = None) -> dict[str, Any]:
    """Every live consumer process: host, pid, worker kind, since when, last seen, and the
    jobs it is running now (``{"now", "workers": [...]}``, oldest first)."""
    from tasks.watchdog import parse_presence

    backend = backend or current_backend()
    now, seen = backend.store.live_workers()
    running = [
        (record, record.get("worker") or "")
        for record in backend.store.list_jobs(list(PROXY_TYPES))
        if record["state"] in ("active", "stalled") and record.get("worker")
    ]
    found = []
    for presence_id, seen_at in seen:
        worker = {**parse_presence(presence_id), "lastSeenAt": seen_at}
        prefix = f"{worker['id']}:"
        worker["jobs"] = [
            {"jobId": r["jobId"], "type": r["type"], "state": r["state"],
             "startedAt": r.get("startedAt"), "thread": where[len(prefix):]}
            for r, where in running if where == worker["id"] or where.startswith(prefix)
        ]
        found.append(worker)
    found.sort(key=lambda w: (w["startedAt"] or 0, w["id"]))
    return {"now": now, "workers": found}


def dataset_block(latest: Latest) -> Dataset:
    """The overview's ``dataset`` of one type, from its newest runs in the ledger."""
    ok, failure, last = latest.last_success, latest.last_failure, latest.last_run
    return Dataset(
        rows=ok.rows if ok else None,
        publishedAt=ok.finished_at if ok else None,
        lastSuccess=None if ok is None else LastSuccess(
            jobId=ok.job_id,
            finishedAt=ok.finished_at,
            durationMs=ok.duration_ms,
            rows=ok.rows,
            written=ok.written,
            removed=ok.removed,
            trigger=ok.trigger,
            requestedBy=ok.requested_by,
        ),
        lastFailure=None if failure is None else LastFailure(
            jobId=failure.job_id,
            finishedAt=failure.finished_at,
            state="cancelled" if failure.state == "cancelled" else "failed",
            error=failure.error,
        ),
        lastRun=None if last is None else LastRun(
            jobId=last.job_id,
            finishedAt=last.finished_at,
            state=last.state,
            durationMs=last.duration_ms,
        ),
    )


def history(
    proxy_type: str | None = None, limit: int = 50, backend: Backend | None = None
) -> History:
    """Finished runs from the ledger, newest first: of one type, or of all.

    Raises UnknownProxyType, InvalidLimit (outside 1..1000), DatasetUnavailable."""
    name = get_proxy_type(proxy_type).name if proxy_type else None
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= HISTORY_MAX:
        raise InvalidLimit(text("history.bad_limit", limit=limit, maximum=HISTORY_MAX))
    backend = backend or current_backend()
    runs = backend.ledger.history(name, limit)
    return {"type": name, "runs": [run.as_contract() for run in runs]}


def schedules(backend: Backend | None = None) -> Schedules:
    """Every type's schedule (PROXYTUI_SCHEDULE) and its next slot, in the schedule's zone.

    Needs no job store or database. Raises ScheduleError for a bad PROXYTUI_SCHEDULE."""
    schedule = load_schedule(backend.settings if backend else get_settings())
    now = int(time.time() * 1000)
    return {
        "timezone": schedule.timezone,
        "types": [
            {
                "type": name,
                "expression": schedule.expressions.get(name),
                "nextRunAt": schedule.next_run_ms(name, now),
            }
            for name in PROXY_TYPES
        ],
    }
