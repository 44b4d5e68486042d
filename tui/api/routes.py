"""The routes: the job contract of `tasks.jobs` over HTTP.

A thin layer. Each route checks its parameters, calls one function of `tasks.jobs` and
maps the answer to a status code and a response model; it holds no job logic. The
`tasks.jobs` calls block (Redis, SQLite), so they run in the threadpool; everything else
stays on the event loop.

    GET|POST {base}/{type}/sync[?force=true]   request_sync   200 queued / last run, 409 running
    GET  {base}/status?jobId=...               job_status     200, 400 bad id, 404 unknown job
    GET  {base}/debug                          list_jobs      200 counts and every job
    POST {base}/cleanup[?type=...&states=...]  cleanup        200 (body {states, type} too)
    GET  {base}/history[?type=...&limit=N]     history        200 ledger runs, 503 no database
    GET  /metrics                              tasks.metrics  200 Prometheus text format

``/metrics`` sits at the server's root whatever the base path, where Prometheus looks
for it by default (`metrics_router`); the app decides whether it needs a key.

A new route is a function here with its response model from `tui.api.models`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from tasks import jobs
from tasks.catalog import PROXY_TYPES
from tasks.metrics import exposition
from tui.api.auth import requested_by
from tui.api.errors import ApiError
from tui.api.models import (
    ACCEPTED_TYPES,
    CLEANUP_STATES,
    JOB_ID_PATTERN,
    STATES_PATTERN,
    Cleanup,
    CleanupRequest,
    Debug,
    Error,
    History,
    JobNotFound,
    JobStatus,
    SyncLastRun,
    SyncQueued,
    SyncRunning,
)
from tui.api.params import (
    FORCE,
    HISTORY_LIMIT,
    JOB_ID,
    LIMIT,
    STATES,
    TYPE,
    check_states,
    check_type,
    proxy_type_path,
    states_of,
    strict_query,
)

log = logging.getLogger(__name__)

router = APIRouter()
metrics_router = APIRouter()
METRICS_PATH = "/metrics"

Caller = Annotated[str, Depends(requested_by)]
ProxyTypePath = Annotated[str, Depends(proxy_type_path)]


def page_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A job record as the web page reads it: ``completedAt`` / ``failedAt`` beside
    ``finishedAt`` and the stack trace as a list of lines."""
    finished = record.get("finishedAt")
    state = record.get("state")
    trace = record.get("stackTrace")
    return {
        **record,
        "completedAt": finished if state == "completed" else None,
        "failedAt": finished if state == "failed" else None,
        "stackTrace": trace.splitlines() if trace else [],
    }


# -- sync -------------------------------------------------------------------------------

ForceQuery = Annotated[
    bool,
    Query(description="Remove this type's jobs (cancelling a running one) and queue a new one."),
]


# The web page starts a sync with GET. That carries no cross-site risk here: every call
# needs our bearer key, and a browser never sends an Authorization header on its own (a
# link, an <img> or a cross-site form cannot make it), unlike a cookie. Only a client
# that holds the key can start a sync, with either method.
@router.api_route(
    "/{type}/sync",
    methods=["GET", "POST"],
    operation_id="requestSync",
    summary="Queue a sync unless one is running or finished recently; force replaces it.",
    response_model=SyncQueued | SyncLastRun,
    responses={409: {"model": SyncRunning, "description": "A sync of this type is running."}},
    dependencies=[Depends(strict_query(force=FORCE))],
)
async def sync(proxy_type: ProxyTypePath, who: Caller, force: ForceQuery = False) -> Any:
    answer = await run_in_threadpool(
        jobs.request_sync, proxy_type, force=force, requested_by=who, trigger="api"
    )
    if force:
        log.info("forced %s sync by %s: %s", proxy_type, who, answer["jobId"])
    if answer["status"] == "running":
        body = SyncRunning.model_validate(answer).model_dump(mode="json")
        return JSONResponse(body, status_code=409)
    return answer


# -- status and debug ----------------------------------------------------------------------


