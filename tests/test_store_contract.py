"""The job store's promises, called directly: fencing, stale messages, the reaper's orphan
check, the log cap, retries Huey can read back, and a footprint that history cannot grow.

Runs on every store (job_env is parametrized over redis and sqlite).
"""

from __future__ import annotations

import datetime
import time

import pytest

from tasks.backend import Backend, current_backend
from tasks.store.base import Attempt
from tasks.watchdog import reap_lost_jobs
from tests.support.jobenv import wait_past_stall


@pytest.fixture
def backend(job_settings) -> Backend:
    return current_backend()


def queue(backend: Backend, proxy_type: str = "pangkat", force: bool = False):
    envelope = backend.envelopes.build(proxy_type)
    answer = backend.store.request_sync(proxy_type, force, "tester", envelope, "queued")
    return answer.job["jobId"], envelope


def claim(backend: Backend, proxy_type: str, ticket: str, token: str = "tok") -> Attempt:
    attempt = backend.store.start_attempt(proxy_type, ticket, "w1", token)
    assert attempt is not None
    return attempt


def test_only_the_owning_run_may_write_and_a_message_starts_one_attempt(backend):
    store = backend.store
    job_id, envelope = queue(backend)
    attempt = claim(backend, "pangkat", envelope.ticket)
    assert (attempt.job_id, attempt.attempt, attempt.max_attempts) == (job_id, 1, 3)
    assert store.start_attempt("pangkat", envelope.ticket, "w2", "other") is None  # duplicate
    assert store.heartbeat(job_id, "tok") is True
    assert store.heartbeat(job_id, "wrong") is False
    assert store.write_progress(job_id, "tok", 40, {"stage": "fetching"}) is True
    record = store.get_job(job_id)
    assert record["progress"] == 40 and record["progressInfo"] == {"stage": "fetching"}
    assert "runToken" not in record and "ticket" not in record and "message" not in record

    queue(backend, force=True)  # supersedes the run
    assert store.get_job(job_id) is None
    assert store.heartbeat(job_id, "tok") is False
    assert store.write_progress(job_id, "tok", 50, {}) is False
    assert store.complete(job_id, "tok", {"success": True}) is False
    assert store.fail_attempt(job_id, "tok", "x", "", None, 0) is None


def test_the_line_that_explains_a_final_state_is_written_with_it(backend):
    # A reader that sees "failed" or "completed" must also see why: the runner's closing
    # line once came in a second write, and a quick reader missed it.
    store = backend.store
    lines = lambda job_id: [(x["level"], x["msg"]) for x in store.get_log(job_id)]  # noqa: E731
    job_id, envelope = queue(backend, "skk")
    claim(backend, "skk", envelope.ticket)
    assert store.fail_attempt(job_id, "tok", "Boom", "", None, 0, note=("error", "gave up")) == "failed"
    assert lines(job_id)[-1] == ("error", "gave up")

    job_id, envelope = queue(backend, "pg_akademik")
    claim(backend, "pg_akademik", envelope.ticket)
    again = backend.envelopes.build("pg_akademik")
    assert store.requeue(job_id, "tok", again, note=("warning", "handed back")) is True
    assert lines(job_id)[-1] == ("warning", "handed back")

    job_id, envelope = queue(backend, "pensiun")
    claim(backend, "pensiun", envelope.ticket)
    assert store.complete(job_id, "tok", {"success": True}, note=("info", "all done")) is True
    assert lines(job_id)[-1] == ("info", "all done")

    queue(backend, "pensiun", force=True)  # a fenced-out run adds nothing anywhere
    assert store.complete(job_id, "tok", {}, note=("info", "stray")) is False
    assert store.get_job(job_id) is None


@pytest.mark.slow
def test_a_stalled_job_reads_stalled_and_its_own_heartbeat_revives_it(backend):
    store = backend.store
    job_id, envelope = queue(backend, "skk")
    claim(backend, "skk", envelope.ticket)
    wait_past_stall(backend, store.get_job(job_id)["heartbeatAt"])
    assert store.get_job(job_id)["state"] == "stalled"
    assert store.heartbeat(job_id, "tok") is True
    assert store.get_job(job_id)["state"] == "active"


