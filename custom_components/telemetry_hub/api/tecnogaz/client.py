"""Client of the Tecno-Gaz DISTRO API (provisional contract v1).

One token per distributor contract, sent in `x-tgz-distro-token`, grants
the serials tied to it. Every call waits for the token's rate limiter (one
limiter per token, shared by every client of that token), and only the
package's own exceptions leave the client:

* 401 -> `TelemetryHubAuthError` (unknown, revoked or expired token);
* 403 -> `TelemetryHubDeviceAccessError` naming the serial;
* 404 -> `TelemetryHubNotFoundError` naming the call and its path template;
* 429 -> `TelemetryHubRateLimitError`, and the limiter holds every call of
  the token until the server's Retry-After has passed;
* 5xx, timeouts, resets -> `TelemetryHubConnectionError`;
* HTML, malformed or wrong-shape JSON -> `TelemetryHubProtocolError`.

The token never appears in a repr, a log line or an exception message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
import logging
import math
from typing import Any
from urllib.parse import quote

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
    retry_after_seconds,
)
from ..parsing import as_mapping, unwrap_list
from ..ratelimit import MAX_HOLD, RateLimiter
from ..urls import normalize_url
from . import fields as read
from .contract import (
    CONTRACT_VERSION,
    DEFAULT_URL,
    MAX_PAGE_SIZE,
    PATHS,
    TOKEN_HEADER,
    Call,
    Param,
)
from .fields import Fields as F  # noqa: N817 - one letter keeps rows readable
from .models import Alarm, Cycle, Sterilizer
from .report import CycleReport

_LOGGER = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 60.0
"""Seconds to hold after a 429 that states no (usable) Retry-After."""
MAX_PAGES = 50
"""Pages `cycles_until` reads at most (5000 cycles at the default size)."""
_MAX_DETAIL = 80
"""Characters of a server's error code kept in a message."""

_HTTP_UNAUTHORIZED = 401
_HTTP_FORBIDDEN = 403
_HTTP_NOT_FOUND = 404
_HTTP_TOO_MANY = 429
_HTTP_SERVER_ERROR = 500


def limiter_key(token: str) -> str:
    """The key of a token's rate limiter: a hash, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class CyclePage:
    """One page of a sterilizer's cycles, newest first."""

    cycles: tuple[Cycle, ...]
    page: int
    page_size: int
    total: int | None
    """Cycles in the whole window, when the server says."""

    @property
    def has_more(self) -> bool:
        """Whether a further page may hold more cycles."""
        if self.total is not None:
            return self.page * self.page_size < self.total and bool(self.cycles)
        return len(self.cycles) >= self.page_size


@dataclass(frozen=True, slots=True)
class DeviceListing:
    """The sterilizers of the contract, as one `/devices` answer lists them."""

    sterilizers: tuple[Sterilizer, ...]
    skipped: int = 0
    """Rows without a serial: the listing may lack sterilizers it has."""

    @property
    def complete(self) -> bool:
        """Whether every row was read (absence then means "not listed")."""
        return self.skipped == 0


