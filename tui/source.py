"""Where the dashboard gets its data: `tasks.jobs` by default, fixed data in tests.

The app only calls the methods of `JobsSource`, always from a thread worker, so that a
slow or dead backend never blocks a key press. Snapshot tests hand the app a
`FixedSource` with frozen records and a frozen clock.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from typing import Any, Protocol

from tasks import jobs
from tasks.contract import (
    CleanupAnswer,
    History,
    JobRecord,
    JobStatus,
    Overview,
    SyncAnswer,
)


class JobsSource(Protocol):
    def overview(self) -> Overview: ...
    def job_status(self, job_id: str) -> JobStatus: ...
    def list_jobs(self, proxy_type: str | None = None) -> dict[str, list[JobRecord]]: ...
    def request_sync(
        self, proxy_type: str, force: bool, requested_by: str | None
    ) -> SyncAnswer: ...
    def cleanup(
        self, proxy_type: str | None = None, states: Sequence[str] | None = None
    ) -> CleanupAnswer:
        """Remove the jobs in ``states`` (None: every state); raises InvalidJobState."""
        ...
    def history(self, proxy_type: str | None = None, limit: int = 50) -> History:
        """Finished runs from the ledger, newest first; raises InvalidLimit,
        UnknownProxyType, DatasetUnavailable (the destination database did not answer)."""
        ...
    def workers(self) -> dict[str, Any]: ...
    def clock_ms(self) -> int: ...


class LiveSource:
    """The real thing: every call goes through `tasks.jobs`, the one door to job state."""

    def overview(self) -> Overview:
        return jobs.overview()

    def job_status(self, job_id: str) -> JobStatus:
        return jobs.job_status(job_id)

    def list_jobs(self, proxy_type: str | None = None) -> dict[str, list[JobRecord]]:
        return jobs.list_jobs(proxy_type)

    def request_sync(
        self, proxy_type: str, force: bool, requested_by: str | None
    ) -> SyncAnswer:
        return jobs.request_sync(
            proxy_type, force=force, requested_by=requested_by, trigger="dashboard"
        )

    def cleanup(
        self, proxy_type: str | None = None, states: Sequence[str] | None = None
    ) -> CleanupAnswer:
        return jobs.cleanup(proxy_type, states=states)

    def history(self, proxy_type: str | None = None, limit: int = 50) -> History:
        return jobs.history(proxy_type, limit=limit)

    def workers(self) -> dict[str, Any]:
        return jobs.workers()

    def clock_ms(self) -> int:
        return int(time.time() * 1000)


class FixedSource:
    """Frozen data for snapshots and unit tests; records the actions asked of it."""

    def __init__(
        self,
        overview: dict[str, Any],
        statuses: dict[str, dict[str, Any]] | None = None,
        listing: dict[str, Any] | None = None,
        now_ms: int | None = None,
        runs: list[dict[str, Any]] | None = None,
        workers: list[dict[str, Any]] | None = None,
    ) -> None:
        self._overview = overview
        self._statuses = statuses or {}
        self._listing = listing
        self._runs = runs or []
        self._workers = workers or []
        self._now = now_ms or overview.get("now") or 0
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def overview(self) -> dict[str, Any]:
        return copy.deepcopy(self._overview)

    def job_status(self, job_id: str) -> dict[str, Any]:
        found = self._statuses.get(job_id)
        if found is None:
            return {"found": False, "jobId": job_id, "message": f"Job {job_id} was not found."}
        return copy.deepcopy(found)

    def list_jobs(self, proxy_type: str | None = None) -> dict[str, Any]:
        if self._listing is not None:
            return copy.deepcopy(self._listing)
        groups: dict[str, list[dict[str, Any]]] = {
            s: [] for s in ("active", "waiting", "delayed", "stalled", "completed", "failed")
        }
        for row in self._overview["types"]:
            if row["job"] and (proxy_type is None or row["type"] == proxy_type):
                groups[row["job"]["state"]].append(copy.deepcopy(row["job"]))
        return groups

    def request_sync(
        self, proxy_type: str, force: bool, requested_by: str | None
    ) -> dict[str, Any]:
        self.calls.append(("request_sync", (proxy_type, force, requested_by)))
        return {"success": True, "status": "queued", "jobId": f"proxy-{proxy_type}-1",
                "forced": force, "message": f"{proxy_type} sync queued."}

    def cleanup(
        self, proxy_type: str | None = None, states: Sequence[str] | None = None
    ) -> dict[str, Any]:
        self.calls.append(("cleanup", (proxy_type, tuple(states) if states else None)))
        return {"success": True, "message": "Removed 0 job(s).", "cleaned": 0, "removed": 0,
                "breakdown": {}}

    def history(self, proxy_type: str | None = None, limit: int = 50) -> dict[str, Any]:
        runs = [r for r in self._runs if proxy_type is None or r["type"] == proxy_type]
        runs.sort(key=lambda r: r.get("finishedAt") or 0, reverse=True)
        return {"type": proxy_type, "runs": copy.deepcopy(runs[:limit])}

    def workers(self) -> dict[str, Any]:
        return {"now": self.clock_ms(), "workers": copy.deepcopy(self._workers)}

    def clock_ms(self) -> int:
        return int(self._now)
