"""Transient upstream failures are retried per request; a rejected token is not."""

from __future__ import annotations

import pytest

from tasks.errors import JobCancelled, PermanentFailure
from tasks.siasn.client import SiasnClient, walk_pages
from tasks.siasn.errors import TokenRejected, UpstreamUnavailable
from tasks.siasn.fake import FakeSiasn
from tests.support.jobenv import wait_for
from tests.support.siasn import ContentStage


def _client(fake: FakeSiasn, proxy_type: str, settings, **kw) -> SiasnClient:
    kw.setdefault("timeout", 5)
    return SiasnClient(
        proxy_type, base_url=fake.base_url, token=fake.token, settings=settings, **kw
    )


def test_429_waits_for_retry_after(fake_siasn, siasn_settings):
    fake_siasn.faults.retry_after = 0.3
    fake_siasn.script("429", times=1, proxy_type="skk")
    with _client(fake_siasn, "skk", siasn_settings) as client:
        page = client.fetch_page(0)
    assert page.rows
    assert client.retries == 1
    assert list(client.delays) == [0.3]  # the server's wait, not the 0.01 s backoff
    assert [r.status for r in fake_siasn.requests_for("skk")] == [429, 200]


def test_retry_after_is_capped(fake_siasn, siasn_settings):
    fake_siasn.faults.retry_after = 3600
    fake_siasn.script("429", times=1)
    with _client(fake_siasn, "pangkat", siasn_settings, retry_after_cap=0.2) as client:
        client.fetch_page(0, 10)
    assert list(client.delays) == [0.2]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["500", "502", "503", "drop", "timeout", "garbage"])
def test_transient_failure_is_retried(fake_siasn, siasn_settings, kind):
    fake_siasn.faults.hang_seconds = 1.0
    fake_siasn.script(kind, times=2, proxy_type="pensiun")
    with _client(fake_siasn, "pensiun", siasn_settings, timeout=0.3) as client:
        page = client.fetch_page(0)
    assert len(page.rows) == 100
    assert client.retries == 2
    wait_for(lambda: len(fake_siasn.requests_for("pensiun")) == 3, timeout=5)  # hung ones end late
    assert [r.fault for r in fake_siasn.requests_for("pensiun")] == [kind, kind, None]


def test_backoff_doubles_with_jitter(fake_siasn, siasn_settings):
    fake_siasn.script("503", times=3)
    with _client(fake_siasn, "skk", siasn_settings, backoff=0.02) as client:
        client.fetch_page(0, 5)
    delays = list(client.delays)
    for attempt, delay in enumerate(delays):
        base = 0.02 * 2**attempt
        assert base <= delay <= base * 1.25


@pytest.mark.parametrize("status", ["401", "403"])
def test_rejected_token_fails_at_once(fake_siasn, siasn_settings, status):
    fake_siasn.script(status, times=1)
    with (
        _client(fake_siasn, "pangkat", siasn_settings) as client,
        pytest.raises(TokenRejected, match="rejected the token") as info,
    ):
        client.fetch_page(0)
    assert isinstance(info.value, PermanentFailure)
    assert len(fake_siasn.requests_for("pangkat")) == 1
    assert client.retries == 0


def test_wrong_token_stops_a_concurrent_walk(fake_siasn, siasn_settings):
    fake_siasn.faults.reject_token = True
    client = SiasnClient(
        "skk", base_url=fake_siasn.base_url, token="tok-SECRET", settings=siasn_settings
    )
    with client, pytest.raises(TokenRejected) as info:
        walk_pages(client, ContentStage(), concurrency=4)
    assert client.retries == 0
    assert "tok-SECRET" not in str(info.value)


def test_non_json_body_exhausts_retries(fake_siasn, siasn_settings):
    fake_siasn.faults.fail_kind = "garbage"
    fake_siasn.faults.fail_from_page = 0
    with (
        _client(fake_siasn, "skk", siasn_settings, retries=2) as client,
        pytest.raises(UpstreamUnavailable) as info,
    ):
        client.fetch_page(500)
    err = info.value
    assert err.attempts == 3 and err.offset == 500
    assert "/siasn-instansi/skk/usulan/monitoring" in str(err)
    assert "offset 500" in str(err) and "not JSON" in str(err)
    assert not isinstance(err, PermanentFailure)
    assert len(fake_siasn.requests_for("skk")) == 3


def test_sync_dies_at_page_k(fake_siasn, siasn_settings):
    fake_siasn.faults.fail_from_page = 1  # offsets from 600 on
    stage = ContentStage()
    with (
        _client(fake_siasn, "pangkat", siasn_settings, retries=1) as client,
        pytest.raises(UpstreamUnavailable, match="HTTP 503"),
    ):
        walk_pages(client, stage, concurrency=1)
    assert 0 < len(stage.keys) < len(fake_siasn.truth("pangkat"))
    assert all(r.offset < 600 for r in fake_siasn.requests_for("pangkat") if r.status == 200)


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 4])
def test_walk_survives_random_faults(fake_siasn, siasn_settings, concurrency):
    fake_siasn.faults.fault_rate = 0.3
    fake_siasn.faults.retry_after = 0.01
    fake_siasn.faults.hang_seconds = 0.5
    stage = ContentStage()
    with _client(fake_siasn, "skk", siasn_settings, timeout=0.2, retries=8) as client:
        # Small pages: enough requests that the faults surely hit some of them.
        stats = walk_pages(client, stage, concurrency=concurrency, limit=40)
    assert stage.keys == fake_siasn.truth_keys("skk")
    assert stats.retries > 0


def test_check_stops_a_walk_promptly(fake_siasn, siasn_settings):
    calls = {"n": 0}

    def check() -> None:
        calls["n"] += 1
        if calls["n"] > 3:
            raise JobCancelled("cancelled")

    stage = ContentStage()
    with (
        _client(fake_siasn, "pangkat", siasn_settings, check=check) as client,
        pytest.raises(JobCancelled),
    ):
        walk_pages(client, stage, concurrency=1)
    assert stage.calls <= 2


def test_cancel_interrupts_a_retry_wait(fake_siasn, siasn_settings):
    fake_siasn.faults.retry_after = 30
    fake_siasn.script("429", times=1)
    state = {"waiting": False}

    def check() -> None:
        if state["waiting"]:
            raise JobCancelled("cancelled")
        state["waiting"] = bool(fake_siasn.requests)  # cancel once the 429 has come back

    with (
        _client(fake_siasn, "skk", siasn_settings, check=check) as client,
        pytest.raises(JobCancelled),
    ):
        client.fetch_page(0)
