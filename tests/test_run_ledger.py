"""The run ledger in the destination database (SQLite and PostgreSQL).

A completed run's ledger row commits with its publish: a reader sees the new rows and
their run together or neither, and a rolled-back publish leaves neither. History is
pruned per type in the same transaction; the totals keep counting. The overview reads
its dataset block from the ledger alone, and an unreachable database leaves the job
side working.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tasks import jobs
from tasks.backend import use_backend
from tasks.catalog import get_proxy_type
from tasks.errors import DatasetUnavailable, JobCancelled
from tasks.pipeline import sync_proxy
from tasks.settings import Settings, configure, load_settings
from tasks.sink import open_sink
from tasks.sink.ledger import RunEntry
from tasks.sink.ledger_reader import open_ledger_reader
from tests.support.databases import live_rows
from tests.test_sync_truth import StandInRun

PROXYTUI = str(Path(sys.executable).with_name("proxytui"))


class LedgerRun(StandInRun):
    """The stand-in run, writing ledger rows of its own type."""

    def __init__(self, settings: Settings, proxy_type: str, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.proxy_type = proxy_type
        self.job_id = f"proxy-{proxy_type}-1700000000000"

    def ledger_entry(self, state: str, error: str | None = None, **counts: Any) -> RunEntry:
        return RunEntry(self.proxy_type, self.job_id, state, 1_700_000_000_000,
                        trigger="cli", requested_by="tester", duration_ms=5, error=error, **counts)


@pytest.fixture
def settings(siasn_settings: Settings, database_url: str) -> Settings:
    return siasn_settings.replace(database_url=database_url)


def test_the_ledger_row_commits_with_the_publish_and_never_apart(settings, database_url):
    table = get_proxy_type("pangkat").table.name
    reader = open_ledger_reader(database_url)
    inside, release = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def fence() -> bool:  # called inside the publish transaction, after the ledger row
        inside.set()
        assert release.wait(30)
        return True

    run = LedgerRun(settings, "pangkat", fence=fence)
    worker = threading.Thread(target=lambda: seen.update(result=sync_proxy("pangkat", run)))
    worker.start()
    try:
        assert inside.wait(60)
        # Mid-transaction, another connection sees neither the rows nor their run.
        assert live_rows(database_url, table, "id") == []
        assert reader.history("pangkat", 10) == []
    finally:
        release.set()
        worker.join(60)
    rows = len(live_rows(database_url, table, "id"))
    [entry] = reader.history("pangkat", 10)
    assert entry.state == "completed" and entry.rows == rows == seen["result"]["inserted"] > 0
    assert entry.written == rows and entry.removed == 0 and entry.unchanged == 0
    assert entry.pages == seen["result"]["pages"] and entry.requests >= entry.pages
    assert entry.duplicates_removed == seen["result"]["duplicates_removed"]
    reader.close()


def test_a_publish_rolled_back_leaves_no_ledger_row(settings, database_url):
    sync_proxy("skk", LedgerRun(settings, "skk"))
    reader = open_ledger_reader(database_url)
    before = reader.history("skk", 10)
    with pytest.raises(JobCancelled):
        sync_proxy("skk", LedgerRun(settings, "skk", fence=lambda: False))
    assert reader.history("skk", 10) == before and len(before) == 1
    reader.close()


def test_history_is_pruned_per_type_and_the_totals_keep_counting(database_url):
    sink = open_sink(database_url)
    for n in range(5):
        sink.record_run(RunEntry("pensiun", f"proxy-pensiun-{n}", "failed", n, error="boom\nline 2"), keep=3)
    sink.record_run(RunEntry("skk", "proxy-skk-9", "cancelled", 9), keep=3)
    reader = open_ledger_reader(database_url)
    assert [e.job_id for e in reader.history("pensiun", 10)] == [
        "proxy-pensiun-4", "proxy-pensiun-3", "proxy-pensiun-2"]
    assert reader.history("pensiun", 1)[0].error == "boom"  # the first line only
    assert [e.job_id for e in reader.history(None, 2)] == ["proxy-skk-9", "proxy-pensiun-4"]
    assert reader.totals(["pensiun", "skk"]) == {("pensiun", "failed"): 5, ("skk", "cancelled"): 1}
    latest = reader.latest(["pensiun", "skk", "pangkat"])
    assert latest["pensiun"].last_failure.job_id == "proxy-pensiun-4"
    assert latest["pensiun"].last_success is None
    assert latest["pangkat"].last_run is None
    reader.close()


def test_the_dataset_block_comes_from_the_ledger_with_no_job_left(job_env, database_url, monkeypatch):
    env = {**job_env, "PROXYTUI_DATABASE_URL": database_url}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    configure(load_settings(env))
    use_backend(None)
    sink = open_sink(database_url)
    sink.record_run(RunEntry("pangkat", "proxy-pangkat-1", "completed", 1_000, rows=23_190,
                             written=10, removed=2, duration_ms=900, trigger="schedule",
                             requested_by="schedule"))
    sink.record_run(RunEntry("pangkat", "proxy-pangkat-2", "failed", 2_000,
                             error="PermanentFailure: SIASN rejected the token"))
    view = jobs.overview()
    assert view["database"] == {"url": database_url, "reachable": True, "error": None}
    pangkat = next(row for row in view["types"] if row["type"] == "pangkat")
    assert pangkat["job"] is None
    assert pangkat["dataset"] == {
        "rows": 23_190,
        "publishedAt": 1_000,
        "lastSuccess": {"jobId": "proxy-pangkat-1", "finishedAt": 1_000, "durationMs": 900,
                        "rows": 23_190, "written": 10, "removed": 2, "trigger": "schedule",
                        "requestedBy": "schedule"},
        "lastFailure": {"jobId": "proxy-pangkat-2", "finishedAt": 2_000, "state": "failed",
                        "error": "PermanentFailure: SIASN rejected the token"},
        "lastRun": {"jobId": "proxy-pangkat-2", "finishedAt": 2_000, "state": "failed",
                    "durationMs": None},
    }
    skk = next(row for row in view["types"] if row["type"] == "skk")
    assert skk["dataset"] == {"rows": None, "publishedAt": None, "lastSuccess": None,
                              "lastFailure": None, "lastRun": None}
    use_backend(None)


def test_an_unreachable_database_leaves_the_jobs_working(job_env, monkeypatch):
    env = {**job_env, "PROXYTUI_DATABASE_URL": "postgresql://proxytui:secret@127.0.0.1:1/nowhere"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    configure(load_settings(env))
    use_backend(None)
    job_id = jobs.request_sync("pensiun")["jobId"]
    view = jobs.overview()
    assert view["database"]["reachable"] is False
    assert view["database"]["url"] == "postgresql://proxytui:***@127.0.0.1:1/nowhere"
    assert view["database"]["error"]
    assert view["backend"]["reachable"] is True
    assert next(r for r in view["types"] if r["type"] == "pensiun")["job"]["jobId"] == job_id
    assert all(row["dataset"] is None for row in view["types"])
    with pytest.raises(DatasetUnavailable):
        jobs.history("pensiun")
    cli = subprocess.run([PROXYTUI, "history"], env={**os.environ, **env},
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 4
    [line] = cli.stderr.strip().splitlines()
    assert "cannot be read" in line and "secret" not in line
    use_backend(None)


def test_the_read_side_never_creates_a_sqlite_file(job_env, tmp_path, monkeypatch):
    path = tmp_path / "not-yet.db"
    env = {**job_env, "PROXYTUI_DATABASE_URL": f"sqlite:///{path}"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    configure(load_settings(env))
    use_backend(None)
    assert jobs.history()["runs"] == []
    assert jobs.overview()["database"]["reachable"] is True
    assert not path.exists()
    use_backend(None)


def test_history_refuses_a_bad_type_or_limit(job_settings):
    from tasks.catalog import UnknownProxyType
    from tasks.errors import InvalidLimit

    with pytest.raises(UnknownProxyType):
        jobs.history("gaji")
    for limit in (0, 1001, "5", True):
        with pytest.raises(InvalidLimit):
            jobs.history(limit=limit)
    assert jobs.history(limit=1000) == {"type": None, "runs": []}
