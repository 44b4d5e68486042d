"""Force and cleanup cancel a running attempt: it stops and never completes."""

from __future__ import annotations

import pytest

from tasks import jobs
from tests.support.jobenv import wait_for

SLOW = {"PROXYTUI_TEST_STEPS": "200", "PROXYTUI_TEST_STEP_SECONDS": "0.05"}


def _steps_after(trace_path, job_id, since_step):
    lines = [line.split() for line in trace_path.read_text().splitlines()]
    return [s for j, _, s in lines if j == job_id and s.isdigit() and int(s) > since_step]


@pytest.mark.slow
def test_force_while_active_stops_the_old_run_within_a_heartbeat(job_settings, start_consumer, tmp_path):
    trace = tmp_path / "trace.txt"
    start_consumer("slow", workers=2, extra_env={**SLOW, "PROXYTUI_TEST_TRACE": str(trace)})
    old = jobs.request_sync("pangkat")["jobId"]
    wait_for(lambda: jobs.job_status(old)["progress"] >= 2)
    new = jobs.request_sync("pangkat", force=True)["jobId"]
    assert jobs.job_status(old)["found"] is False
    last_old_step = max(int(s) for j, _, s in (line.split() for line in trace.read_text().splitlines())
                        if j == old and s.isdigit())
    # The old run took at most one more step, then stopped; it never reached "done".
    wait_for(lambda: f"{old} 1 stopped" in trace.read_text(), timeout=10)
    assert len(_steps_after(trace, old, last_old_step)) <= 1
    assert f"{old} 1 done" not in trace.read_text()
    wait_for(lambda: jobs.job_status(new)["state"] == "active")
    assert jobs.job_status(old)["found"] is False


def test_cleanup_of_an_active_job_cancels_it(job_settings, start_consumer, tmp_path):
    trace = tmp_path / "trace.txt"
    start_consumer("slow", extra_env={**SLOW, "PROXYTUI_TEST_TRACE": str(trace)})
    job_id = jobs.request_sync("skk")["jobId"]
    # Wait for the run's first step, not only for "active": a run cancelled before its
    # first step writes no trace at all, and this test is about a run that is working.
    wait_for(lambda: trace.exists() and f"{job_id} 1 0" in trace.read_text())
    assert jobs.job_status(job_id)["state"] == "active"
    answer = jobs.cleanup("skk")
    assert answer["breakdown"]["active"] == 1
    wait_for(lambda: f"{job_id} 1 stopped" in trace.read_text(), timeout=10)
    # "stopped" is the run's last act: nothing after it, and no "done".
    assert trace.read_text().splitlines()[-1] == f"{job_id} 1 stopped"
    assert jobs.job_status(job_id)["found"] is False
    assert f"{job_id} 1 done" not in trace.read_text()
