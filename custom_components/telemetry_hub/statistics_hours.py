"""The hours of a long-term statistic, worked out off the event loop.

`plan` runs on the recorder's executor: it cuts the input into UTC hours
(`counter_hours`, `interval_hours`), reads the stored rows they touch and
merges both (`merge`, a pure function); `statistics.py` writes the result.

Hours are UTC and keyed by their start in whole seconds since the epoch. A
local hour of a half-hour zone (Australia/Adelaide) is not a UTC hour: every
input is cut at UTC hour boundaries, so no row ever starts off the hour, and
the two local 02:00s of a DST fall-back are two different UTC hours.

The recorder never recomputes `sum`. `merge` therefore continues from the
stored row before the first hour it writes, and re-writes every stored row
after that hour whose sum the new hours move, so the series never jumps and
never goes backwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
from typing import Any

from homeassistant.components.recorder import statistics as recorder_statistics
from homeassistant.components.recorder.models import StatisticData
from homeassistant.core import HomeAssistant

HOUR = 3600
"""Seconds in an hour."""
_WHOLE = HOUR - 1e-6
"""Seconds of an hour that count as all of it (float rounding)."""
_REL_TOL = 1e-9
_ABS_TOL = 1e-6
"""A stored value this close to the computed one is left as it is."""
_LOOKBACK = (timedelta(days=2), timedelta(days=64))
"""Windows searched, one after the other, for the row before an import."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TYPES: set[Any] = {"state", "sum"}


@dataclass(frozen=True, slots=True)
class Interval:
    """An amount used (or produced) over one interval.

    `start` is aware and marks the beginning of the interval, whatever its
    UTC offset (an API that sends `+10:30` is fine); `length` is positive.
    """

    start: datetime
    length: timedelta
    amount: float


@dataclass(frozen=True, slots=True)
class NewHour:
    """One UTC hour of the input."""

    state: float
    """The counter's value at the end of the hour, or the hour's amount."""
    amount: float | None = None
    """The hour's amount; None for a counter (its rise from the row before)."""
    whole: bool = True
    """False when the input covers only part of the hour (at its edges)."""


