"""One sync of one proxy type: fetch -> clean/stage -> finalize ids -> publish.

`sync_proxy` is the sync function the job core (`tasks.runner`) runs for every attempt.
It glues three parts that know nothing of each other: the SIASN page walker
(`tasks.siasn.client`), the run's staging table (`tasks.sink`) and the job's progress
(`run.report`). Nothing reaches the live table until the last step, and that step is
fenced on `run.is_current`, so a cancelled, superseded or failed run leaves the live
rows exactly as they were.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Protocol

from tasks.catalog import ProxyType, get_proxy_type
from tasks.contract import RunState
from tasks.settings import Settings
from tasks.siasn.client import PageEvent, SiasnClient, walk_pages
from tasks.siasn.token import resolve_token
from tasks.sink import Published, StagedTable, open_sink
from tasks.sink.ledger import RunEntry
from tasks.texts import text

log = logging.getLogger(__name__)


# Progress bands of one attempt (percent): fetching is the long part.
FETCH_START, FETCH_END = 2, 90
CLEAN_AT, PUBLISH_AT = 91, 96
REPORT_EVERY = 0.5  # seconds between progress writes while fetching (checks run every page)


class Run(Protocol):
    """What a sync function needs from the job core (see docs/INTERFACES.md)."""

    settings: Settings
    job_id: str

    def report(
        self,
        *,
        progress: int | None = None,
        stage: str | None = None,
        message: str | None = None,
        **info: Any,
    ) -> None: ...

    def check(self) -> None: ...

    def is_current(self) -> bool: ...

    def log(self, line: str, level: str = "info") -> None: ...

    def ledger_entry(
        self, state: RunState, error: str | None = None, **counts: Any
    ) -> RunEntry:
        """The run's row for the run ledger, as it ends now."""
        ...


class FetchProgress:
    """Turns page events into a percent that moves smoothly and never goes backwards.

    With a total from the upstream, percent follows rows/total (capped short of the end:
    the total is often stale). Without one it follows an asymptotic curve scaled by an
    estimate (the previous sync's row count when there is one), so it keeps moving and
    never reaches the end before the walk does.
    """

    def __init__(self, run: Run, proxy: ProxyType, estimate: int = 0) -> None:
        self.run = run
        self.proxy = proxy
        self.estimate = estimate
        self.started = time.monotonic()
        self.percent = FETCH_START
        self._last_write = 0.0
        self.last: PageEvent | None = None

    def fraction(self, event: PageEvent) -> float:
        current = event.total_rows
        expected = event.expected_total
        if expected and expected > 0:
            return min(current / expected, 0.99)
        scale = self.estimate or 10 * self.proxy.endpoint.page_size
        return 1.0 - math.exp(-current / scale)

    def on_page(self, event: PageEvent) -> None:
        self.last = event
        band = FETCH_END - FETCH_START
        self.percent = max(self.percent, FETCH_START + int(band * self.fraction(event)))
        now = time.monotonic()
        if now - self._last_write < REPORT_EVERY and event.page > 1:
            self.run.check()  # still stop promptly when cancelled
            return
        self._last_write = now
        elapsed = max(now - self.started, 1e-6)
        rate = event.total_rows / elapsed
        info: dict[str, Any] = {
            "offset": event.offset,
            "page": event.page,
            "currentTotal": event.total_rows,
            "expectedTotal": event.expected_total,
            "rowsPerSecond": round(rate, 1),
            "etaSeconds": None,
        }
        target = event.expected_total or self.estimate
        if target and rate > 0 and target > event.total_rows:
            info["etaSeconds"] = round((target - event.total_rows) / rate, 1)
        self.run.report(
            progress=self.percent,
            stage="fetching",
            message=text(
                "pipeline.fetching",
                type=self.proxy.name,
                current=event.total_rows,
                page=event.page,
            ),
            **info,
        )


