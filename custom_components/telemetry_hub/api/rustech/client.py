"""Client of the RusTech "Universal data collection server" Web API.

Authentication is devise_token_auth's rotating token: every answer carries
the token for the next call and the previous one stops working, so

* all calls of one client are serialised (one lock);
* the newest non-blank ``access-token``/``client``/``uid``/``expiry`` is kept
  and handed to ``on_token_change`` the moment it changes, even when the
  body of that answer turns out to be unusable;
* a blank token (the server's 5 s batch window) keeps the current one;
* a stored token that has not expired is used as is (no sign-in), and a
  rejected one gets exactly one silent sign-in before an auth error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import date
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..errors import (
    TelemetryHubAccountLockedError,
    TelemetryHubAuthError,
    TelemetryHubProtocolError,
)
from ..http import (
    DEFAULT_TIMEOUT,
    ApiResponse,
    normalize_url,
    raise_for_status,
    request_json,
)
from ..parsing import as_int, as_text, as_time
from .models import (
    ArchiveRecord,
    ArchiveType,
    ConsolidatedRecord,
    Customer,
    EquipmentType,
    LastSession,
    Page,
    RusTechToken,
    RusTechUser,
    Setting,
    Station,
)
from .units import ChannelDefinition

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "https://uztgs.uz/api/v1"
MAX_PER_PAGE = 1000
DEFAULT_TOKEN_LIFESPAN = 14 * 24 * 3600
"""devise_token_auth's default, assumed when a sign-in states no expiry."""
_MAX_PAGES = 10_000
_HTTP_UNAUTHORIZED = 401
_LOCKED_WORDS = ("lock", "заблок", "блокир")

type TokenListener = Callable[[RusTechToken | None], None]


def server_key(url: str) -> str:
    """Identify a server by host, port and path (not scheme): "uztgs.uz/api/v1"."""
    parts = urlsplit(normalize_url(url))
    return f"{parts.netloc}{parts.path}"