@dataclass(slots=True)
class Hours:
    """An input cut into UTC hours, with what was odd about it."""

    hours: dict[int, NewHour] = field(default_factory=dict)
    straddling: int = 0
    """Intervals that crossed a UTC hour boundary (split in proportion)."""
    clamped: int = 0
    """Negative amounts counted as 0."""
    skipped: int = 0
    """Values that are not finite numbers, or intervals without length."""


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A row the recorder has: its hour, state and sum."""

    start: int
    state: float | None
    sum: float


@dataclass(slots=True)
class Merged:
    """The rows to write (hour order, one per hour) and how they came about."""

    rows: list[tuple[int, float | None, float]] = field(default_factory=list)
    """(hour, state, sum) of every row to write."""
    written: int = 0
    """Hours of the input written (new, or different from what was stored)."""
    shifted: int = 0
    """Stored hours after them re-written with their sum moved."""
    kept: int = 0
    """Hours of the input not written because the stored row stays."""
    first: int | None = None
    last: int | None = None
    """The first and last hour of the input written."""


def _aware_timestamp(moment: datetime) -> float:
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"naive time {moment.isoformat()}: statistics need aware times"
        raise ValueError(msg)
    return moment.timestamp()


def _hour_of(timestamp: float) -> int:
    """The UTC hour an instant falls in."""
    return math.floor(timestamp / HOUR) * HOUR


def counter_hours(readings: Iterable[tuple[datetime, float]]) -> Hours:
    """Counter readings as hours: the last reading closing each hour wins.

    A reading at 10:00 closes the hour 09:00-10:00 (as `hour_start` says).
    """
    result = Hours()
    timed: list[tuple[float, float]] = []
    for reading_time, value in readings:
        timestamp = _aware_timestamp(reading_time)
        if math.isfinite(value):
            timed.append((timestamp, value))
        else:
            result.skipped += 1
    timed.sort(key=lambda item: item[0])
    for timestamp, value in timed:
        result.hours[_hour_of(timestamp - 1)] = NewHour(state=value)
    return result


def interval_hours(intervals: Iterable[Interval]) -> Hours:
    """Per-interval amounts summed into UTC hours.

    Intervals that fall whole into a UTC hour (an hour, or the half-hours of
    a half-hour zone) add up exactly; one that crosses a boundary is split
    in proportion to the time on each side and counted in `straddling`. Two
    intervals with the same start are one re-sent: the later wins.
    """
    result = Hours()
    by_start: dict[float, tuple[float, float]] = {}
    for interval in intervals:
        start = _aware_timestamp(interval.start)
        length = interval.length.total_seconds()
        if length <= 0 or not math.isfinite(interval.amount):
            result.skipped += 1
            continue
        by_start[start] = (length, interval.amount)
    amounts: dict[int, float] = {}
    covered: dict[int, float] = {}
    for start, (length, amount) in sorted(by_start.items()):
        if amount < 0:
            result.clamped += 1
            amount = 0.0  # noqa: PLW2901 - a negative amount counts as none
        end = start + length
        hour = _hour_of(start)
        if end > hour + HOUR:
            result.straddling += 1
        while hour < end:
            overlap = min(end, hour + HOUR) - max(start, hour)
            amounts[hour] = amounts.get(hour, 0.0) + amount * overlap / length
            covered[hour] = covered.get(hour, 0.0) + overlap
            hour += HOUR
    result.hours = {
        hour: NewHour(state=amount, amount=amount, whole=covered[hour] >= _WHOLE)
        for hour, amount in sorted(amounts.items())
    }
    return result


def _same(stored: float | None, value: float | None) -> bool:
    if stored is None or value is None:
        return stored is value
    return math.isclose(stored, value, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def merge(
    new: Mapping[int, NewHour],
    before: StoredRow | None,
    stored: Sequence[StoredRow],
    *,
    replace: bool,
) -> Merged:
    """The rows to write so the series holds the new hours and stays whole.

    `before` is the stored row just before the first new hour (None if
    there is none) and `stored` every stored row from that hour on, oldest
    first. With `replace`, a new hour replaces the stored one, unless it
    covers only part of the hour (the stored row knows more); otherwise
    stored hours win and only missing hours are added.

    A stored row keeps its own amount (its sum minus the stored sum before
    it); after a new counter hour, its amount is the counter's rise from
    that hour instead (the gap it closed is now filled). Amounts are never
    negative, so the sum never goes backwards.
    """
    merged = Merged()
    stored_at = {row.start: row for row in stored}
    total = before.sum if before else 0.0
    state = before.state if before else None
    stored_total = total
    after_new = False
    for hour in sorted(new.keys() | stored_at.keys()):
        row, hour_in = stored_at.get(hour), new.get(hour)
        if hour_in is not None and (row is None or (replace and hour_in.whole)):
            if hour_in.amount is not None:
                total += hour_in.amount
            elif state is not None:
                total += max(0.0, hour_in.state - state)
            state, after_new = hour_in.state, hour_in.amount is None
            if row is not None:
                stored_total = row.sum
                if _same(row.sum, total) and _same(row.state, state):
                    total = row.sum
                    continue
            merged.rows.append((hour, state, total))
            merged.written += 1
            merged.first = hour if merged.first is None else merged.first
            merged.last = hour
            continue
        assert row is not None  # noqa: S101 - the hour is new or stored
        if hour_in is not None:
            merged.kept += 1
        if after_new and row.state is not None and state is not None:
            total += max(0.0, row.state - state)
        else:
            total += max(0.0, row.sum - stored_total)
        stored_total, state, after_new = row.sum, row.state, False
        if _same(row.sum, total):
            total = row.sum
        else:
            merged.rows.append((hour, row.state, total))
            merged.shifted += 1
    return merged


def plan(
    hass: HomeAssistant,
    statistic_id: str,
    cut: Callable[[], Hours],
    *,
    replace: bool,
) -> tuple[Hours, Merged, list[StatisticData]]:
    """Cut the input, read the stored rows it touches, merge them.

    Runs on the recorder's executor. Returns the input's hours, the merge,
    and the rows to hand to the recorder.
    """
    hours = cut()
    if not hours.hours:
        return hours, Merged(), []
    before, stored = _stored_from(hass, statistic_id, min(hours.hours))
    merged = merge(hours.hours, before, stored, replace=replace)
    rows = []
    for hour, state, total in merged.rows:
        row = StatisticData(start=datetime.fromtimestamp(hour, UTC), sum=total)
        if state is not None:
            row["state"] = state
        rows.append(row)
    return hours, merged, rows


def _stored_from(
    hass: HomeAssistant, statistic_id: str, first: int
) -> tuple[StoredRow | None, list[StoredRow]]:
    """The stored row before hour `first`, and every one from it on."""
    last = recorder_statistics.get_last_statistics(
        hass,
        1,
        statistic_id,
        False,  # noqa: FBT003 - convert_units, positional in the recorder API
        _TYPES,
    ).get(statistic_id)
    if not last:
        return None, []
    if (newest := _row(last[0])).start < first:
        return newest, []  # the usual case: hours after the last one
    start = datetime.fromtimestamp(first, UTC)
    stored = _rows(hass, statistic_id, start, None)
    end = start
    for lookback in (*_LOOKBACK, None):
        begin = start - lookback if lookback else _EPOCH
        if earlier := _rows(hass, statistic_id, begin, end):
            return earlier[-1], stored
        end = begin
    return None, stored


def _rows(
    hass: HomeAssistant, statistic_id: str, start: datetime, end: datetime | None
) -> list[StoredRow]:
    found = recorder_statistics.statistics_during_period(
        hass, start, end, {statistic_id}, "hour", None, _TYPES
    )
    return [_row(row) for row in found.get(statistic_id, [])]


def _row(row: Any) -> StoredRow:
    """A recorder row (its `start` is a UTC timestamp)."""
    return StoredRow(int(row["start"]), row.get("state"), row.get("sum") or 0.0)
