"""SIGTERM / SIGINT of a consumer mid-job: nothing is lost, the job runs again."""

from __future__ import annotations

import signal

import pytest

from tasks import jobs
from tests.support.jobenv import wait_for

SLOW = {"PROXYTUI_TEST_STEPS": "30", "PROXYTUI_TEST_STEP_SECONDS": "0.1"}


@pytest.mark.slow
@pytest.mark.parametrize("worker_type", ["process", "thread"])
def test_interrupting_signal_hands_the_job_back_and_it_runs_again(job_settings, start_consumer, worker_type):
    first = start_consumer("slow", worker_type=worker_type, extra_env=SLOW)
    job_id = jobs.request_sync("pangkat")["jobId"]
    wait_for(lambda: jobs.job_status(job_id)["progress"] > 0)
    first.stop(signal.SIGTERM)  # Huey's default: SIGTERM interrupts running tasks

    record = wait_for(lambda: (r := jobs.job_status(job_id))["state"] == "waiting" and r)
    assert record["attemptsMade"] == 0  # an interruption is not a failed attempt
    assert any("shut down during the attempt" in line["msg"] for line in record["log"])
    assert jobs.overview()["backend"]["queued"] == 1

    start_consumer("slow", worker_type=worker_type, extra_env=SLOW)
    final = wait_for(lambda: (r := jobs.job_status(job_id))["state"] == "completed" and r, timeout=30)
    assert final["attemptsMade"] == 1


@pytest.mark.slow
def test_graceful_signal_lets_the_running_job_finish(job_settings, start_consumer):
    first = start_consumer("slow", extra_env={**SLOW, "PROXYTUI_TEST_STEPS": "10"})
    job_id = jobs.request_sync("skk")["jobId"]
    wait_for(lambda: jobs.job_status(job_id)["progress"] > 0)
    assert first.stop(signal.SIGINT) == 0
    assert jobs.job_status(job_id)["state"] == "completed"


@pytest.mark.slow
def test_graceful_term_with_shutdown_timeout_hands_back_a_long_job(job_settings, start_consumer):
    first = start_consumer(
        "slow",
        worker_type="process",
        extra_env={**SLOW, "PROXYTUI_TEST_STEPS": "200"},
        extra_args=("-g", "TERM", "-t", "1"),
    )
    job_id = jobs.request_sync("pensiun")["jobId"]
    wait_for(lambda: jobs.job_status(job_id)["progress"] > 0)
    first.stop(signal.SIGTERM)
    record = wait_for(lambda: (r := jobs.job_status(job_id))["state"] == "waiting" and r)
    assert record["attemptsMade"] == 0
