"""The dashboard's run-ledger views against the live source: real job store, a real
``huey_consumer`` running the real pipeline against the fake SIASN over TCP, and the
ledger in the test's own SQLite destination.

The ledger outlives job records, so the history screen and the cards' dataset lines must
keep telling what happened after the jobs are cleaned up; `s` follows the freshness window.
"""

from __future__ import annotations

import socket
import uuid

import pytest

from tasks import jobs
from tasks.backend import use_backend
from tasks.settings import configure
from tasks.texts import text
from tests.dashboard_pilot import (
    anyio_backend,  # noqa: F401 (a fixture, for pytest)
    card_job,
    card_state,
    record_notifications,
    until,
)
from tui.app import ProxyTuiApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.history import HistoryScreen
from tui.widgets import Banner

SIZE = (80, 30)  # the card layout, with its dataset line
RUN_TIMEOUT = 60.0
pytestmark = pytest.mark.anyio


@pytest.fixture
def upstream(job_settings, start_consumer, make_fake_siasn):
    """A fake SIASN and one real consumer running the production pipeline against it."""
    fake = make_fake_siasn(token=f"tok-{uuid.uuid4().hex}")
    start_consumer(config="huey_config.huey", extra_env={
        "SIASN_BASE_URL": fake.base_url,
        "SIASN_TOKEN": fake.token,
        "PROXYTUI_REQUEST_BACKOFF": "0.01",
    })
    return fake


def make_app() -> ProxyTuiApp:
    app = ProxyTuiApp(interval=0.2, requested_by="tester", watch_terminal=False)
    app.animation_level = "none"
    return app


def card(app: ProxyTuiApp, proxy_type: str):
    return next(c for c in app.dashboard.cards if c.proxy_type == proxy_type)


async def select(pilot, app: ProxyTuiApp, proxy_type: str) -> None:
    while app.dashboard.selected_card.proxy_type != proxy_type:
        await pilot.press("j")


async def sync_until_finished(pilot, app: ProxyTuiApp, proxy_type: str) -> dict:
    """Press `s` on a type and wait until its card shows a new finished job."""
    before = (card_job(app, proxy_type) or {}).get("jobId")
    await select(pilot, app, proxy_type)
    await pilot.press("s")
    return await until(
        pilot,
        lambda: (job := card_job(app, proxy_type)) and job["jobId"] != before
        and job["state"] in ("completed", "failed") and job,
        timeout=RUN_TIMEOUT,
    )


async def answer_cleanup(pilot, app: ProxyTuiApp, key: str, choice: str) -> None:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press(choice)
    await until(pilot, lambda: app.screen is app.dashboard)


def history_row(screen: HistoryScreen, job_id: str) -> dict[str, str]:
    """A run's cells as the table shows them, by column (the row key leads with its job id)."""
    rows = [row[1:] for row in screen.rows or () if row[0].startswith(f"{job_id}:")]
    assert len(rows) == 1, (job_id, screen.rows)
    return dict(zip(screen.columns or (), rows[0], strict=True))


@pytest.mark.slow
async def test_history_lists_a_completed_and_a_failed_run_and_cards_keep_their_data_after_cleanup(
    upstream,
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot["backend"]["workers"] >= 1)
        done = await sync_until_finished(pilot, app, "pangkat")
        assert done["state"] == "completed", done.get("error")
        upstream.faults.reject_token = True
        upstream.faults.types = frozenset({"skk"})
        failed = await sync_until_finished(pilot, app, "skk")
        assert failed["state"] == "failed"

        await pilot.press("H")  # the history of every type
        screen = await until(pilot, lambda: isinstance(app.screen, HistoryScreen)
                             and app.screen.rows and len(app.screen.rows) == 2 and app.screen)
        assert [r["jobId"] for r in screen.runs] == [failed["jobId"], done["jobId"]]
        ok = history_row(screen, done["jobId"])
        assert (ok["type"], ok["state"]) == ("pangkat", "✔ completed")
        assert ok["rows"] == f"{done['result']['inserted']:,}"
        bad = history_row(screen, failed["jobId"])
        assert (bad["type"], bad["state"]) == ("skk", "✖ failed")
        assert bad["error"]  # as much of it as 80 columns leave room for
        # The highlighted run in full, under the table: trigger, who, the whole error.
        run = str(screen.query_one("#history-run").render())
        assert failed["jobId"] in run and "dashboard" in run and "by tester" in run
        assert "rejected the token" in run
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.dashboard)

        # Every job record goes; the ledger still knows each type's data and last run.
        await answer_cleanup(pilot, app, "C", "a")
        await until(pilot, lambda: card_job(app, "pangkat") is None
                    and card_job(app, "skk") is None)
        assert jobs.list_jobs() == {state: [] for state in jobs.list_jobs()}
        rows = f"{done['result']['inserted']:,} rows"
        pangkat = card(app, "pangkat")
        await until(pilot, lambda: rows in pangkat.view.data)
        lines = str(pangkat.render()).splitlines()
        assert text("dash.no_job_record") in lines[1]
        assert "data " in lines[2] and " old" in lines[2] and rows in lines[2]
        skk = card(app, "skk").view.data
        assert "last run failed" in skk and "rejected the token" in skk

        await select(pilot, app, "pangkat")
        await pilot.press("h")  # pangkat's own history, from its card
        screen = await until(pilot, lambda: isinstance(app.screen, HistoryScreen)
                             and app.screen.rows and app.screen)
        assert [r["jobId"] for r in screen.runs] == [done["jobId"]]
        label = str(screen.query_one("#spark-rows-label").render())
        assert label == text("dash.history.spark_rows", type="pangkat", n=1,
                              last=f"{done['result']['inserted']:,}")


