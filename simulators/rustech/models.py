"""Plain data classes shared by the RusTech simulator modules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SimStation:
    """One metering unit (station) with its corrector (equipment)."""

    id: int
    name: str
    equipment_id: int
    equipment_type_id: int  # 1 = BK, 2 = Flowgaz
    brand: str
    phone: str
    customer_id: int
    session_period: int
    session_offset: int


@dataclass(frozen=True)
class Customer:
    """One consumer (customer) of the resource provider."""

    id: int
    name: str
    inn: str
    contact_number: str


@dataclass(frozen=True)
class RequestRecord:
    """One request received by the simulator, as it was answered.

    ``path`` is relative to the base path, without a leading slash. ``params``
    merges the query string with any JSON (or form) body, the query winning.
    ``status`` is 0 while a ``timeout`` fault still holds the request.
    ``authenticated`` is True when the server accepted the caller: valid token
    headers, or valid credentials at sign-in. ``rotated`` is True when the
    response carried a new (non-blank) access token, sign-in included.
    """

    method: str
    path: str
    params: dict[str, str]
    status: int
    authenticated: bool
    rotated: bool
    at: float
    fault: str | None = None
    """The injected fault that spoiled this request, if any."""


@dataclass
class SessionInfo:
    """One devise_token_auth session (``client`` id) of a user."""

    client: str
    token: str
    previous_token: str | None
    rotated_at: float
    expiry: int
    created_at: float
