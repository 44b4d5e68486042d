"""A failing sync is retried with growing delays, then fails with its error and trace."""

from __future__ import annotations

import pytest

from tasks import jobs
from tasks.backend import use_backend
from tasks.settings import configure
from tests.support.jobenv import wait_for


@pytest.mark.slow
def test_failing_sync_retries_with_backoff_then_fails_with_its_trace(job_settings, start_consumer):
    start_consumer("fail")
    job_id = jobs.request_sync("pangkat")["jobId"]
    seen_delayed = {}

    def observe():
        record = jobs.job_status(job_id)
        if record["state"] == "delayed":
            seen_delayed.setdefault(record["attemptsMade"], record["retryAt"] - record["enqueuedAt"])
        return record["state"] == "failed" and record

    final = wait_for(observe, timeout=30, every=0.02)
    assert final["attemptsMade"] == 3
    assert final["maxAttempts"] == 3
    assert "upstream exploded on attempt 3" in final["error"]
    assert "RuntimeError" in final["stackTrace"] and "Traceback" in final["stackTrace"]
    # Delays double from the base (0.5 s in tests): 500 ms after attempt 1, 1000 after 2.
    assert seen_delayed == {1: 500, 2: 1000}
    log = [line["msg"] for line in final["log"]]
    assert any("retrying in 0.5s" in msg for msg in log)
    assert any("retrying in 1s" in msg for msg in log)
    assert any("no attempts left" in msg for msg in log)
    # The error's own full stop does not run into the line's punctuation.
    assert any("attempt 1; retrying in 0.5s." in msg for msg in log), log
    assert final["error"].endswith("upstream exploded on attempt 3.")


def test_permanent_failure_is_not_retried(job_settings, start_consumer):
    start_consumer("permanent")
    job_id = jobs.request_sync("skk")["jobId"]
    final = wait_for(lambda: (r := jobs.job_status(job_id))["state"] == "failed" and r)
    assert final["attemptsMade"] == 1
    assert "rejected the token" in final["error"]


@pytest.mark.slow
def test_attempt_limit_is_enforced_cooperatively_under_thread_workers(job_settings, start_consumer):
    configure(job_settings, max_attempts=1)
    use_backend(None)
    start_consumer("hang", extra_env={"PROXYTUI_ATTEMPT_LIMIT": "0.5"})
    job_id = jobs.request_sync("pensiun")["jobId"]
    final = wait_for(lambda: (r := jobs.job_status(job_id))["state"] == "failed" and r)
    assert "timed out after 0.5 s" in final["error"]


@pytest.mark.slow
def test_attempt_limit_is_hard_under_process_workers(job_settings, start_consumer):
    configure(job_settings, max_attempts=1)
    use_backend(None)
    # "slow" never calls check() between its sleeps of 30 s: only SIGALRM can stop it.
    start_consumer(
        "slow",
        worker_type="process",
        extra_env={
            "PROXYTUI_ATTEMPT_LIMIT": "1",
            "PROXYTUI_TEST_STEPS": "1",
            "PROXYTUI_TEST_STEP_SECONDS": "30",
        },
    )
    job_id = jobs.request_sync("pensiun")["jobId"]
    final = wait_for(lambda: (r := jobs.job_status(job_id))["state"] == "failed" and r)
    assert "timed out after 1 s" in final["error"]
