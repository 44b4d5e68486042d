"""The dashboard owns the terminal: nothing in tui/ prints or writes to stdout/stderr."""

from __future__ import annotations

import ast
from pathlib import Path

TUI = Path(__file__).resolve().parents[1] / "tui"
DASHBOARD = [
    "app.py", "widgets.py", "source.py", "reading.py", "format.py", "error_text.py", "host.py",
    "screens",
]


def test_no_print_and_no_direct_stdout_writes():
    offenders = []
    for entry in DASHBOARD:
        path = TUI / entry
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    func = node.func
                    if isinstance(func, ast.Name) and func.id == "print":
                        offenders.append(f"{file.name}:{node.lineno} print()")
                if isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr"):
                    offenders.append(f"{file.name}:{node.lineno} sys.{node.attr}")
    assert offenders == []
