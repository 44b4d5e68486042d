"""Sync schedules: ``PROXYTUI_SCHEDULE`` parsed, checked, and turned into slot times.

``pangkat=0 2 * * *;skk=30 2 * * 1-5`` gives each type a cron expression (croniter; six
fields put seconds first, so ``*/10 * * * * *`` is every ten seconds), read in
``PROXYTUI_TZ`` or else the host's zone. A *slot* is one time an expression fires; the
consumers claim slots one by one (tasks/scheduler.py). This module holds only the rules,
so the dashboard and the CLI can show the next run without any worker code.
"""

from __future__ import annotations

import datetime
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from tasks.catalog import PROXY_TYPES, UnknownProxyType, get_proxy_type
from tasks.errors import ProxytuiError
from tasks.settings import Settings
from tasks.texts import text

LOCALTIME = Path("/etc/localtime")
TICK = datetime.timedelta(microseconds=1)


class ScheduleError(ProxytuiError, ValueError):
    """PROXYTUI_SCHEDULE names an unknown type or holds an expression cron cannot read."""


def host_zone() -> datetime.tzinfo:
    """The host's zone with its rules (DST included) where we can name it: ``TZ``, else
    the zone /etc/localtime links to, else the current fixed offset."""
    for name in (os.environ.get("TZ", "").lstrip(":"), _linked_zone()):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return datetime.datetime.now().astimezone().tzinfo or datetime.UTC


def _linked_zone() -> str:
    try:
        target = str(LOCALTIME.resolve())
    except OSError:
        return ""
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""


def zone_name(zone: datetime.tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def _fields(expression: str) -> int:
    return len(expression.split())


def is_valid(expression: str) -> bool:
    count = _fields(expression)
    if count not in (5, 6):
        return False
    return bool(croniter.is_valid(expression, second_at_beginning=count == 6))


def parse_schedule(raw: str) -> dict[str, str]:
    """``type=expression;...`` -> {type: expression}; one ScheduleError naming the
    entry for anything we cannot use."""
    schedule: dict[str, str] = {}
    for part in raw.replace("\n", ";").split(";"):
        entry = part.strip()
        if not entry:
            continue
        name, sep, expression = entry.partition("=")
        name, expression = name.strip(), " ".join(expression.split())
        if not sep:
            raise ScheduleError(text("schedule.bad_entry", entry=entry))
        try:
            proxy_type = get_proxy_type(name).name
        except UnknownProxyType:
            raise ScheduleError(
                text("schedule.bad_type", type=name, valid=", ".join(PROXY_TYPES))
            ) from None
        if proxy_type in schedule:
            raise ScheduleError(text("schedule.twice", type=proxy_type))
        if not is_valid(expression):
            raise ScheduleError(text("schedule.bad_expression", type=proxy_type,
                                     expression=expression))
        schedule[proxy_type] = expression
    return schedule


@dataclass(frozen=True)
class Schedule:
    """The parsed schedule of every type, in one zone."""

    expressions: Mapping[str, str]
    zone: datetime.tzinfo

    @property
    def timezone(self) -> str:
        return zone_name(self.zone)

    def _iter(self, proxy_type: str, start: datetime.datetime) -> croniter:
        expression = self.expressions[proxy_type]
        return croniter(
            expression, start.astimezone(self.zone), second_at_beginning=_fields(expression) == 6
        )

    def next_slot(self, proxy_type: str, after: datetime.datetime) -> datetime.datetime | None:
        """The first slot strictly after ``after``; None for a type without a schedule."""
        if proxy_type not in self.expressions:
            return None
        return self._iter(proxy_type, after).get_next(datetime.datetime)

    def last_slot(self, proxy_type: str, at: datetime.datetime) -> datetime.datetime | None:
        """The newest slot at or before ``at``."""
        if proxy_type not in self.expressions:
            return None
        return self._iter(proxy_type, at + TICK).get_prev(datetime.datetime)

    def next_run_ms(self, proxy_type: str, now_ms: int) -> int | None:
        slot = self.next_slot(proxy_type, from_ms(now_ms))
        return to_ms(slot) if slot else None


def from_ms(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)


def to_ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


@functools.lru_cache(maxsize=8)
def _build(raw: str, tz: str) -> Schedule:
    zone = ZoneInfo(tz) if tz else host_zone()
    return Schedule(parse_schedule(raw), zone)


def load_schedule(settings: Settings) -> Schedule:
    """The schedule of these settings (parsed once); raises ScheduleError."""
    return _build(settings.schedule, settings.tz)


def validate_schedule(settings: Settings) -> None:
    """Refuse a bad PROXYTUI_SCHEDULE at start, with one line naming the type and the
    expression (the CLI, the dashboard and every consumer call this first)."""
    load_schedule(settings)
