"""The HTTP API over real HTTP: every route and status code, the four rows of the sync
behaviour table against a real consumer, authentication, and errors that never leak."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
import redis

from tasks import jobs
from tasks.backend import use_backend
from tasks.settings import Settings, SettingsError, configure
from tests.support.jobenv import REPO, wait_for
from tests.support.live_api import free_port, serve_in_thread
from tui.api.app import create_app, normalize_base_path
from tui.api.auth import ApiKey, parse_api_keys
from tui.api.serve import DEFAULT_BASE_PATH, is_loopback

OPS_KEY = "ops-key-0123456789abcdef"
CI_KEY = "ci-key-fedcba9876543210"
KEYS = {"ops": OPS_KEY, "ci": CI_KEY}
BASE = DEFAULT_BASE_PATH
SLOW = {"PROXYTUI_TEST_STEPS": "60", "PROXYTUI_TEST_STEP_SECONDS": "0.1"}


@pytest.fixture
def root(job_settings) -> Iterator[str]:
    """The server's root URL, with API keys configured."""
    with serve_in_thread(create_app(BASE, api_keys=KEYS)) as url:
        yield url


@pytest.fixture
def api(root: str) -> Iterator[httpx.Client]:
    """A client authenticated as ``ops``, based at the API's base path."""
    headers = {"Authorization": f"Bearer {OPS_KEY}"}
    with httpx.Client(base_url=root + BASE, headers=headers, timeout=10) as client:
        yield client


def status(api: httpx.Client, job_id: str) -> httpx.Response:
    return api.get("/status", params={"jobId": job_id})


def assert_error(response: httpx.Response, code: int, error: str) -> dict:
    assert response.status_code == code, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is False and body["error"] == error and body["message"]
    assert "Traceback" not in response.text
    return body


# -- the sync behaviour table ---------------------------------------------------------


def test_first_sync_queues_a_job_requested_by_the_key_name(api):
    response = api.post("/pangkat/sync")
    assert response.status_code == 200
    answer = response.json()
    assert answer["success"] is True and answer["status"] == "queued"
    assert answer["forced"] is False and answer["jobId"].startswith("proxy-pangkat-")
    record = status(api, answer["jobId"])
    assert record.status_code == 200
    body = record.json()
    assert body["success"] is True and body["found"] is True
    assert body["state"] == "waiting" and body["requestedBy"] == "ops"
    assert body["log"] and body["log"][0]["msg"] == "Queued by ops"


@pytest.mark.slow
def test_sync_while_running_is_409_with_the_same_job_and_progress(api, start_consumer):
    start_consumer("slow", extra_env=SLOW)
    first = api.post("/pensiun/sync").json()
    wait_for(lambda: status(api, first["jobId"]).json()["progress"] > 0)
    response = api.post("/pensiun/sync")
    assert response.status_code == 409
    again = response.json()
    assert again["success"] is False and again["status"] == "running"
    assert again["jobId"] == first["jobId"]
    assert again["state"] == "active" and again["progress"] > 0


@pytest.mark.slow
def test_sync_when_finished_returns_the_last_run(api, start_consumer):
    start_consumer("ok")
    first = api.post("/skk/sync").json()
    done = wait_for(lambda: (r := status(api, first["jobId"]).json())["state"] == "completed" and r)
    response = api.post("/skk/sync")
    assert response.status_code == 200
    again = response.json()
    assert again["success"] is True and again["status"] == "completed"
    assert again["jobId"] == first["jobId"]
    assert again["lastSync"]["finishedAt"] == done["finishedAt"]
    assert again["lastSync"]["minutesAgo"] == 0
    assert again["lastSync"]["result"] == {"success": True, "message": "30 rows", "total": 30}


def test_force_queues_a_new_job_and_the_old_one_is_gone(api):
    first = api.post("/pg-akademik/sync").json()
    response = api.post("/pg-akademik/sync", params={"force": "true"})
    assert response.status_code == 200
    forced = response.json()
    assert forced["status"] == "queued" and forced["forced"] is True
    assert forced["jobId"] != first["jobId"]
    gone = assert_error(status(api, first["jobId"]), 404, "job_not_found")
    assert gone["found"] is False and gone["jobId"] == first["jobId"]
    assert status(api, forced["jobId"]).status_code == 200


