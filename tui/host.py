"""What the dashboard's screens need from the app, without importing the app.

Screens are pushed by `tui.app.ProxyTuiApp`, which imports them; they reach back through
``host(self)`` typed as this protocol, so there is no import cycle between the app and
its screens.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from textual.dom import DOMNode

from tui.source import JobsSource


class DashboardHost(Protocol):
    source: JobsSource
    read_only: bool
    requested_by: str | None
    paused: bool
    interval: float
    snapshot: dict[str, Any] | None
    read_at: int | None
    refreshing: bool
    expected: dict[str, int]

    def now_ms(self) -> int: ...
    def poll(self, force: bool = False) -> None: ...
    def notify_error(self, exc: BaseException) -> None: ...
    def refuse_read_only(self) -> bool: ...


def host(node: DOMNode) -> DashboardHost:
    return cast(DashboardHost, node.app)
