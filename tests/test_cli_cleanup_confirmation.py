"""`proxytui cleanup` of every type asks first on a terminal, as the dashboard does;
`--yes` skips the question; with no terminal to ask on and no `--yes` it refuses (exit 2).
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasks import jobs
from tests.support.jobenv import wait_for

PROXYTUI = str(Path(sys.executable).with_name("proxytui"))


def waiting_types() -> list[str]:
    return sorted(job["type"] for job in jobs.list_jobs()["waiting"])


def run_on_terminal(env: dict[str, str], answer: bytes) -> tuple[int, str]:
    """Run ``proxytui cleanup`` with a pseudo-terminal as stdin and stderr; answer the
    question once it shows."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [PROXYTUI, "cleanup"], stdin=slave, stdout=subprocess.PIPE, stderr=slave,
        env={**os.environ, **env},
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 30
    while b"[y/N]" not in seen:
        assert time.monotonic() < deadline, seen
        seen += os.read(master, 4096)
    os.write(master, answer)
    code = proc.wait(timeout=30)
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    os.close(master)
    return code, output


def test_without_a_terminal_and_without_yes_it_refuses_and_removes_nothing(job_env, job_settings):
    jobs.request_sync("pangkat")
    result = subprocess.run([PROXYTUI, "cleanup"], env={**os.environ, **job_env},
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--yes" in result.stderr
    assert "Traceback" not in result.stderr
    assert waiting_types() == ["pangkat"]


@pytest.mark.slow
def test_on_a_terminal_no_keeps_the_jobs_and_yes_removes_them(job_env, job_settings):
    jobs.request_sync("pangkat")
    jobs.request_sync("skk")
    code, _ = run_on_terminal(job_env, b"n\n")
    assert code == 1
    assert waiting_types() == ["pangkat", "skk"]
    code, output = run_on_terminal(job_env, b"y\n")
    assert code == 0 and "2" in output
    wait_for(lambda: waiting_types() == [])


def test_yes_skips_the_question(job_env, job_settings):
    jobs.request_sync("pensiun")
    result = subprocess.run([PROXYTUI, "cleanup", "--yes"], env={**os.environ, **job_env},
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert waiting_types() == []


def test_one_type_does_not_ask(job_env, job_settings):
    jobs.request_sync("pensiun")
    result = subprocess.run([PROXYTUI, "cleanup", "--type", "pensiun"],
                            env={**os.environ, **job_env}, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert waiting_types() == []
