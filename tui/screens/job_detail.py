"""One job: every field of job_status, live while it runs; result, error, log."""

from __future__ import annotations

import json
import time
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tasks.jobs import FINISHED_STATES
from tasks.texts import text
from tui.widgets import STATE_STYLES, SYMBOLS, bar, fmt_ago, fmt_duration, state_word

TIME_FIELDS = ("createdAt", "startedAt", "finishedAt", "heartbeatAt", "retryAt", "enqueuedAt")
FIELD_ORDER = (
    "jobId", "type", "state", "progress", "requestedBy", "forced", "attemptsMade",
    "maxAttempts", "worker", "createdAt", "enqueuedAt", "startedAt", "heartbeatAt",
    "retryAt", "finishedAt",
)
SECTIONS = ("progressInfo", "result", "error", "stackTrace", "log", "found")


def fmt_time(ms: int | None, now_ms: int | None) -> str:
    if not ms:
        return "-"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))
    ago = fmt_ago(now_ms, ms)
    return f"{stamp} ({ago})" if ago else stamp


def fmt_value(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class DetailBody(VerticalScroll):
    """The scrolling page of one job."""


class JobDetailScreen(Screen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", text("dash.action.back"), id="back",
                tooltip=text("dash.tip.back")),
        Binding("y", "copy_id", text("dash.action.copy"), id="copy",
                tooltip=text("dash.tip.copy")),
    ]

    def __init__(self, job_id: str) -> None:
        super().__init__(classes="job-detail")
        self.job_id = job_id
        self.status: dict[str, Any] | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Static(text("dash.detail.title", jobId=self.job_id), id="detail-title",
                     markup=False)
        with DetailBody(id="detail-body"):
            yield Static("", id="detail-summary")
            yield Static(text("dash.detail.fields"), classes="section-title")
            yield Static("", id="detail-fields")
            yield Static(text("dash.detail.progress"), classes="section-title",
                         id="detail-progress-title")
            yield Static("", id="detail-progress")
            yield Static(text("dash.detail.result"), classes="section-title")
            table: DataTable[str] = DataTable(id="detail-result", show_cursor=False)
            table.can_focus = False
            yield table
            yield Static(text("dash.detail.none"), id="detail-result-none")
            yield Static(text("dash.detail.error"), classes="section-title")
            yield Static("", id="detail-error", markup=False)
            yield Static(text("dash.detail.log"), classes="section-title")
            yield Static("", id="detail-log", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-result", DataTable).add_columns(
            text("dash.col.field"), text("dash.col.value")
        )
        self.query_one(DetailBody).focus()
        self.tick()

    def tick(self) -> None:
        if not self._busy:
            self._busy = True
            self._fetch()

    @work(thread=True, exit_on_error=False, group="detail")
    def _fetch(self) -> None:
        app = self.app
        try:
            status = app.source.job_status(self.job_id)
        except Exception as exc:
            from tui.app import describe_error

            app.call_from_thread(self._failed, describe_error(exc))
            return
        app.call_from_thread(self._show, status)

    def _failed(self, message: str) -> None:
        self._busy = False
        if self.status is None:
            self.query_one("#detail-summary", Static).update(Content("⚠ " + message))

    def _show(self, status: dict[str, Any]) -> None:
        self._busy = False
        if status == self.status:
            return
        self.status = status
        try:
            with self.app.batch_update():
                self._render_status(status)
        except NoMatches:
            pass  # closed while the answer was on its way

    def _render_status(self, status: dict[str, Any]) -> None:
        summary = self.query_one("#detail-summary", Static)
        if not status.get("found"):
            summary.update(Content("⚠ " + (status.get("message") or "")))
            return
        now = self.app.now_ms()
        state = status.get("state")
        style = STATE_STYLES.get(state, "")
        progress = int(status.get("progress") or 0)
        summary.update(Content.assemble(
            (f"{SYMBOLS.get(state, '?')} {state_word(state)}", style), "  ",
            (bar(progress, 30), style), f" {progress}%",
        ))
        lines = []
        keys = [k for k in FIELD_ORDER if k in status]
        keys += [k for k in status if k not in FIELD_ORDER]
        for key in keys:
            value = status[key]
            if key in SECTIONS:
                continue
            shown = fmt_time(value, now) if key in TIME_FIELDS else fmt_value(value)
            lines.append(Content.assemble((f"{key:<14}", "bold"), shown))
        self.query_one("#detail-fields", Static).update(Content("\n").join(lines))
        # A finished job keeps the last progress its run reported (its stage, counts,
        # rate): a record of how it ended, not a live reading.
        self.query_one("#detail-progress-title", Static).update(
            text("dash.detail.progress_last" if state in FINISHED_STATES
                 else "dash.detail.progress")
        )
        info = status.get("progressInfo") or {}
        info_lines = [
            Content.assemble((f"{key:<14}", "bold"), fmt_value(value))
            for key, value in info.items()
        ] or [Content(text("dash.detail.none"))]
        self.query_one("#detail-progress", Static).update(Content("\n").join(info_lines))
        table = self.query_one("#detail-result", DataTable)
        table.clear()
        result = status.get("result") or {}
        for key, value in result.items():
            shown = fmt_duration(value) if key == "durationMs" else fmt_value(value)
            table.add_row(key, shown)
        table.display = bool(result)
        self.query_one("#detail-result-none").display = not result
        error = "\n\n".join(
            part for part in (status.get("error"), status.get("stackTrace")) if part
        )
        self.query_one("#detail-error", Static).update(error or text("dash.detail.none"))
        log = status.get("log") or []
        log_text = "\n".join(
            f"{time.strftime('%H:%M:%S', time.localtime((e.get('t') or 0) / 1000))} "
            f"{(e.get('level') or 'info'):<5} {e.get('msg', '')}"
            for e in log
        )
        self.query_one("#detail-log", Static).update(log_text or text("dash.detail.none"))

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.job_id)
        self.app.notify(text("dash.notify.copied", jobId=self.job_id))
