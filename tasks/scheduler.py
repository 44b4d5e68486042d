"""The consumers' scheduler: claims each schedule slot once, cluster-wide, and syncs.

Every consumer process runs one `Scheduler` thread. When a type's slot comes (or, at
start, when the newest slot is younger than ``PROXYTUI_SCHEDULE_GRACE``: a slot missed
while no consumer ran), the thread claims it in the job store (Redis ``SET NX`` with an
expiry, a row in the embedded mode). Exactly one claimant wins; it asks for a plain sync
with trigger ``schedule``, so a running or fresh job means nothing is queued, and the
job's log and the worker's log say why. Older missed slots are not run.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading

from tasks import jobs
from tasks.backend import Backend
from tasks.contract import SyncAnswer
from tasks.errors import BackendUnavailable
from tasks.schedule import Schedule, load_schedule, to_ms
from tasks.texts import text

logger = logging.getLogger(__name__)

MAX_SLEEP = 30.0  # seconds: a clock change or a late claim is noticed at least this often
CLAIM_MARGIN_MS = 60_000  # a claim outlives the grace by this much
SCHEDULE_USER = "schedule"


def format_slot(slot: datetime.datetime, schedule: Schedule) -> str:
    return slot.astimezone(schedule.zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def format_age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Scheduler(threading.Thread):
    """Claims and runs the slots of every scheduled type, for one consumer process."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(name="proxytui-scheduler", daemon=True)
        self.backend = backend
        self.schedule = load_schedule(backend.settings)
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.stopped = threading.Event()
        self.handled: dict[str, int] = {}  # type -> the newest slot (ms) dealt with

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                pause = self.tick(datetime.datetime.now(datetime.UTC))
            except Exception:
                logger.exception("scheduler pass failed")
                pause = self.backend.settings.reaper_interval
            if self.stopped.wait(pause):
                break

    def tick(self, now: datetime.datetime) -> float:
        """Deal with every type's newest slot once; return the seconds until the next."""
        retry = False
        for proxy_type in self.schedule.expressions:
            slot = self.schedule.last_slot(proxy_type, now)
            if slot is None or self.handled.get(proxy_type) == to_ms(slot):
                continue
            if self._handle(proxy_type, slot, now):
                self.handled[proxy_type] = to_ms(slot)
            else:
                retry = True
        return self._pause(now, retry)

    def _pause(self, now: datetime.datetime, retry: bool) -> float:
        pause = MAX_SLEEP
        if retry:
            pause = min(pause, self.backend.settings.reaper_interval)
        for proxy_type in self.schedule.expressions:
            upcoming = self.schedule.next_slot(proxy_type, now)
            if upcoming is not None:
                pause = min(pause, (upcoming - now).total_seconds())
        return max(pause, 0.01)

    def _handle(self, proxy_type: str, slot: datetime.datetime, now: datetime.datetime) -> bool:
        """Claim and run one slot; False when the job store could not be asked (retry)."""
        settings = self.backend.settings
        shown = format_slot(slot, self.schedule)
        age = (now - slot).total_seconds()
        if age > settings.schedule_grace:
            upcoming = self.schedule.next_slot(proxy_type, now)
            logger.warning(text(
                "schedule.missed", type=proxy_type, slot=shown, age=format_age(age),
                grace=format_age(settings.schedule_grace),
                next=format_slot(upcoming, self.schedule) if upcoming else "-",
            ))
            return True
        ttl = int(settings.schedule_grace * 1000) + CLAIM_MARGIN_MS
        try:
            if not self.backend.store.claim_slot(proxy_type, to_ms(slot), ttl, self.owner):
                logger.info(text("schedule.claimed_elsewhere", type=proxy_type, slot=shown))
                return True
            answer = jobs.request_sync(
                proxy_type, requested_by=SCHEDULE_USER, trigger="schedule", backend=self.backend
            )
        except BackendUnavailable as exc:
            logger.warning(text("schedule.unreachable", type=proxy_type, slot=shown,
                                reason=exc.reason))
            return False
        self._tell(proxy_type, shown, answer)
        return True

    def _tell(self, proxy_type: str, shown: str, answer: SyncAnswer) -> None:
        """The outcome, in the worker's log and (when nothing was queued) the job's."""
        job_id = answer["jobId"]
        if answer["status"] == "queued":
            logger.info(text("schedule.queued", type=proxy_type, slot=shown, jobId=job_id))
            return
        if answer["status"] == "running":
            line = text("schedule.skipped_running", type=proxy_type, slot=shown, jobId=job_id,
                        state=answer["state"])
        else:
            line = text("schedule.skipped_fresh", type=proxy_type, slot=shown, jobId=job_id,
                        minutesAgo=answer["lastSync"]["minutesAgo"])
        logger.info(line)
        try:
            self.backend.store.append_log(job_id, "info", line)
        except BackendUnavailable as exc:
            logger.warning("%s: %s", job_id, exc)

    def stop(self) -> None:
        self.stopped.set()


_scheduler: Scheduler | None = None
_lock = threading.Lock()


def ensure_scheduler(backend: Backend) -> Scheduler | None:
    """Start this process's scheduler once, when any type has a schedule."""
    global _scheduler
    with _lock:
        if not load_schedule(backend.settings).expressions:
            return None
        here = f"{socket.gethostname()}:{os.getpid()}"
        if _scheduler is None or not _scheduler.is_alive() or _scheduler.owner != here:
            _scheduler = Scheduler(backend)
            _scheduler.start()
        return _scheduler


def stop_scheduler() -> None:
    with _lock:
        if _scheduler is not None:
            _scheduler.stop()