class RusTechClient:
    """Typed access to every view of one RusTech account."""

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
    ) -> None:
        """Bind the client to a shared session; it never closes it."""
        self._session = session
        self._base = normalize_url(url)
        self._email = email
        self._password = password
        self._token = token
        self._on_token_change = on_token_change
        self._timeout = request_timeout
        self._per_page = max(1, min(per_page, MAX_PER_PAGE))
        self._clock = clock
        self._lock = asyncio.Lock()
        self._warned: set[str] = set()
        self.request_count = 0
        """HTTP requests sent, sign-ins included."""
        self.sign_in_count = 0
        self.rejected_token_count = 0
        """Silent sign-ins because the server rejected a stored token."""

    def __repr__(self) -> str:
        """Describe the client without any credential."""
        return f"RusTechClient({self._base!r})"

    @property
    def url(self) -> str:
        """The API base URL."""
        return self._base

    @property
    def token(self) -> RusTechToken | None:
        """The current session credentials, if any."""
        return self._token

    # ------------------------------------------------------------------
    # Session

    async def sign_in(self) -> RusTechUser:
        """Start a new session with the email and password."""
        async with self._lock:
            return await self._sign_in()

    async def sign_out(self) -> None:
        """End the current session; a session already gone is fine."""
        async with self._lock:
            token = self._token
            if token is None:
                return
            response = await self._send(
                "DELETE", "auth/sign_out", headers=token.headers()
            )
            self._set_token(None)
            if response.status in (200, 204, 401, 404):
                return
            raise_for_status(response)

    # ------------------------------------------------------------------
    # Views

    async def customers(self) -> list[Customer]:
        """Every customer (consumer) of the account."""
        return await self._paged("customers", {}, Customer.from_row)

    async def stations(self) -> list[Station]:
        """Every metering station of the account."""
        return await self._paged("stations", {}, Station.from_row)

    async def stations_page(
        self, page: int = 1, per_page: int | None = None
    ) -> list[Station]:
        """One page of stations (a cheap proof that the account works)."""
        params = {"page": str(page), "per_page": str(per_page or self._per_page)}
        body = await self._call("stations", params)
        envelope = Page.from_body(body, page, "stations")
        return self._parse_rows("stations", envelope.rows, Station.from_row)

    async def last_session(self, station_id: int) -> LastSession:
        """The time of a station's last communication session."""
        body = await self._call(
            "stations/last_seance_event_time", {"id": str(station_id)}
        )
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping):
            msg = "stations/last_seance_event_time: the answer has no data object"
            raise TelemetryHubProtocolError(msg)
        return LastSession(
            station_name=as_text(data.get("station_name")),
            last_session=as_time(data.get("last_seance_event_time")),
        )

    async def equipment_types(self) -> list[EquipmentType]:
        """Every metering device type."""
        return await self._paged("equipment_types", {}, EquipmentType.from_row)

    async def channels(self, equipment_type_id: int) -> list[ChannelDefinition]:
        """The channels an equipment type declares, per archive type."""
        return await self._paged(
            "channel_archive_types",
            {"equipment_type_id": str(equipment_type_id)},
            ChannelDefinition.from_row,
        )

    async def archive(
        self,
        equipment_id: int,
        archive_type: ArchiveType,
        start: date,
        end: date,
        *,
        station_id: int | None = None,
    ) -> list[ArchiveRecord]:
        """Archive rows between two dates (inclusive), oldest first, each once.

        The server reads the dates in its own time zone: callers should ask
        for overlapping windows and drop the rows they already have.
        """
        params = _archive_params(equipment_id, archive_type, start, end, station_id)
        return await self._archive_rows(params)

    async def consolidated_archive(
        self,
        equipment_id: int,
        archive_type: ArchiveType,
        start: date,
        end: date,
        *,
        station_id: int | None = None,
    ) -> list[ConsolidatedRecord]:
        """Rows of the consolidated (vendor-neutral) view, oldest first."""
        params = _archive_params(equipment_id, archive_type, start, end, station_id)
        params["channel_consolidation"] = "1"
        return [
            ConsolidatedRecord.from_record(r) for r in await self._archive_rows(params)
        ]

    async def settings(
        self, equipment_id: int, *, station_id: int | None = None
    ) -> list[Setting]:
        """The configuration of a corrector."""
        params = {"archive_type": "settings", "equipment_id": str(equipment_id)}
        if station_id is not None:
            params["station_id"] = str(station_id)
        return await self._paged("channel_data", params, Setting.from_row)

    # ------------------------------------------------------------------
    # Internals

    async def _archive_rows(self, params: Mapping[str, str]) -> list[ArchiveRecord]:
        """Every archive row asked for, oldest first, each once.

        Overlapping pages or windows repeat rows; two different rows may
        share a time (two abnormal situations in one second), so a row is
        the same only if its time and its content are.
        """
        records = await self._paged("channel_data", params, ArchiveRecord.from_row)
        unique = {(r.event_time, frozenset(r.raw.items())): r for r in records}
        return sorted(unique.values(), key=lambda record: record.event_time)

    async def _paged[T](
        self,
        path: str,
        params: Mapping[str, str],
        parse: Callable[[Mapping[str, Any]], T | None],
    ) -> list[T]:
        """Read every page of a list view.

        A list that changes while it is read (a later page comes back empty
        or the page count moves) is read once more from the start, then
        reported as a protocol error: a partial list must never pass for
        the whole one.
        """
        for _attempt in range(2):
            rows = await self._read_pages(path, params)
            if rows is not None:
                return self._parse_rows(path, rows, parse)
            _LOGGER.debug("%s changed while it was read; reading it again", path)
        msg = f"{path}: the list changed while it was read, twice in a row"
        raise TelemetryHubProtocolError(msg)

    async def _read_pages(
        self, path: str, params: Mapping[str, str]
    ) -> list[Mapping[str, Any]] | None:
        """Collect the rows of every page; None if the list moved meanwhile."""
        rows: list[Mapping[str, Any]] = []
        page = 1
        expected_pages: int | None = None
        for _ in range(_MAX_PAGES):
            body = await self._call(
                path, {**params, "page": str(page), "per_page": str(self._per_page)}
            )
            envelope = Page.from_body(body, page, path)
            if expected_pages is None:
                expected_pages = envelope.total_pages
            elif envelope.total_pages != expected_pages or not envelope.rows:
                return None
            rows.extend(envelope.rows)
            next_page = envelope.next_page
            if next_page is None or next_page <= page or not envelope.rows:
                return rows
            page = next_page
        msg = f"{path}: more than {_MAX_PAGES} pages"
        raise TelemetryHubProtocolError(msg)

    def _parse_rows[T](
        self,
        path: str,
        rows: list[Mapping[str, Any]],
        parse: Callable[[Mapping[str, Any]], T | None],
    ) -> list[T]:
        """Parse rows, skipping (and reporting once) those that are unusable."""
        items = [item for row in rows if (item := parse(row)) is not None]
        if skipped := len(rows) - len(items):
            level = logging.DEBUG if path in self._warned else logging.WARNING
            self._warned.add(path)
            _LOGGER.log(
                level, "%s: skipped %d rows without the fields we need", path, skipped
            )
        return items

    async def _call(self, path: str, params: Mapping[str, str]) -> Any:
        """Send one authenticated GET, signing in when needed; return the body."""
        async with self._lock:
            fresh = False
            if self._token is None or not self._token.is_valid(self._clock()):
                await self._sign_in()
                fresh = True
            response = await self._send_authenticated(path, params)
            if response.status == _HTTP_UNAUTHORIZED and not fresh:
                _LOGGER.info("The server rejected the stored session; signing in")
                self.rejected_token_count += 1
                await self._sign_in()
                response = await self._send_authenticated(path, params)
            if response.status == _HTTP_UNAUTHORIZED:
                msg = f"{response.describe()}: a fresh session was rejected"
                raise TelemetryHubAuthError(msg)
        raise_for_status(response)
        return response.data

    async def _send_authenticated(
        self, path: str, params: Mapping[str, str]
    ) -> ApiResponse:
        """Send with the current token and keep the token the answer brings."""
        assert self._token is not None  # noqa: S101 - the caller signed in
        response = await self._send(
            "GET", path, params=params, headers=self._token.headers()
        )
        self._absorb_token(response)
        return response

    async def _sign_in(self) -> RusTechUser:
        """Sign in (lock held) and keep the new session's token."""
        self.sign_in_count += 1
        response = await self._send(
            "POST",
            "auth/sign_in",
            json_body={"email": self._email, "password": self._password},
        )
        if response.status == _HTTP_UNAUTHORIZED:
            reason = _first_error(response.data) or "invalid login credentials"
            if any(word in reason.casefold() for word in _LOCKED_WORDS):
                raise TelemetryHubAccountLockedError(f"sign-in refused: {reason}")
            raise TelemetryHubAuthError(f"sign-in refused: {reason}")
        raise_for_status(response)
        body = response.data
        user = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(user, Mapping):
            msg = "sign-in answered without the user object"
            raise TelemetryHubProtocolError(msg)
        token = _token_from_headers(
            response.headers,
            fallback_uid=user.get("uid"),
            default_expiry=int(self._clock() + DEFAULT_TOKEN_LIFESPAN),
        )
        if token is None:
            msg = "sign-in answered without session headers (access-token, client)"
            raise TelemetryHubProtocolError(msg)
        self._set_token(token)
        return RusTechUser(
            uid=token.uid,
            id=as_int(user.get("id")),
            email=as_text(user.get("email")),
            name=as_text(user.get("name")),
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
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
        )

    def _absorb_token(self, response: ApiResponse) -> None:
        """Keep the rotated token of an answer; a blank one changes nothing."""
        current = self._token
        access_token = response.headers.get("access-token", "").strip()
        if current is None or not access_token:
            return
        rotated = RusTechToken(
            access_token=access_token,
            client=response.headers.get("client", "").strip() or current.client,
            uid=response.headers.get("uid", "").strip() or current.uid,
            expiry=as_int(response.headers.get("expiry")) or current.expiry,
            token_type=response.headers.get("token-type", "").strip()
            or current.token_type,
        )
        if rotated != current:
            self._set_token(rotated)

    def _set_token(self, token: RusTechToken | None) -> None:
        """Replace the token and tell the owner at once."""
        self._token = token
        if self._on_token_change is not None:
            self._on_token_change(token)


def _archive_params(
    equipment_id: int,
    archive_type: ArchiveType,
    start: date,
    end: date,
    station_id: int | None,
) -> dict[str, str]:
    """Query parameters of an archive request."""
    params = {
        "archive_type": str(archive_type),
        "equipment_id": str(equipment_id),
        "fp_start": start.isoformat(),
        "fp_end": end.isoformat(),
    }
    if station_id is not None:
        params["station_id"] = str(station_id)
    return params


def _token_from_headers(
    headers: Mapping[str, str], *, fallback_uid: Any, default_expiry: int
) -> RusTechToken | None:
    """Build the first token of a session from sign-in headers."""
    access_token = headers.get("access-token", "").strip()
    client = headers.get("client", "").strip()
    uid = headers.get("uid", "").strip() or as_text(fallback_uid)
    if not access_token or not client or not uid:
        return None
    return RusTechToken(
        access_token=access_token,
        client=client,
        uid=uid,
        expiry=as_int(headers.get("expiry")) or default_expiry,
        token_type=headers.get("token-type", "").strip() or "Bearer",
    )


def _first_error(body: Any) -> str | None:
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
