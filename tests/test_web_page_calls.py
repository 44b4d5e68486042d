"""The existing rumahASN "Proxy Sinkronisasi" page works against `proxytui serve` unchanged.

Its client code, replayed call by call over real HTTP: the API under the page's base path,
a real ``huey_consumer`` running the production pipeline against the fake SIASN over TCP.
The page sends GET to sync, polls ``status`` until ``state`` is completed or failed or
``progress === 100``, reads ``id`` from the debug rows, and cleans up with a JSON body
``{states: [...], type: null}``. It reaches us through the web app, which holds a
forwarder key and names the signed-in user.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tasks.catalog import CATALOG, PROXY_TYPES
from tests.support.jobenv import wait_for
from tests.support.live_api import serve_in_thread
from tui.api.app import create_app
from tui.api.auth import ApiKey

BASE = "/helpdesk/api/siasn/ws/admin/proxy"  # the page's axios base path
WEB_KEY = f"web-{uuid.uuid4().hex}"
USER = "199001012020121001"  # the signed-in admin the web app forwards
ROUTES = [CATALOG[name].route for name in PROXY_TYPES]  # pangkat, pensiun, pg-akademik, ...
EVERY_STATE = ["waiting", "active", "delayed", "stalled", "completed", "failed"]
POLL_EVERY = 0.5


@pytest.fixture
def upstream(make_fake_siasn):
    return make_fake_siasn(token=f"tok-{uuid.uuid4().hex}")


@pytest.fixture
def page(job_settings, start_consumer, upstream) -> Iterator[httpx.Client]:
    """What the page talks to: the API (behind the web app's forwarder key) and a worker."""
    start_consumer(
        config="huey_config.huey",
        workers=2,
        extra_env={
            "SIASN_BASE_URL": upstream.base_url,
            "SIASN_TOKEN": upstream.token,
            "PROXYTUI_REQUEST_BACKOFF": "0.01",
        },
    )
    app = create_app(BASE, api_keys=[ApiKey("rumahasn-web", WEB_KEY, forwarder=True)])
    headers = {"Authorization": f"Bearer {WEB_KEY}", "X-Forwarded-User": USER}
    with serve_in_thread(app) as root, httpx.Client(
        base_url=root + BASE, headers=headers, timeout=10
    ) as client:
        yield client


def sync(page: httpx.Client, route: str, force: bool = False) -> httpx.Response:
    return page.get(f"/{route}/sync", params={"force": "true"} if force else None)


def poll_status(page: httpx.Client, job_id: str, timeout: float = 90.0) -> dict:
    """The page's loop: GET status until state is completed/failed or progress is 100.

    Every answer on the way is checked as the page reads it: progress 100 only with
    state completed."""
    deadline = time.monotonic() + timeout
    while True:
        response = page.get("/status", params={"jobId": job_id})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["jobId"] == job_id
        assert body["progress"] < 100 or body["state"] == "completed", body
        if body["state"] in ("completed", "failed") or body["progress"] == 100:
            return body
        assert time.monotonic() < deadline, f"{job_id} still {body['state']} after {timeout}s"
        time.sleep(POLL_EVERY)


def debug(page: httpx.Client) -> dict:
    response = page.get("/debug")
    assert response.status_code == 200, response.text
    return response.json()


def cleanup(page: httpx.Client, states: list[str]) -> dict:
    response = page.post("/cleanup", json={"states": states, "type": None})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.slow
def test_the_page_sequence_against_a_real_worker(page, upstream):
    # 1. Sync one type with GET (the route is dashed), and poll it to its end.
    started = sync(page, "pg-akademik")
    assert started.status_code == 200, started.text
    first = started.json()
    assert first["status"] == "queued" and first["jobId"].startswith("proxy-pg_akademik-")
    done = poll_status(page, first["jobId"])
    assert done["state"] == "completed" and done["progress"] == 100
    assert done["requestedBy"] == USER
    assert done["progressInfo"]["message"]
    truth = len(upstream.truth("pg_akademik"))
    assert done["result"]["inserted"] == truth
    assert done["result"]["total"] == truth + done["result"]["duplicates_removed"] + done[
        "result"
    ]["rejected"]
    assert done["completedAt"] == done["finishedAt"] and done["failedAt"] is None
    assert done["stackTrace"] == [] and done["error"] is None

    # 2. "Sync all": five GETs at once, as Promise.allSettled sends them.
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda route: sync(page, route), ROUTES))
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    job_ids = {route: a.json()["jobId"] for route, a in zip(ROUTES, answers, strict=True)}
    assert job_ids["pg-akademik"] == first["jobId"]  # finished just now: its last run
    for job_id in job_ids.values():
        assert poll_status(page, job_id)["state"] == "completed"

    # 3. The jobs panel: every row keyed by `id`, the job id.
    panel = debug(page)
    assert panel["summary"]["total"] == 5
    assert panel["summary"]["byStatus"]["completed"] == 5
    assert panel["summary"]["byStatus"]["active"] == panel["summary"]["byStatus"]["failed"] == 0
    rows = {row["id"]: row for row in panel["jobs"]}
    assert set(rows) == set(job_ids.values())
    for row in panel["jobs"]:
        assert row["id"] == row["jobId"]
        assert row["state"] == "completed" and row["progress"] == 100
        assert row["requestedBy"] == USER and row["type"] in PROXY_TYPES

    # 4. Force pangkat with GET; its upstream slows down so the run is still going when
    # the page's "remove completed" button is pressed.
    upstream.faults.latency_ms = 1000
    upstream.faults.types = frozenset({"pangkat"})
    forced = sync(page, "pangkat", force=True)
    assert forced.status_code == 200, forced.text
    forced_id = forced.json()["jobId"]
    assert forced.json()["forced"] is True and forced_id != job_ids["pangkat"]
    wait_for(
        lambda: (r := page.get("/status", params={"jobId": forced_id}).json())["state"]
        == "active"
        and r["progress"] > 0,
        every=0.05,
    )

    removed = cleanup(page, ["completed"])
    assert removed["removed"] == removed["cleaned"] == 4
    assert removed["breakdown"] == {
        "active": 0, "waiting": 0, "delayed": 0, "completed": 4, "failed": 0,
    }
    survivor = page.get("/status", params={"jobId": forced_id}).json()
    assert survivor["state"] == "active" and survivor["progress"] < 100
    assert [row["id"] for row in debug(page)["jobs"]] == [forced_id]
    for route in ROUTES:
        if route != "pangkat":
            gone = page.get("/status", params={"jobId": job_ids[route]})
            assert gone.status_code == 404 and gone.json()["found"] is False

    upstream.faults.latency_ms = 0
    finished = poll_status(page, forced_id)
    assert finished["state"] == "completed" and finished["progress"] == 100
    assert finished["result"]["inserted"] == len(upstream.truth("pangkat"))

    # 5. "Remove all": every state; nothing is left.
    everything = cleanup(page, EVERY_STATE)
    assert everything["removed"] == 1 and everything["breakdown"]["completed"] == 1
    panel = debug(page)
    assert panel["summary"]["total"] == 0 and panel["jobs"] == []
