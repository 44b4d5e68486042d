"""Every answer other than success: ``{success: false, error, message}`` with the right
status code, and never a stack trace.

Routes raise `ApiError`; the handlers here turn it, the errors of ``tasks.jobs``, the
router's 404/405 and FastAPI's request validation into that JSON. `ErrorBoundary` is the
last line for anything else: a JSON 500 with a reference, the trace in the server log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasks.catalog import UnknownProxyType
from tasks.errors import BackendUnavailable, DatasetUnavailable, InvalidJobState, InvalidLimit
from tasks.settings import get_settings
from tasks.texts import text
from tui.api.models import ROUTE_TYPES

log = logging.getLogger(__name__)

MAX_ECHO = 60


class ApiError(Exception):
    """An answer other than success: a status code, a short code and a sentence; any
    ``extra`` fields join the JSON body."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def error_response(exc: ApiError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"success": False, "error": exc.code, "message": exc.message, **exc.extra}
    return JSONResponse(body, status_code=exc.status, headers=headers)


def echo(value: str) -> str:
    """A client's value, short enough to quote back in a message."""
    return value if len(value) <= MAX_ECHO else f"{value[:MAX_ECHO]}…"


def one_line(value: str) -> str:
    return " ".join(value.split())


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def on_backend_unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BackendUnavailable)
    key = "backend.sqlite_unreachable" if get_settings().embedded else "backend.unreachable"
    message = one_line(text(key, url=exc.url, reason=exc.reason))
    log.warning("backend unavailable: %s", exc)
    return error_response(
        ApiError(503, "backend_unavailable", message), headers={"Retry-After": "5"}
    )


async def on_dataset_unavailable(request: Request, exc: Exception) -> Response:
    """The destination database (the run ledger) cannot be read: history has no answer."""
    assert isinstance(exc, DatasetUnavailable)
    message = one_line(text("dataset.unreachable", url=exc.url, reason=exc.reason))
    log.warning("database unavailable: %s", exc)
    return error_response(
        ApiError(503, "dataset_unavailable", message), headers={"Retry-After": "5"}
    )


async def on_unknown_type(request: Request, exc: Exception) -> Response:
    """A type the route let through but the catalog does not know (a catalog change)."""
    assert isinstance(exc, UnknownProxyType)
    return error_response(ApiError(400, "bad_type", str(exc), valid=ROUTE_TYPES))


async def on_invalid_state(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidJobState)
    return error_response(ApiError(400, "bad_state", str(exc)))


async def on_invalid_limit(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidLimit)
    return error_response(ApiError(400, "bad_limit", str(exc)))


async def on_request_validation(request: Request, exc: Exception) -> Response:
    """FastAPI's own checks (the JSON body, a header): a 400 naming the first problem."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "body"
    reason = one_line(str(first.get("msg", "invalid")))
    return error_response(
        ApiError(400, "bad_parameter", text("api.param.invalid", name=echo(where), reason=reason))
    )


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    routes: list[str] = request.app.state.route_list
    where = {"method": request.method, "path": echo(request.url.path)}
    if exc.status_code == 404:
        message = text("api.route.unknown", routes="; ".join(routes), **where)
        error = ApiError(404, "no_route", message, routes=routes)
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        message = text("api.route.method", allowed=allowed, **where)
        error = ApiError(405, "method_not_allowed", message)
    else:
        error = ApiError(exc.status_code, "http_error", one_line(str(exc.detail)))
    return error_response(error, headers=exc.headers)


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(BackendUnavailable, on_backend_unavailable)
    app.add_exception_handler(DatasetUnavailable, on_dataset_unavailable)
    app.add_exception_handler(UnknownProxyType, on_unknown_type)
    app.add_exception_handler(InvalidLimit, on_invalid_limit)
    app.add_exception_handler(InvalidJobState, on_invalid_state)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(HTTPException, on_http_exception)


class ErrorBoundary:
    """The last line: any exception a route lets escape becomes a JSON 500 with a
    reference; the stack trace goes to the server log, never to the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            ref = uuid.uuid4().hex[:12]
            log.exception("internal error (ref %s) on %s %s", ref, scope["method"], scope["path"])
            if started:  # too late for a JSON answer: let the server close the connection
                raise
            await error_response(ApiError(500, "internal", text("api.internal", ref=ref)))(
                scope, receive, send
            )