def _time_param(when: datetime) -> str:
    """A query time: ISO 8601 in UTC with `Z`."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class TecnoGazClient:
    """Typed access to the sterilizers of one DISTRO contract."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str = DEFAULT_URL,
        limiter: RateLimiter | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Bind the client to a shared session (never closed here).

        `limiter` is the token's shared limiter; without one the client
        keeps its own (80 calls per rolling minute).
        """
        self._session = session
        self._token = token
        self._base = normalize_url(base_url)
        self.limiter = limiter or RateLimiter()
        self._timeout = request_timeout
        self._warned: set[str] = set()
        self.request_count = 0
        """HTTP requests sent."""

    def __repr__(self) -> str:
        """Describe the client without the token."""
        return f"TecnoGazClient({self._base!r})"

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self._base

    # ------------------------------------------------------------------
    # Calls

    async def devices(self) -> list[Sterilizer]:
        """Every sterilizer tied to the token (each serial once)."""
        return list((await self.listing()).sterilizers)

    async def listing(self) -> DeviceListing:
        """The `/devices` answer, saying whether rows had to be skipped."""
        body = await self._get(Call.DEVICES)
        rows = self._rows(Call.DEVICES, body, F.DEVICES)
        found = self._parse(Call.DEVICES, rows, Sterilizer.from_json)
        unique = {sterilizer.serial: sterilizer for sterilizer in found}
        return DeviceListing(tuple(unique.values()), skipped=len(rows) - len(found))

    async def device(self, serial: str) -> Sterilizer:
        """One sterilizer."""
        body = await self._get(Call.DEVICE, serial=serial)
        data = as_mapping(body)
        if isinstance(data.get(F.DEVICE), Mapping):
            data = data[F.DEVICE]
        sterilizer = Sterilizer.from_json(data, serial=serial) if data else None
        if sterilizer is None:
            raise self._shape_error(Call.DEVICE, "is not a device object")
        return sterilizer

    async def cycles(
        self,
        serial: str,
        start: datetime,
        end: datetime,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
    ) -> CyclePage:
        """One page of the cycles started between `start` and `end`."""
        page = max(1, page)
        page_size = max(1, page_size)
        params: dict[str, str] = {
            Param.FROM: _time_param(start),
            Param.TO: _time_param(end),
            Param.PAGE: str(page),
            Param.PAGE_SIZE: str(page_size),
        }
        body = await self._get(Call.CYCLES, params, serial=serial)
        rows = self._rows(Call.CYCLES, body, F.CYCLES)
        cycles = self._parse(Call.CYCLES, rows, Cycle.from_json)
        envelope = as_mapping(body)
        unique: dict[int, Cycle] = {}
        for cycle in cycles:  # a number twice: the finished version wins
            if cycle.number not in unique or cycle.finished:
                unique[cycle.number] = cycle
        return CyclePage(
            cycles=tuple(sorted(unique.values(), key=lambda cycle: -cycle.number)),
            page=read.count(envelope.get(F.PAGE)) or page,
            page_size=read.count(envelope.get(F.PAGE_SIZE)) or page_size,
            total=read.count(envelope.get(F.TOTAL)),
        )

    async def cycles_until(
        self,
        serial: str,
        start: datetime,
        end: datetime,
        *,
        stop_at: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> list[Cycle]:
        """Cycles newest first, paging until the known ones are reached.

        Pages are read until one reaches cycle number `stop_at` (or below),
        a cycle started before `start`, or the end of the list. Cycles that
        moved from one page to the next (new ones arrived meanwhile) count
        once.
        """
        found: dict[int, Cycle] = {}
        for page in range(1, max(1, max_pages) + 1):
            result = await self.cycles(
                serial, start, end, page=page, page_size=page_size
            )
            for cycle in result.cycles:
                found.setdefault(cycle.number, cycle)
            reached = stop_at is not None and any(
                cycle.number <= stop_at for cycle in result.cycles
            )
            passed = any(
                cycle.start is not None and cycle.start < start
                for cycle in result.cycles
            )
            if reached or passed or not result.has_more:
                break
        return sorted(found.values(), key=lambda cycle: -cycle.number)

    async def report(self, serial: str, cycle_number: int) -> CycleReport:
        """The report of one cycle."""
        body = await self._get(
            Call.REPORT, serial=serial, cycle_number=str(cycle_number)
        )
        report = CycleReport.from_json(body, number=cycle_number)
        if report is None:
            raise self._shape_error(Call.REPORT, "is not a report object")
        return report

    async def alarms(
        self,
        serial: str,
        start: datetime,
        end: datetime,
        *,
        active_only: bool = False,
    ) -> list[Alarm]:
        """The alarms of a sterilizer between `start` and `end`, oldest first."""
        params: dict[str, str] = {
            Param.FROM: _time_param(start),
            Param.TO: _time_param(end),
        }
        if active_only:
            params[Param.ACTIVE] = "true"
        body = await self._get(Call.ALARMS, params, serial=serial)
        rows = self._rows(Call.ALARMS, body, F.ALARMS)
        alarms = {a.id: a for a in self._parse(Call.ALARMS, rows, Alarm.from_json)}
        return sorted(
            alarms.values(),
            key=lambda alarm: (alarm.raised_at is None, alarm.raised_at, alarm.id),
        )

    # ------------------------------------------------------------------
    # Internals

    async def _get(
        self,
        call: Call,
        params: Mapping[str, str] | None = None,
        *,
        serial: str | None = None,
        cycle_number: str | None = None,
    ) -> Any:
        """Send one GET of `call` and return its JSON body, or raise."""
        path = PATHS[call].format(
            serial=quote(serial or "", safe=""),
            cycle_number=quote(cycle_number or "", safe=""),
        )
        await self.limiter.acquire()
        self.request_count += 1
        try:
            response = await request_json(
                self._session,
                "GET",
                f"{self._base}{path}",
                params=params,
                headers={
                    TOKEN_HEADER: self._token,
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                },
                request_timeout=self._timeout,
            )
        except RecursionError as err:
            # json.loads gives up on absurdly deep nesting with this error.
            msg = f"{call}: the answer is nested too deeply to be JSON we know"
            raise TelemetryHubProtocolError(msg, call=call) from err
        self._check(call, response, serial)
        return response.data

    def _check(self, call: Call, response: ApiResponse, serial: str | None) -> None:
        """Raise the package's exception for an answer that is not usable."""
        status = response.status
        what = f"{call} ({response.describe()}{self._detail(response)})"
        if status == _HTTP_UNAUTHORIZED:
            msg = (
                f"{what}: the token was refused; it is unknown, was revoked, "
                "or the contract ended"
            )
            raise TelemetryHubAuthError(msg)
        if status == _HTTP_FORBIDDEN:
            refused = f"sterilizer {serial}" if serial else "this call"
            msg = f"{what}: {refused} is not tied to this token"
            raise TelemetryHubDeviceAccessError(msg, device=serial)
        if status == _HTTP_NOT_FOUND:
            msg = (
                f"{what}: call '{call}' ({PATHS[call]}, contract "
                f"{CONTRACT_VERSION}) was not found: an unknown serial, or "
                "the service's path differs from the contract"
            )
            raise TelemetryHubNotFoundError(msg, call=call)
        if status == _HTTP_TOO_MANY:
            wait = retry_after_seconds(response.headers)
            if wait is None or not math.isfinite(wait):
                wait = DEFAULT_RETRY_AFTER
            wait = min(wait, MAX_HOLD)
            self.limiter.hold(wait)
            msg = f"{what}: over the call limit; retry in {wait:.0f} s"
            raise TelemetryHubRateLimitError(msg, retry_after=wait)
        if status >= _HTTP_SERVER_ERROR:
            raise TelemetryHubConnectionError(f"{what}: server error")
        if not 200 <= status < 300:  # noqa: PLR2004
            raise TelemetryHubProtocolError(f"{what}: unexpected status", call=call)
        if response.json_error is not None or response.data is None:
            reason = response.json_error or "the body is empty"
            raise TelemetryHubProtocolError(f"{what}: {reason}", call=call)

    def _detail(self, response: ApiResponse) -> str:
        """The server's error code, if it sent one (token scrubbed)."""
        body = response.data
        code = read.text(body.get(F.ERROR)) if isinstance(body, Mapping) else None
        if not code:
            return ""
        code = code.replace(self._token, "***") if self._token else code
        return f", {code[:_MAX_DETAIL]}"

    def _rows(self, call: Call, body: Any, key: str) -> list[Any]:
        """The list of an answer, bare or wrapped; raise if there is none."""
        rows = unwrap_list(body, key)
        if rows is None:
            raise self._shape_error(call, f"has no list of {key}")
        return rows

    @staticmethod
    def _shape_error(call: Call, problem: str) -> TelemetryHubProtocolError:
        return TelemetryHubProtocolError(
            f"{call}: the answer {problem} ({PATHS[call]})", call=call
        )

    def _parse[T](
        self, call: Call, rows: list[Any], parse: Callable[[Any], T | None]
    ) -> list[T]:
        """Parse rows, skipping (and reporting once) those without identity."""
        items = [item for row in rows if (item := parse(row)) is not None]
        if skipped := len(rows) - len(items):
            level = logging.DEBUG if call in self._warned else logging.WARNING
            self._warned.add(call)
            _LOGGER.log(
                level, "%s: skipped %d rows without their identity", call, skipped
            )
        return items
