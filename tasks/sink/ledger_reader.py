"""Reading the run ledger over one long-lived connection per process.

The dashboard asks for the overview every second; opening a database connection per
poll would cost more than the query. A reader keeps its connection, reconnects after
an error, and turns any trouble into `DatasetUnavailable` so the caller can say
"dataset unknown: <reason>" and go on. A database without a ledger yet (nothing ever
published) reads as no runs; a SQLite file that does not exist is not created.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tasks.errors import DatasetUnavailable
from tasks.settings import mask_url
from tasks.sink.ledger import (
    POSTGRES,
    SQLITE,
    Dialect,
    Latest,
    RunEntry,
    Summary,
    entry_from_row,
    history_sql,
    summary_from_rows,
    summary_sql,
)
from tasks.texts import text

log = logging.getLogger(__name__)

READ_TIMEOUT = 3.0  # seconds: connect timeout, and how long a read waits for a lock


def _reason(exc: BaseException) -> str:
    said = str(exc).strip() or type(exc).__name__
    return said.splitlines()[0][:200]


class LedgerReader(ABC):
    """The ledger's read side: the overview's newest runs, history, totals."""

    dialect: Dialect

    def __init__(self, label: str) -> None:
        self.label = label
        self._lock = threading.Lock()

    @abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query; [] when the ledger does not exist yet; DatasetUnavailable on
        any other trouble."""

    def summary(self, types: Sequence[str]) -> Summary:
        """The newest run, success and failure of every type, and the run totals: one
        query whose cost does not grow with the history."""
        return summary_from_rows(self._rows(summary_sql(self.dialect)), types)

    def latest(self, types: Sequence[str]) -> dict[str, Latest]:
        return self.summary(types).latest

    def history(self, proxy_type: str | None, limit: int) -> list[RunEntry]:
        sql, params = history_sql(self.dialect, proxy_type, limit)
        return [entry_from_row(row) for row in self._rows(sql, params)]

    def totals(self, types: Sequence[str]) -> dict[tuple[str, str], int]:
        """Runs ever recorded, by (type, state)."""
        return self.summary(types).totals

    @abstractmethod
    def close(self) -> None: ...


class SqliteLedgerReader(LedgerReader):
    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        super().__init__(f"sqlite:///{path}")
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        if not self.path.exists():
            return None  # nothing synced yet; do not create the file from the read side
        conn = sqlite3.connect(
            self.path, timeout=READ_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(READ_TIMEOUT * 1000)}")
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                conn = self._connect()
                if conn is None:
                    return []
                return conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return []
                self._drop()
                raise DatasetUnavailable(self.label, _reason(exc)) from exc
            except sqlite3.Error as exc:
                self._drop()
                raise DatasetUnavailable(self.label, _reason(exc)) from exc

    def _drop(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()


class PostgresLedgerReader(LedgerReader):
    dialect = POSTGRES

    def __init__(self, url: str) -> None:
        from tasks.sink.postgres import normalise_url

        super().__init__(mask_url(url))
        self.url = normalise_url(url)
        self._conn: Any = None
        self._pid = 0

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            import psycopg
        except ImportError:
            raise DatasetUnavailable(self.label, text("sink.reader.driver_missing")) from None
        with self._lock:
            try:
                if self._conn is None or self._conn.closed or self._pid != os.getpid():
                    self._conn = psycopg.connect(
                        self.url,
                        autocommit=True,
                        connect_timeout=int(READ_TIMEOUT),
                        application_name="proxytui-ledger",
                        # The ledger's queries are a few index probes: compiling them
                        # (JIT, on a misestimate of a small, much-updated table) costs
                        # milliseconds and saves nothing.
                        options="-c jit=off",
                    )
                    self._pid = os.getpid()
                return self._conn.execute(sql, list(params)).fetchall()
            except psycopg.errors.UndefinedTable:
                return []
            except psycopg.Error as exc:
                self._drop()
                raise DatasetUnavailable(self.label, _reason(exc)) from exc

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and self._pid == os.getpid():
            try:
                conn.close()
            except Exception as exc:  # noqa: BLE001 - a broken connection is dropped anyway
                log.debug("closing the ledger connection: %s", exc)

    def close(self) -> None:
        with self._lock:
            self._drop()


def open_ledger_reader(database_url: str) -> LedgerReader:
    """The reader for a destination database URL (as in PROXYTUI_DATABASE_URL)."""
    url = database_url.strip()
    scheme = url.partition("://")[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        from tasks.sink.base import SinkConfigError
        from tasks.sink.sqlite import path_from_url

        try:
            return SqliteLedgerReader(path_from_url(url))
        except SinkConfigError as exc:
            raise DatasetUnavailable(url, str(exc)) from None
    if scheme in ("postgresql", "postgres"):
        return PostgresLedgerReader(url)
    raise DatasetUnavailable(mask_url(url), text("sink.reader.url_unsupported"))
