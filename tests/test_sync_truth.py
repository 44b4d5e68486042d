"""A sync over real HTTP (the fake SIASN, quirks on) ends with exactly the upstream's truth.

`sync_proxy` runs with a stand-in for the job core's RunContext. The live table must hold
every distinct record once, under ids derived by the documented rule, the same on every
sync however the pages fell; a cancelled, fenced-out or failed run publishes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tasks.catalog import PROXY_TYPES, get_proxy_type
from tasks.clean import prepare_row, row_hash
from tasks.errors import JobCancelled, PermanentFailure
from tasks.pipeline import sync_proxy
from tasks.settings import Settings
from tasks.siasn.errors import UpstreamUnavailable
from tasks.siasn.fake import FakeSiasn, Faults, Quirks
from tasks.sink.ledger import RunEntry
from tests.support.databases import live_rows


class StandInRun:
    """The RunContext surface a sync uses, recording what it was told."""

    def __init__(self, settings: Settings, *, fence: Callable[[], bool] = lambda: True):
        self.settings = settings
        self.job_id = "proxy-test-1"
        self.cancelled = threading.Event()
        self.reports: list[dict[str, Any]] = []
        self.lines: list[tuple[str, str]] = []
        self.fence = fence

    def check(self) -> None:
        if self.cancelled.is_set():
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def report(self, *, progress=None, stage=None, message=None, **info: Any) -> None:
        self.check()
        self.reports.append({"progress": progress, "stage": stage, "message": message, **info})

    def is_current(self) -> bool:
        return not self.cancelled.is_set() and self.fence()

    def log(self, line: str, level: str = "info") -> None:
        self.lines.append((level, line))

    def ledger_entry(self, state: str, error: str | None = None, **counts: Any) -> RunEntry:
        return RunEntry("test", self.job_id, state, 0, error=error, **counts)


def expected_ids(records: list[dict]) -> dict[str, dict]:
    """The documented rule, computed independently of the sink's SQL."""
    groups: dict[str | None, list[dict]] = {}
    for record in records:
        groups.setdefault(record.get("id"), []).append(record)
    out: dict[str, dict] = {}
    for rid, group in groups.items():
        for n, record in enumerate(sorted(group, key=row_hash)):
            digest = row_hash(record)
            if rid is None:
                out[f"null~{digest[:16]}"] = record
            else:
                out[rid if n == 0 else f"{rid}~{digest[:12]}"] = record
    return out


@pytest.fixture
def settings(siasn_settings: Settings, database_url: str) -> Settings:
    return siasn_settings.replace(database_url=database_url)


@pytest.mark.slow
@pytest.mark.parametrize("proxy_type", PROXY_TYPES)
def test_a_sync_ends_with_exactly_the_truth(
    fake_siasn: FakeSiasn, settings: Settings, database_url: str, proxy_type: str
) -> None:
    run = StandInRun(settings)
    result = sync_proxy(proxy_type, run)

    truth = fake_siasn.truth(proxy_type)
    want = expected_ids(truth)
    table = get_proxy_type(proxy_type).table
    rows = live_rows(database_url, table.name, "id")
    assert sorted(r[0] for r in rows) == sorted(want)
    assert result["success"] is True
    assert result["inserted"] == len(truth)
    assert result["total"] == result["inserted"] + result["duplicates_removed"]
    assert result["rejected"] == 0
    stats = fake_siasn.dataset(proxy_type).stats()
    assert result["null_ids"] == stats["null_ids"] > 0
    assert result["ids_derived"] == stats["twins"] > 0
    assert result["duplicates_removed"] > 0  # the quirks served repeats
    assert result["pages"] > 2 and result["durationMs"] > 0
    assert set(result) >= {
        "success", "message", "total", "inserted", "duplicates_removed",
        "ids_derived", "null_ids", "rejected", "pages", "durationMs",
    }  # fmt: skip


def test_every_value_lands_as_prepared(
    fake_siasn: FakeSiasn, siasn_settings: Settings, sqlite_url: str
) -> None:
    """Full content check on SQLite, where stored values compare directly."""
    settings = siasn_settings.replace(database_url=sqlite_url)
    sync_proxy("pangkat", StandInRun(settings))
    table = get_proxy_type("pangkat").table
    got = {row[0]: row[1:] for row in live_rows(sqlite_url, table.name)}
    now_columns = [i for i, c in enumerate(table.columns) if c.default_now]
    for rid, record in expected_ids(fake_siasn.truth("pangkat")).items():
        values = prepare_row(record, table)
        assert isinstance(values, tuple), values
        expect = list(values)
        stored = [rid, *got[rid]]
        for i in now_columns:  # stamped by the database when the upstream sends none
            if expect[i] is None:
                expect[i] = stored[i]
        assert stored == [rid, *expect[1:]]


