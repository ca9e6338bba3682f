"""Which `/readings` calls to make: ranges split by the span limits, backfill.

A *meter* is one followed series: a device, a parameter key and the time
zone of the device's location. `calls_for_range` turns a range of instants
(or of local days) into the fewest calls the span limits allow: the
`to` of each is inclusive, the calls are consecutive, without gap or
overlap. `BackfillPlan` does that for many meters and is consumed a few
calls at a time (`next_batch(budget)` then `mark_done(call)`), so a 366-day
backfill or an outage of days is filled over several refreshes within the
quota share. It serialises to JSON (`as_dict`/`from_dict`): a restart
resumes with the calls not yet done.

Ranges here are half-open, like Python's: `start` inclusive, `end`
exclusive. A `date` means the local midnight of that day in each meter's
zone; an aware `datetime` is an instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Self

from ..parsing import as_int, as_list, as_mapping, as_text
from .spans import (
    ONE_SECOND,
    Operation,
    Resolution,
    format_local,
    is_ambiguous,
    resolve_timezone,
    split_range,
    to_local,
)

PLAN_VERSION = 1
_STEP = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Meter:
    """One followed series: a device's parameter, in its location's zone."""

    device_id: int
    parameter_key: str
    timezone: str | None = None
    """The location's IANA zone; None (no zone) reads local times as UTC."""

    @property
    def key(self) -> str:
        """A stable text id: `"<device_id>/<KEY>"`."""
        return f"{self.device_id}/{self.parameter_key}"


@dataclass(frozen=True, slots=True)
class ReadingsCall:
    """One `/readings` call: local `start`..`end`, both inclusive."""

    device_id: int
    parameter_key: str
    resolution: Resolution
    operation: Operation | None
    start: datetime
    """Naive local wall time (`from`)."""
    end: datetime
    """Naive local wall time (`to`, inclusive)."""
    timezone: str | None = None
    index: int = 0
    """Position among the calls of its meter in a plan, oldest first."""

    @property
    def meter_key(self) -> str:
        """The key of the meter this call reads."""
        return f"{self.device_id}/{self.parameter_key}"

    def params(self) -> dict[str, str]:
        """The query string of the call."""
        params = {
            "device_id": str(self.device_id),
            "parameter_key": self.parameter_key,
            "resolution": str(self.resolution),
            "from": format_local(self.start),
            "to": format_local(self.end),
        }
        if self.operation is not None:
            params["operation"] = str(self.operation)
        return params


def _local_bound(value: date | datetime, zone: tzinfo, *, forward: bool) -> datetime:
    """A range bound as a naive local time, widened out of a DST fold or gap."""
    if isinstance(value, datetime):
        local = to_local(value, zone)
    else:
        local = datetime.combine(value, time())
    step = _STEP if forward else -_STEP
    candidates = (local + step * n for n in range(4 * 24))
    return next((c for c in candidates if not is_ambiguous(c, zone)), local)


def local_range(
    start: date | datetime, end: date | datetime, timezone: str | None
) -> tuple[datetime, datetime]:
    """A half-open range as the API's naive local `from` and inclusive `to`."""
    zone = resolve_timezone(timezone).zone
    local_start = _local_bound(start, zone, forward=False)
    local_end = _local_bound(end, zone, forward=True) - ONE_SECOND
    return local_start, local_end


def calls_for_range(
    meter: Meter,
    start: date | datetime,
    end: date | datetime,
    *,
    resolution: Resolution = Resolution.H,
    operation: Operation | None = Operation.DELTA,
) -> list[ReadingsCall]:
    """The fewest calls that read `meter` over [start, end), oldest first."""
    zone = resolve_timezone(meter.timezone).zone
    local_start, local_end = local_range(start, end, meter.timezone)
    return [
        ReadingsCall(
            meter.device_id,
            meter.parameter_key,
            resolution,
            operation,
            call_start,
            call_end,
            meter.timezone,
            index,
        )
        for index, (call_start, call_end) in enumerate(
            split_range(resolution, local_start, local_end, zone)
        )
    ]


def minimum_backfill_calls(
    meters: Iterable[Meter],
    start: date | datetime,
    end: date | datetime,
    resolution: Resolution = Resolution.H,
) -> int:
    """The fewest calls the span limits allow to read every meter over the range."""
    total = 0
    for meter in meters:
        local_start, local_end = local_range(start, end, meter.timezone)
        total += len(split_range(resolution, local_start, local_end))
    return total


def _bound_text(value: date | datetime) -> str:
    return value.isoformat()


