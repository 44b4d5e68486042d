"""The dashboard outlives its backend and does not outlive its terminal.

Redis is stopped and started under a running app (a private redis-server, never the
machine's), and a dashboard whose tmux session is killed, with SIGHUP ignored as under
nohup, must leave by itself.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from tasks import jobs
from tasks.backend import use_backend
from tasks.settings import configure, load_settings
from tests.dashboard_pilot import (
    anyio_backend,  # noqa: F401 (a fixture, for pytest)
    card_job,
    until,
)
from tests.support.jobenv import FAST_TIMINGS
from tui.app import ProxyTuiApp
from tui.screens.help import HelpScreen
from tui.widgets import Banner

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.anyio


@pytest.fixture
def private_settings(redis_server, tmp_path, monkeypatch):
    """This process's job state on the test's own redis-server."""
    env = {
        "PROXYTUI_REDIS_URL": redis_server.url,
        "PROXYTUI_KEY_PREFIX": f"pt{uuid.uuid4().hex[:10]}:",
        "PROXYTUI_DATABASE_URL": f"sqlite:///{tmp_path / 'proxy.db'}",
        "PROXYTUI_LANG": "en",
        **FAST_TIMINGS,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    configure(load_settings(env))
    use_backend(None)
    yield redis_server
    use_backend(None)


def make_app() -> ProxyTuiApp:
    app = ProxyTuiApp(interval=0.2, requested_by="tester", watch_terminal=False)
    app.animation_level = "none"
    return app


def banner(app: ProxyTuiApp) -> Banner:
    return app.dashboard.query_one("#banner-unreachable", Banner)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["stopped", "frozen"])
async def test_backend_gone_shows_a_banner_keys_respond_and_q_quits(private_settings, how):
    server = private_settings
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot["backend"]["reachable"])
        if how == "stopped":
            server.stop()
        else:  # alive but silent: every call runs into the socket timeout
            server.proc.send_signal(signal.SIGSTOP)
        try:
            await until(pilot, lambda: banner(app).display, timeout=10)
            assert "Cannot reach Redis" in str(banner(app).render())
            assert "unreachable" in str(app.dashboard.query_one("#header-bar").render())
            started = time.monotonic()
            await pilot.press("j", "j", "question_mark")
            assert app.dashboard.selected == 2
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=1)
            await pilot.press("escape")
            assert time.monotonic() - started < 1.0
            started = time.monotonic()
            await pilot.press("q")
        finally:
            if how == "frozen":
                server.proc.send_signal(signal.SIGCONT)
    quit_seconds = time.monotonic() - started
    assert quit_seconds < 1.0
    assert app.return_code == 0


@pytest.mark.slow
async def test_backend_back_clears_the_banner_and_rows_update(private_settings):
    server = private_settings
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot["backend"]["reachable"])
        server.stop()
        await until(pilot, lambda: banner(app).display, timeout=10)
        server.start()
        await until(pilot, lambda: not banner(app).display, timeout=10)
        job_id = jobs.request_sync("pg_akademik", requested_by="someone")["jobId"]
        await until(pilot, lambda: (card_job(app, "pg_akademik") or {}).get("jobId") == job_id)
        assert app.dashboard.query_one("#banner-noworker", Banner).display


@pytest.mark.slow
async def test_cards_say_unknown_until_the_backend_first_answers(private_settings):
    # Started while Redis is down, the dashboard cannot know whether any type has a job:
    # "never synced" would be a guess presented as a fact.
    server = private_settings
    server.stop()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: banner(app).display, timeout=10)
        shown = [str(card.render()) for card in app.dashboard.cards]
        assert all("unknown" in text and "never synced" not in text for text in shown), shown
        server.start()
        await until(pilot, lambda: not banner(app).display, timeout=10)
        await pilot.pause()
        shown = [str(card.render()) for card in app.dashboard.cards]
        assert all("never synced" in text and "unknown" not in text for text in shown), shown


def _sighup_ignored(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGHUP - 1)))
    return False


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
def test_lost_terminal_ends_the_app_even_with_sighup_ignored(job_env, tmp_path):
    if subprocess.run(["which", "tmux"], capture_output=True).returncode:
        pytest.skip("tmux is not installed")
    pid_file, code_file = tmp_path / "app.pid", tmp_path / "app.code"
    program = (
        "import os, sys; "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
        "from tui.app import run_dashboard; "
        "sys.exit(run_dashboard(interval=0.5, read_only=True, requested_by='t'))"
    )
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in job_env.items())
    script = tmp_path / "run.sh"
    script.write_text(
        "trap '' HUP\n"  # as under nohup: the hangup signal never arrives
        f"cd {shlex.quote(str(REPO))}\n"
        f"export {exports}\n"
        f"{shlex.quote(sys.executable)} -c {shlex.quote(program)}\n"
        f"echo $? > {shlex.quote(str(code_file))}\n"
    )
    socket_name = f"pt-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", socket_name, "-f", "/dev/null"]
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "80", "-y", "24", f"sh {shlex.quote(str(script))}"],
        check=True,
    )
    pid = None
    try:
        deadline = time.monotonic() + 20
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert time.monotonic() < deadline, "the dashboard did not start"
            time.sleep(0.05)
        pid = int(pid_file.read_text())
        while "proxytui" not in subprocess.run(
            [*tmux, "capture-pane", "-p"], capture_output=True, text=True
        ).stdout:
            assert time.monotonic() < deadline, "the dashboard did not draw"
            time.sleep(0.1)
        assert _sighup_ignored(pid)
        subprocess.run([*tmux, "kill-server"], check=True)
        deadline = time.monotonic() + 5
        while not _gone(pid):
            assert time.monotonic() < deadline, "the dashboard outlived its terminal by 5 s"
            time.sleep(0.05)
        deadline = time.monotonic() + 5
        while not code_file.exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert code_file.read_text().strip() == "129"
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        if pid is not None and not _gone(pid):
            os.kill(pid, signal.SIGKILL)
