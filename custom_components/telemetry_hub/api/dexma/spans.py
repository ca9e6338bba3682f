"""Resolutions, local times and the span limits of DEXMA's readings call.

`/readings` takes `from` and `to` as **local wall times of the device's
location, without offset** (`YYYY-MM-DDTHH:MM:SS`), and `to` is inclusive.
Each resolution has a maximum span per call: one month for `B` and `FM`,
one year for `TM`..`H`, ten years for `D`, `W` and `M` [src]. We read the
limit as a half-open window: a call may reach up to (not including)
`from + span`, so its last allowed `to` is `from + span - 1 s` [inf: the
strict reading, safe whichever way the server counts].

A longer range is split greedily from its start: each call reaches as far
as its limit allows and the next starts one second after the previous `to`.
Every grid of the API is at least a second apart, so the calls are
consecutive, never overlap and leave no gap. Greedy is optimal here (a
later start never reaches less far), so `minimum_calls` is exactly the
number of calls `split_range` makes.

Boundaries are naive local times, read by the server in the location's
zone. A boundary inside a DST fold or gap is ambiguous, so the splitter
moves it back to the nearest unambiguous second before it (a slightly
shorter call, never a gap or an overlap).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
import itertools
import logging
from zoneinfo import ZoneInfo

_LOGGER = logging.getLogger(__name__)

ONE_SECOND = timedelta(seconds=1)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
_MAX_ZONE_NAME = 64
_MAX_SPLIT_CALLS = 100_000


class Resolution(StrEnum):
    """Time resolutions of `/readings`, finest first."""

    B = "B"
    """The device's base (raw) resolution."""
    FM = "FM"
    """Five minutes."""
    TM = "TM"
    """Ten minutes."""
    QH = "QH"
    """Quarter of an hour."""
    HH = "HH"
    """Half an hour."""
    H = "H"
    """Hour."""
    D = "D"
    """Day (local midnight to midnight: 23, 24 or 25 hours)."""
    W = "W"
    """Week."""
    M = "M"
    """Calendar month."""

    @property
    def max_span_months(self) -> int:
        """The longest range one call may cover, in calendar months."""
        return _MAX_SPAN_MONTHS[self]

    @property
    def step(self) -> timedelta | None:
        """The nominal grid step; None for the base and calendar resolutions."""
        return _STEPS.get(self)


class Operation(StrEnum):
    """Aggregations of `/readings`."""

    RAW = "RAW"
    AVG = "AVG"
    MIN = "MIN"
    MAX = "MAX"
    DELTA = "DELTA"
    """Consumption per interval, for cumulative parameters."""


_MAX_SPAN_MONTHS = {
    Resolution.B: 1,
    Resolution.FM: 1,
    Resolution.TM: 12,
    Resolution.QH: 12,
    Resolution.HH: 12,
    Resolution.H: 12,
    Resolution.D: 120,
    Resolution.W: 120,
    Resolution.M: 120,
}
_STEPS = {
    Resolution.FM: timedelta(minutes=5),
    Resolution.TM: timedelta(minutes=10),
    Resolution.QH: timedelta(minutes=15),
    Resolution.HH: timedelta(minutes=30),
    Resolution.H: timedelta(hours=1),
    Resolution.D: timedelta(days=1),
    Resolution.W: timedelta(weeks=1),
}


@dataclass(frozen=True, slots=True)
class LocalZone:
    """A location's time zone, or UTC standing in for a missing one."""

    zone: tzinfo
    name: str
    fallback: bool = False
    """True when the location had no (usable) time zone and UTC is assumed."""


def resolve_timezone(name: str | None) -> LocalZone:
    """The zone of an IANA name; UTC (flagged as a fallback) when unusable.

    Never raises: a missing, blank, unknown or malformed name gives UTC with
    `fallback=True`, and the caller says so once in its log.
    """
    text = name.strip() if isinstance(name, str) else ""
    if text.upper() in ("UTC", "ETC/UTC", "Z"):
        return LocalZone(UTC, "UTC")
    if text and len(text) <= _MAX_ZONE_NAME:
        try:
            return LocalZone(ZoneInfo(text), text)
        except (ValueError, KeyError, OSError):  # unknown, malformed, a path
            _LOGGER.debug("Unknown time zone %r; using UTC", text)
    return LocalZone(UTC, "UTC", fallback=True)


def to_local(when: datetime, zone: tzinfo) -> datetime:
    """A time as the naive local wall time the API expects.

    An aware time is converted to `zone`; a naive one is taken as already
    local. Microseconds are dropped (the API speaks whole seconds).
    """
    if when.tzinfo is not None:
        when = when.astimezone(zone).replace(tzinfo=None)
    return when.replace(microsecond=0, fold=0)


def format_local(when: datetime) -> str:
    """Render a naive local time as `YYYY-MM-DDTHH:MM:SS`."""
    return when.strftime(LOCAL_FORMAT)


def add_months(when: datetime, months: int) -> datetime:
    """Calendar arithmetic on naive times: Jan 31 + 1 month = Feb 28/29."""
    total = when.year * 12 + (when.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def span_end(resolution: Resolution, start: datetime) -> datetime:
    """The last `to` (inclusive) one call starting at `start` may ask for."""
    try:
        return add_months(start, resolution.max_span_months) - ONE_SECOND
    except (ValueError, OverflowError):
        return datetime.max.replace(microsecond=0)  # noqa: DTZ901 - naive local by design


def is_ambiguous(local: datetime, zone: tzinfo | None) -> bool:
    """Whether a naive local time falls in a DST fold or gap of `zone`."""
    if zone is None:
        return False
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset()


def _safe_boundary(local: datetime, zone: tzinfo | None, floor: datetime) -> datetime:
    """Move a boundary back out of a DST fold or gap, not below `floor`."""
    base = local.replace(minute=local.minute - local.minute % 15, second=0)
    earlier = (base - timedelta(minutes=15 * n) for n in range(1, 4 * 24 + 1))
    candidates = itertools.chain((local,), earlier)
    return next(
        (c for c in candidates if c >= floor and not is_ambiguous(c, zone)), local
    )


def split_range(
    resolution: Resolution,
    start: datetime,
    end: datetime,
    zone: tzinfo | None = None,
) -> list[tuple[datetime, datetime]]:
    """Split a naive local range [start, end] (end inclusive) into calls.

    Returns `(from, to)` pairs, oldest first: consecutive (each `from` is
    one second after the previous `to`), within the span limit, covering
    exactly the range. An inverted range gives no call.
    """
    start = start.replace(microsecond=0, tzinfo=None, fold=0)
    end = end.replace(microsecond=0, tzinfo=None, fold=0)
    calls: list[tuple[datetime, datetime]] = []
    cursor = start
    while cursor <= end and len(calls) < _MAX_SPLIT_CALLS:
        limit = span_end(resolution, cursor)
        if limit >= end:
            calls.append((cursor, end))
            break
        to = _safe_boundary(limit + ONE_SECOND, zone, cursor + ONE_SECOND)
        calls.append((cursor, to - ONE_SECOND))
        cursor = to
    return calls


def minimum_calls(resolution: Resolution, start: datetime, end: datetime) -> int:
    """The fewest calls the span limits allow for [start, end] (end inclusive).

    Greedy covering from the start is optimal, so this counts the calls of
    `split_range` without DST adjustments: the benchmark's yardstick.
    """
    return len(split_range(resolution, start, end))
