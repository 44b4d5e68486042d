"""Job state in the SQLite file that SqliteHuey queues in: the embedded mode.

Same semantics as the Redis store, with one ``BEGIN IMMEDIATE`` transaction where Redis
runs one Lua script: it takes SQLite's write lock up front, so two processes asking for
the same type serialise on it, and the job row and its Huey message (a row of Huey's own
``task`` table, or ``schedule`` for a retry) are committed together or not at all.

Tables, beside Huey's ``task`` / ``schedule`` / ``kv`` (``ns`` is the key prefix, so
several deployments could share a file as they share a Redis)::

    proxytui_job     one row per job: the record as JSON (the Redis hash, field for
                     field), plus the queued message
    proxytui_log     the job's log lines, capped at LOG_LIMIT per job
    proxytui_lastms  the last id timestamp per type, so ids stay unique within a ms
    proxytui_worker  worker id -> last seen (ms)
    proxytui_slot    schedule slots claimed, by type and slot time, until they expire

Only the current job of a type has a row (force and cleanup delete the others, as in
Redis), so reading every row is the overview, and its cost does not grow with history.
Time is ``time.time()``: the embedded mode lives on one machine.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Literal

from huey import Huey

from tasks.catalog import PROXY_TYPES
from tasks.contract import JobRecord, LostJob, RequestOutcome, Snapshot
from tasks.errors import BackendUnavailable
from tasks.queue import Envelope
from tasks.settings import Settings
from tasks.sqlite_wal import use_wal
from tasks.store.base import (
    COUNTED_STATES,
    RUNNING_PROGRESS_CAP,
    Attempt,
    JobStore,
    LogNote,
    decode_record,
)

logger = logging.getLogger(__name__)

LOG_LIMIT = 200
BUSY_TIMEOUT = 10.0  # seconds; every transaction here is a few statements long

SCHEMA = (
    """create table if not exists proxytui_job (
        ns text not null, job_id text not null, type text not null,
        record text not null, message blob,
        primary key (ns, job_id))""",
    "create index if not exists proxytui_job_type on proxytui_job (ns, type)",
    """create table if not exists proxytui_log (
        id integer primary key, ns text not null, job_id text not null, line text not null)""",
    "create index if not exists proxytui_log_job on proxytui_log (ns, job_id, id)",
    """create table if not exists proxytui_lastms (
        ns text not null, type text not null, ms integer not null,
        primary key (ns, type))""",
    """create table if not exists proxytui_worker (
        ns text not null, worker_id text not null, seen_at integer not null,
        primary key (ns, worker_id))""",
    """create table if not exists proxytui_slot (
        ns text not null, type text not null, slot_ms integer not null,
        owner text not null, expires_at integer not null,
        primary key (ns, type, slot_ms))""",
)

Record = dict[str, Any]


def _now() -> int:
    return int(time.time() * 1000)


class SqliteJobStore(JobStore):
    def __init__(self, settings: Settings, huey: Huey) -> None:
        self.settings = settings
        self.ns = settings.key_prefix
        self.queue = huey.storage.name  # Huey's rows carry its name in their `queue` column
        self.path = settings.queue_path
        self.url = settings.queue
        self.stall_ms = int(settings.stall_after * 1000)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        with self._write() as db:
            for ddl in SCHEMA:
                db.execute(ddl)
        # Close again: a consumer forks its workers after importing the config, and a
        # SQLite connection must not cross a fork. Each process opens its own on first use.
        self.close()

    # -- plumbing ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            use_wal(conn, BUSY_TIMEOUT)
            conn.execute("pragma synchronous = normal")
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    @contextmanager
    def _tx(self, begin: str) -> Iterator[sqlite3.Connection]:
        """One transaction on this process's connection; SQLite trouble becomes
        BackendUnavailable, as a Redis connection error does."""
        with self._lock:
            try:
                db = self._connect()
                db.execute(begin)
            except sqlite3.Error as exc:
                raise BackendUnavailable(self.url, _reason(exc)) from exc
            try:
                yield db
                db.execute("commit")
            except BaseException as exc:
                with suppress(sqlite3.Error):
                    db.execute("rollback")
                if isinstance(exc, sqlite3.OperationalError):
                    raise BackendUnavailable(self.url, _reason(exc)) from exc
                raise

    def _write(self):
        return self._tx("begin immediate")

    def _read(self):
        # A deferred transaction: one consistent snapshot across several selects (WAL).
        return self._tx("begin")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def now_ms(self) -> int:
        return _now()

    def claim_slot(self, proxy_type: str, slot_ms: int, ttl_ms: int, owner: str) -> bool:
        with self._write() as db:
            now = _now()
            db.execute("delete from proxytui_slot where ns = ? and expires_at < ?", (self.ns, now))
            claimed = db.execute(
                "insert or ignore into proxytui_slot (ns, type, slot_ms, owner, expires_at) "
                "values (?, ?, ?, ?, ?)",
                (self.ns, proxy_type, int(slot_ms), owner, now + int(ttl_ms)),
            ).rowcount
        return claimed == 1

    # -- rows ---------------------------------------------------------------------------

    def _jobs(self, db: sqlite3.Connection, types: Sequence[str]) -> list[tuple[Record, Any]]:
        marks = ",".join("?" * len(types))
        rows = db.execute(
            f"select record, message from proxytui_job where ns = ? and type in ({marks})",
            (self.ns, *types),
        ).fetchall()
        return [(json.loads(record), message) for record, message in rows]

    def _job(self, db: sqlite3.Connection, job_id: str) -> tuple[Record, Any] | None:
        row = db.execute(
            "select record, message from proxytui_job where ns = ? and job_id = ?",
            (self.ns, job_id),
        ).fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    def _save(self, db: sqlite3.Connection, record: Record, message: Any) -> None:
        db.execute(
            "insert or replace into proxytui_job (ns, job_id, type, record, message) "
            "values (?, ?, ?, ?, ?)",
            (self.ns, record["jobId"], record["type"], json.dumps(record), message),
        )

    def _push(self, db: sqlite3.Connection, envelope: Envelope) -> None:
        """Put a message on Huey's queue, or on its schedule when it has a score."""
        if envelope.score is None:
            db.execute(
                "insert into task (queue, data, priority) values (?, ?, 0)",
                (self.queue, envelope.data),
            )
        else:
            db.execute(
                "insert into schedule (queue, data, timestamp) values (?, ?, ?)",
                (self.queue, envelope.data, envelope.score),
            )

    def _queued(self, db: sqlite3.Connection, table: str, message: Any) -> bool:
        return bool(
            db.execute(
                f"select 1 from {table} where queue = ? and data = ? limit 1",
                (self.queue, message),
            ).fetchone()
        )

    def _unqueue(self, db: sqlite3.Connection, message: Any, *tables: str) -> None:
        for table in tables:
            db.execute(f"delete from {table} where queue = ? and data = ?", (self.queue, message))

    def _drop(self, db: sqlite3.Connection, job_id: str, message: Any) -> None:
        if message is not None:
            self._unqueue(db, message, "task", "schedule")
        db.execute("delete from proxytui_job where ns = ? and job_id = ?", (self.ns, job_id))
        db.execute("delete from proxytui_log where ns = ? and job_id = ?", (self.ns, job_id))

    def _log(self, db: sqlite3.Connection, job_id: str, level: str, text: str, now: int) -> None:
        line = json.dumps({"t": now, "level": level, "msg": text})
        db.execute(
            "insert into proxytui_log (ns, job_id, line) values (?, ?, ?)",
            (self.ns, job_id, line),
        )
        db.execute(
            "delete from proxytui_log where ns = ?1 and job_id = ?2 and id <= ("
            " select id from proxytui_log where ns = ?1 and job_id = ?2"
            " order by id desc limit 1 offset ?3)",
            (self.ns, job_id, LOG_LIMIT),
        )

    def _state(self, record: Record, now: int) -> str:
        state = record.get("state", "")
        if state == "active" and now - int(record.get("heartbeatAt") or 0) > self.stall_ms:
            return "stalled"
        return state

    def _fenced(
        self, db: sqlite3.Connection, job_id: str, run_token: str
    ) -> tuple[Record, Any] | None:
        """The job, only while ``run_token`` owns it and it is (really) active."""
        found = self._job(db, job_id)
        if found is None:
            return None
        record = found[0]
        if record.get("runToken") != run_token or record.get("state") != "active":
            return None
        return found

    def _lost_kind(
        self, db: sqlite3.Connection, record: Record, message: Any, now: int
    ) -> Literal["stalled", "orphan"] | None:
        state = self._state(record, now)
        if state == "stalled":
            return "stalled"
        if state not in ("waiting", "delayed"):
            return None
        since = record.get("retryAt" if state == "delayed" else "enqueuedAt") or 0
        if now - int(since) <= self.stall_ms:
            return None
        if message is not None and (
            self._queued(db, "task", message) or self._queued(db, "schedule", message)
        ):
            return None
        return "orphan"

    # -- dashboard / CLI side -------------------------------------------------------------

    def request_sync(
        self,
        proxy_type: str,
        force: bool,
        requested_by: str,
        envelope: Envelope,
        log_line: str,
        trigger: str = "cli",
        fresh_ms: int = 0,
    ) -> RequestOutcome:
        with self._write() as db:
            now = _now()
            jobs = self._jobs(db, [proxy_type])
            previous = None
            if jobs:
                newest = max(jobs, key=lambda job: int(job[0].get("createdAt") or 0))[0]
                state = self._state(newest, now)
                age = now - int(newest.get("finishedAt") or 0)
                running = state not in ("completed", "failed")
                fresh = state == "completed" and age < fresh_ms
                if not force and (running or fresh):
                    return RequestOutcome("existing", self._decode(newest, now), now)
                previous = self._decode(newest, now)
            for record, old in jobs:
                self._drop(db, record["jobId"], old)
            row = db.execute(
                "select ms from proxytui_lastms where ns = ? and type = ?", (self.ns, proxy_type)
            ).fetchone()
            ms = max(now, row[0] + 1) if row else now
            db.execute(
                "insert or replace into proxytui_lastms (ns, type, ms) values (?, ?, ?)",
                (self.ns, proxy_type, ms),
            )
            job_id = f"proxy-{proxy_type}-{ms}"
            record = {
                "jobId": job_id,
                "type": proxy_type,
                "state": "waiting",
                "progress": 0,
                "progressInfo": "{}",
                "createdAt": now,
                "enqueuedAt": now,
                "requestedBy": requested_by,
                "attemptsMade": 0,
                "maxAttempts": self.settings.max_attempts,
                "ticket": envelope.ticket,
                "forced": "1" if force else "0",
                "trigger": trigger,
            }
            self._save(db, record, envelope.data)
            self._push(db, envelope)
            self._log(db, job_id, "info", log_line, now)
        return RequestOutcome("queued", self._decode(record, now), now, previous)

    def _decode(self, record: Record, now: int) -> JobRecord:
        return decode_record(record, now, self.stall_ms)

    def get_job(self, job_id: str) -> JobRecord | None:
        with self._read() as db:
            found = self._job(db, job_id)
        return self._decode(found[0], _now()) if found else None

    def get_log(self, job_id: str) -> list[dict[str, Any]]:
        with self._read() as db:
            rows = db.execute(
                "select line from proxytui_log where ns = ? and job_id = ? order by id",
                (self.ns, job_id),
            ).fetchall()
        return [json.loads(line) for (line,) in rows]

    def _snapshot(self, types: Sequence[str]) -> Snapshot:
        with self._read() as db:
            now = _now()
            workers = db.execute(
                "select count(*) from proxytui_worker where ns = ? and seen_at >= ?",
                (self.ns, now - int(self.settings.worker_ttl * 1000)),
            ).fetchone()[0]
            queued = db.execute(
                "select count(*) from task where queue = ?", (self.queue,)
            ).fetchone()[0]
            scheduled = db.execute(
                "select count(*) from schedule where queue = ?", (self.queue,)
            ).fetchone()[0]
            jobs = self._jobs(db, types)
        return Snapshot(now, workers, queued, scheduled, [self._decode(r, now) for r, _ in jobs])

    def cleanup(self, types: Sequence[str], states: Sequence[str]) -> dict[str, int]:
        counts = dict.fromkeys(COUNTED_STATES, 0)
        with self._write() as db:
            now = _now()
            for record, message in self._jobs(db, types):
                state = self._state(record, now)
                if state not in states:
                    continue
                state = "active" if state == "stalled" else state
                if state in counts:
                    counts[state] += 1
                self._drop(db, record["jobId"], message)
        return counts

    # -- worker side ----------------------------------------------------------------------

    def start_attempt(
        self, proxy_type: str, ticket: str, worker: str, run_token: str
    ) -> Attempt | None:
        with self._write() as db:
            now = _now()
            for record, _ in self._jobs(db, [proxy_type]):
                if record.get("ticket") != ticket:
                    continue
                if self._state(record, now) not in ("waiting", "delayed", "stalled"):
                    return None
                attempts = int(record.get("attemptsMade") or 0) + 1
                for key in ("retryAt", "ticket", "finishedAt"):
                    record.pop(key, None)
                record.update(
                    state="active",
                    startedAt=now,
                    heartbeatAt=now,
                    attemptsMade=attempts,
                    worker=worker,
                    runToken=run_token,
                )
                self._save(db, record, None)
                return Attempt(
                    record["jobId"],
                    proxy_type,
                    run_token,
                    attempts,
                    int(record["maxAttempts"]),
                    requested_by=record.get("requestedBy"),
                    trigger=record.get("trigger"),
                    forced=record.get("forced") == "1",
                    queued_at=record.get("createdAt"),
                    started_at=now,
                )
        return None

    def heartbeat(self, job_id: str, run_token: str) -> bool:
        with self._write() as db:
            found = self._fenced(db, job_id, run_token)
            if found is None:
                return False
            found[0]["heartbeatAt"] = _now()
            self._save(db, *found)
        return True

    def write_progress(
        self, job_id: str, run_token: str, progress: int, info: dict[str, Any]
    ) -> bool:
        with self._write() as db:
            found = self._fenced(db, job_id, run_token)
            if found is None:
                return False
            found[0].update(
                heartbeatAt=_now(),
                progress=min(int(progress), RUNNING_PROGRESS_CAP),
                progressInfo=json.dumps(info, separators=(",", ":")),
            )
            self._save(db, *found)
        return True

    def complete(
        self, job_id: str, run_token: str, result: dict[str, Any], note: LogNote | None = None
    ) -> bool:
        with self._write() as db:
            found = self._fenced(db, job_id, run_token)
            if found is None:
                return False
            record, message = found
            now = _now()
            for key in ("runToken", "error", "stackTrace"):
                record.pop(key, None)
            record.update(
                state="completed",
                progress=100,
                finishedAt=now,
                result=json.dumps(result),
                heartbeatAt=now,
            )
            self._save(db, record, message)
            if note:
                self._log(db, job_id, *note, now)
        return True

    def fail_attempt(
        self,
        job_id: str,
        run_token: str,
        error: str,
        stack_trace: str,
        retry: Envelope | None,
        retry_delay_ms: int,
        note: LogNote | None = None,
    ) -> str | None:
        with self._write() as db:
            found = self._fenced(db, job_id, run_token)
            if found is None:
                return None
            record, message = found
            now = _now()
            record.pop("runToken", None)
            record.update(error=error, stackTrace=stack_trace)
            if note:
                self._log(db, job_id, *note, now)
            if retry is not None:
                record.update(
                    state="delayed",
                    retryAt=now + retry_delay_ms,
                    ticket=retry.ticket,
                    enqueuedAt=now,
                )
                self._save(db, record, retry.data)
                self._push(db, retry)
                return "delayed"
            record.update(state="failed", finishedAt=now)
            self._save(db, record, message)
        return "failed"

    def requeue(
        self, job_id: str, run_token: str, envelope: Envelope, note: LogNote | None = None
    ) -> bool:
        with self._write() as db:
            found = self._fenced(db, job_id, run_token)
            if found is None:
                return False
            record = found[0]
            if note:
                self._log(db, job_id, *note, _now())
            for key in ("runToken", "worker", "heartbeatAt"):
                record.pop(key, None)
            record.update(
                state="waiting",
                attemptsMade=max(int(record.get("attemptsMade") or 1) - 1, 0),
                ticket=envelope.ticket,
                enqueuedAt=_now(),
            )
            self._save(db, record, envelope.data)
            self._push(db, envelope)
        return True

    def find_lost(self) -> list[LostJob]:
        lost = []
        with self._read() as db:
            now = _now()
            for record, message in self._jobs(db, PROXY_TYPES):
                kind = self._lost_kind(db, record, message, now)
                if kind:
                    lost.append(
                        LostJob(
                            job_id=record["jobId"],
                            kind=kind,
                            type=record["type"],
                            run_token=record.get("runToken") or "",
                            attempts_made=int(record.get("attemptsMade") or 0),
                            max_attempts=int(record.get("maxAttempts") or 0),
                            worker=record.get("worker") or "",
                        )
                    )
        return lost

    def recover(
        self,
        job_id: str,
        kind: str,
        run_token: str,
        envelope: Envelope | None,
        error: str,
    ) -> bool:
        with self._write() as db:
            now = _now()
            found = self._job(db, job_id)
            if found is None:
                return False
            record, old = found
            if self._lost_kind(db, record, old, now) != kind:
                return False
            if kind == "stalled" and record.get("runToken") != run_token:
                return False
            if old is not None:
                self._unqueue(db, old, "schedule")
            record.pop("runToken", None)
            if envelope is not None:
                record.update(state="waiting", ticket=envelope.ticket, enqueuedAt=now)
                if kind == "stalled":
                    record["error"] = error
                self._save(db, record, envelope.data)
                self._push(db, envelope)
            else:
                record.update(state="failed", finishedAt=now, error=error)
                self._save(db, record, None)
            self._log(db, job_id, "warning", error, now)
        return True

    def append_log(self, job_id: str, level: str, text: str) -> None:
        with self._write() as db:
            if self._job(db, job_id) is not None:
                self._log(db, job_id, level, text, _now())

    def worker_seen(self, worker_id: str) -> None:
        forget_ms = int(self.settings.worker_ttl * 1000 * 20)
        with self._write() as db:
            now = _now()
            db.execute(
                "insert or replace into proxytui_worker (ns, worker_id, seen_at) values (?, ?, ?)",
                (self.ns, worker_id, now),
            )
            db.execute(
                "delete from proxytui_worker where ns = ? and seen_at < ?",
                (self.ns, now - forget_ms),
            )

    def worker_gone(self, worker_id: str) -> None:
        with self._write() as db:
            db.execute(
                "delete from proxytui_worker where ns = ? and worker_id = ?",
                (self.ns, worker_id),
            )

    def live_workers(self) -> tuple[int, list[tuple[str, int]]]:
        with self._read() as db:
            now = _now()
            rows = db.execute(
                "select worker_id, seen_at from proxytui_worker where ns = ? and seen_at >= ? "
                "order by worker_id",
                (self.ns, now - int(self.settings.worker_ttl * 1000)),
            ).fetchall()
        return now, [(str(worker), int(seen)) for worker, seen in rows]


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
