"""Switching a SQLite file to WAL, safely from many processes at once.

Changing the journal mode needs the file's exclusive lock, and SQLite answers "database
is locked" at once instead of calling the busy handler, so a brand-new file opened by
several workers together made some of them fail. Every connection that asks for WAL
goes through here: a file already in WAL is left alone (no lock needed), otherwise the
switch is retried until ``timeout``.
"""

from __future__ import annotations

import sqlite3
import time


def use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Put the connection's main database in WAL mode, waiting up to ``timeout`` seconds
    for the lock the switch needs."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
