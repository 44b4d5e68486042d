"""The pieces that together hold job state: settings, the Huey instance, the job store.

One Backend per process: the dashboard, the CLI and the worker each open it once, and
``huey_config.huey`` is this backend's Huey instance, so the messages the store pushes are
the ones the consumer reads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from huey import Huey

from tasks.queue import Envelopes, build_huey
from tasks.settings import Settings, configure, get_settings
from tasks.sink.ledger_reader import LedgerReader, open_ledger_reader
from tasks.store.base import JobStore


@dataclass
class Backend:
    settings: Settings
    huey: Huey
    store: JobStore
    envelopes: Envelopes
    _ledger: LedgerReader | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return "sqlite" if self.settings.embedded else "redis"

    @property
    def ledger(self) -> LedgerReader:
        """The run ledger's reader, one long-lived connection for the process (opened on
        first use); raises DatasetUnavailable for an unusable database URL."""
        if self._ledger is None:
            self._ledger = open_ledger_reader(self.settings.database_url)
        return self._ledger

    def close(self) -> None:
        self.store.close()
        if self._ledger is not None:
            self._ledger.close()


def open_backend(settings: Settings) -> Backend:
    huey = build_huey(settings)
    store: JobStore
    if settings.embedded:
        from tasks.store.sqlite import SqliteJobStore

        store = SqliteJobStore(settings, huey)
    else:
        from tasks.store.redis import RedisJobStore

        store = RedisJobStore(settings, huey.storage.queue_key, huey.storage.schedule_key)
    return Backend(settings, huey, store, Envelopes(huey))


_lock = threading.Lock()
_current: Backend | None = None


def current_backend() -> Backend:
    """This process's backend, opened on first use from the current settings."""
    global _current
    with _lock:
        if _current is None or _current.settings is not get_settings():
            _current = open_backend(get_settings())
        return _current


def use_backend(backend: Backend | None) -> None:
    """Make ``backend`` this process's backend (the demo and tests); None resets."""
    global _current
    with _lock:
        if backend is not None:
            configure(backend.settings)
        _current = backend
