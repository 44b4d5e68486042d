"""What every destination database does: stage a run's rows, derive ids, publish.

A run never writes the live table until the end. Pages go into a staging table private
to the run, deduplicated there by content hash (so memory stays flat however large the
dataset), then `finalize` derives the final ids in one set-based pass (so they do not
depend on the upstream's unstable page order), and `publish` makes the live rows the
staged ones in a single transaction, writing only the difference, fenced on "is this run
still the current job?".

The SQL here is the part both backends share; `sqlite.py` and `postgres.py` supply
connections, DDL, bulk loading and the publish transaction.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, NamedTuple, TypeVar

from tasks.catalog import Column, ProxyType, TableSpec
from tasks.clean import Novelty, Rejected, RowFacts, preparer_for, row_facts, row_hash, source_id
from tasks.contract import FinalizeCounts
from tasks.errors import JobCancelled, PermanentFailure, ProxytuiError
from tasks.sink.ledger import DEFAULT_KEEP, RunEntry
from tasks.texts import text

log = logging.getLogger(__name__)

SCHEMA = "siasn_proxy"
STAGING_PREFIX = "_staging_"
# Bookkeeping columns of a staging table, ahead of the live table's own columns.
META_COLUMNS = ("_hash", "_src_id", "_reject")
REJECT_SAMPLES = 5


class SinkError(ProxytuiError):
    """The destination database refused something; the message says what to do."""


class SinkConfigError(SinkError, PermanentFailure):
    """PROXYTUI_DATABASE_URL is unusable (unknown scheme, no file name, unwritable place)."""


class SinkSchemaError(SinkError, PermanentFailure):
    """A live table exists but lacks columns we need; retrying cannot fix it."""


class MissingDriver(SinkConfigError):
    """The database URL needs a driver that is not installed."""


class FenceLost(JobCancelled):
    """Publish was rolled back because this run no longer owns its job."""


def quote(name: str) -> str:
    """Double-quoted identifier: keeps mixed case (``"StatusData"``) in both dialects."""
    return '"' + name.replace('"', '""') + '"'


def staging_prefix(proxy: ProxyType) -> str:
    return f"{STAGING_PREFIX}{proxy.name}_"


Record = tuple[Any, ...]
T = TypeVar("T")


class Published(NamedTuple):
    """What a publish did to the live table.

    ``total``: rows the live table holds now (every staged row that was not rejected).
    ``written``: rows inserted, new or changed; ``total - written`` were already there.
    ``removed``: live rows deleted, changed (and so written again) or gone upstream.
    """

    total: int
    written: int
    removed: int

    @property
    def unchanged(self) -> int:
        return self.total - self.written


class StagedTable(ABC):
    """One run's private copy of a table, from the first page to publish.

    Thread-safe: the page walker may call `stage` from its own threads.
    """

    #: SQL for "now" in the live table's timestamp type, used for default_now columns.
    now_sql = "now()"
    #: The dialect's null-safe equality of two row values (the publish diff).
    same_row = "IS NOT DISTINCT FROM"
    #: Where the dialect's live column types may differ from staging's: a cast of the
    #: live side, by column type, that makes the two comparable.
    live_casts: Mapping[str, str] = {}

    def __init__(self, proxy: ProxyType, name: str) -> None:
        self.proxy = proxy
        self.table: TableSpec = proxy.table
        self.name = name
        self.received = 0
        self.new = 0
        self._prepare = preparer_for(self.table)
        self._id_index = self.table.column_names.index("id")
        self._width = len(self.table.columns)
        self._lock = threading.RLock()
        self._closed = False
        self._writer: ThreadPoolExecutor | None = None
        self._writes: deque[tuple[Future[int], set[str]]] = deque()

    # -- names the shared SQL needs -------------------------------------------------

    @property
    @abstractmethod
    def staging_ref(self) -> str:
        """The staging table's qualified, quoted name."""

    @property
    @abstractmethod
    def live_ref(self) -> str:
        """The live table's qualified, quoted name."""

    @property
    def all_columns(self) -> tuple[str, ...]:
        return META_COLUMNS + self.table.column_names

    # -- backend hooks -----------------------------------------------------------------

    @abstractmethod
    def _insert(self, records: Sequence[Record]) -> int:
        """Add records to staging, ignoring known hashes; return how many were new."""

    @abstractmethod
    def _known(self, hashes: Sequence[str]) -> set[str]:
        """Which of these content hashes are already staged (one indexed lookup)."""

    @abstractmethod
    def _transaction(self, *, live: bool = False) -> AbstractContextManager[Any]:
        """A transaction: commit on success, roll back on any exception.

        ``live`` marks the publish transaction, the only one that writes a live table.
        """

    @abstractmethod
    def _execute(self, sql: str) -> Any:
        """Run one parameterless statement; return the cursor."""

    @abstractmethod
    def _lock_live(self) -> None:
        """Inside the publish transaction: serialise publishers, never block readers."""

    @abstractmethod
    def _prepare_publish(self) -> None:
        """Inside the publish transaction, before the diff: whatever makes joining the
        live table to staging on ``id`` cheap."""

    @abstractmethod
    def _drop(self) -> None:
        """Drop the staging table and release the connection (errors are logged)."""

    @abstractmethod
    def _write_run(self, entry: RunEntry, keep: int) -> None:
        """Inside the publish transaction: the run's ledger row (see tasks.sink.ledger)."""

    @abstractmethod
    def _tidy_live(self, published: Published) -> None:
        """After a publish that changed the live table has committed: the housekeeping
        its churn calls for, off the readers' path. Never raises: the rows are published."""

    # -- the public API ----------------------------------------------------------------

    def stage(self, rows: Sequence[Mapping[str, Any]]) -> Novelty:
        """Add a page of rows; say which were new to this run (by content hash).

        The row-offset walker advances by the rows past the page's leading run of rows
        already staged, so a page that starts early or repeats rows can never push the
        next offset past unseen rows (see `Novelty`). A rejected row is new the first
        time too: it was received, it is just unstorable.

        The count needs only the hashes, so after `write_behind` the cleaning and writing
        of the new rows happen in a background thread while the walker waits for its next
        page (HTTP waits release the GIL); a failed write surfaces at the next call.
        """
        facts = [self._facts(row) for row in rows]
        self._settle(self.write_lag)
        with self._lock:
            self._ensure_open()
            # Pages overlap (SIASN's lag repeats rows): only rows not staged yet are
            # cleaned and written. The sets live for a page or two: memory stays flat.
            known = self._known([f[0] for f in facts]) if facts else set()
            for _, pending in self._writes:
                known |= pending
            fresh: list[tuple[Any, RowFacts]] = []
            flags: list[bool] = []
            for row, fact in zip(rows, facts, strict=True):
                is_new = fact[0] not in known
                flags.append(is_new)
                if is_new:
                    known.add(fact[0])  # a repeat within the page is not new either
                    fresh.append((row, fact))
            self.received += len(facts)
            self.new += len(fresh)
            if fresh and self.write_lag:
                if self._writer is None:
                    self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"stage-{self.name}")
                hashes = {fact[0] for _, fact in fresh}
                self._writes.append((self._writer.submit(self._write, fresh), hashes))
            elif fresh:
                self._write(fresh)
        return Novelty.of(flags)

    #: Pages cleaned and written behind the walk (0: inside `stage`); see `write_behind`.
    write_lag = 0

    def write_behind(self, pages: int = 2) -> None:
        """Let `stage` return before its rows are written, at most `pages` pages behind."""
        self.write_lag = max(0, pages)

    def _write(self, fresh: list[tuple[Any, RowFacts]]) -> int:
        records = [self._record(row, fact) for row, fact in fresh]  # CPU: outside the lock
        with self._lock:
            if self._closed:
                return 0
            written = self._insert(records)
        if written != len(records):
            log.warning("%s: %d of %d new rows written", self.name, written, len(records))
        return written

    def _settle(self, behind: int = 0) -> None:
        """Wait until at most `behind` writes are pending; raise the first one that failed."""
        while self._writes and (len(self._writes) > behind or self._writes[0][0].done()):
            future, _ = self._writes[0]
            future.result()
            self._writes.popleft()

    def finalize(self) -> FinalizeCounts:
        """Give every staged row its final id, set-based and independent of page order.

        Within a group of distinct rows sharing an upstream id, the smallest content hash
        keeps the id and the others become ``<id>~<hash[:12]>``; a null id becomes
        ``null~<hash[:16]>``. Derived ids that still collide (an upstream id that happens
        to look derived) fall back to the full hash.
        """
        s = self.staging_ref
        ok = "_reject IS NULL"
        self._settle()
        with self._lock, self._transaction():
            self._ensure_open()
            null_ids = self._execute(
                f"UPDATE {s} SET id = 'null~' || substr(_hash, 1, 16) "
                f"WHERE {ok} AND _src_id IS NULL"
            ).rowcount
            derived = self._execute(
                f"UPDATE {s} AS s SET id = s._src_id || '~' || substr(s._hash, 1, 12) "
                f"FROM (SELECT _src_id AS gid, min(_hash) AS keeper FROM {s} "
                f"WHERE {ok} AND _src_id IS NOT NULL GROUP BY _src_id HAVING count(*) > 1) g "
                f"WHERE s._src_id = g.gid AND s._hash <> g.keeper AND s._reject IS NULL"
            ).rowcount
            if self._collisions():
                self._execute(
                    f"UPDATE {s} SET id = coalesce(_src_id, 'null') || '~' || _hash "
                    f"WHERE {ok} AND (_src_id IS NULL OR id <> _src_id) AND id IN "
                    f"(SELECT id FROM {s} WHERE {ok} GROUP BY id HAVING count(*) > 1)"
                )
                clashes = self._collisions()
                if clashes:
                    raise SinkError(
                        text(
                            "sink.ids_still_repeat",
                            table=self.table.name,
                            ids=", ".join(map(repr, clashes)),
                        )
                    )
            distinct, rejected = self._execute(
                f"SELECT count(*), count(_reject) FROM {s}"
            ).fetchone()
            samples = self._execute(
                f"SELECT _src_id, _reject FROM {s} WHERE _reject IS NOT NULL "
                f"ORDER BY _hash LIMIT {REJECT_SAMPLES}"
            ).fetchall()
        return FinalizeCounts(
            received=self.received,
            distinct=distinct,
            rows=distinct - rejected,
            duplicates_removed=self.received - self.new,
            ids_derived=derived,
            null_ids=null_ids,
            rejected=rejected,
            reject_samples=[
                f"id {src if src is not None else 'null'}: {reason}" for src, reason in samples
            ],
        )

    def publish(
        self,
        fence: Callable[[], bool],
        on_commit: Callable[[Published], None] | None = None,
        ledger: Callable[[Published], RunEntry] | None = None,
        keep: int = DEFAULT_KEEP,
    ) -> Published:
        """Make the live table's rows the staged ones, in one transaction.

        Only the difference is written: live rows that are gone upstream or whose
        content changed are deleted, and staged rows the live table does not hold (new or
        changed) are inserted; a row that is the same as the live one is not touched. A
        re-sync mostly brings back the rows it already has, so it writes (and leaves for
        VACUUM) a small fraction of the table instead of all of it. A row whose stamp
        column (`Column.default_now`) came without a value keeps the stamp it was given
        when it was written.

        ``fence()`` is asked right before commit; when it says False the transaction is
        rolled back and `FenceLost` (a `JobCancelled`) is raised, so a superseded run
        never publishes. Readers see the old rows until the commit, then the new ones.
        ``ledger(published)`` gives the run's ledger row, written (and the type's history
        pruned to ``keep`` runs) in the same transaction: a reader sees the new rows and
        their run together or neither.
        ``on_commit(published)`` runs right after the commit, before the housekeeping
        (which can take seconds), so that what was published is told first. On success
        the staging table is dropped.
        """
        live, s = self.live_ref, self.staging_ref
        names = self.table.column_names
        target = ", ".join(quote(n) for n in names)
        source = ", ".join(self._select_expr(c) for c in self.table.columns)
        same = self._unchanged_sql()
        self._settle()
        with self._lock:
            self._ensure_open()
            with self._transaction(live=True):
                self._lock_live()
                removed = 0
                if self._live_has_rows():  # a first publish has nothing to compare
                    self._prepare_publish()
                    removed = self._execute(
                        f"DELETE FROM {live} AS l WHERE NOT EXISTS (SELECT 1 FROM {s} AS s "
                        f"WHERE s._reject IS NULL AND s.id = l.id AND {same})"
                    ).rowcount
                insert = (
                    f"INSERT INTO {live} ({target}) SELECT {source} FROM {s} AS s "
                    "WHERE s._reject IS NULL"
                )
                if self._live_has_rows():  # some rows were unchanged: insert the others
                    insert += f" AND NOT EXISTS (SELECT 1 FROM {live} AS l WHERE l.id = s.id)"
                written = self._execute(insert).rowcount
                counted = self._execute(f"SELECT count(*) FROM {s} WHERE _reject IS NULL")
                total = counted.fetchone()[0]
                if ledger is not None:
                    self._write_run(ledger(Published(total, written, removed)), keep)
                if not fence():
                    raise FenceLost(text("sink.fence_lost", table=self.table.name))
            published = Published(total=total, written=written, removed=removed)
            if on_commit is not None:
                on_commit(published)
            if written or removed:
                self._tidy_live(published)
            self.discard()
        return published

    def discard(self) -> None:
        """Drop the staging table (idempotent). The live table is never touched."""
        with self._lock:
            if self._closed:
                return
            self._closed = True  # a write still queued now writes nothing
            if self._writer is not None:
                self._writer.shutdown(wait=False, cancel_futures=True)
            self._writes.clear()
            self._drop()

    def __enter__(self) -> StagedTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    # -- internals ---------------------------------------------------------------------

    @staticmethod
    def _facts(row: Any) -> RowFacts:
        if not isinstance(row, Mapping):
            return RowFacts(row_hash({"row": row}), True, False)
        return row_facts(row)

    def _record(self, row: Any, facts: RowFacts) -> Record:
        digest, suspect, plain = facts
        if not isinstance(row, Mapping):
            return (digest, None, text("reject.not_object")) + (None,) * self._width
        values = self._prepare(row, suspect=suspect, plain=plain)
        if isinstance(values, Rejected):
            return (digest, source_id(row), values.reason) + (None,) * self._width
        return (digest, values[self._id_index], None) + values

    def _live_has_rows(self) -> bool:
        return bool(self._execute(f"SELECT EXISTS (SELECT 1 FROM {self.live_ref})").fetchone()[0])

    def _select_expr(self, column: Column) -> str:
        if column.default_now:
            return f"coalesce(s.{quote(column.name)}, {self.now_sql})"
        return f"s.{quote(column.name)}"

    def _unchanged_sql(self) -> str:
        """SQL that is true when staged row ``s`` holds what live row ``l`` holds.

        Cheap columns first, JSON last: a changed row is told apart before its large
        values are read. A stamp column (`Column.default_now`) that came without a value
        matches whatever the live row holds, so an unchanged row keeps its stamp.
        """
        staged, live = [], []
        for c in sorted(self.table.columns, key=lambda c: c.type == "json"):
            name = quote(c.name)
            held = f"l.{name}{self.live_casts.get(c.type, '')}"
            live.append(held)
            staged.append(f"coalesce(s.{name}, {held})" if c.default_now else f"s.{name}")
        return f"({', '.join(staged)}) {self.same_row} ({', '.join(live)})"

    def _collisions(self) -> list[str]:
        rows = self._execute(
            f"SELECT id FROM {self.staging_ref} WHERE _reject IS NULL "
            f"GROUP BY id HAVING count(*) > 1 LIMIT 5"
        ).fetchall()
        return [r[0] for r in rows]

    def _ensure_open(self) -> None:
        if self._closed:
            raise SinkError(text("sink.staging_closed", name=self.name))


