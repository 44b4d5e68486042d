"""Who is calling: bearer keys from ``PROXYTUI_API_KEYS``, and the user a forwarder names.

``PROXYTUI_API_KEYS=name:key[:forwarder][,name2:key2...]``. A key's name is the
``requestedBy`` of what it asks for. A key marked ``forwarder`` belongs to a trusted
front end (the web app that signs its users in) and may name the user it acts for in
``X-Forwarded-User``; that user becomes ``requestedBy``. Any other key's header is
ignored, so a plain key cannot pass itself off as someone else.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from tasks.settings import SettingsError
from tasks.texts import text
from tui.api.errors import ApiError, error_response

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
FORWARDER = "forwarder"
FORWARDED_USER = "X-Forwarded-User"
MAX_USER_LENGTH = 100


@dataclass(frozen=True)
class ApiKey:
    name: str
    key: str = ""
    forwarder: bool = False


def parse_api_keys(raw: str) -> list[ApiKey]:
    """``name:key[:forwarder],...`` -> keys; raises SettingsError (never shows a key).

    A key may itself hold colons; only a final ``:forwarder`` marks a forwarder."""
    keys: list[ApiKey] = []
    for index, entry in enumerate(raw.split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, key = entry.partition(":")
        forwarder = key.endswith(":" + FORWARDER)
        if forwarder:
            key = key[: -len(FORWARDER) - 1]
        name, key = name.strip(), key.strip()
        if not (sep and name and key):
            raise SettingsError(text("api.keys.bad", index=index))
        if any(name == k.name or key == k.key for k in keys):
            raise SettingsError(text("api.keys.duplicate", name=name))
        keys.append(ApiKey(name, key, forwarder))
    return keys


def as_api_keys(keys: Iterable[ApiKey] | Mapping[str, str]) -> list[ApiKey]:
    """Keys as `ApiKey`s; a mapping is ``{name: key}`` of plain (non-forwarder) keys."""
    if isinstance(keys, Mapping):
        return [ApiKey(name, key) for name, key in keys.items()]
    return list(keys)


class BearerAuth:
    """Lets a request through only with ``Authorization: Bearer <key>`` for a known key
    and records the caller in the request state. With no keys configured everyone is let
    in as ``anonymous`` (``serve`` only allows that on a loopback address)."""

    def __init__(self, app: ASGIApp, keys: Iterable[ApiKey], public: frozenset[str]) -> None:
        self.app = app
        self.keys = [(k, k.key.encode()) for k in keys]
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if not self.keys:
            state["caller"] = ApiKey(ANONYMOUS)
        elif scope["path"] not in self.public:
            caller = self.identify(scope)
            if caller is None:
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
            state["caller"] = caller
        await self.app(scope, receive, send)

    def identify(self, scope: Scope) -> ApiKey | None:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"bearer" or not token.strip():
            return None
        token = token.strip()
        found = None
        for key, secret in self.keys:  # compare with every key: no early exit to time
            if hmac.compare_digest(token, secret):
                found = key
        return found


async def requested_by(
    request: Request,
    forwarded_user: Annotated[
        str | None,
        Header(
            alias=FORWARDED_USER,
            max_length=MAX_USER_LENGTH,
            description="The signed-in user a forwarder key acts for; becomes requestedBy. "
            "Ignored for other keys.",
        ),
    ] = None,
) -> str:
    """The ``requestedBy`` of this request: the forwarded user for a forwarder key that
    names one, else the key's name."""
    caller: ApiKey = getattr(request.state, "caller", ApiKey(ANONYMOUS))
    user = " ".join((forwarded_user or "").split())
    if caller.forwarder and user:
        return user
    return caller.name
