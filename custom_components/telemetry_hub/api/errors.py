"""The one exception hierarchy of every vendor client.

Messages never carry secrets: they name the request (method and path) and
what went wrong, never a header, a token or a password.
"""

from __future__ import annotations


class TelemetryHubError(Exception):
    """Base class of every error raised by the vendor clients."""


class TelemetryHubConnectionError(TelemetryHubError):
    """The server could not be reached, timed out or failed (5xx).

    Temporary by nature: retrying later may succeed.
    """


class TelemetryHubAuthError(TelemetryHubError):
    """The credentials were rejected; retrying will not help."""


class TelemetryHubAccountLockedError(TelemetryHubAuthError):
    """The account is locked (too many failed sign-ins)."""


class TelemetryHubRateLimitError(TelemetryHubError):
    """The server refused the call because a quota is used up."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Keep the server's hint of when to try again, in seconds."""
        super().__init__(message)
        self.retry_after = retry_after


class TelemetryHubProtocolError(TelemetryHubError):
    """The server answered, but not in the documented format.

    HTML instead of JSON, a body of the wrong shape, an unknown path: the
    address is probably not this API, or the API changed.
    """


class TelemetryHubNotFoundError(TelemetryHubProtocolError):
    """The server does not know the requested path (404)."""
