"""Human-readable text for the contract JSON, for the CLI (the dashboard has widgets).

Pure functions from dicts to strings; the words come from the contract's ``message``
fields and tasks.texts, so the CLI says what the dashboard says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tasks.jobs import RUNNING_STATES
from tasks.texts import text
from tui.format import attempt_number, fmt_duration, fmt_time, fmt_time_in_zone


def render_sync(answer: Mapping[str, Any]) -> str:
    return answer["message"]


def render_status(record: Mapping[str, Any]) -> str:
    if not record.get("found"):
        return record["message"]
    info = record.get("progressInfo") or {}
    running = record["state"] in RUNNING_STATES  # a finished job's last stage is history
    lines = [
        f"job        {record['jobId']}",
        f"type       {record['type']}",
        f"state      {record['state']}  {record.get('progress', 0)}%"
        + (f"  ({info['stage']}: {info.get('message', '')})" if running and info.get("stage")
           else ""),
        f"attempt    {attempt_number(record)}/{record.get('maxAttempts', '?')}",
        f"requested  {record.get('requestedBy', '-')} at {fmt_time(record.get('createdAt'))}",
        f"started    {fmt_time(record.get('startedAt'))}",
        f"finished   {fmt_time(record.get('finishedAt'))}",
        f"worker     {record.get('worker') or '-'}",
    ]
    if info.get("currentTotal") is not None:
        expected = info.get("expectedTotal")
        lines.append(
            f"records    {info['currentTotal']:,}" + (f" / {expected:,}" if expected else "")
        )
    result = record.get("result")
    if result:
        lines.append("result     " + ", ".join(f"{k}={v}" for k, v in result.items()))
    if record.get("error"):
        lines.append(f"error      {record['error']}")
    log = record.get("log") or []
    if log:
        lines.append("log")
        for entry in log[-20:]:
            lines.append(f"  {fmt_time(entry['t'])}  {entry['level']:<7} {entry['msg']}")
    return "\n".join(lines)


def render_jobs(groups: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    lines = []
    for state, records in groups.items():
        for record in records:
            lines.append(
                f"{state:<9} {record['type']:<11} {record['jobId']:<32} "
                f"{record.get('progress', 0):>3}%  {record.get('requestedBy', '-')}"
            )
    return "\n".join(lines) if lines else "No jobs."


def render_cleanup(answer: Mapping[str, Any]) -> str:
    parts = ", ".join(f"{k} {v}" for k, v in answer["breakdown"].items() if v)
    return answer["message"] + (f" ({parts})" if parts else "")


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def render_history(answer: Mapping[str, Any]) -> str:
    """One line per run, newest first: when, what, who, how long, what it did or why not."""
    runs = answer["runs"]
    if not runs:
        return text("history.empty")
    lines = [text("history.header")]
    for run in runs:
        finished = fmt_time(run["finishedAt"])[:19]
        tail = run["jobId"] if run["state"] == "completed" else f"{run['jobId']}: {run['error']}"
        lines.append(
            f"{finished:<20} {run['type']:<12} {run['state']:<10} {run['trigger'] or '-':<10} "
            f"{(run['requestedBy'] or '-')[:12]:<12} {fmt_duration(run['durationMs'], '-'):>8} "
            f"{_count(run['rows']):>9} {_count(run['written']):>9} {_count(run['removed']):>8}  "
            f"{tail}"
        )
    return "\n".join(lines)


def render_schedules(answer: Mapping[str, Any]) -> str:
    zone = answer["timezone"]
    scheduled = [row for row in answer["types"] if row["expression"]]
    if not scheduled:
        return text("schedule.none", zone=zone)
    lines = [text("schedule.header", zone=zone)]
    for row in answer["types"]:
        if row["expression"]:
            when = text("schedule.next", when=fmt_time_in_zone(row["nextRunAt"], zone))
            lines.append(f"  {row['type']:<12} {row['expression']:<20} {when}")
        else:
            lines.append(f"  {row['type']:<12} {text('schedule.unscheduled')}")
    return "\n".join(lines)
