"""History and metrics over real HTTP: ``{base}/history`` answers what the run ledger
holds (``tasks.jobs.history``), ``/metrics`` at the server's root parses with
prometheus-client and agrees with the ledger, both behind the API keys (``/metrics``
without one only under ``PROXYTUI_METRICS_PUBLIC``), and neither answers a bad
parameter, an unreachable database or an unreachable job store with a stack trace."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tasks import jobs
from tasks.backend import use_backend
from tasks.catalog import CATALOG, PROXY_TYPES
from tasks.settings import configure, load_settings
from tasks.sink import open_sink
from tasks.sink.ledger import RUN_STATES, RunEntry
from tests.support.databases import live_rows
from tests.support.jobenv import wait_for
from tests.support.live_api import free_port, serve_in_thread
from tests.test_history_survives import samples, world  # noqa: F401 - world is a fixture
from tests.test_http_api import BASE, KEYS, OPS_KEY, _serve, assert_error
from tui.api.app import create_app

AUTH = {"Authorization": f"Bearer {OPS_KEY}"}


@pytest.fixture
def root(job_settings) -> Iterator[str]:
    """The server's root URL (``/metrics`` lives here), with API keys configured."""
    with serve_in_thread(create_app(BASE, api_keys=KEYS)) as url:
        yield url


def scrape(root: str, headers: dict[str, str] | None = None) -> dict[tuple[str, tuple], float]:
    response = httpx.get(f"{root}/metrics", headers=AUTH if headers is None else headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.content)


def labels(**values: str) -> tuple:
    return tuple(sorted(values.items()))


def record(database_url: str, *entries: RunEntry) -> None:
    """Runs written into the ledger as a worker writes them (no job store involved)."""
    sink = open_sink(database_url)
    with sink:
        for entry in entries:
            sink.record_run(entry)


# -- after real runs ------------------------------------------------------------------


def settle(api: httpx.Client, job_id: str) -> dict:
    """The job's record over HTTP once it has finished."""
    return wait_for(
        lambda: (r := api.get("/status", params={"jobId": job_id}).json())["state"]
        in ("completed", "failed") and r,
        timeout=60,
    )


@pytest.mark.slow
def test_history_and_metrics_over_http_agree_with_the_ledger_after_real_runs(
    world, start_consumer, database_url  # noqa: F811 - the imported fixture
):
    env, upstream = world
    start_consumer(config="huey_config.huey", extra_env=env)
    with serve_in_thread(create_app(BASE, api_keys=KEYS)) as root, httpx.Client(
        base_url=root + BASE, headers=AUTH, timeout=10
    ) as api:
        pangkat = api.post("/pangkat/sync").json()["jobId"]
        assert settle(api, pangkat)["state"] == "completed"
        upstream.faults.reject_token = True
        upstream.faults.types = frozenset({"skk"})
        skk = api.get("/skk/sync").json()["jobId"]  # GET, as the web page sends it
        assert settle(api, skk)["state"] == "failed"
        other = jobs.request_sync("pg_akademik", requested_by="ops")["jobId"]  # the CLI's way
        assert settle(api, other)["state"] == "completed"
        wait_for(lambda: len(jobs.history()["runs"]) == 3)

        response = api.get("/history")
        assert response.status_code == 200
        assert response.json() == jobs.history()
        runs = response.json()["runs"]
        assert response.json()["type"] is None
        assert [(r["jobId"], r["state"], r["trigger"], r["requestedBy"]) for r in runs] == [
            (other, "completed", "cli", "ops"),
            (skk, "failed", "api", "ops"),
            (pangkat, "completed", "api", "ops"),
        ]
        assert set(runs[0]) == set(jobs.history()["runs"][0])  # every field of the contract
        table = live_rows(database_url, CATALOG["pangkat"].table.name, "id")
        assert runs[2]["rows"] == len(table) > 0 and runs[2]["error"] is None
        assert runs[1]["rows"] is None and "rejected the token" in runs[1]["error"]

        one = api.get("/history", params={"type": "pg-akademik", "limit": "1"}).json()
        assert one == jobs.history("pg_akademik", 1) and one["type"] == "pg_akademik"
        assert api.get("/history", params={"limit": "2"}).json()["runs"] == runs[:2]
        assert api.get("/history", params={"type": "skk"}).json()["runs"] == [runs[1]]

        got = scrape(root)
        ledger = jobs.history(limit=jobs.HISTORY_MAX)["runs"]
        counted = Counter((r["type"], r["state"]) for r in ledger)
        for proxy_type in PROXY_TYPES:
            for state in RUN_STATES:
                key = ("proxytui_runs_total", labels(state=state, type=proxy_type))
                assert got[key] == counted[proxy_type, state], key
            completed = [r for r in ledger if r["type"] == proxy_type and r["state"] == "completed"]
            rows = ("proxytui_dataset_rows", labels(type=proxy_type))
            success = ("proxytui_last_success_timestamp_seconds", labels(type=proxy_type))
            if completed:
                assert got[rows] == completed[0]["rows"]
                assert got[success] == completed[0]["finishedAt"] / 1000
            else:
                assert rows not in got and success not in got
        assert got[("proxytui_last_failure_timestamp_seconds", labels(type="skk"))] == (
            runs[1]["finishedAt"] / 1000)
        assert got[("proxytui_job_store_up", ())] == 1 and got[("proxytui_database_up", ())] == 1
        assert got[("proxytui_workers", ())] >= 1
        assert got[("proxytui_jobs", labels(state="failed", type="skk"))] == 1