@router.get(
    "/status",
    operation_id="jobStatus",
    summary="One job's record and log.",
    response_model=JobStatus,
    response_model_exclude_unset=True,
    responses={404: {"model": JobNotFound, "description": "No such job (cleaned up or replaced)."}},
    dependencies=[Depends(strict_query(jobId=JOB_ID))],
)
async def job_status(jobId: Annotated[str, Query(pattern=JOB_ID_PATTERN)]) -> Any:  # noqa: N803
    record = await jobs.job_status_async(jobId)
    if not record["found"]:
        raise ApiError(404, "job_not_found", record["message"], found=False, jobId=jobId)
    return {"success": True, **page_record(record)}


@router.get(
    "/debug",
    operation_id="debug",
    summary="Counts by state and by type, and every job.",
    response_model=Debug,
    response_model_exclude_unset=True,
    dependencies=[Depends(strict_query())],
)
async def debug() -> Any:
    groups = await run_in_threadpool(jobs.list_jobs)
    by_type = {name: dict.fromkeys(jobs.COUNTED_STATES, 0) for name in PROXY_TYPES}
    rows = []
    for state, records in groups.items():
        counted = "active" if state == "stalled" else state
        for record in records:
            by_type[record["type"]][counted] += 1
            rows.append({**page_record(record), "id": record["jobId"]})
    return {
        "success": True,
        "summary": {
            "total": len(rows),
            "byStatus": {state: len(records) for state, records in groups.items()},
        },
        "byType": by_type,
        "jobs": rows,
    }


# -- cleanup --------------------------------------------------------------------------------


@router.post(
    "/cleanup",
    operation_id="cleanup",
    summary="Remove the jobs in some states (default all) of a type or of every type; a "
    "running job only when 'active' is listed (it is then cancelled).",
    response_model=Cleanup,
    dependencies=[Depends(strict_query(type=TYPE, states=STATES))],
)
async def cleanup(
    who: Caller,
    body: Annotated[CleanupRequest | None, Body()] = None,
    type: Annotated[  # noqa: A002 - the documented query parameter
        str | None, Query(json_schema_extra={"enum": ACCEPTED_TYPES})
    ] = None,
    states: Annotated[
        str | None,
        Query(
            pattern=STATES_PATTERN,
            description=f"comma-separated, any of: {', '.join(CLEANUP_STATES)}",
        ),
    ] = None,
) -> Any:
    proxy_type = body.type if body and body.type is not None else type
    if proxy_type is not None:
        check_type("type", proxy_type)
    if body and body.states is not None:
        wanted: list[str] | None = states_of(body.states)
    else:
        wanted = check_states("states", states) if states is not None else None
    answer = await run_in_threadpool(jobs.cleanup, proxy_type, states=wanted)
    log.info(
        "cleanup of %s (%s) by %s: %s job(s)",
        proxy_type or "every type",
        ", ".join(wanted) if wanted else "every state",
        who,
        answer["cleaned"],
    )
    return answer


# -- history and metrics ----------------------------------------------------------------


@router.get(
    "/history",
    operation_id="history",
    summary="Finished runs from the run ledger, newest first: of one type, or of every type.",
    response_model=History,
    responses={
        503: {
            "model": Error,
            "description": "The destination database (where the run ledger lives) cannot be "
            "read, or the embedded job store cannot be opened.",
        }
    },
    dependencies=[Depends(strict_query(type=TYPE, limit=LIMIT))],
)
async def history(
    type: Annotated[  # noqa: A002 - the documented query parameter
        str | None,
        Query(
            json_schema_extra={"enum": ACCEPTED_TYPES},
            description="one type, dashed or with underscores; every type when left out",
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=jobs.HISTORY_MAX, description="the newest runs to give")
    ] = HISTORY_LIMIT,
) -> Any:
    return await run_in_threadpool(jobs.history, type, limit)


@metrics_router.get(
    METRICS_PATH,
    operation_id="metrics",
    summary="Prometheus metrics: jobs, runs, rows and last success per type, workers, queue.",
    response_class=Response,  # the errors stay JSON in the document; 200 is text below
    responses={
        200: {
            "description": "The Prometheus text format. A job store or database that does "
            "not answer shows as proxytui_job_store_up or proxytui_database_up 0.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        503: {
            "model": Error,
            "description": "The embedded job store (PROXYTUI_QUEUE=sqlite:///...) cannot be "
            "opened, so there is nothing to report.",
        },
    },
    dependencies=[Depends(strict_query())],
)
async def metrics() -> Response:
    page, content_type = await run_in_threadpool(exposition)
    return Response(page, media_type=content_type)
