"""Small widgets of the dashboard: the type cards (or dense rows), the header, banners.

Each widget keeps the last thing it drew (its "view") and refreshes only when that
changes, so an idle dashboard repaints nothing. The words come from tui.format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tasks.texts import text
from tui.format import (
    FINISHED,
    RUNNING,
    SYMBOLS,
    attempt_text,
    bar,
    counts_text,
    dataset_text,
    ended_text,
    first_line,
    fit_with_tail,
    fmt_ago,
    fmt_clock,
    fmt_duration,
    fmt_int,
    fmt_span,
    indeterminate_bar,
    is_indeterminate,
    middle_ellipsis,
    next_run_text,
    running_text,
    shown_progress,
    stage_word,
    state_word,
)

STATE_STYLES = {
    None: "$text-muted",
    "unknown": "$text-muted",
    "waiting": "$warning",
    "active": "$accent bold",
    "delayed": "$warning",
    "stalled": "$error bold",
    "completed": "$success",
    "failed": "$error bold",
    "cancelled": "$warning",
}
# Dense rows (100+ columns): (heading key, width); the last column takes the rest. Each
# width holds its longest English value plus one space ("▶ pg_akademik", "23,190 / 23,774",
# a 10-cell bar and " 100%"), so the note keeps the most room.
DENSE_COLUMNS = (
    ("dash.col.type", 14), ("dash.col.state", 11), ("dash.col.progress", 16),
    ("dash.col.rows", 17), ("dash.col.rate", 10), ("dash.col.eta", 7), ("dash.col.data", 10),
    ("dash.col.note", 0),
)
DENSE_BAR = 10
DENSE_MIN_WIDTH = 100


@dataclass(frozen=True)
class CardView:
    """Everything a card shows; two equal views draw the same cells."""

    state: str | None
    progress: int | None  # None: indeterminate (no total known)
    detail: str
    data: str
    meta: str
    dense: tuple[str, ...]  # counts, rate, ETA, data age, the last run in a few words
    upcoming: tuple[str, ...] = ()  # the next scheduled run, long and short


def dense_cells(row: dict[str, Any], job: dict[str, Any] | None, now_ms: int | None,
                expected: Any, data_known: bool, read_only: bool = False) -> tuple[str, ...]:
    """progress counts, rate, ETA, data age and the last run, for a dense row.

    Rows, state and data age have their own columns there, so the last run is said in a
    few words ("5 min ago", "2 min ago · <error>"); the selected type's full words show
    below the rows.
    """
    info = (job or {}).get("progressInfo") or {}
    counts = rate = eta = ""
    state = job["state"] if job else None
    if state in RUNNING:
        stage = stage_word(info.get("stage"))
        counts = counts_text(info.get("currentTotal"),
                             expected if expected is not None else info.get("expectedTotal"))
        counts = counts or stage
        if state == "active" and info.get("rowsPerSecond"):
            rate = text("dash.rate_short", rate=fmt_int(info["rowsPerSecond"]))
        if state == "active" and info.get("etaSeconds") is not None:
            eta = fmt_duration(info["etaSeconds"] * 1000)
    dataset = row.get("dataset")
    if not data_known:
        age = "?"
    elif dataset and dataset.get("publishedAt") and now_ms:
        age = fmt_span(max(0, now_ms - dataset["publishedAt"]))
    else:
        age = "-"
    if dataset and dataset.get("rows") is not None and state not in RUNNING:
        counts = fmt_int(dataset["rows"])
    elif job and state == "completed" and not counts:
        counts = fmt_int((job.get("result") or {}).get("inserted"))
    if job and state in FINISHED:  # the state has its own column: when, and why it failed
        ago = fmt_ago(now_ms, job.get("finishedAt")) or "?"
        error = first_line(job.get("error")) if state == "failed" else ""
        last = " · ".join(part for part in (ago, error) if part)
    elif job and state in ("waiting", "delayed", "stalled"):
        last = running_text(job, now_ms)
    elif job:
        last = text("dash.by", who=job.get("requestedBy") or "?")
    else:
        last = ledger_last_run(dataset, now_ms, data_known, read_only)
    return counts, rate, eta, age, last


def ledger_last_run(dataset: dict[str, Any] | None, now_ms: int | None, data_known: bool,
                    read_only: bool) -> str:
    """A type without a job record, in a few words from the run ledger."""
    if not data_known:
        return text("dash.data.unknown")
    dataset = dataset or {}
    failure, last = dataset.get("lastFailure"), dataset.get("lastRun")
    if failure and last and last.get("jobId") == failure.get("jobId"):
        return text("dash.data.failed", state=state_word(failure.get("state")),
                    ago=fmt_ago(now_ms, failure.get("finishedAt")) or "?",
                    error=first_line(failure.get("error"), 120) or "?")
    if dataset.get("publishedAt"):
        return f"{state_word('completed')} {fmt_ago(now_ms, dataset['publishedAt']) or '?'}"
    return text("dash.never_read_only" if read_only else "dash.never")


class TypeCard(Widget):
    """One proxy type: a three-line card, or one dense row when the screen is wide."""

    class Selected(Message):
        def __init__(self, card: TypeCard) -> None:
            self.card = card
            super().__init__()

    def __init__(self, proxy_type: str, title: str) -> None:
        super().__init__(id=f"card-{proxy_type}", classes="type-card")
        self.proxy_type = proxy_type
        self.title = title
        self.job: dict[str, Any] | None = None
        self.view: CardView | None = None

    def set_row(self, row: dict[str, Any] | None, now_ms: int | None, *, known: bool = True,
                data_known: bool = True, read_only: bool = False,
                expected: Any = None) -> bool:
        """Take one overview row; repaint only if what the card shows changed.

        ``known=False``: the backend has not answered since the dashboard started, so
        "no job" would be a guess; the card says the state is unknown instead.
        ``expected``: the largest expected total seen for this job (never moves back).
        """
        row = row or {}
        job = row.get("job")
        self.job = job
        dataset = row.get("dataset")
        shown_job = job["jobId"] if job and job["state"] in FINISHED else None
        data = dataset_text(dataset, now_ms, data_known, shown_job) if "dataset" in row else ""
        zone = row.get("scheduleZone")
        upcoming = (next_run_text(row.get("nextRunAt"), now_ms, zone=zone),
                    next_run_text(row.get("nextRunAt"), now_ms, short=True, zone=zone))
        dense = dense_cells(row, job, now_ms, expected, data_known, read_only)
        if job is None:
            state = None if known else "unknown"
            if not known:
                detail = text("dash.unknown")
            elif dataset and dataset.get("lastRun"):
                detail = text("dash.no_job_record")
            else:
                detail = text("dash.never_read_only" if read_only else "dash.never")
            view = CardView(state, 0, detail, data, "", dense, upcoming)
        else:
            state = job["state"]
            detail = running_text(job, now_ms, expected) if state in RUNNING else ended_text(
                job, now_ms)
            progress = None if is_indeterminate(job) else shown_progress(job)
            meta = text("dash.meta", jobId=job["jobId"], who=job.get("requestedBy") or "?",
                        attempt=attempt_text(job))
            view = CardView(state, progress, detail, data, meta, dense, upcoming)
        if view == self.view:
            return False
        self.view = view
        for name in SYMBOLS:
            self.set_class(name == view.state, f"-{name or 'none'}")
        self.refresh()
        return True

    def _state_cells(self, bar_width: int) -> list[Any]:
        view = self.view or CardView(None, 0, "", "", "", ())
        style = STATE_STYLES.get(view.state, "")
        word = state_word(view.state).ljust(max(len(state_word(s)) for s in SYMBOLS))
        cells: list[Any] = [(word, style)]
        if view.state in (None, "unknown"):
            cells.append(" " * (bar_width + 6))
        elif view.progress is None:
            cells += [" ", (indeterminate_bar(bar_width), style), "     "]
        else:
            cells += [" ", (bar(view.progress, bar_width), style), f" {view.progress:>3}%"]
        return cells

    def render(self) -> Content:
        width = max(20, self.content_size.width)
        if self.has_class("-dense"):  # the screen is DENSE_MIN_WIDTH wide or more
            return self._render_dense(width)
        view = self.view or CardView(None, 0, "", "", "", ())
        style = STATE_STYLES.get(view.state, "")
        left = Content.assemble(
            (f"{SYMBOLS.get(view.state, '?')} ", style), (self.title, "bold"),
            (f" ({self.proxy_type})", "$text-muted"),
        )
        right = Content.assemble(*self._state_cells(max(8, min(30, width // 4))))
        gap = max(1, width - left.cell_length - right.cell_length)
        lines = [Content.assemble(left, " " * gap, right), Content("  " + view.detail)]
        data = fit_with_tail(view.data, view.upcoming, width - 2)
        if data:
            lines.append(Content.assemble(("  " + data, "$text-muted")))
        lines.append(Content.assemble(("  " + view.meta, "$text-muted")))
        return Content("\n").join(line.truncate(width, ellipsis=True) for line in lines)

    def _render_dense(self, width: int) -> Content:
        view = self.view or CardView(None, 0, "", "", "", ("", "", "", "", ""))
        style = STATE_STYLES.get(view.state, "")
        counts, rate, eta, age, last = (view.dense + ("",) * 5)[:5]
        name = f"{SYMBOLS.get(view.state, '?')} {self.proxy_type}"
        state = state_word(view.state)
        if view.state in (None, "unknown"):
            progress = ""
        elif view.progress is None:
            progress = indeterminate_bar(DENSE_BAR)
        else:
            progress = f"{bar(view.progress, DENSE_BAR)} {view.progress:>3}%"
        cells = [
            (name, style), (state, style), (progress, style), (counts, ""), (rate, ""),
            (eta, ""), (age, ""),
        ]
        parts: list[Any] = []
        for (value, cell_style), (_, column) in zip(cells, DENSE_COLUMNS, strict=False):
            shown = value[: column - 1].ljust(column)
            parts.append((shown, cell_style) if cell_style else shown)
        room = width - sum(column for _, column in DENSE_COLUMNS)
        parts.append((fit_with_tail(last, view.upcoming, room), "$text-muted"))
        return Content.assemble(*parts).truncate(width, ellipsis=True)

    def detail_lines(self) -> Content:
        """The card's words below its first line (the dense view shows them for the
        selected type)."""
        view = self.view or CardView(None, 0, "", "", "", ())
        lines = [Content.assemble((f"{self.title} ({self.proxy_type})", "bold"))]
        data = " · ".join(part for part in (view.data, *view.upcoming[:1]) if part)
        lines += [Content(view.detail), Content.assemble((data, "$text-muted")),
                  Content.assemble((view.meta, "$text-muted"))]
        return Content("\n").join(lines)

    def on_click(self) -> None:
        self.post_message(self.Selected(self))


class DenseHeading(Static):
    """Column headings over the dense rows."""

    def on_mount(self) -> None:
        cells = [text(key).upper()[: width - 1].ljust(width) if width else text(key).upper()
                 for key, width in DENSE_COLUMNS]
        self.update(Content("".join(cells)))


class HeaderBar(Widget):
    """Backend URL, connection state, live workers, queue depth, read-only, PAUSED.

    Everything but the URL always shows; the URL is shortened from the middle to fit,
    and at narrow widths the labels get shorter.
    """

    def __init__(self) -> None:
        super().__init__(id="header-bar")
        self.view: tuple[Any, ...] | None = None

    def show(self, backend: dict[str, Any] | None, paused: bool, read_only: bool) -> None:
        if backend is None:
            view: tuple[Any, ...] = ("", None, 0, 0, paused, read_only)
        else:
            view = (backend.get("url") or "", backend["reachable"], backend.get("workers", 0),
                    backend.get("queued", 0) + backend.get("scheduled", 0), paused, read_only)
        if view != self.view:
            self.view = view
            self.refresh()

    def _marks(self, compact: bool) -> list[Any]:
        _, reachable, workers, queued, paused, read_only = self.view or (
            "", None, 0, 0, False, False)
        suffix = ".short" if compact else ""
        if reachable is None:
            link = ("◌ " + text("dash.header.connecting" + suffix), "$text-muted")
        elif reachable:
            link = ("● " + text("dash.header.connected" + suffix), "$success")
        else:
            link = ("✖ " + text("dash.header.unreachable" + suffix), "$error bold")
        marks: list[Any] = [link]
        if reachable:
            marks += [text("dash.header.workers" + suffix, n=workers),
                      text("dash.header.queue" + suffix, n=queued)]
        if read_only:
            marks.append((text("dash.header.read_only" + suffix), "$warning bold"))
        if paused:
            marks.append(("⏸ " + text("dash.header.paused"), "$warning bold"))
        return marks

    def render(self) -> Content:
        width = max(10, self.content_size.width)
        url = (self.view or ("",))[0]
        # Give way in this order: the URL shrinks (middle ellipsis), labels get short,
        # the URL goes, the name goes. State, workers, queue, read-only, PAUSED stay.
        attempts = ((False, True, 12), (True, True, 12), (True, True, 0), (True, False, 0))
        for compact, titled, least in attempts:
            tail = Content.assemble(
                *[part for mark in self._marks(compact) for part in ("  ", mark)])
            title = "proxytui " if titled else ""
            room = width - tail.cell_length - len(title)
            if room >= min(len(url), least) or not titled:
                shown = middle_ellipsis(url, max(0, room)) if room > 1 else ""
                return Content.assemble((title, "bold"), shown, tail).truncate(width)
        raise AssertionError("unreachable")


class UpdatedClock(Static):
    """When the data on screen was read: "updated 14:03", "↻ reading…" while `r` waits,
    and a warning once the last answer is more than three polls old."""

    def __init__(self) -> None:
        super().__init__("", id="updated")
        self.view: tuple[Any, ...] | None = None

    def show(self, read_at: int | None, now_ms: int | None, refreshing: bool,
             stale_after_ms: float, precise: bool) -> None:
        stale = bool(read_at and now_ms and now_ms - read_at > stale_after_ms)
        if refreshing:
            view: tuple[Any, ...] = ("refreshing",)
        elif not read_at:
            view = ("never",)
        elif stale:
            view = ("stale", fmt_clock(read_at)[:5], fmt_ago(now_ms, read_at))
        else:
            clock = fmt_clock(read_at)
            view = ("fresh", clock if precise else clock[:5])
        if view == self.view:
            return
        self.view = view
        if view[0] == "refreshing":
            self.update(Content.assemble(("↻ " + text("dash.updated.reading"), "$accent")))
        elif view[0] == "never":
            self.update(Content(""))
        elif view[0] == "stale":
            self.update(Content.assemble(
                ("⚠ " + text("dash.updated.stale", at=view[1], ago=view[2]), "$warning")))
        else:
            self.update(Content(text("dash.updated", at=view[1])))


class Banner(Static):
    """A one- or two-line warning that shows only while its text is not empty."""

    def __init__(self, banner_id: str) -> None:
        super().__init__("", id=banner_id, classes="banner")
        self._shown = ""
        self.display = False

    def say(self, message: str) -> None:
        if message == self._shown:
            return
        self._shown = message
        self.display = bool(message)
        if message:
            self.update(Content("⚠ " + message))