@pytest.mark.slow
async def test_remove_finished_removes_completed_and_failed_and_leaves_a_running_job(upstream):
    app = make_app()
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot["backend"]["workers"] >= 1)
        assert (await sync_until_finished(pilot, app, "pangkat"))["state"] == "completed"
        upstream.faults.reject_token = True
        upstream.faults.types = frozenset({"skk"})
        assert (await sync_until_finished(pilot, app, "skk"))["state"] == "failed"
        # pensiun's requests hang: its job stays active until the test ends.
        upstream.faults.reject_token = False
        upstream.faults.hang_seconds = RUN_TIMEOUT * 2
        upstream.script("timeout", 1000, proxy_type="pensiun")
        await select(pilot, app, "pensiun")
        await pilot.press("s")
        running = await until(pilot, lambda: card_state(app, "pensiun") == "active"
                              and card_job(app, "pensiun"), timeout=RUN_TIMEOUT)

        await answer_cleanup(pilot, app, "C", "f")  # every type: remove finished
        await until(pilot, lambda: any(n.startswith("Removed 2 job(s)") for n in notes))
        await until(pilot, lambda: card_job(app, "pangkat") is None
                    and card_job(app, "skk") is None)
        listing = jobs.list_jobs()
        assert listing["completed"] == [] and listing["failed"] == []
        assert [j["jobId"] for j in listing["active"]] == [running["jobId"]]
        polls = app.polls
        await pilot.press("r")
        await until(pilot, lambda: app.polls >= polls + 3)
        assert card_job(app, "pensiun")["jobId"] == running["jobId"]
        assert card_state(app, "pensiun") == "active"


@pytest.mark.slow
async def test_s_answers_fresh_after_a_completed_run_and_queues_again_after_a_failed_one(
    upstream,
):
    app = make_app()
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot["backend"]["workers"] >= 1)
        done = await sync_until_finished(pilot, app, "pangkat")
        assert done["state"] == "completed", done.get("error")
        await pilot.press("s")  # within the freshness window (10 min): the same job
        fresh = text("sync.last", type="pangkat", status=text("status.completed"), minutesAgo=0)
        await until(pilot, lambda: fresh in notes)
        polls = app.polls
        await until(pilot, lambda: app.polls >= polls + 3)  # a new job would show by now
        assert card_job(app, "pangkat")["jobId"] == done["jobId"]

        upstream.faults.reject_token = True
        upstream.faults.types = frozenset({"skk"})
        failed = await sync_until_finished(pilot, app, "skk")
        assert failed["state"] == "failed"
        upstream.faults.reject_token = False
        await pilot.press("s")  # after a failure: a new run, the failed one kept
        retried = await until(pilot, lambda: (job := card_job(app, "skk"))
                              and job["jobId"] != failed["jobId"] and job)
        assert any(f"a new sync is queued as job {retried['jobId']}" in n
                   and "rejected the token" in n for n in notes), notes
        await until(pilot, lambda: card_state(app, "skk") == "completed", timeout=RUN_TIMEOUT)
        runs = jobs.history("skk")["runs"]
        assert [(r["jobId"], r["state"]) for r in runs] == [
            (retried["jobId"], "completed"), (failed["jobId"], "failed")]


async def test_an_unreadable_destination_database_is_named_on_the_dashboard_and_in_history(
    job_settings,
):
    """Jobs keep working while the database does not answer; the banner and the history
    screen say which database failed and what to check, not a Redis message."""
    with socket.socket() as sock:  # a port nothing listens on: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(job_settings, database_url=f"postgresql://postgres@127.0.0.1:{port}/nowhere")
    use_backend(None)
    job_id = jobs.request_sync("pangkat", requested_by="someone")["jobId"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        banner = app.dashboard.query_one("#banner-dataset", Banner)
        await until(pilot, lambda: banner.display)
        assert card_job(app, "pangkat")["jobId"] == job_id  # the job half still works
        assert card(app, "pangkat").view.data == text("dash.data.unknown")
        await pilot.press("h")
        empty = await until(pilot, lambda: isinstance(app.screen, HistoryScreen)
                            and app.screen.query_one("#history-empty"))
        await until(pilot, lambda: f"127.0.0.1:{port}" in str(empty.render()))
        shown = str(empty.render())
        assert "PROXYTUI_DATABASE_URL" in shown and "Redis" not in shown
