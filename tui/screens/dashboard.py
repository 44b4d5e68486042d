"""The main screen: one card per proxy type (one dense row each at 100+ columns), and the
actions on the selected one."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from tasks.catalog import CATALOG, PROXY_TYPES
from tasks.texts import text
from tui.error_text import backend_problem, database_problem
from tui.host import host
from tui.reading import ThreadCalls
from tui.screens.confirm import Choice, ConfirmScreen, yes_no
from tui.screens.history import HistoryScreen
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.screens.workers import WorkersScreen
from tui.widgets import (
    DENSE_MIN_WIDTH,
    Banner,
    DenseHeading,
    HeaderBar,
    TypeCard,
    UpdatedClock,
)

CHANGES_STATE = ("sync", "force", "cleanup", "cleanup_all")
FINISHED_STATES = ("completed", "failed")
BUTTONS = (("sync", "s"), ("force", "f"), ("cleanup", "c"), ("detail", "⏎"), ("history", "h"),
           ("jobs", "a"), ("workers", "w"))


class CardList(VerticalScroll, can_focus=False):
    """The five type cards; the screen moves the selection."""


class DashboardScreen(ThreadCalls, Screen):
    BINDINGS = [
        Binding("s", "sync", text("dash.action.sync"), id="sync",
                tooltip=text("dash.tip.sync")),
        Binding("f", "force", text("dash.action.force"), id="force",
                tooltip=text("dash.tip.force")),
        Binding("c", "cleanup", text("dash.action.cleanup"), id="cleanup", show=False,
                tooltip=text("dash.tip.cleanup")),
        Binding("C", "cleanup_all", text("dash.action.cleanup_all"), id="cleanup_all",
                show=False, tooltip=text("dash.tip.cleanup_all")),
        # In read-only mode the keys above are off; this one says why instead of nothing.
        Binding("s,f,c,C", "read_only", show=False, id="read_only_refusal"),
        Binding("enter", "detail", text("dash.action.detail"), id="detail",
                tooltip=text("dash.tip.detail")),
        Binding("h", "history", text("dash.action.history"), id="history", show=False,
                tooltip=text("dash.tip.history")),
        Binding("H", "history_all", text("dash.action.history_all"), id="history_all",
                show=False, tooltip=text("dash.tip.history_all")),
        Binding("a", "jobs", text("dash.action.jobs"), id="jobs", show=False,
                tooltip=text("dash.tip.jobs")),
        Binding("w", "workers", text("dash.action.workers"), id="workers", show=False,
                tooltip=text("dash.tip.workers")),
        Binding("up,k", "move(-1)", text("dash.action.up"), id="up", show=False,
                tooltip=text("dash.tip.move")),
        Binding("down,j", "move(1)", text("dash.action.down"), id="down", show=False,
                tooltip=text("dash.tip.move")),
    ]

    def __init__(self) -> None:
        super().__init__(id="dashboard")
        self.selected = 0
        self.ready = False
        self.cards = [TypeCard(name, CATALOG[name].title) for name in PROXY_TYPES]
        self._detail_shown: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield HeaderBar()
            yield UpdatedClock()
        yield Banner("banner-unreachable")
        yield Banner("banner-dataset")
        yield Banner("banner-noworker")
        yield DenseHeading(id="dense-heading")
        with CardList(id="cards"):
            yield from self.cards
        yield Static("", id="selected-detail")
        with Horizontal(id="actions"):
            for name, key in BUTTONS:
                if name in CHANGES_STATE and host(self).read_only:
                    continue
                button = Button(
                    f"{key} {text(f'dash.action.{name}')}", id=f"btn-{name}", compact=True
                )
                button.can_focus = False
                button.tooltip = text(f"dash.tip.{name}")
                yield button
        yield Footer()

    def on_mount(self) -> None:
        self._mark_selected()
        self.show_header()
        self.ready = True
        app = host(self)
        if app.snapshot is not None:
            self.show(app.snapshot, app.now_ms())

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= DENSE_MIN_WIDTH, "-dense")
        for card in self.cards:
            card.set_class(event.size.width >= DENSE_MIN_WIDTH, "-dense")
        self._show_selected_detail()

    # -- data -----------------------------------------------------------------------

    def show(self, snapshot: dict[str, Any], now_ms: int | None) -> None:
        """Apply one overview snapshot; widgets repaint only what changed."""
        if not self.ready:
            return  # on_mount applies the latest snapshot
        with suppress(NoMatches):  # the app is shutting down and the widgets are already gone
            self._apply(snapshot, now_ms)

    def show_header(self) -> None:
        app = host(self)
        backend = app.snapshot["backend"] if app.snapshot else None
        with suppress(NoMatches):
            self.query_one(HeaderBar).show(backend, app.paused, app.read_only)
            self.show_clock()

    def show_clock(self) -> None:
        app = host(self)
        with suppress(NoMatches):
            self.query_one(UpdatedClock).show(
                app.read_at, app.source.clock_ms() if app.snapshot else None,
                app.refreshing, stale_after_ms=max(3 * app.interval, 10) * 1000,
                precise=False,
            )

    def _apply(self, snapshot: dict[str, Any], now_ms: int | None) -> None:
        app = host(self)
        backend = snapshot["backend"]
        database = snapshot.get("database")
        data_known = not database_problem(database)
        rows = {row["type"]: row for row in snapshot["types"]}
        with self.app.batch_update():
            self.show_header()
            unreachable = backend_problem(backend)
            if unreachable:
                unreachable = text("dash.banner.unreachable", reason=unreachable,
                                   interval=f"{app.interval:g}")
            self.query_one("#banner-unreachable", Banner).say(unreachable)
            reason = database_problem(database)
            self.query_one("#banner-dataset", Banner).say(
                text("dataset.unknown", reason=reason) if reason else "")
            self.query_one("#banner-noworker", Banner).say(
                text("worker.none") if backend.get("noWorker") else ""
            )
            for card in self.cards:
                row = rows.get(card.proxy_type)
                if row is not None or not snapshot["types"]:
                    job = (row or {}).get("job")
                    card.set_row(
                        row, now_ms, known=row is not None, data_known=data_known,
                        read_only=app.read_only,
                        expected=app.expected.get(job["jobId"]) if job else None,
                    )
            self._show_selected_detail()

    def _show_selected_detail(self) -> None:
        """The selected type's words under the dense rows; repainted only on a change."""
        card = self.selected_card
        shown = (card.proxy_type, card.view)
        if shown == self._detail_shown:
            return
        with suppress(NoMatches):
            self.query_one("#selected-detail", Static).update(card.detail_lines())
            self._detail_shown = shown

    @property
    def selected_card(self) -> TypeCard:
        return self.cards[self.selected]

    def _mark_selected(self) -> None:
        for index, card in enumerate(self.cards):
            card.set_class(index == self.selected, "-selected")
        self.selected_card.scroll_visible(animate=False)
        self._show_selected_detail()

    # -- actions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        read_only = host(self).read_only
        if action == "read_only":
            return read_only
        return not (action in CHANGES_STATE and read_only)

    def action_read_only(self) -> None:
        host(self).refuse_read_only()

    def action_move(self, step: int) -> None:
        self.selected = (self.selected + step) % len(self.cards)
        self._mark_selected()

    @on(TypeCard.Selected)
    def _card_clicked(self, event: TypeCard.Selected) -> None:
        self.selected = self.cards.index(event.card)
        self._mark_selected()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        name = (event.button.id or "").removeprefix("btn-")
        getattr(self, f"action_{name}")()

    def action_sync(self) -> None:
        if not host(self).refuse_read_only():
            self._request_sync(self.selected_card.proxy_type, False)

    def action_force(self) -> None:
        if host(self).refuse_read_only():
            return
        card = self.selected_card
        self._ask(text("dash.confirm.force", type=card.title), yes_no(),
                  {"yes": lambda: self._request_sync(card.proxy_type, True)})

    def action_cleanup(self) -> None:
        if host(self).refuse_read_only():
            return
        card = self.selected_card
        self._ask(
            text("dash.confirm.cleanup", type=card.title),
            [Choice("n", text("dash.choice.keep"), "keep", "primary"),
             Choice("f", text("dash.choice.finished"), "finished", "warning"),
             Choice("a", text("dash.choice.all"), "all", "error")],
            {"finished": lambda: self._cleanup(card.proxy_type, FINISHED_STATES),
             "all": lambda: self._cleanup(card.proxy_type, None)},
        )

    def action_cleanup_all(self) -> None:
        if host(self).refuse_read_only():
            return
        self._ask(
            text("dash.confirm.cleanup_all"),
            [Choice("n", text("dash.choice.keep"), "keep", "primary"),
             Choice("f", text("dash.choice.finished"), "finished", "warning"),
             Choice("a", text("dash.choice.all"), "all", "error")],
            {"finished": lambda: self._cleanup(None, FINISHED_STATES),
             "all": lambda: self._cleanup(None, None)},
        )

    def action_detail(self) -> None:
        card = self.selected_card
        if card.job is None:
            self.app.notify(text("dash.notify.no_job", type=card.title))
            return
        self.app.push_screen(JobDetailScreen(card.job["jobId"]))

    def action_history(self) -> None:
        self.app.push_screen(HistoryScreen(self.selected_card.proxy_type))

    def action_history_all(self) -> None:
        self.app.push_screen(HistoryScreen(None))

    def action_jobs(self) -> None:
        self.app.push_screen(JobsScreen())

    def action_workers(self) -> None:
        self.app.push_screen(WorkersScreen())

    def _ask(self, question: str, choices: list[Choice], then: dict[str, Any]) -> None:
        def answered(value: str | None) -> None:
            if value in then:
                then[value]()

        self.app.push_screen(ConfirmScreen(question, choices), answered)

    # -- blocking calls, in threads ---------------------------------------------------

    def _request_sync(self, proxy_type: str, force: bool) -> None:
        app = host(self)
        self.call_in_thread(
            f"sync:{proxy_type}",
            lambda: app.source.request_sync(proxy_type, force, app.requested_by),
            self._answered,
        )

    def _cleanup(self, proxy_type: str | None, states: tuple[str, ...] | None) -> None:
        source = host(self).source
        self.call_in_thread(f"cleanup:{proxy_type}",
                            lambda: source.cleanup(proxy_type, states=states), self._answered)

    def _answered(self, answer: dict[str, Any] | None, error: BaseException | None) -> None:
        app = host(self)
        if error is not None or answer is None:
            app.notify_error(error or RuntimeError("?"))
            return
        if answer.get("status") == "running":
            self.app.notify(answer["message"], severity="warning")
        else:
            self.app.notify(answer["message"])
        app.poll(True)
