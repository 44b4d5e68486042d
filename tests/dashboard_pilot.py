"""Shared helpers for the dashboard's Pilot tests (not a test module)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from tui.app import ProxyTuiApp


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio, Textual's loop (import this fixture into a test module)."""
    return "asyncio"


async def until(pilot: Any, predicate: Callable[[], object], timeout: float = 15.0) -> Any:
    """Let the app run until ``predicate()`` is truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.05)
        await asyncio.sleep(0)


def record_notifications(app: ProxyTuiApp) -> list[str]:
    """Every notification the app shows, as plain text, in order."""
    seen: list[str] = []
    original = app.notify

    def notify(message: Any, **kwargs: Any) -> None:
        seen.append(str(message))
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return seen


def card_job(app: ProxyTuiApp, proxy_type: str) -> dict[str, Any] | None:
    return next(c.job for c in app.dashboard.cards if c.proxy_type == proxy_type)


def card_state(app: ProxyTuiApp, proxy_type: str) -> str | None:
    job = card_job(app, proxy_type)
    return job["state"] if job else None
