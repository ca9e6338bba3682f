"""What the RusTech sync engine knows, and its JSON form.

Everything lives in `SyncState`, which serialises to plain JSON so a restart
continues where the last run stopped (the integration keeps it in a Store).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..parsing import as_float, as_int, as_list, as_mapping, as_text
from .models import ArchiveRecord, Setting, Station
from .records import json_safe_channels
from .units import ChannelDefinition

STATE_VERSION = 1


class Feed(StrEnum):
    """What the engine fetches for a station."""

    HOURLY = "hourly"
    DAILY = "daily"
    ABNORMAL = "nesht"
    SETTINGS = "settings"


def epoch(when: datetime | None) -> int | None:
    """Seconds since the epoch, or None."""
    return None if when is None else seconds(when)


def seconds(when: datetime) -> int:
    """Seconds since the epoch."""
    return int(when.timestamp())


@dataclass(slots=True)
class FeedState:
    """How far one feed of one station has been read."""

    cursor: int | None = None
    """Newest event time read (UNIX seconds)."""
    synced_session: int | None = None
    """The station's last session the feed is up to date with."""
    fetched_on: str | None = None
    """UTC date of the last fetch (once-a-day feeds)."""


@dataclass(slots=True)
class Reading:
    """The latest value of a channel, in the server's unit."""

    value: float
    event_time: int
    archive: str


@dataclass(slots=True)
class History:
    """Hourly rows still owed to long-term statistics (background backfill).

    While a station has a `History`, its regular hourly fetches update the
    readings but hand no row over: `RusTechSync.backfill_step` reads the
    history oldest first and hands it over, up to the newest row, and then
    the station's `history` is None again. So `take_hourly` always returns
    rows newer than every row it returned before.
    """

    start: int
    """The oldest time wanted (UNIX seconds): first sight minus the window."""
    done: int
    """Rows up to this time were handed over."""
    failures: int = 0
    """Chunks that could not be read in a row (the backfill gives up at 3)."""


@dataclass(slots=True)
class StationState:
    """Everything known about one station."""

    station: Station
    feeds: dict[Feed, FeedState] = field(
        default_factory=lambda: {feed: FeedState() for feed in Feed}
    )
    readings: dict[str, Reading] = field(default_factory=dict)
    settings: list[Setting] = field(default_factory=list)
    pending_hourly: list[ArchiveRecord] = field(default_factory=list)
    """Hourly rows read but not yet consumed (long-term statistics)."""
    pending_abnormal: list[ArchiveRecord] = field(default_factory=list)
    """Abnormal-situation records read but not yet announced."""
    missing: int = 0
    error: str | None = None
    """Why the last fetch for this station failed, if it did."""
    history: History | None = None
    """Hourly history still to read in the background; None when complete."""

    def take_hourly(self) -> list[ArchiveRecord]:
        """Hand over the unconsumed hourly rows, oldest first."""
        rows, self.pending_hourly = self.pending_hourly, []
        return rows

    def take_abnormal(self) -> list[ArchiveRecord]:
        """Hand over the unannounced abnormal-situation records, oldest first."""
        records, self.pending_abnormal = self.pending_abnormal, []
        return records


@dataclass(slots=True)
class TypeChannels:
    """The channel metadata of one equipment type."""

    channels: list[ChannelDefinition]
    fetched_at: int


