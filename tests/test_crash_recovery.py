"""A consumer killed with SIGKILL: its job stalls, then another consumer re-runs it."""

from __future__ import annotations

import time

import pytest

from tasks import jobs
from tasks.backend import use_backend
from tasks.settings import configure
from tests.support.jobenv import wait_for

SLOW = {"PROXYTUI_TEST_STEPS": "20", "PROXYTUI_TEST_STEP_SECONDS": "0.1"}


@pytest.mark.slow
@pytest.mark.parametrize("worker_type", ["process", "thread"])
def test_sigkill_mid_job_stalls_then_a_new_consumer_finishes_it(job_settings, start_consumer, worker_type):
    first = start_consumer("slow", worker_type=worker_type, extra_env=SLOW)
    job_id = jobs.request_sync("pangkat")["jobId"]
    wait_for(lambda: jobs.job_status(job_id)["progress"] > 0)
    first.kill()

    stalled = wait_for(lambda: (r := jobs.job_status(job_id))["state"] == "stalled" and r)
    assert stalled["attemptsMade"] == 1
    assert jobs.request_sync("pangkat")["status"] == "running"  # stalled still holds the type

    start_consumer("slow", worker_type=worker_type, extra_env=SLOW)
    final = wait_for(lambda: (r := jobs.job_status(job_id))["state"] == "completed" and r, timeout=40)
    assert final["attemptsMade"] == 2
    assert any("stopped sending heartbeats" in line["msg"] for line in final["log"])


@pytest.mark.slow
def test_stalled_job_without_attempts_left_fails(job_settings, start_consumer):
    configure(job_settings, max_attempts=1)  # maxAttempts is fixed when the job is requested
    use_backend(None)
    env = {**SLOW, "PROXYTUI_MAX_ATTEMPTS": "1"}
    first = start_consumer("slow", extra_env=env)
    job_id = jobs.request_sync("skk")["jobId"]
    wait_for(lambda: jobs.job_status(job_id)["progress"] > 0)
    first.kill()
    start_consumer("slow", extra_env=env)
    final = wait_for(lambda: (r := jobs.job_status(job_id))["state"] == "failed" and r, timeout=40)
    assert "no attempts left" in final["error"]


@pytest.mark.slow
def test_with_default_timings_a_killed_job_runs_again_within_60_seconds(job_env, job_settings, start_consumer):
    defaults = {key: "" for key in ("PROXYTUI_HEARTBEAT_INTERVAL", "PROXYTUI_STALL_AFTER",
                                    "PROXYTUI_REAPER_INTERVAL", "PROXYTUI_WORKER_TTL")}
    env = {**defaults, "PROXYTUI_TEST_STEPS": "400", "PROXYTUI_TEST_STEP_SECONDS": "0.1"}
    first = start_consumer("slow", extra_env=env)
    job_id = jobs.request_sync("pensiun")["jobId"]
    wait_for(lambda: jobs.job_status(job_id)["progress"] > 0)
    start_consumer("slow", extra_env=env)  # the survivor, already running
    killed_at = time.monotonic()
    first.kill()
    wait_for(lambda: jobs.job_status(job_id)["attemptsMade"] == 2, timeout=70, every=0.2)
    assert time.monotonic() - killed_at < 60


@pytest.mark.slow
def test_sigkill_while_nothing_runs_loses_no_queued_job(job_settings, start_consumer):
    first = start_consumer("ok")
    first.kill()
    job_id = jobs.request_sync("pg_profesi")["jobId"]
    start_consumer("ok")
    wait_for(lambda: jobs.job_status(job_id)["state"] == "completed")
