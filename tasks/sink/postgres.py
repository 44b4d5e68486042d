"""The production sink: PostgreSQL, schema ``siasn_proxy``, bulk loading with COPY.

psycopg is imported lazily so that the base install (SQLite only) works without the
``postgres`` extra.

Staging is an UNLOGGED table in the same schema, named per run
(``_staging_<type>_<random>``): unlogged because it is rebuilt on every run anyway, and a
real table rather than TEMP so that it survives connection poolers between statements.
The run holds a session advisory lock on its staging table for as long as it lives; a
staging table of the same type whose lock is free belongs to a crashed run and is
dropped when the next run of that type starts.

Publish is ``LOCK ... IN EXCLUSIVE MODE`` (other publishers wait, readers do not), then
the diff of `StagedTable.publish` in one transaction: MVCC readers keep seeing the old
rows until commit. Each replaced row stays behind as a dead tuple, so a commit that
removed rows is followed by a VACUUM of the live table rather than leaving it to
autovacuum, which may be off or far behind: without it each sync's churn stays in the
table, and the next publish's unique-key checks wade through those dead rows.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tasks.catalog import ProxyType, TableSpec
from tasks.settings import mask_url
from tasks.sink.base import (
    SCHEMA,
    MissingDriver,
    Published,
    Record,
    Sink,
    SinkError,
    StagedTable,
    check_columns,
    column_defs,
    quote,
    staging_prefix,
)
from tasks.sink.ledger import DEFAULT_KEEP, POSTGRES, RunEntry, ensure_ledger, write_run
from tasks.texts import text

if TYPE_CHECKING:
    import psycopg
    from psycopg.errors import Diagnostic

log = logging.getLogger(__name__)


def one_value(cursor: psycopg.Cursor[Any]) -> Any:
    """The single value a one-row query answers with (every caller's query always has a row)."""
    row = cursor.fetchone()
    if row is None:
        raise SinkError(text("sink.pg_no_row"))
    return row[0]

PG_TYPES = {
    "text": "text",
    "int": "integer",
    "bool": "boolean",
    "json": "jsonb",
    "timestamp": "timestamptz",
}
PAGE_BUFFER = "_proxytui_page"
# Serialises our DDL across workers (CREATE SCHEMA/TABLE IF NOT EXISTS can race).
_DDL_LOCK = int.from_bytes(
    hashlib.blake2b(b"proxytui:ddl", digest_size=8).digest(), "big", signed=True
)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise MissingDriver(text("sink.pg_driver_missing")) from None
    return psycopg


def lock_key(name: str) -> int:
    """The advisory-lock key that marks a staging table as owned by a live run."""
    digest = hashlib.blake2b(f"proxytui:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def normalise_url(url: str) -> str:
    """Accept SQLAlchemy-style ``postgresql+psycopg://`` too."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


def live_ref(table: TableSpec) -> str:
    return f"{SCHEMA}.{quote(table.name)}"


def create_table_sql(table: TableSpec) -> str:
    columns = column_defs(table, PG_TYPES, "now()")
    return f"CREATE TABLE IF NOT EXISTS {live_ref(table)} ({columns})"


def ensure_schema(conn: psycopg.Connection) -> None:
    """Inside a transaction: take the DDL lock, create the schema and the run ledger if
    missing."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
    # Only when missing: even IF NOT EXISTS needs CREATE on the database, which a
    # writer role given just the schema need not have.
    if one_value(conn.execute("SELECT to_regnamespace(%s)", (SCHEMA,))) is None:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    ensure_ledger(conn, POSTGRES)


def ensure_table(conn: psycopg.Connection, table: TableSpec) -> None:
    """Create the schema, the ledger and the live table if missing; refuse a live table
    that lacks our columns."""
    with conn.transaction():
        ensure_schema(conn)
        conn.execute(create_table_sql(table))
        have = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s",
                (SCHEMA, table.name),
            )
        }
    check_columns(f"{SCHEMA}.{table.name}", table, have)


