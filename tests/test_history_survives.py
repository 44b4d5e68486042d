"""The ledger is the durable record: history, the dataset block and the metrics survive
a force, a cleanup and the loss of everything in Redis (FLUSHALL on a Redis of the
test's own), and they agree with one another and with the live table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from tasks import jobs
from tasks.backend import use_backend
from tasks.catalog import CATALOG
from tasks.metrics import exposition
from tasks.settings import configure, load_settings
from tests.support.databases import live_rows
from tests.support.jobenv import wait_for

PROXYTUI = str(Path(sys.executable).with_name("proxytui"))


def finished(job_id: str) -> dict:
    return wait_for(
        lambda: (r := jobs.job_status(job_id))["state"] in ("completed", "failed") and r,
        timeout=60,
    )


def samples(page: bytes) -> dict[tuple[str, tuple], float]:
    """Every sample of a metrics page, by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(page.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture
def world(job_env, redis_server, database_url, make_fake_siasn, monkeypatch):
    """Settings on a Redis of our own, the real pipeline against a fake SIASN."""
    upstream = make_fake_siasn(token=f"tok-{uuid.uuid4().hex}")
    env = {
        **job_env,
        "PROXYTUI_REDIS_URL": redis_server.url,
        "PROXYTUI_DATABASE_URL": database_url,
        "SIASN_BASE_URL": upstream.base_url,
        "SIASN_TOKEN": upstream.token,
        "PROXYTUI_REQUEST_BACKOFF": "0.01",
        "PROXYTUI_FRESH_FOR": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    configure(load_settings(env))
    use_backend(None)
    yield env, upstream
    use_backend(None)


@pytest.mark.slow
def test_history_survives_force_cleanup_and_flushall_and_agrees_with_metrics(
    world, start_consumer, redis_server, database_url
):
    env, upstream = world
    consumer = start_consumer(config="huey_config.huey", extra_env=env)
    first = jobs.request_sync("pangkat", requested_by="ops")["jobId"]
    assert finished(first)["state"] == "completed"

    # A force while the next run is still waiting: the waiting job goes, the run stays.
    # No consumer runs in between, so the next job cannot have started (else the force
    # would cancel a running job, which the ledger rightly records as cancelled).
    consumer.stop()
    second = jobs.request_sync("pangkat", requested_by="ops")["jobId"]
    forced = jobs.request_sync("pangkat", force=True, requested_by="boss")["jobId"]
    start_consumer(config="huey_config.huey", extra_env=env)
    assert finished(forced)["state"] == "completed"
    assert jobs.job_status(second)["found"] is False

    upstream.faults.reject_token = True
    upstream.faults.types = frozenset({"skk"})
    failed = jobs.request_sync("skk", requested_by="ops")["jobId"]
    assert finished(failed)["state"] == "failed"
    wait_for(lambda: jobs.history("skk")["runs"])

    jobs.cleanup()
    assert jobs.overview()["types"][0]["job"] is None
    redis.Redis.from_url(redis_server.url).flushall()

    history = jobs.history()["runs"]
    assert [(r["jobId"], r["state"]) for r in history] == [
        (failed, "failed"), (forced, "completed"), (first, "completed")]
    assert history[1]["forced"] is True and history[1]["requestedBy"] == "boss"
    assert history[2]["forced"] is False and history[2]["trigger"] == "cli"

    view = jobs.overview()
    table_rows = len(live_rows(database_url, CATALOG["pangkat"].table.name, "id"))
    pangkat = next(row for row in view["types"] if row["type"] == "pangkat")
    assert pangkat["job"] is None  # Redis forgot everything
    assert pangkat["dataset"]["rows"] == table_rows == history[1]["rows"]
    assert pangkat["dataset"]["lastSuccess"]["jobId"] == forced
    skk = next(row for row in view["types"] if row["type"] == "skk")
    assert skk["dataset"]["lastFailure"]["jobId"] == failed
    assert "rejected the token" in skk["dataset"]["lastFailure"]["error"]
    assert skk["dataset"]["lastSuccess"] is None

    page, content_type = exposition()
    assert content_type.startswith("text/plain")
    got = samples(page)
    assert got[("proxytui_runs_total", (("state", "completed"), ("type", "pangkat")))] == 2
    assert got[("proxytui_runs_total", (("state", "failed"), ("type", "skk")))] == 1
    assert got[("proxytui_runs_total", (("state", "failed"), ("type", "pangkat")))] == 0
    assert got[("proxytui_dataset_rows", (("type", "pangkat"),))] == table_rows
    assert got[("proxytui_last_success_timestamp_seconds", (("type", "pangkat"),))] == (
        history[1]["finishedAt"] / 1000)
    assert got[("proxytui_last_failure_timestamp_seconds", (("type", "skk"),))] == (
        history[0]["finishedAt"] / 1000)
    assert got[("proxytui_last_run_duration_seconds", (("state", "completed"), ("type", "pangkat")))] == (
        history[1]["durationMs"] / 1000)
    assert got[("proxytui_jobs", (("state", "completed"), ("type", "pangkat")))] == 0
    assert got[("proxytui_database_up", ())] == 1 and got[("proxytui_job_store_up", ())] == 1

    cli = subprocess.run([PROXYTUI, "history", "pangkat", "--json"], env={**os.environ, **env},
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == jobs.history("pangkat")
    human = subprocess.run([PROXYTUI, "history", "--limit", "2"], env={**os.environ, **env},
                           capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert len(human) == 3 and "rejected the token" in human[1] and forced in human[2]
