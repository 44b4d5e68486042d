"""The one way the dashboard calls something that can block: a thread worker that posts
its answer back as a message.

A `JobsSource` call may wait on a slow or dead Redis; the event loop must not. The app
and every screen mix in `ThreadCalls` and say ``self.call_in_thread(name, call, then)``:
``call`` runs in a Textual thread worker, and ``then(value, error)`` runs on the event
loop when it returns. One call of a given name is out at a time; asking again while it
is out does nothing, which is how a poll skips a tick while the previous one is slow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.message import Message

Then = Callable[[Any, BaseException | None], None]


class CallDone(Message, bubble=False):
    """A thread call's answer (``value``) or the exception that ended it (``error``)."""

    def __init__(self, name: str, value: Any, error: BaseException | None, then: Then) -> None:
        self.name = name
        self.value = value
        self.error = error
        self.then = then
        super().__init__()


class ThreadCalls:
    """Mixed into the app and its screens (Textual DOM nodes)."""

    _calls_out: set[str]

    def call_in_thread(self, name: str, call: Callable[[], Any], then: Then) -> bool:
        """Run ``call`` in a thread unless a call named ``name`` is still out."""
        out = self.__dict__.setdefault("_calls_out", set())
        if name in out:
            return False
        out.add(name)
        self._run_call(name, call, then)
        return True

    def call_out(self, name: str) -> bool:
        return name in self.__dict__.get("_calls_out", ())

    @work(thread=True, exit_on_error=False, group="calls")
    def _run_call(self, name: str, call: Callable[[], Any], then: Then) -> None:
        value, error = None, None
        try:
            value = call()
        except Exception as exc:  # the dashboard must outlive any backend trouble
            error = exc
        self.post_message(CallDone(name, value, error, then))  # type: ignore[attr-defined]

    def on_call_done(self, message: CallDone) -> None:
        self.__dict__.setdefault("_calls_out", set()).discard(message.name)
        message.then(message.value, message.error)