def test_a_sync_over_http_is_recorded_as_asked_for_by_the_api(root):
    api = httpx.Client(base_url=root + BASE, headers=AUTH, timeout=10)
    job_id = api.post("/pensiun/sync").json()["jobId"]
    assert api.get("/status", params={"jobId": job_id}).json()["trigger"] == "api"
    api.close()


def test_history_over_http_is_the_ledger_of_every_type_newest_first(root, job_settings):
    record(
        job_settings.database_url,
        RunEntry("pangkat", "proxy-pangkat-1700000000001", "completed", 1_700_000_001_000,
                 attempt=1, trigger="schedule", requested_by="schedule", rows=23_190,
                 written=12, removed=9, unchanged=23_169, duplicates_removed=3, pages=24,
                 requests=25, retries=1, expected_total=23_193, duration_ms=41_000,
                 queued_at=1_700_000_000_000, started_at=1_700_000_000_500),
        RunEntry("pg_akademik", "proxy-pg_akademik-1700000000002", "cancelled",
                 1_700_000_002_000, trigger="dashboard", requested_by="ops", forced=True),
    )
    api = httpx.Client(base_url=root + BASE, headers=AUTH, timeout=10)
    body = api.get("/history").json()
    assert body == jobs.history()
    assert [r["jobId"] for r in body["runs"]] == [
        "proxy-pg_akademik-1700000000002", "proxy-pangkat-1700000000001"]
    assert body["runs"][1]["duplicatesRemoved"] == 3 and body["runs"][0]["forced"] is True
    dashed = api.get("/history", params={"type": "pg-akademik"}).json()
    assert dashed == api.get("/history", params={"type": "pg_akademik"}).json()
    assert dashed == {"type": "pg_akademik", "runs": [body["runs"][0]]}
    assert api.get("/history", params={"type": "skk", "limit": "1000"}).json() == {
        "type": "skk", "runs": []}
    api.close()


# -- bad parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "error", "hint"),
    [
        ("type=nope", "bad_type", "pg-akademik"),
        ("type=SKK", "bad_type", "pg-akademik"),
        ("type=", "bad_type", "pg-akademik"),
        ("limit=0", "bad_limit", "1 to 1000"),
        ("limit=1001", "bad_limit", "1 to 1000"),
        ("limit=-1", "bad_limit", "1 to 1000"),
        ("limit=ten", "bad_limit", "1 to 1000"),
        ("limit=5.0", "bad_limit", "1 to 1000"),
        ("limit=%205", "bad_limit", "1 to 1000"),
        ("limit=", "bad_limit", "1 to 1000"),
        ("limit=" + "9" * 40, "bad_limit", "1 to 1000"),
        ("type=skk&type=pensiun", "bad_parameter", "type"),
        ("since=1", "bad_parameter", "limit"),
    ],
)
def test_bad_history_parameters_are_400_saying_what_is_valid(root, query, error, hint):
    response = httpx.get(f"{root}{BASE}/history?{query}", headers=AUTH)
    body = assert_error(response, 400, error)
    assert hint in body["message"] and len(body["message"]) < 300


def test_metrics_takes_no_parameters(root):
    body = assert_error(httpx.get(f"{root}/metrics?format=json", headers=AUTH), 400,
                        "bad_parameter")
    assert "format" in body["message"]


