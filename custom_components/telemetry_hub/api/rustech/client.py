"""Client of the RusTech "Universal data collection server" Web API.

`RusTechClient` reads every view of the API, page by page (see `paging`),
into typed models; its session (tokens, sign-in, retries) is
`RusTechConnection`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from ..errors import TelemetryHubProtocolError
from ..parsing import as_text, as_time
from ..urls import normalize_url
from .auth import DEFAULT_TOKEN_LIFESPAN
from .connection import MAX_PER_PAGE, RusTechConnection, TokenListener
from .models import (
    ArchiveType,
    ConsolidatedRecord,
    Customer,
    EquipmentType,
    LastSession,
    Setting,
    Station,
)
from .paging import Page, read_pages
from .records import ArchiveRecord, unique_records
from .units import ChannelDefinition

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "https://uztgs.uz/api/v1"
_DIGITS = re.compile(r"\d+")

__all__ = [
    "DEFAULT_TOKEN_LIFESPAN",
    "DEFAULT_URL",
    "MAX_PER_PAGE",
    "RusTechClient",
    "TokenListener",
    "server_key",
]


def server_key(url: str) -> str:
    """Identify a server by host, port and path (not scheme): "uztgs.uz/api/v1"."""
    parts = urlsplit(normalize_url(url))
    return f"{parts.netloc}{parts.path}"


class RusTechClient(RusTechConnection):
    """Typed access to every view of one RusTech account."""

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
        size = max(1, min(per_page or self._per_page, MAX_PER_PAGE))
        params = {"page": str(max(1, page)), "per_page": str(size)}
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
        return unique_records(
            await self._paged("channel_data", params, ArchiveRecord.from_row)
        )

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
        records = await self._paged("channel_data", params, ArchiveRecord.from_row)
        return [ConsolidatedRecord.from_record(r) for r in unique_records(records)]

    async def settings(
        self, equipment_id: int, *, station_id: int | None = None
    ) -> list[Setting]:
        """The configuration of a corrector."""
        params = {"archive_type": "settings", "equipment_id": str(equipment_id)}
        if station_id is not None:
            params["station_id"] = str(station_id)
        return await self._paged("channel_data", params, Setting.from_row)

    # ------------------------------------------------------------------
    # Lists

    async def _paged[T](
        self,
        path: str,
        params: Mapping[str, str],
        parse: Callable[[Mapping[str, Any]], T | None],
    ) -> list[T]:
        """Read every page of a list view (see `paging`) and parse its rows."""

        async def fetch(page: int) -> Any:
            query = {**params, "page": str(page), "per_page": str(self._per_page)}
            return await self._call(path, query)

        rows = await read_pages(path, fetch, self._warn_once)
        return self._parse_rows(path, rows, parse)

    def _parse_rows[T](
        self,
        path: str,
        rows: list[Mapping[str, Any]],
        parse: Callable[[Mapping[str, Any]], T | None],
    ) -> list[T]:
        """Parse rows, skipping (and reporting once) those that are unusable."""
        try:
            items = [item for row in rows if (item := parse(row)) is not None]
        except Exception:  # noqa: BLE001 - one hostile row must not fail the list
            parsed = (_parse_safely(parse, row) for row in rows)
            items = [item for item in parsed if item is not None]
        if skipped := len(rows) - len(items):
            self._warn_once(path, f"skipped {skipped} rows without the fields we need")
        return items

    def _warn_once(self, path: str, problem: str) -> None:
        """Log a problem of a view: a warning the first time, then debug."""
        kind = (path, _DIGITS.sub("#", problem))
        level = logging.DEBUG if kind in self._warned else logging.WARNING
        self._warned.add(kind)
        _LOGGER.log(level, "%s: %s", path, problem)


def _parse_safely[T](
    parse: Callable[[Mapping[str, Any]], T | None], row: Mapping[str, Any]
) -> T | None:
    try:
        return parse(row)
    except Exception:  # noqa: BLE001 - see _parse_rows
        return None


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
