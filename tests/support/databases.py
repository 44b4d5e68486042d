"""Real databases for tests: a SQLite file per test, a fresh PostgreSQL database per session.

PostgreSQL comes from ``PROXYTUI_TEST_POSTGRES_URL`` (default: the local trust-auth
server). Each pytest session (each xdist worker) creates its own database named
``proxytui_test_<random>`` and drops it at the end, so concurrent runs never collide;
each test starts with an empty ``siasn_proxy`` schema. Tests are skipped, not failed,
when no server answers.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ADMIN_URL = os.environ.get(
    "PROXYTUI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database URL in the test's own temporary directory."""
    return f"sqlite:///{tmp_path / 'proxytui.db'}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a database created for this session and dropped after it."""
    psycopg = pytest.importorskip("psycopg")
    name = f"proxytui_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(ADMIN_URL, name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session database with an empty ``siasn_proxy`` schema."""
    import psycopg

    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS siasn_proxy CASCADE")
    return postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each sink in turn: run a test against SQLite and against PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(fixture)


def live_rows(database_url: str, table: str, columns: str = "*") -> list[tuple]:
    """Every row of a live table (``siasn_proxy.<table>`` on PostgreSQL), ordered by id."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(database_url[len("sqlite:///") :])
        try:
            return conn.execute(f'SELECT {columns} FROM "{table}" ORDER BY id').fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(f'SELECT {columns} FROM siasn_proxy."{table}" ORDER BY id').fetchall()


def execute_live(database_url: str, table: str, sql: str) -> None:
    """Run one statement against a live table, written with ``{table}`` for its
    qualified name: what a person editing the table by hand would do."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(database_url[len("sqlite:///") :])
        try:
            with conn:
                conn.execute(sql.format(table=f'"{table}"'))
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(database_url) as conn:
        conn.execute(sql.format(table=f'siasn_proxy."{table}"'))
