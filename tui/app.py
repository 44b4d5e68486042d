"""The proxytui dashboard: watch and drive the proxy syncs from a terminal.

The app polls `overview()` in a thread worker every `interval` seconds (skipping a tick
while the previous poll is still out), diffs the snapshot against the last one and
repaints only the rows that changed. Every call that can block goes through a
`JobsSource` in a thread worker; the app itself never writes to stdout or stderr.
"""

from __future__ import annotations

import logging
import os
import sys
import termios
import threading
import time
from collections.abc import Iterable
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tasks.catalog import UnknownProxyType
from tasks.errors import BackendUnavailable, InvalidJobId
from tasks.texts import text
from tui.messages import OverviewFetched
from tui.source import JobsSource, LiveSource
from tui.widgets import first_line, fmt_duration, fmt_int, rows_of

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
# Like a shell reports a process ended by SIGHUP: the terminal went away under us.
EXIT_TERMINAL_LOST = 129
FINISHED = ("completed", "failed")
DARK_THEME, ANSI_THEME = "textual-dark", "ansi-dark"


def describe_error(exc: BaseException) -> str:
    """An exception from `tasks.jobs` as a sentence for a notification."""
    if isinstance(exc, BackendUnavailable):
        key = "backend.sqlite_unreachable" if exc.url.startswith("sqlite") else (
            "backend.unreachable"
        )
        return text(key, url=exc.url, reason=exc.reason)
    if isinstance(exc, UnknownProxyType | InvalidJobId):
        return str(exc)
    return text("dash.notify.error", error=first_line(exc) or type(exc).__name__)


def terminal_alive(fd: int) -> bool:
    """False once the terminal on ``fd`` has hung up (SSH dropped, tmux killed)."""
    try:
        termios.tcgetattr(fd)
    except (termios.error, OSError, ValueError):
        return False
    return True


def _exit_soon(code: int, after: float) -> None:
    """Last resort when a clean shutdown stalls on a dead terminal."""
    time.sleep(after)
    os._exit(code)


class ProxyTuiApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "proxytui"
    BINDINGS = [
        Binding("q", "quit", text("dash.action.quit"), id="quit",
                tooltip=text("dash.tip.quit")),
        Binding("question_mark", "help", text("dash.action.help"), id="help",
                tooltip=text("dash.tip.help"), key_display="?"),
        Binding("p", "toggle_pause", text("dash.action.pause"), id="pause",
                tooltip=text("dash.tip.pause")),
        Binding("r", "refresh", text("dash.action.refresh"), id="refresh", show=False,
                tooltip=text("dash.tip.refresh")),
        Binding("t", "toggle_ansi", text("dash.action.theme"), id="theme", show=False,
                tooltip=text("dash.tip.theme")),
    ]

    def __init__(
        self,
        *,
        source: JobsSource | None = None,
        interval: float = 1.0,
        read_only: bool = False,
        requested_by: str | None = None,
        watch_terminal: bool = True,
    ) -> None:
        super().__init__()
        self.source: JobsSource = source or LiveSource()
        self.interval = max(0.1, float(interval))
        self.read_only = read_only
        self.requested_by = requested_by
        self.watch_terminal = watch_terminal
        self.paused = False
        self.snapshot: dict[str, Any] | None = None
        self.polls = 0
        self._poll_busy = False
        self._last_jobs: dict[str, dict[str, Any] | None] | None = None
        self._terminal_lost = False
        self._parent_pid = os.getppid()
        self._dark_theme = DARK_THEME

    # -- life cycle ---------------------------------------------------------------------

    def on_mount(self) -> None:
        from tui.screens.dashboard import DashboardScreen

        self.dashboard = DashboardScreen()
        self.push_screen(self.dashboard)

    def on_ready(self) -> None:
        self.set_interval(self.interval, self.poll, name="poll")
        self.poll()
        if self.watch_terminal and not self.is_headless:
            fd = sys.__stdin__.fileno() if sys.__stdin__ else -1
            if fd >= 0 and os.isatty(fd):
                self.set_interval(1.0, lambda: self._check_terminal(fd), name="tty-watch")

    def _check_terminal(self, fd: int) -> None:
        if self._terminal_lost:
            return
        if terminal_alive(fd) and os.getppid() == self._parent_pid:
            return
        self._terminal_lost = True
        logger.warning("terminal lost; exiting")
        threading.Thread(
            target=_exit_soon, args=(EXIT_TERMINAL_LOST, 2.0), daemon=True
        ).start()
        self.exit(return_code=EXIT_TERMINAL_LOST)

    # -- polling ------------------------------------------------------------------------

    def poll(self, force: bool = False) -> None:
        """One tick: fetch the overview unless paused or a poll is still out."""
        if self.paused and not force:
            return
        if not self._poll_busy:
            self._poll_busy = True
            self._fetch_overview()
        tick = getattr(self.screen, "tick", None)
        if tick is not None:
            tick()

    @work(thread=True, exit_on_error=False, group="poll")
    def _fetch_overview(self) -> None:
        snapshot, error = None, None
        try:
            snapshot = self.source.overview()
        except Exception as exc:  # the dashboard must outlive any backend trouble
            error = describe_error(exc)
        self.post_message(OverviewFetched(snapshot, error))

    def on_overview_fetched(self, message: OverviewFetched) -> None:
        self._poll_busy = False
        self.polls += 1
        snapshot = message.snapshot
        if snapshot is None:
            snapshot = self._unreachable(message.error or "?")
        elif not snapshot["backend"]["reachable"]:
            # Keep showing the last rows we know while the backend is away; before the
            # first answer there are none, and the cards say "unknown", not "no job".
            snapshot = {**snapshot, "types": self.snapshot["types"] if self.snapshot else []}
        if snapshot["backend"]["reachable"]:
            self._notify_transitions(snapshot)
        self.snapshot = snapshot
        self.dashboard.show(snapshot, self.now_ms())

    def _unreachable(self, reason: str) -> dict[str, Any]:
        previous = self.snapshot or {"backend": {"url": "", "kind": ""}, "types": []}
        backend = {
            **previous["backend"], "reachable": False, "error": reason, "noWorker": False,
            "workers": 0, "queued": 0, "scheduled": 0,
        }
        return {"now": None, "backend": backend, "types": previous["types"]}

    def now_ms(self) -> int:
        if self.snapshot and self.snapshot.get("now"):
            return int(self.snapshot["now"])
        return self.source.clock_ms()

    def _notify_transitions(self, snapshot: dict[str, Any]) -> None:
        """A job that finished since the last poll: say how it ended."""
        current = {row["type"]: row["job"] for row in snapshot["types"]}
        previous, self._last_jobs = self._last_jobs, current
        if previous is None:
            return
        for row in snapshot["types"]:
            job, before = row["job"], previous.get(row["type"])
            if not job or job["state"] not in FINISHED:
                continue
            if before and before["jobId"] == job["jobId"] and before["state"] in FINISHED:
                continue
            self.notify_finished(row["title"], job)

    def notify_finished(self, title: str, job: dict[str, Any]) -> None:
        if job["state"] == "completed":
            result = job.get("result") or {}
            duration = result.get("durationMs")
            if duration is None and job.get("startedAt") and job.get("finishedAt"):
                duration = job["finishedAt"] - job["startedAt"]
            self.notify(
                text("dash.notify.completed", type=title, rows=fmt_int(rows_of(result)),
                     duplicates=fmt_int(result.get("duplicates_removed", 0)),
                     duration=fmt_duration(duration)),
                title=job["jobId"],
            )
        else:
            self.notify(
                text("dash.notify.failed", type=title,
                     error=first_line(job.get("error")) or "?"),
                title=job["jobId"], severity="error", timeout=12,
            )

    # -- actions ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.poll(force=True)

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self.notify(text("dash.notify.paused" if self.paused else "dash.notify.resumed"))
        if self.snapshot is not None:
            self.dashboard.show(self.snapshot, self.now_ms())
        if not self.paused:
            self.poll()

    def action_toggle_ansi(self) -> None:
        if self.theme == ANSI_THEME:
            self.theme = self._dark_theme
        else:
            self._dark_theme = self.theme
            self.theme = ANSI_THEME

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        board = self.dashboard
        commands = [
            ("sync", "dash.action.sync", "dash.tip.sync", board.action_sync, True),
            ("force", "dash.action.force", "dash.tip.force", board.action_force, True),
            ("cleanup", "dash.action.cleanup", "dash.tip.cleanup", board.action_cleanup, True),
            ("cleanup_all", "dash.action.cleanup_all", "dash.tip.cleanup_all",
             board.action_cleanup_all, True),
            ("detail", "dash.action.detail", "dash.tip.detail", board.action_detail, False),
            ("jobs", "dash.action.jobs", "dash.tip.jobs", board.action_jobs, False),
            ("refresh", "dash.action.refresh", "dash.tip.refresh", self.action_refresh, False),
            ("pause", "dash.action.pause", "dash.tip.pause", self.action_toggle_pause, False),
            ("theme", "dash.action.theme", "dash.tip.theme", self.action_toggle_ansi, False),
            ("help", "dash.action.help", "dash.tip.help", self.action_help, False),
        ]
        for _name, label, tip, callback, changes in commands:
            if changes and self.read_only:
                continue
            yield SystemCommand(text(label), text(tip), callback)


def run_dashboard(
    *,
    interval: float = 1.0,
    read_only: bool = False,
    requested_by: str | None = None,
    source: JobsSource | None = None,
) -> int:
    """Run the dashboard until the operator quits; the process exit code.

    0: quit normally; 1: the app failed (Textual has restored the terminal and shown
    the traceback); 129: the terminal went away (SSH dropped) and the app left.
    """
    app = ProxyTuiApp(
        source=source, interval=interval, read_only=read_only, requested_by=requested_by
    )
    app.run()
    if app.return_code is None:
        return EXIT_OK
    return app.return_code