class Sink(ABC):
    """A destination database; opens one staging table per run."""

    #: Human-readable location, password masked.
    label: str

    @abstractmethod
    def staging(self, proxy: ProxyType) -> StagedTable:
        """Create the live table if missing, drop stale staging of this type, open ours."""

    @abstractmethod
    def count(self, proxy: ProxyType) -> int:
        """Rows in the live table (0 when it does not exist yet)."""

    @abstractmethod
    def record_run(self, entry: RunEntry, keep: int = DEFAULT_KEEP) -> None:
        """A run that published nothing (failed, cancelled): its ledger row, in a small
        transaction of its own. Raises SinkError when the database cannot take it."""

    def close(self) -> None:  # noqa: B027 - optional hook, most sinks hold nothing
        """Release anything the sink holds between runs (nothing by default)."""

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def column_defs(table: TableSpec, types: Mapping[str, str], now_default: str) -> str:
    """The live table's column list for CREATE TABLE in one dialect: ``types`` maps our
    column types to the dialect's, ``now_default`` is its DEFAULT for stamp columns."""
    cols = []
    for c in table.columns:
        if c.name == "id":
            cols.append(f"{quote('id')} {types['text']} PRIMARY KEY")
        elif c.default_now:
            cols.append(f"{quote(c.name)} {types[c.type]} DEFAULT {now_default}")
        else:
            cols.append(f"{quote(c.name)} {types[c.type]}")
    return ", ".join(cols)


def check_columns(label: str, table: TableSpec, have: set[str]) -> None:
    """Refuse a live table (named ``label``) that lacks columns we write."""
    missing = [n for n in table.column_names if n not in have]
    if missing:
        raise SinkSchemaError(
            text("sink.columns_missing", table=label, columns=", ".join(missing))
        )


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
