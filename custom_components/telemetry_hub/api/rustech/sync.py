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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
import logging

from ..errors import TelemetryHubProtocolError
from .client import RusTechClient
from .models import ArchiveType, Station
from .state import (
    Feed,
    Reading,
    StationState,
    SyncState,
    TypeChannels,
    epoch,
    seconds,
)
from .units import ChannelDefinition

_LOGGER = logging.getLogger(__name__)


DEFAULT_BACKFILL = timedelta(days=31)
CHANNELS_MAX_AGE = timedelta(days=1)
REMOVAL_GRACE = 1
"""Listings a station may be missing from before it counts as removed."""
PENDING_LIMIT = 24 * 93
"""Unconsumed hourly rows kept per station (about three months)."""
_WINDOW_OVERLAP = timedelta(days=1)
_DAILY_COLD_WINDOW = timedelta(days=7)


_ONCE_A_DAY = frozenset({Feed.DAILY, Feed.SETTINGS})
_ROW_INTERVAL = {Feed.HOURLY: 3600, Feed.DAILY: 86400}

type WantedFn = Callable[[int, Feed], bool]


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
        oldest = seconds(now - CHANNELS_MAX_AGE)
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
            self.state.types[type_id] = TypeChannels(channels, seconds(now))

    async def _sync_station(self, state: StationState, now: datetime) -> bool:
        """Fetch what is due for one station; return whether anything changed."""
        station = state.station
        session = epoch(station.last_session)
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
        fresh = [r for r in records if cursor is None or seconds(r.event_time) > cursor]
        if not fresh:
            return False
        feed_state.cursor = seconds(fresh[-1].event_time)
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
                    record.values[key], seconds(record.event_time), feed.value
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
