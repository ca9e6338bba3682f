"""What the DEXMA sync engine remembers between ticks and across restarts.

Everything here serialises to plain JSON (`as_dict`) and reads back
tolerantly (`from_dict`): a stored document that is partly unreadable
loses only that part, never the rest.

* `DeviceState`: a device of the last listing, its parameters (read once,
  again weekly), how many daily listings it has been missing from, and
  since when it answers 403 "Entity not found";
* `MeterState`: one followed series (device x parameter key): when it was
  last refreshed, how far its last read reached (to see a gap), its newest
  value and the unit of the last answer, and a 422 that put it aside;
* `CallLedger`: our own calls, in ten-second buckets over the last day.
  The quota headers only say what is left in the token's windows; the
  ledger says what *we* spent in any rolling hour or day, restarts
  included, so a restart never hands us a fresh share of a window.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
import math
from typing import Any, Self

from ..parsing import as_float, as_int, as_list, as_mapping, as_text
from .models import Device, Location, Parameter, Reading
from .plan import BackfillPlan
from .quota import DAY, Quota
from .spans import Resolution

STATE_VERSION = 1
BUCKET = 10
"""Seconds per ledger bucket."""


def _time(value: Any) -> datetime | None:
    text = as_text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _reading(value: Any) -> Reading | None:
    item = as_mapping(value)
    ts = _time(item.get("ts"))
    number = as_float(item.get("v"))
    return None if ts is None or number is None else Reading(ts, number)


@dataclass(slots=True)
class DeviceState:
    """A device of the account and what we learnt about it."""

    device: Device
    parameters: tuple[Parameter, ...] | None = None
    """None until the device's parameters were read."""
    parameters_at: float | None = None
    missing: int = 0
    """Consecutive daily listings the device was absent from."""
    denied_at: float | None = None
    """When it last answered 403 "Entity not found" (None: it answers)."""

    @property
    def reachable(self) -> bool:
        """Whether the device is listed and answers."""
        return self.missing == 0 and self.denied_at is None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "device": asdict(self.device),
            "parameters": None
            if self.parameters is None
            else [asdict(parameter) for parameter in self.parameters],
            "parameters_at": self.parameters_at,
            "missing": self.missing,
            "denied_at": self.denied_at,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Self | None:
        """Read a stored device; None when unusable."""
        item = as_mapping(data)
        device = Device.from_row(as_mapping(item.get("device")))
        if device is None:
            return None
        parameters = None
        if isinstance(item.get("parameters"), list):
            parameters = tuple(
                parameter
                for row in as_list(item.get("parameters"))
                if (parameter := Parameter.from_row(as_mapping(row))) is not None
            )
        return cls(
            device,
            parameters,
            as_float(item.get("parameters_at")),
            max(0, as_int(item.get("missing")) or 0),
            as_float(item.get("denied_at")),
        )


