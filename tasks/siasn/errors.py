"""What can go wrong talking to SIASN, one class per thing an operator can act on.

The run loop reads the class: a `PermanentFailure` subclass fails the job at once
(retrying with the same token or the same page cap cannot help); anything else fails
only this attempt, and Huey retries it with backoff.
"""

from __future__ import annotations

from tasks.errors import PermanentFailure, ProxytuiError


class SiasnError(ProxytuiError):
    """Base class for upstream errors; the message says what failed and what to do."""


class TokenMissing(SiasnError, PermanentFailure):
    """No bearer token in any of the places we look."""

    def __init__(self, tried: list[str]) -> None:
        self.tried = tried
        super().__init__(
            "No SIASN token found. Tried: "
            + "; ".join(tried)
            + ". Set SIASN_TOKEN, point SIASN_TOKEN_FILE at a file holding the token, "
            "or check that the token refresher is writing the Redis key."
        )


class TokenUnavailable(SiasnError):
    """The token store (Redis) could not be asked; transient, so the attempt is retried."""

    def __init__(self, tried: list[str]) -> None:
        self.tried = tried
        super().__init__(
            "Could not look up the SIASN token: "
            + "; ".join(tried)
            + ". Check that Redis is reachable; the sync is retried."
        )


class TokenRejected(SiasnError, PermanentFailure):
    """SIASN answered 401/403: the token expired or lacks rights; retrying cannot help."""

    def __init__(self, path: str, status_code: int) -> None:
        self.path = path
        self.status_code = status_code
        super().__init__(
            f"SIASN rejected the token (HTTP {status_code} on {path}). The token has "
            "probably expired: refresh it (SIASN_TOKEN, SIASN_TOKEN_FILE or the Redis key "
            "bknsiasn:access_token) and run the sync again."
        )


class UpstreamUnavailable(SiasnError):
    """A page still failed after every per-request retry; the attempt may be retried."""

    def __init__(self, path: str, offset: int, attempts: int, last_error: str) -> None:
        self.path = path
        self.offset = offset
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(
            f"SIASN {path} at offset {offset} failed {attempts} time(s); last error: "
            f"{last_error}. The upstream is down or overloaded; the sync will be retried, "
            "or run it again later."
        )


class BadResponse(SiasnError):
    """An answer we cannot use: not JSON, no rows list, or a 4xx other than auth/429."""

    def __init__(self, path: str, offset: int, reason: str, status_code: int | None = None):
        self.path = path
        self.offset = offset
        self.reason = reason
        self.status_code = status_code
        super().__init__(
            f"SIASN {path} at offset {offset} gave an unusable answer: {reason}. "
            "Check SIASN_BASE_URL and the endpoint in tasks/catalog.py."
        )


class PageLoop(SiasnError, PermanentFailure):
    """The page cap was reached: the endpoint ignores the offset, or the cap is too low."""

    def __init__(self, path: str, pages: int, offset: int) -> None:
        self.path = path
        self.pages = pages
        self.offset = offset
        super().__init__(
            f"SIASN {path} was still returning rows after {pages} pages (offset {offset}): "
            "the endpoint seems to ignore the offset. Nothing was published. If the dataset "
            "really is that large, raise PROXYTUI_PAGE_CAP."
        )
