"""The ``proxytui`` command: the dashboard by default, and the same operations as
subcommands for scripts.

Exit codes (DESIGN.md): 0 ok, 1 not found / failed, 2 bad usage, 3 already running,
4 backend unreachable. Bad input gets one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tasks import argtypes
from tasks.catalog import PROXY_TYPES, UnknownProxyType, get_proxy_type
from tasks.errors import (
    BackendUnavailable,
    DatasetUnavailable,
    InvalidJobId,
    InvalidJobState,
    InvalidLimit,
    ProxytuiError,
)
from tasks.schedule import ScheduleError, validate_schedule
from tasks.settings import SettingsError, get_settings
from tasks.texts import text

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_RUNNING, EXIT_UNREACHABLE = 0, 1, 2, 3, 4

logger = logging.getLogger("proxytui")


class UsageError(ProxytuiError):
    """Bad input from the operator: printed as one line, exit 2."""


def proxy_type_arg(value: str) -> str:
    try:
        return get_proxy_type(value).name
    except UnknownProxyType:
        raise argparse.ArgumentTypeError(
            text("type.unknown", type=value, valid=", ".join(PROXY_TYPES))
        ) from None


def history_limit(value: str) -> int:
    from tasks.jobs import HISTORY_MAX

    if not value.isdigit() or not 1 <= int(value) <= HISTORY_MAX:
        raise argparse.ArgumentTypeError(
            text("history.bad_limit", limit=value, maximum=HISTORY_MAX)
        )
    return int(value)


def emit(answer: Mapping[str, Any], as_json: bool, render: Callable[[Any], str]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(answer, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render(answer) + "\n")


# -- subcommands ------------------------------------------------------------------------


def cmd_sync(args: argparse.Namespace) -> int:
    from tasks import jobs
    from tui.render import render_sync

    if args.timeout is not None and not args.wait:
        raise UsageError(text("wait.timeout_alone"))
    answer = jobs.request_sync(
        args.type, force=args.force, requested_by=args.requested_by, trigger="cli"
    )
    if args.wait and answer["status"] in ("queued", "running"):
        return wait_for_job(answer, args.timeout, args.json)
    emit(answer, args.json, render_sync)
    if answer["status"] == "running":
        return EXIT_RUNNING
    return EXIT_FAILED if answer["status"] == "failed" else EXIT_OK


def say(line: str) -> None:
    """One line for the operator on stderr (stdout is the answer scripts parse)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def wait_for_job(answer: Mapping[str, Any], timeout: float | None, as_json: bool) -> int:
    """Follow the job `request_sync` answered with until it ends; print its status as
    `status` does.

    Exit 0 completed, 1 failed or gone (cleaned up, replaced by a force), 3 still running
    at ``timeout``. Progress goes to stderr, one line per change of state or stage, so
    that stdout holds only the final answer. A backend that drops out is waited for:
    the job goes on without us, and so do we.
    """
    from tasks import jobs
    from tui.render import render_status

    job_id = answer["jobId"]
    interval = get_settings().poll_interval
    deadline = None if timeout is None else time.monotonic() + timeout
    shown: tuple[Any, ...] = ()
    try:
        say(answer["message"])  # which job: queued, or already running
        while True:
            try:
                record = jobs.job_status(job_id)
            except BackendUnavailable as exc:
                line: tuple[Any, ...] = ("unreachable", exc.reason)
                if line != shown:
                    say(text("wait.unreachable", jobId=job_id, reason=exc.reason))
                    shown = line
            else:
                if not record["found"] or record["state"] in jobs.FINISHED_STATES:
                    emit(record, as_json, render_status)
                    return EXIT_OK if record.get("state") == "completed" else EXIT_FAILED
                stage = (record.get("progressInfo") or {}).get("stage")
                line = (record["state"], stage)
                if line != shown:
                    say(text(
                        "wait.progress", jobId=job_id, state=record["state"],
                        stage=f", {stage}" if stage else "", progress=record.get("progress", 0),
                    ))
                    shown = line
            if deadline is not None and time.monotonic() >= deadline:
                say(text("wait.timeout", jobId=job_id, seconds=f"{timeout:g}"))
                return EXIT_RUNNING
            pause = interval if deadline is None else min(interval, deadline - time.monotonic())
            time.sleep(max(0.0, pause))
    except KeyboardInterrupt:
        say("\n" + text("wait.interrupted", jobId=job_id))
        return 130


