"""walk_pages never skips a row: every type, every quirk, sequential and concurrent."""

from __future__ import annotations

import gc
from dataclasses import replace

import httpx
import pytest

from tasks.catalog import PROXY_TYPES
from tasks.clean import Novelty
from tasks.siasn.client import PageEvent, SiasnClient, walk_pages
from tasks.siasn.errors import PageLoop
from tasks.siasn.fake import FakeSiasn, Faults, Quirks
from tests.support.siasn import ContentStage


def _client(fake: FakeSiasn, proxy_type: str, settings, **kw) -> SiasnClient:
    return SiasnClient(
        proxy_type, base_url=fake.base_url, token=fake.token, settings=settings, timeout=5, **kw
    )


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("proxy_type", PROXY_TYPES)
def test_walk_recovers_exactly_the_distinct_records(
    fake_siasn, siasn_settings, proxy_type, concurrency
):
    stage = ContentStage()
    events: list[PageEvent] = []
    with _client(fake_siasn, proxy_type, siasn_settings) as client:
        stats = walk_pages(client, stage, concurrency=concurrency, on_page=events.append)
    assert stage.keys == fake_siasn.truth_keys(proxy_type)
    assert stats.rows_new == len(fake_siasn.truth(proxy_type))
    assert stats.rows_seen > stats.rows_new  # the quirks really were there
    assert stats.pages == len(events) + 1  # + the empty page that ended the walk
    assert [e.page for e in events] == list(range(1, len(events) + 1))
    assert events[-1].total_rows == stats.rows_new


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("proxy_type", ["pangkat", "pg_akademik"])
def test_server_limit_cap_is_followed(make_fake_siasn, siasn_settings, proxy_type, concurrency):
    fake = make_fake_siasn(
        rows={"pangkat": 400, "pg_akademik": 250}, quirks=Quirks.dense(limit_cap=37)
    )
    stage = ContentStage()
    with _client(fake, proxy_type, siasn_settings) as client:
        stats = walk_pages(client, stage, concurrency=concurrency)
    assert stage.keys == fake.truth_keys(proxy_type)
    # pg pages may carry up to two extra rows of the page before (overlap quirk).
    assert all(r.rows <= 37 + 2 for r in fake.requests_for(proxy_type))
    assert stats.rows_new == len(fake.truth(proxy_type))


def test_row_offset_advances_past_the_leading_seen_rows_in_offset_order(fake_siasn, siasn_settings):
    events: list[PageEvent] = []
    with _client(fake_siasn, "skk", siasn_settings) as client:
        walk_pages(client, ContentStage(), concurrency=4, on_page=events.append)
    assert any(e.lead for e in events[1:])  # pages that started early were met
    assert any(e.rows - e.lead > e.new_rows for e in events)  # and copies past the lead
    for before, after in zip(events, events[1:], strict=False):
        step = before.rows - before.lead if before.new_rows else max(1, before.rows - 2)
        assert after.offset == before.offset + step


def test_page_index_advances_by_one(fake_siasn, siasn_settings):
    events: list[PageEvent] = []
    with _client(fake_siasn, "pg_akademik", siasn_settings) as client:
        walk_pages(client, ContentStage(), concurrency=3, on_page=events.append)
    assert [e.offset for e in events] == list(range(len(events)))


@pytest.mark.parametrize("total", ["high", "stale", "exact", "missing"])
def test_walk_stops_on_the_empty_page_whatever_meta_total_says(
    make_fake_siasn, siasn_settings, total
):
    fake = make_fake_siasn(quirks=Quirks.dense(total="stale" if total == "high" else total))
    stage = ContentStage()
    events: list[PageEvent] = []
    with _client(fake, "pensiun", siasn_settings) as client:
        walk_pages(client, stage, concurrency=1, on_page=events.append)
    assert stage.keys == fake.truth_keys("pensiun")
    n = fake.dataset("pensiun").n
    last = events[-1].expected_total
    if total == "missing":
        assert last is None
    elif total == "exact":
        assert last == n
    else:
        assert last is not None and last < n  # the rows ran past a stale total


@pytest.mark.slow
def test_endpoint_that_ignores_offset_hits_the_page_cap(make_fake_siasn, siasn_settings):
    fake = make_fake_siasn(quirks=Quirks.dense(ignore_offset=True))
    for proxy_type in ("skk", "pg_profesi"):
        with (
            _client(fake, proxy_type, siasn_settings) as client,
            pytest.raises(PageLoop, match="ignore the offset"),
        ):
            walk_pages(client, ContentStage(), concurrency=2, page_cap=12, limit=10)


