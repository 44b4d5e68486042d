"""`proxytui demo`: all five syncs through the embedded queue, and a quit that leaves
nothing behind (no thread, no child process, no listening port)."""

from __future__ import annotations

import argparse
import os
import pty
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from tasks.texts import text
from tests.support.jobenv import wait_for

PROXYTUI = str(Path(sys.executable).with_name("proxytui"))
CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there: the demo must not need Redis


def demo_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROXYTUI_", "SIASN_"))}
    return {**env, "XDG_DATA_HOME": str(tmp_path), "PROXYTUI_REDIS_URL": CLOSED_REDIS}


def listening_ports(pid: int) -> set[int]:
    try:
        conns = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return set()
    return {c.laddr.port for c in conns if c.status == psutil.CONN_LISTEN}


def port_closed(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_headless_demo_runs_all_five_syncs_and_prints_a_summary(tmp_path):
    result = subprocess.run(
        [PROXYTUI, "demo", "--headless", "--rows", "300"],
        env=demo_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["type", "state", "rows", "duplicates", "seconds"]
    rows = {line.split()[0]: line.split() for line in lines[3:8]}
    assert set(rows) == {"pangkat", "pensiun", "pg_akademik", "pg_profesi", "skk"}
    assert all(row[1] == "completed" and int(row[2]) == 300 for row in rows.values())
    assert (tmp_path / "proxytui" / "demo" / "queue.db").is_file()


@pytest.mark.slow
def test_quitting_the_demo_mid_sync_stops_every_thread_and_closes_the_port(tmp_path, monkeypatch):
    """In-process: the dashboard quits while syncs run; everything the demo started ends."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    from tasks import jobs
    from tui import app as app_module
    from tui import demo

    before = set(threading.enumerate())
    seen: dict[str, object] = {}

    def dashboard(**kwargs) -> int:
        fake_port = demo_ports[0]
        seen["listening"] = fake_port in listening_ports(os.getpid())
        wait_for(lambda: any(r["job"] and r["job"]["state"] == "active"
                             for r in jobs.overview()["types"]), timeout=30)
        app = app_module.ProxyTuiApp(watch_terminal=False, **kwargs)

        async def quit_soon(pilot) -> None:
            # Quit once the dashboard has shown the running syncs, not after a fixed pause.
            deadline = time.monotonic() + 30
            while pilot.app.snapshot is None and time.monotonic() < deadline:
                await pilot.pause()
            await pilot.press("q")

        app.run(headless=True, auto_pilot=quit_soon)
        seen["states"] = {r["type"]: r["job"]["state"] for r in jobs.overview()["types"]}
        return 0

    demo_ports: list[int] = []
    real_start = demo.FakeSiasn.start

    def start(self):
        started = real_start(self)
        demo_ports.append(self.port)
        return started

    monkeypatch.setattr(demo.FakeSiasn, "start", start)
    monkeypatch.setattr(app_module, "run_dashboard", dashboard)
    code = demo.run_demo(argparse.Namespace(headless=False, rows=20_000, interval=0.2))
    assert code == 0
    assert seen["listening"] is True
    assert "active" in seen["states"].values()  # we really quit in the middle of a sync
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == [], leftover
    assert psutil.Process().children(recursive=True) == []
    assert port_closed(demo_ports[0])
    assert demo_ports[0] not in listening_ports(os.getpid())


@pytest.mark.slow
def test_quitting_the_demo_in_a_terminal_leaves_no_process_and_no_port(tmp_path):
    """Out of process, in a real pseudo-terminal: press q, and the demo is gone."""
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    env = {**demo_env(tmp_path), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40",
           "PROXYTUI_LANG": "en"}
    proc = subprocess.Popen([PROXYTUI, "demo", "--rows", "20000"], stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    screen = bytearray()

    def drain() -> None:
        try:
            while chunk := os.read(master, 65536):
                screen.extend(chunk)
        except OSError:
            pass

    try:
        ports = wait_for(lambda: listening_ports(proc.pid), timeout=30)
        # Quit mid-sync: once the screen shows a sync running (the state word of an
        # active job), not after a fixed pause.
        running = text("dash.state.active", lang="en").encode()
        wait_for(lambda: (drain(), b"pangkat" in screen and running in screen)[1], timeout=60)
        children = psutil.Process(proc.pid).children(recursive=True)
        os.write(master, b"q")
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            drain()
            time.sleep(0.05)
        assert proc.poll() == 0, bytes(screen[-2000:]).decode(errors="replace")
        assert not psutil.pid_exists(proc.pid) or psutil.Process(proc.pid).status() == "zombie"
        assert all(not c.is_running() for c in children)
        assert all(port_closed(port) for port in ports)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait(5)
        os.close(master)
