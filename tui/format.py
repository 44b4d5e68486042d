"""Numbers, times and job facts as the words an operator reads, for the CLI and the dashboard.

Pure functions from contract values (dicts, epoch milliseconds) to strings. Every other
module of tui/ that shows a number, a time or a job's state takes it from here, so the
CLI and every screen of the dashboard say the same thing the same way.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasks.texts import text

RUNNING = ("waiting", "active", "delayed", "stalled")
FINISHED = ("completed", "failed")
SYMBOLS = {
    None: "○",
    "unknown": "?",
    "waiting": "◷",
    "active": "▶",
    "delayed": "↻",
    "stalled": "⚠",
    "completed": "✔",
    "failed": "✖",
    "cancelled": "⊘",
}
STAGES = ("starting", "fetching", "cleaning", "publishing")


def fmt_int(value: Any) -> str:
    """23,190; "?" for a count nobody knows."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "?"


def fmt_duration(ms: float | None, missing: str = "?") -> str:
    """45s, 1m12s, 2h03m."""
    if ms is None or ms < 0:
        return missing
    seconds = int(round(ms / 1000))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def fmt_span(ms: float) -> str:
    """A coarse length of time for ages and waits: 40 s, 10 min, 3 h, 2 d."""
    seconds = max(0, int(ms // 1000))
    if seconds < 60:
        return text("dash.span.sec", n=seconds)
    if seconds < 3600:
        return text("dash.span.min", n=seconds // 60)
    if seconds < 48 * 3600:
        return text("dash.span.hour", n=seconds // 3600)
    return text("dash.span.day", n=seconds // 86400)


def fmt_ago(now_ms: int | None, then_ms: int | None) -> str:
    """"just now", "10 min ago", "3 h ago"; "" when either time is unknown."""
    if not now_ms or not then_ms:
        return ""
    if now_ms - then_ms < 60_000:
        return text("dash.ago.now")
    return text("dash.ago", span=fmt_span(now_ms - then_ms))


def local_time(epoch_ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch_ms / 1000).astimezone()


def fmt_time(epoch_ms: int | None, missing: str = "-") -> str:
    """2025-06-15 14:53:20 WIB: a full time, always with its zone."""
    if not epoch_ms:
        return missing
    return local_time(epoch_ms).strftime("%Y-%m-%d %H:%M:%S %Z")


def zoned_time(epoch_ms: int, zone: str | None) -> datetime.datetime:
    """A moment in a named zone (a schedule's), else in the host's."""
    tz: datetime.tzinfo | None = None
    if zone:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            tz = None
    return datetime.datetime.fromtimestamp(epoch_ms / 1000, datetime.UTC).astimezone(tz)


def fmt_time_in_zone(epoch_ms: int | None, zone: str, missing: str = "-") -> str:
    """`fmt_time` in a named zone (the schedule's), else in the host's."""
    if not epoch_ms:
        return missing
    return zoned_time(epoch_ms, zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def fmt_clock(epoch_ms: int | None) -> str:
    """14:53:20, for "updated" and log lines."""
    return local_time(epoch_ms).strftime("%H:%M:%S") if epoch_ms else "-"


def fmt_when(epoch_ms: int | None, now_ms: int | None) -> str:
    """A table's "when": the time of day today, else month, day and time."""
    if not epoch_ms:
        return "-"
    moment = local_time(epoch_ms)
    if now_ms and local_time(now_ms).date() == moment.date():
        return moment.strftime("%H:%M")
    return moment.strftime("%m-%d %H:%M")


def first_line(value: Any, limit: int = 200) -> str:
    lines = str(value or "").strip().splitlines()
    return lines[0][:limit] if lines else ""


def middle_ellipsis(value: str, width: int) -> str:
    """Shorten from the middle, keeping both ends: redis://:***@re…l:6379/0."""
    if len(value) <= width:
        return value
    if width <= 1:
        return "…"[:width]
    head = (width - 1) // 2 + (width - 1) % 2
    tail = width - 1 - head
    return value[:head] + "…" + (value[-tail:] if tail else "")


def bar(progress: int, width: int) -> str:
    width = max(4, width)
    filled = round(width * max(0, min(100, progress)) / 100)
    return "█" * filled + "░" * (width - filled)


def indeterminate_bar(width: int) -> str:
    """A bar for work whose total nobody knows: no fill, no percentage."""
    return "╌" * max(4, width)


def state_word(state: str | None) -> str:
    return text(f"dash.state.{state or 'none'}")


def stage_word(stage: str | None) -> str:
    return text(f"dash.stage.{stage}") if stage in STAGES else (stage or "")


def rows_of(result: dict[str, Any] | None) -> Any:
    """The rows a sync left in its table (what an operator means by "rows")."""
    result = result or {}
    return result.get("inserted", result.get("total"))


def job_duration(job: dict[str, Any]) -> float | None:
    result = job.get("result") or {}
    duration = result.get("durationMs")
    started, finished = job.get("startedAt"), job.get("finishedAt")
    if duration is None and started and finished:
        duration = finished - started
    return duration


def attempt_number(job: Mapping[str, Any]) -> int:
    """The attempt a job is on: the one running or that ran last, else the next one.

    A waiting job that never ran is on attempt 1 (of 3); the CLI and the dashboard both
    say so.
    """
    made = int(job.get("attemptsMade") or 0)
    if job.get("state") in ("waiting", "delayed"):
        made += 1
    return max(1, min(made, int(job.get("maxAttempts") or 3)))


def attempt_text(job: dict[str, Any]) -> str:
    return text("dash.attempt", n=attempt_number(job), max=job.get("maxAttempts") or 3)


def shown_progress(job: dict[str, Any]) -> int:
    """The percentage to show: 100 only for a completed job, whatever a worker wrote."""
    progress = int(job.get("progress") or 0)
    if job.get("state") == "completed":
        return 100
    return max(0, min(99, progress))


def is_indeterminate(job: dict[str, Any]) -> bool:
    """A running job that counts rows without knowing how many there will be."""
    info = job.get("progressInfo") or {}
    return (
        job.get("state") == "active"
        and info.get("stage") == "fetching"
        and info.get("expectedTotal") is None
    )


def counts_text(current: Any, expected: Any) -> str:
    """"5,924 / 23,774", or "5,924" when the total is not known."""
    if current is None:
        return ""
    if expected is None:
        return fmt_int(current)
    return f"{fmt_int(current)} / {fmt_int(expected)}"


def running_text(job: dict[str, Any], now_ms: int | None, expected: Any = None) -> str:
    """A job on its way, in one line: "fetching 5,924 / 23,774 · 3,722 rows/s · ETA 5s".

    ``expected`` overrides the record's expected total (the dashboard keeps the largest
    one seen, so the total never moves back).
    """
    info = job.get("progressInfo") or {}
    state = job["state"]
    if state == "waiting":
        return text("dash.queued_since", ago=fmt_ago(now_ms, job.get("createdAt")) or "?")
    if state == "delayed":
        wait = (job.get("retryAt") or 0) - (now_ms or 0)
        return text("dash.retry_at", eta=fmt_span(max(0, wait)),
                    error=first_line(job.get("error"), 120) or "?")
    parts: list[str] = []
    stage = stage_word(info.get("stage"))
    counts = counts_text(info.get("currentTotal"),
                         expected if expected is not None else info.get("expectedTotal"))
    head = " ".join(part for part in (stage, counts) if part)
    if head:
        parts.append(head)
    if state == "active":
        if info.get("rowsPerSecond"):
            parts.append(text("dash.rate", rate=fmt_int(info["rowsPerSecond"])))
        if info.get("etaSeconds") is not None:
            parts.append(text("dash.eta", eta=fmt_duration(info["etaSeconds"] * 1000)))
    elif state == "stalled":
        parts.append(text("dash.stalled", ago=fmt_ago(now_ms, job.get("heartbeatAt")) or "?"))
    return " · ".join(parts)


def ended_text(job: dict[str, Any], now_ms: int | None) -> str:
    """How a finished job ended: "completed 5 min ago: 23,190 rows in 1m12s"."""
    ago = fmt_ago(now_ms, job.get("finishedAt")) or "?"
    if job["state"] == "completed":
        return text("dash.ended.completed", ago=ago, rows=fmt_int(rows_of(job.get("result"))),
                    duration=fmt_duration(job_duration(job)))
    error = first_line(job.get("error")) or first_line((job.get("result") or {}).get("message"))
    return text("dash.ended.failed", ago=ago, error=error or "?")


def dataset_text(dataset: dict[str, Any] | None, now_ms: int | None, known: bool,
                 shown_job: str | None = None) -> str:
    """The table behind a type: "data 3 h old · 23,190 rows · last run failed 10 min ago: …".

    ``known=False``: the destination database did not answer, so nothing is said about
    the data but that. ``shown_job``: the job whose ending is already on screen beside
    this line; its failure is not said twice.
    """
    if not known:
        return text("dash.data.unknown")
    if dataset is None:
        return ""
    parts: list[str] = []
    failure, last = dataset.get("lastFailure"), dataset.get("lastRun")
    failed_last = bool(failure and last and last.get("jobId") == failure.get("jobId")
                       and failure.get("jobId") != shown_job)
    published = dataset.get("publishedAt")
    if published and now_ms:
        parts.append(text("dash.data.age", age=fmt_span(max(0, now_ms - published))))
    elif not published and not failed_last:
        parts.append(text("dash.data.none"))
    if dataset.get("rows") is not None:
        parts.append(text("dash.data.rows", rows=fmt_int(dataset["rows"])))
    if failure and failed_last:
        parts.append(text(
            "dash.data.failed", state=state_word(failure.get("state")),
            ago=fmt_ago(now_ms, failure.get("finishedAt")) or "?",
            error=first_line(failure.get("error"), 120) or "?",
        ))
    return " · ".join(parts)


def next_run_text(
    next_ms: int | None, now_ms: int | None, short: bool = False, zone: str | None = None
) -> str:
    """"next 02:00 (in 5 h)" for a scheduled type ("next 02:00" if ``short``); "" otherwise.

    The time is read in the schedule's own zone (``zone``, PROXYTUI_TZ), so it matches the
    cron expression the operator wrote; without one, in the host's zone."""
    if not next_ms:
        return ""
    moment = zoned_time(next_ms, zone)
    same_day = now_ms is not None and zoned_time(now_ms, zone).date() == moment.date()
    when = moment.strftime("%H:%M") if same_day else moment.strftime("%a %H:%M")
    if short:
        return text("schedule.next", when=when)
    wait = fmt_span(max(0, next_ms - now_ms)) if now_ms else "?"
    return text("dash.next_run", when=when, wait=wait)


def fit_with_tail(head: str, tails: tuple[str, ...], width: int, sep: str = " · ") -> str:
    """``head · tail`` in ``width`` cells, keeping the tail whole.

    ``tails`` are the same fact from longest to shortest ("next 02:00 (in 5 h)", "next
    02:00"): the first that fits beside the whole head is taken; else the head is cut
    (…) to make room for the shortest. So a long error never pushes the next scheduled
    run off a line.
    """
    tails = tuple(tail for tail in tails if tail)
    if not tails:
        return head
    if not head:
        return next((tail for tail in tails if len(tail) <= width), tails[-1])
    for tail in tails:
        if len(head) + len(sep) + len(tail) <= width:
            return f"{head}{sep}{tail}"
    room = width - len(sep) - len(tails[-1])
    if room < 6:  # a head cut shorter than this says nothing
        return tails[-1]
    return f"{head[: room - 1]}…{sep}{tails[-1]}"