@dataclass(slots=True)
class MeterState:
    """One followed series: a device's parameter."""

    device_id: int
    key: str
    """The parameter key as the API spells it."""
    resolution: Resolution
    """The steady read's resolution (H, HH or QH for a counter, B else)."""
    refreshed_at: float | None = None
    """When the steady refresh last read it (or tried to)."""
    read_to: float | None = None
    """The instant its last successful steady read reached."""
    latest: Reading | None = None
    """The newest reading (a counter's: the newest interval's amount)."""
    units: str | None = None
    """The unit string of the last answer that had one."""
    invalid: str | None = None
    """Why the server refused it (422), until it answers again."""
    invalid_at: float | None = None

    @property
    def meter_key(self) -> str:
        """`"<device id>/<KEY>"`, as `plan.Meter.key`."""
        return f"{self.device_id}/{self.key}"

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        latest = self.latest
        return {
            "device_id": self.device_id,
            "key": self.key,
            "resolution": str(self.resolution),
            "refreshed_at": self.refreshed_at,
            "read_to": self.read_to,
            "latest": None
            if latest is None
            else {"ts": latest.ts.isoformat(), "v": latest.value},
            "units": self.units,
            "invalid": self.invalid,
            "invalid_at": self.invalid_at,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Self | None:
        """Read a stored meter; None when unusable."""
        item = as_mapping(data)
        device_id = as_int(item.get("device_id"))
        key = as_text(item.get("key"))
        try:
            resolution = Resolution(as_text(item.get("resolution")) or "")
        except ValueError:
            return None
        if device_id is None or key is None:
            return None
        return cls(
            device_id,
            key,
            resolution,
            as_float(item.get("refreshed_at")),
            as_float(item.get("read_to")),
            _reading(item.get("latest")),
            as_text(item.get("units")),
            as_text(item.get("invalid")),
            as_float(item.get("invalid_at")),
        )


class CallLedger:
    """Our calls over the last day, to bound any rolling window exactly."""

    def __init__(self, buckets: Iterable[tuple[int, int]] = ()) -> None:
        """Start from stored `(bucket start, calls)` pairs."""
        merged: dict[int, int] = {}
        for start, count in buckets:
            if count > 0:
                bucket = start - start % BUCKET
                merged[bucket] = merged.get(bucket, 0) + count
        self._starts: list[int] = sorted(merged)
        self._counts: list[int] = [merged[start] for start in self._starts]

    def __len__(self) -> int:
        """Calls recorded (in the last day, once pruned)."""
        return sum(self._counts)

    def record(self, when: float, calls: int = 1) -> None:
        """Count calls made at `when` (UNIX seconds)."""
        if calls <= 0 or not math.isfinite(when):
            return
        bucket = int(when) - int(when) % BUCKET
        if self._starts and self._starts[-1] == bucket:
            self._counts[-1] += calls
        elif not self._starts or self._starts[-1] < bucket:
            self._starts.append(bucket)
            self._counts.append(calls)
        else:  # a clock that went back: keep the order
            index = bisect_right(self._starts, bucket)
            if index and self._starts[index - 1] == bucket:
                self._counts[index - 1] += calls
            else:
                self._starts.insert(index, bucket)
                self._counts.insert(index, calls)

    def prune(self, now: float) -> None:
        """Forget calls older than a day (and a bucket)."""
        cut = bisect_right(self._starts, now - DAY - 2 * BUCKET)
        del self._starts[:cut]
        del self._counts[:cut]

    def since(self, start: float) -> int:
        """Calls made after `start` (a bucket that may reach past it counts)."""
        index = bisect_right(self._starts, start - BUCKET)
        return sum(self._counts[index:])

    def allowance(
        self,
        now: float,
        *,
        interval: float,
        steady: int,
        budgets: Iterable[tuple[float, int]],
    ) -> int:
        """Calls we may make now so that no rolling window exceeds its budget.

        For each window (length, budget): the calls already made in every
        window that ends now or at one of the later ticks it spans, plus
        `steady` calls at each of those ticks, stay within the budget. The
        window ending now alone guarantees the bound; the later ones keep
        room for the steady refresh that follows.
        """
        best: float = math.inf
        interval = max(float(interval), 1.0)
        for length, budget in budgets:
            later = max(0, math.ceil(length / interval) - 1)
            for tick in range(later + 1):
                past = self.since(now + tick * interval - length)
                best = min(best, budget - past - tick * steady)
        return 0 if math.isinf(best) else max(0, int(best))

    def as_list(self) -> list[list[int]]:
        """Plain JSON form: `[[bucket start, calls], ...]`."""
        return [
            [start, count]
            for start, count in zip(self._starts, self._counts, strict=True)
        ]

    @classmethod
    def from_list(cls, data: Any) -> Self:
        """Read stored buckets; garbage is skipped."""
        pairs = []
        for row in as_list(data):
            items = as_list(row)
            if len(items) == 2:  # noqa: PLR2004 - [start, calls]
                start, count = as_int(items[0]), as_int(items[1])
                if start is not None and count is not None:
                    pairs.append((start, count))
        return cls(pairs)


def _quota(data: Any) -> Quota | None:
    item = as_mapping(data)
    observed_at = as_float(item.get("observed_at"))
    if observed_at is None:
        return None
    counts = {
        name: as_int(item.get(name))
        for name in ("hour_limit", "hour_remaining", "day_limit", "day_remaining")
    }
    quota = Quota(
        observed_at,
        hour_limit=counts["hour_limit"],
        hour_remaining=counts["hour_remaining"],
        hour_reset=as_float(item.get("hour_reset")),
        day_limit=counts["day_limit"],
        day_remaining=counts["day_remaining"],
        day_reset=as_float(item.get("day_reset")),
    )
    return quota if quota.known else None


@dataclass(slots=True)
class SyncState:
    """The whole engine state of one account."""

    devices: dict[int, DeviceState] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    listed_at: float | None = None
    """When devices and locations were last listed."""
    meters: dict[str, MeterState] = field(default_factory=dict)
    """By meter key (`"<device id>/<KEY>"`)."""
    backfills: list[BackfillPlan] = field(default_factory=list)
    """Ranges still to read, oldest request first (first set-up, gaps,
    the import_history action)."""
    ledger: CallLedger = field(default_factory=CallLedger)
    quota: Quota | None = None
    """The latest quota the server reported (limits survive a restart)."""
    tick: int = 0

    @property
    def discovered(self) -> bool:
        """Whether every reachable device's parameters are known."""
        return all(
            state.parameters is not None
            for state in self.devices.values()
            if state.reachable
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "version": STATE_VERSION,
            "devices": [state.as_dict() for state in self.devices.values()],
            "locations": [asdict(location) for location in self.locations.values()],
            "listed_at": self.listed_at,
            "meters": [meter.as_dict() for meter in self.meters.values()],
            "backfills": [plan.as_dict() for plan in self.backfills],
            "ledger": self.ledger.as_list(),
            "quota": None if self.quota is None else self.quota.as_dict(),
            "tick": self.tick,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self:
        """Read a stored state; a state of another version starts afresh."""
        data = as_mapping(data)
        if as_int(data.get("version")) != STATE_VERSION:
            return cls()
        devices = [DeviceState.from_dict(row) for row in as_list(data.get("devices"))]
        locations = [
            Location.from_row(as_mapping(row)) for row in as_list(data.get("locations"))
        ]
        meters = [MeterState.from_dict(row) for row in as_list(data.get("meters"))]
        plans = [BackfillPlan.from_dict(row) for row in as_list(data.get("backfills"))]
        return cls(
            devices={state.device.id: state for state in devices if state},
            locations={location.id: location for location in locations if location},
            listed_at=as_float(data.get("listed_at")),
            meters={meter.meter_key: meter for meter in meters if meter},
            backfills=[
                plan for plan in plans if plan is not None and not plan.finished
            ],
            ledger=CallLedger.from_list(data.get("ledger")),
            quota=_quota(data.get("quota")),
            tick=max(0, as_int(data.get("tick")) or 0),
        )

    def drop_device(self, device_id: int) -> None:
        """Forget a device, its meters and its pending ranges."""
        self.devices.pop(device_id, None)
        for key in [
            k for k, meter in self.meters.items() if meter.device_id == device_id
        ]:
            self.drop_meter(key)

    def drop_meter(self, meter_key: str) -> None:
        """Forget a meter and its pending ranges."""
        self.meters.pop(meter_key, None)
        for plan in self.backfills:
            plan.drop_meter(meter_key)
        self.backfills = [plan for plan in self.backfills if plan.meters]


__all__ = [
    "BUCKET",
    "STATE_VERSION",
    "CallLedger",
    "DeviceState",
    "MeterState",
    "SyncState",
]
