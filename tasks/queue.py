"""The Huey instance and the messages that ask a worker to run a sync.

The job store writes a job record and its Huey message in one atomic step, so it must be
able to build the message without the worker code loaded (the dashboard never imports
``tasks.sync``). A message names the task by its registry string and carries
``(proxy_type, ticket)``: the ticket ties the message to one enqueue of one job, so a
stale or duplicated message is recognised and dropped when a worker picks it up.
"""

from __future__ import annotations

import datetime
import re
import secrets
import sqlite3
import uuid
from dataclasses import dataclass

import redis
from huey import Huey, RedisHuey, SqliteHuey
from huey.registry import Message
from huey.utils import utcnow

from tasks.errors import BackendUnavailable
from tasks.settings import Settings

# The registry string of the task that tasks.sync registers: "<module>.<task name>".
SYNC_TASK_MODULE = "tasks.sync"
SYNC_TASK_NAME = "proxy_sync"
SYNC_TASK = f"{SYNC_TASK_MODULE}.{SYNC_TASK_NAME}"


def huey_name(settings: Settings) -> str:
    """Huey's queue name follows the key prefix, so deployments on one Redis stay apart."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", settings.key_prefix).strip("_")
    return cleaned or "proxytui"


def build_huey(settings: Settings) -> Huey:
    """The one Huey instance: RedisHuey in production, SqliteHuey in the embedded mode.

    Results are not stored: the job record is the result. Intermediate errors are not
    stored either (the record carries the error of every attempt).
    """
    common = {"results": False, "store_intermediate_errors": False, "utc": True}
    if settings.embedded:
        try:
            return SqliteHuey(huey_name(settings), filename=settings.queue_path, **common)
        except sqlite3.Error as exc:  # SqliteHuey creates its tables at once
            raise BackendUnavailable(settings.queue, str(exc)) from exc
    # Bounded timeouts: a dead Redis must never hang a worker or the dashboard. The
    # read timeout leaves room for Huey's blocking BRPOP (1 s).
    pool = redis.ConnectionPool.from_url(
        settings.redis_url,
        socket_timeout=max(settings.redis_socket_timeout, 5.0),
        socket_connect_timeout=settings.redis_socket_timeout,
        health_check_interval=30,
    )
    return RedisHuey(huey_name(settings), connection_pool=pool, **common)


@dataclass(frozen=True)
class Envelope:
    """One serialized Huey message for the sync task, with the ticket it carries.

    "Envelope" keeps the word apart from the texts of ``tasks.texts`` and the Textual
    messages of ``tui.reading``: this is the payload a consumer pops off the queue.
    """

    ticket: str
    data: bytes
    # When the message is for later: the schedule score Huey's storage will compare.
    score: float | None = None


def new_ticket() -> str:
    return secrets.token_hex(8)


class Envelopes:
    """Builds the envelopes (serialized Huey messages) of one Huey instance's sync task."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey

    def build(self, proxy_type: str, delay: float = 0.0) -> Envelope:
        ticket = new_ticket()
        eta: datetime.datetime | None = None
        score: float | None = None
        if delay > 0:
            eta = utcnow() + datetime.timedelta(seconds=delay)
            # RedisStorage scores with convert_ts; SqliteStorage stores eta.timestamp().
            convert = getattr(self.huey.storage, "convert_ts", None)
            score = convert(eta) if convert else eta.timestamp()
        # Every field as Huey itself would write it back: its scheduler re-serializes a due
        # message when it moves it to the queue, and the store finds a job's message on
        # the queue by its bytes, so both serializations must be identical.
        message = Message(
            id=str(uuid.uuid4()),
            name=SYNC_TASK,
            eta=eta,
            retries=0,
            retry_delay=0,
            priority=None,
            args=(proxy_type, ticket),
            kwargs={},
            on_complete=None,
            on_error=None,
            expires=None,
            expires_resolved=None,
            timeout=None,  # the worker's own attempt limit applies (tasks.runner)
            chord_config=None,
            retry_backoff=0,
        )
        return Envelope(ticket, self.huey.serializer.serialize(message), score)
