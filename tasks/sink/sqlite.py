"""The default sink: a SQLite file in WAL mode.

WAL lets readers (the deployment's read side, the dashboard) keep reading their snapshot
while a publish transaction runs, so they never see an empty or half-filled table.

Staging is a TEMP table of the run's own connection: private to the run by
construction, kept in a temporary file (not the shared database, so staging never takes
the database's write lock and never bloats it), and gone with the connection, so even a
killed worker leaves nothing stale behind.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tasks.catalog import ProxyType, TableSpec
from tasks.sink.base import (
    META_COLUMNS,
    Published,
    Record,
    Sink,
    SinkConfigError,
    SinkError,
    StagedTable,
    check_columns,
    chunks,
    column_defs,
    quote,
    staging_prefix,
)
from tasks.sink.ledger import DEFAULT_KEEP, SQLITE, RunEntry, ensure_ledger, write_run
from tasks.sqlite_wal import use_wal
from tasks.texts import text

log = logging.getLogger(__name__)

SQLITE_TYPES = {
    "text": "TEXT",
    "int": "INTEGER",
    "bool": "BOOLEAN",
    "json": "TEXT",
    "timestamp": "TEXT",
}
# ISO 8601 in UTC, the same shape as the timestamps we store.
NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
BUSY_TIMEOUT_MS = 60_000
# A row of these tables is 1-4 KB of text: 4 KB pages (SQLite's default) hold one row
# each and waste a quarter of the file; 16 KB pages hold five, and publish runs about
# twice as fast (bench/bench_publish.py). Only a new database file takes the page size.
PAGE_SIZE = 16_384
CACHE_KIB = 8_192  # per connection; SQLite's default of 2 MB makes publish thrash
# SQLite's limit on bound parameters (32766 since 3.32) bounds rows per statement.
_MAX_PARAMS = 32_000


def path_from_url(url: str) -> Path:
    """``sqlite:///abs/path.db`` or ``sqlite:///rel.db`` -> a Path (``~`` expanded)."""
    if not url.startswith("sqlite:///"):
        raise SinkConfigError(text("sink.sqlite_url_bad", url=url))
    raw = url[len("sqlite:///") :]
    if not raw:
        raise SinkConfigError(text("sink.sqlite_url_no_file"))
    return Path(raw).expanduser()


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN ourselves), WAL, patient locks."""
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before WAL, or it is ignored
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    use_wal(conn, BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA temp_store = FILE")
    return conn


def create_table_sql(table: TableSpec) -> str:
    columns = column_defs(table, SQLITE_TYPES, f"({NOW_SQL})")
    return f"CREATE TABLE IF NOT EXISTS {quote(table.name)} ({columns})"


def ensure_table(conn: sqlite3.Connection, table: TableSpec) -> None:
    """Create the live table if missing; refuse one that lacks our columns."""
    conn.execute(create_table_sql(table))
    have = {row[1] for row in conn.execute(f"PRAGMA main.table_info({quote(table.name)})")}
    check_columns(table.name, table, have)


class SqliteStagedTable(StagedTable):
    now_sql = NOW_SQL
    same_row = "IS"  # SQLite's IS compares row values null-safely

    def __init__(self, conn: sqlite3.Connection, proxy: ProxyType) -> None:
        super().__init__(proxy, f"{staging_prefix(proxy)}{secrets.token_hex(6)}")
        self._conn = conn
        cols = [f"{quote('_hash')} TEXT PRIMARY KEY", "_src_id TEXT", "_reject TEXT"]
        cols += [f"{quote(c.name)} {SQLITE_TYPES[c.type]}" for c in self.table.columns]
        conn.execute(f"CREATE TEMP TABLE {self.staging_ref} ({', '.join(cols)})")
        width = len(self.all_columns)
        self._batch = max(1, _MAX_PARAMS // width)
        self._insert_sql = (
            f"INSERT INTO {self.staging_ref} VALUES ({', '.join('?' * width)}) "
            f"ON CONFLICT (_hash) DO NOTHING"
        )

    @property
    def staging_ref(self) -> str:
        return f"temp.{quote(self.name)}"

    @property
    def live_ref(self) -> str:
        return f"main.{quote(self.table.name)}"

    def _insert(self, records: Sequence[Record]) -> int:
        with self._transaction():
            before = self._conn.total_changes
            for batch in chunks(records, self._batch):
                self._conn.executemany(self._insert_sql, batch)
            return self._conn.total_changes - before

    def _known(self, hashes: Sequence[str]) -> set[str]:
        known: set[str] = set()
        for batch in chunks(hashes, _MAX_PARAMS):
            marks = ", ".join("?" * len(batch))
            sql = f"SELECT _hash FROM {self.staging_ref} WHERE _hash IN ({marks})"
            known.update(h for (h,) in self._conn.execute(sql, batch))
        return known

    @contextmanager
    def _transaction(self, *, live: bool = False) -> Iterator[None]:
        # Staging work touches only the temp database, so a deferred BEGIN never takes
        # the shared file's write lock. Publish takes it up front (IMMEDIATE): it waits
        # for other writers (busy_timeout) instead of failing half-way through.
        if live:
            # The commit would otherwise copy the whole new table from the WAL into the
            # database before returning; readers see the new rows at commit either way,
            # so that copy runs after it, without holding the write lock.
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
        self._conn.execute("BEGIN IMMEDIATE" if live else "BEGIN")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _tidy_live(self, published: Published) -> None:
        """Copy the WAL into the database as far as readers allow (never waits for them)."""
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # the rows are published; the next writer checkpoints
            log.warning("checkpoint after publishing %s failed: %s", self.table.name, exc)

    def _execute(self, sql: str) -> Any:
        return self._conn.execute(sql)

    def _write_run(self, entry: RunEntry, keep: int) -> None:
        write_run(self._conn, SQLITE, entry, keep)

    def _lock_live(self) -> None:
        pass  # BEGIN IMMEDIATE already made us the only writer

    def _prepare_publish(self) -> None:
        # The diff looks staged rows up by id, which only finalize made final.
        self._conn.execute(
            f"CREATE INDEX IF NOT EXISTS temp.{quote(self.name + '_id')} ON {quote(self.name)} (id)"
        )

    def _drop(self) -> None:
        # No DROP TABLE: a TEMP table lives and dies with its connection, and closing
        # discards its file at once, where a DROP first frees every page of it one by
        # one (about 0.7 s per 100,000 rows, on every sync's critical path).
        try:
            self._conn.close()
        except sqlite3.Error as exc:
            log.warning("could not close the connection of staging table %s: %s", self.name, exc)


class SqliteSink(Sink):
    """Live tables in one SQLite file (no schema; table names as on PostgreSQL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = f"sqlite:///{path}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SinkConfigError(
                text("sink.sqlite_no_directory", directory=path.parent, reason=exc)
            ) from exc

    def connect(self) -> sqlite3.Connection:
        try:
            return connect(self.path)
        except sqlite3.Error as exc:
            raise SinkError(text("sink.sqlite_cannot_open", path=self.path, reason=exc)) from exc

    def staging(self, proxy: ProxyType) -> SqliteStagedTable:
        conn = self.connect()
        try:
            ensure_table(conn, proxy.table)
            ensure_ledger(conn, SQLITE)
            return SqliteStagedTable(conn, proxy)
        except BaseException:
            conn.close()
            raise

    def count(self, proxy: ProxyType) -> int:
        conn = self.connect()
        try:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (proxy.table.name,),
            ).fetchone()
            if not exists:
                return 0
            return conn.execute(f"SELECT count(*) FROM {quote(proxy.table.name)}").fetchone()[0]
        finally:
            conn.close()

    def record_run(self, entry: RunEntry, keep: int = DEFAULT_KEEP) -> None:
        conn = self.connect()
        try:
            ensure_ledger(conn, SQLITE)
            conn.execute("BEGIN IMMEDIATE")
            try:
                write_run(conn, SQLITE, entry, keep)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise SinkError(
                text("sink.record_run_failed", jobId=entry.job_id, database=self.path, reason=exc)
            ) from exc
        finally:
            conn.close()


__all__ = ["META_COLUMNS", "SqliteSink", "SqliteStagedTable", "path_from_url"]
