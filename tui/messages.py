"""Messages the dashboard's thread workers post back to the event loop."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class OverviewFetched(Message):
    """One poll of `overview()`: the snapshot, or the error that stopped it."""

    def __init__(self, snapshot: dict[str, Any] | None, error: str | None) -> None:
        self.snapshot = snapshot
        self.error = error
        super().__init__()

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, OverviewFetched)
