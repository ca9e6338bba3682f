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
  the settings (if wanted), and the daily archive (for channels only it
  carries) once a day has passed since its newest row.

History: by default a station's first hourly fetch reads the whole
`backfill` window (31 days) and hands it to `take_hourly`. With
`background_backfill=True` the first refresh reads only the newest rows
(current values at once), and `backfill_step` reads the history one paced
chunk at a time, oldest first, recording its progress in the state (a
restart continues where it stopped); see `History`.

Everything the engine knows lives in `SyncState`, which serialises to JSON
so a restart continues where it stopped. Refreshes and backfill steps of
one engine never overlap (one lock). Errors:

* authentication, rate-limit and session errors abort the refresh (what
  was read so far is kept), as does the stations list failing;
* anything else that goes wrong for one station (a protocol error, a
  refused device, a record nothing can read, a connection error once the
  client's own retry failed) is recorded for that station (`SyncResult.
  failed`, `StationState.error`) and the refresh goes on; the station's
  feeds stay due, so the next refresh tries again. Two reads in a row
  failing with connection errors mean the server is down: the refresh is
  aborted with that error.

The background history, for the Home Assistant side: construct with
`background_backfill=True` (and `backfill` = the history window, 0 to 366
days); after each `refresh`, while `backfill_pending`, call
`backfill_step(now)` paced (each step is one request and a few
milliseconds of parsing) and import what `take_hourly` hands over (always
newer than what it handed over before). The progress is in the state (a
restart continues); a station with history pending gets no rows from
`refresh` until `backfill_step` caught up, so keep calling it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
import logging

from ..errors import (
    TelemetryHubConnectionError,
    TelemetryHubDeviceAccessError,
    TelemetryHubError,
    TelemetryHubProtocolError,
    TelemetryHubSessionRejectedError,
)
from .client import RusTechClient
from .feeds import FeedReader, daily_only_channels
from .models import Setting, Station
from .state import Feed, StationState, SyncState, TypeChannels, epoch, seconds
from .units import ChannelDefinition

_LOGGER = logging.getLogger(__name__)

__all__ = [
    "BACKFILL_CHUNK_DAYS",
    "DEFAULT_BACKFILL",
    "RusTechSync",
    "SyncResult",
    "daily_only_channels",
]

DEFAULT_BACKFILL = timedelta(days=31)
CHANNELS_MAX_AGE = timedelta(days=1)
REMOVAL_GRACE = 1
"""Listings a station may be missing from before it counts as removed."""
CONNECTION_FAILURES_TO_ABORT = 2
"""Reads failing with connection errors in a row that abort a refresh."""
BACKFILL_CHUNK_DAYS = 7

_ONCE_A_DAY = frozenset({Feed.DAILY, Feed.SETTINGS})
_ROW_INTERVAL = {Feed.HOURLY: 3600, Feed.DAILY: 86400}
_PER_STATION = (TelemetryHubProtocolError, TelemetryHubDeviceAccessError)

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
        background_backfill: bool = False,
    ) -> None:
        """Use `client` for every call; `wanted` may veto optional feeds.

        `backfill` is the history window of a new station's hourly rows
        (0 for none); `background_backfill` defers reading it to
        `backfill_step`.
        """
        self.client = client
        self.state = state or SyncState()
        self._wanted = wanted or (lambda _station_id, _feed: True)
        self._reader = FeedReader(
            client,
            backfill=max(backfill, timedelta(0)),
            deferred=background_backfill,
        )
        self._lock = asyncio.Lock()
        self._warned_no_session_times = False
        self._failing_types: set[int] = set()
        self._connection_failures = 0

    @property
    def backfill_pending(self) -> int:
        """Stations whose hourly history is still to be read in the background."""
        return sum(1 for s in self.state.stations.values() if s.history is not None)

    async def refresh(self, now: datetime) -> SyncResult:
        """Bring the state up to date with the server."""
        async with self._lock:
            self.client.begin_poll()
            self._connection_failures = 0
            return await self._refresh(now)

    async def backfill_step(
        self, now: datetime, *, days: int = BACKFILL_CHUNK_DAYS
    ) -> bool:
        """Read one chunk (`days` of hourly rows) of one station's history.

        The rows go to `StationState.take_hourly` oldest first, after every
        row handed over before. Returns whether any history is still to be
        read. Connection, auth and rate-limit errors come out (call again
        later); a station whose history cannot be read three times in a row
        is given up (its statistics start at its first sight).
        """
        async with self._lock:
            self.client.begin_poll()
            for state in self.state.stations.values():
                if state.history is not None:
                    channels = self.state.channels_for(state.station)
                    await self._reader.backfill_chunk(state, channels, now, days)
                    break
            return self.backfill_pending > 0

    async def read_settings(self, station_id: int) -> list[Setting]:
        """Read a station's settings now (for diagnostics) and keep them."""
        async with self._lock:
            state = self.state.stations.get(station_id)
            if state is None or state.station.equipment_id is None:
                return []
            state.settings = await self.client.settings(
                state.station.equipment_id, station_id=station_id
            )
            return state.settings

    # ------------------------------------------------------------------

    async def _refresh(self, now: datetime) -> SyncResult:
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
                except _PER_STATION as err:
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
            except _PER_STATION as err:
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
                feed_state.cursor = max(
                    feed_state.cursor or 0, min(session, seconds(now))
                )
                feed_state.synced_session = session
                continue
            if not self._is_due(state, feed, channels, session, today):
                continue
            try:
                changed |= await self._reader.fetch(state, feed, channels, now, session)
            except Exception as err:  # noqa: BLE001 - one record must not stop the account
                self._station_failed(state, feed, err, previous_error)
                continue
            self._connection_failures = 0
            feed_state.synced_session = session
            feed_state.fetched_on = today
        return changed

    def _station_failed(
        self,
        state: StationState,
        feed: Feed,
        err: Exception,
        previous_error: str | None,
    ) -> None:
        """Record a station's failed feed, or re-raise what is account-wide."""
        if isinstance(err, TelemetryHubConnectionError):
            self._connection_failures += 1
            if (
                isinstance(err, TelemetryHubSessionRejectedError)
                or self._connection_failures >= CONNECTION_FAILURES_TO_ABORT
            ):
                raise err
        elif isinstance(err, TelemetryHubError) and not isinstance(err, _PER_STATION):
            raise err  # authentication, rate limit, a closed client
        station = state.station
        # One warning when a station's data turns unreadable, not one per
        # feed or per poll while it stays so.
        quiet = previous_error is not None or state.error is not None
        level = logging.DEBUG if quiet else logging.WARNING
        detail = str(err) if isinstance(err, TelemetryHubError) else type(err).__name__
        state.error = f"{feed}: {detail}"
        if isinstance(err, TelemetryHubError):
            _LOGGER.log(level, "Station %s (%s): %s", station.id, station.name, err)
        else:
            _LOGGER.log(
                level,
                "Station %s (%s): unexpected error reading %s",
                station.id,
                station.name,
                feed,
                exc_info=err,
            )

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
        if session == feed_state.synced_session:
            return False  # (a session that moves back is a correction: read)
        if feed in _ONCE_A_DAY and feed_state.fetched_on == today:
            return False
        # The next hourly (daily) row closes an hour (a day) after the newest
        # one read: a session before then cannot have delivered it.
        interval = _ROW_INTERVAL.get(feed)
        if (
            interval
            and feed_state.cursor is not None
            and feed_state.cursor <= session < feed_state.cursor + interval
        ):
            return False
        if feed is Feed.HOURLY:
            return any(c.archive_type == Feed.HOURLY for c in channels)
        if feed is Feed.DAILY and not daily_only_channels(channels):
            return False
        # The daily archive and the settings only feed entities: ask.
        return feed is Feed.ABNORMAL or self._wanted(state.station.id, feed)
