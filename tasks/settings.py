"""Configuration, read once from the environment (and an optional config file).

Every time limit is a setting so that tests can run the whole life cycle of a job
(heartbeats, stalls, backoff, the attempt limit) in seconds instead of minutes.

Precedence: real environment variables, then the file named by ``PROXYTUI_CONFIG``,
then ``./.env``, then the defaults below.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir

from tasks.catalog import PROXY_TYPES


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


def default_database_url() -> str:
    return f"sqlite:///{Path(user_data_dir('proxytui')) / 'proxytui.db'}"


@dataclass(frozen=True)
class Settings:
    redis_url: str = "redis://localhost:6379/0"
    queue: str = "redis"
    database_url: str = field(default_factory=default_database_url)
    key_prefix: str = "proxytui:"
    lang: str = ""

    siasn_base_url: str = "https://api-siasn.bkn.go.id"
    siasn_token: str = field(default="", repr=False)
    siasn_token_file: str = ""
    siasn_token_redis_key: str = "bknsiasn:access_token"

    # Job life cycle, in seconds.
    heartbeat_interval: float = 5.0
    stall_after: float = 30.0
    reaper_interval: float = 5.0
    worker_ttl: float = 15.0
    backoff_base: float = 5.0
    max_attempts: int = 3
    attempt_limit: float = 1800.0
    poll_interval: float = 1.0
    redis_socket_timeout: float = 2.0

    # Upstream client.
    fetch_concurrency: int = 4
    fetch_concurrency_by_type: tuple[tuple[str, int], ...] = ()
    request_retries: int = 4
    request_backoff: float = 0.5
    page_cap: int = 5000

    # HTTP API (tui/http_api.py): "name:key,name2:key2"; kept out of repr.
    api_keys: str = field(default="", repr=False)

    # Datasets (issue 13): freshness window, schedules, the run ledger, metrics.
    fresh_for: float = 600.0
    schedule: str = ""
    tz: str = ""
    schedule_grace: float = 3600.0
    history_keep: int = 1000
    metrics_public: bool = False

    def concurrency_for(self, proxy_type: str) -> int:
        return dict(self.fetch_concurrency_by_type).get(proxy_type, self.fetch_concurrency)

    @property
    def embedded(self) -> bool:
        """True when the queue and job state live in a SQLite file instead of Redis."""
        return self.queue.startswith("sqlite:")

    @property
    def queue_path(self) -> str:
        return self.queue.split("sqlite:///", 1)[1] if self.embedded else ""

    @property
    def backend_label(self) -> str:
        """Where job state lives, safe to show to anyone (password masked)."""
        return self.queue if self.embedded else mask_url(self.redis_url)


def mask_url(url: str) -> str:
    """Hide the password in a URL so that it can be shown or logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


# Environment variable -> Settings field.
ENV_NAMES: dict[str, str] = {
    "PROXYTUI_REDIS_URL": "redis_url",
    "PROXYTUI_QUEUE": "queue",
    "PROXYTUI_DATABASE_URL": "database_url",
    "PROXYTUI_KEY_PREFIX": "key_prefix",
    "PROXYTUI_LANG": "lang",
    "SIASN_BASE_URL": "siasn_base_url",
    "SIASN_TOKEN": "siasn_token",
    "SIASN_TOKEN_FILE": "siasn_token_file",
    "SIASN_TOKEN_REDIS_KEY": "siasn_token_redis_key",
    "PROXYTUI_HEARTBEAT_INTERVAL": "heartbeat_interval",
    "PROXYTUI_STALL_AFTER": "stall_after",
    "PROXYTUI_REAPER_INTERVAL": "reaper_interval",
    "PROXYTUI_WORKER_TTL": "worker_ttl",
    "PROXYTUI_BACKOFF_BASE": "backoff_base",
    "PROXYTUI_MAX_ATTEMPTS": "max_attempts",
    "PROXYTUI_ATTEMPT_LIMIT": "attempt_limit",
    "PROXYTUI_POLL_INTERVAL": "poll_interval",
    "PROXYTUI_REDIS_SOCKET_TIMEOUT": "redis_socket_timeout",
    "PROXYTUI_FETCH_CONCURRENCY": "fetch_concurrency",
    "PROXYTUI_REQUEST_RETRIES": "request_retries",
    "PROXYTUI_REQUEST_BACKOFF": "request_backoff",
    "PROXYTUI_PAGE_CAP": "page_cap",
    "PROXYTUI_API_KEYS": "api_keys",
    "PROXYTUI_FRESH_FOR": "fresh_for",
    "PROXYTUI_SCHEDULE": "schedule",
    "PROXYTUI_TZ": "tz",
    "PROXYTUI_SCHEDULE_GRACE": "schedule_grace",
    "PROXYTUI_HISTORY_KEEP": "history_keep",
    "PROXYTUI_METRICS_PUBLIC": "metrics_public",
}
# Float settings for which 0 is a meaningful value (no freshness window, no grace).
ZERO_ALLOWED = ("fresh_for", "schedule_grace")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored; quotes stripped."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        values[key] = value.strip().strip("'\"")
    return values


