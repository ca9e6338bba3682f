"""Reading one feed of one station into the sync state.

`FeedReader.fetch` is what a refresh does for a due feed; `backfill_chunk`
is one step of the background history (see `History`). Rows are handed
over in time order, each once: a row is new when it is newer than the
feed's cursor, and rows more than `FUTURE_TOLERANCE` ahead of now are
ignored (one bogus row in year 9999 must not freeze a feed forever).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
import logging

from ..errors import TelemetryHubDeviceAccessError, TelemetryHubProtocolError
from .client import RusTechClient
from .models import ArchiveType
from .records import ArchiveRecord
from .state import Feed, History, Reading, StationState, seconds
from .units import ChannelDefinition

_LOGGER = logging.getLogger(__name__)

PENDING_LIMIT = 24 * 93
"""Unconsumed hourly rows kept per station (about three months)."""
FUTURE_TOLERANCE = timedelta(days=2)
"""How far ahead of our clock a row may lie (meter and server clocks drift)."""
FIRST_WINDOW = timedelta(days=1)
"""What a first refresh reads when the history is left to the background."""
BACKFILL_GIVE_UP = 3
_WINDOW_OVERLAP = timedelta(days=1)
_DAILY_COLD_WINDOW = timedelta(days=7)
_WIDEST_OFFSET = 14 * 3600
"""The largest time-zone offset: a server's local date spans UTC ± this."""


class FeedReader:
    """Fetch a feed's new rows and fold them into a station's state."""

    def __init__(
        self, client: RusTechClient, *, backfill: timedelta, deferred: bool
    ) -> None:
        """Read through `client`; `backfill` and `deferred` as in `RusTechSync`."""
        self.client = client
        self.backfill = backfill
        self.deferred = deferred

    async def fetch(
        self,
        state: StationState,
        feed: Feed,
        channels: list[ChannelDefinition],
        now: datetime,
        session: int,
    ) -> bool:
        """Read one feed of one station into the state; whether it changed."""
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
            feed_state.cursor = min(session, seconds(now))
            return False
        cursor = feed_state.cursor
        start = self._window_start(state, feed, now)
        records = await self._archive(state, feed, start.date(), now)
        fresh = newer_rows(records, cursor, now)
        if fresh:
            feed_state.cursor = seconds(fresh[-1].event_time)
        if feed is Feed.ABNORMAL:
            state.pending_abnormal.extend(fresh)
            return bool(fresh)
        if feed is Feed.HOURLY:
            if state.history is None:
                state.pending_hourly = [*state.pending_hourly, *fresh][-PENDING_LIMIT:]
            else:  # the background history hands them over when it gets here
                _complete_history(state, seconds(now))
            keys = {c.key for c in channels if c.archive_type == Feed.HOURLY}
        else:
            keys = {c.key for c in daily_only_channels(channels)}
        _update_readings(state, feed, fresh, keys)
        return bool(fresh)

    def _window_start(self, state: StationState, feed: Feed, now: datetime) -> datetime:
        """Where a feed's next read starts (it overlaps what was read)."""
        cursor = state.feeds[feed].cursor
        if cursor is not None:
            start = datetime.fromtimestamp(cursor, UTC) - _WINDOW_OVERLAP
        elif feed is Feed.HOURLY:
            start = now - (FIRST_WINDOW if self.deferred else self.backfill)
            if self.deferred and state.history is None:
                floor = seconds(now - self.backfill)
                state.history = History(start=floor, done=floor)
        else:
            start = now - _DAILY_COLD_WINDOW
        return max(start, now - self.backfill)

    async def backfill_chunk(
        self,
        state: StationState,
        channels: list[ChannelDefinition],
        now: datetime,
        days: int,
    ) -> None:
        """Read the next chunk of a station's hourly history (see `History`)."""
        history = state.history
        assert history is not None  # noqa: S101 - the caller picked it
        if state.station.equipment_id is None or not any(
            c.archive_type == Feed.HOURLY for c in channels
        ):
            state.history = None
            return
        target = state.feeds[Feed.HOURLY].cursor or seconds(now)
        if history.done >= target:
            state.history = None
            return
        first_day = datetime.fromtimestamp(history.done, UTC).date() - timedelta(days=1)
        last_day = first_day + timedelta(days=max(2, days))
        try:
            records = await self._archive(state, Feed.HOURLY, first_day, now, last_day)
        except (TelemetryHubProtocolError, TelemetryHubDeviceAccessError) as err:
            history.failures += 1
            if history.failures >= BACKFILL_GIVE_UP:
                _LOGGER.warning(
                    "Station %s (%s): giving up its history: %s",
                    state.station.id,
                    state.station.name,
                    err,
                )
                state.history = None
            return
        history.failures = 0
        covered = _midnight(last_day + timedelta(days=1)) - _WIDEST_OFFSET
        rows = [
            r
            for r in newer_rows(records, history.done, now)
            if seconds(r.event_time) <= target
        ]
        newest = seconds(rows[-1].event_time) if rows else history.done
        history.done = min(target, max(covered, newest))
        state.pending_hourly = [*state.pending_hourly, *rows][-PENDING_LIMIT:]
        _complete_history(state, seconds(now))

    async def _archive(
        self,
        state: StationState,
        feed: Feed,
        start: date,
        now: datetime,
        end: date | None = None,
    ) -> list[ArchiveRecord]:
        station = state.station
        assert station.equipment_id is not None  # noqa: S101 - checked by caller
        return await self.client.archive(
            station.equipment_id,
            ArchiveType(feed.value),
            start,
            end or (now + _WINDOW_OVERLAP).date(),
            station_id=station.id,
        )


def newer_rows(
    records: list[ArchiveRecord], cursor: int | None, now: datetime
) -> list[ArchiveRecord]:
    """The rows (oldest first) newer than `cursor` and not in the future."""
    low = 0
    if cursor is not None:
        after = datetime.fromtimestamp(cursor, UTC)
        low = bisect_right(records, after, key=_event_time)
    high = bisect_right(records, now + FUTURE_TOLERANCE, key=_event_time)
    if high < len(records):
        _LOGGER.debug("Ignoring %d rows dated in the future", len(records) - high)
    return records[low:high]


def _event_time(record: ArchiveRecord) -> datetime:
    return record.event_time


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _complete_history(state: StationState, now: int) -> None:
    """End the background history once it reached the newest row read."""
    history = state.history
    if history is not None and history.done >= (state.feeds[Feed.HOURLY].cursor or now):
        state.history = None


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


def _update_readings(
    state: StationState, feed: Feed, fresh: list[ArchiveRecord], keys: set[str]
) -> None:
    """Each channel's newest value among the fresh rows becomes its reading."""
    missing = set(keys)
    for record in reversed(fresh):
        found = missing & record.values.keys()
        if found:
            at = seconds(record.event_time)
            for key in found:
                state.readings[key] = Reading(record.values[key], at, feed.value)
            missing -= found
            if not missing:
                break
