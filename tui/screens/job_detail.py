"""One job, read as a person would: what state it is in, when it was queued, started and
finished, what it produced or why it failed; then its log, then every raw field."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Static

from tasks.texts import text
from tui.error_text import describe_error
from tui.format import (
    FINISHED,
    SYMBOLS,
    attempt_text,
    bar,
    fmt_ago,
    fmt_clock,
    fmt_duration,
    fmt_int,
    fmt_time,
    indeterminate_bar,
    is_indeterminate,
    running_text,
    shown_progress,
    state_word,
)
from tui.host import host
from tui.reading import ThreadCalls
from tui.widgets import STATE_STYLES

TIME_FIELDS = ("createdAt", "startedAt", "finishedAt", "heartbeatAt", "retryAt", "enqueuedAt")
FIELD_ORDER = (
    "jobId", "type", "state", "progress", "requestedBy", "forced", "attemptsMade",
    "maxAttempts", "worker", "createdAt", "enqueuedAt", "startedAt", "heartbeatAt",
    "retryAt", "finishedAt",
)
SECTIONS = ("progressInfo", "result", "error", "stackTrace", "log", "found")
RESULT_COUNTS = (
    ("inserted", "dash.result.rows"), ("written", "dash.result.written"),
    ("removed", "dash.result.removed"), ("unchanged", "dash.result.unchanged"),
    ("duplicates_removed", "dash.result.duplicates"), ("rejected", "dash.result.rejected"),
    ("pages", "dash.result.pages"),
)
ERROR_LINES = 6
LABEL = 10  # the width of "queued", "Result", "Error": values line up after it
LOG_INDENT = 15  # "14:53:20 info  "
SCROLLBAR = 2


def hanging(head: Content, body: Content, indent: int, width: int) -> list[Content]:
    """``head`` then ``body`` wrapped to ``width``, its later lines under its first."""
    lines = body.wrap(max(20, width - indent)) or [Content("")]
    return [head + lines[0], *[Content(" " * indent) + line for line in lines[1:]]]


def labelled(key: str, body: Content, width: int) -> list[Content]:
    return hanging(Content.styled(f"{text(key):<{LABEL}}", "bold"), body, LABEL, width)


def fmt_value(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def timeline(job: dict[str, Any], now_ms: int | None) -> list[Content]:
    """queued -> started -> finished, each with its time (and zone) and the wait between."""
    lines = []
    steps = (("createdAt", "dash.detail.queued"), ("startedAt", "dash.detail.started"),
             ("finishedAt", "dash.detail.finished"))
    before = None
    for field, key in steps:
        moment = job.get(field)
        if not moment:
            continue
        gap = f"  (+{fmt_duration(moment - before)})" if before else ""
        ago = fmt_ago(now_ms, moment)
        lines.append(Content.assemble(
            (f"{text(key):<10}", "bold"), fmt_time(moment), gap,
            (f"  {ago}" if ago else "", "$text-muted"),
        ))
        before = moment
    return lines


def summary(job: dict[str, Any], now_ms: int | None, width: int = 80) -> list[Content]:
    state = job.get("state")
    style = STATE_STYLES.get(state, "")
    if is_indeterminate(job):
        meter = indeterminate_bar(30)
    else:
        progress = shown_progress(job)
        meter = f"{bar(progress, 30)} {progress}%"
    lines = [Content.assemble(
        (f"{SYMBOLS.get(state, '?')} {state_word(state)}", style), "  ", (meter, style),
        ("  " + attempt_text(job), "$text-muted"),
    )]
    who = text("dash.by", who=job.get("requestedBy") or "?")
    worker = job.get("worker")
    lines.append(Content.assemble((f"{job.get('type', '?')} · {who}"
                                   + (f" · {worker}" if worker else ""), "$text-muted")))
    if state not in FINISHED:
        lines.append(Content(running_text(job, now_ms)))
    lines.append(Content(""))
    lines += timeline(job, now_ms)
    result = job.get("result") or {}
    if state == "completed" and result:
        lines.append(Content(""))
        counts = [text(key, n=fmt_int(result[field]))
                  for field, key in RESULT_COUNTS if result.get(field) is not None]
        lines += labelled("dash.detail.result", Content(" · ".join(counts)), width)
        if result.get("message"):
            lines += hanging(Content(" " * LABEL), Content(str(result["message"])), LABEL,
                             width)
    error = (job.get("error") or "").strip()
    if error:
        lines.append(Content(""))
        shown = Content.styled("\n".join(error.splitlines()[:ERROR_LINES]), "$error")
        lines += labelled("dash.detail.error", shown, width)
    return lines


def log_lines(log: list[dict[str, Any]], width: int) -> list[Content]:
    """The job's log, one entry a line; a long entry wraps under its own text."""
    lines: list[Content] = []
    for entry in log:
        head = Content(f"{fmt_clock(entry.get('t'))} {(entry.get('level') or 'info'):<5} ")
        lines += hanging(head, Content(str(entry.get("msg", ""))), LOG_INDENT, width)
    return lines


