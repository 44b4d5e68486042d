"""The run ledger of one type (or of all): every finished run, newest first, and sparklines
of rows and duration over the last 30 runs of the selected type."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Sparkline, Static

from tasks.texts import text
from tui.error_text import describe_error
from tui.format import SYMBOLS, first_line, fmt_duration, fmt_int, fmt_when, state_word
from tui.host import host
from tui.reading import ThreadCalls

COLUMNS = ("when", "type", "trigger", "who", "state", "took", "rows", "changes", "error")
LIMIT = 200
SPARK_RUNS = 30


def run_cells(run: dict[str, Any], now_ms: int | None) -> tuple[str, ...]:
    state = run.get("state")
    changes = "-"
    if run.get("written") is not None or run.get("removed") is not None:
        changes = f"+{fmt_int(run.get('written') or 0)} −{fmt_int(run.get('removed') or 0)}"
    return (
        fmt_when(run.get("finishedAt"), now_ms),
        run.get("type") or "?",
        text(f"dash.trigger.{run['trigger']}") if run.get("trigger") in (
            "dashboard", "cli", "api", "schedule") else (run.get("trigger") or "-"),
        run.get("requestedBy") or "-",
        f"{SYMBOLS.get(state, '?')} {state_word(state)}",
        fmt_duration(run.get("durationMs"), missing="-"),
        fmt_int(run["rows"]) if run.get("rows") is not None else "-",
        changes,
        first_line(run.get("error"), 160),
    )


def spark_series(runs: list[dict[str, Any]], proxy_type: str | None
                 ) -> tuple[list[float], list[float]]:
    """Rows and duration (s) of the last 30 completed runs of a type, oldest first."""
    done = [r for r in runs if r.get("state") == "completed"
            and (proxy_type is None or r.get("type") == proxy_type)][:SPARK_RUNS]
    done.reverse()
    return ([float(r.get("rows") or 0) for r in done],
            [float(r.get("durationMs") or 0) / 1000 for r in done])


class HistoryScreen(ThreadCalls, Screen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", text("dash.action.back"),
                id="history_back", tooltip=text("dash.tip.back")),
        Binding("a", "toggle_all", text("dash.action.history_toggle"), id="history_all",
                tooltip=text("dash.tip.history_toggle")),
    ]

    def __init__(self, proxy_type: str | None) -> None:
        super().__init__(classes="history")
        self.proxy_type = proxy_type
        self.home_type = proxy_type
        self.runs: list[dict[str, Any]] | None = None
        self.rows: list[tuple[str, ...]] | None = None
        self.spark_type: str | None = proxy_type

    def compose(self) -> ComposeResult:
        yield Static("", id="history-title", classes="screen-title")
        with Horizontal(id="history-sparks"):
            with Vertical(classes="spark-box"):
                yield Static("", id="spark-rows-label", classes="spark-label")
                yield Sparkline([], id="spark-rows")
            with Vertical(classes="spark-box"):
                yield Static("", id="spark-duration-label", classes="spark-label")
                yield Sparkline([], id="spark-duration")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Static(text("dash.history.empty"), id="history-empty")
        yield Footer()

    def on_mount(self) -> None:
        self._setup()
        self.query_one(DataTable).focus()

    def _setup(self) -> None:
        title = text("dash.history.title", scope=self.proxy_type or text("dash.history.all"))
        self.query_one("#history-title", Static).update(title)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for column in COLUMNS:
            if column == "type" and self.proxy_type:
                continue
            table.add_column(text(f"dash.history.col.{column}"), key=column)
        self.rows = None
        self.runs = None
        self.tick()

    def tick(self) -> None:
        source, proxy_type = host(self).source, self.proxy_type
        self.call_in_thread(f"history:{proxy_type}",
                            lambda: source.history(proxy_type, LIMIT), self._read)

    def _read(self, answer: dict[str, Any] | None, error: BaseException | None) -> None:
        with suppress(NoMatches):
            empty = self.query_one("#history-empty", Static)
            if error is not None or answer is None:
                if self.runs is None:
                    empty.update("⚠ " + describe_error(error or RuntimeError("?")))
                    empty.display = True
                return
            if answer.get("type") != self.proxy_type:
                return  # an answer for the scope before `a` was pressed
            self.runs = answer["runs"]
            empty.update(text("dash.history.empty"))
            self._redraw()

    def _redraw(self) -> None:
        runs = self.runs or []
        now = host(self).now_ms()
        rows = []
        for run in runs:
            cells = run_cells(run, now)
            if self.proxy_type:
                cells = cells[:1] + cells[2:]
            rows.append((f"{run.get('jobId')}:{run.get('attempt')}:{run.get('finishedAt')}",
                         *cells))
        with self.app.batch_update():
            if rows != self.rows:
                table = self.query_one(DataTable)
                cursor = table.cursor_row
                table.clear()
                for row in rows:
                    table.add_row(*row[1:], key=row[0])
                if rows:
                    table.move_cursor(row=min(cursor, len(rows) - 1), animate=False)
                self.rows = rows
            self.query_one("#history-empty").display = not rows
            self._show_sparks()

    def _show_sparks(self) -> None:
        runs = self.runs or []
        spark_type = self.proxy_type or self.spark_type
        if spark_type is None and runs:
            spark_type = runs[0].get("type")
        rows, seconds = spark_series(runs, spark_type)
        self.query_one("#spark-rows", Sparkline).data = rows or [0.0]
        self.query_one("#spark-duration", Sparkline).data = seconds or [0.0]
        scope = spark_type or "-"
        last_rows = fmt_int(rows[-1]) if rows else "-"
        last_took = fmt_duration(seconds[-1] * 1000) if seconds else "-"
        self.query_one("#spark-rows-label", Static).update(
            text("dash.history.spark_rows", type=scope, n=len(rows), last=last_rows))
        self.query_one("#spark-duration-label", Static).update(
            text("dash.history.spark_duration", type=scope, n=len(seconds), last=last_took))

    @on(DataTable.RowHighlighted, "#history-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.proxy_type or not self.runs or event.cursor_row >= len(self.runs):
            return
        chosen = self.runs[event.cursor_row].get("type")
        if chosen != self.spark_type:
            self.spark_type = chosen
            self._show_sparks()

    def action_toggle_all(self) -> None:
        self.proxy_type = None if self.proxy_type else (self.home_type or self.spark_type)
        self._setup()
