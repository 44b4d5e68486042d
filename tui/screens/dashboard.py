"""The main screen: one row per proxy type, and the actions on the selected one."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Button, Footer

from tasks.catalog import CATALOG, PROXY_TYPES
from tasks.texts import text
from tui.widgets import Banner, HeaderBar, TypeCard

CHANGES_STATE = ("sync", "force", "cleanup", "cleanup_all")


class CardList(VerticalScroll, can_focus=False):
    """The five type cards; the screen moves the selection."""


class DashboardScreen(Screen):
    BINDINGS = [
        Binding("s", "sync", text("dash.action.sync"), id="sync",
                tooltip=text("dash.tip.sync")),
        Binding("f", "force", text("dash.action.force"), id="force",
                tooltip=text("dash.tip.force")),
        Binding("c", "cleanup", text("dash.action.cleanup"), id="cleanup", show=False,
                tooltip=text("dash.tip.cleanup")),
        Binding("C", "cleanup_all", text("dash.action.cleanup_all"), id="cleanup_all",
                show=False, tooltip=text("dash.tip.cleanup_all")),
        Binding("enter", "detail", text("dash.action.detail"), id="detail",
                tooltip=text("dash.tip.detail")),
        Binding("a", "jobs", text("dash.action.jobs"), id="jobs",
                tooltip=text("dash.tip.jobs")),
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

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        yield Banner("banner-unreachable")
        yield Banner("banner-noworker")
        with CardList(id="cards"):
            yield from self.cards
        with Horizontal(id="actions"):
            buttons = [
                ("sync", "s"), ("force", "f"), ("cleanup", "c"), ("cleanup_all", "C"),
                ("detail", "⏎"), ("jobs", "a"),
            ]
            for name, key in buttons:
                if name in CHANGES_STATE and self.app.read_only:
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
        self.query_one(HeaderBar).show(None, self.app.paused, self.app.read_only)
        self.ready = True
        if self.app.snapshot is not None:
            self.show(self.app.snapshot, self.app.now_ms())

    # -- data -----------------------------------------------------------------------

    def show(self, snapshot: dict[str, Any], now_ms: int | None) -> None:
        """Apply one overview snapshot; widgets repaint only what changed."""
        if not self.ready:
            return  # on_mount applies the latest snapshot
        with suppress(NoMatches):  # the app is shutting down and the widgets are already gone
            self._apply(snapshot, now_ms)

    def _apply(self, snapshot: dict[str, Any], now_ms: int | None) -> None:
        backend = snapshot["backend"]
        rows = {row["type"]: row for row in snapshot["types"]}
        with self.app.batch_update():
            self.query_one(HeaderBar).show(backend, self.app.paused, self.app.read_only)
            unreachable = ""
            if not backend["reachable"]:
                unreachable = text(
                    "dash.banner.unreachable", reason=self._reason(backend),
                    interval=f"{self.app.interval:g}",
                )
            self.query_one("#banner-unreachable", Banner).say(unreachable)
            self.query_one("#banner-noworker", Banner).say(
                text("worker.none") if backend.get("noWorker") else ""
            )
            for card in self.cards:
                row = rows.get(card.proxy_type)
                if row is not None or not snapshot["types"]:
                    card.set_row(row["job"] if row else None, now_ms, known=row is not None)

    @staticmethod
    def _reason(backend: dict[str, Any]) -> str:
        key = "backend.sqlite_unreachable" if backend.get("kind") == "sqlite" else (
            "backend.unreachable"
        )
        error = backend.get("error") or "?"
        if error.startswith(("Cannot reach", "Cannot open", "Redis di", "Antrean")):
            return error
        return text(key, url=backend.get("url") or "?", reason=error)

    @property
    def selected_card(self) -> TypeCard:
        return self.cards[self.selected]

    def _mark_selected(self) -> None:
        for index, card in enumerate(self.cards):
            card.set_class(index == self.selected, "-selected")
        self.selected_card.scroll_visible(animate=False)

    # -- actions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in CHANGES_STATE and self.app.read_only)

    def _refuse_read_only(self) -> bool:
        if self.app.read_only:
            self.app.notify(text("dash.notify.read_only"), severity="warning")
            return True
        return False

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
        if not self._refuse_read_only():
            self._request_sync(self.selected_card.proxy_type, False)

    def action_force(self) -> None:
        if self._refuse_read_only():
            return
        card = self.selected_card
        self._confirm(
            text("dash.confirm.force", type=card.title),
            lambda: self._request_sync(card.proxy_type, True),
        )

    def action_cleanup(self) -> None:
        if self._refuse_read_only():
            return
        card = self.selected_card
        self._confirm(
            text("dash.confirm.cleanup", type=card.title),
            lambda: self._cleanup(card.proxy_type),
        )

    def action_cleanup_all(self) -> None:
        if self._refuse_read_only():
            return
        self._confirm(text("dash.confirm.cleanup_all"), lambda: self._cleanup(None))

    def action_detail(self) -> None:
        from tui.screens.job_detail import JobDetailScreen

        card = self.selected_card
        if card.job is None:
            self.app.notify(text("dash.notify.no_job", type=card.title))
            return
        self.app.push_screen(JobDetailScreen(card.job["jobId"]))

    def action_jobs(self) -> None:
        from tui.screens.jobs import JobsScreen

        self.app.push_screen(JobsScreen())

    def _confirm(self, question: str, then: Any) -> None:
        from tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(question), answered)

    # -- blocking calls, in threads ---------------------------------------------------

    @work(thread=True, exit_on_error=False, group="action")
    def _request_sync(self, proxy_type: str, force: bool) -> None:
        app = self.app
        try:
            answer = app.source.request_sync(proxy_type, force, app.requested_by)
        except Exception as exc:
            self._tell(exc)
            return
        severity = "information" if answer.get("status") == "queued" else "warning"
        app.call_from_thread(app.notify, answer["message"], severity=severity)
        app.call_from_thread(app.poll, True)

    @work(thread=True, exit_on_error=False, group="action")
    def _cleanup(self, proxy_type: str | None) -> None:
        app = self.app
        try:
            answer = app.source.cleanup(proxy_type)
        except Exception as exc:
            self._tell(exc)
            return
        app.call_from_thread(app.notify, answer["message"])
        app.call_from_thread(app.poll, True)

    def _tell(self, exc: BaseException) -> None:
        from tui.app import describe_error

        self.app.call_from_thread(
            self.app.notify, describe_error(exc), severity="error", timeout=10
        )