def test_dashed_and_underscore_types_name_the_same_job(api):
    first = api.post("/pg_profesi/sync").json()
    again = api.post("/pg-profesi/sync")
    assert again.status_code == 409 and again.json()["jobId"] == first["jobId"]
    assert api.post("/pg-profesi/sync", params={"force": "false"}).status_code == 409


# -- bad parameters -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nope", "SKK", "pg--akademik", "skk%20"])
def test_unknown_type_is_400_listing_the_valid_ones(api, name):
    body = assert_error(api.post(f"/{name}/sync"), 400, "bad_type")
    assert body["valid"] == ["pangkat", "pensiun", "pg-akademik", "pg-profesi", "skk"]
    assert "pg-akademik" in body["message"]


@pytest.mark.parametrize(
    ("path", "params", "error", "hint"),
    [
        ("/skk/sync", "force=maybe", "bad_parameter", "true or false"),
        ("/skk/sync", "force=", "bad_parameter", "true or false"),
        ("/skk/sync", "forse=true", "bad_parameter", "force"),
        ("/skk/sync", "force=true&force=false", "bad_parameter", "once"),
        ("/cleanup", "type=nope", "bad_type", "pg-profesi"),
        ("/cleanup", "kind=skk", "bad_parameter", "type"),
    ],
)
def test_bad_post_parameters_are_400_saying_what_is_valid(api, path, params, error, hint):
    body = assert_error(api.post(f"{path}?{params}"), 400, error)
    assert hint in body["message"]
    assert jobs.list_jobs()["waiting"] == []


def test_status_without_a_job_id_is_400(api):
    body = assert_error(api.get("/status"), 400, "bad_parameter")
    assert "jobId" in body["message"]
    assert_error(api.get("/status?jobId="), 400, "bad_parameter")


@pytest.mark.parametrize("job_id", ["xx", "proxy-nope-1700000000000", "proxy-skk-12", "x" * 500])
def test_status_with_a_malformed_job_id_is_400(api, job_id):
    body = assert_error(status(api, job_id), 400, "bad_job_id")
    assert "proxy-<type>-<epoch ms>" in body["message"]
    assert len(body["message"]) < 200


def test_status_of_an_unknown_job_is_404(api):
    body = assert_error(status(api, "proxy-skk-1700000000000"), 404, "job_not_found")
    assert body["found"] is False and body["jobId"] == "proxy-skk-1700000000000"


def test_unknown_route_and_wrong_method_answer_in_json(api):
    body = assert_error(api.get("/nowhere"), 404, "no_route")
    assert f"POST {BASE}/{{type}}/sync" in body["routes"]
    response = api.get("/cleanup")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"
    assert_error(api.delete("/skk/sync"), 405, "method_not_allowed")
    assert_error(api.get("/debug/"), 404, "no_route")  # no redirect: it has no JSON body


# -- debug, cleanup, and GET changing nothing -----------------------------------------


@pytest.mark.slow
def test_debug_counts_by_status_and_by_type(api, start_consumer):
    ok = start_consumer("ok")
    done = api.post("/skk/sync").json()["jobId"]
    wait_for(lambda: status(api, done).json()["state"] == "completed")
    ok.stop()
    failing = start_consumer("fail")
    failed = api.post("/pangkat/sync").json()["jobId"]
    wait_for(lambda: status(api, failed).json()["state"] == "failed")
    failing.stop()
    slow = start_consumer("slow", extra_env=SLOW)
    stalled = api.post("/pensiun/sync").json()["jobId"]
    wait_for(lambda: status(api, stalled).json()["progress"] > 0)
    slow.kill()  # no heartbeat from now on: the job reads as stalled
    waiting = api.post("/pg-profesi/sync").json()["jobId"]
    wait_for(lambda: status(api, stalled).json()["state"] == "stalled")

    response = api.get("/debug")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["summary"] == {
        "total": 4,
        "byStatus": {
            "active": 0,
            "waiting": 1,
            "delayed": 0,
            "stalled": 1,
            "completed": 1,
            "failed": 1,
        },
    }
    zero = dict.fromkeys(("active", "waiting", "delayed", "completed", "failed"), 0)
    assert body["byType"] == {
        "pangkat": {**zero, "failed": 1},
        "pensiun": {**zero, "active": 1},
        "pg_akademik": zero,
        "pg_profesi": {**zero, "waiting": 1},
        "skk": {**zero, "completed": 1},
    }
    assert sorted(j["jobId"] for j in body["jobs"]) == sorted([done, failed, stalled, waiting])


