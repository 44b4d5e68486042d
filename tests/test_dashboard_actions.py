"""Pressing keys on the dashboard drives real jobs: a real Redis, a real consumer."""

from __future__ import annotations

import pytest

from tasks import jobs
from tests.dashboard_pilot import (
    anyio_backend,  # noqa: F401 (a fixture, for pytest)
    card_job,
    card_state,
    record_notifications,
    until,
)
from tui.app import ProxyTuiApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.widgets import Banner

SIZE = (100, 30)
pytestmark = pytest.mark.anyio


def make_app(**kwargs) -> ProxyTuiApp:
    app = ProxyTuiApp(interval=0.2, requested_by="tester", watch_terminal=False, **kwargs)
    app.animation_level = "none"
    return app


async def select(pilot, app: ProxyTuiApp, proxy_type: str) -> None:
    while app.dashboard.selected_card.proxy_type != proxy_type:
        await pilot.press("j")


@pytest.mark.slow
async def test_sync_key_queues_a_job_and_reports_its_completion(job_settings, start_consumer):
    start_consumer(behaviour="ok")
    app = make_app()
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot["backend"]["workers"] >= 1)
        await pilot.press("s")
        await until(pilot, lambda: card_state(app, "pangkat") == "completed")
        job = card_job(app, "pangkat")
        assert job["requestedBy"] == "tester"
        await until(pilot, lambda: any("completed" in n for n in notes))
        assert any("queued" in n and job["jobId"] in n for n in notes)
        # A second press answers with the last run, in words.
        await pilot.press("s")
        await until(pilot, lambda: any("last" in n and "force" in n for n in notes))
        assert not any(n.lstrip().startswith("{") for n in notes)


@pytest.mark.slow
async def test_sync_while_running_says_so(job_settings, start_consumer):
    start_consumer(
        behaviour="slow",
        extra_env={"PROXYTUI_TEST_STEPS": "60", "PROXYTUI_TEST_STEP_SECONDS": "0.1"},
    )
    app = make_app()
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot)
        await pilot.press("s")
        await until(pilot, lambda: card_state(app, "pangkat") == "active")
        await until(pilot, lambda: (card_job(app, "pangkat")["progressInfo"] or {}).get("stage"))
        await pilot.press("s")
        await until(pilot, lambda: any("already" in n for n in notes))
        jobs.cleanup("pangkat")


@pytest.mark.slow
async def test_force_asks_first_and_replaces_the_job_on_yes(job_settings, start_consumer):
    start_consumer(behaviour="ok")
    first = jobs.request_sync("pangkat", requested_by="someone")["jobId"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: card_state(app, "pangkat") == "completed")
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: card_job(app, "pangkat")["jobId"] != first)
        await until(pilot, lambda: card_state(app, "pangkat") == "completed")
        assert card_job(app, "pangkat")["forced"] is True


@pytest.mark.slow
@pytest.mark.parametrize("answer", ["n", "escape", "enter"])
async def test_force_cancelled_changes_nothing(job_settings, answer):
    first = jobs.request_sync("pensiun", requested_by="someone")["jobId"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: card_job(app, "pensiun"))
        await select(pilot, app, "pensiun")
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press(answer)  # enter presses the focused button: "No"
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        polls = app.polls
        await pilot.press("r")
        await until(pilot, lambda: app.polls >= polls + 3)  # any new job would show by now
        assert card_job(app, "pensiun")["jobId"] == first
    listing = jobs.list_jobs("pensiun")
    assert [j["jobId"] for group in listing.values() for j in group] == [first]


@pytest.mark.slow
async def test_cleanup_this_type_and_all_types(job_settings):
    jobs.request_sync("pangkat", requested_by="someone")
    jobs.request_sync("skk", requested_by="someone")
    app = make_app()
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: card_job(app, "pangkat") and card_job(app, "skk"))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # keep: the safe answer
        await until(pilot, lambda: app.screen is app.dashboard)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("a")  # remove all of this type
        await until(pilot, lambda: card_job(app, "pangkat") is None)
        assert card_job(app, "skk") is not None
        assert any("Removed 1" in n for n in notes)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("a")
        await until(pilot, lambda: card_job(app, "skk") is None)
    assert not any(jobs.list_jobs().values())


