"""The run ledger: one row per finished run, in the destination database.

Job records live in the job store and vanish with a force, a cleanup or a Redis
restart; the ledger is the durable account of what happened to each dataset. A
completed run's row is written inside its publish transaction (`StagedTable.publish`),
so the ledger and the live table never disagree; a failed or cancelled run's row is
written in a small transaction of its own (`Sink.record_run`). Each write also prunes
the type's history to the newest ``keep`` runs and bumps the per type and state total
that the metrics count, in the same transaction.

Tables (``siasn_proxy.`` in front on PostgreSQL)::

    proxytui_runs        the runs; indexed by (type, id) and (type, state, id), so the
                         newest run of a type, of a state, is one index probe
    proxytui_run_totals  (type, state) -> runs ever recorded, for the metrics' counters

``id`` orders the runs: it is the order in which their rows were committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

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
    state: str
    finished_at: int
    attempt: int | None = None
    trigger: str | None = None
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

    def as_contract(self) -> dict[str, Any]:
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
            f"CREATE INDEX IF NOT EXISTS {RUNS_TABLE}_type_state ON {self.runs} (type, state, id)",
            f"CREATE TABLE IF NOT EXISTS {self.totals} (type text NOT NULL, state text NOT NULL, "
            f"runs {self.int_type} NOT NULL, PRIMARY KEY (type, state))",
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
    """Inside the caller's transaction: add ``entry``, prune its type to the newest
    ``keep`` runs, and count it in the totals."""
    values = asdict(entry)
    values["error"] = first_line(values["error"])
    values["forced"] = bool(values["forced"]) if dialect.schema else int(bool(values["forced"]))
    names = ", ".join(quote(name) for name in COLUMNS)
    marks = ", ".join("?" * len(COLUMNS))
    conn.execute(
        dialect.sql(f"INSERT INTO {dialect.runs} ({names}) VALUES ({marks})"),
        tuple(values[name] for name in COLUMNS),
    )
    conn.execute(
        dialect.sql(
            f"DELETE FROM {dialect.runs} WHERE type = ? AND id <= (SELECT id FROM {dialect.runs} "
            "WHERE type = ? ORDER BY id DESC LIMIT 1 OFFSET ?)"
        ),
        (entry.type, entry.type, max(1, int(keep))),
    )
    conn.execute(
        dialect.sql(
            f"INSERT INTO {dialect.totals} AS t (type, state, runs) VALUES (?, ?, 1) "
            "ON CONFLICT (type, state) DO UPDATE SET runs = t.runs + 1"
        ),
        (entry.type, entry.state),
    )


# -- reading -------------------------------------------------------------------------

SELECT_COLUMNS = ", ".join(quote(name) for name in COLUMNS)
# Which runs of a type the overview needs, each the newest of its kind: one index probe.
LATEST_KINDS: tuple[tuple[str, str | None], ...] = (
    ("run", None),
    ("completed", "completed"),
    ("failed", "failed"),
    ("cancelled", "cancelled"),
)


def latest_sql(dialect: Dialect, types: Sequence[str]) -> tuple[str, list[str]]:
    """One statement for the newest run, success, failure and cancellation of every type."""
    parts, params = [], []
    n = 0
    for proxy_type in types:
        for kind, state in LATEST_KINDS:
            where = "type = ?" + (" AND state = ?" if state else "")
            parts.append(
                f"SELECT * FROM (SELECT '{kind}' AS kind, id, {SELECT_COLUMNS} "
                f"FROM {dialect.runs} WHERE {where} ORDER BY id DESC LIMIT 1) AS l{n}"
            )
            params += [proxy_type, state] if state else [proxy_type]
            n += 1
    return dialect.sql(" UNION ALL ".join(parts)), params


def history_sql(dialect: Dialect, proxy_type: str | None, limit: int) -> tuple[str, list[Any]]:
    where, params = ("WHERE type = ? ", [proxy_type]) if proxy_type else ("", [])
    sql = f"SELECT {SELECT_COLUMNS} FROM {dialect.runs} {where}ORDER BY id DESC LIMIT ?"
    return dialect.sql(sql), [*params, int(limit)]


def totals_sql(dialect: Dialect) -> str:
    return f"SELECT type, state, runs FROM {dialect.totals}"


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


def latest_from_rows(
    rows: Sequence[Sequence[Any]], types: Sequence[str]
) -> dict[str, Latest]:
    found: dict[str, dict[str, tuple[int, RunEntry]]] = {t: {} for t in types}
    for kind, run_id, *rest in rows:
        entry = entry_from_row(rest)
        found.setdefault(entry.type, {})[kind] = (int(run_id), entry)
    latest: dict[str, Latest] = {}
    for proxy_type in types:
        kinds = found.get(proxy_type, {})
        failures = [kinds[k] for k in FAILED_STATES if k in kinds]
        failure = max(failures, key=lambda pair: pair[0])[1] if failures else None
        latest[proxy_type] = Latest(
            last_run=kinds["run"][1] if "run" in kinds else None,
            last_success=kinds["completed"][1] if "completed" in kinds else None,
            last_failure=failure,
        )
    return latest


def totals_from_rows(rows: Sequence[Sequence[Any]]) -> Mapping[tuple[str, str], int]:
    return {(str(t), str(s)): int(n) for t, s, n in rows}