def sync_proxy(proxy_type: str, run: Run) -> dict[str, Any]:
    """Sync one proxy type into its live table; returns the job's ``result``.

    Raises `tasks.errors.JobCancelled` (the run lost its job, nothing published), a
    `PermanentFailure` (token missing/rejected, page loop, bad table) or any other
    exception (the attempt is retried). Staging is discarded on every exception.
    """
    started = time.monotonic()
    proxy = get_proxy_type(proxy_type)
    settings = run.settings
    sink = open_sink(settings.database_url)
    run.report(
        progress=1,
        stage="starting",
        message=text("pipeline.starting", type=proxy.name, database=sink.label),
    )
    token = resolve_token(settings)
    try:
        estimate = sink.count(proxy)
        staged = sink.staging(proxy)
        try:
            result = _run(proxy, run, settings, token, staged, estimate, started)
        except BaseException:
            staged.discard()
            raise
    finally:
        sink.close()
    return result


def _run(
    proxy: ProxyType,
    run: Run,
    settings: Settings,
    token: str,
    staged: StagedTable,
    estimate: int,
    started: float,
) -> dict[str, Any]:
    progress = FetchProgress(run, proxy, estimate)
    staged.write_behind()  # clean and write page N while page N+1 is on the wire
    run.report(progress=FETCH_START, stage="fetching", offset=0, page=0, currentTotal=0)
    with SiasnClient(
        proxy, base_url=settings.siasn_base_url, token=token, settings=settings, check=run.check
    ) as client:
        stats = walk_pages(
            client,
            staged.stage,
            concurrency=settings.concurrency_for(proxy.name),
            page_cap=settings.page_cap,
            on_page=progress.on_page,
        )
    received = stats.rows_seen - stats.rows_reread  # what the upstream sent, as it sent it
    run.log(
        text(
            "pipeline.fetched",
            received=received,
            new=stats.rows_new,
            pages=stats.pages,
            requests=stats.requests,
            retries=stats.retries,
        )
        + (text("pipeline.reread", reread=stats.rows_reread) if stats.rows_reread else "")
    )

    run.report(
        progress=CLEAN_AT,
        stage="cleaning",
        message=text("pipeline.cleaning", type=proxy.name, received=received),
        currentTotal=staged.new,
        etaSeconds=None,
    )
    counts = staged.finalize()
    duplicates = counts.duplicates_removed - stats.rows_reread
    if counts.rejected:
        run.log(text("pipeline.rejected", rejected=counts.rejected), "warning")
        for sample in counts.reject_samples:
            run.log(text("pipeline.rejected_sample", sample=sample), "warning")

    run.report(
        progress=PUBLISH_AT,
        stage="publishing",
        message=text(
            "pipeline.publishing", type=proxy.name, rows=counts.rows, table=proxy.table.name
        ),
    )

    def tell(published: Published) -> None:
        run.log(
            text(
                "pipeline.published",
                table=proxy.table.name,
                written=published.written,
                unchanged=published.unchanged,
                removed=published.removed,
            )
        )

    expected = progress.last.expected_total if progress.last else None

    def ledger_row(published: Published) -> RunEntry:
        return run.ledger_entry(
            "completed",
            rows=published.total,
            written=published.written,
            removed=published.removed,
            unchanged=published.unchanged,
            duplicates_removed=duplicates,
            pages=stats.pages,
            requests=stats.requests,
            retries=stats.retries,
            expected_total=expected,
        )

    # FenceLost (a JobCancelled) when superseded. The run's ledger row commits with it.
    published = staged.publish(
        run.is_current, on_commit=tell, ledger=ledger_row, keep=settings.history_keep
    )
    inserted = published.total

    duration_ms = int((time.monotonic() - started) * 1000)
    message = text(
        "pipeline.done",
        type=proxy.name,
        inserted=inserted,
        duplicates=duplicates,
        derived=counts.ids_derived,
        null_ids=counts.null_ids,
        rejected=counts.rejected,
        pages=stats.pages,
        seconds=round(duration_ms / 1000, 1),
    )
    run.log(message)
    return {
        "success": True,
        "message": message,
        "total": received,
        "inserted": inserted,
        "written": published.written,
        "removed": published.removed,
        "duplicates_removed": duplicates,
        "ids_derived": counts.ids_derived,
        "null_ids": counts.null_ids,
        "rejected": counts.rejected,
        "pages": stats.pages,
        "expectedTotal": expected,
        "requests": stats.requests,
        "retries": stats.retries,
        "durationMs": duration_ms,
    }
