"""Where a setting comes from: the environment, then PROXYTUI_CONFIG's file, then ./.env."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.settings import Settings, SettingsError, load_settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_apply_when_nothing_is_set(workdir: Path) -> None:
    assert load_settings({}) == Settings()
    assert Settings().request_retries == 4 and Settings().fresh_for == 600.0


def test_dotenv_in_the_working_directory_is_read(workdir: Path) -> None:
    (workdir / ".env").write_text(
        "# comment\n\nexport PROXYTUI_KEY_PREFIX='fromdotenv:'\nSIASN_BASE_URL=\"http://dotenv\"\n"
    )
    settings = load_settings({})
    assert settings.key_prefix == "fromdotenv:"
    assert settings.siasn_base_url == "http://dotenv"


def test_config_file_wins_over_dotenv(workdir: Path) -> None:
    (workdir / ".env").write_text("PROXYTUI_KEY_PREFIX=dotenv:\nPROXYTUI_PAGE_CAP=10\n")
    config = workdir / "proxytui.conf"
    config.write_text("PROXYTUI_KEY_PREFIX=config:\n")
    settings = load_settings({"PROXYTUI_CONFIG": str(config)})
    assert settings.key_prefix == "config:"
    assert settings.page_cap == 10  # only in .env: still read


def test_environment_wins_over_both_files(workdir: Path) -> None:
    (workdir / ".env").write_text("PROXYTUI_KEY_PREFIX=dotenv:\n")
    config = workdir / "proxytui.conf"
    config.write_text("PROXYTUI_KEY_PREFIX=config:\nPROXYTUI_FETCH_CONCURRENCY_SKK=3\n")
    settings = load_settings(
        {"PROXYTUI_CONFIG": str(config), "PROXYTUI_KEY_PREFIX": "env:", "PROXYTUI_LANG": "id"}
    )
    assert settings.key_prefix == "env:"
    assert settings.lang == "id"
    assert settings.concurrency_for("skk") == 3  # the per-type variables come from files too


def test_an_empty_variable_means_unset(workdir: Path) -> None:
    (workdir / ".env").write_text("PROXYTUI_PAGE_CAP=10\n")
    assert load_settings({"PROXYTUI_PAGE_CAP": "", "PROXYTUI_STALL_AFTER": ""}).page_cap == 10


def test_a_missing_config_file_is_named(workdir: Path) -> None:
    with pytest.raises(SettingsError, match="PROXYTUI_CONFIG names .*nowhere.conf"):
        load_settings({"PROXYTUI_CONFIG": str(workdir / "nowhere.conf")})


def test_a_bad_value_in_a_file_is_named_like_one_in_the_environment(workdir: Path) -> None:
    (workdir / ".env").write_text("PROXYTUI_WORKER_TTL=soon\n")
    with pytest.raises(SettingsError) as info:
        load_settings({})
    assert str(info.value) == "PROXYTUI_WORKER_TTL='soon': use a number of seconds greater than 0."
