"""Request parameters, checked strictly and answered in our own words.

Each route lists the query parameters it takes (`strict_query`): anything else, a
parameter given twice, or a value out of its form is a 400 that says what is valid. The
route still declares its parameters to FastAPI, which documents them; by the time FastAPI
reads them this check has passed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Path, Request

from tasks import jobs
from tasks.errors import InvalidJobId
from tasks.texts import text
from tui.api.errors import ApiError, echo
from tui.api.models import ACCEPTED_TYPES, CLEANUP_STATES, ROUTE_TYPES

JOB_ID_HINT = "proxy-<type>-<epoch ms>"
HISTORY_LIMIT = 50  # runs in a history answer when the client names no limit
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
FLAG_HINT = "true or false"
# BullMQ's names for a job that has not started, as a page written for it may send them.
STATE_ALIASES = {"wait": "waiting", "paused": "waiting", "prioritized": "waiting"}


@dataclass(frozen=True)
class Param:
    """A query parameter: a hint for messages, and a check that raises ApiError."""

    hint: str
    check: Callable[[str, str], object]
    required: bool = False


def strict_query(**params: Param) -> Callable[[Request], Awaitable[None]]:
    """A dependency refusing unknown, repeated or malformed query parameters."""

    async def check_query(request: Request) -> None:
        query = request.query_params
        unknown = sorted(set(query) - set(params))
        if unknown:
            valid = ", ".join(f"{name} ({param.hint})" for name, param in params.items())
            raise ApiError(
                400,
                "bad_parameter",
                text(
                    "api.param.unknown",
                    names=", ".join(echo(name) for name in unknown),
                    valid=valid or text("api.param.none"),
                ),
                valid=list(params),
            )
        for name, param in params.items():
            if param.required and name not in query:
                raise ApiError(
                    400, "bad_parameter", text("api.param.missing", name=name, hint=param.hint)
                )
        for name in query:
            if len(query.getlist(name)) > 1:
                raise ApiError(400, "bad_parameter", text("api.param.repeated", name=name))
            params[name].check(name, query[name])

    return check_query


def check_type(name: str, value: str) -> str:
    """A type exactly as the routes spell it (``pg-akademik`` or ``pg_akademik``)."""
    if value not in ACCEPTED_TYPES:
        raise ApiError(
            400,
            "bad_type",
            text("type.unknown", type=echo(value), valid=", ".join(ROUTE_TYPES)),
            valid=ROUTE_TYPES,
        )
    return value


def check_flag(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        message = text("api.param.bad", name=name, value=echo(value), hint=FLAG_HINT)
        raise ApiError(400, "bad_parameter", message)
    return lowered == "true"


def check_job_id(name: str, value: str) -> str:
    if not value:
        raise ApiError(
            400, "bad_parameter", text("api.param.missing", name=name, hint=JOB_ID_HINT)
        )
    try:
        return jobs.validate_job_id(value)
    except InvalidJobId as exc:
        raise ApiError(400, "bad_job_id", str(exc)) from None


def check_limit(name: str, value: str) -> int:
    """A history limit: a plain whole number from 1 to ``jobs.HISTORY_MAX``."""
    if _WHOLE_NUMBER.fullmatch(value) and 1 <= int(value) <= jobs.HISTORY_MAX:
        return int(value)
    raise ApiError(
        400, "bad_limit", text("history.bad_limit", limit=echo(value), maximum=jobs.HISTORY_MAX)
    )


def check_states(name: str, value: str) -> list[str]:
    """``completed,failed`` -> our state names; BullMQ's ``wait`` means waiting."""
    return states_of([part.strip() for part in value.split(",")])


def states_of(given: list[str]) -> list[str]:
    unknown = [state for state in given if state not in CLEANUP_STATES]
    if unknown or not given:
        shown = ", ".join(repr(echo(state)) for state in unknown) or "[]"
        raise ApiError(
            400,
            "bad_state",
            text("api.cleanup.bad_states", states=shown, valid=", ".join(CLEANUP_STATES)),
            valid=CLEANUP_STATES,
        )
    return list(dict.fromkeys(STATE_ALIASES.get(state, state) for state in given))


TYPE = Param(" | ".join(ROUTE_TYPES), check_type)
FORCE = Param(FLAG_HINT, check_flag)
JOB_ID = Param(JOB_ID_HINT, check_job_id, required=True)
STATES = Param("comma-separated job states", check_states)
LIMIT = Param(f"1 to {jobs.HISTORY_MAX}", check_limit)


async def proxy_type_path(
    type: Annotated[  # noqa: A002 - the path segment's name in the documented route
        str,
        Path(
            description="The proxy type, dashed (pg-akademik) or with underscores.",
            json_schema_extra={"enum": ACCEPTED_TYPES},
        ),
    ],
) -> str:
    return check_type("type", type)
