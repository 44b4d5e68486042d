"""The run ledger: one row per finished run, in the destination database.

Job records live in the job store and vanish with a force, a cleanup or a Redis
restart; the ledger is the durable account of what happened to each dataset. A
completed run's row is written inside its publish transaction (`StagedTable.publish`),
so the ledger and the live table never disagree; a failed or cancelled run's row is
written in a small transaction of its own (`Sink.record_run`). Each write also prunes
the type's history to the newest ``keep`` runs and bumps the per type and state total
that the metrics count, in the same transaction.

Tables (``siasn_proxy.`` in front on PostgreSQL)::

    proxytui_runs        the runs, indexed by (type, id) for history and pruning
    proxytui_run_totals  (type, state) -> runs ever recorded (the metrics' counters) and
                         the id of the newest of them

The totals make the overview's question ("the newest run, success and failure of each
type") one join of at most fifteen rows by primary key, however long the history, and
cheap to plan. ``id`` orders the runs: the order in which their rows were committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from tasks.contract import HistoryRun, RunState, Trigger

RUNS_TABLE = "proxytui_runs"
TOTALS_TABLE = "proxytui_run_totals"
RUN_STATES = ("completed", "failed", "cancelled")
FAILED_STATES = ("failed", "cancelled")
DEFAULT_KEEP = 1000


@dataclass(frozen=True)
class RunEntry:
    """One ledger row: a run as it finished. Counts are None where the run never got
    that far (a failed run has no ``rows``)."""

    type: str
    job_id: str
    state: RunState
    finished_at: int
    attempt: int | None = None
    trigger: Trigger | None = None
    requested_by: str | None = None
    forced: bool = False
    queued_at: int | None = None
    started_at: int | None = None
    duration_ms: int | None = None
    rows: int | None = None
    written: int | None = None
    removed: int | None = None
    unchanged: int | None = None
    duplicates_removed: int | None = None
    pages: int | None = None
    requests: int | None = None
    retries: int | None = None
    expected_total: int | None = None
    error: str | None = None

    def as_contract(self) -> HistoryRun:
        """The run as `tasks.jobs.history` gives it (camelCase, epoch ms)."""
        return {
            "type": self.type,
            "jobId": self.job_id,
            "attempt": self.attempt,
            "trigger": self.trigger,
            "requestedBy": self.requested_by,
            "forced": bool(self.forced),
            "state": self.state,
            "queuedAt": self.queued_at,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "durationMs": self.duration_ms,
            "rows": self.rows,
            "written": self.written,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "duplicatesRemoved": self.duplicates_removed,
            "pages": self.pages,
            "requests": self.requests,
            "retries": self.retries,
            "expectedTotal": self.expected_total,
            "error": self.error,
        }


COLUMNS = tuple(f.name for f in fields(RunEntry))
INT_COLUMNS = {name for name in COLUMNS if name.endswith(("_at", "_ms")) or name in (
    "attempt", "rows", "written", "removed", "unchanged", "duplicates_removed", "pages",
    "requests", "retries", "expected_total",
)}


def first_line(error: str | None, limit: int = 500) -> str | None:
    """The error's first line, as the ledger keeps it (the stack trace stays in the job)."""
    if not error:
        return None
    line = error.strip().splitlines()[0] if error.strip() else ""
    return line[:limit] or None


def quote(name: str) -> str:
    return '"' + name + '"'


@dataclass(frozen=True)
class Dialect:
    """What differs between SQLite and PostgreSQL for the ledger's SQL."""

    name: str
    schema: str | None  # None: the main database (SQLite)
    id_column: str
    int_type: str
    bool_type: str
    param: str  # the driver's placeholder

    def ref(self, table: str) -> str:
        return f"{self.schema}.{table}" if self.schema else table

    @property
    def runs(self) -> str:
        return self.ref(RUNS_TABLE)

    @property
    def totals(self) -> str:
        return self.ref(TOTALS_TABLE)

    def sql(self, text: str) -> str:
        """Our SQL is written with ``?``; PostgreSQL's driver wants ``%s``."""
        return text.replace("?", self.param) if self.param != "?" else text

    def ddl(self) -> tuple[str, ...]:
        cols = [f"id {self.id_column}"]
        for name in COLUMNS:
            if name in ("type", "job_id", "state"):
                kind = "text NOT NULL"
            elif name == "finished_at":
                kind = f"{self.int_type} NOT NULL"
            elif name == "forced":
                kind = f"{self.bool_type} NOT NULL DEFAULT {'false' if self.schema else '0'}"
            elif name in INT_COLUMNS:
                kind = self.int_type
            else:
                kind = "text"
            cols.append(f"{quote(name)} {kind}")
        return (
            f"CREATE TABLE IF NOT EXISTS {self.runs} ({', '.join(cols)})",
            f"CREATE INDEX IF NOT EXISTS {RUNS_TABLE}_type ON {self.runs} (type, id)",
            f"CREATE TABLE IF NOT EXISTS {self.totals} (type text NOT NULL, state text NOT NULL, "
            f"runs {self.int_type} NOT NULL, last_id {self.int_type} NOT NULL, "
            "PRIMARY KEY (type, state))",
        )


SQLITE = Dialect("sqlite", None, "INTEGER PRIMARY KEY", "INTEGER", "INTEGER", "?")
POSTGRES = Dialect(
    "postgres", "siasn_proxy", "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "bigint",
    "boolean", "%s",
)