def gather_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    environ = dict(os.environ if environ is None else environ)
    merged: dict[str, str] = {}
    dotenv = Path.cwd() / ".env"
    if dotenv.is_file():
        merged.update(read_env_file(dotenv))
    config = environ.get("PROXYTUI_CONFIG")
    if config:
        path = Path(config).expanduser()
        if not path.is_file():
            raise SettingsError(f"PROXYTUI_CONFIG names {path}, which is not a readable file")
        merged.update(read_env_file(path))
    merged.update(environ)
    return merged


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from the environment; a bad value raises SettingsError naming it."""
    env = gather_environment(environ)
    types = {f.name: f.type for f in fields(Settings)}
    values: dict[str, object] = {}
    for name, attr in ENV_NAMES.items():
        raw = env.get(name)
        if raw is None or raw == "":
            continue
        kind = types[attr]
        try:
            if kind == "float":
                value: object = float(raw)
                low_ok = value == 0 and attr in ZERO_ALLOWED
                if not (low_ok or 0 < value < math.inf):  # type: ignore[operator]  # nan fails
                    raise ValueError
            elif kind == "bool":
                word = raw.strip().lower()
                if word not in TRUE_WORDS + FALSE_WORDS:
                    raise SettingsError(f"{name}={raw!r}: use 1 or 0 (true or false)")
                value = word in TRUE_WORDS
            elif kind == "int":
                value = int(raw)
                if value < 1:  # type: ignore[operator]
                    raise ValueError
            else:
                value = raw
        except ValueError:
            raise SettingsError(f"{name}={raw!r} is not a positive {kind}") from None
        values[attr] = value
    per_type = []
    for proxy_type in PROXY_TYPES:
        raw = env.get(f"PROXYTUI_FETCH_CONCURRENCY_{proxy_type.upper()}")
        if raw:
            if not raw.isdigit() or int(raw) < 1:
                raise SettingsError(
                    f"PROXYTUI_FETCH_CONCURRENCY_{proxy_type.upper()}={raw!r} "
                    "is not a positive int"
                )
            per_type.append((proxy_type, int(raw)))
    values["fetch_concurrency_by_type"] = tuple(per_type)
    settings = Settings(**values)  # type: ignore[arg-type]
    if not (settings.queue == "redis" or settings.queue.startswith("sqlite:///")):
        raise SettingsError(
            f"PROXYTUI_QUEUE={settings.queue!r}: use 'redis' or 'sqlite:///path/to/queue.db'"
        )
    if settings.lang and settings.lang.strip().lower() not in ("en", "id"):
        # Unlike LANG, this one is ours: a typo should not quietly mean English.
        raise SettingsError(f"PROXYTUI_LANG={settings.lang!r}: use 'en' or 'id'")
    if settings.tz:
        try:
            ZoneInfo(settings.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"PROXYTUI_TZ={settings.tz!r} is not a time zone; use a name such as "
                "Asia/Jakarta, or leave it empty for the host's zone"
            ) from None
    return settings


_current: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def configure(settings: Settings | None = None, **overrides: object) -> Settings:
    """Replace the process-wide settings (the demo and tests use this)."""
    global _current
    base = settings or get_settings()
    _current = replace(base, **overrides) if overrides else base
    return _current