def test_a_stage_that_miscounts_is_an_error(fake_siasn, siasn_settings):
    with (
        _client(fake_siasn, "skk", siasn_settings) as client,
        pytest.raises(ValueError, match="new rows"),
    ):
        walk_pages(client, lambda rows: Novelty(len(rows), 1), concurrency=1)


def test_without_quirks_concurrency_uses_every_prefetched_page(make_fake_siasn, siasn_settings):
    fake = make_fake_siasn(quirks=replace(Quirks.none()))
    stage = ContentStage()
    with _client(fake, "skk", siasn_settings) as client:
        stats = walk_pages(client, stage, concurrency=4)
    assert stage.keys == fake.truth_keys("skk")
    # Every page is used; at most the window of prefetches past the end is wasted.
    assert stats.requests <= stats.pages + 4


def test_tail_after_repeated_rows_is_not_walked_row_by_row(make_fake_siasn, siasn_settings):
    # Repeated rows leave the frontier behind the stream; the re-read tail must end in a
    # few pages, not one request per repeated row.
    fake = make_fake_siasn(rows={"skk": 3000}, quirks=Quirks.dense(copy_rate=0.03))
    stage = ContentStage()
    with _client(fake, "skk", siasn_settings) as client:
        stats = walk_pages(client, stage, concurrency=1)
    assert stage.keys == fake.truth_keys("skk")
    copies = fake.dataset("skk").stats()["copies"]
    assert copies > 50
    assert stats.pages < 3000 / 500 + 10


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 4])
def test_copies_of_earlier_rows_do_not_hold_the_frontier_back(
    make_fake_siasn, siasn_settings, concurrency
):
    # Copies of earlier rows sit in the stream itself: a walker that advanced only by the
    # new rows would fall one row behind per copy, for good, and re-read ever more of each
    # page. Here 900+ copies are more than the 500-row page: such a walker re-reads whole
    # pages. The walk must stay close to one request per page of the stream.
    rows = 30_000
    fake = make_fake_siasn(rows={"skk": rows}, quirks=replace(Quirks.none(), copy_rate=0.03))
    stage = ContentStage()
    with _client(fake, "skk", siasn_settings) as client:
        stats = walk_pages(client, stage, concurrency=concurrency)
    assert stage.keys == fake.truth_keys("skk")
    stream = len(fake.dataset("skk"))
    assert stream - rows > 800  # the copies are there
    # Prefetched pages overlap by a few rows (client.grid) so that one covers the frontier.
    assert stats.rows_seen <= stream * 1.03
    assert stats.pages <= stream / 500 * 1.03 + 2


@pytest.mark.slow
@pytest.mark.parametrize(("proxy_type", "concurrency"), [("skk", 1), ("skk", 4), ("pg_profesi", 3)])
def test_concurrency_is_used_in_full_and_never_exceeded(
    make_fake_siasn, siasn_settings, proxy_type, concurrency
):
    # Every request waits 50 ms at the server, so requests overlap exactly as far as the
    # walker lets them.
    fake = make_fake_siasn(
        rows={proxy_type: 4000}, quirks=Quirks.none(), faults=Faults(latency_ms=50)
    )
    stage = ContentStage()
    with _client(fake, proxy_type, siasn_settings) as client:
        walk_pages(client, stage, concurrency=concurrency, limit=100)
    assert stage.keys == fake.truth_keys(proxy_type)
    assert fake.max_in_flight == concurrency


@pytest.mark.slow
def test_guesses_that_miss_never_push_requests_past_the_bound(make_fake_siasn, siasn_settings):
    # Dense quirks make prefetch guesses miss; the requests still running for them and
    # the one for the frontier share the same `concurrency` slots.
    fake = make_fake_siasn(
        rows={"skk": 4000}, quirks=Quirks.dense(limit_cap=90), faults=Faults(latency_ms=30)
    )
    stage = ContentStage()
    with _client(fake, "skk", siasn_settings) as client:
        stats = walk_pages(client, stage, concurrency=3, limit=100)
    assert stage.keys == fake.truth_keys("skk")
    assert stats.requests > stats.pages  # some guesses missed
    assert fake.max_in_flight <= 3


def test_a_fetched_page_leaves_no_body_for_the_cycle_collector(fake_siasn, siasn_settings):
    # An httpx Response and its stream refer to each other: a response is freed only by
    # a GC pass, and with it any body it cached. Pages must not pile up between passes.
    gc.collect()
    gc.disable()
    try:
        with _client(fake_siasn, "pangkat", siasn_settings) as client:
            page = client.fetch_page(0)
        assert page.rows
        holding = [
            o for o in gc.get_objects() if isinstance(o, httpx.Response) and hasattr(o, "_content")
        ]
    finally:
        gc.enable()
    assert holding == []
