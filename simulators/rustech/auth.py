"""devise_token_auth sessions: sign-in, token check, rotation, batch window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import secrets

from .catalog import BAD_CREDENTIALS, LOCKED
from .models import SessionInfo

BLANK = " "  # the header value devise sends inside the batch window


def new_token() -> str:
    """Return a random token of 22 url-safe characters (like devise's)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class AuthPolicy:
    """The knobs of token validation and rotation, read per request."""

    batch_window: float
    accept_previous_token: bool
    token_lifespan: float
    max_sessions: int
    clock_skew: float = 0.0
    """Seconds the server's clock is ahead of ours (negative: behind)."""


class SessionStore:
    """Users, their passwords, lock flags and sessions (``client`` ids)."""

    def __init__(self, users: Mapping[str, str]) -> None:
        """Start with ``users`` (email -> password) and no session."""
        self.users: dict[str, str] = dict(users)
        self.locked: set[str] = set()
        self.sessions: dict[str, dict[str, SessionInfo]] = {}
        self.stale_tokens = 0
        """Requests that named a live session with a token it no longer takes."""
        self.created = 0
        """Sessions opened by a sign-in."""
        self.ended = 0
        """Sessions ended by a sign-out, an expiry fault or a revocation."""

    def user_email(self, email: str) -> str | None:
        """Return the stored spelling of ``email`` (case-insensitive match)."""
        wanted = email.strip().lower()
        return next((e for e in self.users if e.lower() == wanted), None)

    def user_id(self, email: str) -> int:
        """Return a stable numeric id of a user (6, 7, ... in creation order)."""
        return 6 + list(self.users).index(email)

    def sign_in(
        self, email: str, password: str, now: float, policy: AuthPolicy
    ) -> SessionInfo | str:
        """Create a session, or return the error text of a refused sign-in."""
        user = self.user_email(email)
        if user is None:
            return BAD_CREDENTIALS
        if user in self.locked:
            return LOCKED
        if not secrets.compare_digest(self.users[user].encode(), password.encode()):
            return BAD_CREDENTIALS
        sessions = self.sessions.setdefault(user, {})
        server_now = now + policy.clock_skew
        for client in [c for c, s in sessions.items() if s.expiry <= server_now]:
            del sessions[client]  # devise's destroy_expired_tokens
        session = SessionInfo(
            client=new_token(),
            token=new_token(),
            previous_token=None,
            rotated_at=now,
            expiry=int(server_now + policy.token_lifespan),
            created_at=now,
        )
        sessions[session.client] = session
        self.created += 1
        while len(sessions) > max(1, policy.max_sessions):
            # devise's clean_old_tokens: drop the earliest expiry (first on ties)
            oldest = min(sessions.values(), key=lambda s: s.expiry)
            del sessions[oldest.client]
        return session

    def find(
        self,
        uid: str,
        client: str,
        token: str,
        now: float,
        policy: AuthPolicy,
        *,
        count_stale: bool = True,
    ) -> SessionInfo | None:
        """Return the session the headers authenticate, or None.

        A live session named with a token it no longer takes counts in
        `stale_tokens` (a rotated token the client lost), unless
        `count_stale` is False.
        """
        session = self.sessions.get(uid, {}).get(client)
        if session is None or not token or token == BLANK:
            return None
        server_now = now + policy.clock_skew
        if token == session.token and server_now < session.expiry:
            return session
        if token == session.previous_token and (
            now - session.rotated_at < policy.batch_window
            or (policy.accept_previous_token and server_now < session.expiry)
        ):
            return session
        if count_stale and server_now < session.expiry:
            self.stale_tokens += 1  # a token the client should have replaced
        return None

    def after_request(
        self,
        uid: str,
        session: SessionInfo,
        now: float,
        policy: AuthPolicy,
        *,
        unbatch: bool,
    ) -> tuple[dict[str, str], bool]:
        """Rotate (or not, in the batch window); return headers and ``rotated``."""
        headers = {"token-type": "Bearer", "client": session.client, "uid": uid}
        if now - session.rotated_at < policy.batch_window and not unbatch:
            headers["access-token"] = BLANK
            headers["expiry"] = BLANK
            return headers, False
        session.previous_token = session.token
        session.token = new_token()
        session.rotated_at = now
        session.expiry = int(now + policy.clock_skew + policy.token_lifespan)
        headers["access-token"] = session.token
        headers["expiry"] = str(session.expiry)
        return headers, True

    def sign_out(self, uid: str, session: SessionInfo) -> None:
        """Forget one session."""
        if self.sessions.get(uid, {}).pop(session.client, None) is not None:
            self.ended += 1

    def expire(self, uid: str, headers: Mapping[str, str]) -> None:
        """Forget the session the request headers name (server-side expiry)."""
        user = self.user_email(uid) or uid
        if self.sessions.get(user, {}).pop(headers.get("client", ""), None):
            self.ended += 1

    def revoke(self, email: str | None = None) -> None:
        """Forget every session of ``email`` (of every user if None)."""
        if email is None:
            self.ended += sum(len(sessions) for sessions in self.sessions.values())
            self.sessions.clear()
        else:
            self.ended += len(self.sessions.pop(self.user_email(email) or email, {}))


def token_headers(session: SessionInfo, uid: str) -> dict[str, str]:
    """Return the headers that hand a session's current token to the client."""
    return {
        "access-token": session.token,
        "token-type": "Bearer",
        "client": session.client,
        "expiry": str(session.expiry),
        "uid": uid,
    }
