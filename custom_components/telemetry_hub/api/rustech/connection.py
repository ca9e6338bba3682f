"""The session of a RusTech client: tokens, sign-in, sign-out, every call.

Authentication is devise_token_auth's rotating token: every answer carries
the token for the next call and the previous one stops working, so

* all calls of one client are serialised (one lock), `sign_out` included:
  it waits for the call in flight and ends the newest session;
* the session headers of an answer are read the moment they arrive, before
  the body (see `request_json`'s `on_headers`): a body that stalls, breaks
  off, is not JSON, or a cancellation never loses a rotated token;
* a blank token (the server's 5 s batch window) keeps the current one;
* the server's 401, not our clock, says when a token is dead: a stored
  token is always tried (a server whose clock is behind ours hands out
  expiries in our past), and a rejected one gets one silent sign-in (at
  most one per poll, see `begin_poll`), after which the rejected session
  is signed out in case a proxy's 401 left it alive;
* a 401 right after a fresh sign-in is the server dropping sessions
  (`TelemetryHubSessionRejectedError`, temporary); only a refused sign-in
  is an authentication error;
* an answer naming another user (`uid`) is a protocol error and never
  changes the account's identity;
* a read that fails on the way (5xx, reset, stall, a body that is not
  JSON, an answer for another user) is sent once more before it fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import logging
import time
from typing import Any

import aiohttp

from ..errors import (
    TelemetryHubClosedError,
    TelemetryHubConnectionError,
    TelemetryHubError,
    TelemetryHubProtocolError,
    TelemetryHubSessionRejectedError,
)
from ..http import (
    DEFAULT_TIMEOUT,
    ApiResponse,
    HeadersCallback,
    ResponseHead,
    raise_for_status,
    request_json,
)
from ..urls import normalize_url
from .auth import DEFAULT_TOKEN_LIFESPAN, SessionHeaders, same_user
from .models import RusTechToken, RusTechUser
from .signin import SignIn

_LOGGER = logging.getLogger(__name__)

MAX_PER_PAGE = 1000
DEFAULT_RETRY_DELAY = 0.0
"""Seconds between a failed read and its retry (none: Home Assistant tests
freeze the clock, and one immediate retry is what a glitch needs)."""
_HTTP_UNAUTHORIZED = 401
_HTTP_SERVER_ERROR = 500
_SIGNED_OUT = (200, 204, 401, 404)

type TokenListener = Callable[[RusTechToken | None], None]


class RusTechConnection:
    """One account's session with a RusTech server; `RusTechClient` adds views."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        email: str,
        password: str,
        *,
        token: RusTechToken | None = None,
        on_token_change: TokenListener | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
        per_page: int = MAX_PER_PAGE,
        clock: Callable[[], float] = time.time,
        retry_delay: float = DEFAULT_RETRY_DELAY,
    ) -> None:
        """Bind the client to a shared session; it never closes it."""
        self._session = session
        self._base = normalize_url(url)
        self._email = email
        self._password = password
        self._token = token
        self._uid = token.uid if token else None
        """The account's identity: set by the first session, never changed."""
        self._on_token_change = on_token_change
        self._timeout = request_timeout
        self._per_page = max(1, min(per_page, MAX_PER_PAGE))
        self._clock = clock
        self._retry_delay = max(0.0, retry_delay)
        self._lock = asyncio.Lock()
        self._warned: set[tuple[str, str]] = set()
        self._skew_reported = False
        self._closed = False
        self._poll_sessions: int | None = None
        self.request_count = 0
        """HTTP requests sent, sign-ins included."""
        self.sign_in_count = 0
        self.rejected_token_count = 0
        """Silent sign-ins because the server rejected a stored token."""
        self.retry_count = 0
        """Reads sent again after a transient failure."""

    def __repr__(self) -> str:
        """Describe the client without any credential."""
        return f"{type(self).__name__}({self._base!r})"

    @property
    def url(self) -> str:
        """The API base URL."""
        return self._base

    @property
    def token(self) -> RusTechToken | None:
        """The current session credentials, if any."""
        return self._token

    @property
    def uid(self) -> str | None:
        """The account's uid, once a session has named it."""
        return self._uid

    @property
    def closed(self) -> bool:
        """Whether `sign_out` ended the client (until `sign_in` reopens it)."""
        return self._closed

    # ------------------------------------------------------------------
    # Session

    def begin_poll(self) -> None:
        """Start a poll: until the next one, at most one silent sign-in.

        A server that rejects the session again after that sign-in gets
        `TelemetryHubSessionRejectedError` instead of a sign-in storm (each
        sign-in takes one of the account's 10 session slots). Without
        `begin_poll` a client signs in whenever its session is rejected.
        """
        self._poll_sessions = 0

    async def sign_in(self) -> RusTechUser:
        """Start a new session with the email and password."""
        async with self._lock:
            self._closed = False
            return await self._sign_in()

    async def sign_out(self) -> None:
        """End the current session; a session already gone is fine.

        Waits for the call in flight (whose answer may rotate the token)
        and ends the newest session. From then on the client opens no
        session by itself: calls raise `TelemetryHubClosedError` until
        `sign_in` is called. A transport failure or 5xx keeps the token so
        that signing out can be tried again.
        """
        async with self._lock:
            self._closed = True
            if self._token is None:
                return
            try:
                response = await self._send_sign_out()
            except TelemetryHubConnectionError:
                await self._pause()
                response = await self._send_sign_out()
            else:
                if response.status >= _HTTP_SERVER_ERROR:
                    await self._pause()
                    response = await self._send_sign_out()
            if response.status >= _HTTP_SERVER_ERROR:
                raise_for_status(response)  # the session may live: keep it
            self._set_token(None)
            if response.status not in _SIGNED_OUT:
                raise_for_status(response)

    async def _send_sign_out(self) -> ApiResponse:
        assert self._token is not None  # noqa: S101 - checked by sign_out
        return await self._send(
            "DELETE",
            "auth/sign_out",
            headers=self._token.headers(),
            on_headers=self._absorb,
        )

    # ------------------------------------------------------------------
    # Calls

    async def _call(self, path: str, params: Mapping[str, str]) -> Any:
        """Send one authenticated GET, signing in when needed; return the body."""
        async with self._lock:
            if self._closed:
                msg = f"GET {path}: the client was signed out"
                raise TelemetryHubClosedError(msg)
            fresh = False
            if self._token is None:
                await self._silent_sign_in()
                fresh = True
            retried = False
            while True:
                try:
                    response = await self._send_authenticated(path, params)
                except (TelemetryHubConnectionError, _ForeignAnswerError) as err:
                    if retried or isinstance(err, TelemetryHubSessionRejectedError):
                        raise
                    retried = True
                    await self._retry(path, str(err))
                    continue
                if response.status == _HTTP_UNAUTHORIZED:
                    if fresh:
                        msg = (
                            f"{response.describe()}: the server rejected the "
                            "session it had just opened; trying again later"
                        )
                        raise TelemetryHubSessionRejectedError(msg)
                    _LOGGER.info("The server rejected the stored session; signing in")
                    self.rejected_token_count += 1
                    rejected = self._token
                    await self._silent_sign_in()
                    fresh = True
                    if rejected is not None:
                        # A proxy's 401 leaves the session alive: end it, or it
                        # takes one of the account's 10 slots for two weeks.
                        await self._end_session(rejected)
                    continue
                if not retried and _transient(response):
                    retried = True
                    await self._retry(path, response.describe())
                    continue
                break
        raise_for_status(response)
        return response.data

    async def _retry(self, path: str, why: str) -> None:
        """Note a transient failure of a read and wait before sending it again."""
        _LOGGER.debug("GET %s failed (%s); sending it once more", path, why)
        self.retry_count += 1
        await self._pause()

    async def _pause(self) -> None:
        if self._retry_delay:
            await asyncio.sleep(self._retry_delay)

    async def _send_authenticated(
        self, path: str, params: Mapping[str, str]
    ) -> ApiResponse:
        """Send with the current token; keep the token the answer brings."""
        assert self._token is not None  # noqa: S101 - the caller signed in
        return await self._send(
            "GET",
            path,
            params=params,
            headers=self._token.headers(),
            on_headers=self._absorb,
        )

    def _absorb(self, head: ResponseHead) -> None:
        """Keep the rotated token of an answer the moment its headers arrive."""
        current = self._token
        if current is None:
            return
        seen = SessionHeaders.read(head.headers)
        rotated = seen.rotate(current)
        if rotated is not None and rotated != current:
            self._set_token(rotated)
        if seen.uid is not None and not same_user(seen.uid, current.uid):
            msg = f"{head.method} {head.path}: the answer is for another user"
            raise _ForeignAnswerError(msg)

    async def _silent_sign_in(self) -> None:
        """Sign in for a call (lock held), at most once per poll.

        A sign-in whose answer broke after it opened a session (a 5xx or an
        HTML page with session headers) still gave us that session: the
        call goes on with it.
        """
        if self._poll_sessions is not None and self._poll_sessions >= 1:
            msg = (
                "the server rejected the session it opened earlier in this poll; "
                "signing in again waits for the next poll"
            )
            raise TelemetryHubSessionRejectedError(msg)
        before = self._token
        try:
            await self._sign_in()
        except (TelemetryHubConnectionError, TelemetryHubProtocolError) as err:
            if self._token is None or self._token is before:
                raise
            _LOGGER.debug("The sign-in answer broke (%s); using its session", err)

    async def _sign_in(self) -> RusTechUser:
        """Sign in (lock held) and keep the new session's token."""
        self.sign_in_count += 1
        attempt = SignIn(
            email=self._email,
            password=self._password,
            known_uid=self._uid,
            default_expiry=int(self._clock() + DEFAULT_TOKEN_LIFESPAN),
            adopt=self._adopt,
        )
        try:
            response = await self._send(
                "POST",
                "auth/sign_in",
                json_body={"email": self._email, "password": self._password},
                on_headers=attempt.on_headers,
            )
        except BaseException:
            attempt.settle()
            raise
        foreign = attempt.foreign_session(response)
        if foreign is not None:
            await self._end_session(foreign)
        return attempt.finish(response)

    def _adopt(self, token: RusTechToken) -> None:
        """Make a fresh session the client's (a sign-in answer's headers)."""
        if self._uid is None:
            self._uid = token.uid
        if self._poll_sessions is not None:
            self._poll_sessions += 1
        self._set_token(token)
        self._check_expiry(token.expiry)

    async def _end_session(self, token: RusTechToken) -> None:
        """Sign out a session that is not (or no longer) ours, best effort."""
        try:
            response = await self._send(
                "DELETE", "auth/sign_out", headers=token.headers()
            )
        except TelemetryHubError as err:
            _LOGGER.debug("Could not end a session left behind: %s", err)
        else:
            _LOGGER.debug("Ending a session left behind: %s", response.describe())

    def _check_expiry(self, expiry: int) -> None:
        """Report once that the server hands out expiries in our past."""
        behind = self._clock() - expiry
        if behind >= 0 and not self._skew_reported:
            self._skew_reported = True
            _LOGGER.warning(
                "%s hands out sessions that expired %.0f s ago by our clock: "
                "its clock (or ours) is off. Its own answers decide when a "
                "session is over",
                self._base,
                behind,
            )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        on_headers: HeadersCallback | None = None,
    ) -> ApiResponse:
        """Send one request through the shared helper."""
        self.request_count += 1
        return await request_json(
            self._session,
            method,
            f"{self._base}/{path}",
            params=params,
            json_body=json_body,
            headers={"Accept": "application/json", **(headers or {})},
            request_timeout=self._timeout,
            on_headers=on_headers,
        )

    def _set_token(self, token: RusTechToken | None) -> None:
        """Replace the token and tell the owner at once."""
        self._token = token
        if self._on_token_change is not None:
            self._on_token_change(token)


class _ForeignAnswerError(TelemetryHubProtocolError):
    """An answer whose `uid` names another user (a proxy mixing answers up)."""


def _transient(response: ApiResponse) -> bool:
    """Whether an answer is worth sending the read once more (5xx, not JSON)."""
    if response.status >= _HTTP_SERVER_ERROR:
        return True
    return response.json_error is not None and 200 <= response.status < 300  # noqa: PLR2004
