"""The HTTP API: the job contract of `tasks.jobs` over HTTP, for scripts and services.

A thin layer. Each route checks its parameters, calls one function of `tasks.jobs` and
maps the answer to a status code; it holds no job logic of its own. The routes are plain
functions, so Starlette runs them in its threadpool and the blocking Redis calls never
stall the event loop.

    POST {base}/{type}/sync[?force=true]   request_sync   200 queued / last run, 409 running
    GET  {base}/status?jobId=...           job_status     200, 400 bad id, 404 unknown job
    GET  {base}/debug                      list_jobs      200 counts and every job
    POST {base}/cleanup[?type=...]         cleanup        200
    GET  {base}/openapi.json               this API's OpenAPI description (no key needed)

Every error is JSON ``{success: false, error, message}``; no stack trace reaches a client.
"""

from __future__ import annotations

import hmac
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasks import jobs
from tasks.catalog import PROXY_TYPES, UnknownProxyType
from tasks.errors import BackendUnavailable, InvalidJobId
from tasks.settings import SettingsError, get_settings
from tasks.texts import text
from tui.http_api_schema import (
    ACCEPTED_TYPES,
    COUNTED_STATES,
    DEFAULT_BASE_PATH,
    ROUTE_TYPES,
    openapi_schema,
)

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
MAX_ECHO = 60

_BASE_PATH_RE = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$")