def test_retry_goes_on_huey_schedule_where_huey_finds_it_when_due(backend):
    store = backend.store
    job_id, envelope = queue(backend, "pensiun")
    claim(backend, "pensiun", envelope.ticket)
    retry = backend.envelopes.build("pensiun", delay=0.5)
    assert store.fail_attempt(job_id, "tok", "Boom: x", "trace", retry, 500) == "delayed"
    record = store.get_job(job_id)
    assert record["state"] == "delayed" and record["retryAt"] - record["enqueuedAt"] == 500
    assert store.overview(["pensiun"])["scheduled"] == 1
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert backend.huey.storage.read_schedule(now) == []  # not due yet
    due = backend.huey.storage.read_schedule(now + datetime.timedelta(seconds=1))
    assert [backend.huey.serializer.deserialize(data).args for data in due] == [
        ("pensiun", retry.ticket)
    ]
    assert claim(backend, "pensiun", retry.ticket, "tok2").attempt == 2


@pytest.mark.slow
def test_a_waiting_job_whose_message_vanished_is_found_and_queued_again(backend):
    store = backend.store
    job_id, envelope = queue(backend, "pg_profesi")
    backend.huey.storage.flush_queue()  # the message is lost, the record says waiting
    assert store.find_lost() == []  # not before the stall limit
    wait_past_stall(backend, store.get_job(job_id)["enqueuedAt"])
    lost = store.find_lost()
    assert [(item.job_id, item.kind) for item in lost] == [(job_id, "orphan")]
    assert reap_lost_jobs(backend) == 1
    assert store.find_lost() == []
    assert store.overview(["pg_profesi"])["queued"] == 1
    assert store.start_attempt("pg_profesi", envelope.ticket, "w", "t") is None  # old ticket
    (data,) = backend.huey.storage.enqueued_items()
    ticket = backend.huey.serializer.deserialize(data).args[1]
    assert claim(backend, "pg_profesi", ticket).job_id == job_id


@pytest.mark.slow
def test_a_queued_message_is_not_an_orphan_however_long_it_waits(backend):
    job_id, _ = queue(backend, "pg_akademik")
    wait_past_stall(backend, backend.store.get_job(job_id)["enqueuedAt"])
    assert backend.store.find_lost() == []


def test_the_log_keeps_the_last_200_lines(backend):
    job_id, _ = queue(backend)
    for i in range(250):
        backend.store.append_log(job_id, "info", f"line {i}")
    log = backend.store.get_log(job_id)
    assert len(log) == 200
    assert log[0]["msg"] == "line 50" and log[-1]["msg"] == "line 249"
    backend.store.append_log("proxy-pangkat-1700000000000", "info", "nobody")  # no such job
    assert backend.store.get_log("proxy-pangkat-1700000000000") == []


def test_history_leaves_no_footprint_so_overview_cost_stays_flat(backend):
    for _ in range(100):
        job_id, _ = queue(backend, "pangkat", force=True)
        backend.store.append_log(job_id, "info", "x")
    snap = backend.store.overview(["pangkat", "skk"])
    assert snap["jobs"]["pangkat"]["jobId"] == job_id and snap["jobs"]["skk"] is None
    assert snap["queued"] == 1  # forced-away jobs took their messages with them
    assert len(backend.store.list_jobs(["pangkat"])) == 1


def test_workers_are_counted_while_seen_and_forgotten_when_gone(backend):
    store = backend.store
    store.worker_seen("host:1")
    store.worker_seen("host:2")
    assert store.overview(["skk"])["workers"] == 2
    store.worker_gone("host:1")
    assert store.overview(["skk"])["workers"] == 1


def test_now_is_epoch_milliseconds(backend):
    assert abs(backend.store.now_ms() - time.time() * 1000) < 2000