def ensure_ledger(conn: Any, dialect: Dialect) -> None:
    """Create the ledger's tables and indexes if missing (all of them in one go, so
    finding both tables means the ledger is complete). Looking first keeps DDL, and the
    locks it takes, off the path of every run but the first."""
    if dialect.schema:
        found = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
            (dialect.runs, dialect.totals),
        ).fetchone()[0]
    else:
        found = conn.execute(
            "SELECT count(*) = 2 FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
            (RUNS_TABLE, TOTALS_TABLE),
        ).fetchone()[0]
    if found:
        return
    for statement in dialect.ddl():
        conn.execute(statement)


def write_run(conn: Any, dialect: Dialect, entry: RunEntry, keep: int = DEFAULT_KEEP) -> None:
    """Inside the caller's transaction: add ``entry``, count it in the totals (which
    point at it as the newest of its state), and prune its type to the newest ``keep``
    runs, keeping those the totals point at."""
    values = asdict(entry)
    values["error"] = first_line(values["error"])
    values["forced"] = bool(values["forced"]) if dialect.schema else int(bool(values["forced"]))
    names = ", ".join(quote(name) for name in COLUMNS)
    marks = ", ".join("?" * len(COLUMNS))
    run_id = conn.execute(
        dialect.sql(f"INSERT INTO {dialect.runs} ({names}) VALUES ({marks}) RETURNING id"),
        tuple(values[name] for name in COLUMNS),
    ).fetchone()[0]
    conn.execute(
        dialect.sql(
            f"INSERT INTO {dialect.totals} AS t (type, state, runs, last_id) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (type, state) DO UPDATE SET runs = t.runs + 1, last_id = excluded.last_id"
        ),
        (entry.type, entry.state, run_id),
    )
    conn.execute(
        dialect.sql(
            f"DELETE FROM {dialect.runs} WHERE type = ? AND id <= (SELECT id FROM {dialect.runs} "
            "WHERE type = ? ORDER BY id DESC LIMIT 1 OFFSET ?) "
            f"AND id NOT IN (SELECT last_id FROM {dialect.totals} WHERE type = ?)"
        ),
        (entry.type, entry.type, max(1, int(keep)), entry.type),
    )


# -- reading -------------------------------------------------------------------------

SELECT_COLUMNS = ", ".join(quote(name) for name in COLUMNS)


def summary_sql(dialect: Dialect) -> str:
    """Per type and state: runs ever recorded and the newest of them (at most 15 rows),
    each run fetched by primary key. On PostgreSQL a LATERAL join says so: the planner,
    misled by a small, much-updated totals table, would otherwise hash all the runs."""
    picked = ", ".join(f"r.{quote(name)}" for name in COLUMNS)
    if dialect.schema:
        joined = (
            f"LEFT JOIN LATERAL (SELECT * FROM {dialect.runs} AS x WHERE x.id = t.last_id LIMIT 1) "
            "AS r ON true"
        )
    else:
        joined = f"LEFT JOIN {dialect.runs} AS r ON r.id = t.last_id"
    return f"SELECT t.type, t.state, t.runs, r.id, {picked} FROM {dialect.totals} AS t {joined}"


def history_sql(dialect: Dialect, proxy_type: str | None, limit: int) -> tuple[str, list[Any]]:
    where, params = ("WHERE type = ? ", [proxy_type]) if proxy_type else ("", [])
    sql = f"SELECT {SELECT_COLUMNS} FROM {dialect.runs} {where}ORDER BY id DESC LIMIT ?"
    return dialect.sql(sql), [*params, int(limit)]


def entry_from_row(row: Sequence[Any]) -> RunEntry:
    values: dict[str, Any] = dict(zip(COLUMNS, row, strict=True))
    values["forced"] = bool(values["forced"])
    return RunEntry(**values)


@dataclass(frozen=True)
class Latest:
    """The runs of one type the dashboard's dataset line is made of."""

    last_run: RunEntry | None = None
    last_success: RunEntry | None = None
    last_failure: RunEntry | None = None  # the newer of the last failed and cancelled


@dataclass(frozen=True)
class Summary:
    """What the overview and the metrics read from the ledger, in one query."""

    latest: dict[str, Latest]
    totals: dict[tuple[str, str], int]  # (type, state) -> runs ever recorded


def summary_from_rows(rows: Sequence[Sequence[Any]], types: Sequence[str]) -> Summary:
    newest: dict[str, dict[str, tuple[int, RunEntry]]] = {t: {} for t in types}
    totals: dict[tuple[str, str], int] = {}
    for proxy_type, state, runs, run_id, *rest in rows:
        totals[(str(proxy_type), str(state))] = int(runs)
        if run_id is not None and proxy_type in newest:
            newest[proxy_type][state] = (int(run_id), entry_from_row(rest))
    latest: dict[str, Latest] = {}
    for proxy_type in types:
        by_state = newest[proxy_type]
        failures = [by_state[k] for k in FAILED_STATES if k in by_state]
        latest[proxy_type] = Latest(
            last_run=max(by_state.values(), key=lambda pair: pair[0])[1] if by_state else None,
            last_success=by_state["completed"][1] if "completed" in by_state else None,
            last_failure=max(failures, key=lambda pair: pair[0])[1] if failures else None,
        )
    return Summary(latest, totals)
