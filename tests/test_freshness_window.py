"""A plain sync returns the last job only while it completed less than PROXYTUI_FRESH_FOR
ago; a stale, failed or cancelled last run gets a new run, and the old run stays in the
ledger's history."""

from __future__ import annotations

import uuid

import pytest

from tasks import jobs
from tasks.backend import use_backend
from tasks.settings import configure
from tests.support.jobenv import wait_for


def finished(job_id: str) -> dict:
    return wait_for(
        lambda: (r := jobs.job_status(job_id))["state"] in ("completed", "failed") and r,
        timeout=60,
    )


@pytest.fixture
def upstream(make_fake_siasn):
    return make_fake_siasn(token=f"tok-{uuid.uuid4().hex}")


@pytest.fixture
def pipeline_env(upstream):
    return {
        "SIASN_BASE_URL": upstream.base_url,
        "SIASN_TOKEN": upstream.token,
        "PROXYTUI_REQUEST_BACKOFF": "0.01",
    }


@pytest.mark.slow
def test_a_fresh_completed_run_is_returned_and_a_stale_one_gets_a_new_run(
    job_settings, start_consumer, pipeline_env
):
    start_consumer(config="huey_config.huey", extra_env=pipeline_env)
    first = jobs.request_sync("pangkat", requested_by="ops")
    done = finished(first["jobId"])
    assert done["state"] == "completed", done["error"]

    fresh = jobs.request_sync("pangkat")
    assert fresh["status"] == "completed" and fresh["jobId"] == first["jobId"]
    assert fresh["lastSync"]["finishedAt"] == done["finishedAt"]

    # The same job, now outside a window of zero seconds: a new run, the old one kept.
    configure(job_settings, fresh_for=0.0)
    use_backend(None)
    stale = jobs.request_sync("pangkat")
    assert stale["status"] == "queued" and stale["jobId"] != first["jobId"]
    assert "freshness window" in stale["message"], stale["message"]
    assert jobs.job_status(first["jobId"])["found"] is False  # the job store forgot it
    runs = jobs.history("pangkat")["runs"]
    assert [r["jobId"] for r in runs] == [first["jobId"]]  # the ledger did not
    assert runs[0]["state"] == "completed" and runs[0]["rows"] == done["result"]["inserted"]
    assert finished(stale["jobId"])["state"] == "completed"
    assert [r["jobId"] for r in jobs.history("pangkat")["runs"]] == [stale["jobId"], first["jobId"]]


@pytest.mark.slow
def test_a_failed_run_is_retried_by_a_plain_sync_and_stays_in_history(
    job_settings, start_consumer
):
    consumer = start_consumer("permanent")
    first = jobs.request_sync("skk", requested_by="ops")
    assert finished(first["jobId"])["state"] == "failed"
    failed = wait_for(lambda: jobs.history("skk")["runs"])
    assert failed[0]["jobId"] == first["jobId"] and failed[0]["state"] == "failed"
    assert "rejected the token" in failed[0]["error"]
    assert failed[0]["requestedBy"] == "ops" and failed[0]["trigger"] == "cli"

    again = jobs.request_sync("skk")
    assert again["status"] == "queued" and again["jobId"] != first["jobId"]
    assert "failed" in again["message"] and "rejected the token" in again["message"]
    assert finished(again["jobId"])["state"] == "failed"
    runs = wait_for(lambda: len(r := jobs.history("skk")["runs"]) == 2 and r)
    assert [r["jobId"] for r in runs] == [again["jobId"], first["jobId"]]
    consumer.stop()


@pytest.mark.slow
def test_a_cancelled_run_is_in_history_and_a_plain_sync_queues_a_new_one(
    job_settings, start_consumer
):
    start_consumer("slow", extra_env={"PROXYTUI_TEST_STEPS": "400", "PROXYTUI_TEST_STEP_SECONDS": "0.05"})
    first = jobs.request_sync("pensiun")
    wait_for(lambda: jobs.job_status(first["jobId"])["progress"] > 0)
    forced = jobs.request_sync("pensiun", force=True, requested_by="boss")
    assert forced["status"] == "queued"
    runs = wait_for(lambda: jobs.history("pensiun")["runs"])
    assert runs[0]["jobId"] == first["jobId"] and runs[0]["state"] == "cancelled"
    wait_for(lambda: jobs.job_status(forced["jobId"])["progress"] > 0)
    jobs.cleanup("pensiun")  # the forced run is cancelled too, and recorded
    runs = wait_for(lambda: len(r := jobs.history("pensiun")["runs"]) == 2 and r, timeout=30)
    assert [r["state"] for r in runs] == ["cancelled", "cancelled"]
    assert runs[0]["jobId"] == forced["jobId"] and runs[0]["forced"] is True
    assert runs[0]["requestedBy"] == "boss"
    assert jobs.request_sync("pensiun")["status"] == "queued"
