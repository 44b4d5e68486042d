"""`proxytui` with no command opens the dashboard in a real terminal (tmux), as operators
start it over SSH: it draws, takes keys, says when Redis is unreachable, and quits with 0."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tasks import jobs
from tests.support.jobenv import wait_for

PROXYTUI = str(Path(sys.executable).with_name("proxytui"))


class Terminal:
    def __init__(self, tmp_path: Path, env: dict[str, str], *args: str,
                 size: tuple[int, int] = (100, 30)) -> None:
        if shutil.which("tmux") is None:
            pytest.skip("tmux is not installed")
        self.code_file = tmp_path / "exit.code"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        script = tmp_path / "run.sh"
        command = " ".join(shlex.quote(a) for a in (PROXYTUI, *args))
        script.write_text(f"export {exports}\n{command}\necho $? > {self.code_file}\n")
        self.tmux = ["tmux", "-L", f"pt-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-x", str(size[0]), "-y", str(size[1]),
             f"sh {script}"],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p"], capture_output=True, text=True
        ).stdout

    def press(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", *keys], check=True)

    def exit_code(self) -> int:
        wait_for(self.code_file.exists, timeout=10)
        return int(self.code_file.read_text())

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


@pytest.fixture
def terminal(tmp_path):
    opened: list[Terminal] = []

    def open_terminal(env: dict[str, str], *args: str, **kw) -> Terminal:
        opened.append(Terminal(tmp_path, env, *args, **kw))
        return opened[-1]

    yield open_terminal
    for term in opened:
        term.close()


@pytest.mark.slow
def test_proxytui_opens_the_dashboard_takes_a_key_and_quits_cleanly(job_env, job_settings, terminal):
    term = terminal(job_env, "--requested-by", "operator-7")
    wait_for(lambda: "Rank promotion (pangkat)" in term.screen())
    term.press("s")  # sync the selected (first) row
    job = wait_for(lambda: (g := jobs.list_jobs("pangkat"))["waiting"] and g["waiting"][0])
    assert job["requestedBy"] == "operator-7"
    wait_for(lambda: job["jobId"] in term.screen())
    term.press("q")
    assert term.exit_code() == 0


@pytest.mark.slow
@pytest.mark.redis_only
def test_proxytui_against_an_unreachable_redis_says_so_and_still_quits(job_env, terminal):
    env = {**job_env, "PROXYTUI_REDIS_URL": "redis://:secret@127.0.0.1:1/0"}
    term = terminal(env)
    wait_for(lambda: "unreachable" in term.screen())
    screen = term.screen()
    assert "redis://:***@127.0.0.1:1/0" in screen and "secret" not in screen
    # An action while unreachable is refused in words (a toast beside the banner's own
    # sentence), not a crash.
    said = term.screen().count("Cannot")
    term.press("s")
    wait_for(lambda: term.screen().count("Cannot") > said)
    term.press("q")
    assert term.exit_code() == 0


@pytest.mark.slow
def test_toasts_never_cover_a_dialog_and_leave_the_terminal_when_they_expire(
    job_env, job_settings, start_consumer, terminal
):
    """80x24, as over SSH: five syncs finish at once and stack their toasts. `f` then shows
    the whole question and both buttons; after the toast timeout the toast text is gone
    from the terminal itself (capture-pane), with no key pressed."""
    term = terminal(job_env, "--interval", "0.3", size=(80, 24))
    wait_for(lambda: "Rank promotion (pangkat)" in term.screen())
    start_consumer(behaviour="ok", workers=5)
    for name in ("pangkat", "pensiun", "pg_akademik", "pg_profesi", "skk"):
        jobs.request_sync(name, requested_by="tmux")
    toast = "duplicates removed"  # only the "completed" toasts say it
    wait_for(lambda: term.screen().count(toast) >= 2, timeout=30)
    term.press("f")
    screen = wait_for(lambda: next((s for s in [term.screen()] if "Force a new" in s), None))
    assert "No (n)" in screen and "Yes (y)" in screen
    assert "is cancelled." in screen  # the question's last words
    term.press("n")
    wait_for(lambda: "Force a new" not in term.screen())
    # Toasts last 5 s; give them that and a margin, then they must be off the terminal.
    wait_for(lambda: toast not in term.screen(), timeout=15)
    assert "Rank promotion (pangkat)" in term.screen()
    term.press("q")
    assert term.exit_code() == 0
