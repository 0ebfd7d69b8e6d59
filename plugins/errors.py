"""Errors a plugin raises, grouped by what the sync engine does next.

    PluginError                   base class; never raised itself
    ├── ConfigInvalid             stop: the connection's configuration can't work
    ├── AuthFailed                stop the run: credentials are wrong, expired or revoked
    ├── Retryable                 retry the same call later (honouring ``retry_after``)
    │   └── RateLimited           the platform throttled us (429, "system busy", ...)
    ├── OutcomeUnknown            the call may or may not have taken effect (a timeout
    │                             after a send went out); never blindly retried, resolved
    │                             by a status lookup or parked for review
    └── PermanentFailure          this call will never succeed as sent; its records go to
                                  the dead-letter table with the reason

Failures of single records inside an accepted batch are not exceptions: they come back
as :class:`~junction.plugins.results.RecordResult` values with status ``rejected``.
"""

from __future__ import annotations


class PluginError(Exception):
    """Base class of the errors a plugin raises on purpose."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The platform's own error code, when it gave one (e.g. Meta's ``190``).
        self.code = code


class ConfigInvalid(PluginError):
    """Raised when a connection's config is malformed or refers to things that don't exist.

    ``field`` names the offending config field when one is to blame.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class AuthFailed(PluginError):
    """Raised when the platform refuses the credentials (bad key, expired token, revoked)."""


class Retryable(PluginError):
    """Raised for a transient failure: 5xx, timeout, connection reset, platform busy.

    ``retry_after`` is the platform's hint in seconds (e.g. from ``Retry-After``).
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class RateLimited(Retryable):
    """Raised when the platform throttles the caller (HTTP 429 or its own quota codes)."""


class OutcomeUnknown(PluginError):
    """Raised when a non-idempotent call may have been applied (timeout after sending).

    The engine must not resend blindly: a person must never get the same SMS twice.
    """


class PermanentFailure(PluginError):
    """Raised when the whole call is refused and resending it unchanged can't succeed."""