@dataclass(slots=True)
class SyncState:
    """What the engine knows; JSON-serialisable with `as_dict`."""

    stations: dict[int, StationState] = field(default_factory=dict)
    types: dict[int, TypeChannels] = field(default_factory=dict)

    def channels_for(self, station: Station) -> list[ChannelDefinition]:
        """The channels a station's equipment type declares."""
        if station.equipment_type_id is None:
            return []
        known = self.types.get(station.equipment_type_id)
        return known.channels if known else []

    def as_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types."""
        return {
            "version": STATE_VERSION,
            "types": {
                str(type_id): {
                    "fetched_at": known.fetched_at,
                    "channels": [_channel_to_dict(c) for c in known.channels],
                }
                for type_id, known in self.types.items()
            },
            "stations": {
                str(station_id): _station_state_to_dict(state)
                for station_id, state in self.stations.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SyncState:
        """Rebuild from `as_dict` output; anything unreadable starts afresh."""
        state = cls()
        if not data or data.get("version") != STATE_VERSION:
            return state
        for key, raw in as_mapping(data.get("types")).items():
            type_id = as_int(key)
            if type_id is None or not isinstance(raw, Mapping):
                continue
            channels = [
                channel
                for row in as_list(raw.get("channels"))
                if (channel := _channel_from_dict(row)) is not None
            ]
            state.types[type_id] = TypeChannels(
                channels, as_int(raw.get("fetched_at")) or 0
            )
        for raw in as_mapping(data.get("stations")).values():
            if (station_state := _station_state_from_dict(raw)) is not None:
                state.stations[station_state.station.id] = station_state
        return state


# --------------------------------------------------------------------------
# Serialisation helpers


def _channel_to_dict(channel: ChannelDefinition) -> dict[str, Any]:
    return {
        "equipment_type_id": channel.equipment_type_id,
        "archive_type_varname": channel.archive_type,
        "archive_type_name": channel.archive_name,
        "channel_varname": channel.code,
        "channel_name": channel.name,
        "unit_name": channel.unit_name,
    }


def _channel_from_dict(row: Any) -> ChannelDefinition | None:
    return ChannelDefinition.from_row(row) if isinstance(row, Mapping) else None


def _station_to_dict(station: Station) -> dict[str, Any]:
    return {
        "id": station.id,
        "name": station.name,
        "equipment_id": station.equipment_id,
        "equipment_type_id": station.equipment_type_id,
        "equipment_brand_name": station.brand,
        "phone": station.phone,
        "customer_id": station.customer_id,
        "seances_event_time": epoch(station.last_session),
    }


def _record_to_dict(record: ArchiveRecord) -> dict[str, Any]:
    return {"t": epoch(record.event_time), "raw": json_safe_channels(record.raw)}


def _record_from_dict(row: Any) -> ArchiveRecord | None:
    if not isinstance(row, Mapping):
        return None
    channel_data = [{code: value} for code, value in as_mapping(row.get("raw")).items()]
    return ArchiveRecord.from_row(
        {"event_time": row.get("t"), "channel_data": channel_data}
    )


def _station_state_to_dict(state: StationState) -> dict[str, Any]:
    return {
        "station": _station_to_dict(state.station),
        "feeds": {
            feed.value: {
                "cursor": fs.cursor,
                "synced_session": fs.synced_session,
                "fetched_on": fs.fetched_on,
            }
            for feed, fs in state.feeds.items()
        },
        "readings": {
            key: [reading.value, reading.event_time, reading.archive]
            for key, reading in state.readings.items()
        },
        "settings": [[s.name, s.value, s.unit] for s in state.settings],
        "pending_hourly": [_record_to_dict(r) for r in state.pending_hourly],
        "pending_abnormal": [_record_to_dict(r) for r in state.pending_abnormal],
        "missing": state.missing,
        "history": (
            None
            if state.history is None
            else [state.history.start, state.history.done, state.history.failures]
        ),
    }


def _station_state_from_dict(raw: Any) -> StationState | None:
    if not isinstance(raw, Mapping):
        return None
    station = Station.from_row(as_mapping(raw.get("station")))
    if station is None:
        return None
    state = StationState(station, missing=as_int(raw.get("missing")) or 0)
    for feed in Feed:
        stored = as_mapping(as_mapping(raw.get("feeds")).get(feed.value))
        state.feeds[feed] = FeedState(
            cursor=as_int(stored.get("cursor")),
            synced_session=as_int(stored.get("synced_session")),
            fetched_on=as_text(stored.get("fetched_on")),
        )
    for key, value in as_mapping(raw.get("readings")).items():
        items = as_list(value)
        if len(items) == 3 and (number := as_float(items[0])) is not None:  # noqa: PLR2004
            state.readings[key] = Reading(
                number, as_int(items[1]) or 0, as_text(items[2]) or ""
            )
    for item in as_list(raw.get("settings")):
        if isinstance(item, list) and len(item) == 3:  # noqa: PLR2004
            setting = Setting.from_row(
                {
                    "channel_name": item[0],
                    "channel_data_value": item[1],
                    "unit_name": item[2],
                }
            )
            if setting is not None:
                state.settings.append(setting)
    state.pending_hourly = [
        r for row in as_list(raw.get("pending_hourly")) if (r := _record_from_dict(row))
    ]
    state.pending_abnormal = [
        r
        for row in as_list(raw.get("pending_abnormal"))
        if (r := _record_from_dict(row))
    ]
    history = [as_int(item) for item in as_list(raw.get("history"))]
    if len(history) == 3 and None not in history:  # noqa: PLR2004
        start, done, failures = history
        state.history = History(start, done, failures)  # type: ignore[arg-type]
    return state
