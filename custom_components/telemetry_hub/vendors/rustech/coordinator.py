"""The coordinator of one RusTech account.

It owns the client (and so the rotating token), runs the incremental sync
engine on every poll, keeps the engine's state in the entry's store (so a restart
neither signs in nor downloads again), imports hourly counters into
long-term statistics, removes stations that vanished, and raises a repair
issue when the account's sessions keep being pushed out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import date, datetime, timedelta
import hashlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ...api import TelemetryHubError
from ...api.rustech import (
    Feed,
    RusTechClient,
    RusTechSync,
    StationState,
    SyncState,
    daily_only_channels,
    server_key,
)
from ...api.rustech.units import ChannelDefinition
from ...const import DOMAIN, LOGGER
from ...coordinator import (
    DeviceEvent,
    TelemetryHubConfigEntry,
    TelemetryHubCoordinator,
)
from ...vendor import HISTORY_DAYS
from .const import OFFLINE_AFTER
from .entities import (
    ABNORMAL_EVENT,
    ABNORMAL_SITUATION,
    CONNECTIVITY,
    LAST_SESSION,
    LATEST_READING,
    StationView,
    channel_description,
)
from .history import RusTechHistory, energy_channel
from .support import SessionWatch, channel_diagnostics, setting_diagnostics

if TYPE_CHECKING:
    from ...api.rustech.models import ArchiveRecord
    from ...vendor import VendorDescriptor

BACKFILL_PAUSE = 0.5
"""Seconds between two background history requests."""


class RusTechCoordinator(TelemetryHubCoordinator[StationView]):
    """Poll one RusTech account."""

    catch_up = timedelta(days=31)
    """Modems may deliver a month of archive at once; announce all of it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TelemetryHubConfigEntry,
        vendor: VendorDescriptor,
        client: RusTechClient,
    ) -> None:
        """Set up the account's client and sync engine."""
        super().__init__(hass, entry, vendor)
        self.client = client
        # The entry loads with the newest rows; the history window is read
        # afterwards, in paced background steps (see _schedule_backfill).
        self.sync = RusTechSync(
            client,
            wanted=self._wanted,
            backfill=timedelta(days=HISTORY_DAYS.value(entry.options)),
            background_backfill=True,
        )
        self._backfill_timer: CALLBACK_TYPE | None = None
        self.offline_after = _offline_after(entry.options)
        self._server = server_key(client.url)
        parts = urlsplit(client.url)
        self._site = f"{parts.scheme}://{parts.netloc}/"
        self.sessions = SessionWatch(hass, entry)
        self._warned_units: set[tuple[int, str]] = set()
        self.history = RusTechHistory(
            hass, client, self.sync, self._refresh_lock, self._server
        )

    def restore(self, sections: Mapping[str, Mapping[str, Any]]) -> None:
        """Continue from the sync state the last run stored."""
        self.sync.state = SyncState.from_dict(sections.get("sync"))

    def persist(self) -> dict[str, Any]:
        """The sync state to store."""
        return {"sync": self.sync.state.as_dict()}

    async def _async_fetch(self) -> dict[str, StationView]:
        """Run one incremental sync; keep what it read even if it fails."""
        rejected_before = self.client.rejected_token_count
        try:
            await self.sync.refresh(dt_util.utcnow())
        finally:
            self.sessions.track(self.client.rejected_token_count - rejected_before)
            await self._import_statistics()
        self._schedule_backfill(0)
        return self._views()

    async def async_shutdown(self) -> None:
        """Stop the background backfill too (its progress is stored)."""
        self._cancel_backfill()
        await super().async_shutdown()

    # ------------------------------------------------------------------
    # History in the background

    @callback
    def _schedule_backfill(self, delay: float = BACKFILL_PAUSE) -> None:
        """Read the next chunk of history after `delay` s, if any is owed."""
        if self._backfill_timer is None and self.sync.backfill_pending:
            self._backfill_timer = async_call_later(
                self.hass, delay, self._start_backfill_step
            )

    @callback
    def _start_backfill_step(self, _now: datetime) -> None:
        self._backfill_timer = None
        self.config_entry.async_create_background_task(
            self.hass, self._async_backfill_step(), f"{DOMAIN} history backfill"
        )

    @callback
    def _cancel_backfill(self) -> None:
        if self._backfill_timer is not None:
            self._backfill_timer()
            self._backfill_timer = None

    async def _async_backfill_step(self) -> None:
        """One chunk of one station's history into long-term statistics.

        One request and a few milliseconds of parsing; the statistics
        engine writes in small batches. Paced, so the server and Home
        Assistant's event loop stay free; a failed chunk is tried again
        later (the engine gives a station up after three failures).
        """
        try:
            await self.sync.backfill_step(dt_util.utcnow())
        except TelemetryHubError as err:
            LOGGER.debug("History backfill paused: %s", err)
        await self._import_statistics()
        self.store.schedule_save()
        if self.sync.backfill_pending:
            self._schedule_backfill()
        else:
            LOGGER.debug("History of every station read")

    async def async_import_history(
        self, device_keys: list[str] | None, start: date, end: date
    ) -> dict[str, Any]:
        """Import a date range of the stations' hourly archives (the action)."""
        return await self.history.async_import(device_keys, start, end)

    @callback
    def apply_options(self, options: Mapping[str, Any]) -> None:
        """Apply options the user just saved, without a reload."""
        self.offline_after = _offline_after(options)
        if self.data is not None:
            # Connectivity depends on the offline threshold.
            self.data = self._views(events=False)
        super().apply_options(options)

    # ------------------------------------------------------------------
    # Entities

    def descriptions(
        self, platform: Platform
    ) -> Iterable[tuple[str, EntityDescription]]:
        """Every entity of a platform, per station."""
        for device_key, view in (self.data or {}).items():
            if platform is Platform.SENSOR:
                yield device_key, LAST_SESSION
                yield device_key, LATEST_READING
                for channel in view.channels.values():
                    description = channel_description(channel, channel.archive_type)
                    if description is not None:
                        yield device_key, description
            elif platform is Platform.BINARY_SENSOR:
                yield device_key, CONNECTIVITY
            elif platform is Platform.EVENT:
                yield device_key, ABNORMAL_SITUATION

    def describe_device(self, device_key: str, view: StationView) -> DeviceInfo:
        """A metering station as a device (as the latest listing has it)."""
        station = view.station
        return DeviceInfo(
            name=station.name,
            model=station.brand,
            serial_number=(
                str(station.equipment_id) if station.equipment_id is not None else None
            ),
            configuration_url=self._site,
        )

    async def async_diagnostics(self) -> dict[str, Any]:
        """What support needs to see (personal fields are redacted later)."""
        return {
            "server": self._server,
            "requests": self.client.request_count,
            "sign_ins": self.client.sign_in_count,
            "rejected_tokens": self.client.rejected_token_count,
            "token_expiry": self.client.token.expiry if self.client.token else None,
            "equipment_types": {
                type_id: {
                    "fetched_at": known.fetched_at,
                    "channels": [channel_diagnostics(c) for c in known.channels],
                }
                for type_id, known in self.sync.state.types.items()
            },
            "stations": [
                await self.async_device_diagnostics(str(station_id))
                for station_id in self.sync.state.stations
            ],
        }

    async def async_device_diagnostics(self, device_key: str) -> dict[str, Any]:
        """One station's state, for support; its settings are read now."""
        state = self.sync.state.stations.get(int(device_key))
        if state is None:
            return {}
        settings_error = None
        try:
            await self.sync.read_settings(state.station.id)
        except TelemetryHubError as err:
            settings_error = str(err)
        return {
            "settings_error": settings_error,
            "station": asdict(state.station),
            "feeds": {feed.value: asdict(fs) for feed, fs in state.feeds.items()},
            "readings": {key: asdict(r) for key, r in state.readings.items()},
            "settings": [setting_diagnostics(setting) for setting in state.settings],
            "error": state.error,
            "missing_from_listings": state.missing,
        }

    # ------------------------------------------------------------------
    # Internals

    def _views(self, *, events: bool = True) -> dict[str, StationView]:
        """Build the entities' view of every station (values converted once)."""
        now = dt_util.utcnow()
        views = {}
        # Stations of one equipment type share their channel table.
        by_type: dict[int | None, dict[str, ChannelDefinition]] = {}
        for station_id, state in self.sync.state.stations.items():
            type_id = state.station.equipment_type_id
            channels = by_type.get(type_id)
            if channels is None:
                channels = by_type[type_id] = self._sensor_channels(
                    state, self.sync.state.channels_for(state.station)
                )
            values = {
                key: unit.convert(reading.value)
                for key, reading in state.readings.items()
                if (channel := channels.get(key)) and (unit := channel.unit)
            }
            times = [reading.event_time for reading in state.readings.values()]
            last = state.station.last_session
            views[str(station_id)] = StationView(
                station=state.station,
                channels=channels,
                values=values,
                latest_reading=dt_util.utc_from_timestamp(max(times))
                if times
                else None,
                connected=last is not None and now - last <= self.offline_after,
                events=self._abnormal_events(station_id, state) if events else (),
                error=state.error,
            )
        return views

    def _abnormal_events(
        self, station_id: int, state: StationState
    ) -> tuple[DeviceEvent, ...]:
        """Announce the station's new abnormal-situation records, once each."""
        stream = f"{station_id}:{ABNORMAL_EVENT}"
        if not self.ledger.knows(stream):
            # The sync engine hands over only records newer than what it had
            # at the station's first sight: all of them are news.
            self.ledger.start(stream, dt_util.utcnow() - self.catch_up)
        return self.announce(
            stream,
            state.take_abnormal(),
            key=_record_key,
            time=lambda record: record.event_time,
            event=lambda record: (
                ABNORMAL_EVENT,
                {
                    "occurred_at": record.event_time.isoformat(),
                    "channels": dict(record.raw),
                },
            ),
        )

    def _sensor_channels(
        self, state: StationState, channels: list[ChannelDefinition]
    ) -> dict[str, ChannelDefinition]:
        """The channels that get a sensor: hourly ones, then daily-only ones."""
        chosen = {c.key: c for c in channels if c.archive_type == Feed.HOURLY}
        chosen.update({c.key: c for c in daily_only_channels(channels)})
        for channel in chosen.values():
            # Once per equipment type (its stations share the channel table),
            # and only for channels that have a sensor to stay unavailable.
            warn_key = (channel.equipment_type_id, channel.key)
            if (
                channel.unit is None
                and warn_key not in self._warned_units
                and channel_description(channel, channel.archive_type) is not None
            ):
                self._warned_units.add(warn_key)
                LOGGER.warning(
                    "Equipment type %s (station %s and any other of that type): "
                    "channel %s has a unit we do not know (%r); its sensors "
                    "stay unavailable",
                    channel.equipment_type_id,
                    state.station.name,
                    channel.code,
                    channel.unit_name,
                )
        return chosen

    def _wanted(self, station_id: int, feed: Feed) -> bool:
        """Fetch optional feeds only when an enabled entity shows them.

        Settings feed no entity: they are read when diagnostics are.
        """
        device_key = str(station_id)
        if feed is Feed.SETTINGS:
            return False
        if feed is Feed.ABNORMAL:
            return self.is_entity_enabled(
                Platform.EVENT, device_key, ABNORMAL_SITUATION
            )
        if feed is Feed.DAILY and (state := self.sync.state.stations.get(station_id)):
            for channel in daily_only_channels(
                self.sync.state.channels_for(state.station)
            ):
                description = channel_description(channel, Feed.DAILY)
                if description is not None and self.is_entity_enabled(
                    Platform.SENSOR, device_key, description
                ):
                    return True
            return False
        return True

    async def _import_statistics(self) -> None:
        """Import the hourly counter rows read so far."""
        for state in self.sync.state.stations.values():
            rows = state.take_hourly()
            channel = energy_channel(self.sync.state.channels_for(state.station))
            if rows and channel is not None:
                await self.history.async_import_records(state.station, channel, rows)


def _record_key(record: ArchiveRecord) -> str:
    """Identify a record by its time and content (two may share a second)."""
    content = json.dumps(sorted(record.raw.items()), default=str).encode()
    digest = hashlib.sha256(content).hexdigest()[:16]
    return f"{int(record.event_time.timestamp())}:{digest}"


def _offline_after(options: Mapping[str, Any]) -> timedelta:
    return timedelta(hours=OFFLINE_AFTER.value(options))