class ApiError(Exception):
    """An answer other than success: a status code, a short code and a sentence."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


# -- configuration --------------------------------------------------------------------


def parse_api_keys(raw: str) -> dict[str, str]:
    """``name:key,name2:key2`` -> ``{name: key}``; raises SettingsError (never shows a key)."""
    keys: dict[str, str] = {}
    for index, entry in enumerate(raw.split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, key = entry.partition(":")
        name, key = name.strip(), key.strip()
        if not (sep and name and key):
            raise SettingsError(text("api.keys.bad", index=index))
        if name in keys or key in keys.values():
            raise SettingsError(text("api.keys.duplicate", name=name))
        keys[name] = key
    return keys


def normalize_base_path(path: str) -> str:
    """``/a/b/`` -> ``/a/b``; ``/`` -> ``""``. Raises ValueError for a path we cannot route."""
    cleaned = "/" + path.strip().strip("/") if path.strip().strip("/") else ""
    if not path.startswith("/") or not _BASE_PATH_RE.match(cleaned):
        raise ValueError(text("serve.bad_base_path", path=path))
    return cleaned


# -- middleware -----------------------------------------------------------------------


class BearerAuth:
    """Lets a request through only with ``Authorization: Bearer <key>`` for a known key;
    the key's name becomes ``requestedBy``. With no keys configured everyone is let in
    (``serve`` only allows that on a loopback address)."""

    def __init__(self, app: ASGIApp, keys: Mapping[str, str], public: frozenset[str]) -> None:
        self.app = app
        self.keys = [(name, key.encode()) for name, key in keys.items()]
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if not self.keys:
            state["client_name"] = ANONYMOUS
        elif scope["path"] not in self.public:
            name = self.identify(scope)
            if name is None:
                client = (scope.get("client") or ("?",))[0]
                log.warning(
                    "rejected %s %s from %s: no valid API key",
                    scope["method"],
                    scope["path"],
                    client,
                )
                response = error_response(
                    ApiError(401, "unauthorized", text("api.unauthorized")),
                    headers={"WWW-Authenticate": 'Bearer realm="proxytui"'},
                )
                await response(scope, receive, send)
                return
            state["client_name"] = name
        await self.app(scope, receive, send)

    def identify(self, scope: Scope) -> str | None:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"bearer" or not token.strip():
            return None
        token = token.strip()
        found = None
        for name, key in self.keys:  # compare with every key: no early exit to time
            if hmac.compare_digest(token, key):
                found = name
        return found


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


# -- errors ---------------------------------------------------------------------------


def error_response(exc: ApiError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"success": False, "error": exc.code, "message": exc.message, **exc.extra}
    return JSONResponse(body, status_code=exc.status, headers=headers)


def _echo(value: str) -> str:
    return value if len(value) <= MAX_ECHO else f"{value[:MAX_ECHO]}…"


def _one_line(value: str) -> str:
    return " ".join(value.split())


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def on_backend_unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BackendUnavailable)
    key = "backend.sqlite_unreachable" if get_settings().embedded else "backend.unreachable"
    message = _one_line(text(key, url=exc.url, reason=exc.reason))
    log.warning("backend unavailable: %s", exc)
    return error_response(
        ApiError(503, "backend_unavailable", message), headers={"Retry-After": "5"}
    )


async def on_unknown_type(request: Request, exc: Exception) -> Response:
    """A type the route let through but the catalog does not know (a catalog change)."""
    assert isinstance(exc, UnknownProxyType)
    return error_response(ApiError(400, "bad_type", str(exc), valid=ROUTE_TYPES))


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    routes: list[str] = request.app.state.route_list
    if exc.status_code == 404:
        error = ApiError(
            404,
            "no_route",
            text(
                "api.route.unknown",
                method=request.method,
                path=_echo(request.url.path),
                routes="; ".join(routes),
            ),
            routes=routes,
        )
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        error = ApiError(
            405,
            "method_not_allowed",
            text(
                "api.route.method",
                method=request.method,
                path=_echo(request.url.path),
                allowed=allowed,
            ),
        )
    else:
        error = ApiError(exc.status_code, "http_error", str(exc.detail))
    return error_response(error, headers=exc.headers)


# -- parameters -----------------------------------------------------------------------


def query_params(request: Request, allowed: Mapping[str, str]) -> dict[str, str]:
    """The query parameters, each at most once and each one of ``allowed`` (name -> hint);
    anything else is a 400 that lists what the route takes."""
    params = request.query_params
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        valid = ", ".join(f"{name} ({hint})" for name, hint in allowed.items())
        raise ApiError(
            400,
            "bad_parameter",
            text(
                "api.param.unknown",
                names=", ".join(_echo(n) for n in unknown),
                valid=valid or text("api.param.none"),
            ),
            valid=list(allowed),
        )
    for name in params:
        if len(params.getlist(name)) > 1:
            raise ApiError(400, "bad_parameter", text("api.param.repeated", name=name))
    return dict(params)


def proxy_type_param(value: str) -> str:
    """A type exactly as the routes spell it (``pg-akademik`` or ``pg_akademik``)."""
    if value not in ACCEPTED_TYPES:
        raise ApiError(
            400,
            "bad_type",
            text("type.unknown", type=_echo(value), valid=", ".join(ROUTE_TYPES)),
            valid=ROUTE_TYPES,
        )
    return value


def flag_param(name: str, value: str | None) -> bool:
    if value is None:
        return False
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ApiError(
            400,
            "bad_parameter",
            text("api.param.bad", name=name, value=_echo(value), hint="true or false"),
        )
    return lowered == "true"


def requested_by(request: Request) -> str:
    return getattr(request.state, "client_name", ANONYMOUS)


# -- routes ---------------------------------------------------------------------------


def sync_route(request: Request) -> Response:
    params = query_params(request, {"force": "true or false"})
    proxy_type = proxy_type_param(request.path_params["type"])
    force = flag_param("force", params.get("force"))
    answer = jobs.request_sync(proxy_type, force=force, requested_by=requested_by(request))
    if force:
        log.info("forced %s sync by %s: %s", proxy_type, requested_by(request), answer["jobId"])
    return JSONResponse(answer, status_code=409 if answer["status"] == "running" else 200)


def status_route(request: Request) -> Response:
    params = query_params(request, {"jobId": "proxy-<type>-<epoch ms>"})
    job_id = params.get("jobId")
    if not job_id:
        raise ApiError(
            400,
            "bad_parameter",
            text("api.param.missing", name="jobId", hint="proxy-<type>-<epoch ms>"),
        )
    try:
        record = jobs.job_status(job_id)
    except InvalidJobId as exc:
        raise ApiError(400, "bad_job_id", str(exc)) from None
    if not record["found"]:
        raise ApiError(404, "job_not_found", record["message"], found=False, jobId=job_id)
    return JSONResponse({"success": True, **record})


def debug_route(request: Request) -> Response:
    query_params(request, {})
    groups = jobs.list_jobs()
    by_type = {name: dict.fromkeys(COUNTED_STATES, 0) for name in PROXY_TYPES}
    for state, records in groups.items():
        counted = "active" if state == "stalled" else state
        for record in records:
            by_type[record["type"]][counted] += 1
    every = [record for records in groups.values() for record in records]
    return JSONResponse(
        {
            "success": True,
            "summary": {
                "total": len(every),
                "byStatus": {state: len(records) for state, records in groups.items()},
            },
            "byType": by_type,
            "jobs": every,
        }
    )


def cleanup_route(request: Request) -> Response:
    params = query_params(request, {"type": " | ".join(ROUTE_TYPES)})
    proxy_type = params.get("type")
    if proxy_type is not None:
        proxy_type_param(proxy_type)
    answer = jobs.cleanup(proxy_type)
    log.info(
        "cleanup of %s by %s: %s job(s)",
        proxy_type or "every type",
        requested_by(request),
        answer["cleaned"],
    )
    return JSONResponse(answer)


# -- the app --------------------------------------------------------------------------


def create_app(
    base_path: str = DEFAULT_BASE_PATH, api_keys: Mapping[str, str] | None = None
) -> Starlette:
    """The ASGI app. ``api_keys`` (name -> key) defaults to ``PROXYTUI_API_KEYS``; an
    empty mapping lets every request in."""
    base = normalize_base_path(base_path)
    keys = parse_api_keys(get_settings().api_keys) if api_keys is None else dict(api_keys)
    schema = openapi_schema(base, auth=bool(keys))
    schema_path = f"{base}/openapi.json"

    async def openapi_route(request: Request) -> Response:  # no I/O: skip the threadpool
        return JSONResponse(schema)

    routes = [
        Route(f"{base}/status", status_route, methods=["GET"]),
        Route(f"{base}/debug", debug_route, methods=["GET"]),
        Route(f"{base}/cleanup", cleanup_route, methods=["POST"]),
        Route(schema_path, openapi_route, methods=["GET"]),
        Route(f"{base}/{{type}}/sync", sync_route, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(ErrorBoundary),
            Middleware(BearerAuth, keys=keys, public=frozenset({schema_path})),
        ],
        exception_handlers={
            ApiError: on_api_error,
            BackendUnavailable: on_backend_unavailable,
            UnknownProxyType: on_unknown_type,
            HTTPException: on_http_exception,
        },
    )
    app.router.redirect_slashes = False  # a redirect has no JSON body: answer 404 instead
    app.state.route_list = [
        f"POST {base}/{{type}}/sync",
        f"GET {base}/status?jobId=<jobId>",
        f"GET {base}/debug",
        f"POST {base}/cleanup",
        f"GET {schema_path}",
    ]
    return app
