"""The OpenAPI 3.0 description of the HTTP API, written by hand from the job contract.

It is served at ``{base}/openapi.json`` and checked against real answers by
``tests/test_http_api_fuzz.py`` (schemathesis); change it with the routes.
"""

from __future__ import annotations

from typing import Any

from tasks.catalog import CATALOG, PROXY_TYPES
from tasks.jobs import FINISHED_STATES, RECORD_ORDER, RUNNING_STATES, STATES

DEFAULT_BASE_PATH = "/api/siasn/ws/admin/proxy"
ROUTE_TYPES = [CATALOG[name].route for name in PROXY_TYPES]
ACCEPTED_TYPES = list(dict.fromkeys(ROUTE_TYPES + list(PROXY_TYPES)))
COUNTED_STATES = ["active", "waiting", "delayed", "completed", "failed"]
JOB_ID_PATTERN = "^proxy-({})-[0-9]{{13,16}}$".format("|".join(PROXY_TYPES))


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _int(nullable: bool = False) -> dict[str, Any]:
    return {"type": "integer", "nullable": True} if nullable else {"type": "integer"}


def _counts(keys: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": keys,
        "properties": {key: {"type": "integer", "minimum": 0} for key in keys},
    }


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        ["success", "error", "message"],
        success={"type": "boolean", "enum": [False]},
        error={"type": "string", "description": "a short code, e.g. bad_type"},
        message={"type": "string", "description": "what failed and what to do"},
        valid={"type": "array", "items": {"type": "string"}},
    ),
    "JobNotFound": {
        "allOf": [
            _ref("Error"),
            _obj(
                ["found", "jobId"],
                found={"type": "boolean", "enum": [False]},
                jobId={"type": "string"},
            ),
        ]
    },
    "SyncQueued": _obj(
        ["success", "status", "jobId", "forced", "message"],
        success={"type": "boolean", "enum": [True]},
        status={"type": "string", "enum": ["queued"]},
        jobId={"type": "string", "pattern": JOB_ID_PATTERN},
        forced={"type": "boolean"},
        message={"type": "string"},
    ),
    "SyncLastRun": _obj(
        ["success", "status", "jobId", "lastSync", "message"],
        success={"type": "boolean", "enum": [True]},
        status={"type": "string", "enum": list(FINISHED_STATES)},
        jobId={"type": "string", "pattern": JOB_ID_PATTERN},
        lastSync=_obj(
            ["finishedAt", "minutesAgo", "result"],
            finishedAt=_int(nullable=True),
            minutesAgo={"type": "integer", "minimum": 0},
            result={"type": "object", "nullable": True},
        ),
        message={"type": "string"},
    ),
    "SyncRunning": _obj(
        ["success", "status", "state", "jobId", "progress", "message"],
        success={"type": "boolean", "enum": [False]},
        status={"type": "string", "enum": ["running"]},
        state={"type": "string", "enum": list(RUNNING_STATES)},
        jobId={"type": "string", "pattern": JOB_ID_PATTERN},
        progress={"type": "integer", "minimum": 0, "maximum": 100},
        message={"type": "string"},
    ),
    "Job": _obj(
        list(RECORD_ORDER),
        jobId={"type": "string", "pattern": JOB_ID_PATTERN},
        type={"type": "string", "enum": list(PROXY_TYPES)},
        state={"type": "string", "enum": list(STATES)},
        progress={"type": "integer", "minimum": 0, "maximum": 100},
        progressInfo={"type": "object"},
        createdAt=_int(),
        startedAt=_int(nullable=True),
        finishedAt=_int(nullable=True),
        heartbeatAt=_int(nullable=True),
        requestedBy={"type": "string"},
        attemptsMade={"type": "integer", "minimum": 0},
        maxAttempts={"type": "integer", "minimum": 1},
        result={"type": "object", "nullable": True},
        error={"type": "string", "nullable": True},
        stackTrace={"type": "string", "nullable": True},
        worker={"type": "string", "nullable": True},
        forced={"type": "boolean"},
    ),
    "JobStatus": {
        "allOf": [
            _ref("Job"),
            _obj(
                ["success", "found", "log"],
                success={"type": "boolean", "enum": [True]},
                found={"type": "boolean", "enum": [True]},
                log={
                    "type": "array",
                    "items": _obj(
                        ["t", "level", "msg"],
                        t={"type": "integer"},
                        level={"type": "string"},
                        msg={"type": "string"},
                    ),
                },
            ),
        ]
    },
    "Debug": _obj(
        ["success", "summary", "byType", "jobs"],
        success={"type": "boolean", "enum": [True]},
        summary=_obj(
            ["total", "byStatus"],
            total={"type": "integer", "minimum": 0},
            byStatus=_counts(list(STATES)),
        ),
        byType={
            "type": "object",
            "required": list(PROXY_TYPES),
            "properties": {name: _counts(COUNTED_STATES) for name in PROXY_TYPES},
            "additionalProperties": False,
        },
        jobs={"type": "array", "items": _ref("Job")},
    ),
    "Cleanup": _obj(
        ["success", "message", "cleaned", "breakdown"],
        success={"type": "boolean", "enum": [True]},
        message={"type": "string"},
        cleaned={"type": "integer", "minimum": 0},
        breakdown=_counts(COUNTED_STATES),
    ),
}