def cmd_status(args: argparse.Namespace) -> int:
    from tasks import jobs
    from tui.render import render_status

    try:
        proxy_type = get_proxy_type(args.job_id).name
    except UnknownProxyType:
        answer = jobs.job_status(args.job_id)
    else:
        answer = jobs.type_status(proxy_type)
    emit(answer, args.json, render_status)
    if not answer["found"]:
        return EXIT_FAILED
    return EXIT_FAILED if answer["state"] == "failed" else EXIT_OK


def cmd_jobs(args: argparse.Namespace) -> int:
    from tasks import jobs
    from tui.render import render_jobs

    emit(jobs.list_jobs(args.type), args.json, render_jobs)
    return EXIT_OK


def cmd_cleanup(args: argparse.Namespace) -> int:
    from tasks import jobs
    from tui.render import render_cleanup

    cancels = args.state is None or bool({"active", "stalled"} & set(args.state))
    if args.type is None and cancels and not args.yes:
        # Every type, running jobs cancelled: ask on a terminal, refuse without one.
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise UsageError(text("dash.cleanup.refused"))
        sys.stderr.write(text("dash.cleanup.confirm"))
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes", "ya"):
            say(text("dash.cleanup.kept"))
            return EXIT_FAILED
    emit(jobs.cleanup(args.type, states=args.state), args.json, render_cleanup)
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from tasks import jobs
    from tui.render import render_history

    emit(jobs.history(args.type, limit=args.limit), args.json, render_history)
    return EXIT_OK


def cmd_schedule(args: argparse.Namespace) -> int:
    from tasks import jobs
    from tui.render import render_schedules

    emit(jobs.schedules(), args.json, render_schedules)
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace) -> int:
    from tui.app import run_dashboard

    return run_dashboard(
        interval=args.interval or get_settings().poll_interval,
        read_only=args.read_only,
        requested_by=args.requested_by,
    )


def cmd_fake_siasn(args: argparse.Namespace) -> int:
    from tasks.siasn.fake import main as fake_main

    return fake_main(args.rest)


def cmd_demo(args: argparse.Namespace) -> int:
    from tui.demo import run_demo

    return run_demo(args)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from tui.api.serve import run_serve
    except ImportError as exc:
        raise UsageError(
            f"`proxytui serve` needs the api extra ({exc.name} is missing): "
            "pip install 'proxytui[api]'"
        ) from None
    return run_serve(args)