def _bound_from(value: Any) -> date | datetime | None:
    text = as_text(value)
    if text is None:
        return None
    try:
        if len(text) == len("YYYY-MM-DD"):
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class BackfillPlan:
    """The readings calls that fill a range for many meters, resumable.

    Calls are handed out meter by meter, oldest first, so each meter's
    history completes as early as possible and is imported in order.
    """

    def __init__(
        self,
        meters: Iterable[Meter],
        start: date | datetime,
        end: date | datetime,
        *,
        resolution: Resolution = Resolution.H,
        operation: Operation | None = Operation.DELTA,
        done: Mapping[str, Iterable[int]] | None = None,
    ) -> None:
        """Plan the calls; `done` lists, per meter key, calls already made."""
        self.start = start
        self.end = end
        self.resolution = resolution
        self.operation = operation
        self.meters: dict[str, Meter] = {}
        self._calls: dict[str, tuple[ReadingsCall, ...]] = {}
        self._done: dict[str, set[int]] = {}
        for meter in meters:
            if meter.key in self.meters:
                continue
            self.meters[meter.key] = meter
            self._calls[meter.key] = tuple(
                calls_for_range(
                    meter, start, end, resolution=resolution, operation=operation
                )
            )
            self._done[meter.key] = set()
        for key, indexes in (done or {}).items():
            if key in self._calls:
                count = len(self._calls[key])
                self._done[key] = {i for i in indexes if 0 <= i < count}

    def __repr__(self) -> str:
        """Summarise the plan."""
        return (
            f"BackfillPlan({len(self.meters)} meters, {self.start}..{self.end}, "
            f"{self.resolution}, {self.remaining_calls}/{self.total_calls} calls left)"
        )

    @property
    def total_calls(self) -> int:
        """Calls of the whole plan."""
        return sum(len(calls) for calls in self._calls.values())

    @property
    def remaining_calls(self) -> int:
        """Calls not yet done."""
        return self.total_calls - sum(len(done) for done in self._done.values())

    @property
    def finished(self) -> bool:
        """Whether every call is done."""
        return self.remaining_calls == 0

    def minimum_calls(self) -> int:
        """The fewest calls the span limits allow for this plan's range."""
        return minimum_backfill_calls(
            self.meters.values(), self.start, self.end, self.resolution
        )

    def calls(self, meter_key: str) -> tuple[ReadingsCall, ...]:
        """Every call of one meter, oldest first."""
        return self._calls.get(meter_key, ())

    def meter_finished(self, meter_key: str) -> bool:
        """Whether every call of one meter is done."""
        return len(self._done.get(meter_key, ())) == len(self.calls(meter_key))

    def pending(self) -> list[ReadingsCall]:
        """Every call not yet done, meter by meter, oldest first."""
        return [
            call
            for key, calls in self._calls.items()
            for call in calls
            if call.index not in self._done[key]
        ]

    def next_batch(self, budget: int) -> list[ReadingsCall]:
        """The next calls to make, at most `budget` of them (none are marked)."""
        return self.pending()[: max(0, budget)]

    def mark_done(self, call: ReadingsCall) -> None:
        """Record that a call's answer was used; unknown calls are ignored."""
        done = self._done.get(call.meter_key)
        if done is not None and 0 <= call.index < len(self._calls[call.meter_key]):
            done.add(call.index)

    def drop_meter(self, meter_key: str) -> None:
        """Stop filling one meter (its device was refused or unfollowed)."""
        self.meters.pop(meter_key, None)
        self._calls.pop(meter_key, None)
        self._done.pop(meter_key, None)

    def as_dict(self) -> dict[str, Any]:
        """JSON form: the inputs and the calls done (the calls are recomputed)."""
        return {
            "version": PLAN_VERSION,
            "start": _bound_text(self.start),
            "end": _bound_text(self.end),
            "resolution": str(self.resolution),
            "operation": None if self.operation is None else str(self.operation),
            "meters": [
                {
                    "device_id": meter.device_id,
                    "parameter_key": meter.parameter_key,
                    "timezone": meter.timezone,
                    "done": sorted(self._done[key]),
                }
                for key, meter in self.meters.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self | None:
        """Resume a stored plan; None when the data is unusable."""
        data = as_mapping(data)
        if as_int(data.get("version")) != PLAN_VERSION:
            return None
        start = _bound_from(data.get("start"))
        end = _bound_from(data.get("end"))
        try:
            resolution = Resolution(as_text(data.get("resolution")) or "")
            operation_text = data.get("operation")
            operation = None if operation_text is None else Operation(operation_text)
        except ValueError:
            return None
        if start is None or end is None or type(start) is not type(end):
            return None
        meters: list[Meter] = []
        done: dict[str, list[int]] = {}
        for row in as_list(data.get("meters")):
            item = as_mapping(row)
            device_id = as_int(item.get("device_id"))
            key = as_text(item.get("parameter_key"))
            if device_id is None or key is None:
                continue
            meter = Meter(device_id, key, as_text(item.get("timezone")))
            meters.append(meter)
            done[meter.key] = [
                index
                for value in as_list(item.get("done"))
                if (index := as_int(value)) is not None
            ]
        return cls(
            meters, start, end, resolution=resolution, operation=operation, done=done
        )
