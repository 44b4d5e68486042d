"""Exceptions that cross module boundaries in the worker.

The run loop decides what to do with an attempt by the kind of exception that ends it:
a `JobCancelled` run stops quietly, a `PermanentFailure` fails the job at once, anything
else is retried with backoff while attempts are left.
"""

from __future__ import annotations


class ProxytuiError(Exception):
    """Base class for our own errors; the message says what failed and what to do."""


class JobCancelled(ProxytuiError):
    """This run no longer owns its job (cancelled, superseded by force, cleaned up)."""


class AttemptTimedOut(ProxytuiError):
    """The attempt ran past the attempt limit; it is retried while attempts are left."""


class PermanentFailure(ProxytuiError):
    """Retrying cannot help (a rejected token, a bad configuration): fail the job now."""


class Unreachable(ProxytuiError):
    """A service we depend on cannot be reached: ``url`` (password masked) and ``reason``."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class BackendUnavailable(Unreachable):
    """The job store (Redis or the embedded SQLite queue) cannot be reached."""


class InvalidJobId(ProxytuiError, ValueError):
    """A job id that is not of our form; rejected before it reaches the store."""


class DatasetUnavailable(Unreachable):
    """The destination database (where the tables and the run ledger live) cannot be read."""


class InvalidLimit(ProxytuiError, ValueError):
    """A history limit outside 1..1000."""


class InvalidJobState(ProxytuiError, ValueError):
    """A job state a caller named that is not one of ours (cleanup's ``states``)."""