# -- the parser -------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proxytui",
        description="Run and watch the SIASN proxy syncs. With no command: the dashboard.",
    )
    parser.add_argument("--interval", type=argtypes.positive_seconds, default=None,
                        help="dashboard poll interval, seconds (default: PROXYTUI_POLL_INTERVAL)")
    parser.add_argument("--read-only", action="store_true",
                        help="dashboard: hide and refuse every action that changes state")
    parser.add_argument("--requested-by", default=None,
                        help="name recorded as requestedBy (default: your login name)")
    parser.set_defaults(func=cmd_dashboard)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def add(name: str, func: Callable, help_text: str, **kw: Any) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text, **kw)
        cmd.set_defaults(func=func)
        return cmd

    types = ", ".join(PROXY_TYPES)
    cmd = add("sync", cmd_sync, "request a sync of one proxy type (single-flight)")
    cmd.add_argument("type", type=proxy_type_arg, help=f"one of: {types}")
    cmd.add_argument("--force", action="store_true",
                     help="replace a running or finished job with a new one")
    cmd.add_argument("--requested-by", default=None, help="default: your login name")
    cmd.add_argument("--json", action="store_true", help="print the contract JSON")
    cmd.add_argument("--wait", action="store_true",
                     help="follow the job until it ends and print its status; exit 0 "
                     "completed, 1 failed, 3 still running at --timeout")
    cmd.add_argument("--timeout", type=argtypes.positive_seconds, default=None,
                     help="with --wait: stop waiting after this many seconds")

    cmd = add("status", cmd_status, "show one job, with its log")
    cmd.add_argument(
        "job_id", metavar="JOB_ID|TYPE",
        help=f"proxy-<type>-<epoch ms>, or a type ({types}) for its current job",
    )
    cmd.add_argument("--json", action="store_true", help="print the contract JSON")

    cmd = add("jobs", cmd_jobs, "list jobs grouped by state")
    cmd.add_argument("--type", type=proxy_type_arg, default=None, help=f"one of: {types}")
    cmd.add_argument("--json", action="store_true", help="print the contract JSON")

    cmd = add("cleanup", cmd_cleanup, "remove the jobs of one type or all (cancels running ones)")
    cmd.add_argument("--type", type=proxy_type_arg, default=None, help=f"one of: {types}")
    cmd.add_argument("--yes", action="store_true",
                     help="without --type: do not ask (needed when there is no terminal)")
    cmd.add_argument("--state", action="append", default=None, metavar="S",
                     help="only jobs in this state (repeatable): waiting, active, delayed, "
                     "stalled, completed, failed; default every state. A running job goes "
                     "only with --state active")
    cmd.add_argument("--json", action="store_true", help="print the contract JSON")

    cmd = add("history", cmd_history, "finished runs from the run ledger, newest first")
    cmd.add_argument("type", nargs="?", type=proxy_type_arg, default=None,
                     help=f"one of: {types} (default: all)")
    cmd.add_argument("--limit", type=history_limit, default=50,
                     help="how many runs, 1 to 1000 (default: 50)")
    cmd.add_argument("--json", action="store_true", help="print the contract JSON")

    cmd = add("schedule", cmd_schedule, "the sync schedules (PROXYTUI_SCHEDULE) and next runs")
    cmd.add_argument("--json", action="store_true", help="print the contract JSON")

    # Its options (and --help) belong to the fake's own parser: see main().
    add("fake-siasn", cmd_fake_siasn, "run the local fake SIASN server", add_help=False)

    cmd = add("demo", cmd_demo, "everything on one machine: no Redis needed")
    cmd.add_argument("--headless", action="store_true",
                     help="run all five syncs, print a summary and exit")
    cmd.add_argument("--rows", type=argtypes.positive_int, default=None,
                     help="rows per type in the fake upstream")

    cmd = add("serve", cmd_serve, "serve the HTTP API")
    try:
        from tui.api.serve import add_serve_arguments
    except ImportError:
        pass
    else:
        add_serve_arguments(cmd)
    return parser


def configure_logging() -> None:
    level = logging.DEBUG if os.environ.get("PROXYTUI_DEBUG") else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.func is cmd_fake_siasn:
        args.rest = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    interactive = args.func in (cmd_dashboard, cmd_demo)
    if not interactive:
        configure_logging()
    try:
        settings = get_settings()
        if args.func is not cmd_fake_siasn:
            validate_schedule(settings)  # a bad PROXYTUI_SCHEDULE stops us at start
        return int(args.func(args) or 0)
    except (
        SettingsError,
        UsageError,
        InvalidJobId,
        InvalidJobState,
        UnknownProxyType,
        ScheduleError,
        InvalidLimit,
    ) as exc:
        sys.stderr.write(f"proxytui: {exc}\n")
        return EXIT_USAGE
    except BackendUnavailable as exc:
        key = "backend.sqlite_unreachable" if get_settings().embedded else "backend.unreachable"
        sys.stderr.write(f"proxytui: {text(key, url=exc.url, reason=exc.reason)}\n")
        return EXIT_UNREACHABLE
    except DatasetUnavailable as exc:
        line = text("dataset.unreachable", url=exc.url, reason=exc.reason)
        sys.stderr.write(f"proxytui: {line}\n")
        return EXIT_UNREACHABLE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the operator gets one line, not a traceback
        if os.environ.get("PROXYTUI_DEBUG"):
            raise
        sys.stderr.write(
            f"proxytui: unexpected error: {type(exc).__name__}: {exc} "
            "(set PROXYTUI_DEBUG=1 to see the traceback)\n"
        )
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
