"""The proxytui dashboard: watch and drive the proxy syncs from a terminal.

The app polls `overview()` every `interval` seconds through `ThreadCalls` (skipping a
tick while the previous poll is still out), and hands the snapshot to the dashboard
screen, whose widgets repaint only what changed. Every call that can block goes through
a `JobsSource` in a thread; the app itself never writes to stdout or stderr.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import termios
import threading
import time
from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tasks.errors import BackendUnavailable
from tasks.texts import text
from tui.error_text import describe_error
from tui.format import FINISHED, first_line, fmt_duration, fmt_int, job_duration, rows_of
from tui.reading import ThreadCalls
from tui.screens.dashboard import CHANGES_STATE, DashboardScreen
from tui.screens.help import HelpScreen
from tui.source import JobsSource, LiveSource

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
# Like a shell reports a process ended by SIGHUP: the terminal went away under us.
EXIT_TERMINAL_LOST = 129
DARK_THEME, ANSI_THEME = "textual-dark", "ansi-dark"
TOAST_TIMEOUT = 5.0
ERROR_TOAST_TIMEOUT = 12.0


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


class ProxyTuiApp(ThreadCalls, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "proxytui"
    NOTIFICATION_TIMEOUT = TOAST_TIMEOUT
    BINDINGS = [
        Binding("q", "quit", text("dash.action.quit"), id="quit",
                tooltip=text("dash.tip.quit")),
        Binding("question_mark", "help", text("dash.action.help"), id="help",
                tooltip=text("dash.tip.help"), key_display="?"),
        # One key, two bindings: the footer says Pause while polling, Resume while paused.
        Binding("p", "pause", text("dash.action.pause"), id="pause",
                tooltip=text("dash.tip.pause")),
        Binding("p", "resume", text("dash.action.resume"), id="resume",
                tooltip=text("dash.tip.resume")),
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
        self.read_at: int | None = None  # when the snapshot on screen was read (ms)
        self.refreshing = False  # `r` was pressed and its answer is not in yet
        self.expected: dict[str, int] = {}  # job id -> largest expected total seen
        self._last_jobs: dict[str, dict[str, Any] | None] | None = None
        self._toasts: list[tuple[float, int]] = []  # (expires, lines) of toasts shown
        self._terminal_lost = False
        self._parent_pid = os.getppid()
        self._dark_theme = DARK_THEME
        self.dashboard = DashboardScreen()

    # -- life cycle ---------------------------------------------------------------------

    def on_mount(self) -> None:
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
        """One tick: fetch the overview unless paused or a poll is still out; let the
        screen on top read what it shows."""
        if self.paused and not force:
            self.dashboard.show_clock()  # the data on screen grows old; say so
            return
        self.call_in_thread("overview", self.source.overview, self._overview_read)
        tick = getattr(self.screen, "tick", None)
        if tick is not None:
            tick()

    def _overview_read(self, snapshot: dict[str, Any] | None, error: BaseException | None
                       ) -> None:
        self.polls += 1
        self.refreshing = False
        if snapshot is None:
            snapshot = self._unreachable(error or RuntimeError("?"))
        elif not snapshot["backend"]["reachable"]:
            # Keep showing the last rows we know while the backend is away; before the
            # first answer there are none, and the cards say "unknown", not "no job".
            snapshot = {**snapshot, "types": self.snapshot["types"] if self.snapshot else []}
        if snapshot["backend"]["reachable"]:
            self._notify_transitions(snapshot)
            self._track_totals(snapshot)
            self.read_at = snapshot.get("now") or self.source.clock_ms()
        self.snapshot = snapshot
        self.dashboard.show(snapshot, self.now_ms())

    def _unreachable(self, error: BaseException) -> dict[str, Any]:
        """A snapshot for an overview call that raised: the job store did not answer
        (its URL and reason), or something else went wrong (its sentence)."""
        previous = self.snapshot or {"backend": {"url": "", "kind": ""}, "types": []}
        backend = {
            **previous["backend"], "reachable": False, "noWorker": False,
            "workers": 0, "queued": 0, "scheduled": 0, "failure": None,
        }
        if isinstance(error, BackendUnavailable):
            backend.update(url=error.url, error=error.reason)
        else:
            backend.update(error=first_line(error), failure=describe_error(error))
        return {**previous, "now": None, "backend": backend, "types": previous["types"]}

    def _track_totals(self, snapshot: dict[str, Any]) -> None:
        """Keep each running job's expected total moving one way: up."""
        seen: dict[str, int] = {}
        for row in snapshot["types"]:
            job = row.get("job")
            if not job:
                continue
            info = job.get("progressInfo") or {}
            values = [v for v in (info.get("expectedTotal"), self.expected.get(job["jobId"]))
                      if v is not None]
            if info.get("currentTotal") is not None and values:
                values.append(info["currentTotal"])
            if values:
                seen[job["jobId"]] = int(max(values))
        self.expected = seen

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
            self.notify(text(
                "dash.notify.completed", type=title, rows=fmt_int(rows_of(result)),
                duplicates=fmt_int(result.get("duplicates_removed", 0)),
                duration=fmt_duration(job_duration(job)),
            ))
        else:
            self.notify(
                text("dash.notify.failed", type=title, error=first_line(job.get("error")) or "?"),
                severity="error", timeout=ERROR_TOAST_TIMEOUT,
            )

    # -- notifications ------------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """A toast that never makes the toast rack taller than the screen.

        Textual scrolls a rack taller than the screen, and a toast that expires out of a
        scrolled rack leaves its cells painted (nothing marks them dirty). So old toasts
        are cleared before a new one would overflow, and each expiry repaints the
        screen once, which makes "expired" mean "gone from the terminal".
        """
        timeout = TOAST_TIMEOUT if timeout is None else timeout
        now = time.monotonic()
        lines = self._toast_lines(message, title)
        self._toasts = [(end, n) for end, n in self._toasts if end > now]
        room = max(4, self.size.height - 4)
        if sum(n for _, n in self._toasts) + lines > room:
            self.clear_notifications()
            self._toasts = []
        self._toasts.append((now + timeout, lines))
        super().notify(message, title=title, severity=severity, timeout=timeout,
                       markup=markup)
        self.set_timer(timeout + 0.1, self._toast_expired, name="toast-expired")

    def _toast_lines(self, message: str, title: str) -> int:
        """Rows a toast takes: its wrapped text, plus one for its margin."""
        width = max(10, min(60, self.size.width // 2) - 4)
        rows = sum(max(1, math.ceil(len(line) / width)) for line in message.splitlines() or [""])
        return rows + (1 if title else 0) + 1

    def _toast_expired(self) -> None:
        self.screen.refresh(repaint=True)

    def notify_error(self, exc: BaseException) -> None:
        self.notify(describe_error(exc), severity="error", timeout=ERROR_TOAST_TIMEOUT)

    def refuse_read_only(self) -> bool:
        """In read-only mode, say so (an action key is never ignored silently)."""
        if self.read_only:
            self.notify(text("dash.notify.read_only"), severity="warning")
            return True
        return False

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pause":
            return not self.paused
        if action == "resume":
            return self.paused
        return True

    def action_pause(self) -> None:
        self.action_toggle_pause()

    def action_resume(self) -> None:
        self.action_toggle_pause()

    def action_refresh(self) -> None:
        self.refreshing = True
        self.dashboard.show_clock()
        self.poll(force=True)

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self.notify(text("dash.notify.paused" if self.paused else "dash.notify.resumed"))
        self.refresh_bindings()
        self.dashboard.show_header()
        if not self.paused:
            self.poll()

    def action_toggle_ansi(self) -> None:
        if self.theme == ANSI_THEME:
            self.theme = self._dark_theme
        else:
            self._dark_theme = self.theme
            self.theme = ANSI_THEME

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        board = self.dashboard
        # (name, callback): the palette's words are dash.action.<name> and dash.tip.<name>.
        commands = [
            ("sync", board.action_sync), ("force", board.action_force),
            ("cleanup", board.action_cleanup), ("cleanup_all", board.action_cleanup_all),
            ("detail", board.action_detail), ("history", board.action_history),
            ("jobs", board.action_jobs), ("workers", board.action_workers),
            ("refresh", self.action_refresh), ("pause", self.action_toggle_pause),
            ("theme", self.action_toggle_ansi), ("help", self.action_help),
        ]
        for name, callback in commands:
            if name in CHANGES_STATE and self.read_only:
                continue
            yield SystemCommand(text(f"dash.action.{name}"), text(f"dash.tip.{name}"), callback)


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
