"""Find the SIASN bearer token when an attempt starts.

Another process in the deployment refreshes the token and keeps it in a Redis string
key, so the worker looks it up at run time (and again on a retry) instead of holding it
in a job. The token is never logged and never returned in an error message.
"""

from __future__ import annotations

import logging
from pathlib import Path

import redis

from tasks.settings import Settings, mask_url
from tasks.siasn.errors import TokenMissing, TokenUnavailable

log = logging.getLogger(__name__)


def _clean(raw: str | bytes | None) -> str:
    """Strip whitespace, quotes and a "Bearer " prefix someone may have stored too."""
    if raw is None:
        return ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.strip().strip("'\"").strip()
    if text[:7].lower() == "bearer ":
        text = text[7:].strip()
    return text


def resolve_token(settings: Settings) -> str:
    """SIASN_TOKEN, else SIASN_TOKEN_FILE, else the Redis key; TokenMissing says what was tried."""
    tried: list[str] = []

    token = _clean(settings.siasn_token)
    if token:
        log.debug("SIASN token taken from SIASN_TOKEN")
        return token
    tried.append("SIASN_TOKEN (not set)")

    if settings.siasn_token_file:
        path = Path(settings.siasn_token_file).expanduser()
        try:
            token = _clean(path.read_text(encoding="utf-8"))
        except OSError as exc:
            tried.append(f"SIASN_TOKEN_FILE={path} (cannot read: {exc.strerror or exc})")
        else:
            if token:
                log.debug("SIASN token taken from SIASN_TOKEN_FILE %s", path)
                return token
            tried.append(f"SIASN_TOKEN_FILE={path} (empty)")
    else:
        tried.append("SIASN_TOKEN_FILE (not set)")

    key = settings.siasn_token_redis_key
    where = f"Redis key {key!r} at {mask_url(settings.redis_url)}"
    timeout = min(settings.redis_socket_timeout, 5.0)
    client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        token = _clean(client.get(key))
    except redis.RedisError as exc:
        # Not permanent: Redis may be back by the next attempt, and the token with it.
        tried.append(f"{where} (unreachable: {exc})")
        raise TokenUnavailable(tried) from exc
    else:
        if token:
            log.debug("SIASN token taken from %s", where)
            return token
        tried.append(f"{where} (missing or empty)")
    finally:
        client.close()

    raise TokenMissing(tried)