ERRORS: dict[str, Any] = {
    "400": _json(_ref("Error"), "A bad parameter; the message lists what is valid."),
    "503": _json(_ref("Error"), "The job store (Redis) cannot be reached."),
    "500": _json(_ref("Error"), "An internal error; the server log has the details."),
}
UNAUTHORIZED = {"401": _json(_ref("Error"), "No valid API key (Authorization: Bearer).")}


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    parameters: list[dict[str, Any]],
    auth: bool,
) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameters,
        "responses": {**responses, **ERRORS, **(UNAUTHORIZED if auth else {})},
    }


def openapi_schema(base: str, auth: bool) -> dict[str, Any]:
    """The description for an app mounted at ``base``; ``auth`` when API keys are set."""
    type_in_path = {
        "name": "type",
        "in": "path",
        "required": True,
        "description": "The proxy type, dashed (pg-akademik) or with underscores.",
        "schema": {"type": "string", "enum": ACCEPTED_TYPES},
    }
    paths = {
        f"{base}/{{type}}/sync": {
            "post": _operation(
                "requestSync",
                "Queue a sync unless one is running or finished; force replaces it.",
                {
                    "200": _json(
                        {"oneOf": [_ref("SyncQueued"), _ref("SyncLastRun")]},
                        "Queued, or the last finished run (use force to run again).",
                    ),
                    "409": _json(_ref("SyncRunning"), "A sync of this type is running."),
                },
                [
                    type_in_path,
                    {
                        "name": "force",
                        "in": "query",
                        "required": False,
                        "description": "Remove this type's jobs (cancelling a running one) "
                        "and queue a new one.",
                        "schema": {"type": "boolean", "default": False},
                    },
                ],
                auth,
            )
        },
        f"{base}/status": {
            "get": _operation(
                "jobStatus",
                "One job's record and log.",
                {
                    "200": _json(_ref("JobStatus"), "The job."),
                    "404": _json(_ref("JobNotFound"), "No such job (cleaned up or replaced)."),
                },
                [
                    {
                        "name": "jobId",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "pattern": JOB_ID_PATTERN},
                    }
                ],
                auth,
            )
        },
        f"{base}/debug": {
            "get": _operation(
                "debug",
                "Counts by state and by type, and every job.",
                {"200": _json(_ref("Debug"), "Every job.")},
                [],
                auth,
            )
        },
        f"{base}/cleanup": {
            "post": _operation(
                "cleanup",
                "Remove every job of a type, or of all types; running ones are cancelled.",
                {"200": _json(_ref("Cleanup"), "What was removed.")},
                [
                    {
                        "name": "type",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ACCEPTED_TYPES},
                    }
                ],
                auth,
            )
        },
    }
    schema: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "proxytui sync API",
            "version": "1",
            "description": "Drive and watch the SIASN proxy data syncs.",
        },
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
    if auth:
        schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        schema["security"] = [{"bearer": []}]
    return schema
