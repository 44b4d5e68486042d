"""SVG snapshots of every dashboard screen at 80x24 and 120x40, from fixed data.

The app reads a `FixedSource` (frozen overview, job records and clock), animations are
off and times are shown in UTC, so the pictures are the same on every machine. Refresh
them with ``pytest tests/test_dashboard_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.dashboard_pilot import until
from tui.app import ProxyTuiApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.history import HistoryScreen
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.screens.workers import WorkersScreen
from tui.source import FixedSource

NOW = 1_750_000_000_000
MIN = 60_000
SIZES = [(80, 24), (120, 40)]


def job(proxy_type: str, state: str, created_min_ago: int, **fields: Any) -> dict[str, Any]:
    created = NOW - created_min_ago * MIN
    return {
        "jobId": f"proxy-{proxy_type}-{created}",
        "type": proxy_type,
        "state": state,
        "progress": 0,
        "progressInfo": {},
        "createdAt": created,
        "enqueuedAt": created,
        "startedAt": None,
        "finishedAt": None,
        "requestedBy": "siti",
        "attemptsMade": 0,
        "maxAttempts": 3,
        "result": None,
        "error": None,
        "stackTrace": None,
        "heartbeatAt": None,
        "worker": None,
        "forced": False,
        **fields,
    }


COMPLETED = job(
    "pangkat", "completed", 7, progress=100, attemptsMade=1,
    startedAt=NOW - 7 * MIN + 1_000, finishedAt=NOW - 5 * MIN - 47_000,
    heartbeatAt=NOW - 5 * MIN - 47_000, worker="web1:4121:Worker-1",
    progressInfo={"stage": "publish", "message": "published", "offset": 23_200, "page": 24,
                  "currentTotal": 23_190, "expectedTotal": 23_190},
    result={"success": True, "message": "23,190 rows published", "total": 23_190,
            "inserted": 23_178, "duplicates_removed": 12, "ids_derived": 3, "null_ids": 0,
            "rejected": 0, "pages": 24, "durationMs": 72_000},
)
ACTIVE = job(
    "pensiun", "active", 1, progress=62, attemptsMade=1, startedAt=NOW - 40_000,
    heartbeatAt=NOW - 400, worker="web1:4121:Worker-2", requestedBy="budi",
    progressInfo={"stage": "fetch", "message": "page 41 of 66", "offset": 8_200, "page": 41,
                  "currentTotal": 8_200, "expectedTotal": 13_200, "rowsPerSecond": 350,
                  "etaSeconds": 14},
)
FAILED = job(
    "pg_akademik", "failed", 130, attemptsMade=3, startedAt=NOW - 125 * MIN,
    finishedAt=NOW - 124 * MIN, worker="web2:977:Worker-1",
    error="TokenRejected: SIASN rejected the token (HTTP 401); renew it and sync again",
    stackTrace="Traceback (most recent call last):\n"
    '  File "tasks/runner.py", line 141, in run_attempt\n'
    "    result = sync_fn(proxy_type, run)\n"
    '  File "tasks/siasn/client.py", line 88, in fetch_page\n'
    "    raise TokenRejected(response)\n"
    "tasks.siasn.errors.TokenRejected: SIASN rejected the token (HTTP 401)",
)
WAITING = job("pg_profesi", "waiting", 1, requestedBy="ops-cron")

TITLES = {
    "pangkat": ("Rank promotion", "Kenaikan Pangkat"),
    "pensiun": ("Retirement / termination", "Pemberhentian"),
    "pg_akademik": ("Academic degree title", "Pencantuman Gelar Akademik"),
    "pg_profesi": ("Professional degree title", "Pencantuman Gelar Profesi"),
    "skk": ("Employment status", "Status Kedudukan Kepegawaian"),
}


HOUR = 60 * MIN
# What the run ledger says about each table (tasks.jobs.overview()'s "dataset" block).
DATASETS = {
    "pangkat": {
        "rows": 23_190, "publishedAt": NOW - 5 * MIN - 47_000,
        "lastSuccess": {"jobId": COMPLETED["jobId"], "finishedAt": NOW - 5 * MIN - 47_000,
                        "durationMs": 72_000, "rows": 23_190, "written": 412, "removed": 9,
                        "trigger": "dashboard", "requestedBy": "siti"},
        "lastFailure": None,
        "lastRun": {"jobId": COMPLETED["jobId"], "finishedAt": NOW - 5 * MIN - 47_000,
                    "state": "completed"},
    },
    "pensiun": {
        "rows": 13_020, "publishedAt": NOW - 26 * HOUR,
        "lastSuccess": None, "lastFailure": None,
        "lastRun": {"jobId": "proxy-pensiun-1749906400000", "finishedAt": NOW - 26 * HOUR,
                    "state": "completed"},
    },
    "pg_akademik": {
        "rows": 5_200, "publishedAt": NOW - 3 * HOUR,
        "lastSuccess": None,
        "lastFailure": {"jobId": FAILED["jobId"], "finishedAt": NOW - 10 * MIN,
                        "state": "failed", "error": "SIASN rejected the token (HTTP 401)"},
        "lastRun": {"jobId": FAILED["jobId"], "finishedAt": NOW - 10 * MIN, "state": "failed"},
    },
    "pg_profesi": {"rows": None, "publishedAt": None, "lastSuccess": None,
                   "lastFailure": None, "lastRun": None},
    "skk": {
        "rows": 11_800, "publishedAt": NOW - 2 * HOUR,
        "lastSuccess": None, "lastFailure": None,
        "lastRun": {"jobId": "proxy-skk-1749992800000", "finishedAt": NOW - 2 * HOUR,
                    "state": "completed"},
    },
}
NEXT_RUN = {"pangkat": NOW + 5 * HOUR + 7 * MIN, "skk": NOW + 20 * HOUR}


def overview(jobs_by_type: dict[str, Any], database_error: str | None = None,
             **backend: Any) -> dict[str, Any]:
    health = {"kind": "redis", "url": "redis://:***@redis.internal:6379/0", "reachable": True,
              "error": None, "workers": 2, "queued": 1, "scheduled": 0, "noWorker": False,
              **backend}
    database = {"url": "postgresql://proxy:***@db.internal:5432/siasn",
                "reachable": database_error is None, "error": database_error}
    return {
        "now": NOW if health["reachable"] else None,
        "backend": health,
        "database": database,
        "types": [
            {"type": name, "title": en, "titleId": id_, "job": jobs_by_type.get(name),
             "dataset": None if database_error else DATASETS[name],
             "schedule": "0 2 * * *" if name in NEXT_RUN else None,
             "nextRunAt": NEXT_RUN.get(name)}
            for name, (en, id_) in TITLES.items()
        ],
    }


def run(proxy_type: str, finished_min_ago: float, state: str = "completed", **fields: Any
        ) -> dict[str, Any]:
    finished = int(NOW - finished_min_ago * MIN)
    duration = fields.pop("durationMs", 70_000)
    return {
        "type": proxy_type, "jobId": f"proxy-{proxy_type}-{finished - duration - 1000}",
        "attempt": 1, "trigger": "schedule", "requestedBy": "schedule", "forced": False,
        "state": state, "queuedAt": finished - duration - 1000,
        "startedAt": finished - duration, "finishedAt": finished, "durationMs": duration,
        "rows": None, "written": None, "removed": None, "unchanged": None,
        "duplicatesRemoved": None, "pages": None, "requests": None, "retries": 0,
        "expectedTotal": None, "error": None, **fields,
    }


def ledger() -> list[dict[str, Any]]:
    """40 daily pangkat runs (growing, one failure), and a few of the other types."""
    runs = []
    for day in range(40):
        if day == 3:
            runs.append(run("pangkat", day * 1440 + 6, "failed", durationMs=4_000,
                            error="SIASN rejected the token (HTTP 401)", trigger="schedule"))
            continue
        rows = 23_190 - day * 37
        runs.append(run("pangkat", day * 1440 + 6, rows=rows, written=40 + (day * 13) % 90,
                        removed=(day * 7) % 11, durationMs=60_000 + (day * 2_900) % 25_000))
    runs[0].update(trigger="dashboard", requestedBy="siti", finishedAt=NOW - 5 * MIN - 47_000)
    runs.append(run("pg_akademik", 10, "failed", durationMs=3_000, trigger="cli",
                    requestedBy="ops-cron", error="SIASN rejected the token (HTTP 401)"))
    runs.append(run("skk", 120, rows=11_800, written=11_800, removed=0, durationMs=41_000,
                    trigger="api", requestedBy="hr-portal"))
    runs.append(run("pensiun", 26 * 60, "cancelled", durationMs=12_000, trigger="dashboard",
                    requestedBy="budi", error="cancelled by a force"))
    return runs


WORKERS = [
    {"id": "web1:4121", "host": "web1", "pid": 4121, "kind": "process",
     "startedAt": NOW - 3 * HOUR, "lastSeenAt": NOW - 2_000,
     "jobs": [{"jobId": ACTIVE["jobId"], "type": "pensiun", "state": "active",
               "startedAt": NOW - 40_000, "thread": "Worker-2"}]},
    {"id": "web2:977", "host": "web2", "pid": 977, "kind": "thread",
     "startedAt": NOW - 26 * HOUR, "lastSeenAt": NOW - 4_000, "jobs": []},
]


BUSY = {"pangkat": COMPLETED, "pensiun": ACTIVE, "pg_akademik": FAILED, "pg_profesi": WAITING}
LOG = [
    {"t": NOW - 7 * MIN, "level": "info", "msg": "Queued by siti"},
    {"t": NOW - 7 * MIN + 1_000, "level": "info", "msg": "Attempt 1/3 started on web1:4121"},
    {"t": NOW - 6 * MIN, "level": "warn", "msg": "page 12 came back short (480 of 1000 rows)"},
    {"t": NOW - 5 * MIN - 47_000, "level": "info", "msg": "Completed: 23,190 rows published"},
]


@pytest.fixture(autouse=True)
def fixed_environment(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("PROXYTUI_LANG", "en")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def make_app(data: dict[str, Any] | None = None) -> ProxyTuiApp:
    source = FixedSource(
        data or overview(BUSY),
        statuses={
            COMPLETED["jobId"]: {"found": True, **COMPLETED, "log": LOG},
            FAILED["jobId"]: {"found": True, **FAILED, "log": LOG[:2]},
        },
        runs=ledger(),
        workers=WORKERS,
    )
    app = ProxyTuiApp(source=source, interval=60, requested_by="siti", watch_terminal=False)
    app.animation_level = "none"
    return app


async def loaded(pilot) -> None:
    await until(pilot, lambda: pilot.app.snapshot is not None)
    await pilot.pause()


async def open_screen(pilot, keys: tuple[str, ...], ready) -> None:
    await loaded(pilot)
    await pilot.press(*keys)
    await until(pilot, ready)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
class TestDashboard:
    def test_dashboard(self, snap_compare, size):
        """While syncing: running, completed, failed, waiting and never-run cards, each
        with its dataset line, two with their next scheduled run."""
        assert snap_compare(make_app(), terminal_size=size, run_before=loaded)

    @pytest.mark.slow
    def test_detail(self, snap_compare, size):
        async def run_before(pilot) -> None:
            await open_screen(pilot, ("enter",), lambda: isinstance(
                pilot.app.screen, JobDetailScreen) and pilot.app.screen.status)

        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)

    @pytest.mark.slow
    def test_failed_job_detail(self, snap_compare, size):
        async def run_before(pilot) -> None:
            await open_screen(pilot, ("j", "j", "enter"), lambda: isinstance(
                pilot.app.screen, JobDetailScreen) and pilot.app.screen.status)

        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)

    @pytest.mark.slow
    def test_jobs_filtered_by_state(self, snap_compare, size):
        async def run_before(pilot) -> None:
            await open_screen(pilot, ("a",), lambda: isinstance(pilot.app.screen, JobsScreen)
                              and pilot.app.screen.rows)
            await pilot.press("slash", *"running", "enter")
            await until(pilot, lambda: len(pilot.app.screen.rows) == 1)
            await pilot.pause()

        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)

    @pytest.mark.slow
    def test_confirm_with_two_notifications_showing(self, snap_compare, size):
        """The dialog's whole question and both buttons show; the toasts wait behind it."""
        async def run_before(pilot) -> None:
            await loaded(pilot)
            pilot.app.notify_finished("Rank promotion", COMPLETED)
            pilot.app.notify_finished("Academic degree title", FAILED)
            await pilot.press("f")
            await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
            await pilot.pause()

        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)

    def test_help(self, snap_compare, size):
        async def run_before(pilot) -> None:
            await open_screen(pilot, ("question_mark",),
                              lambda: isinstance(pilot.app.screen, HelpScreen))

        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)

    def test_workers(self, snap_compare, size):
        async def run_before(pilot) -> None:
            await open_screen(pilot, ("w",), lambda: isinstance(pilot.app.screen, WorkersScreen)
                              and pilot.app.screen.rows)

        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)

    @pytest.mark.slow
    def test_history_of_one_type(self, snap_compare, size):
        async def run_before(pilot) -> None:
            await open_screen(pilot, ("h",), lambda: isinstance(pilot.app.screen, HistoryScreen)
                              and pilot.app.screen.rows)

        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)

    @pytest.mark.slow
    def test_history_of_all_types(self, snap_compare, size):
        async def run_before(pilot) -> None:
            await open_screen(pilot, ("H",), lambda: isinstance(pilot.app.screen, HistoryScreen)
                              and pilot.app.screen.rows)

        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)

    def test_paused_read_only_header(self, snap_compare, size):
        app = make_app()
        app.read_only = True

        async def run_before(pilot) -> None:
            await loaded(pilot)
            await pilot.press("p")
            await until(pilot, lambda: "PAUSED" in str(
                pilot.app.dashboard.query_one("#header-bar").render()))
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=run_before)

    def test_dataset_unknown(self, snap_compare, size):
        """The destination database is down: the jobs still show, the data is "unknown"."""
        data = overview(BUSY, database_error="connection to db.internal:5432 refused")
        assert snap_compare(make_app(data), terminal_size=size, run_before=loaded)


@pytest.mark.slow
def test_header_at_60_columns_keeps_state_workers_queue_and_markers(snap_compare):
    app = make_app()
    app.read_only = True

    async def run_before(pilot) -> None:
        await loaded(pilot)
        await pilot.press("p")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(60, 20), run_before=run_before)


def test_banners(snap_compare):
    data = overview({"pg_profesi": WAITING}, reachable=False,
                    error="Error 111 connecting to redis.internal:6379. Connection refused.")
    app = make_app(data)
    app.source._overview = overview({"pg_profesi": WAITING}, workers=0, noWorker=True)

    async def run_before(pilot) -> None:
        # First a healthy poll with a waiting job and no worker, then Redis goes away.
        await loaded(pilot)
        pilot.app.source._overview = data
        pilot.app.action_refresh()
        await until(pilot, lambda: not pilot.app.snapshot["backend"]["reachable"])
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_no_worker_banner(snap_compare):
    app = make_app(overview({"pg_profesi": WAITING}, workers=0, noWorker=True))
    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)