def drop_stale_staging(conn: psycopg.Connection, proxy: ProxyType) -> list[str]:
    """Drop staging tables of this type whose owner's advisory lock is free."""
    pattern = staging_prefix(proxy).replace("_", r"\_") + "%"
    names = [
        r[0]
        for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE %s",
            (SCHEMA, pattern),
        )
    ]
    dropped = []
    for name in names:
        key = lock_key(name)
        if not one_value(conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))):
            continue  # a live run (perhaps a superseded one still winding down) owns it
        try:
            conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{quote(name)}")
            dropped.append(name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
    if dropped:
        log.info("dropped stale staging tables: %s", ", ".join(dropped))
    return dropped


class PostgresStagedTable(StagedTable):
    now_sql = "now()"
    # A live table made by an older deployment may hold json, which has no equality.
    live_casts = {"json": "::jsonb"}

    def __init__(self, conn: psycopg.Connection, proxy: ProxyType) -> None:
        super().__init__(proxy, f"{staging_prefix(proxy)}{secrets.token_hex(6)}")
        self._conn = conn
        self._key = lock_key(self.name)
        # Lock before the table exists, so no cleanup can ever see it ownerless.
        conn.execute("SELECT pg_advisory_lock(%s)", (self._key,))
        cols = ["_hash text PRIMARY KEY", "_src_id text", "_reject text"]
        cols += [f"{quote(c.name)} {PG_TYPES[c.type]}" for c in self.table.columns]
        with conn.transaction():
            conn.execute(f"CREATE UNLOGGED TABLE {self.staging_ref} ({', '.join(cols)})")
            # Each page is COPYed here, then merged with ON CONFLICT (COPY has none).
            conn.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {PAGE_BUFFER} "
                f"(LIKE {self.staging_ref}) ON COMMIT DELETE ROWS"
            )
        names = ", ".join(quote(n) for n in self.all_columns)
        self._copy_sql = f"COPY {PAGE_BUFFER} ({names}) FROM STDIN"
        self._merge_sql = (
            f"INSERT INTO {self.staging_ref} ({names}) SELECT {names} FROM {PAGE_BUFFER} "
            f"ON CONFLICT (_hash) DO NOTHING"
        )
        self._known_sql = f"SELECT _hash FROM {self.staging_ref} WHERE _hash = ANY(%s)"
        self._row_sql = (
            f"INSERT INTO {self.staging_ref} ({names}) "
            f"VALUES ({', '.join(['%s'] * len(self.all_columns))}) "
            f"ON CONFLICT (_hash) DO NOTHING"
        )

    @property
    def staging_ref(self) -> str:
        return f"{SCHEMA}.{quote(self.name)}"

    @property
    def live_ref(self) -> str:
        return live_ref(self.table)

    def _insert(self, records: Sequence[Record]) -> int:
        psycopg = _psycopg()
        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                with cur.copy(self._copy_sql) as copy:
                    for record in records:
                        copy.write_row(record)
                cur.execute(self._merge_sql)
                return cur.rowcount
        except psycopg.DataError as exc:
            # We validate every value first, so this is rare: find the rows the database
            # refuses one by one and keep them as rejected instead of failing the page.
            log.warning("%s: a page was refused (%s); staging it row by row", self.name, exc)
            return self._insert_one_by_one(records)

    def _insert_one_by_one(self, records: Sequence[Record]) -> int:
        psycopg = _psycopg()
        new = 0
        with self._conn.cursor() as cur:
            for record in records:
                try:
                    with self._conn.transaction():
                        cur.execute(self._row_sql, record)
                except psycopg.DataError as exc:
                    reason = exc.diag.message_primary or str(exc)
                    record = (record[0], record[1], f"database refused the row: {reason}")
                    record += (None,) * self._width
                    with self._conn.transaction():
                        cur.execute(self._row_sql, record)
                new += cur.rowcount
        return new

    def _known(self, hashes: Sequence[str]) -> set[str]:
        rows = self._conn.execute(self._known_sql, (list(hashes),)).fetchall()
        return {h for (h,) in rows}

    @contextmanager
    def _transaction(self, *, live: bool = False) -> Iterator[None]:
        with self._conn.transaction():
            yield

    def _execute(self, sql: str) -> Any:
        return self._conn.execute(sql)

    def _write_run(self, entry: RunEntry, keep: int) -> None:
        write_run(self._conn, POSTGRES, entry, keep)

    def _lock_live(self) -> None:
        # EXCLUSIVE conflicts with other writers (a concurrent publish of the same table
        # waits, and then its DELETE sees our rows) but not with readers' ACCESS SHARE.
        self._conn.execute(f"LOCK TABLE {self.live_ref} IN EXCLUSIVE MODE")

    def _prepare_publish(self) -> None:
        # The diff hashes the staged rows, a few KB each. With the default work_mem of
        # 4 MB the hash spills a full copy of them to temporary files (about 40% of the
        # diff's time at 100,000 rows); 64 MB, for this transaction only, spills far less.
        self._conn.execute("SET LOCAL work_mem = '64MB'")

    def _tidy_live(self, published: Published) -> None:
        # What autovacuum would do, done now because it may be off or far behind: VACUUM
        # when we left dead rows, ANALYZE when a tenth of the table or more changed.
        psycopg = _psycopg()
        vacuum = published.removed > 0
        analyze = (published.written + published.removed) * 10 >= max(published.total, 1)
        if not (vacuum or analyze):
            return
        # SKIP_LOCKED: a publish of the same table waiting for its turn goes first; this
        # is skipped (with a WARNING) rather than queued behind it.
        if vacuum:
            sql = f"VACUUM ({'ANALYZE, ' if analyze else ''}SKIP_LOCKED) {self.live_ref}"
        else:
            sql = f"ANALYZE (SKIP_LOCKED) {self.live_ref}"
        done = " and ".join(w for w, on in (("vacuumed", vacuum), ("analyzed", analyze)) if on)
        problems: list[str] = []

        def keep_warning(diag: Diagnostic) -> None:
            if diag.severity_nonlocalized == "WARNING":
                problems.append(diag.message_primary or "")

        started = time.perf_counter()
        self._conn.add_notice_handler(keep_warning)
        try:
            self._conn.execute(sql)
        except psycopg.Error as exc:
            problems.append(f"failed ({exc})")
        finally:
            self._conn.remove_notice_handler(keep_warning)
        for message in problems:  # e.g. skipped: only the table's owner may vacuum it
            log.warning(
                "%s of %s after publishing: %s; the rows are published, the table waits "
                "for autovacuum or the next sync",
                sql.split(" (")[0],
                self.live_ref,
                message,
            )
        if not problems:
            log.info("%s %s in %.2f s", done, self.live_ref, time.perf_counter() - started)

    def _drop(self) -> None:
        try:
            if not self._conn.closed:
                self._conn.execute(f"DROP TABLE IF EXISTS {self.staging_ref}")
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        except Exception as exc:  # noqa: BLE001 - a broken connection must not mask the cause
            log.warning(
                "could not drop staging table %s (%s); the next %s run drops it",
                self.name,
                exc,
                self.proxy.name,
            )
        finally:
            self._conn.close()


