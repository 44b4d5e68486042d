"""Configuration, read once from the environment (and an optional config file).

Every time limit is a setting so that tests can run the whole life cycle of a job
(heartbeats, stalls, backoff, the attempt limit) in seconds instead of minutes.

Precedence: real environment variables, then the file named by ``PROXYTUI_CONFIG``,
then ``./.env``, then the defaults below. ``Settings(...)`` alone is the defaults plus
what it is given; ``load_settings()`` is what reads the environment and the files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir
from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from tasks.catalog import PROXY_TYPES
from tasks.errors import ProxytuiError
from tasks.texts import text

ENV_PREFIX = "PROXYTUI_"
PER_TYPE_CONCURRENCY = ENV_PREFIX + "FETCH_CONCURRENCY_"


class SettingsError(ProxytuiError, ValueError):
    """A setting has a value we cannot use; the message names the variable."""


def default_database_url() -> str:
    return f"sqlite:///{Path(user_data_dir('proxytui')) / 'proxytui.db'}"


Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A duration that must pass before something happens: zero would mean a busy loop."""
Wait = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A wait that may be zero (retry at once, never fresh)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        frozen=True,
        extra="ignore",
        populate_by_name=True,
    )

    redis_url: str = "redis://localhost:6379/0"
    queue: str = "redis"
    database_url: str = Field(default_factory=default_database_url)
    key_prefix: str = "proxytui:"
    lang: str = ""

    siasn_base_url: str = Field(
        "https://api-siasn.bkn.go.id", validation_alias="SIASN_BASE_URL"
    )
    siasn_token: str = Field("", repr=False, validation_alias="SIASN_TOKEN")
    siasn_token_file: str = Field("", validation_alias="SIASN_TOKEN_FILE")
    siasn_token_redis_key: str = Field(
        "bknsiasn:access_token", validation_alias="SIASN_TOKEN_REDIS_KEY"
    )

    # SIASN_* variables are shared with the seed's other tools, so they carry no prefix.

    # Job life cycle, in seconds.
    heartbeat_interval: Seconds = 5.0
    stall_after: Seconds = 30.0
    reaper_interval: Seconds = 5.0
    worker_ttl: Seconds = 15.0
    backoff_base: Wait = 5.0
    max_attempts: Annotated[int, Field(ge=1)] = 3
    attempt_limit: Seconds = 1800.0
    poll_interval: Seconds = 1.0
    redis_socket_timeout: Seconds = 2.0

    # Upstream client.
    fetch_concurrency: Annotated[int, Field(ge=1)] = 4
    # PROXYTUI_FETCH_CONCURRENCY_<TYPE>: one variable per proxy type, gathered by load_settings.
    fetch_concurrency_by_type: dict[str, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict, exclude=True
    )
    request_retries: Annotated[int, Field(ge=0)] = 4
    request_backoff: Wait = 0.5
    page_cap: Annotated[int, Field(ge=1)] = 5000

    # HTTP API (tui/api/): "name:key[:forwarder],..."; kept out of repr.
    api_keys: str = Field("", repr=False)

    # A completed sync younger than this answers a new request instead of queueing one.
    fresh_for: Wait = 600.0
    # Cron expression(s) for scheduled syncs; empty = no schedule.
    schedule: str = ""
    # Time zone of the schedule; empty = the host's zone.
    tz: str = ""
    # How late a missed scheduled slot may still run.
    schedule_grace: Wait = 3600.0
    # Runs kept in the ledger per type.
    history_keep: Annotated[int, Field(ge=1)] = 1000
    # Serve /metrics without an API key.
    metrics_public: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what the constructor is given: the environment is read by load_settings."""
        return (init_settings,)

    @field_validator("queue")
    @classmethod
    def _known_queue(cls, value: str) -> str:
        if value != "redis" and not value.startswith("sqlite:///"):
            raise ValueError(text("settings.queue"))
        return value

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(text("settings.tz")) from None
        return value

    @field_validator("lang")
    @classmethod
    def _known_lang(cls, value: str) -> str:
        # Unlike LANG, this one is ours: a typo should not quietly mean English.
        if value and value.strip().lower() not in ("en", "id"):
            raise ValueError(text("settings.lang"))
        return value

    def concurrency_for(self, proxy_type: str) -> int:
        return self.fetch_concurrency_by_type.get(proxy_type, self.fetch_concurrency)

    def replace(self, **changes: object) -> Settings:
        """A copy with ``changes`` applied and validated (bad values raise SettingsError)."""
        return _build({**self._fields(), **changes})

    def _fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}

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


def env_name(field: str) -> str:
    """The environment variable that sets ``field``."""
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else ENV_PREFIX + field.upper()


# Environment variable -> Settings field (the per-type concurrency variables aside).
ENV_NAMES: dict[str, str] = {
    env_name(field): field
    for field in Settings.model_fields
    if field != "fetch_concurrency_by_type"
}


# What a validation error's location may say (field name or alias) -> field.
_FIELD_OF: dict[str, str] = {
    **{field: field for field in Settings.model_fields},
    **{name: field for name, field in ENV_NAMES.items()},
}


class _Environ(EnvSettingsSource):
    """pydantic-settings' environment source, over a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # As the stock source does with this model's config: names in any case, empty = unset.
        return {key.lower(): value for key, value in self._environ.items() if value}