@pytest.mark.slow
def test_page_boundaries_do_not_change_the_table(
    make_fake_siasn: Callable[..., FakeSiasn], siasn_settings: Settings, database_url: str
) -> None:
    tables, written = [], []
    for cap, concurrency in ((None, 1), (97, 4)):
        fake = make_fake_siasn(quirks=Quirks.dense(limit_cap=cap))
        settings = siasn_settings.replace(
            siasn_base_url=fake.base_url,
            database_url=database_url,
            fetch_concurrency=concurrency,
        )
        result = sync_proxy("skk", StandInRun(settings))
        tables.append((result["inserted"], live_rows(database_url, "proxy_skk", "id, nama")))
        written.append((result["written"], result["removed"]))
    assert tables[0] == tables[1]
    # The second sync brought back the same rows: the publish had nothing to write.
    assert written == [(tables[0][0], 0), (0, 0)]


def test_progress_moves_forward_through_the_stages(settings: Settings) -> None:
    run = StandInRun(settings)
    sync_proxy("pangkat", run)
    percents = [r["progress"] for r in run.reports if r["progress"] is not None]
    assert percents == sorted(percents) and percents[-1] >= 90
    stages = [r["stage"] for r in run.reports if r["stage"]]
    order = ["starting", "fetching", "cleaning", "publishing"]
    assert sorted(set(stages), key=order.index) == order
    assert [order.index(s) for s in stages] == sorted(order.index(s) for s in stages)
    fetching = [r for r in run.reports if r["stage"] == "fetching" and r.get("page")]
    assert fetching, run.reports
    for key in ("offset", "page", "currentTotal", "expectedTotal", "rowsPerSecond", "etaSeconds"):
        assert key in fetching[-1]
    assert any(r["expectedTotal"] for r in fetching)  # pangkat sends meta.total


def test_progress_without_an_upstream_total_still_moves(settings: Settings) -> None:
    run = StandInRun(settings)
    sync_proxy("pg_akademik", run)  # page-index paging, no total
    fetching = [r["progress"] for r in run.reports if r["stage"] == "fetching"]
    assert len(set(fetching)) >= 2 and max(fetching) < 90


def test_a_run_that_lost_its_job_publishes_nothing(settings: Settings, database_url: str) -> None:
    sync_proxy("skk", StandInRun(settings))
    before = live_rows(database_url, "proxy_skk")
    run = StandInRun(settings, fence=lambda: False)
    with pytest.raises(JobCancelled):
        sync_proxy("skk", run)
    assert live_rows(database_url, "proxy_skk") == before
    assert_no_staging_left(database_url)


@pytest.mark.slow
def test_a_cancelled_run_stops_and_publishes_nothing(settings: Settings, database_url: str) -> None:
    sync_proxy("pangkat", StandInRun(settings))
    before = live_rows(database_url, "proxy_pangkat")
    run = StandInRun(settings)
    checks = 0
    original = run.check

    def cancel_midway() -> None:
        nonlocal checks
        checks += 1  # the client checks before every request
        if checks == 4:
            run.cancelled.set()  # as the heartbeat thread does when the job is superseded
        original()

    run.check = cancel_midway  # type: ignore[method-assign]
    with pytest.raises(JobCancelled):
        sync_proxy("pangkat", run)
    assert live_rows(database_url, "proxy_pangkat") == before
    assert_no_staging_left(database_url)


def test_an_upstream_failure_leaves_live_rows_untouched(
    fake_siasn: FakeSiasn, settings: Settings, database_url: str
) -> None:
    sync_proxy("pensiun", StandInRun(settings))
    before = live_rows(database_url, "proxy_pensiun")
    fake_siasn.faults = Faults(fail_from_page=2, fail_kind="503")
    with pytest.raises(UpstreamUnavailable):
        sync_proxy("pensiun", StandInRun(settings.replace(request_retries=1)))
    assert live_rows(database_url, "proxy_pensiun") == before
    assert_no_staging_left(database_url)


def test_a_rejected_token_fails_at_once(fake_siasn: FakeSiasn, settings: Settings) -> None:
    fake_siasn.faults = Faults(reject_token=True)
    with pytest.raises(PermanentFailure, match="token"):
        sync_proxy("skk", StandInRun(settings))


def assert_no_staging_left(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        return  # SQLite staging is a TEMP table: gone with its connection
    import psycopg

    with psycopg.connect(database_url) as conn:
        left = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE '\\_staging\\_%'"
        ).fetchall()
    assert left == []


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("proxy_type", PROXY_TYPES)
def test_duplicates_removed_counts_the_upstreams_copies_not_the_walks_own_rereads(
    make_fake_siasn: Callable[..., FakeSiasn], sqlite_url: str, proxy_type: str, concurrency: int
) -> None:
    # Prefetched pages overlap a few rows on purpose; those re-reads are the walk's own
    # doing. With pages that never start early or repeat the previous page's rows, the
    # only duplicates left are the copies of earlier records in the upstream's stream.
    fake = make_fake_siasn(
        rows=3000, quirks=Quirks.dense(early_start_rate=0.0, overlap_rate=0.0), faults=Faults()
    )
    settings = Settings(siasn_base_url=fake.base_url,
        siasn_token=fake.token,
        siasn_token_file="",
        database_url=sqlite_url,
        fetch_concurrency=concurrency,
    )
    run = StandInRun(settings)
    result = sync_proxy(proxy_type, run)
    stats = fake.dataset(proxy_type).stats()
    assert result["inserted"] == stats["records"]
    assert result["duplicates_removed"] == stats["copies"] > 0
    assert result["total"] == stats["served_rows"]
