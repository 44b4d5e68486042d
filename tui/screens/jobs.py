"""Every job in the store, one row each: `/` filters on every column, capital letters sort
by a column (again: reversed), as in k9s."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tasks.texts import text
from tui.format import SYMBOLS, fmt_span, shown_progress, state_word
from tui.host import host
from tui.reading import ThreadCalls
from tui.screens.job_detail import JobDetailScreen

# column -> sort key letter
COLUMNS = (("state", "S"), ("type", "T"), ("job", "I"), ("progress", "P"), ("age", "A"),
           ("by", "B"))
STATE_ORDER = ("active", "stalled", "waiting", "delayed", "failed", "completed")
WIDE = 100


def job_cells(job: dict[str, Any], now_ms: int, wide: bool) -> tuple[str, ...]:
    state = job["state"]
    job_id = job["jobId"] if wide else job["jobId"].rsplit("-", 1)[-1]
    age = fmt_span(now_ms - job["createdAt"]) if job.get("createdAt") else "-"
    return (f"{SYMBOLS.get(state, '?')} {state_word(state)}", job["type"], job_id,
            f"{shown_progress(job):>3}%", age, job.get("requestedBy") or "-")


def sort_value(job: dict[str, Any], column: str) -> Any:
    if column == "state":
        state = job["state"]
        return STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)
    if column == "type":
        return job["type"]
    if column == "job":
        return job["jobId"]
    if column == "progress":
        return shown_progress(job)
    if column == "age":
        return -(job.get("createdAt") or 0)
    return (job.get("requestedBy") or "").lower()


class JobsScreen(ThreadCalls, Screen):
    BINDINGS = [
        Binding("escape", "back", text("dash.action.back"), id="jobs_back",
                tooltip=text("dash.tip.back")),
        Binding("slash", "filter", text("dash.action.filter"), id="jobs_filter",
                tooltip=text("dash.tip.filter"), key_display="/"),
        *[
            Binding(letter, f"sort('{column}')", text("dash.action.sort_by",
                    column=text(f"dash.col.{column}")), id=f"jobs_sort_{column}", show=False,
                    tooltip=text("dash.tip.sort", column=text(f"dash.col.{column}")))
            for column, letter in COLUMNS
        ],
    ]

    def __init__(self) -> None:
        super().__init__(classes="jobs")
        self.listing: dict[str, Any] | None = None
        self.filter_text = ""
        self.sort_column = "state"
        self.sort_reverse = False
        self.wide = False
        self.rows: list[tuple[str, ...]] | None = None

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
        self.wide = self.app.size.width >= WIDE
        self._add_columns()
        self.query_one(DataTable).focus()
        self.tick()

    def _add_columns(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for column, _ in COLUMNS:
            mark = ""
            if column == self.sort_column:
                mark = " ▼" if self.sort_reverse else " ▲"
            table.add_column(f"{text(f'dash.col.{column}')}{mark}", key=column)
        self.rows = None

    def on_resize(self, event: events.Resize) -> None:
        wide = event.size.width >= WIDE
        if wide != self.wide:
            self.wide = wide
            self._add_columns()
            self._redraw()

    def tick(self) -> None:
        source = host(self).source
        self.call_in_thread("jobs", source.list_jobs, self._read)

    def _read(self, listing: dict[str, Any] | None, error: BaseException | None) -> None:
        if error is not None or listing is None:
            host(self).notify_error(error or RuntimeError("?"))
            return
        self.listing = listing
        with suppress(NoMatches):  # closed while the answer was on its way
            self._redraw()

    def matches(self, job: dict[str, Any], cells: tuple[str, ...]) -> bool:
        """Every word of the filter appears in some column (shown or raw)."""
        haystack = " ".join((*cells, job["state"], job["jobId"])).lower()
        return all(word in haystack for word in self.filter_text.lower().split())

    def _redraw(self) -> None:
        if self.listing is None:
            return
        now = host(self).now_ms()
        jobs = [job for group in self.listing.values() for job in group]
        jobs.sort(key=lambda j: sort_value(j, self.sort_column), reverse=self.sort_reverse)
        rows = []
        for job in jobs:
            cells = job_cells(job, now, self.wide)
            if self.matches(job, cells):
                rows.append((job["jobId"], *cells))
        if rows == self.rows:
            return
        table = self.query_one(DataTable)
        with self.app.batch_update():
            if self.rows is not None and [r[0] for r in rows] == [r[0] for r in self.rows]:
                for new, old in zip(rows, self.rows, strict=True):
                    for (column, _), value, before in zip(COLUMNS, new[1:], old[1:],
                                                          strict=True):
                        if value != before:
                            table.update_cell(new[0], column, value)
            else:
                cursor_key = None
                if table.row_count and self.rows:
                    cursor_key = self.rows[min(table.cursor_row, len(self.rows) - 1)][0]
                table.clear()
                for row in rows:
                    table.add_row(*row[1:], key=row[0])
                keys = [r[0] for r in rows]
                if cursor_key in keys:
                    table.move_cursor(row=keys.index(cursor_key), animate=False)
            self.rows = rows
            self.query_one("#jobs-empty").display = not rows

    def action_sort(self, column: str) -> None:
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self._add_columns()
        self._redraw()

    @on(DataTable.HeaderSelected, "#jobs-table")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        if event.column_key.value:
            self.action_sort(event.column_key.value)

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
        if event.row_key.value:
            self.app.push_screen(JobDetailScreen(event.row_key.value))
