"""Property-based runs over the live HTTP API: no 500, and every answer matches the
OpenAPI description it serves.

- schemathesis generates valid and invalid requests from ``{base}/openapi.json`` and runs
  all of its checks (status codes, content types, response schemas, auth, methods);
- hypothesis throws raw junk (methods, path segments, query strings, headers) at it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.backend import use_backend
from tasks.settings import configure
from tests.support.live_api import free_port, serve_in_thread
from tui.api.app import create_app
from tui.api.routes import METRICS_PATH
from tui.api.serve import DEFAULT_BASE_PATH

schemathesis = pytest.importorskip("schemathesis", reason="pip install -e '.[dev]'")

KEY = "fuzz-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}
BASE = DEFAULT_BASE_PATH
SEEN: Counter[int] = Counter()
log = logging.getLogger(__name__)


@pytest.fixture(autouse=True, scope="module")
def report_figures() -> Iterator[None]:
    """Log how many requests the runs made, by status (see them with --log-cli-level=INFO)."""
    yield
    log.info("fuzz figures: %d requests, by status %s", SEEN.total(), dict(sorted(SEEN.items())))


@pytest.fixture
def root(job_settings) -> Iterator[str]:
    with serve_in_thread(create_app(BASE, api_keys={"fuzz": KEY})) as url:
        yield url


@pytest.fixture
def api_schema(root: str):
    loaded = schemathesis.openapi.from_url(f"{root}{BASE}/openapi.json")
    # Configured (not forced per call) so that schemathesis knows the key is ours and its
    # "missing Authorization" cases really go out without one.
    loaded.config.update(headers=AUTH, base_url=root)
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_matches_its_description(case):
    # The key goes with every call so that schemathesis knows it is ours: its auth check
    # then sends each request again without a key and with a wrong one, expecting 401.
    response = case.call_and_validate(headers=AUTH)
    SEEN[response.status_code] += 1
    assert response.status_code != 500


def test_every_documented_status_occurs(root, job_settings, tmp_path):
    """The document lists no answer the API never gives: each documented status of each
    operation, provoked for real (503 with the job store and the database gone)."""
    schema = httpx.get(f"{root}{BASE}/openapi.json").json()
    documented = {
        (method.upper(), path.removeprefix(BASE), status)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    ok = httpx.Client(base_url=root + BASE, headers=AUTH, timeout=10)
    anonymous = httpx.Client(base_url=root + BASE, timeout=10)
    job = "/pensiun/sync"

    def target(path: str) -> str:
        """A documented path as the clients call it: /metrics is at the server's root."""
        return f"{root}{path}" if path == METRICS_PATH else path.replace("{type}", "skk")

    provoke = {
        ("GET", "/{type}/sync", "200"): lambda: ok.get("/skk/sync"),
        ("GET", "/{type}/sync", "409"): lambda: ok.get("/skk/sync"),
        ("GET", "/{type}/sync", "400"): lambda: ok.get("/skk/sync?force=maybe"),
        ("POST", "/{type}/sync", "200"): lambda: ok.post(job),
        ("POST", "/{type}/sync", "409"): lambda: ok.post(job),
        ("POST", "/{type}/sync", "400"): lambda: ok.post("/nope/sync"),
        ("GET", "/status", "200"): lambda: ok.get("/status", params={"jobId": ok.post(job).json()["jobId"]}),
        ("GET", "/status", "404"): lambda: ok.get("/status?jobId=proxy-skk-1700000000000"),
        ("GET", "/status", "400"): lambda: ok.get("/status?jobId=nope"),
        ("GET", "/debug", "200"): lambda: ok.get("/debug"),
        ("GET", "/debug", "400"): lambda: ok.get("/debug?x=1"),
        ("POST", "/cleanup", "200"): lambda: ok.post("/cleanup", json={"states": ["failed"]}),
        ("POST", "/cleanup", "400"): lambda: ok.post("/cleanup?states=done"),
        ("GET", "/history", "200"): lambda: ok.get("/history?type=pg-akademik&limit=5"),
        ("GET", "/history", "400"): lambda: ok.get("/history?limit=0"),
        ("GET", "/metrics", "200"): lambda: ok.get(target("/metrics")),
        ("GET", "/metrics", "400"): lambda: ok.get(target("/metrics") + "?x=1"),
    }
    unauthorized = {
        (method, path, "401"): (lambda m=method, p=path: anonymous.request(m, target(p)))
        for method, path, _ in documented
    }
    unavailable = {
        (method, path, "503"): (
            lambda m=method, p=path: ok.request(m, target(p), params={"jobId": "proxy-skk-1700000000000"} if p == "/status" else None)
        )
        for method, path, _ in documented
    }
    assert documented == set(provoke) | set(unauthorized) | set(unavailable)
    for (method, path, status), call in [*provoke.items(), *unauthorized.items()]:
        assert call().status_code == int(status), (method, path, status)
    (tmp_path / "a-file").write_text("")
    embedded_gone = f"sqlite:///{tmp_path / 'a-file'}/queue.db"  # a directory that cannot exist
    database_gone = f"postgresql://nobody@127.0.0.1:{free_port()}/ledger"
    if job_settings.embedded:
        configure(queue=embedded_gone, database_url=database_gone)
    else:
        configure(redis_url=f"redis://127.0.0.1:{free_port()}/0", database_url=database_gone)
    use_backend(None)
    metrics = unavailable.pop(("GET", METRICS_PATH, "503"))
    for (method, path, status), call in unavailable.items():
        assert call().status_code == 503, (method, path, status)
    if not job_settings.embedded:
        # With Redis down the page still answers (proxytui_job_store_up 0); the 503 is for
        # an embedded job store that cannot be opened at all.
        assert metrics().status_code == 200
        configure(queue=embedded_gone)
        use_backend(None)
    assert metrics().status_code == 503
    ok.close()
    anonymous.close()


METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
SEGMENT = st.one_of(
    st.sampled_from(
        [
            "skk",
            "pg-akademik",
            "pg_profesi",
            "status",
            "debug",
            "cleanup",
            "history",
            "metrics",
            "openapi.json",
            "sync",
            "",
            "..",
        ]
    ),
    st.text(max_size=30),
)
PARAM = st.tuples(
    st.one_of(st.sampled_from(["force", "type", "jobId", "limit"]), st.text(max_size=10)),
    st.one_of(
        st.sampled_from(["true", "false", "skk", "proxy-skk-1700000000000", "", "1000", "0"]),
        st.text(max_size=40),
    ),
)
HEADER = st.one_of(
    st.just(f"Bearer {KEY}"),
    st.just(""),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    method=METHODS,
    segments=st.lists(SEGMENT, max_size=3),
    query=st.lists(PARAM, max_size=3),
    auth=HEADER,
)
def test_junk_requests_get_json_answers_and_never_500(root, method, segments, query, auth):
    path = BASE + "".join("/" + quote(s, safe="") for s in segments)
    headers = {"Authorization": auth.strip()} if auth.strip() else {}
    response = httpx.request(method, root + path, params=query, headers=headers, timeout=10)
    SEEN[response.status_code] += 1
    assert response.status_code < 500, response.text
    if method != "HEAD":
        body = response.json()
        assert isinstance(body, dict)
        if response.status_code >= 400:
            assert body["success"] is False and body["error"] and body["message"]
            assert "Traceback" not in response.text
