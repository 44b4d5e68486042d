"""Consumers advertise themselves; overview() says when jobs wait with no worker alive."""

from __future__ import annotations

import pytest

from tasks import jobs
from tests.support.jobenv import wait_for


@pytest.mark.slow
def test_overview_counts_live_workers_and_flags_waiting_jobs_without_one(job_settings, start_consumer):
    jobs.request_sync("pangkat")
    health = jobs.overview()["backend"]
    assert health["reachable"] is True
    assert health["workers"] == 0
    assert health["queued"] == 1
    assert health["noWorker"] is True

    consumer = start_consumer("ok", worker_type="process", workers=2)
    wait_for(lambda: jobs.overview()["backend"]["workers"] == 2)
    wait_for(lambda: jobs.overview()["types"][0]["job"]["state"] == "completed")
    health = jobs.overview()["backend"]
    assert health["queued"] == 0 and health["noWorker"] is False

    consumer.kill()
    wait_for(lambda: jobs.overview()["backend"]["workers"] == 0, timeout=10)
    jobs.request_sync("skk")
    assert jobs.overview()["backend"]["noWorker"] is True


def test_overview_when_the_backend_is_unreachable_reports_it_instead_of_raising(redis_server, job_env, monkeypatch):
    from tasks.backend import use_backend
    from tasks.settings import configure, load_settings

    configure(load_settings({**job_env, "PROXYTUI_REDIS_URL": redis_server.url}))
    use_backend(None)
    try:
        assert jobs.overview()["backend"]["reachable"] is True
        redis_server.stop()
        snap = jobs.overview()
        assert snap["backend"]["reachable"] is False
        assert "refused" in snap["backend"]["error"].lower() or snap["backend"]["error"]
        assert [row["type"] for row in snap["types"]] == ["pangkat", "pensiun", "pg_akademik", "pg_profesi", "skk"]
        redis_server.start()
        assert jobs.overview()["backend"]["reachable"] is True
    finally:
        configure(load_settings(job_env))
        use_backend(None)


@pytest.mark.slow
def test_workers_lists_each_live_consumer_with_its_kind_and_current_job(job_settings, start_consumer):
    import socket

    import psutil

    slow = start_consumer(
        "slow", worker_type="thread", workers=1,
        extra_env={"PROXYTUI_TEST_STEPS": "200", "PROXYTUI_TEST_STEP_SECONDS": "0.05"},
    )
    idle = start_consumer("ok", worker_type="process", workers=1)
    wait_for(lambda: len(jobs.workers()["workers"]) == 2)
    found = jobs.workers()["workers"]
    by_kind = {w["kind"]: w for w in found}
    assert set(by_kind) == {"thread", "process"}
    assert by_kind["thread"]["pid"] == slow.pid  # thread workers run in the consumer itself
    assert psutil.Process(by_kind["process"]["pid"]).ppid() == idle.pid  # in its child
    assert all(w["host"] == socket.gethostname() and w["startedAt"] for w in found)
    job_id = jobs.request_sync("pangkat")["jobId"]
    running = wait_for(lambda: [w for w in jobs.workers()["workers"] if w["jobs"]])
    assert len(running) == 1 and running[0]["jobs"][0]["jobId"] == job_id
    assert running[0]["jobs"][0]["type"] == "pangkat"
    jobs.cleanup("pangkat")
