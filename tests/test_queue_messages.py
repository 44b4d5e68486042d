"""Our serialized sync messages are byte-identical to Huey's own re-serialization.

The store recognises a job's message on Huey's queue by its bytes; Huey's scheduler
re-serializes a due retry when it moves it to the queue. If the two differed, a retry
waiting in a busy queue would look lost and be enqueued twice.
"""

from __future__ import annotations

import datetime

import pytest
from huey import MemoryHuey

from tasks.queue import SYNC_TASK, Envelopes
from tasks.sync import register_sync_task
from tests.support.jobenv import wait_for


@pytest.fixture
def huey(job_settings):
    instance = MemoryHuey("roundtrip", utc=True)
    register_sync_task(instance, lambda proxy_type, run: {"success": True})
    return instance


@pytest.mark.parametrize("delay", [0.0, 2.5])
def test_huey_reserializes_our_message_to_the_same_bytes(huey, job_settings, delay):
    envelope = Envelopes(huey).build("pangkat", delay)
    task = huey.deserialize_task(envelope.data)
    assert task.args == ("pangkat", envelope.ticket)
    assert huey._registry.task_to_string(type(task)) == SYNC_TASK
    assert huey.serialize_task(task) == envelope.data


def test_a_due_retry_moved_by_the_scheduler_keeps_its_bytes(huey, job_settings):
    envelope = Envelopes(huey).build("skk", 0.001)
    huey.storage.add_to_schedule(envelope.data, huey.deserialize_task(envelope.data).eta)
    due = huey.deserialize_task(envelope.data).eta
    wait_for(lambda: datetime.datetime.now(datetime.UTC).replace(tzinfo=None) >= due, timeout=5)
    for task in huey.read_schedule():
        huey.enqueue(task)  # what huey's Scheduler does with a due task
    assert huey.storage.enqueued_items() == [envelope.data]