@pytest.mark.slow
async def test_detail_shows_the_job_live_and_copies_its_id(job_settings, start_consumer):
    start_consumer(behaviour="ok")
    job_id = jobs.request_sync("pangkat", requested_by="someone")["jobId"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: card_job(app, "pangkat"))
        await pilot.press("enter")
        screen = await until(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen)
        assert screen.job_id == job_id
        await until(pilot, lambda: screen.status and screen.status.get("state") == "completed")
        title = str(screen.query_one("#detail-progress-title").render())
        assert title == "Progress, as last reported"  # what the run said last, not live
        fields = str(screen.query_one("#detail-fields").render())
        for name in ("jobId", "requestedBy", "attemptsMade", "finishedAt"):
            assert name in fields
        log = str(screen.query_one("#detail-log").render())
        assert "Queued by someone" in log
        await pilot.press("y")
        assert app.clipboard == job_id
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.dashboard)


@pytest.mark.slow
async def test_all_jobs_screen_filters_by_type_or_id(job_settings):
    a = jobs.request_sync("pangkat", requested_by="someone")["jobId"]
    b = jobs.request_sync("pg_profesi", requested_by="someone")["jobId"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot)
        await pilot.press("a")
        screen = await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen)
        await until(pilot, lambda: screen.rows and len(screen.rows) == 2)
        await pilot.press("slash")
        await until(pilot, lambda: app.focused and app.focused.id == "jobs-filter")
        await pilot.press(*"profesi")
        await until(pilot, lambda: [r[0] for r in screen.rows] == [b])
        await pilot.press("escape")  # clears the filter
        await until(pilot, lambda: len(screen.rows) == 2)
        await pilot.press("slash")
        await until(pilot, lambda: app.focused and app.focused.id == "jobs-filter")
        # The whole id: both jobs may carry the same millisecond, so its tail can match both.
        await pilot.press(*a, "enter")
        try:
            await until(pilot, lambda: [r[0] for r in screen.rows] == [a])
        except AssertionError:
            raise AssertionError((a, b, screen.filter_text, screen.rows, app.focused)) from None
        await pilot.press("enter")  # opens the selected job
        detail = await until(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen)
        assert detail.job_id == a


@pytest.mark.slow
async def test_read_only_refuses_every_action_that_changes_jobs(job_settings):
    existing = jobs.request_sync("pangkat", requested_by="someone")["jobId"]
    app = make_app(read_only=True)
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: card_job(app, "pangkat"))
        await pilot.press("s", "f", "c", "C")
        # Each key is refused in words, none silently, and no dialog opens.
        await until(pilot, lambda: sum("read-only" in n for n in notes) == 4)
        assert app.screen is app.dashboard
        assert not app.dashboard.query("#btn-sync, #btn-force, #btn-cleanup, #btn-cleanup_all")
        footer_keys = {b.binding.key for b in app.screen.active_bindings.values()
                       if b.binding.show
                       and app.screen.check_action(b.binding.action, ()) is not False}
        assert not {"s", "f", "c", "C"} & footer_keys
        cards = " ".join(str(card.render()) for card in app.dashboard.cards)
        assert "press s" not in cards
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Sync" not in titles and "Force" not in titles
        # Called directly (as a palette command or button would), it is refused in words.
        app.dashboard.action_sync()
        app.dashboard.action_cleanup_all()
        assert sum("read-only" in n for n in notes) == 6
        await pilot.press("enter")  # looking is fine
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
    listing = jobs.list_jobs()
    assert [j["jobId"] for group in listing.values() for j in group] == [existing]


async def test_no_worker_banner_while_a_job_waits(job_settings):
    jobs.request_sync("skk", requested_by="someone")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        banner = app.dashboard.query_one("#banner-noworker", Banner)
        await until(pilot, lambda: banner.display)
        assert "huey_consumer huey_config.huey" in str(banner.render())
        assert not app.dashboard.query_one("#banner-unreachable", Banner).display
