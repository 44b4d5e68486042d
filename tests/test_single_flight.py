"""The four rows of request_sync's behaviour table, and single-flight under contention."""

from __future__ import annotations

import multiprocessing

import pytest

from tasks import jobs
from tests.support.jobenv import wait_for


def test_first_sync_queues_a_new_job(job_settings):
    answer = jobs.request_sync("pangkat", requested_by="tester")
    assert answer["success"] is True
    assert answer["status"] == "queued"
    assert answer["forced"] is False
    assert answer["jobId"].startswith("proxy-pangkat-")
    record = jobs.job_status(answer["jobId"])
    assert record["found"] and record["state"] == "waiting"
    assert record["requestedBy"] == "tester"


def test_sync_while_running_returns_the_same_job_with_progress(job_settings, start_consumer):
    start_consumer("slow", extra_env={"PROXYTUI_TEST_STEPS": "40", "PROXYTUI_TEST_STEP_SECONDS": "0.1"})
    first = jobs.request_sync("pensiun")
    wait_for(lambda: jobs.job_status(first["jobId"])["progress"] > 0)
    again = jobs.request_sync("pensiun")
    assert again["success"] is False
    assert again["status"] == "running"
    assert again["jobId"] == first["jobId"]
    assert again["state"] == "active"
    assert again["progress"] > 0
    assert first["jobId"] in again["message"]


@pytest.mark.slow
def test_sync_when_finished_returns_the_last_run(job_settings, start_consumer):
    start_consumer("ok")
    first = jobs.request_sync("skk")
    done = wait_for(lambda: (s := jobs.job_status(first["jobId"]))["state"] == "completed" and s)
    again = jobs.request_sync("skk")
    assert again["success"] is True
    assert again["status"] == "completed"
    assert again["jobId"] == first["jobId"]
    assert again["lastSync"]["finishedAt"] == done["finishedAt"]
    assert again["lastSync"]["minutesAgo"] == 0
    assert again["lastSync"]["result"] == {"success": True, "message": "30 rows", "total": 30}


def test_force_replaces_the_job_and_the_old_one_is_gone(job_settings):
    first = jobs.request_sync("pg_akademik")
    forced = jobs.request_sync("pg_akademik", force=True)
    assert forced["status"] == "queued" and forced["forced"] is True
    assert forced["jobId"] != first["jobId"]
    assert jobs.job_status(first["jobId"])["found"] is False
    listed = jobs.list_jobs("pg_akademik")
    assert [j["jobId"] for j in listed["waiting"]] == [forced["jobId"]]


def test_job_ids_stay_unique_within_one_millisecond(job_settings):
    ids = {jobs.request_sync("skk", force=True)["jobId"] for _ in range(30)}
    assert len(ids) == 30


def _hammer(env: dict, rounds: int, out) -> None:
    import os

    os.environ.update(env)
    from tasks import jobs as j

    out.put([j.request_sync("pangkat", requested_by=f"p{os.getpid()}")["jobId"]
             for _ in range(rounds)])


@pytest.mark.slow
@pytest.mark.parametrize("processes", [5])
def test_concurrent_requests_from_many_processes_create_one_job(job_env, job_settings, processes):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(job_env, 10, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    seen = [job_id for _ in procs for job_id in out.get(timeout=60)]
    for p in procs:
        p.join(timeout=30)
    assert len(seen) == 50
    assert len(set(seen)) == 1
    listed = jobs.list_jobs("pangkat")
    assert sum(len(group) for group in listed.values()) == 1
