"""PROXYTUI_QUEUE=sqlite:///path: Huey's queue and the job state share one SQLite file,
and a job and its message are written together or not at all."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tasks import jobs
from tasks.backend import current_backend
from tasks.errors import BackendUnavailable
from tasks.settings import configure, load_settings

PROXYTUI = str(Path(sys.executable).with_name("proxytui"))


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    from tasks.backend import use_backend

    path = tmp_path / "queue.db"
    env = {"PROXYTUI_QUEUE": f"sqlite:///{path}", "PROXYTUI_KEY_PREFIX": "emb:",
           "PROXYTUI_REDIS_URL": "redis://127.0.0.1:1/0"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    configure(load_settings(env))
    use_backend(None)
    yield path
    use_backend(None)


def test_the_job_and_its_message_live_in_one_wal_file(embedded):
    job_id = jobs.request_sync("pangkat")["jobId"]
    with sqlite3.connect(embedded) as db:
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
        assert db.execute("select job_id from proxytui_job").fetchall() == [(job_id,)]
        assert db.execute("select count(*) from task").fetchone()[0] == 1
    assert current_backend().kind == "sqlite"
    assert jobs.overview()["backend"]["queued"] == 1


def test_a_failure_inside_the_step_leaves_neither_job_nor_message(embedded, monkeypatch):
    store = current_backend().store

    def broken_push(db, message):
        raise RuntimeError("disk full, say")

    monkeypatch.setattr(store, "_push", broken_push)
    with pytest.raises(RuntimeError):
        jobs.request_sync("skk")
    monkeypatch.undo()
    assert all(not group for group in jobs.list_jobs().values())
    assert jobs.overview()["backend"]["queued"] == 0


def test_a_locked_file_is_backend_unavailable_not_a_hang(embedded, monkeypatch):
    import tasks.store.sqlite as sqlite_store

    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT", 0.2)
    jobs.request_sync("pensiun")
    store = current_backend().store
    store.close()
    holder = sqlite3.connect(embedded, isolation_level=None)
    holder.execute("begin immediate")
    try:
        with pytest.raises(BackendUnavailable) as caught:
            jobs.request_sync("pensiun", force=True)
        assert "locked" in caught.value.reason
        assert jobs.overview()["backend"]["reachable"] is True  # reads still work (WAL)
    finally:
        holder.execute("rollback")
        holder.close()


def test_an_unopenable_queue_file_exits_4_with_one_line(tmp_path):
    result = subprocess.run(
        [PROXYTUI, "jobs"],
        env={"PATH": "/usr/bin:/bin", "PROXYTUI_QUEUE": "sqlite:////nonexistent/dir/q.db"},
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1
    assert "sqlite:////nonexistent/dir/q.db" in result.stderr and "PROXYTUI_QUEUE" in result.stderr
