"""The architecture's one-way dependencies, checked on the source (as import-linter would).

tasks/ never imports the dashboard (tui) or Textual; the dashboard reaches job state only
through tasks.jobs (never tasks.store or redis directly).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def files(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("path", files("tasks"), ids=lambda p: str(p.relative_to(REPO)))
def test_tasks_never_import_the_dashboard_or_textual(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] in {"tui", "textual"}}
    assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


DASHBOARD = [p for p in files("tui") if p.name not in {"demo.py"}]


@pytest.mark.parametrize("path", DASHBOARD, ids=lambda p: str(p.relative_to(REPO)))
def test_dashboard_reaches_job_state_only_through_tasks_jobs(path):
    bad = {
        m for m in imported_modules(path)
        if m == "redis" or m.startswith(("redis.", "tasks.store", "huey"))
    }
    assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path",
    [*files("tui/screens"), *(REPO / "tui" / name for name in
                              ("widgets.py", "format.py", "reading.py", "host.py",
                               "error_text.py", "source.py"))],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_screens_and_widgets_never_import_the_app(path):
    """The app imports its screens; they reach back through tui.host, so no cycle."""
    assert "tui.app" not in imported_modules(path)
