"""The ASGI app of the HTTP API: the routes under a base path, bearer keys, our error
JSON, and the OpenAPI document generated from the response models.

Every error is JSON ``{success: false, error, message}``; no stack trace reaches a
client. ``{base}/openapi.json`` needs no key; ``/metrics`` (at the root, whatever the base
path) needs one unless ``PROXYTUI_METRICS_PUBLIC`` is set.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.middleware import Middleware

from tasks.settings import get_settings
from tasks.texts import text
from tui.api.auth import ApiKey, BearerAuth, as_api_keys, parse_api_keys
from tui.api.errors import ErrorBoundary, add_error_handlers
from tui.api.models import Error
from tui.api.routes import METRICS_PATH, metrics_router, router
from tui.api.serve import DEFAULT_BASE_PATH

# How `proxytui serve` hands the base path to the app factory in each worker process.
BASE_PATH_ENV = "PROXYTUI_SERVE_BASE_PATH"

_BASE_PATH_RE = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$")


def normalize_base_path(path: str) -> str:
    """``/a/b/`` -> ``/a/b``; ``/`` -> ``""``. Raises ValueError for a path we cannot route."""
    cleaned = "/" + path.strip().strip("/") if path.strip().strip("/") else ""
    if not path.startswith("/") or not _BASE_PATH_RE.match(cleaned):
        raise ValueError(text("serve.bad_base_path", path=path))
    return cleaned


def _error(description: str) -> dict[str, Any]:
    return {"model": Error, "description": description}


def error_responses(auth: bool) -> dict[int | str, dict[str, Any]]:
    """The errors every route may answer with (documented on each operation)."""
    responses: dict[int | str, dict[str, Any]] = {
        400: _error("A bad parameter; the message says what is valid."),
        503: _error("The job store (Redis, or the embedded queue) cannot be reached."),
    }
    if auth:
        responses[401] = _error("No valid API key (Authorization: Bearer <key>).")
    return responses


def create_app(
    base_path: str = DEFAULT_BASE_PATH,
    api_keys: Iterable[ApiKey] | Mapping[str, str] | None = None,
    metrics_public: bool | None = None,
) -> FastAPI:
    """The ASGI app. ``api_keys`` defaults to ``PROXYTUI_API_KEYS``; a mapping is
    ``{name: key}`` of plain keys; none at all lets every request in. ``metrics_public``
    (default ``PROXYTUI_METRICS_PUBLIC``) lets a scraper read ``/metrics`` without a key."""
    settings = get_settings()
    base = normalize_base_path(base_path)
    keys = parse_api_keys(settings.api_keys) if api_keys is None else as_api_keys(api_keys)
    if metrics_public is None:
        metrics_public = settings.metrics_public
    schema_path = f"{base}/openapi.json"
    public = frozenset({schema_path, METRICS_PATH} if metrics_public else {schema_path})
    app = FastAPI(
        title="proxytui sync API",
        version="1",
        description="Drive and watch the SIASN proxy data syncs.",
        openapi_url=schema_path,
        docs_url=None,
        redoc_url=None,
        middleware=[
            Middleware(ErrorBoundary),
            Middleware(BearerAuth, keys=keys, public=public),
        ],
    )
    app.include_router(router, prefix=base, responses=error_responses(auth=bool(keys)))
    app.include_router(
        metrics_router, responses=error_responses(auth=bool(keys) and not metrics_public)
    )
    add_error_handlers(app)
    app.router.redirect_slashes = False  # a redirect has no JSON body: answer 404 instead
    app.state.route_list = [
        f"{method} {prefix}{route.path}"
        for prefix, routes in ((base, router.routes), ("", metrics_router.routes))
        for route in routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    ] + [f"GET {schema_path}"]
    app.openapi = lambda: _openapi(app, auth=bool(keys), public=public)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI, auth: bool, public: frozenset[str]) -> dict[str, Any]:
    """FastAPI's document, with our bearer scheme (and none on the public paths), without
    the 422 answers it adds by default (a request that fails validation is a 400 here),
    and with one operation id per method of a route that takes two (``requestSync_get``,
    ``requestSync_post``)."""
    if app.openapi_schema is None:
        with warnings.catch_warnings():  # the shared ids of such a route, renamed below
            warnings.simplefilter("ignore")
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
        for path in schema["paths"].values():
            for method, operation in path.items():
                operation.get("responses", {}).pop("422", None)
                if len(path) > 1:
                    operation["operationId"] = f"{operation['operationId']}_{method}"
        components = schema.setdefault("components", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(name, None)
        if auth:
            components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
            for path in public & schema["paths"].keys():
                for operation in schema["paths"][path].values():
                    operation["security"] = []
        app.openapi_schema = schema
    return app.openapi_schema


def app_from_environment() -> FastAPI:
    """The app factory `proxytui serve` gives uvicorn: every worker process builds its
    own app from the settings and the base path the parent put in the environment."""
    return create_app(os.environ.get(BASE_PATH_ENV, DEFAULT_BASE_PATH))
