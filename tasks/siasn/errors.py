"""What can go wrong talking to SIASN, one class per thing an operator can act on.

The run loop reads the class: a `PermanentFailure` subclass fails the job at once
(retrying with the same token or the same page cap cannot help); anything else fails
only this attempt, and Huey retries it with backoff.
"""

from __future__ import annotations

from tasks.errors import PermanentFailure, ProxytuiError
from tasks.texts import text


class SiasnError(ProxytuiError):
    """Base class for upstream errors; the message says what failed and what to do."""


class TokenMissing(SiasnError, PermanentFailure):
    """No bearer token in any of the places we look."""

    def __init__(self, tried: list[str]) -> None:
        self.tried = tried
        super().__init__(text("siasn.token_missing", tried="; ".join(tried)))


class TokenUnavailable(SiasnError):
    """The token store (Redis) could not be asked; transient, so the attempt is retried."""

    def __init__(self, tried: list[str]) -> None:
        self.tried = tried
        super().__init__(text("siasn.token_unavailable", tried="; ".join(tried)))


class TokenRejected(SiasnError, PermanentFailure):
    """SIASN answered 401/403: the token expired or lacks rights; retrying cannot help."""

    def __init__(self, path: str, status_code: int) -> None:
        self.path = path
        self.status_code = status_code
        super().__init__(text("siasn.token_rejected", status=status_code, path=path))


class UpstreamUnavailable(SiasnError):
    """A page still failed after every per-request retry; the attempt may be retried."""

    def __init__(self, path: str, offset: int, attempts: int, last_error: str) -> None:
        self.path = path
        self.offset = offset
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(
            text(
                "siasn.unavailable", path=path, offset=offset, attempts=attempts, error=last_error
            )
        )


class BadResponse(SiasnError):
    """An answer we cannot use: not JSON, no rows list, or a 4xx other than auth/429."""

    def __init__(self, path: str, offset: int, reason: str, status_code: int | None = None):
        self.path = path
        self.offset = offset
        self.reason = reason
        self.status_code = status_code
        super().__init__(text("siasn.bad_response", path=path, offset=offset, reason=reason))


class PageLoop(SiasnError, PermanentFailure):
    """The page cap was reached: the endpoint ignores the offset, or the cap is too low."""

    def __init__(self, path: str, pages: int, offset: int) -> None:
        self.path = path
        self.pages = pages
        self.offset = offset
        super().__init__(text("siasn.page_loop", path=path, pages=pages, offset=offset))
