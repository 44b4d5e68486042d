"""Dashboard behaviour that needs no backend: fed by a FixedSource."""

from __future__ import annotations

import copy

import pytest

from tasks.errors import BackendUnavailable
from tests.dashboard_pilot import (
    anyio_backend,  # noqa: F401 (a fixture, for pytest)
    record_notifications,
    until,
)
from tests.test_dashboard_snapshots import (
    ACTIVE,
    BUSY,
    COMPLETED,
    FAILED,
    NOW,
    fixed_environment,  # noqa: F401 (autouse: UTC, en)
    overview,
)
from tui.app import ANSI_THEME, ProxyTuiApp
from tui.format import next_run_text
from tui.source import FixedSource

pytestmark = pytest.mark.anyio


class CountingSource(FixedSource):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.polls = 0

    def overview(self):
        self.polls += 1
        return super().overview()


class DeadSource(FixedSource):
    def request_sync(self, proxy_type, force, requested_by):
        raise BackendUnavailable("redis://127.0.0.1:1/0", "Connection refused")


def count_ticks(app: ProxyTuiApp) -> list[bool]:
    """Every tick of the app's poll timer (paused ticks included)."""
    ticks: list[bool] = []
    original = app.poll

    def poll(force: bool = False) -> None:
        ticks.append(force)
        original(force)

    app.poll = poll  # type: ignore[method-assign]
    return ticks


def make_app(source: FixedSource, **kwargs) -> ProxyTuiApp:
    app = ProxyTuiApp(source=source, interval=0.1, watch_terminal=False, **kwargs)
    app.animation_level = "none"
    return app


@pytest.mark.slow
async def test_pause_stops_polling_and_resume_restarts_it():
    source = CountingSource(overview(BUSY))
    app = make_app(source)
    ticks = count_ticks(app)
    async with app.run_test() as pilot:
        await until(pilot, lambda: source.polls >= 2)
        await pilot.press("p")
        assert "PAUSED" in str(app.dashboard.query_one("#header-bar").render())
        await until(pilot, lambda: not app.call_out("overview"))  # a poll already out lands
        frozen = source.polls
        start = len(ticks)
        await until(pilot, lambda: len(ticks) >= start + 5)  # five ticks of the poll timer
        assert source.polls == frozen
        await pilot.press("r")  # refresh works while paused
        await until(pilot, lambda: source.polls == frozen + 1)
        await pilot.press("p")
        await until(pilot, lambda: source.polls >= frozen + 3)


@pytest.mark.slow
async def test_a_finished_job_is_announced_once_with_its_counts_or_error():
    running = overview({"pangkat": {**COMPLETED, "state": "active", "finishedAt": None},
                        "pensiun": ACTIVE})
    source = FixedSource(running)
    app = make_app(source)
    notes = record_notifications(app)
    async with app.run_test() as pilot:
        await until(pilot, lambda: app.polls >= 2)
        failed = {**ACTIVE, "state": "failed", "finishedAt": NOW, "error": FAILED["error"]}
        source._overview = overview({"pangkat": COMPLETED, "pensiun": failed})
        await until(pilot, lambda: len(notes) >= 2)
        polls = app.polls
        await until(pilot, lambda: app.polls >= polls + 5)  # later polls announce nothing
    assert len(notes) == 2
    assert "Rank promotion completed: 23,178 rows in 1m12s (12 duplicates removed)" in notes[0]
    assert "TokenRejected" in notes[1]


async def test_backend_errors_in_actions_become_sentences():
    app = make_app(DeadSource(overview(BUSY)))
    notes = record_notifications(app)
    async with app.run_test() as pilot:
        await until(pilot, lambda: app.snapshot)
        await pilot.press("s")
        await until(pilot, lambda: notes)
    assert notes[0].startswith("Cannot reach Redis at redis://127.0.0.1:1/0")


async def test_palette_offers_every_action_and_theme_key_uses_terminal_colours():
    app = make_app(FixedSource(overview(BUSY)))
    async with app.run_test() as pilot:
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Sync", "Force", "Cleanup", "Cleanup all", "Detail", "History", "All jobs",
                "Workers", "Refresh", "Pause", "Help", "Colours"} <= titles
        before = app.theme
        await pilot.press("t")
        assert app.theme == ANSI_THEME
        await pilot.press("t")
        assert app.theme == before


@pytest.mark.slow
async def test_keys_and_clicks_move_the_selection():
    app = make_app(FixedSource(overview(BUSY)))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.snapshot)
        await pilot.press("down", "j", "up", "k", "k")
        assert app.dashboard.selected == 4  # wraps around
        await pilot.click("#card-pensiun")
        assert app.dashboard.selected == 1