def _env_files(environ: Mapping[str, str]) -> list[Path]:
    """./.env, then the file named by PROXYTUI_CONFIG (later files win)."""
    files = [Path.cwd() / ".env"]
    config = environ.get("PROXYTUI_CONFIG")
    if config:
        path = Path(config).expanduser()
        if not path.is_file():
            raise SettingsError(text("settings.config_missing", path=path))
        files.append(path)
    return files


def _per_type_concurrency(*sources: Mapping[str, str | None]) -> dict[str, str]:
    """PROXYTUI_FETCH_CONCURRENCY_<TYPE> of the known types (any case), later sources winning."""
    found: dict[str, str] = {}
    for source in sources:
        upper = {key.upper(): value for key, value in source.items() if value}
        for proxy_type in PROXY_TYPES:
            value = upper.get(PER_TYPE_CONCURRENCY + proxy_type.upper())
            if value:
                found[proxy_type] = value
    return found


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment; a bad value raises SettingsError naming it."""
    environ = os.environ if environ is None else environ
    dotenv = DotEnvSettingsSource(Settings, env_file=_env_files(environ))
    from_env = _Environ(Settings, environ)
    values: dict[str, Any] = {**dotenv(), **from_env()}
    per_type = _per_type_concurrency(dotenv.env_vars, environ)
    if per_type:
        values["fetch_concurrency_by_type"] = per_type
    return _build(values)


def _build(values: dict[str, Any]) -> Settings:
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    """The first problem, as NAME='value': what to use instead."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    field = _FIELD_OF.get(loc[0], loc[0])
    if field == "fetch_concurrency_by_type" and len(loc) > 1:
        name = PER_TYPE_CONCURRENCY + loc[1].upper()
    else:
        name = env_name(field) if field in Settings.model_fields else loc[0]
    return text("settings.invalid", name=name, value=error.get("input"), rule=_rule(field, error))


def _rule(field: str, error: Mapping[str, Any]) -> str:
    """What a valid value looks like, from the field's own bounds."""
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    info: FieldInfo | None = Settings.model_fields.get(field)
    if field == "fetch_concurrency_by_type" or info is None:
        return text("settings.rule.count", min=1)
    bounds = {
        kind: getattr(meta, kind)
        for meta in info.metadata
        for kind in ("gt", "ge")
        if getattr(meta, kind, None) is not None
    }
    if info.annotation is bool:
        return text("settings.rule.bool")
    if info.annotation is int:
        return text("settings.rule.count", min=bounds.get("ge", 0))
    if "gt" in bounds:
        return text("settings.rule.seconds_positive")
    return text("settings.rule.seconds")


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
    _current = base.replace(**overrides) if overrides else base
    return _current
