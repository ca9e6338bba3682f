"""The `/readings` view: local-time ranges, span limits, grids, operations.

`from`/`to` are naive local times of the device's location (UTC for a
location without a zone), read with fold=0, `to` inclusive. A point of the
grid is an interval start `a` (its interval ends at the next point `b`):

* sub-daily grids are aligned to the local clock (Adelaide's hours start
  at :30 UTC), days at local midnight (23 or 25 hours on DST days), weeks
  on Monday, months on the 1st;
* RAW is the value at `a`; DELTA is `value(b) - value(a)` of the values
  rounded to 3 decimals, so DELTA sums telescope exactly to the difference
  of the RAW counters at the ends; AVG/MIN/MAX aggregate the raw samples
  (every 5 minutes) inside `[a, b)`, so coarser resolutions agree with
  finer ones;
* late data: a point is served once `b` (RAW: `a`) is at least the
  device's lag in the past.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
import math
import re
from zoneinfo import ZoneInfo

from .portfolio import BASE_PERIOD, T0, SimDevice, SimParameter

RESOLUTIONS = ("B", "FM", "TM", "QH", "HH", "H", "D", "W", "M")
OPERATIONS = ("RAW", "AVG", "MIN", "MAX", "DELTA")
STEPS = {"B": BASE_PERIOD, "FM": 300, "TM": 600, "QH": 900, "HH": 1800, "H": 3600}
SPAN_MONTHS = {"B": 1, "FM": 1, "TM": 12, "QH": 12, "HH": 12, "H": 12}
_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


class RangeError(ValueError):
    """A request the server answers with 422; the message is the API's."""

    def __init__(self, message: str, field: str) -> None:
        """Keep the offending query field."""
        super().__init__(message)
        self.field = field


def zone_of(device: SimDevice) -> tzinfo:
    """The zone the server reads the device's local times in."""
    name = device.location.timezone
    return UTC if name is None else ZoneInfo(name)


def parse_local(text: str | None, field: str) -> datetime:
    """A strict `YYYY-MM-DDTHH:MM:SS` local time."""
    if text is None or not _LOCAL.fullmatch(text):
        raise RangeError(f"'{field}' must be a local time YYYY-MM-DDTHH:MM:SS", field)
    try:
        return datetime.fromisoformat(text)
    except ValueError as err:
        raise RangeError(f"'{field}' is not a valid date", field) from err


def add_months(when: datetime, months: int) -> datetime:
    """Calendar months, the day clamped to the month's length."""
    year, month = divmod(when.year * 12 + when.month - 1 + months, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


def check_span(resolution: str, start: datetime, end: datetime) -> None:
    """Raise RangeError for an inverted range or one longer than allowed."""
    if end < start:
        raise RangeError("'to' must not be before 'from'", "to")
    months = SPAN_MONTHS.get(resolution, 120)
    try:
        limit = add_months(start, months)
    except (ValueError, OverflowError):
        return
    if end >= limit:
        raise RangeError(
            f"range too long for resolution {resolution} (max {months} months)", "to"
        )


def _local_epoch(local: datetime, zone: tzinfo) -> float:
    return local.replace(tzinfo=zone, fold=0).timestamp()


def grid(
    resolution: str, start: float, end: float, zone: tzinfo
) -> Iterator[tuple[float, float]]:
    """Interval (start, end) pairs whose start lies in [start, end]."""
    step = STEPS.get(resolution)
    if step is not None:
        probe = datetime.fromtimestamp(start, zone).utcoffset() or timedelta()
        phase = (-int(probe.total_seconds())) % step
        point = math.ceil((start - phase) / step) * step + phase
        while point <= end:
            yield point, point + step
            point += step
        return
    first = datetime.fromtimestamp(start, zone).replace(tzinfo=None)
    day = first.replace(hour=0, minute=0, second=0, microsecond=0)
    if resolution == "W":
        day -= timedelta(days=day.weekday())
    elif resolution == "M":
        day = day.replace(day=1)
    while True:
        nxt = (
            add_months(day, 1)
            if resolution == "M"
            else day + timedelta(days=7 if resolution == "W" else 1)
        )
        a, b = _local_epoch(day, zone), _local_epoch(nxt, zone)
        if a > end:
            return
        if a >= start:
            yield a, b
        day = nxt


def _samples(param: SimParameter, a: float, b: float) -> list[float]:
    first = math.ceil(a / BASE_PERIOD) * BASE_PERIOD
    return [param.value(t) for t in range(int(first), math.ceil(b), BASE_PERIOD)]


def evaluate(param: SimParameter, operation: str, a: float, b: float) -> float | None:
    """The value of one grid point."""
    if operation == "RAW":
        return round(param.value(a), 3)
    if operation == "DELTA":
        return round(round(param.value(b), 3) - round(param.value(a), 3), 3)
    samples = _samples(param, a, b)
    if not samples:
        return None
    if operation == "MIN":
        return round(min(samples), 3)
    if operation == "MAX":
        return round(max(samples), 3)
    return round(sum(samples) / len(samples), 3)


def values(
    param: SimParameter,
    query: tuple[str, str],
    window: tuple[datetime, datetime],
    device: SimDevice,
    served: tuple[float, float],
) -> list[dict[str, object]]:
    """The `values` rows of one request.

    `query` is (resolution, operation), `window` the naive local (from, to),
    `served` the instants data exists between (history start, now - lag).
    """
    resolution, operation = query
    not_before, available_until = served
    zone = zone_of(device)
    start = max(_local_epoch(window[0], zone), not_before, float(T0))
    end = _local_epoch(window[1], zone)
    rows: list[dict[str, object]] = []
    for a, b in grid(resolution, start, end, zone):
        ready = a if operation == "RAW" else b
        if ready > available_until:
            break
        value = evaluate(param, operation, a, b)
        if value is None:
            continue
        ts = datetime.fromtimestamp(a, zone).isoformat(timespec="seconds")
        rows.append({"ts": ts, "v": value})
    return rows
