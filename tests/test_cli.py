"""The CLI: contract JSON with --json, exit codes, and one clear line for bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.jobenv import wait_for

PROXYTUI = str(Path(sys.executable).with_name("proxytui"))


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PROXYTUI, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
def test_sync_json_follows_the_contract_and_exit_codes(job_env, start_consumer):
    first = run(job_env, "sync", "pg-akademik", "--json", "--requested-by", "ops")
    assert first.returncode == 0, first.stderr
    queued = json.loads(first.stdout)
    assert queued["status"] == "queued" and queued["jobId"].startswith("proxy-pg_akademik-")

    again = run(job_env, "sync", "pg_akademik", "--json")
    assert again.returncode == 3
    assert json.loads(again.stdout)["jobId"] == queued["jobId"]

    start_consumer("ok")
    wait_for(lambda: json.loads(run(job_env, "status", queued["jobId"], "--json").stdout)["state"]
             == "completed")
    status = json.loads(run(job_env, "status", queued["jobId"], "--json").stdout)
    assert status["found"] is True and status["requestedBy"] == "ops"
    assert status["result"]["total"] == 30
    assert [line["level"] for line in status["log"]][:2] == ["info", "info"]

    last = run(job_env, "sync", "pg_akademik", "--json")
    assert last.returncode == 0
    assert json.loads(last.stdout)["lastSync"]["result"]["total"] == 30


@pytest.mark.slow
def test_sync_wait_follows_the_job_to_its_end(job_env, start_consumer):
    start_consumer("ok")
    result = run(job_env, "sync", "pg_profesi", "--wait", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)  # stdout holds only the final status
    assert record["state"] == "completed" and record["result"]["total"] == 30
    assert f"{record['jobId']}: " in result.stderr  # progress went to stderr


@pytest.mark.slow
def test_sync_wait_exits_1_when_the_job_fails(job_env, start_consumer):
    start_consumer("permanent")
    result = run(job_env, "sync", "skk", "--wait")
    assert result.returncode == 1, result.stderr
    assert "state      failed" in result.stdout and "rejected the token" in result.stdout


@pytest.mark.slow
def test_sync_wait_gives_up_at_its_timeout_and_the_job_goes_on(job_env):
    result = run(job_env, "sync", "pensiun", "--wait", "--timeout", "0.5")  # no worker
    assert result.returncode == 3
    job_id = json.loads(run(job_env, "status", "pensiun", "--json").stdout)["jobId"]
    assert f"{job_id}: not finished after 0.5 s" in result.stderr
    assert f"proxytui status {job_id}" in result.stderr


@pytest.mark.slow
def test_ctrl_c_stops_the_waiting_not_the_job(job_env):
    proc = subprocess.Popen(
        [PROXYTUI, "sync", "pensiun", "--wait"], env={**os.environ, **job_env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert "queued as job" in proc.stderr.readline()  # now it is waiting
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "stopped waiting; the job goes on" in err and "Traceback" not in err
    assert json.loads(run(job_env, "status", "pensiun", "--json").stdout)["state"] == "waiting"


@pytest.mark.slow
@pytest.mark.redis_only
def test_sync_wait_rides_out_a_redis_restart(redis_server, job_env):
    # This Redis keeps nothing on disk, so the job is gone when it is back: the waiter
    # must live through the outage and then say so, not die with exit 4 halfway.
    env = {**job_env, "PROXYTUI_REDIS_URL": redis_server.url, "PROXYTUI_POLL_INTERVAL": "0.1"}
    proc = subprocess.Popen(
        [PROXYTUI, "sync", "pensiun", "--wait", "--timeout", "30"], env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert "queued as job" in proc.stderr.readline()
        redis_server.stop()
        said = [proc.stderr.readline()]  # "waiting (0%)" may come first
        if "backend is unreachable" not in said[0]:
            said.append(proc.stderr.readline())
        assert "backend is unreachable" in said[-1], said
        redis_server.start()
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 1, err
    assert "was not found" in out and "Traceback" not in err


def test_sync_timeout_without_wait_is_bad_usage(job_env):
    result = run(job_env, "sync", "pensiun", "--timeout", "5")
    assert result.returncode == 2
    assert "--timeout goes with --wait" in result.stderr


@pytest.mark.slow
def test_status_of_a_failed_job_exits_1_and_shows_the_error(job_env, start_consumer):
    start_consumer("permanent")
    job_id = json.loads(run(job_env, "sync", "skk", "--json").stdout)["jobId"]
    wait_for(lambda: run(job_env, "status", job_id).returncode == 1)
    human = run(job_env, "status", job_id).stdout
    assert "state      failed" in human and "rejected the token" in human


@pytest.mark.slow
def test_status_of_a_type_shows_its_current_job(job_env):
    none = run(job_env, "status", "pensiun")
    assert none.returncode == 1
    assert none.stdout.strip() == "No pensiun job yet; start one with: proxytui sync pensiun"
    job_id = json.loads(run(job_env, "sync", "pensiun", "--json").stdout)["jobId"]
    shown = run(job_env, "status", "pensiun", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["jobId"] == job_id
    assert json.loads(shown.stdout) == json.loads(run(job_env, "status", job_id, "--json").stdout)
    assert json.loads(run(job_env, "status", "pg-profesi", "--json").stdout) == {
        "found": False,
        "type": "pg_profesi",
        "message": "No pg_profesi job yet; start one with: proxytui sync pg_profesi",
    }


@pytest.mark.slow
def test_jobs_and_cleanup_json(job_env):
    run(job_env, "sync", "pangkat")
    run(job_env, "sync", "pensiun")
    listed = json.loads(run(job_env, "jobs", "--json").stdout)
    assert {j["type"] for j in listed["waiting"]} == {"pangkat", "pensiun"}
    only = json.loads(run(job_env, "jobs", "--type", "pensiun", "--json").stdout)
    assert [j["type"] for j in only["waiting"]] == ["pensiun"]
    cleaned = json.loads(run(job_env, "cleanup", "--type", "pangkat", "--json").stdout)
    assert cleaned["cleaned"] == 1 and cleaned["breakdown"]["waiting"] == 1
    assert json.loads(run(job_env, "cleanup", "--yes", "--json").stdout)["cleaned"] == 1


@pytest.mark.slow
def test_cleanup_state_removes_only_the_jobs_in_those_states(job_env, start_consumer):
    consumer = start_consumer("ok")
    done = json.loads(run(job_env, "sync", "skk", "--wait", "--json").stdout)
    assert done["state"] == "completed"
    consumer.stop()
    run(job_env, "sync", "pangkat")  # waiting
    cleaned = json.loads(
        run(job_env, "cleanup", "--state", "completed", "--state", "failed", "--json").stdout
    )
    assert cleaned["removed"] == 1 and cleaned["breakdown"]["completed"] == 1
    left = json.loads(run(job_env, "jobs", "--json").stdout)
    assert [j["type"] for group in left.values() for j in group] == ["pangkat"]
    bad = run(job_env, "cleanup", "--state", "finished")
    assert bad.returncode == 2 and "'finished'" in bad.stderr and "completed" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.splitlines()) == 1


def test_unknown_type_lists_the_valid_ones(job_env):
    result = run(job_env, "sync", "gaji")
    assert result.returncode == 2
    assert "valid types: pangkat, pensiun, pg_akademik, pg_profesi, skk" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "job_id",
    ["nope", "proxy-gaji-1700000000000", "proxy-pangkat-12", "proxy-pangkat-1700000000000;x",
     "proxy-pangkat-1700000000000\n", "proxy-pangkat-١٧٠٠٠٠٠٠٠٠٠٠٠", "x" * 10_000],
)
def test_malformed_job_id_is_rejected_before_it_reaches_redis(job_id):
    # An unreachable Redis proves the id never got that far: the answer is exit 2, not 4.
    result = run({"PROXYTUI_REDIS_URL": "redis://127.0.0.1:1/0"}, "status", job_id)
    assert result.returncode == 2
    assert "is not a job id" in result.stderr
    assert len(result.stderr) < 300 and "Traceback" not in result.stderr


def test_unknown_job_exits_1(job_env):
    result = run(job_env, "status", "proxy-pangkat-1700000000000", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {
        "found": False,
        "jobId": "proxy-pangkat-1700000000000",
        "message": "Job proxy-pangkat-1700000000000 was not found; it may have been cleaned up "
        "or replaced by a force.",
    }


@pytest.mark.slow
def test_redis_stopped_gives_one_line_naming_the_masked_url_and_exit_4(redis_server, job_env):
    env = {**job_env, "PROXYTUI_REDIS_URL": f"redis://:hunter2@127.0.0.1:{redis_server.port}/0"}
    redis_server.stop()
    for args in (("sync", "pangkat"), ("jobs",), ("cleanup", "--yes"), ("status", "proxy-skk-1700000000000")):
        result = run(env, *args)
        assert result.returncode == 4, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert f"redis://:***@127.0.0.1:{redis_server.port}/0" in lines[0]
        assert "hunter2" not in result.stderr
        assert "redis-server is running" in lines[0]


def test_bad_setting_is_named(job_env):
    result = run({**job_env, "PROXYTUI_QUEUE": "rabbit"}, "jobs")
    assert result.returncode == 2
    assert "PROXYTUI_QUEUE='rabbit'" in result.stderr


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("PROXYTUI_STALL_AFTER", "nan"),
        ("PROXYTUI_ATTEMPT_LIMIT", "inf"),
        ("PROXYTUI_POLL_INTERVAL", "0"),
        ("PROXYTUI_PAGE_CAP", "-1"),
        ("PROXYTUI_FETCH_CONCURRENCY_SKK", "two"),
    ],
)
def test_a_setting_that_is_not_a_usable_number_is_named(job_env, name, raw):
    # nan once escaped as "unexpected error: ValueError"; inf was taken as a time limit.
    result = run({**job_env, name: raw}, "jobs")
    assert result.returncode == 2, result
    assert f"{name}={raw!r}: use " in result.stderr
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_proxytui_lang_is_named(job_env):
    result = run({**job_env, "PROXYTUI_LANG": "fr"}, "jobs")
    assert result.returncode == 2, result
    assert "PROXYTUI_LANG='fr': use 'en' or 'id'" in result.stderr


def test_indonesian_messages_follow_proxytui_lang(job_env):
    result = run({**job_env, "PROXYTUI_LANG": "id"}, "sync", "skk")
    assert "masuk antrean" in result.stdout


def test_fake_siasn_takes_its_own_options(tmp_path):
    result = run({}, "fake-siasn", "--help")
    assert result.returncode == 0
    assert "--latency-ms" in result.stdout and "--fault-rate" in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("fake-siasn", "--rows", "-5"), "argument --rows: '-5' is not a whole number of 0 or more"),
        (("fake-siasn", "--port", "70000"), "argument --port: '70000' is not a port number"),
        (("fake-siasn", "--fault-rate", "1.5"), "'1.5' is not a fraction between 0 and 1"),
        (("fake-siasn", "--latency-ms", "nan"), "'nan' is not a number of 0 or more"),
        (("fake-siasn", "--limit-cap", "0"), "'0' is not a whole number of 1 or more"),
        (("fake-siasn", "--log-level", "loud"), "argument --log-level: invalid choice"),
        (("demo", "--rows", "0"), "argument --rows: '0' is not a whole number of 1 or more"),
        (("serve", "--port", "-1"), "argument --port: '-1' is not a port number"),
        (("--interval", "inf"), "'inf' is not a positive number of seconds"),
    ],
)
def test_an_impossible_option_value_is_named_before_anything_starts(args, says):
    # A negative row count or an impossible port used to reach the fake server itself.
    result = run({"PROXYTUI_REDIS_URL": "redis://127.0.0.1:1/0"}, *args)
    assert result.returncode == 2, result
    assert says in result.stderr
    assert "Traceback" not in result.stderr and not result.stdout


def test_unknown_option_is_bad_usage():
    result = run({}, "jobs", "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr


@pytest.mark.slow
def test_serve_refuses_a_public_address_without_api_keys(job_env):
    result = run({**job_env, "PROXYTUI_API_KEYS": ""}, "serve", "--host", "0.0.0.0", "--port", "1")
    assert result.returncode == 2
    assert "without an API key" in result.stderr and "Traceback" not in result.stderr


def test_status_text_names_the_stage_only_while_the_job_runs():
    from tui.render import render_status

    base = {"found": True, "jobId": "proxy-skk-1700000000000", "type": "skk", "progress": 40,
            "progressInfo": {"stage": "fetching", "message": "page 3"}}
    assert "(fetching: page 3)" in render_status({**base, "state": "active"})
    done = render_status({**base, "state": "completed", "progress": 100})
    assert "fetching" not in done and "state      completed  100%" in done
