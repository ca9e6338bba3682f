"""Client of the DEXMA Energy Manager API v3.

One header authenticates every call: `x-dexcell-token` (a permanent token
from DEXMA's "Access Token App"). The token never appears in a log line,
an exception message or a repr.

Answers and what they become (only the package's exception family ever
leaves the client):

* 2xx JSON -> the parsed models; 204 (or an empty 200) -> no rows;
* 401 -> `TelemetryHubAuthError`;
* 403 on a device call -> `TelemetryHubDeviceAccessError(device=id)`: DEXMA
  answers "Entity not found" for a device the token cannot see; 403 on an
  account-wide call (`/devices`, `/locations`) -> `TelemetryHubAuthError`;
* 404 -> `TelemetryHubNotFoundError(call=...)`;
* 422 -> `DexmaValidationError` (a protocol error: bad range, bad page size);
* 429 -> `TelemetryHubRateLimitError(retry_after=...)` from `Retry-After`,
  else from the reset of the exhausted quota window;
* 5xx, timeouts, transport failures -> `TelemetryHubConnectionError`;
* HTML, malformed or deeply nested JSON, a body of the wrong shape ->
  `TelemetryHubProtocolError(call=...)`.

The quota headers of **every** answer (errors included) are read into a
`Quota`, kept in `quota` and handed to `on_quota`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
import logging
import re
import time
from typing import Any

import aiohttp

from ..errors import (
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubDeviceAccessError,
    TelemetryHubNotFoundError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
)
from ..http import (
    DEFAULT_TIMEOUT,
    ApiResponse,
    request_json,
    retry_after_seconds as http_retry_after,
)
from ..parsing import unwrap_list
from ..urls import normalize_url
from .answers import error_message, resolution_codes, row_identity
from .errors import DexmaValidationError
from .models import (
    Device,
    Location,
    Parameter,
    ReadingSeries,
)
from .plan import ReadingsCall
from .quota import Quota, parse_quota
from .spans import (
    LocalZone,
    Operation,
    Resolution,
    resolve_timezone,
    split_range,
    to_local,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "https://api.dexma.com/v3"
TOKEN_HEADER = "x-dexcell-token"  # noqa: S105 - a header name, not a secret
MAX_PAGE_SIZE = 500
_MAX_PAGES = 1000
_LIST_KEYS = ("data", "items", "results", "devices", "locations", "parameters")
_TOKEN_TEXT = re.compile(r"[\x21-\x7e]+")

type QuotaListener = Callable[[Quota], None]


class DexmaClient:
    """Typed access to one DEXMA account (one token)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str = DEFAULT_URL,
        request_timeout: float = DEFAULT_TIMEOUT,
        on_quota: QuotaListener | None = None,
        page_size: int = MAX_PAGE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Bind the client to a shared session (never closed here).

        Raises TelemetryHubAuthError for a token a header cannot carry and
        TelemetryHubConnectionError for an address that is not http(s).
        """
        token = token.strip() if isinstance(token, str) else ""
        if not _TOKEN_TEXT.fullmatch(token):
            msg = "the token is empty or holds characters a header cannot carry"
            raise TelemetryHubAuthError(msg)
        try:
            self._base = normalize_url(base_url)
        except ValueError as err:
            raise TelemetryHubConnectionError(f"not an API address: {err}") from err
        self._session = session
        self._token = token
        self._timeout = request_timeout
        self._on_quota = on_quota
        self._page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        self._clock = clock
        self._quota: Quota | None = None
        self._warned: set[str] = set()
        self.request_count = 0
        """HTTP requests sent (each one is charged to the token's quota)."""

    def __repr__(self) -> str:
        """Describe the client without the token."""
        return f"DexmaClient({self._base!r}, requests={self.request_count})"

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self._base

    @property
    def quota(self) -> Quota | None:
        """The quota state of the latest answer that reported one."""
        return self._quota

    # ------------------------------------------------------------------
    # Calls

    async def check(self) -> None:
        """One cheap call proving the token works (the config flow's test)."""
        await self._get("devices", "devices", {"start": "0", "limit": "1"})

    async def devices(self) -> list[Device]:
        """Every device of the account (all pages)."""
        return await self._paged("devices", "devices", Device.from_row)

    async def device(self, device_id: int) -> Device:
        """One device; a device the token cannot see raises DeviceAccessError."""
        body = await self._get("device", f"devices/{device_id}", device=device_id)
        return self._one("device", body, Device.from_row)

    async def locations(self) -> list[Location]:
        """Every location of the account (all pages)."""
        return await self._paged("locations", "locations", Location.from_row)

    async def location(self, location_id: int) -> Location:
        """One location (with its time zone)."""
        body = await self._get("location", f"locations/{location_id}")
        return self._one("location", body, Location.from_row)

    async def parameters(self, device_id: int) -> list[Parameter]:
        """The parameters a device sends (all pages)."""
        return await self._paged(
            "parameters",
            "parameters",
            Parameter.from_row,
            {"device_id": str(device_id)},
            device=device_id,
        )

    async def resolutions(self, device_id: int, parameter_key: str) -> list[Resolution]:
        """The resolutions a device's parameter can be read at."""
        body = await self._get(
            "resolutions",
            f"parameters/{parameter_key}/resolutions",
            {"device_id": str(device_id)},
            device=device_id,
        )
        found: list[Resolution] = []
        for item in resolution_codes(body):
            try:
                resolution = Resolution(item.strip().upper())
            except ValueError:
                continue
            if resolution not in found:
                found.append(resolution)
        return found

    async def readings(
        self,
        device_id: int,
        parameter_key: str,
        resolution: Resolution,
        start: datetime,
        end: datetime,
        *,
        operation: Operation | None = None,
        tz: str | tzinfo | None = None,
    ) -> ReadingSeries:
        """Readings of [start, end] (`end` inclusive), split by the span limits.

        `tz` is the location's zone (an IANA name or a tzinfo): aware times
        are converted to it and naive ones are taken as its local times.
        Without a usable zone, UTC stands in and the series says so
        (`timezone_fallback`), with one log line per device. An inverted
        range raises DexmaValidationError without a call.
        """
        resolution = Resolution(resolution)
        operation = None if operation is None else Operation(operation)
        zone = self._zone(tz, device_id)
        local_start = to_local(start, zone.zone)
        local_end = to_local(end, zone.zone)
        calls = [
            ReadingsCall(
                device_id,
                parameter_key,
                resolution,
                operation,
                call_start,
                call_end,
                zone.name,
                index,
            )
            for index, (call_start, call_end) in enumerate(
                split_range(resolution, local_start, local_end, zone.zone)
            )
        ]
        if not calls:
            msg = "readings: the range ends before it starts (no call made)"
            raise DexmaValidationError(msg, call="readings")
        parts = [await self._readings_call(call, zone) for call in calls]
        return ReadingSeries.merge(calls[0], parts, fallback=zone.fallback)

    async def fetch(self, call: ReadingsCall) -> ReadingSeries:
        """Make one planned readings call (see `plan`)."""
        return await self._readings_call(
            call, self._zone(call.timezone, call.device_id)
        )

    # ------------------------------------------------------------------
    # Internals

    def _zone(self, tz: str | tzinfo | None, device_id: int) -> LocalZone:
        if isinstance(tz, tzinfo):
            return LocalZone(tz, str(tz))
        zone = resolve_timezone(tz)
        if zone.fallback and f"tz:{device_id}" not in self._warned:
            self._warned.add(f"tz:{device_id}")
            _LOGGER.warning(
                "Device %s: its location has no usable time zone (%r); "
                "reading its local times as UTC",
                device_id,
                tz if isinstance(tz, str) and len(tz) <= 64 else None,  # noqa: PLR2004
            )
        return zone

    async def _readings_call(
        self, call: ReadingsCall, zone: LocalZone
    ) -> ReadingSeries:
        body = await self._get(
            "readings", "readings", call.params(), device=call.device_id
        )
        series = ReadingSeries.from_body(call, body, zone.zone, fallback=zone.fallback)
        if series is None:
            msg = "readings: the answer has no list of values"
            raise TelemetryHubProtocolError(msg, call="readings")
        if series.skipped:
            _LOGGER.debug(
                "readings of %s: skipped %d null or unreadable values",
                call.meter_key,
                series.skipped,
            )
        return series

    async def _paged[T](
        self,
        call: str,
        path: str,
        parse: Callable[[Mapping[str, Any]], T | None],
        params: Mapping[str, str] | None = None,
        *,
        device: int | None = None,
    ) -> list[T]:
        """Read every page (`start`/`limit`) until a short or empty page.

        A server that ignores `start` (a page with nothing new) or `limit`
        (a page longer than asked) ends the loop: one more page is never
        worth a quota spent on repeats.
        """
        rows: list[Mapping[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        start = 0
        unusable = 0
        for _ in range(_MAX_PAGES):
            page_params = {
                **(params or {}),
                "start": str(start),
                "limit": str(self._page_size),
            }
            body = await self._get(call, path, page_params, device=device)
            if body is None:
                break
            page = unwrap_list(body, *_LIST_KEYS)
            if page is None:
                msg = f"{call}: the answer is not a list"
                raise TelemetryHubProtocolError(msg, call=call)
            new = 0
            for row in page:
                if not isinstance(row, Mapping):
                    unusable += 1
                    continue
                identity = row_identity(row)
                if identity is not None and identity in seen:
                    continue
                if identity is not None:
                    seen.add(identity)
                rows.append(row)
                new += 1
            if len(page) != self._page_size or new == 0:
                break
            start += self._page_size
        else:
            msg = f"{call}: more than {_MAX_PAGES} pages"
            raise TelemetryHubProtocolError(msg, call=call)
        items = [item for row in rows if (item := parse(row)) is not None]
        unusable += len(rows) - len(items)
        if unusable:
            level = logging.DEBUG if call in self._warned else logging.WARNING
            self._warned.add(call)
            _LOGGER.log(
                level, "%s: skipped %d rows without the fields we need", call, unusable
            )
        return items

    def _one[T](
        self, call: str, body: Any, parse: Callable[[Mapping[str, Any]], T | None]
    ) -> T:
        """Parse a detail answer (an object, or a list holding one)."""
        if isinstance(body, list) and len(body) == 1:
            body = body[0]
        item = parse(body) if isinstance(body, Mapping) else None
        if item is None:
            msg = f"{call}: the answer is not a usable object"
            raise TelemetryHubProtocolError(msg, call=call)
        return item

    async def _get(
        self,
        call: str,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        device: int | None = None,
    ) -> Any:
        """Send one GET; return the JSON body, or None for an empty answer."""
        self.request_count += 1
        try:
            response = await request_json(
                self._session,
                "GET",
                f"{self._base}/{path}",
                params=params,
                headers={TOKEN_HEADER: self._token, "Accept": "application/json"},
                request_timeout=self._timeout,
            )
        except RecursionError as err:
            msg = f"{call}: the answer is nested too deeply to read"
            raise TelemetryHubProtocolError(msg, call=call) from err
        self._absorb_quota(response)
        if 200 <= response.status < 300:  # noqa: PLR2004
            if response.json_error is not None:
                msg = f"{response.describe()}, but {response.json_error}"
                raise TelemetryHubProtocolError(msg, call=call)
            return response.data
        raise self._error(call, response, device)

    def _error(self, call: str, response: ApiResponse, device: int | None) -> Exception:
        """The exception an error status stands for."""
        status = response.status
        reason = error_message(response.data, self._token)
        text = response.describe() + (f": {reason}" if reason else "")
        error: Exception
        if status == 403 and device is not None:  # noqa: PLR2004
            error = TelemetryHubDeviceAccessError(
                f"{text} (device {device} is not visible to this token)",
                device=str(device),
            )
        elif status in (401, 403):
            error = TelemetryHubAuthError(f"{text} (token rejected)")
        elif status == 404:  # noqa: PLR2004
            error = TelemetryHubNotFoundError(f"{text} ({call})", call=call)
        elif status == 422:  # noqa: PLR2004
            error = DexmaValidationError(text, call=call)
        elif status == 429:  # noqa: PLR2004
            retry_after = http_retry_after(response.headers)
            if retry_after is None and self._quota is not None:
                retry_after = self._quota.retry_after()
            error = TelemetryHubRateLimitError(
                f"{text} (quota used up)", retry_after=retry_after
            )
        elif status >= 500:  # noqa: PLR2004
            error = TelemetryHubConnectionError(f"{text} (server error)")
        else:
            error = TelemetryHubProtocolError(text, call=call)
        return error

    def _absorb_quota(self, response: ApiResponse) -> None:
        quota = parse_quota(response.headers, self._clock())
        if not quota.known:
            return
        self._quota = quota
        if self._on_quota is not None:
            try:
                self._on_quota(quota)
            except Exception:
                _LOGGER.exception("The quota listener failed")
