"""PROXYTUI_SCHEDULE: every slot is claimed by exactly one consumer and queues one run;
a slot missed while no consumer ran runs once at start inside the grace, never outside
it; a bad expression stops the consumer and the CLI with one line naming it."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tasks import jobs
from tasks.schedule import Schedule, ScheduleError, parse_schedule
from tests.support.jobenv import wait_for

PROXYTUI = str(Path(sys.executable).with_name("proxytui"))
UTC = datetime.UTC
DECISION = re.compile(
    r"scheduled (\w+) sync of (\S+ \S+ \S+)"
    r"(?:: (queued as job (\S+)|already claimed|not queued)| (was missed))"
)


def decisions(log: str) -> list[tuple[str, str, str, str | None]]:
    """(type, slot, outcome, job id) for every scheduler decision in a consumer log."""
    found = []
    for match in DECISION.finditer(log):
        proxy_type, slot, outcome, job_id, missed = match.groups()
        kind = "missed" if missed else ("queued" if job_id else outcome.split()[0])
        found.append((proxy_type, slot, kind, job_id))
    return found


def test_expressions_are_read_with_seconds_first_and_in_the_zone():
    schedule = parse_schedule("pangkat=0 2 * * *; skk = 30 2 * * 1-5 ;pg-profesi=*/10 * * * * *")
    assert schedule == {"pangkat": "0 2 * * *", "skk": "30 2 * * 1-5", "pg_profesi": "*/10 * * * * *"}
    from zoneinfo import ZoneInfo

    jakarta = Schedule(schedule, ZoneInfo("Asia/Jakarta"))
    friday_evening = datetime.datetime(2026, 1, 2, 20, 0, tzinfo=UTC)  # Sat 03:00 in Jakarta
    assert jakarta.next_slot("pangkat", friday_evening) == datetime.datetime(
        2026, 1, 3, 19, 0, tzinfo=UTC)  # 02:00 WIB is 19:00 UTC the day before
    assert jakarta.next_slot("skk", friday_evening).astimezone(UTC) == datetime.datetime(
        2026, 1, 4, 19, 30, tzinfo=UTC)  # Monday 02:30 WIB
    assert jakarta.next_slot("pg_profesi", friday_evening) == friday_evening + datetime.timedelta(seconds=10)
    assert jakarta.last_slot("pg_profesi", friday_evening) == friday_evening
    assert jakarta.next_slot("pensiun", friday_evening) is None


@pytest.mark.parametrize("raw, named", [
    ("skk=61 * * * *", "skk='61 * * * *'"),
    ("pangkat=0 2 * * *;skk=every day", "skk='every day'"),
    ("gaji=0 2 * * *", "'gaji'"),
    ("pangkat 0 2 * * *", "'pangkat 0 2 * * *'"),
    ("pangkat=0 2 * * *;pangkat=0 3 * * *", "pangkat is scheduled twice"),
])
def test_a_bad_schedule_is_refused_by_name(raw, named):
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(raw)
    assert named in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.slow
def test_a_bad_expression_stops_the_consumer_and_the_cli_with_one_line(job_env, start_consumer):
    bad = {"PROXYTUI_SCHEDULE": "pangkat=0 2 * * *;skk=61 * * * *"}
    consumer = start_consumer("ok", extra_env=bad)
    assert consumer.wait(timeout=30) != 0
    lines = consumer.log().strip().splitlines()
    assert len(lines) == 1 and "skk='61 * * * *'" in lines[0], lines
    cli = subprocess.run([PROXYTUI, "jobs"], env={**os.environ, **job_env, **bad},
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2
    assert cli.stderr.strip().splitlines() == [
        "proxytui: PROXYTUI_SCHEDULE: skk='61 * * * *' is not a cron expression "
        "(five fields, or six with seconds first)"]


@pytest.mark.slow
def test_two_consumers_queue_exactly_one_run_per_slot(job_settings, start_consumer):
    env = {"PROXYTUI_SCHEDULE": "pangkat=*/2 * * * * *", "PROXYTUI_TZ": "UTC",
           "PROXYTUI_FRESH_FOR": "0"}
    consumers = [start_consumer("permanent", extra_env=env) for _ in range(2)]

    def both_decided() -> dict[str, list]:
        seen: dict[str, list] = defaultdict(list)
        for consumer in consumers:
            for _, slot, kind, job_id in decisions(consumer.log()):
                seen[slot].append((kind, job_id))
        complete = {slot: d for slot, d in seen.items() if len(d) >= 2}
        return complete if len(complete) >= 4 else {}

    slots = wait_for(both_decided, timeout=60, every=0.2)
    queued = []
    for slot, outcomes in slots.items():
        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["already", "queued"], (slot, outcomes)  # one winner, one loser
        queued += [job_id for kind, job_id in outcomes if kind == "queued"]
    assert len(set(queued)) == len(queued)
    # Each of those runs reached the ledger as a run of the schedule.
    runs = wait_for(lambda: {r["jobId"]: r for r in jobs.history("pangkat", 1000)["runs"]}
                    .keys() >= set(queued) and jobs.history("pangkat", 1000)["runs"], timeout=30)
    by_id = {r["jobId"]: r for r in runs}
    assert all(by_id[j]["trigger"] == "schedule" and by_id[j]["requestedBy"] == "schedule"
               for j in queued)


def one_shot(seconds_ago: int) -> tuple[str, str]:
    """A daily six-field expression whose newest slot was ``seconds_ago`` s ago, and
    that slot as the scheduler prints it (UTC)."""
    slot = datetime.datetime.now(UTC).replace(microsecond=0) - datetime.timedelta(seconds=seconds_ago)
    return f"{slot.second} {slot.minute} {slot.hour} * * *", slot.strftime("%Y-%m-%d %H:%M:%S UTC")


@pytest.mark.slow
def test_a_missed_slot_inside_the_grace_runs_once_at_consumer_start(job_settings, start_consumer):
    expression, shown = one_shot(5)
    env = {"PROXYTUI_SCHEDULE": f"skk={expression}", "PROXYTUI_TZ": "UTC",
           "PROXYTUI_SCHEDULE_GRACE": "120"}
    first = start_consumer("ok", extra_env=env)
    mine = wait_for(lambda: [d for d in decisions(first.log()) if d[1] == shown])
    assert [kind for _, _, kind, _ in mine] == ["queued"]
    job_id = mine[0][3]
    record = wait_for(lambda: (r := jobs.type_status("skk"))["found"] and r)
    assert record["jobId"] == job_id and record["trigger"] == "schedule"

    second = start_consumer("ok", extra_env=env)  # a later consumer finds it claimed
    theirs = wait_for(lambda: [d for d in decisions(second.log()) if d[1] == shown])
    assert [kind for _, _, kind, _ in theirs] == ["already"]
    assert jobs.type_status("skk")["jobId"] == job_id


def test_a_missed_slot_outside_the_grace_is_not_run(job_settings, start_consumer):
    expression, shown = one_shot(90)
    env = {"PROXYTUI_SCHEDULE": f"pensiun={expression}", "PROXYTUI_TZ": "UTC",
           "PROXYTUI_SCHEDULE_GRACE": "30"}
    consumer = start_consumer("ok", extra_env=env)
    mine = wait_for(lambda: [d for d in decisions(consumer.log()) if d[1] == shown])
    assert [kind for _, _, kind, _ in mine] == ["missed"]
    assert jobs.type_status("pensiun")["found"] is False
    assert jobs.overview()["backend"]["queued"] == 0


def test_the_dashboard_reads_the_next_run_in_the_schedules_zone() -> None:
    from tui.format import next_run_text

    now = int(datetime.datetime(2026, 11, 29, 23, 0, tzinfo=UTC).timestamp() * 1000)
    nxt = int(datetime.datetime(2026, 11, 30, 19, 0, tzinfo=UTC).timestamp() * 1000)
    assert "02:00" in next_run_text(nxt, now, short=True, zone="Asia/Jakarta")  # 02:00 WIB
    assert "19:00" in next_run_text(nxt, now, short=True, zone="UTC")
