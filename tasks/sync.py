"""The Huey task that runs one attempt of a sync job.

``register_sync_task(huey)`` registers it under the name the store's messages carry
(``tasks.sync.proxy_sync``), plus the hooks every consumer needs: the watchdog (presence
and reaper), the scheduler (PROXYTUI_SCHEDULE, checked here so that a bad expression
stops the consumer before it starts) and handing interrupted runs back to the queue on
shutdown. The attempt limit
is the run loop's (tasks.runner), so the worker's own setting applies, not the
requester's.
"""

from __future__ import annotations

from huey import Huey, signals
from huey.api import TaskWrapper

from tasks.backend import current_backend
from tasks.queue import SYNC_TASK, SYNC_TASK_NAME
from tasks.runner import SyncFunction, hand_back_task, run_job
from tasks.schedule import ScheduleError, validate_schedule
from tasks.scheduler import ensure_scheduler, stop_scheduler
from tasks.watchdog import ensure_watchdog, stop_watchdog


def register_sync_task(huey: Huey, sync_fn: SyncFunction | None = None) -> TaskWrapper:
    """Register the sync task on ``huey``; ``sync_fn`` defaults to the SIASN pipeline.

    Exits (one line on stderr) when PROXYTUI_SCHEDULE cannot be read."""
    try:
        validate_schedule(current_backend().settings)
    except ScheduleError as exc:
        raise SystemExit(f"proxytui worker: {exc}") from None
    if sync_fn is None:
        from tasks.pipeline import sync_proxy

        sync_fn = sync_proxy
    def proxy_sync(proxy_type: str, ticket: str, task=None) -> None:
        run_job(current_backend(), proxy_type, ticket, sync_fn, task.id if task else "")

    proxy_sync.__module__ = __name__
    wrapper = huey.task(name=SYNC_TASK_NAME, context=True, retries=0)(proxy_sync)
    assert huey._registry.task_to_string(wrapper.task_class) == SYNC_TASK

    @huey.on_startup("proxytui-watchdog")
    def start_watchdog() -> None:
        ensure_watchdog(current_backend())
        ensure_scheduler(current_backend())

    @huey.on_shutdown("proxytui-watchdog")
    def end_watchdog() -> None:
        stop_watchdog()
        stop_scheduler()

    @huey.signal(signals.SIGNAL_INTERRUPTED)
    def on_interrupted(signal, task, *args, **kwargs) -> None:
        hand_back_task(task.id)

    return wrapper
