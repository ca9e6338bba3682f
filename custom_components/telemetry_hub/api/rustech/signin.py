"""One sign-in attempt: never leak the session its answer opens.

The server creates the session before it writes the answer, so an answer
whose body then fails (a 5xx from a proxy, an HTML page, no `data`, a
connection reset mid-body) may still hand over a working session in its
headers. `SignIn` takes that session the moment the headers arrive; the
client keeps it (the next call uses it) rather than signing in again and
leaving it to take one of the account's 10 session slots. A session that
names another user is never adopted: the client signs it out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..errors import (
    TelemetryHubAccountLockedError,
    TelemetryHubAuthError,
    TelemetryHubProtocolError,
)
from ..http import ApiResponse, ResponseHead, raise_for_status
from ..parsing import as_int, as_text
from .auth import (
    SessionHeaders,
    first_error,
    is_locked,
    refusal_reason,
    same_user,
    uid_of,
)
from .models import RusTechToken, RusTechUser

_HTTP_UNAUTHORIZED = 401
_CLIENT_ERRORS = range(400, 500)


@dataclass(slots=True)
class SignIn:
    """The state of one `POST auth/sign_in`."""

    email: str
    password: str = field(repr=False)
    known_uid: str | None
    """The account's uid if a session named it before; another one is refused."""
    default_expiry: int
    adopt: Callable[[RusTechToken], None]
    """Called with the new session's token the moment it is known."""
    adopted: RusTechToken | None = field(default=None, repr=False)
    foreign: RusTechToken | None = field(default=None, repr=False)
    _waiting: SessionHeaders | None = field(default=None, repr=False)
    """Session headers without a uid: it may come in the body."""

    def on_headers(self, head: ResponseHead) -> None:
        """Take the session the answer opens, before its body is read."""
        if head.status in _CLIENT_ERRORS:
            return  # a refusal opens nothing
        seen = SessionHeaders.read(head.headers)
        if not seen.opens_session:
            return
        if seen.uid is None:
            self._waiting = seen
        else:
            self._take(seen, seen.uid)

    def settle(self, body_uid: str | None = None) -> None:
        """The answer is over (or broke off): take a session still waiting.

        Its uid is the body's, else the account's, else the email (devise's
        uid for an email sign-in).
        """
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._take(waiting, body_uid or self.known_uid or self.email.strip())

    def foreign_session(self, response: ApiResponse) -> RusTechToken | None:
        """Settle with the body's uid; the session to end if it is not ours."""
        self.settle(uid_of(response.data))
        return self.foreign

    def finish(self, response: ApiResponse) -> RusTechUser:
        """Read the answer: the user, or the error (the session stays kept)."""
        if response.status == _HTTP_UNAUTHORIZED:
            reason = refusal_reason(response.data, (self.password,))
            if is_locked(first_error(response.data) or ""):
                raise TelemetryHubAccountLockedError(f"sign-in refused: {reason}")
            raise TelemetryHubAuthError(f"sign-in refused: {reason}")
        raise_for_status(response)
        if self.foreign is not None:
            msg = "sign-in answered for another user than the account's"
            raise TelemetryHubProtocolError(msg)
        body = response.data
        user = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(user, Mapping):
            msg = "sign-in answered without the user object"
            raise TelemetryHubProtocolError(msg)
        if self.adopted is None:
            msg = "sign-in answered without session headers (access-token, client)"
            raise TelemetryHubProtocolError(msg)
        return RusTechUser(
            uid=self.adopted.uid,
            id=as_int(user.get("id")),
            email=as_text(user.get("email")),
            name=as_text(user.get("name")),
        )

    def _take(self, seen: SessionHeaders, uid: str) -> None:
        token = seen.session(uid, self.default_expiry)
        if self.known_uid is not None and not same_user(uid, self.known_uid):
            self.foreign = token
            return
        self.adopted = token
        self.adopt(token)