# -- keys -------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer wrong-key", f"Basic {OPS_KEY}"])
def test_history_and_metrics_need_a_key(root, header):
    headers = {"Authorization": header} if header else {}
    for url in (f"{root}{BASE}/history", f"{root}/metrics"):
        response = httpx.get(url, headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert scrape(root)[("proxytui_job_store_up", ())] == 1


def test_metrics_public_lets_a_scraper_in_without_a_key_and_nothing_else(job_settings, job_env):
    configure(load_settings({**job_env, "PROXYTUI_METRICS_PUBLIC": "1"}))
    use_backend(None)
    with serve_in_thread(create_app(BASE, api_keys=KEYS)) as root:
        assert scrape(root, headers={})[("proxytui_job_store_up", ())] == 1
        assert_error(httpx.get(f"{root}{BASE}/history"), 401, "unauthorized")
        assert_error(httpx.get(f"{root}{BASE}/debug"), 401, "unauthorized")
        document = httpx.get(f"{root}{BASE}/openapi.json").json()
        assert document["paths"]["/metrics"]["get"]["security"] == []
        assert "401" not in document["paths"]["/metrics"]["get"]["responses"]
        assert "401" in document["paths"][f"{BASE}/history"]["get"]["responses"]


# -- where the routes are ---------------------------------------------------------------


@pytest.mark.slow
def test_metrics_is_at_the_root_whatever_the_base_path(root, job_settings):
    assert_error(httpx.get(f"{root}{BASE}/metrics", headers=AUTH), 404, "no_route")
    document = httpx.get(f"{root}{BASE}/openapi.json").json()
    assert {"/metrics", f"{BASE}/history"} <= set(document["paths"])
    assert set(document["paths"]["/metrics"]["get"]["responses"]) == {"200", "400", "401", "503"}
    assert "text/plain" in document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert set(document["paths"][f"{BASE}/history"]["get"]["responses"]) == {
        "200", "400", "401", "503"}
    unknown = httpx.get(f"{root}/nowhere", headers=AUTH).json()
    assert "GET /metrics" in unknown["routes"] and f"GET {BASE}/history" in unknown["routes"]
    with serve_in_thread(create_app("/", api_keys=KEYS)) as top:
        assert httpx.get(f"{top}/history", headers=AUTH).json() == jobs.history()
        assert scrape(top)[("proxytui_database_up", ())] == 1


# -- what is down -----------------------------------------------------------------------


def test_an_unreachable_database_is_503_for_history_and_a_zero_in_metrics(root, job_settings):
    port = free_port()  # nobody listens there
    configure(database_url=f"postgresql://proxytui:secret@127.0.0.1:{port}/ledger")
    use_backend(None)
    response = httpx.get(f"{root}{BASE}/history", headers=AUTH)
    body = assert_error(response, 503, "dataset_unavailable")
    assert "\n" not in body["message"] and "PROXYTUI_DATABASE_URL" in body["message"]
    assert f"127.0.0.1:{port}" in body["message"] and "secret" not in body["message"]
    assert response.headers["retry-after"] == "5"
    got = scrape(root)
    assert got[("proxytui_database_up", ())] == 0 and got[("proxytui_job_store_up", ())] == 1
    assert not any(name == "proxytui_runs_total" for name, _ in got)


def test_an_unreachable_job_store_leaves_history_and_says_so_in_metrics(
    root, job_settings, tmp_path
):
    record(job_settings.database_url,
           RunEntry("skk", "proxy-skk-1700000000003", "failed", 1_700_000_003_000, error="boom"))
    if job_settings.embedded:  # the embedded store cannot even be opened: nothing to report
        (tmp_path / "a-file").write_text("")
        configure(queue=f"sqlite:///{tmp_path / 'a-file'}/queue.db")
        use_backend(None)
        for url in (f"{root}/metrics", f"{root}{BASE}/history"):
            body = assert_error(httpx.get(url, headers=AUTH), 503, "backend_unavailable")
            assert "PROXYTUI_QUEUE" in body["message"]
        return
    configure(redis_url=f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    use_backend(None)
    got = scrape(root)
    assert got[("proxytui_job_store_up", ())] == 0 and got[("proxytui_database_up", ())] == 1
    assert got[("proxytui_runs_total", labels(state="failed", type="skk"))] == 1
    assert not any(name in ("proxytui_jobs", "proxytui_workers") for name, _ in got)
    history = httpx.get(f"{root}{BASE}/history", headers=AUTH)
    assert history.status_code == 200
    assert [r["jobId"] for r in history.json()["runs"]] == ["proxy-skk-1700000000003"]


@pytest.mark.slow
def test_serve_refuses_a_bad_schedule_at_start_by_name(job_env):
    """The metrics read the schedule on every scrape: a bad one stops the server at start."""
    env = {**job_env, "PROXYTUI_SCHEDULE": "pangkat=0 2 * *;skk=30 2 * * 1-5"}
    proc = _serve(["--port", str(free_port())], env, keys=f"ops:{OPS_KEY}")
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 2
    assert "pangkat='0 2 * *'" in out and "Traceback" not in out
