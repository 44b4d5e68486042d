"""cleanup removes the jobs of one type or all, in the states asked for, with a breakdown
by state; a running job goes only when ``active`` is asked for."""

from __future__ import annotations

import pytest

from tasks import jobs
from tasks.errors import InvalidJobState
from tests.support.jobenv import wait_for


@pytest.mark.slow
def test_cleanup_by_type_leaves_other_types_alone(job_settings, start_consumer):
    consumer = start_consumer("ok")
    done = jobs.request_sync("skk")["jobId"]
    wait_for(lambda: jobs.job_status(done)["state"] == "completed")
    consumer.stop()
    jobs.request_sync("pangkat")
    jobs.request_sync("pensiun")

    answer = jobs.cleanup("pangkat")
    assert answer["success"] is True
    assert answer["cleaned"] == 1
    assert answer["breakdown"] == {"active": 0, "waiting": 1, "delayed": 0, "completed": 0, "failed": 0}
    remaining = {j["type"] for group in jobs.list_jobs().values() for j in group}
    assert remaining == {"skk", "pensiun"}

    answer = jobs.cleanup()
    assert answer["cleaned"] == 2
    assert answer["breakdown"] == {"active": 0, "waiting": 1, "delayed": 0, "completed": 1, "failed": 0}
    assert all(not group for group in jobs.list_jobs().values())
    assert jobs.overview()["backend"]["queued"] == 0  # their queued messages went too


def test_cleanup_with_nothing_to_clean_reports_zero(job_settings):
    answer = jobs.cleanup("pg_profesi")
    assert answer["cleaned"] == 0
    assert set(answer["breakdown"]) == {"active", "waiting", "delayed", "completed", "failed"}


SLOW = {"PROXYTUI_TEST_STEPS": "400", "PROXYTUI_TEST_STEP_SECONDS": "0.05"}


def _states() -> dict[str, str]:
    """type -> state of every job left."""
    return {j["type"]: j["state"] for group in jobs.list_jobs().values() for j in group}


@pytest.mark.slow
def test_cleanup_of_some_states_leaves_the_others(job_settings, start_consumer):
    ok = start_consumer("ok")
    done = jobs.request_sync("skk")["jobId"]
    wait_for(lambda: jobs.job_status(done)["state"] == "completed")
    ok.stop()
    failing = start_consumer("permanent")
    failed = jobs.request_sync("pangkat")["jobId"]
    wait_for(lambda: jobs.job_status(failed)["state"] == "failed")
    failing.stop()
    jobs.request_sync("pensiun")  # waiting: no consumer runs now

    answer = jobs.cleanup(states=["completed"])
    assert answer["cleaned"] == answer["removed"] == 1
    assert answer["breakdown"] == {"active": 0, "waiting": 0, "delayed": 0, "completed": 1, "failed": 0}
    assert _states() == {"pangkat": "failed", "pensiun": "waiting"}

    answer = jobs.cleanup(states=("failed", "completed"))
    assert answer["removed"] == 1 and answer["breakdown"]["failed"] == 1
    assert _states() == {"pensiun": "waiting"}
    assert jobs.overview()["backend"]["queued"] == 1  # the waiting job's message stays

    answer = jobs.cleanup("pensiun", states=["waiting"])
    assert answer["removed"] == 1 and _states() == {}
    assert jobs.overview()["backend"]["queued"] == 0


@pytest.mark.slow
def test_a_running_job_survives_unless_active_is_listed(job_settings, start_consumer):
    start_consumer("slow", extra_env=SLOW)
    job_id = jobs.request_sync("skk")["jobId"]
    wait_for(lambda: jobs.job_status(job_id)["progress"] > 0)
    every_other = [s for s in jobs.STATES if s not in ("active", "stalled")]
    assert jobs.cleanup(states=every_other)["removed"] == 0
    assert jobs.cleanup("skk", states=["stalled"])["removed"] == 0  # it is not stalled
    assert jobs.job_status(job_id)["state"] == "active"

    answer = jobs.cleanup(states=["active"])
    assert answer["removed"] == 1 and answer["breakdown"]["active"] == 1
    assert jobs.job_status(job_id)["found"] is False


@pytest.mark.parametrize("states", [["done"], [], ["completed", "Completed"]])
def test_unknown_or_no_states_are_refused_naming_the_valid_ones(job_settings, states):
    jobs.request_sync("skk")
    with pytest.raises(InvalidJobState) as info:
        jobs.cleanup(states=states)
    assert "waiting, active, delayed, completed, failed, stalled" in str(info.value)
    assert _states() == {"skk": "waiting"}
