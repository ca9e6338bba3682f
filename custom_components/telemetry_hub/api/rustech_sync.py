"""Incremental synchronisation of one RusTech account.

The vendor's documented procedure downloads everything on every run. This
engine reads the stations list (one request per 1000 stations) and fetches
archives only where something can have changed: a meter's data reaches the
server during a communication session, so a station whose last session did
not move has nothing new. What each refresh fetches:

* the stations list, always;
* channel metadata of an equipment type, when missing or a day old;
* per station whose last session moved: the abnormal-situation archive
  (if wanted), and the hourly archive since the newest row read, if the
  session came after that row's next hour (no new row can exist before);
* per station, at most once a (UTC) day and only after a new session:
  the settings, and the daily archive (for channels only it carries) once
  a day has passed since its newest row.

Everything the engine knows lives in `SyncState`, which serialises to JSON so
a restart continues where it stopped. Connection, auth and rate-limit errors
abort the refresh (what was read so far is kept); a protocol error in one
station's archive is recorded for that station and the refresh goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import logging
from typing import Any

from .errors import TelemetryHubProtocolError
from .rustech import RusTechClient
from .rustech_models import (
    ArchiveRecord,
    ArchiveType,
    ChannelDefinition,
    Setting,
    Station,
    as_float,
    as_int,
    as_text,
)

_LOGGER = logging.getLogger(__name__)

STATE_VERSION = 1
DEFAULT_BACKFILL = timedelta(days=31)
CHANNELS_MAX_AGE = timedelta(days=1)
REMOVAL_GRACE = 1
"""Listings a station may be missing from before it counts as removed."""
PENDING_LIMIT = 24 * 93
"""Unconsumed hourly rows kept per station (about three months)."""
_WINDOW_OVERLAP = timedelta(days=1)
_DAILY_COLD_WINDOW = timedelta(days=7)


class Feed(StrEnum):
    """What the engine fetches for a station."""

    HOURLY = "hourly"
    DAILY = "daily"
    ABNORMAL = "nesht"
    SETTINGS = "settings"


_ONCE_A_DAY = frozenset({Feed.DAILY, Feed.SETTINGS})
_ROW_INTERVAL = {Feed.HOURLY: 3600, Feed.DAILY: 86400}

type WantedFn = Callable[[int, Feed], bool]


def _epoch(when: datetime | None) -> int | None:
    """Seconds since the epoch, or None."""
    return None if when is None else _seconds(when)


def _seconds(when: datetime) -> int:
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
        for key, raw in _mapping(data.get("types")).items():
            type_id = as_int(key)
            if type_id is None or not isinstance(raw, Mapping):
                continue
            channels = [
                channel
                for row in _list(raw.get("channels"))
                if (channel := _channel_from_dict(row)) is not None
            ]
            state.types[type_id] = TypeChannels(
                channels, as_int(raw.get("fetched_at")) or 0
            )
        for raw in _mapping(data.get("stations")).values():
            if (station_state := _station_state_from_dict(raw)) is not None:
                state.stations[station_state.station.id] = station_state
        return state


@dataclass(slots=True)
class SyncResult:
    """What one refresh did."""

    added: set[int] = field(default_factory=set)
    changed: set[int] = field(default_factory=set)
    removed: dict[int, Station] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


class RusTechSync:
    """Keep a `SyncState` current with as few requests as possible."""

    def __init__(
        self,
        client: RusTechClient,
        state: SyncState | None = None,
        *,
        backfill: timedelta = DEFAULT_BACKFILL,
        wanted: WantedFn | None = None,
    ) -> None:
        """Use `client` for every call; `wanted` may veto optional feeds."""
        self.client = client
        self.state = state or SyncState()
        self._backfill = backfill
        self._wanted = wanted or (lambda _station_id, _feed: True)
        self._warned_no_session_times = False
        self._failing_types: set[int] = set()

    async def refresh(self, now: datetime) -> SyncResult:
        """Bring the state up to date with the server."""
        result = SyncResult()
        stations = await self._list_stations()
        await self._refresh_channels(
            {s.equipment_type_id for s in stations if s.equipment_type_id}, now
        )
        listed = {station.id for station in stations}
        for station in stations:
            state = self.state.stations.get(station.id)
            if state is None:
                state = self.state.stations[station.id] = StationState(station)
                result.added.add(station.id)
            elif state.station != station:
                result.changed.add(station.id)
            state.station = station
            state.missing = 0
            if await self._sync_station(state, now):
                result.changed.add(station.id)
            if state.error is not None:
                result.failed[station.id] = state.error
        for station_id in list(self.state.stations):
            if station_id in listed:
                continue
            state = self.state.stations[station_id]
            state.missing += 1
            if state.missing > REMOVAL_GRACE:
                result.removed[station_id] = self.state.stations.pop(station_id).station
        return result

    # ------------------------------------------------------------------

    async def _list_stations(self) -> list[Station]:
        """The stations list, with session times filled in where missing."""
        stations = list({s.id: s for s in await self.client.stations()}.values())
        if all(station.reports_session for station in stations):
            return stations
        if not self._warned_no_session_times:
            self._warned_no_session_times = True
            _LOGGER.info(
                "The server's station list has no session times; asking for "
                "each station's last session separately (one request each)"
            )
        completed = []
        for station in stations:
            if not station.reports_session:
                try:
                    answer = await self.client.last_session(station.id)
                except TelemetryHubProtocolError as err:
                    _LOGGER.debug("No last session for %s: %s", station.id, err)
                else:
                    station = replace(station, last_session=answer.last_session)  # noqa: PLW2901
            completed.append(station)
        return completed

    async def _refresh_channels(self, type_ids: Iterable[int], now: datetime) -> None:
        """Fetch channel metadata of types that have none or old one."""
        oldest = _seconds(now - CHANNELS_MAX_AGE)
        for type_id in sorted(type_ids):
            known = self.state.types.get(type_id)
            if known is not None and known.fetched_at > oldest:
                continue
            try:
                channels = await self.client.channels(type_id)
            except TelemetryHubProtocolError as err:
                level = (
                    logging.DEBUG if type_id in self._failing_types else logging.WARNING
                )
                self._failing_types.add(type_id)
                _LOGGER.log(
                    level,
                    "Cannot read the channels of equipment type %s: %s",
                    type_id,
                    err,
                )
                continue
            self._failing_types.discard(type_id)
            self.state.types[type_id] = TypeChannels(channels, _seconds(now))

    async def _sync_station(self, state: StationState, now: datetime) -> bool:
        """Fetch what is due for one station; return whether anything changed."""
        station = state.station
        session = _epoch(station.last_session)
        if session is None or station.equipment_id is None:
            return False
        channels = self.state.channels_for(station)
        today = now.astimezone(UTC).date().isoformat()
        changed = False
        previous_error, state.error = state.error, None
        for feed in Feed:
            feed_state = state.feeds[feed]
            if feed is Feed.ABNORMAL and not self._wanted(station.id, feed):
                # Nobody listens: skip what arrives, so that turning the
                # announcements back on does not replay the backlog.
                feed_state.cursor = max(feed_state.cursor or 0, session)
                feed_state.synced_session = session
                continue
            if not self._is_due(state, feed, channels, session, today):
                continue
            try:
                changed |= await self._fetch(state, feed, channels, now, session)
            except TelemetryHubProtocolError as err:
                state.error = f"{feed}: {err}"
                # One warning when a station's data turns unreadable, not one
                # per poll while it stays so.
                level = logging.DEBUG if previous_error else logging.WARNING
                _LOGGER.log(level, "Station %s (%s): %s", station.id, station.name, err)
                continue
            feed_state.synced_session = session
            feed_state.fetched_on = today
        return changed

    def _is_due(
        self,
        state: StationState,
        feed: Feed,
        channels: list[ChannelDefinition],
        session: int,
        today: str,
    ) -> bool:
        """Whether a feed can have something new to read."""
        feed_state = state.feeds[feed]
        if feed_state.synced_session is not None and (
            session <= feed_state.synced_session
        ):
            return False
        if feed in _ONCE_A_DAY and feed_state.fetched_on == today:
            return False
        # The next hourly (daily) row closes an hour (a day) after the newest
        # one read: a session before then cannot have delivered it.
        interval = _ROW_INTERVAL.get(feed)
        if (
            interval
            and feed_state.cursor is not None
            and session < feed_state.cursor + interval
        ):
            return False
        if feed is Feed.HOURLY:
            return any(c.archive_type == Feed.HOURLY for c in channels)
        if feed is Feed.DAILY:
            return bool(daily_only_channels(channels)) and self._wanted(
                state.station.id, feed
            )
        return True

    async def _fetch(
        self,
        state: StationState,
        feed: Feed,
        channels: list[ChannelDefinition],
        now: datetime,
        session: int,
    ) -> bool:
        """Read one feed of one station into the state."""
        station = state.station
        assert station.equipment_id is not None  # noqa: S101 - checked by caller
        feed_state = state.feeds[feed]
        if feed is Feed.SETTINGS:
            settings = await self.client.settings(
                station.equipment_id, station_id=station.id
            )
            changed = settings != state.settings
            state.settings = settings
            return changed
        if feed is Feed.ABNORMAL and feed_state.cursor is None:
            # First sight of this station: what is already archived is
            # history, not news. Announce only what arrives from now on.
            feed_state.cursor = session
            return False
        cursor = feed_state.cursor
        if cursor is not None:
            start = datetime.fromtimestamp(cursor, UTC) - _WINDOW_OVERLAP
        else:
            start = now - (
                self._backfill if feed is Feed.HOURLY else _DAILY_COLD_WINDOW
            )
        start = max(start, now - self._backfill)
        records = await self.client.archive(
            station.equipment_id,
            ArchiveType(feed.value),
            start.date(),
            (now + _WINDOW_OVERLAP).date(),
            station_id=station.id,
        )
        fresh = [
            r for r in records if cursor is None or _seconds(r.event_time) > cursor
        ]
        if not fresh:
            return False
        feed_state.cursor = _seconds(fresh[-1].event_time)
        if feed is Feed.ABNORMAL:
            state.pending_abnormal.extend(fresh)
            return True
        if feed is Feed.HOURLY:
            state.pending_hourly = [*state.pending_hourly, *fresh][-PENDING_LIMIT:]
            keys = {c.key for c in channels if c.archive_type == Feed.HOURLY}
        else:
            keys = {c.key for c in daily_only_channels(channels)}
        for record in fresh:
            for key in keys & record.values.keys():
                state.readings[key] = Reading(
                    record.values[key], _seconds(record.event_time), feed.value
                )
        return True


def daily_only_channels(channels: list[ChannelDefinition]) -> list[ChannelDefinition]:
    """Channels the daily archive carries and the hourly one does not."""
    hourly = {c.key for c in channels if c.archive_type == Feed.HOURLY}
    seen: set[str] = set()
    result = []
    for channel in channels:
        if channel.archive_type == Feed.DAILY and channel.key not in hourly | seen:
            seen.add(channel.key)
            result.append(channel)
    return result


# --------------------------------------------------------------------------
# Serialisation helpers


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


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
        "seances_event_time": _epoch(station.last_session),
    }


def _record_to_dict(record: ArchiveRecord) -> dict[str, Any]:
    return {"t": _epoch(record.event_time), "raw": dict(record.raw)}


def _record_from_dict(row: Any) -> ArchiveRecord | None:
    if not isinstance(row, Mapping):
        return None
    channel_data = [{code: value} for code, value in _mapping(row.get("raw")).items()]
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
    }


def _station_state_from_dict(raw: Any) -> StationState | None:
    if not isinstance(raw, Mapping):
        return None
    station = Station.from_row(_mapping(raw.get("station")))
    if station is None:
        return None
    state = StationState(station, missing=as_int(raw.get("missing")) or 0)
    for feed in Feed:
        stored = _mapping(_mapping(raw.get("feeds")).get(feed.value))
        state.feeds[feed] = FeedState(
            cursor=as_int(stored.get("cursor")),
            synced_session=as_int(stored.get("synced_session")),
            fetched_on=as_text(stored.get("fetched_on")),
        )
    for key, value in _mapping(raw.get("readings")).items():
        items = _list(value)
        if len(items) == 3 and (number := as_float(items[0])) is not None:  # noqa: PLR2004
            state.readings[key] = Reading(
                number, as_int(items[1]) or 0, as_text(items[2]) or ""
            )
    for item in _list(raw.get("settings")):
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
        r for row in _list(raw.get("pending_hourly")) if (r := _record_from_dict(row))
    ]
    state.pending_abnormal = [
        r for row in _list(raw.get("pending_abnormal")) if (r := _record_from_dict(row))
    ]
    return state


__all__ = [
    "Feed",
    "FeedState",
    "Reading",
    "RusTechSync",
    "StationState",
    "SyncResult",
    "SyncState",
    "daily_only_channels",
]