def test_debug_with_no_jobs_and_with_a_parameter(api):
    body = api.get("/debug").json()
    assert body["summary"]["total"] == 0 and body["jobs"] == []
    assert_error(api.get("/debug?type=skk"), 400, "bad_parameter")


def test_cleanup_of_one_type_then_of_all(api):
    skk = api.post("/skk/sync").json()["jobId"]
    api.post("/pangkat/sync")
    api.post("/pensiun/sync")
    response = api.post("/cleanup", params={"type": "skk"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["success"] is True and answer["cleaned"] == 1
    assert answer["breakdown"] == {
        "active": 0,
        "waiting": 1,
        "delayed": 0,
        "completed": 0,
        "failed": 0,
    }
    assert status(api, skk).status_code == 404
    everything = api.post("/cleanup").json()
    assert everything["cleaned"] == 2 and everything["breakdown"]["waiting"] == 2
    assert api.post("/cleanup").json()["cleaned"] == 0


def test_get_sync_is_the_same_call_as_post(api):
    first = api.get("/pg-akademik/sync")
    assert first.status_code == 200 and first.json()["status"] == "queued"
    again = api.post("/pg_akademik/sync")
    assert again.status_code == 409 and again.json()["jobId"] == first.json()["jobId"]
    forced = api.get("/pg-akademik/sync", params={"force": "true"})
    assert forced.status_code == 200 and forced.json()["forced"] is True
    assert_error(api.get("/pg-akademik/sync", params={"force": "yes"}), 400, "bad_parameter")


def _types_left(api: httpx.Client) -> dict[str, str]:
    return {row["type"]: row["state"] for row in api.get("/debug").json()["jobs"]}


@pytest.mark.slow
def test_cleanup_takes_states_and_type_from_the_body_or_the_query(api, start_consumer):
    consumer = start_consumer("ok")
    done = {t: api.post(f"/{t}/sync").json()["jobId"] for t in ("skk", "pensiun", "pangkat")}
    for job_id in done.values():
        wait_for(lambda j=job_id: status(api, j).json()["state"] == "completed")
    consumer.stop()
    api.post("/pg-profesi/sync")  # waiting: no consumer now

    answer = api.post("/cleanup", json={"states": ["completed"], "type": "skk"}).json()
    assert answer["removed"] == answer["cleaned"] == 1 and answer["breakdown"]["completed"] == 1
    answer = api.post("/cleanup?type=pensiun&states=completed,failed").json()
    assert answer["removed"] == 1
    assert _types_left(api) == {"pangkat": "completed", "pg_profesi": "waiting"}

    # The body wins over the query; BullMQ's "wait" means waiting.
    answer = api.post("/cleanup?states=completed", json={"states": ["wait"], "type": None}).json()
    assert answer["removed"] == 1 and answer["breakdown"]["waiting"] == 1
    assert _types_left(api) == {"pangkat": "completed"}
    assert api.post("/cleanup", json={"states": ["failed"], "type": None}).json()["removed"] == 0
    assert api.post("/cleanup", json={}).json()["removed"] == 1  # no states: every state
    assert _types_left(api) == {}


@pytest.mark.parametrize(
    ("query", "body", "error", "hint"),
    [
        ("states=done", None, "bad_state", "completed"),
        ("states=", None, "bad_state", "completed"),
        ("", {"states": ["done"]}, "bad_state", "completed"),
        ("", {"states": []}, "bad_parameter", "states"),
        ("", {"states": "completed"}, "bad_parameter", "states"),
        ("", {"type": "nope"}, "bad_type", "pg-akademik"),
        ("", {"kind": "skk"}, "bad_parameter", "kind"),
        ("states=completed&states=failed", None, "bad_parameter", "once"),
    ],
)
def test_bad_cleanup_requests_are_400_and_remove_nothing(api, query, body, error, hint):
    api.post("/skk/sync")
    response = api.post(f"/cleanup?{query}", json=body) if body is not None else api.post(f"/cleanup?{query}")
    assert hint in assert_error(response, 400, error)["message"]
    assert _types_left(api) == {"skk": "waiting"}


def test_cleanup_with_a_body_that_is_not_json_is_400(api):
    response = api.post("/cleanup", content=b"{states", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "bad_parameter")


@pytest.mark.slow
def test_a_failed_job_reads_as_the_page_expects(api, start_consumer):
    start_consumer("permanent")
    job_id = api.post("/pangkat/sync").json()["jobId"]
    wait_for(lambda: status(api, job_id).json()["state"] == "failed")
    record = status(api, job_id).json()
    assert record["failedAt"] == record["finishedAt"] and record["completedAt"] is None
    assert record["progress"] < 100
    trace = record["stackTrace"]
    assert isinstance(trace, list) and trace[0].startswith("Traceback")
    assert all("\n" not in line for line in trace)
    assert "PermanentFailure" in trace[-1]
    row = api.get("/debug").json()["jobs"][0]
    assert row["id"] == row["jobId"] == job_id
    assert row["failedAt"] == record["failedAt"] and row["stackTrace"] == trace


def _snapshot(settings: Settings) -> object:
    """Every byte of job state: the Redis keys under the prefix, or the SQLite queue."""
    if settings.embedded:
        with closing(sqlite3.connect(settings.queue_path)) as conn:
            return list(conn.iterdump())
    conn = redis.Redis.from_url(settings.redis_url)
    try:
        return {key: conn.dump(key) for key in conn.scan_iter(match=f"{settings.key_prefix}*")}
    finally:
        conn.close()


def test_reads_never_change_state(api, job_settings):
    job_id = api.post("/skk/sync").json()["jobId"]
    before = _snapshot(job_settings)
    assert before
    for _ in range(3):
        assert status(api, job_id).status_code == 200
        assert api.get("/debug").status_code == 200
        assert api.get("/openapi.json").status_code == 200
        assert status(api, "proxy-skk-1700000000000").status_code == 404
        assert api.head("/pangkat/sync").status_code == 405  # HEAD is no sync
    assert _snapshot(job_settings) == before


# -- authentication -------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-key", f"Basic {OPS_KEY}", f"bearer{OPS_KEY}", "Bearer", OPS_KEY],
)
def test_requests_without_a_valid_key_are_401(root, header):
    headers = {"Authorization": header} if header is not None else {}
    with httpx.Client(base_url=root + BASE, headers=headers) as client:
        for response in (client.post("/skk/sync"), client.get("/debug"), client.post("/cleanup")):
            body = assert_error(response, 401, "unauthorized")
            assert "PROXYTUI_API_KEYS" in body["message"]
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert OPS_KEY not in response.text
    assert jobs.list_jobs()["waiting"] == []


def test_each_key_has_its_name_as_requested_by(root):
    with httpx.Client(base_url=root + BASE, headers={"Authorization": f"bearer {CI_KEY}"}) as ci:
        job_id = ci.post("/skk/sync").json()["jobId"]
        assert ci.get("/status", params={"jobId": job_id}).json()["requestedBy"] == "ci"


FORWARDER_KEY = "web-key-00112233445566778899"


@pytest.fixture
def forwarding_root(job_settings) -> Iterator[str]:
    """A server with a forwarder key (``web``) beside a plain one (``ops``)."""
    keys = [ApiKey("web", FORWARDER_KEY, forwarder=True), ApiKey("ops", OPS_KEY)]
    with serve_in_thread(create_app(BASE, api_keys=keys)) as url:
        yield url


def _requested_by(root: str, key: str, route: str, user: str | None) -> str:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if user is not None:
        headers["X-Forwarded-User"] = user
    with httpx.Client(base_url=root + BASE, headers=headers) as client:
        answer = client.get(f"/{route}/sync")
        assert answer.status_code == 200, answer.text
        return client.get("/status", params={"jobId": answer.json()["jobId"]}).json()["requestedBy"]


def test_a_forwarder_key_passes_the_signed_in_user_as_requested_by(forwarding_root):
    assert _requested_by(forwarding_root, FORWARDER_KEY, "skk", "Budi   Santoso") == "Budi Santoso"
    assert _requested_by(forwarding_root, FORWARDER_KEY, "pangkat", None) == "web"
    assert _requested_by(forwarding_root, FORWARDER_KEY, "pensiun", "") == "web"


def test_other_keys_cannot_name_someone_else(forwarding_root, job_settings):
    assert _requested_by(forwarding_root, OPS_KEY, "skk", "budi.santoso") == "ops"
    with serve_in_thread(create_app(BASE, api_keys={})) as anonymous:
        assert _requested_by(anonymous, "", "pangkat", "budi.santoso") == "anonymous"


def test_a_forwarded_user_too_long_is_400(forwarding_root):
    headers = {"Authorization": f"Bearer {FORWARDER_KEY}", "X-Forwarded-User": "x" * 101}
    body = assert_error(httpx.get(f"{forwarding_root}{BASE}/skk/sync", headers=headers), 400, "bad_parameter")
    assert "X-Forwarded-User" in body["message"]
    assert jobs.list_jobs()["waiting"] == []


def test_openapi_is_served_without_a_key(root):
    response = httpx.get(f"{root}{BASE}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert f"{BASE}/{{type}}/sync" in schema["paths"]
    assert schema["security"] == [{"bearer": []}]


def test_without_keys_everyone_is_anonymous(job_settings):
    with serve_in_thread(create_app("/api/", api_keys={})) as root:
        answer = httpx.post(f"{root}/api/skk/sync").json()
        record = httpx.get(f"{root}/api/status", params={"jobId": answer["jobId"]}).json()
        assert record["requestedBy"] == "anonymous"
        assert "security" not in httpx.get(f"{root}/api/openapi.json").json()


def test_keys_come_from_the_settings(job_settings):
    configure(api_keys=f"robot:{CI_KEY}")
    with serve_in_thread(create_app(BASE)) as root:
        assert httpx.post(f"{root}{BASE}/skk/sync").status_code == 401
        headers = {"Authorization": f"Bearer {CI_KEY}"}
        job_id = httpx.post(f"{root}{BASE}/skk/sync", headers=headers).json()["jobId"]
        record = httpx.get(f"{root}{BASE}/status", params={"jobId": job_id}, headers=headers)
        assert record.json()["requestedBy"] == "robot"


def test_parse_api_keys():
    assert parse_api_keys("") == []
    assert parse_api_keys(" a:k1 , b:k:2 , web:k3:forwarder,") == [
        ApiKey("a", "k1"),
        ApiKey("b", "k:2"),
        ApiKey("web", "k3", forwarder=True),
    ]
    for raw in ("nokey", "a:", ":k", "a:k1,a:k2", "a:k1,b:k1", "a::forwarder", "a:k1,b:k1:forwarder"):
        with pytest.raises(SettingsError) as info:
            parse_api_keys(raw)
        assert "k1" not in str(info.value) and "PROXYTUI_API_KEYS" in str(info.value)


def test_normalize_base_path():
    assert normalize_base_path("/api/x/") == "/api/x"
    assert normalize_base_path("/") == ""
    for bad in ("api", "/a b", "/a?b", "/{x}", "/a#b"):
        with pytest.raises(ValueError, match="--base-path"):
            normalize_base_path(bad)


# -- failures never leak --------------------------------------------------------------


def test_an_unreachable_backend_is_503_with_one_line(job_settings, tmp_path):
    if job_settings.embedded:
        (tmp_path / "a-file").write_text("")
        where, setting = str(tmp_path / "a-file"), "PROXYTUI_QUEUE"
        configure(queue=f"sqlite:///{where}/queue.db")  # a directory that cannot exist
    else:
        where, setting = f"127.0.0.1:{free_port()}", "PROXYTUI_REDIS_URL"  # nobody listens
        configure(redis_url=f"redis://{where}/0")
    use_backend(None)
    with serve_in_thread(create_app(BASE, api_keys={})) as root:
        for response in (
            httpx.post(f"{root}{BASE}/skk/sync"),
            httpx.get(f"{root}{BASE}/status", params={"jobId": "proxy-skk-1700000000000"}),
            httpx.get(f"{root}{BASE}/debug"),
        ):
            body = assert_error(response, 503, "backend_unavailable")
            assert "\n" not in body["message"] and where in body["message"]
            assert setting in body["message"]
            assert response.headers["retry-after"] == "5"


def test_an_unexpected_error_is_a_json_500_without_the_trace(api, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals at /srv/app.py")

    monkeypatch.setattr(jobs, "list_jobs", explode)
    response = api.get("/debug")
    body = assert_error(response, 500, "internal")
    assert "secret" not in response.text and "ref " in body["message"]
    ref = body["message"].split("ref ")[1].split(")")[0]
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.slow
def test_blocking_calls_do_not_stall_the_event_loop(api, monkeypatch):
    real = jobs.list_jobs

    def slow_list(proxy_type=None, backend=None):
        time.sleep(0.5)
        return real(proxy_type, backend)

    monkeypatch.setattr(jobs, "list_jobs", slow_list)
    results: list[int] = []

    def one() -> None:
        with httpx.Client(base_url=str(api.base_url), headers=api.headers) as client:
            results.append(client.get("/debug").status_code)

    threads = [threading.Thread(target=one) for _ in range(10)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 10
    assert time.monotonic() - started < 2.5  # 5 s if the calls ran one after another


# -- proxytui serve -------------------------------------------------------------------


def _serve(args: list[str], env: dict[str, str], keys: str = "") -> subprocess.Popen:
    """``python -m tui.api.serve`` with this test's job state and ``keys`` as the API keys."""
    env = {**os.environ, **env, "PYTHONPATH": str(REPO), "PROXYTUI_API_KEYS": keys}
    return subprocess.Popen(
        [sys.executable, "-m", "tui.api.serve", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org", ""])
def test_serve_refuses_a_public_address_without_keys(job_env, host):
    proc = _serve(["--host", host, "--port", str(free_port())], job_env)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "Refusing to listen" in out and "PROXYTUI_API_KEYS=name:key" in out
    assert "Traceback" not in out


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_with_keys_listens_on_every_address(job_env, workers):
    port = free_port()
    proc = _serve(
        ["--host", "0.0.0.0", "--port", str(port), "--base-path", "/p/", "--workers", workers],
        job_env,
        keys=f"ops:{OPS_KEY}",
    )
    try:
        url = f"http://127.0.0.1:{port}/p/debug"
        response = wait_for(lambda: _try_get(url, {"Authorization": f"Bearer {OPS_KEY}"}))
        assert response.status_code == 200 and response.json()["success"] is True
        assert _try_get(url, {}).status_code == 401
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert OPS_KEY not in out and "API keys loaded for: ops" in out
    assert f"with {workers} worker(s)" in out


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_exits_1_when_the_port_is_taken(job_env, workers):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = _serve(["--port", str(taken.getsockname()[1]), "--workers", workers], job_env)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1, out


def _try_get(url: str, headers: dict[str, str]) -> httpx.Response | None:
    try:
        return httpx.get(url, headers=headers, timeout=2)
    except httpx.TransportError:
        return None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.1", False),
        ("myhost", False),
        ("", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback
