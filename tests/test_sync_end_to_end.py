"""The production worker (huey_config.huey) runs the real pipeline end to end.

A real huey_consumer process, the real SIASN client over TCP against the fake upstream
with every quirk on, and real SQLite / PostgreSQL tables: each type ends with exactly the
upstream's truth, a second sync of the same data gives the same ids, and the token never
lands in Redis or in any log.
"""

from __future__ import annotations

import uuid

import pytest
import redis

from tasks import jobs
from tasks.catalog import CATALOG, PROXY_TYPES
from tasks.clean import row_hash
from tests.support.databases import live_rows
from tests.support.jobenv import REDIS_URL, wait_for


def expected_ids(records: list[dict]) -> set[str]:
    """The documented id rule (UPSTREAM.md), computed independently of the sink's SQL."""
    groups: dict[str | None, list[dict]] = {}
    for record in records:
        groups.setdefault(record.get("id"), []).append(record)
    ids: set[str] = set()
    for rid, group in groups.items():
        for n, record in enumerate(sorted(group, key=row_hash)):
            digest = row_hash(record)
            if rid is None:
                ids.add(f"null~{digest[:16]}")
            else:
                ids.add(rid if n == 0 else f"{rid}~{digest[:12]}")
    return ids


@pytest.fixture
def upstream(make_fake_siasn):
    return make_fake_siasn(token=f"tok-{uuid.uuid4().hex}")


@pytest.fixture
def worker_env(upstream, database_url):
    return {
        "SIASN_BASE_URL": upstream.base_url,
        "SIASN_TOKEN": upstream.token,
        "PROXYTUI_DATABASE_URL": database_url,
        "PROXYTUI_REQUEST_BACKOFF": "0.01",
    }


def sync_all(force: bool = False) -> dict[str, dict]:
    ids = {t: jobs.request_sync(t, force=force, requested_by="e2e")["jobId"] for t in PROXY_TYPES}

    def finished():
        records = {t: jobs.job_status(job_id) for t, job_id in ids.items()}
        return all(r["state"] in ("completed", "failed") for r in records.values()) and records

    return wait_for(finished, timeout=90, every=0.2)


@pytest.mark.slow
def test_every_type_lands_exactly_the_truth_through_a_real_consumer(
    job_settings, start_consumer, upstream, worker_env, database_url
):
    consumer = start_consumer(config="huey_config.huey", workers=2, extra_env=worker_env)
    records = sync_all()
    for proxy_type, record in records.items():
        assert record["state"] == "completed", (proxy_type, record["error"], consumer.log()[-2000:])
        truth = upstream.truth(proxy_type)
        table = CATALOG[proxy_type].table.name
        ids = {row[0] for row in live_rows(database_url, table, "id")}
        assert ids == expected_ids(truth), proxy_type
        result = record["result"]
        assert result["success"] is True
        assert result["inserted"] == len(truth)
        assert result["total"] == result["inserted"] + result["duplicates_removed"] + result["rejected"]
        assert record["progress"] == 100
        assert record["progressInfo"]["stage"] == "publishing"

    first_ids = {t: {r[0] for r in live_rows(database_url, CATALOG[t].table.name, "id")} for t in PROXY_TYPES}
    again = sync_all(force=True)
    assert all(r["state"] == "completed" for r in again.values())
    for proxy_type in PROXY_TYPES:
        table = CATALOG[proxy_type].table.name
        assert {r[0] for r in live_rows(database_url, table, "id")} == first_ids[proxy_type]


@pytest.mark.slow
@pytest.mark.redis_only
def test_the_token_never_lands_in_redis_or_in_a_log(
    job_settings, start_consumer, upstream, worker_env, database_url
):
    consumer = start_consumer(
        config="huey_config.huey", extra_env=worker_env, extra_args=("-v",)
    )
    # A rejected token makes the client and the run loop walk their failure paths too.
    upstream.faults.reject_token = True
    upstream.faults.types = frozenset({"skk"})
    records = sync_all()
    assert records["pangkat"]["state"] == "completed"
    assert records["skk"]["state"] == "failed", records["skk"]["log"]
    assert "rejected the token" in records["skk"]["error"]

    token = upstream.token.encode()
    conn = redis.Redis.from_url(REDIS_URL)
    try:
        for key in conn.scan_iter(count=1000):
            kind = conn.type(key)
            if kind == b"string":
                values = [conn.get(key) or b""]
            elif kind == b"hash":
                values = list(conn.hgetall(key).values())
            elif kind == b"list":
                values = conn.lrange(key, 0, -1)
            elif kind == b"set":
                values = list(conn.smembers(key))
            elif kind == b"zset":
                values = conn.zrange(key, 0, -1)
            else:
                values = []
            assert not any(token in value for value in values), key
    finally:
        conn.close()
    for record in records.values():
        assert upstream.token not in str(record)
    consumer.stop()
    assert upstream.token not in consumer.log()
    assert "Executing" in consumer.log()  # the log was verbose, so the check means something


@pytest.mark.slow
def test_the_workers_own_log_lines_reach_the_consumer_log(
    job_settings, start_consumer, upstream, worker_env, database_url
):
    # huey_consumer sets up only the "huey" logger; our retry warnings (and, on
    # PostgreSQL, the VACUUM after a publish) must land in the same log, in its format.
    upstream.script("503", times=1, proxy_type="pg_profesi")
    consumer = start_consumer(config="huey_config.huey", extra_env=worker_env)
    job_id = jobs.request_sync("pg_profesi", requested_by="e2e")["jobId"]
    record = wait_for(
        lambda: (r := jobs.job_status(job_id))["state"] in ("completed", "failed") and r,
        timeout=60,
    )
    assert record["state"] == "completed", record["error"]
    consumer.stop()
    log = consumer.log()
    assert "WARNING:tasks.siasn.client:" in log and "retry 1/" in log, log[-2000:]
    if database_url.startswith("postgresql"):
        assert "INFO:tasks.sink.postgres:Worker-1:analyzed " in log, log[-2000:]
        # What was published is told before the housekeeping that follows it.
        assert log.index("rows written") < log.index(":analyzed "), log[-2000:]
