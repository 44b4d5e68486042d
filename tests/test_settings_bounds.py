"""Each setting's bounds say what it means, and a refusal is one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

import tasks.settings as settings_module
from tasks.errors import ProxytuiError
from tasks.settings import ENV_NAMES, Settings, SettingsError, configure, load_settings


@pytest.fixture(autouse=True)
def _no_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray ./.env


def refusal(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    message = str(info.value)
    assert "\n" not in message and isinstance(info.value, ProxytuiError)
    return message


def test_zero_retries_is_a_choice() -> None:
    # Fail on the first error instead of retrying: valid, as is a zero backoff.
    settings = load_settings(
        {"PROXYTUI_REQUEST_RETRIES": "0", "PROXYTUI_REQUEST_BACKOFF": "0",
         "PROXYTUI_BACKOFF_BASE": "0", "PROXYTUI_FRESH_FOR": "0"}
    )
    assert (settings.request_retries, settings.request_backoff) == (0, 0.0)
    assert (settings.backoff_base, settings.fresh_for) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("name", "raw", "rule"),
    [
        ("PROXYTUI_REQUEST_RETRIES", "-1", "a whole number, 0 or more"),
        ("PROXYTUI_MAX_ATTEMPTS", "0", "a whole number, 1 or more"),
        ("PROXYTUI_PAGE_CAP", "2.5", "a whole number, 1 or more"),
        ("PROXYTUI_HISTORY_KEEP", "0", "a whole number, 1 or more"),
        ("PROXYTUI_FETCH_CONCURRENCY_PG_PROFESI", "0", "a whole number, 1 or more"),
        ("PROXYTUI_STALL_AFTER", "0", "a number of seconds greater than 0"),
        ("PROXYTUI_HEARTBEAT_INTERVAL", "nan", "a number of seconds greater than 0"),
        ("PROXYTUI_ATTEMPT_LIMIT", "inf", "a number of seconds greater than 0"),
        ("PROXYTUI_FRESH_FOR", "-5", "a number of seconds, 0 or more"),
        ("PROXYTUI_METRICS_PUBLIC", "maybe", "true or false"),
        ("PROXYTUI_QUEUE", "rabbit", "'redis' or 'sqlite:///path/to/queue.db'"),
        ("PROXYTUI_LANG", "fr", "'en' or 'id'"),
    ],
)
def test_a_value_out_of_bounds_is_named_with_what_to_use(name: str, raw: str, rule: str) -> None:
    assert refusal({name: raw, "PROXYTUI_LANG": "en"} if name != "PROXYTUI_LANG"
                   else {name: raw}) == f"{name}={raw!r}: use {rule}."


def test_the_refusal_speaks_the_operator_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROXYTUI_LANG", "id")
    assert refusal({"PROXYTUI_PAGE_CAP": "0"}) == (
        "PROXYTUI_PAGE_CAP='0': gunakan bilangan bulat, 1 atau lebih."
    )


def test_every_variable_name_is_read() -> None:
    # Same names as before the move to pydantic-settings, one per field.
    assert set(ENV_NAMES) >= {
        "PROXYTUI_REDIS_URL", "PROXYTUI_QUEUE", "PROXYTUI_DATABASE_URL", "SIASN_TOKEN",
        "SIASN_BASE_URL", "SIASN_TOKEN_FILE", "SIASN_TOKEN_REDIS_KEY", "PROXYTUI_API_KEYS",
        "PROXYTUI_FRESH_FOR", "PROXYTUI_SCHEDULE", "PROXYTUI_TZ", "PROXYTUI_SCHEDULE_GRACE",
        "PROXYTUI_HISTORY_KEEP", "PROXYTUI_METRICS_PUBLIC",
    }
    samples = {"int": "7", "float": "7.5", "bool": "true", "str": "sqlite:///x.db"}
    for name, field in ENV_NAMES.items():
        kind = Settings.model_fields[field].annotation.__name__
        value = {"PROXYTUI_LANG": "en", "PROXYTUI_TZ": "Asia/Jakarta"}.get(name, samples[kind])
        loaded = getattr(load_settings({name: value}), field)
        assert loaded == getattr(Settings(**{field: loaded}), field) != getattr(Settings(), field)


def test_secrets_stay_out_of_repr() -> None:
    settings = load_settings({"SIASN_TOKEN": "s3cret", "PROXYTUI_API_KEYS": "ci:k3y"})
    assert settings.siasn_token == "s3cret"
    assert "s3cret" not in repr(settings) and "k3y" not in repr(settings)


def test_configure_takes_overrides_and_checks_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "_current", None)  # restored after the test
    base = Settings(key_prefix="t:")
    assert configure(base, max_attempts=1).max_attempts == 1
    assert configure(base, max_attempts=1).key_prefix == "t:"
    with pytest.raises(SettingsError, match="PROXYTUI_MAX_ATTEMPTS=0: use a whole number"):
        configure(base, max_attempts=0)
