"""devise_token_auth headers: what an answer says about the session.

Every answer of the RusTech server may carry the session's next token in
its headers (`access-token`, `client`, `uid`, `expiry`, `token-type`).
This module reads them defensively: a value that could not be sent back
(blank, a line break, thousands of characters) counts as absent, and an
expiry that is not a plain positive number is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import re
from typing import Any, Self

from ..parsing import as_int, as_text
from .models import RusTechToken

DEFAULT_TOKEN_LIFESPAN = 14 * 24 * 3600
"""devise_token_auth's default, assumed when a sign-in states no expiry."""
LOCKED_WORDS = ("lock", "заблок", "блокир")

_TOKEN_TEXT = re.compile(r"[!-~]{1,512}")
"""A token or client id: visible ASCII (devise's are URL-safe base64)."""
_UID_TEXT = re.compile(r"[^\x00-\x1f\x7f]{1,320}")
"""A uid (the email for devise's email provider): no control characters."""
_MAX_REASON = 160


def _header(
    headers: Mapping[str, str], name: str, pattern: re.Pattern[str]
) -> str | None:
    value = headers.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if pattern.fullmatch(value) else None


@dataclass(frozen=True, slots=True)
class SessionHeaders:
    """The session headers of one answer; None where absent or unusable."""

    access_token: str | None
    client: str | None
    uid: str | None
    expiry: int | None
    token_type: str | None

    @classmethod
    def read(cls, headers: Mapping[str, str]) -> Self:
        """Read the headers of an answer."""
        expiry = as_int(headers.get("expiry"))
        return cls(
            access_token=_header(headers, "access-token", _TOKEN_TEXT),
            client=_header(headers, "client", _TOKEN_TEXT),
            uid=_header(headers, "uid", _UID_TEXT),
            expiry=expiry if expiry is not None and expiry > 0 else None,
            token_type=_header(headers, "token-type", _TOKEN_TEXT),
        )

    @property
    def opens_session(self) -> bool:
        """Whether the answer hands over a session (a sign-in's answer)."""
        return self.access_token is not None and self.client is not None

    def session(self, uid: str, default_expiry: int) -> RusTechToken:
        """The token of the session these headers open, for `uid`."""
        assert self.access_token is not None  # noqa: S101 - opens_session
        assert self.client is not None  # noqa: S101
        return RusTechToken(
            access_token=self.access_token,
            client=self.client,
            uid=uid,
            expiry=self.expiry or default_expiry,
            token_type=self.token_type or "Bearer",
        )

    def rotate(self, current: RusTechToken) -> RusTechToken | None:
        """The current session's next token; None if the answer has none.

        A blank token (the batch window) keeps the current one; headers of
        another session (a different `client`, say a proxy's cached answer)
        are not ours to keep, nor are those naming another user without
        naming our `client`. The uid is never taken from an answer.
        """
        if self.access_token is None:
            return None
        if self.client is not None and self.client != current.client:
            return None
        if (
            self.uid is not None
            and not same_user(self.uid, current.uid)
            and self.client is None
        ):
            return None  # another user's answer, as far as we can tell
        return RusTechToken(
            access_token=self.access_token,
            client=current.client,
            uid=current.uid,
            expiry=self.expiry or current.expiry,
            token_type=self.token_type or current.token_type,
        )


def same_user(first: str, second: str) -> bool:
    """Whether two uids name one user (devise folds emails to lower case)."""
    return first.casefold() == second.casefold()


def uid_of(body: Any) -> str | None:
    """The `uid` of a sign-in body's user object, if it is usable."""
    user = body.get("data") if isinstance(body, Mapping) else None
    uid = as_text(user.get("uid")) if isinstance(user, Mapping) else None
    return uid if uid is not None and _UID_TEXT.fullmatch(uid) else None


def first_error(body: Any) -> str | None:
    """The first message of a devise error body, if any."""
    if isinstance(body, Mapping):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return as_text(errors[0])
        if isinstance(errors, Mapping):
            for messages in errors.values():
                if isinstance(messages, list) and messages:
                    return as_text(messages[0])  # Rails' {"field": ["message"]}
    return None


def refusal_reason(body: Any, secrets: Iterable[str]) -> str:
    """Why a sign-in was refused, fit for a message shown to the user.

    The server's own words, on one line and short, unless they quote a
    secret (a hostile server may echo the password): then a generic text.
    """
    generic = "invalid login credentials"
    reason = first_error(body)
    if reason is None:
        return generic
    reason = " ".join(reason.split())[:_MAX_REASON]
    folded = reason.casefold()
    if any(secret and secret.casefold() in folded for secret in secrets):
        return generic
    return reason or generic


def is_locked(reason: str) -> bool:
    """Whether a refusal says the account is locked."""
    folded = reason.casefold()
    return any(word in folded for word in LOCKED_WORDS)
