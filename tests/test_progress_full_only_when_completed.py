"""``progress`` is 100 only for a completed job: readers (the web page polls until
``progress === 100``) take 100 to mean done, so a running job reports at most 99."""

from __future__ import annotations

from tasks import jobs
from tasks.backend import current_backend
from tasks.runner import RunContext


def test_a_running_job_reports_at_most_99_and_completion_writes_100(job_settings):
    store = current_backend().store
    envelope = current_backend().envelopes.build("skk")
    job_id = store.request_sync("skk", False, "tester", envelope, "queued").job["jobId"]
    assert store.start_attempt("skk", envelope.ticket, "w1", "tok") is not None
    assert store.write_progress(job_id, "tok", 100, {"stage": "publishing"}) is True
    assert jobs.job_status(job_id)["progress"] == 99
    assert store.write_progress(job_id, "tok", 250, {}) is True
    assert jobs.job_status(job_id)["progress"] == 99
    assert store.complete(job_id, "tok", {"success": True}) is True
    assert jobs.job_status(job_id)["progress"] == 100


def test_a_failed_job_never_shows_100(job_settings):
    store = current_backend().store
    envelope = current_backend().envelopes.build("pangkat")
    job_id = store.request_sync("pangkat", False, "tester", envelope, "queued").job["jobId"]
    store.start_attempt("pangkat", envelope.ticket, "w1", "tok")
    store.write_progress(job_id, "tok", 100, {})
    assert store.fail_attempt(job_id, "tok", "Boom", "trace", None, 0) == "failed"
    record = jobs.job_status(job_id)
    assert record["state"] == "failed" and record["progress"] == 99


def test_the_run_loop_keeps_a_sync_that_reports_100_below_it(job_settings):
    backend = current_backend()
    envelope = backend.envelopes.build("pensiun")
    job_id = backend.store.request_sync("pensiun", False, "t", envelope, "queued").job["jobId"]
    attempt = backend.store.start_attempt("pensiun", envelope.ticket, "w1", "tok")
    run = RunContext(backend, attempt)
    run.report(progress=100, stage="publishing")
    run.report(progress=40)  # never backwards either
    assert jobs.job_status(job_id)["progress"] == 99
