"""Every job, grouped by state (a debug view); `/` filters by type or id text."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tasks.texts import text
from tui.widgets import SYMBOLS, fmt_duration, state_word

COLUMNS = ("state", "type", "job", "progress", "age", "by")


class JobsScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", text("dash.action.back"), id="jobs_back",
                tooltip=text("dash.tip.back")),
        Binding("slash", "filter", text("dash.action.filter"), id="jobs_filter",
                tooltip=text("dash.tip.filter"), key_display="/"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="jobs")
        self.listing: dict[str, Any] | None = None
        self.filter_text = ""
        self._rows: list[tuple[str, ...]] | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Static(text("dash.jobs.title"), id="jobs-title")
        filter_input = Input(placeholder=text("dash.jobs.filter"), id="jobs-filter")
        filter_input.display = False
        yield filter_input
        table: DataTable[str] = DataTable(id="jobs-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(text("dash.jobs.empty"), id="jobs-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(text(f"dash.col.{column}"), key=column)
        table.focus()
        self.tick()

    def tick(self) -> None:
        if not self._busy:
            self._busy = True
            self._fetch()

    @work(thread=True, exit_on_error=False, group="jobs")
    def _fetch(self) -> None:
        app = self.app
        try:
            listing = app.source.list_jobs()
        except Exception as exc:
            from tui.app import describe_error

            app.call_from_thread(self._failed, describe_error(exc))
            return
        app.call_from_thread(self._show, listing)

    def _failed(self, message: str) -> None:
        self._busy = False
        self.app.notify(message, severity="error")

    def _show(self, listing: dict[str, Any]) -> None:
        self._busy = False
        self.listing = listing
        with suppress(NoMatches):  # closed while the answer was on its way
            self._redraw()

    def _matches(self, job: dict[str, Any]) -> bool:
        needle = self.filter_text.strip().lower()
        return not needle or needle in job["type"].lower() or needle in job["jobId"].lower()

    def _redraw(self) -> None:
        if self.listing is None:
            return
        now = self.app.now_ms()
        rows = []
        for state, group in self.listing.items():
            for job in group:
                if not self._matches(job):
                    continue
                age = fmt_duration(now - job["createdAt"]) if job.get("createdAt") else "-"
                rows.append((
                    job["jobId"],
                    f"{SYMBOLS.get(state, '?')} {state_word(state)}",
                    job["type"],
                    job["jobId"],
                    f"{int(job.get('progress') or 0):>3}%",
                    age,
                    job.get("requestedBy") or "-",
                ))
        if rows == self._rows:
            return
        table = self.query_one(DataTable)
        with self.app.batch_update():
            if self._rows is not None and [r[0] for r in rows] == [r[0] for r in self._rows]:
                for new, old in zip(rows, self._rows, strict=True):
                    for column, value, before in zip(COLUMNS, new[1:], old[1:], strict=True):
                        if value != before:
                            table.update_cell(new[0], column, value)
            else:
                cursor_key = None
                if table.row_count and self._rows:
                    cursor_key = self._rows[min(table.cursor_row, len(self._rows) - 1)][0]
                table.clear()
                for row in rows:
                    table.add_row(*row[1:], key=row[0])
                keys = [r[0] for r in rows]
                if cursor_key in keys:
                    table.move_cursor(row=keys.index(cursor_key), animate=False)
            self._rows = rows
            self.query_one("#jobs-empty").display = not rows

    def action_filter(self) -> None:
        box = self.query_one("#jobs-filter", Input)
        box.display = True
        box.focus()

    def action_back(self) -> None:
        box = self.query_one("#jobs-filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.query_one(DataTable).focus()
        else:
            self.app.pop_screen()

    @on(Input.Changed, "#jobs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._redraw()

    @on(Input.Submitted, "#jobs-filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected, "#jobs-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        from tui.screens.job_detail import JobDetailScreen

        if event.row_key.value:
            self.app.push_screen(JobDetailScreen(event.row_key.value))