class JobDetailScreen(ThreadCalls, Screen):
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

    def compose(self) -> ComposeResult:
        yield Static(text("dash.detail.title", jobId=self.job_id), id="detail-title",
                     markup=False)
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-summary")
            yield Static(text("dash.detail.log"), classes="section-title")
            yield Static("", id="detail-log", markup=False)
            yield Static(text("dash.detail.trace"), classes="section-title",
                         id="detail-trace-title")
            yield Static("", id="detail-trace", markup=False)
            yield Static(text("dash.detail.fields"), classes="section-title")
            yield Static("", id="detail-fields")
            yield Static(text("dash.detail.progress"), classes="section-title",
                         id="detail-progress-title")
            yield Static("", id="detail-progress")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()
        self.tick()

    def on_resize(self, event: events.Resize) -> None:
        if self.status is not None:
            with suppress(NoMatches):
                self._render_status(self.status)  # lines are wrapped to the width

    def tick(self) -> None:
        source = host(self).source
        self.call_in_thread("status", lambda: source.job_status(self.job_id), self._read)

    def _read(self, status: dict[str, Any] | None, error: BaseException | None) -> None:
        if error is not None or status is None:
            if self.status is None:
                with suppress(NoMatches):
                    self.query_one("#detail-summary", Static).update(
                        Content("⚠ " + describe_error(error or RuntimeError("?"))))
            return
        if status == self.status:
            return
        self.status = status
        with suppress(NoMatches), self.app.batch_update():  # closed while the answer was out
            self._render_status(status)

    def _render_status(self, status: dict[str, Any]) -> None:
        summary_widget = self.query_one("#detail-summary", Static)
        if not status.get("found"):
            summary_widget.update(Content("⚠ " + (status.get("message") or "")))
            return
        now = host(self).now_ms()
        width = self.size.width - SCROLLBAR - 2  # the body's padding
        summary_widget.update(Content("\n").join(summary(status, now, width)))
        log = log_lines(status.get("log") or [], width)
        self.query_one("#detail-log", Static).update(
            Content("\n").join(log) if log else Content(text("dash.detail.none")))
        trace = status.get("stackTrace") or ""
        self.query_one("#detail-trace-title").display = bool(trace)
        self.query_one("#detail-trace", Static).update(trace)
        self.query_one("#detail-trace").display = bool(trace)
        lines = []
        keys = [k for k in FIELD_ORDER if k in status]
        keys += [k for k in status if k not in FIELD_ORDER and k not in SECTIONS]
        for key in keys:
            value = status[key]
            shown = fmt_time(value) if key in TIME_FIELDS else fmt_value(value)
            lines.append(Content.assemble((f"{key:<14}", "bold"), shown))
        result = status.get("result") or {}
        lines += [Content.assemble((f"result.{key:<7}", "bold"), fmt_value(value))
                  for key, value in result.items()]
        self.query_one("#detail-fields", Static).update(Content("\n").join(lines))
        # A finished job keeps the last progress its run reported: a record of how it
        # ended, not a live reading.
        self.query_one("#detail-progress-title", Static).update(
            text("dash.detail.progress_last" if status.get("state") in FINISHED
                 else "dash.detail.progress"))
        info = status.get("progressInfo") or {}
        self.query_one("#detail-progress", Static).update(Content("\n").join([
            Content.assemble((f"{key:<14}", "bold"), fmt_value(value))
            for key, value in info.items()
        ] or [Content(text("dash.detail.none"))]))

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.job_id)
        self.app.notify(text("dash.notify.copied", jobId=self.job_id))
