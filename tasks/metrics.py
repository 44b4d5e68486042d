"""Prometheus metrics: the overview and the ledger's totals in the text exposition format.

A scrape costs what the dashboard's poll costs plus one small query (one job-store round
trip, the ledger's newest runs per type, and the per type and state run totals), however
long the history. Nothing is kept between scrapes: each one builds a fresh registry from
what `tasks.jobs.overview` reads, so any number of API processes give the same answer.

Series (``type`` is the proxy type):

- ``proxytui_job_store_up``, ``proxytui_database_up``: 1 when reachable.
- ``proxytui_jobs{type,state}``: jobs in the job store, by state (0 or 1 per type).
- ``proxytui_workers``: live consumer processes; ``proxytui_queue_depth``: messages
  waiting; ``proxytui_queue_scheduled``: retries waiting for their backoff.
- ``proxytui_dataset_rows{type}``: rows in the live table after the last publish.
- ``proxytui_last_success_timestamp_seconds{type}``: when the last completed run finished.
- ``proxytui_last_failure_timestamp_seconds{type}``: when the last failed/cancelled one did.
- ``proxytui_last_run_duration_seconds{type,state}``: the newest run's duration.
- ``proxytui_runs_total{type,state}``: runs recorded in the ledger since it was created.
- ``proxytui_next_run_timestamp_seconds{type}``: the next schedule slot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tasks import jobs
from tasks.backend import Backend, current_backend
from tasks.catalog import PROXY_TYPES
from tasks.contract import TypeRow
from tasks.errors import DatasetUnavailable
from tasks.sink.ledger import RUN_STATES
from tasks.texts import text

logger = logging.getLogger(__name__)


def _seconds(ms: int) -> float:
    return ms / 1000


class OverviewCollector(Collector):
    """Reads the overview and the ledger's totals on every collect (every scrape)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def collect(self) -> Iterator[Metric]:
        view = jobs.overview(self.backend)
        health, database = view["backend"], view["database"]
        totals: dict[tuple[str, str], int] | None = None
        if database["reachable"]:
            try:
                totals = self.backend.ledger.totals(PROXY_TYPES)
            except DatasetUnavailable as exc:
                logger.warning(text("metrics.unreachable", what=exc.url, reason=exc.reason))
        yield _gauge("proxytui_job_store_up", "1 when the job store answers",
                     value=int(health["reachable"]))
        yield _gauge("proxytui_database_up", "1 when the destination database answers",
                     value=int(database["reachable"] and totals is not None))
        if health["reachable"]:
            yield _gauge("proxytui_workers", "live consumer processes", value=health["workers"])
            yield _gauge("proxytui_queue_depth", "sync messages waiting for a worker",
                         value=health["queued"])
            yield _gauge("proxytui_queue_scheduled", "retries waiting for their backoff",
                         value=health["scheduled"])
            by_state = GaugeMetricFamily(
                "proxytui_jobs", "jobs in the job store by type and state", labels=["type", "state"]
            )
            for row in view["types"]:
                current = (row["job"] or {}).get("state")
                for state in jobs.STATES:
                    by_state.add_metric([row["type"], state], int(current == state))
            yield by_state
        if totals is not None:
            yield from self._dataset(view["types"], totals)
        yield from self._schedule(view["types"])

    def _dataset(
        self, rows: list[TypeRow], totals: dict[tuple[str, str], int]
    ) -> Iterator[Metric]:
        labels = ["type"]
        dataset_rows = GaugeMetricFamily(
            "proxytui_dataset_rows", "rows in the live table after the last publish", labels=labels
        )
        success = GaugeMetricFamily(
            "proxytui_last_success_timestamp_seconds",
            "when the last completed run of the type finished (epoch seconds)", labels=labels,
        )
        failure = GaugeMetricFamily(
            "proxytui_last_failure_timestamp_seconds",
            "when the last failed or cancelled run of the type finished (epoch seconds)",
            labels=labels,
        )
        duration = GaugeMetricFamily(
            "proxytui_last_run_duration_seconds", "duration of the newest run of the type",
            labels=["type", "state"],
        )
        for row in rows:
            dataset = row["dataset"]
            if dataset is None:
                continue
            if dataset["rows"] is not None:
                dataset_rows.add_metric([row["type"]], dataset["rows"])
            if dataset["publishedAt"] is not None:
                success.add_metric([row["type"]], _seconds(dataset["publishedAt"]))
            if dataset["lastFailure"] is not None:
                failure.add_metric([row["type"]], _seconds(dataset["lastFailure"]["finishedAt"]))
            last = dataset["lastRun"]
            if last is not None and last["durationMs"] is not None:
                duration.add_metric([row["type"], last["state"]], last["durationMs"] / 1000)
        runs = CounterMetricFamily(
            "proxytui_runs", "finished runs recorded in the ledger by type and state",
            labels=["type", "state"],
        )
        for proxy_type in PROXY_TYPES:
            for state in RUN_STATES:
                runs.add_metric([proxy_type, state], totals.get((proxy_type, state), 0))
        yield from (dataset_rows, success, failure, duration, runs)

    def _schedule(self, rows: list[TypeRow]) -> Iterator[Metric]:
        upcoming = GaugeMetricFamily(
            "proxytui_next_run_timestamp_seconds", "the next schedule slot of the type",
            labels=["type"],
        )
        for row in rows:
            if row["nextRunAt"] is not None:  # epoch ms
                upcoming.add_metric([row["type"]], _seconds(row["nextRunAt"]))
        yield upcoming


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def exposition(backend: Backend | None = None) -> tuple[bytes, str]:
    """The metrics page and its content type, for ``GET /metrics``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OverviewCollector(backend or current_backend()))
    return generate_latest(registry), CONTENT_TYPE_LATEST
