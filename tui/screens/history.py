"""The run ledger of one type (or of all): every finished run, newest first, and sparklines
of rows and duration over the last 30 runs of the selected type."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Sparkline, Static

from tasks.texts import text
from tui.error_text import describe_error
from tui.format import (
    SYMBOLS,
    first_line,
    fmt_duration,
    fmt_int,
    fmt_time,
    fmt_when,
    state_word,
)
from tui.host import host
from tui.reading import ThreadCalls
from tui.widgets import STATE_STYLES

COLUMNS = ("when", "type", "trigger", "who", "state", "took", "rows", "changes", "error")
# What a narrow screen gives up first, in this order; the line under the table still
# says all of it for the highlighted run.
OPTIONAL = ("trigger", "who", "changes")
CELL_PADDING = 2  # a DataTable cell's padding, one each side
SCROLLBAR = 2
WHO_WIDTH = 14
ERROR_MIN = 12  # an error column narrower than this says nothing: the line below does
LIMIT = 200
SPARK_RUNS = 30
RUN_COUNTS = (
    ("rows", "dash.result.rows"), ("written", "dash.result.written"),
    ("removed", "dash.result.removed"), ("unchanged", "dash.result.unchanged"),
    ("duplicatesRemoved", "dash.result.duplicates"), ("pages", "dash.result.pages"),
)


def trigger_word(trigger: str | None) -> str:
    if trigger in ("dashboard", "cli", "api", "schedule"):
        return text(f"dash.trigger.{trigger}")
    return trigger or "-"


def clip(value: str, width: int) -> str:
    return value if len(value) <= width else value[: max(0, width - 1)] + "…"


def run_cells(run: dict[str, Any], now_ms: int | None) -> dict[str, str]:
    """A run's cells by column, whole (the table clips them to the room it has)."""
    state = run.get("state")
    changes = "-"
    if run.get("written") is not None or run.get("removed") is not None:
        changes = f"+{fmt_int(run.get('written') or 0)} −{fmt_int(run.get('removed') or 0)}"
    return {
        "when": fmt_when(run.get("finishedAt"), now_ms),
        "type": run.get("type") or "?",
        "trigger": trigger_word(run.get("trigger")),
        "who": clip(run.get("requestedBy") or "-", WHO_WIDTH),
        "state": f"{SYMBOLS.get(state, '?')} {state_word(state)}",
        "took": fmt_duration(run.get("durationMs"), missing="-"),
        "rows": fmt_int(run["rows"]) if run.get("rows") is not None else "-",
        "changes": changes,
        "error": first_line(run.get("error"), 160),
    }


def fit_columns(columns: tuple[str, ...], cells: list[dict[str, str]], width: int
                ) -> tuple[tuple[str, ...], int]:
    """The columns that fit in ``width`` cells, and the room left for the error.

    Every column but the error is as wide as its widest cell or heading; optional ones
    go (OPTIONAL order) until the error has ERROR_MIN cells, and the error column goes
    too when even that is not enough, or when no run failed.
    """
    def natural(column: str) -> int:
        heading = len(text(f"dash.history.col.{column}"))
        return max([heading] + [len(row[column]) for row in cells]) + CELL_PADDING

    shown = list(columns)
    fixed = sum(natural(c) for c in shown if c != "error")
    for column in OPTIONAL:
        if fixed + ERROR_MIN + CELL_PADDING <= width:
            break
        if column in shown:
            shown.remove(column)
            fixed -= natural(column)
    room = width - fixed - CELL_PADDING
    if room < ERROR_MIN or not any(row["error"] for row in cells):
        shown.remove("error")
    return tuple(shown), max(0, room)