class PostgresSink(Sink):
    """Live tables in schema ``siasn_proxy`` of a PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.label = mask_url(self.url)
        _psycopg()  # fail early, with the install hint, when the driver is missing

    def connect(self) -> psycopg.Connection:
        psycopg = _psycopg()
        try:
            return psycopg.connect(
                self.url, autocommit=True, connect_timeout=10, application_name="proxytui"
            )
        except psycopg.OperationalError as exc:
            raise SinkError(
                text("sink.pg_cannot_connect", database=self.label, reason=str(exc).strip())
            ) from exc

    def staging(self, proxy: ProxyType) -> PostgresStagedTable:
        conn = self.connect()
        try:
            ensure_table(conn, proxy.table)
            drop_stale_staging(conn, proxy)
            return PostgresStagedTable(conn, proxy)
        except BaseException:
            conn.close()
            raise

    def count(self, proxy: ProxyType) -> int:
        with self.connect() as conn:
            exists = one_value(
                conn.execute("SELECT to_regclass(%s::text)", (live_ref(proxy.table),))
            )
            if exists is None:
                return 0
            return int(one_value(conn.execute(f"SELECT count(*) FROM {live_ref(proxy.table)}")))

    def record_run(self, entry: RunEntry, keep: int = DEFAULT_KEEP) -> None:
        psycopg = _psycopg()
        with self.connect() as conn:
            try:
                with conn.transaction():
                    ensure_schema(conn)
                with conn.transaction():
                    write_run(conn, POSTGRES, entry, keep)
            except psycopg.Error as exc:
                raise SinkError(
                    text(
                        "sink.record_run_failed",
                        jobId=entry.job_id,
                        database=self.label,
                        reason=str(exc).strip(),
                    )
                ) from exc


__all__ = ["PostgresSink", "PostgresStagedTable", "SinkError"]
