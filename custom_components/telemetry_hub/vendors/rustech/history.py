"""RusTech gas counters in long-term statistics: each poll's rows, and ranges.

A station's statistic is fed from its hourly standard-volume counter
(`energy_channel`), converted from the server's unit to m³. Polls hand over
the rows they read; the `import_history` action reads a date range of the
hourly archive (older hours included: the statistics engine shifts the sum
of the later hours already stored, so the series never jumps).

The server reads archive dates in its own time zone, which it does not
state: a range of local days is asked with a day more on each side, in
chunks of days, oldest first (a counter's later hours then move only once),
one server call at a time with the account's refresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.const import UnitOfVolume
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import VolumeConverter

from ...api.errors import TelemetryHubProtocolError
from ...api.rustech import Feed, RusTechClient, RusTechSync, Station
from ...api.rustech.models import ArchiveRecord, ArchiveType
from ...api.rustech.units import ChannelDefinition, ChannelKind
from ...const import LOGGER
from ...statistics import (
    ExternalStatistic,
    ImportResult,
    async_import_readings,
    async_statistic_name,
)

STATISTIC_NAME = "standard_volume_statistic"
"""Translation of the gas statistic's name (`entity.sensor`)."""
CHUNK_DAYS = 7
"""Server days per archive call of a history import (about 170 rows)."""
_MARGIN = timedelta(days=1)

# Counter kinds usable as the station's gas consumption, best first.
_ENERGY_KINDS = (
    ChannelKind.STANDARD_VOLUME_TOTAL,
    ChannelKind.STANDARD_VOLUME_ACCUMULATED,
)


def energy_channel(channels: Iterable[ChannelDefinition]) -> ChannelDefinition | None:
    """The hourly standard-volume counter that feeds long-term statistics."""
    hourly = [c for c in channels if c.archive_type == Feed.HOURLY]
    for kind in _ENERGY_KINDS:
        for channel in hourly:
            if channel.kind is kind and channel.unit is not None:
                return channel
    return None


class RusTechHistory:
    """Import one account's gas counters into long-term statistics."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: RusTechClient,
        sync: RusTechSync,
        lock: asyncio.Lock,
        server: str,
    ) -> None:
        """Share the account's client, sync engine and one-call-at-a-time lock."""
        self.hass = hass
        self.client = client
        self._sync = sync
        self._lock = lock
        self._server = server

    async def async_import_records(
        self,
        station: Station,
        channel: ChannelDefinition,
        records: Sequence[ArchiveRecord],
    ) -> ImportResult:
        """Import hourly archive rows of a station's counter (`energy_channel`)."""
        return await self._import(await self._statistic(station), channel, records)

    async def async_import(
        self, device_keys: list[str] | None, start: date, end: date
    ) -> dict[str, Any]:
        """Import the local days `start`..`end` of stations (None: all of them).

        Returns a summary: per statistic the hours written, the stations
        skipped (no gas counter, unknown), and those the server failed on.
        A connection, authentication or rate-limit error ends the import
        (what was imported stays); a station whose archive is unreadable
        is reported and the others go on.
        """
        stations = {str(key): state for key, state in self._sync.state.stations.items()}
        keys = list(stations) if device_keys is None else device_keys
        begin = dt_util.start_of_local_day(start)
        finish = min(dt_util.start_of_local_day(end + timedelta(days=1)), dt_util.now())
        imported: dict[str, dict[str, Any]] = {}
        skipped: list[str] = []
        failed: dict[str, str] = {}
        first_error: TelemetryHubProtocolError | None = None
        for key in keys:
            station_state = stations.get(key)
            if station_state is None or station_state.station.equipment_id is None:
                skipped.append(key)
                continue
            station = station_state.station
            try:
                result = await self._import_station(station, begin, finish)
            except TelemetryHubProtocolError as err:
                LOGGER.warning("History of station %s (%s): %s", key, station.name, err)
                failed[key] = str(err)
                first_error = first_error or err
                continue
            if result is None:
                skipped.append(key)
            else:
                imported[result.statistic_id] = result.as_dict()
        if first_error is not None and not imported:
            raise first_error
        return {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "stations": len(imported),
            "hours": sum(result["written"] for result in imported.values()),
            "statistics": imported,
            "skipped": skipped,
            "failed": failed,
        }

    async def _import_station(
        self, station: Station, begin: datetime, finish: datetime
    ) -> ImportResult | None:
        """Read the station's archive from `begin` to `finish`, chunk by chunk."""
        channel = energy_channel(self._sync.state.channels_for(station))
        if channel is None:
            return None
        assert station.equipment_id is not None  # noqa: S101 - checked by caller
        statistic = await self._statistic(station)
        total = ImportResult(statistic_id=statistic.statistic_id)
        day, last_day = begin.date() - _MARGIN, finish.date() + _MARGIN
        while day <= last_day:
            chunk_end = min(day + timedelta(days=CHUNK_DAYS - 1), last_day)
            async with self._lock:
                records = await self.client.archive(
                    station.equipment_id,
                    ArchiveType.HOURLY,
                    day,
                    chunk_end,
                    station_id=station.id,
                )
            rows = [r for r in records if begin <= r.event_time <= finish]
            total = _add(total, await self._import(statistic, channel, rows))
            day = chunk_end + timedelta(days=1)
        return total

    async def _import(
        self,
        statistic: ExternalStatistic,
        channel: ChannelDefinition,
        records: Sequence[ArchiveRecord],
    ) -> ImportResult:
        """Feed the counter's values, in m³, to the statistics engine."""
        unit = channel.unit
        assert unit is not None  # noqa: S101 - energy_channel wants a unit
        readings = [
            (record.event_time, unit.convert(value))
            for record in records
            if (value := record.value(channel.code)) is not None
        ]
        return await async_import_readings(self.hass, statistic, readings)

    async def _statistic(self, station: Station) -> ExternalStatistic:
        """The station's gas statistic, named in the system language."""
        return ExternalStatistic(
            object_id=f"rustech_{self._server}_{station.id}_standard_volume",
            name=await async_statistic_name(
                self.hass, STATISTIC_NAME, {"station": station.name}
            ),
            unit=UnitOfVolume.CUBIC_METERS,
            unit_class=VolumeConverter.UNIT_CLASS,
        )


def _add(total: ImportResult, result: ImportResult) -> ImportResult:
    """Two imports of one statistic as one."""
    return ImportResult(
        statistic_id=total.statistic_id,
        written=total.written + result.written,
        shifted=total.shifted + result.shifted,
        kept=total.kept + result.kept,
        first=min(filter(None, (total.first, result.first)), default=None),
        last=max(filter(None, (total.last, result.last)), default=None),
        skipped=total.skipped + result.skipped,
    )
