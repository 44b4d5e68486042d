"""What went wrong, in one sentence for the operator, decided by the exception's type.

The dashboard shows errors from two places: an exception raised by a `JobsSource` call,
and the ``backend``/``database`` blocks of an overview, which carry the reason of a
store that did not answer. Both come here, so a message is built once and never
recognised again by its wording.
"""

from __future__ import annotations

from typing import Any

from tasks.catalog import UnknownProxyType
from tasks.errors import (
    BackendUnavailable,
    DatasetUnavailable,
    InvalidJobId,
    InvalidJobState,
    InvalidLimit,
)
from tasks.texts import text
from tui.format import first_line


def unreachable_text(kind: str, url: str, reason: str) -> str:
    """The job store at ``url`` did not answer, and why."""
    key = "backend.sqlite_unreachable" if kind == "sqlite" else "backend.unreachable"
    return text(key, url=url or "?", reason=reason or "?")


def describe_error(exc: BaseException) -> str:
    """An exception from a `JobsSource` call as a sentence for a notification.

    The job store and the destination database are two different things to fix, so
    `BackendUnavailable` and `DatasetUnavailable` (both `Unreachable`) say which one
    did not answer, in the words the CLI uses.
    """
    if isinstance(exc, BackendUnavailable):
        kind = "sqlite" if exc.url.startswith("sqlite") else "redis"
        return unreachable_text(kind, exc.url, exc.reason)
    if isinstance(exc, DatasetUnavailable):
        return text("dataset.unreachable", url=exc.url, reason=exc.reason)
    if isinstance(exc, UnknownProxyType | InvalidJobId | InvalidLimit | InvalidJobState):
        return str(exc)  # already one sentence from the text catalog
    return text("dash.notify.error", error=first_line(exc) or type(exc).__name__)


def backend_problem(backend: dict[str, Any]) -> str:
    """The sentence for an overview whose job store did not answer ("" if it did).

    ``failure`` is set by the dashboard when the overview call itself raised something
    other than an unreachable store: that sentence is already complete.
    """
    if backend.get("reachable", True):
        return ""
    if backend.get("failure"):
        return str(backend["failure"])
    return unreachable_text(backend.get("kind") or "", backend.get("url") or "",
                            backend.get("error") or "")


def database_problem(database: dict[str, Any] | None) -> str:
    """The reason the destination database did not answer ("" if it did or is unknown)."""
    if not database or database.get("reachable", True):
        return ""
    return first_line(database.get("error"), 300) or "?"
