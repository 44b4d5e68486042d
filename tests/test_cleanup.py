"""cleanup removes the jobs of one type or all, with a breakdown by state."""

from __future__ import annotations

from tasks import jobs
from tests.support.jobenv import wait_for


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
