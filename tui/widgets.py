"""Small widgets of the dashboard and the words and numbers they show.

Each widget keeps the last thing it drew and refreshes only when that changes, so an
idle dashboard repaints nothing.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tasks.jobs import RUNNING_STATES
from tasks.texts import text
from tui.render import format_duration

SYMBOLS = {
    None: "○",
    "unknown": "?",
    "waiting": "◷",
    "active": "▶",
    "delayed": "↻",
    "stalled": "⚠",
    "completed": "✔",
    "failed": "✖",
}
STATE_STYLES = {
    None: "$text-muted",
    "unknown": "$text-muted",
    "waiting": "$warning",
    "active": "$accent bold",
    "delayed": "$warning",
    "stalled": "$error bold",
    "completed": "$success",
    "failed": "$error bold",
}


def state_word(state: str | None) -> str:
    return text(f"dash.state.{state or 'none'}")


def fmt_int(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "?"


def fmt_duration(ms: float | None) -> str:
    return format_duration(ms, missing="?")


def fmt_ago(now_ms: int | None, then_ms: int | None) -> str:
    if not now_ms or not then_ms:
        return ""
    minutes = max(0, (now_ms - then_ms) // 60_000)
    if minutes < 1:
        return text("dash.ago.now")
    if minutes < 60:
        return text("dash.ago.min", n=minutes)
    if minutes < 24 * 60:
        return text("dash.ago.hour", h=minutes // 60, m=minutes % 60)
    return text("dash.ago.day", n=minutes // (24 * 60))


def first_line(value: Any, limit: int = 200) -> str:
    lines = str(value or "").strip().splitlines()
    return lines[0][:limit] if lines else ""


def bar(progress: int, width: int) -> str:
    width = max(4, width)
    filled = round(width * max(0, min(100, progress)) / 100)
    return "█" * filled + "░" * (width - filled)


def rows_of(result: dict[str, Any] | None) -> Any:
    """The rows a sync left in its table (what an operator means by "rows")."""
    result = result or {}
    return result.get("inserted", result.get("total"))


def ended_text(job: dict[str, Any], now_ms: int | None) -> str:
    """How a finished job ended: "completed 5 min ago, 23,190 rows in 1m12s"."""
    ago = fmt_ago(now_ms, job.get("finishedAt"))
    if job["state"] == "completed":
        result = job.get("result") or {}
        started = job.get("startedAt") or job.get("createdAt")
        finished = job.get("finishedAt")
        duration = result.get("durationMs")
        if duration is None and started and finished:
            duration = finished - started
        return text(
            "dash.ended.completed", ago=ago, rows=fmt_int(rows_of(result)),
            duration=fmt_duration(duration),
        )
    error = first_line(job.get("error")) or first_line((job.get("result") or {}).get("message"))
    return text("dash.ended.failed", ago=ago, error=error or "?")


def running_text(job: dict[str, Any], now_ms: int | None) -> str:
    """Stage and message, records, rate and ETA of a job still on its way."""
    info = job.get("progressInfo") or {}
    parts: list[str] = []
    stage, message = info.get("stage"), info.get("message")
    if stage and message:
        parts.append(f"{stage}: {first_line(message)}")
    elif stage or message:
        parts.append(first_line(stage or message))
    current, expected = info.get("currentTotal"), info.get("expectedTotal")
    if current is not None:
        parts.append(
            text("dash.records", current=fmt_int(current),
                 expected=fmt_int(expected) if expected is not None else "?")
        )
    if job["state"] == "active":
        if info.get("rowsPerSecond"):
            parts.append(text("dash.rate", rate=fmt_int(info["rowsPerSecond"])))
        if info.get("etaSeconds") is not None:
            parts.append(text("dash.eta", eta=fmt_duration(info["etaSeconds"] * 1000)))
    elif job["state"] == "delayed" and job.get("retryAt") and now_ms:
        parts.append(text("dash.retry_at", eta=fmt_duration(max(0, job["retryAt"] - now_ms))))
    elif job["state"] == "waiting" and not parts:
        parts.append(text("dash.queued_since", ago=fmt_ago(now_ms, job.get("createdAt"))))
    return " · ".join(parts)


def meta_text(job: dict[str, Any]) -> str:
    attempts = job.get("attemptsMade") or 0
    shown = attempts if job["state"] in ("completed", "failed") else min(
        attempts + (0 if job["state"] in ("active", "stalled") else 1), job.get("maxAttempts") or 3
    )
    return text(
        "dash.meta", jobId=job["jobId"], who=job.get("requestedBy") or "?",
        attempt=max(1, shown), maxAttempts=job.get("maxAttempts") or 3,
    )


class TypeCard(Widget):
    """One proxy type: state, progress, what it is doing or how it ended, whose job."""

    class Selected(Message):
        def __init__(self, card: TypeCard) -> None:
            self.card = card
            super().__init__()

    def __init__(self, proxy_type: str, title: str) -> None:
        super().__init__(id=f"card-{proxy_type}", classes="type-card")
        self.proxy_type = proxy_type
        self.title = title
        self.job: dict[str, Any] | None = None
        self._view: tuple[Any, ...] | None = None

    def set_row(
        self, job: dict[str, Any] | None, now_ms: int | None, *, known: bool = True
    ) -> bool:
        """Take new data; repaint only if what the card shows changed.

        ``known=False``: the backend has not answered since the dashboard started, so
        "no job" would be a guess; the card says the state is unknown instead.
        """
        self.job = job
        if job is None:
            view: tuple[Any, ...] = (
                (None, 0, text("dash.never"), "") if known
                else ("unknown", 0, text("dash.unknown"), "")
            )
        else:
            state = job["state"]
            running = state in RUNNING_STATES
            detail = running_text(job, now_ms) if running else ended_text(job, now_ms)
            view = (state, int(job.get("progress") or 0), detail, meta_text(job))
        if view == self._view:
            return False
        self._view = view
        for state in SYMBOLS:
            self.set_class(state == view[0], f"-{state or 'none'}")
        self.refresh()
        return True

    def render(self) -> Content:
        state, progress, detail, meta = self._view or (None, 0, "", "")
        width = max(20, self.content_size.width)
        style = STATE_STYLES.get(state, "")
        left = Content.assemble(
            (f"{SYMBOLS.get(state, '?')} ", style),
            (self.title, "bold"),
            (f" ({self.proxy_type})", "$text-muted"),
        )
        word = state_word(state).ljust(max(len(state_word(s)) for s in SYMBOLS))
        bar_width = max(8, min(30, width // 4))
        right: list[Any] = [(word, style)]
        if state not in (None, "unknown"):
            right += [" ", (bar(progress, bar_width), style), f" {progress:>3}%"]
        else:
            right.append(" " * (bar_width + 6))
        right_content = Content.assemble(*right)
        gap = max(1, width - left.cell_length - right_content.cell_length)
        line1 = Content.assemble(left, " " * gap, right_content)
        line2 = Content("  " + detail).truncate(width, ellipsis=True)
        line3 = Content.assemble(("  " + meta, "$text-muted")).truncate(width, ellipsis=True)
        return Content("\n").join([line1.truncate(width, ellipsis=True), line2, line3])

    def on_click(self) -> None:
        self.post_message(self.Selected(self))


class HeaderBar(Static):
    """Backend URL, connection state, live workers, queue depth, paused / read-only."""

    def __init__(self) -> None:
        super().__init__("", id="header-bar")
        self._view: tuple[Any, ...] | None = None

    def show(self, backend: dict[str, Any] | None, paused: bool, read_only: bool) -> None:
        if backend is None:
            view: tuple[Any, ...] = ("", None, 0, 0, paused, read_only)
        else:
            view = (backend["url"], backend["reachable"], backend["workers"],
                    backend["queued"] + backend.get("scheduled", 0), paused, read_only)
        if view == self._view:
            return
        self._view = view
        url, reachable, workers, queued, paused, read_only = view
        if reachable is None:
            link = ("◌ " + text("dash.header.connecting"), "$text-muted")
        elif reachable:
            link = ("● " + text("dash.header.connected"), "$success")
        else:
            link = ("✖ " + text("dash.header.unreachable"), "$error bold")
        parts: list[Any] = [("proxytui ", "bold"), url, "  ", link]
        if reachable:
            parts += ["  ", text("dash.header.workers", n=workers),
                      "  ", text("dash.header.queue", n=queued)]
        if read_only:
            parts += ["  ", (text("dash.header.read_only"), "$warning")]
        if paused:
            parts += ["  ", ("⏸ " + text("dash.header.paused"), "$warning bold")]
        self.update(Content.assemble(*parts))


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
