"""The README's first command, followed in a fresh virtual environment with no Redis.

The command is read from the README itself, so the test breaks when the README stops
being true. The demo runs headless (`--headless --rows 40`) to end on its own; Redis is a
closed port. The second command (`bash .ci/run`) is the suite running this test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert block, "README.md must open with a ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def copy_checkout(dest: Path) -> None:
    """The working tree as git sees it (tracked and new files, nothing ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def test_readme_opens_with_install_and_demo_then_the_test_command():
    install, tests = readme_commands()
    assert install.endswith(".venv/bin/proxytui demo") and "pip install" in install
    assert tests == "bash .ci/run"


@pytest.mark.slow
def test_readme_install_and_demo_in_a_fresh_venv_without_redis(tmp_path):
    install, _ = readme_commands()
    src = tmp_path / "proxytui"
    copy_checkout(src)
    command = install + " --headless --rows 40"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),  # the pip cache makes it quick
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PROXYTUI_REDIS_URL": "redis://127.0.0.1:1/0",  # closed: the demo must not need it
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "LANG": "C.UTF-8",
    }
    python = shutil.which("python3") or sys.executable
    env["PATH"] = f"{Path(python).parent}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        ["bash", "-c", command], cwd=src, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = result.stdout[result.stdout.index("type "):]
    for name in ("pangkat", "pensiun", "pg_akademik", "pg_profesi", "skk"):
        assert re.search(rf"^{name}\s+completed\s+40\s", summary, re.M), summary
    assert (tmp_path / "data" / "proxytui" / "demo" / "queue.db").is_file()
