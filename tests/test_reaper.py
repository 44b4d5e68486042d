"""The reaper recovers lost jobs, and only lost ones."""

from __future__ import annotations

import pytest

from tasks import jobs
from tasks.backend import current_backend
from tasks.watchdog import reap_lost_jobs
from tests.support.jobenv import wait_past_stall


def _pop_message(backend):
    """Do what a worker does first: take the message off Huey's queue."""
    data = backend.huey.storage.dequeue()
    assert data is not None
    return backend.huey.serializer.deserialize(data)


@pytest.mark.slow
def test_a_message_popped_but_not_yet_claimed_is_not_taken_for_lost(job_settings):
    backend = current_backend()
    job_id = jobs.request_sync("pangkat")["jobId"]
    wait_past_stall(backend, jobs.job_status(job_id)["enqueuedAt"])
    message = _pop_message(backend)
    suspects: set[str] = set()
    assert reap_lost_jobs(backend, suspects) == 0  # first sighting: only a suspect
    proxy_type, ticket = message.args
    assert backend.store.start_attempt(proxy_type, ticket, "w", "token") is not None
    assert reap_lost_jobs(backend, suspects) == 0
    assert jobs.list_jobs("pangkat")["active"][0]["worker"] == "w"


@pytest.mark.slow
def test_a_job_whose_message_vanished_is_enqueued_again_on_the_second_pass(job_settings):
    backend = current_backend()
    job_id = jobs.request_sync("skk")["jobId"]
    wait_past_stall(backend, jobs.job_status(job_id)["enqueuedAt"])
    _pop_message(backend)  # ...and the worker died before claiming it
    suspects: set[str] = set()
    assert reap_lost_jobs(backend, suspects) == 0
    assert reap_lost_jobs(backend, suspects) == 1
    record = jobs.job_status(job_id)
    assert record["state"] == "waiting"
    assert jobs.overview()["backend"]["queued"] == 1
    assert any("lost" in line["msg"] for line in record["log"])
