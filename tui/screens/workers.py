"""Every live consumer process: where it runs, how, since when, and what it is doing."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tasks.texts import text
from tui.format import fmt_ago, fmt_span, fmt_when
from tui.host import host
from tui.reading import ThreadCalls

COLUMNS = ("host", "pid", "kind", "job", "since", "seen")


def worker_rows(answer: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per worker and running job (a worker without a job: one idle row)."""
    now = answer.get("now")
    rows: list[tuple[str, ...]] = []
    for worker in answer.get("workers", []):
        since = fmt_when(worker.get("startedAt"), now)
        seen = fmt_ago(now, worker.get("lastSeenAt")) or "-"
        head = (worker.get("host") or "?", str(worker.get("pid") or "?"),
                worker.get("kind") or "?")
        jobs = worker.get("jobs") or []
        if not jobs:
            rows.append((worker["id"], *head, text("dash.workers.idle"), since, seen))
        for job in jobs:
            running = fmt_span(now - job["startedAt"]) if now and job.get("startedAt") else "?"
            rows.append((f"{worker['id']}:{job['jobId']}", *head,
                         text("dash.workers.running", jobId=job["jobId"], span=running),
                         since, seen))
    return rows


class WorkersScreen(ThreadCalls, Screen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", text("dash.action.back"),
                id="workers_back", tooltip=text("dash.tip.back")),
    ]

    def __init__(self) -> None:
        super().__init__(classes="workers")
        self.rows: list[tuple[str, ...]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(text("dash.workers.title"), id="workers-title", classes="screen-title")
        yield DataTable(id="workers-table", cursor_type="row", zebra_stripes=True)
        yield Static(text("dash.workers.none"), id="workers-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(text(f"dash.workers.col.{column}"), key=column)
        table.focus()
        self.tick()

    def tick(self) -> None:
        source = host(self).source
        self.call_in_thread("workers", source.workers, self._read)

    def _read(self, answer: dict[str, Any] | None, error: BaseException | None) -> None:
        if error is not None or answer is None:
            host(self).notify_error(error or RuntimeError("?"))
            return
        rows = worker_rows(answer)
        if rows == self.rows:
            return
        self.rows = rows
        with suppress(NoMatches), self.app.batch_update():
            table = self.query_one(DataTable)
            table.clear()
            for row in rows:
                table.add_row(*row[1:], key=row[0])
            self.query_one("#workers-empty").display = not rows
