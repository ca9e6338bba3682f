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
    address is probably not this API, or the API changed. `call` names the
    vendor call that failed (a key of the client's path table), so a
    mismatch with the documented contract can be reported precisely.
    """

    def __init__(self, message: str, *, call: str | None = None) -> None:
        """Keep the name of the call that answered unexpectedly."""
        super().__init__(message)
        self.call = call


class TelemetryHubNotFoundError(TelemetryHubProtocolError):
    """The server does not know the requested path (404)."""


class TelemetryHubDeviceAccessError(TelemetryHubError):
    """The server refuses one device to these credentials.

    The account works, but this device is not (or no longer) visible to
    it: a sterilizer's serial that left the contract, a DEXMA device that
    answers "Entity not found". Only that device is affected.
    """

    def __init__(self, message: str, *, device: str | None = None) -> None:
        """Keep the identifier of the refused device."""
        super().__init__(message)
        self.device = device


class TelemetryHubSessionRejectedError(TelemetryHubConnectionError):
    """The server rejected a session it had just opened (or rejected ours twice).

    Not an authentication failure: the sign-in itself was accepted, so the
    credentials are right. The server is dropping sessions (restarted, or
    another client pushes ours out); retrying at the next poll is the cure.
    """


class TelemetryHubClosedError(TelemetryHubError):
    """The client was signed out and does not open a session by itself.

    Raised by a call that comes after `sign_out` (a poll still running while
    its entry is removed): starting a new session then would leak it.
    """
