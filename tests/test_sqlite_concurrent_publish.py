"""The default SQLite destination under the README's worker (``-k process -w 2``): all
five types queued at once publish into one file, with the ledger's writes beside them,
and no attempt fails with "database is locked" (a brand-new file included: switching
it to WAL needs a lock SQLite does not wait for by itself)."""

from __future__ import annotations

import multiprocessing
import uuid
from pathlib import Path

import pytest

from tasks import jobs
from tasks.catalog import CATALOG, PROXY_TYPES
from tasks.sink.sqlite import SqliteSink
from tests.support.jobenv import wait_for


def _open_staging(path: str, proxy_type: str, barrier) -> str | None:
    barrier.wait()
    try:
        SqliteSink(Path(path)).staging(CATALOG[proxy_type]).discard()
    except Exception as exc:  # noqa: BLE001 - reported to the test
        return f"{proxy_type}: {exc}"
    return None


@pytest.mark.slow
def test_workers_opening_a_new_file_together_all_get_in(tmp_path):
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as manager, ctx.Pool(len(PROXY_TYPES)) as pool:
        for attempt in range(10):
            path = str(tmp_path / f"new-{attempt}.db")
            barrier = manager.Barrier(len(PROXY_TYPES))
            errors = pool.starmap(_open_staging, [(path, t, barrier) for t in PROXY_TYPES])
            assert [e for e in errors if e] == [], attempt


def all_finished(ids: dict[str, str]) -> dict[str, dict] | None:
    records = {t: jobs.job_status(i) for t, i in ids.items()}
    done = all(r["state"] in ("completed", "failed") for r in records.values())
    return records if done else None


@pytest.mark.slow
def test_five_types_at_once_into_one_sqlite_file_never_hit_a_lock(
    job_env, job_settings, start_consumer, make_fake_siasn
):
    upstream = make_fake_siasn(token=f"tok-{uuid.uuid4().hex}")
    env = {"SIASN_BASE_URL": upstream.base_url, "SIASN_TOKEN": upstream.token,
           "PROXYTUI_REQUEST_BACKOFF": "0.01"}
    assert job_env["PROXYTUI_DATABASE_URL"].startswith("sqlite:///")
    consumer = start_consumer(config="huey_config.huey", workers=2, worker_type="process",
                              extra_env=env)
    for round_ in range(2):  # a first sync creates the file and tables; a second one diffs
        ids = {t: jobs.request_sync(t, force=True, requested_by="lock")["jobId"]
               for t in PROXY_TYPES}
        records = wait_for(lambda ids=ids: all_finished(ids), timeout=120, every=0.2)
        for proxy_type, record in records.items():
            lines = " | ".join(line["msg"] for line in record["log"])
            assert "locked" not in lines, (round_, proxy_type, lines)
            assert record["state"] == "completed" and record["attemptsMade"] == 1, (
                round_, proxy_type, record["error"], lines)
    assert "locked" not in consumer.log()
    runs = jobs.history(limit=100)["runs"]
    assert sorted(r["type"] for r in runs) == sorted(PROXY_TYPES * 2)
    assert {r["state"] for r in runs} == {"completed"}