@pytest.mark.slow
async def test_unchanged_polls_repaint_nothing():
    source = FixedSource(overview(BUSY))
    app = make_app(source)
    async with app.run_test() as pilot:
        await until(pilot, lambda: app.polls >= 2)
        views = [copy.copy(card.view) for card in app.dashboard.cards]
        refreshed = []
        for card in app.dashboard.cards:
            card.refresh = lambda *a, _c=card, **k: refreshed.append(_c.proxy_type)
        await until(pilot, lambda: app.polls >= 6)
        assert refreshed == []
        assert views == [card.view for card in app.dashboard.cards]


@pytest.mark.slow
async def test_remove_finished_asks_and_removes_only_completed_and_failed():
    source = FixedSource(overview(BUSY))
    app = make_app(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.snapshot)
        await pilot.press("c")
        await until(pilot, lambda: app.screen is not app.dashboard)
        await pilot.press("f")  # "Remove finished"
        await until(pilot, lambda: ("cleanup", ("pangkat", ("completed", "failed")))
                    in source.calls)
        await pilot.press("C")
        await until(pilot, lambda: app.screen is not app.dashboard)
        await pilot.press("a")  # "Remove all", every type
        await until(pilot, lambda: ("cleanup", (None, None)) in source.calls)


async def test_expected_totals_only_grow_and_progress_reaches_100_only_when_completed():
    def fetching(current: int, expected: int | None, progress: int) -> dict:
        info = {**ACTIVE["progressInfo"], "stage": "fetching", "currentTotal": current,
                "expectedTotal": expected}
        return overview({"pensiun": {**ACTIVE, "progress": progress, "progressInfo": info}})

    source = FixedSource(fetching(5_924, 23_190, 100))
    app = make_app(source)
    card = lambda: app.dashboard.cards[1]  # noqa: E731 - pensiun
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: card().view and "23,190" in card().view.detail)
        assert card().view.progress == 99  # a worker's 100 is not "done" until completed
        assert card().view.detail.startswith("fetching 5,924 / 23,190 · 350 rows/s · ETA")
        source._overview = fetching(6_100, 22_608, 40)
        await until(pilot, lambda: "6,100" in card().view.detail)
        assert "/ 23,190" in card().view.detail  # the total did not move back
        source._overview = fetching(7_000, None, 41)
        await until(pilot, lambda: "7,000" in card().view.detail)
        assert card().view.progress is None  # no total known: an indeterminate bar


@pytest.mark.slow
async def test_history_screen_shows_runs_newest_first_and_sparklines_of_the_type():
    from tests.test_dashboard_snapshots import ledger
    from tui.screens.history import HistoryScreen

    app = make_app(FixedSource(overview(BUSY), runs=ledger()))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot)
        await pilot.press("h")
        screen = await until(pilot, lambda: isinstance(app.screen, HistoryScreen)
                             and app.screen.rows and app.screen)
        finished = [r["finishedAt"] for r in screen.runs]
        assert finished == sorted(finished, reverse=True)
        assert {r["type"] for r in screen.runs} == {"pangkat"}
        rows = screen.query_one("#spark-rows").data
        assert len(rows) == 30 and rows[-1] == 23_190  # newest last
        await pilot.press("a")  # every type
        await until(pilot, lambda: screen.runs and len({r["type"] for r in screen.runs}) == 4)


@pytest.mark.parametrize("width", [100, 120])
async def test_dense_rows_from_100_columns_keep_the_next_run_beside_a_long_error(width):
    failed = copy.deepcopy(FAILED)
    failed["error"] = "TokenRejected: " + "SIASN rejected the token, " * 10
    source = FixedSource(overview({**BUSY, "pg_akademik": failed}))
    source._overview["types"][2]["nextRunAt"] = NOW + 3 * 3600_000
    app = make_app(source)
    async with app.run_test(size=(width, 30)) as pilot:
        await until(pilot, lambda: app.dashboard.cards[2].view is not None)
        lines = {card.proxy_type: str(card.render()) for card in app.dashboard.cards}
        assert all("\n" not in line for line in lines.values())  # one row per type
        akademik = lines["pg_akademik"]
        assert akademik.startswith("✖ pg_akademik")
        # The error gives way (cut, or gone when the row is narrow); the next run stays.
        upcoming = next_run_text(NOW + 3 * 3600_000, NOW, short=True)  # "next 18:06" in UTC
        assert akademik.rstrip().endswith(f" {upcoming}") and len(akademik) <= width - 2
        if width >= 120:
            assert "2 h ago · TokenRe" in akademik