def run_line(run: dict[str, Any]) -> Content:
    """The highlighted run in full: how and when it ran, then its job id with its counts,
    or its job id and the whole error."""
    state = run.get("state")
    head = " · ".join((
        run.get("type") or "?", fmt_time(run.get("finishedAt")),
        trigger_word(run.get("trigger")), text("dash.by", who=run.get("requestedBy") or "?"),
        fmt_duration(run.get("durationMs"), missing="-"),
    ))
    lines = [Content.assemble((f"{SYMBOLS.get(state, '?')} {state_word(state)}",
                               STATE_STYLES.get(state, "")), "  ", head)]
    job = run.get("jobId") or "?"
    if state == "completed":
        counts = [text(key, n=fmt_int(run[field]))
                  for field, key in RUN_COUNTS if run.get(field) is not None]
        lines.append(Content.assemble((" · ".join([job, *counts]), "$text-muted")))
    else:
        lines.append(Content.assemble((job, "$text-muted")))
        error = str(run.get("error") or "").strip()
        if error:
            lines.append(Content.styled(error, "$error"))
    return Content("\n").join(lines)


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
        self.rows: list[tuple[str, ...]] | None = None  # (row key, *cells shown)
        self.columns: tuple[str, ...] | None = None  # the columns shown, by name
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
        yield Static("", id="history-run")
        yield Static(text("dash.history.empty"), id="history-empty")
        yield Footer()

    def on_mount(self) -> None:
        self._setup()
        self.query_one(DataTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        if self.runs is not None:
            self._redraw()

    def _setup(self) -> None:
        title = text("dash.history.title", scope=self.proxy_type or text("dash.history.all"))
        self.query_one("#history-title", Static).update(title)
        self.query_one(DataTable).clear(columns=True)
        self.columns = None
        self.rows = None
        self.runs = None
        self.query_one("#history-run").display = False
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
        cells = [run_cells(run, now) for run in runs]
        wanted = tuple(c for c in COLUMNS if not (c == "type" and self.proxy_type))
        columns, room = fit_columns(wanted, cells, self.size.width - SCROLLBAR)
        rows = [
            (f"{run.get('jobId')}:{run.get('attempt')}:{run.get('finishedAt')}",
             *[clip(row[c], room) if c == "error" else row[c] for c in columns])
            for run, row in zip(runs, cells, strict=True)
        ]
        with self.app.batch_update():
            table = self.query_one(DataTable)
            if columns != self.columns:
                table.clear(columns=True)
                for column in columns:
                    table.add_column(text(f"dash.history.col.{column}"), key=column)
                self.columns = columns
                self.rows = None
            if rows != self.rows:
                cursor = table.cursor_row
                table.clear()
                for row in rows:
                    table.add_row(*row[1:], key=row[0])
                if rows:
                    table.move_cursor(row=min(cursor, len(rows) - 1), animate=False)
                self.rows = rows
            self.query_one("#history-empty").display = not rows
            self._show_run(table.cursor_row)
            self._show_sparks()

    def _show_run(self, index: int) -> None:
        """The highlighted run in full, under the table."""
        line = self.query_one("#history-run", Static)
        runs = self.runs or []
        line.display = 0 <= index < len(runs)
        if line.display:
            line.update(run_line(runs[index]))

    def _show_sparks(self) -> None:
        runs = self.runs or []
        spark_type = self.proxy_type or self.spark_type
        if spark_type is None and runs:
            spark_type = runs[0].get("type")
        rows, seconds = spark_series(runs, spark_type)
        # One run is no trend: a lone full-height bar would only look like a peak.
        self.query_one("#spark-rows", Sparkline).data = rows if len(rows) > 1 else []
        self.query_one("#spark-duration", Sparkline).data = seconds if len(seconds) > 1 else []
        scope = spark_type or "-"
        last_rows = fmt_int(rows[-1]) if rows else "-"
        last_took = fmt_duration(seconds[-1] * 1000) if seconds else "-"
        self.query_one("#spark-rows-label", Static).update(
            text("dash.history.spark_rows", type=scope, n=len(rows), last=last_rows))
        self.query_one("#spark-duration-label", Static).update(
            text("dash.history.spark_duration", type=scope, n=len(seconds), last=last_took))

    @on(DataTable.RowHighlighted, "#history-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_run(event.cursor_row)
        if self.proxy_type or not self.runs or event.cursor_row >= len(self.runs):
            return
        chosen = self.runs[event.cursor_row].get("type")
        if chosen != self.spark_type:
            self.spark_type = chosen
            self._show_sparks()

    def action_toggle_all(self) -> None:
        self.proxy_type = None if self.proxy_type else (self.home_type or self.spark_type)
        self._setup()
