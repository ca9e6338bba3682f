"""What the DEXMA sync engine follows, and the values it hands out (no Home Assistant).

* `SyncSettings`: the user's choices (interval, share, history window,
  devices and parameter keys to follow);
* `Stream`: one followed meter, a device's parameter in its location's
  zone, with the resolution its steady read uses (`hourly_resolution`);
* `Fetched`: counter readings read in a tick, for the statistics;
* `TickReport`: what a tick spent, by purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import functools
import logging

from .models import Device, Parameter, ReadingSeries
from .plan import BackfillPlan, Meter
from .quota import DAY, DEFAULT_SHARE, Allowance
from .spans import Resolution, resolve_timezone
from .state import SyncState
from .units import ParameterInfo, Quantity, parameter_info

_LOGGER = logging.getLogger(__name__)

CORRECTION = timedelta(hours=48)
"""Counters' trailing window, read again on every refresh."""
INSTANT_WINDOW = timedelta(hours=24)
"""How far back an instantaneous parameter's newest values are looked for."""
DISCOVERY_SHARE = 0.5
STEADY_SHARE = 0.8
"""Of the share, what a schedule too big for it may use: the rest is kept
for discovery, gaps and backfill."""
PARAMETERS_EVERY = 7 * DAY
RETRY_REFUSED = DAY
"""A device answering 403, or a meter answering 422, is tried again after."""
MISSING_LISTINGS = 3
HISTORY_QUANTITIES = frozenset({Quantity.ENERGY, Quantity.VOLUME})
"""Counters whose hours become statistics (kWh, m³)."""
_SAMPLE_YEARS = range(2020, 2032)


@functools.cache
def hourly_resolution(timezone: str | None) -> Resolution:
    """The coarsest resolution whose intervals fall whole into UTC hours.

    `H` where the zone's UTC offset is always whole hours, `HH` where it
    is a multiple of 30 minutes (Australia/Adelaide), `QH` otherwise.
    """
    zone = resolve_timezone(timezone).zone
    minutes = set()
    for year in _SAMPLE_YEARS:
        for week in range(53):
            moment = datetime(year, 1, 1, 12, tzinfo=UTC) + timedelta(weeks=week)
            offset = moment.astimezone(zone).utcoffset() or timedelta()
            minutes.add(int(offset.total_seconds() // 60) % 60)
    if minutes <= {0}:
        return Resolution.H
    return Resolution.HH if all(m % 30 == 0 for m in minutes) else Resolution.QH


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """What the user chose (the entry's options)."""

    interval: float = 900.0
    """The requested seconds between two ticks."""
    share: float = DEFAULT_SHARE
    history_days: int = 31
    devices: frozenset[int] = frozenset()
    """Devices to follow; empty: all."""
    parameters: frozenset[str] = frozenset()
    """Parameter keys to follow (`ParameterInfo.key`); empty: `defaults`."""
    defaults: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Stream:
    """A followed meter: a device's parameter in its location's zone."""

    device_id: int
    parameter: Parameter
    info: ParameterInfo
    timezone: str
    resolution: Resolution

    @property
    def meter(self) -> Meter:
        """The meter, as plans name it."""
        return Meter(self.device_id, self.parameter.key, self.timezone)

    @property
    def meter_key(self) -> str:
        """`"<device id>/<KEY>"`."""
        return f"{self.device_id}/{self.parameter.key}"

    @property
    def history(self) -> bool:
        """Whether its hours become statistics."""
        return self.info.cumulative and self.info.quantity in HISTORY_QUANTITIES


@dataclass(frozen=True, slots=True)
class Fetched:
    """Counter readings read this tick, for the statistics."""

    meter: Meter
    series: ReadingSeries


@dataclass(slots=True)
class TickReport:
    """What one tick spent, by purpose."""

    listing: int = 0
    discovery: int = 0
    steady: int = 0
    backfill: int = 0
    allowance: Allowance | None = field(default=None, repr=False)

    @property
    def calls(self) -> int:
        """Every call of the tick."""
        return self.listing + self.discovery + self.steady + self.backfill


class Portfolio:
    """The account's devices and what of them is followed."""

    def __init__(self, settings: SyncSettings) -> None:
        """Start with nothing known."""
        self.settings = settings
        self.state = SyncState()
        self._warned: set[str] = set()

    def followed(self, device_id: int) -> bool:
        """Whether the user follows a device."""
        return not self.settings.devices or device_id in self.settings.devices

    def timezone(self, device: Device) -> str:
        """The IANA zone of a device's location ("UTC" standing in for none)."""
        location = self.state.locations.get(device.location_id or -1)
        zone = resolve_timezone(location.timezone if location else None)
        if zone.fallback:
            where = f"location {location.id}" if location else f"device {device.id}"
            self._warn_once(
                f"tz:{where}",
                "DEXMA %s has no usable time zone; its readings are read as UTC",
                where,
            )
        return zone.name

    def streams(self) -> list[Stream]:
        """Every followed meter with a known parameter key, by meter key."""
        wanted = self.settings.parameters or self.settings.defaults
        found = []
        for device_id, device_state in sorted(self.state.devices.items()):
            if not self.followed(device_id) or device_state.parameters is None:
                continue
            zone = self.timezone(device_state.device)
            for parameter in device_state.parameters:
                info = parameter_info(parameter.key)
                if info is None or info.key not in wanted:
                    continue
                resolution = (
                    hourly_resolution(zone) if info.cumulative else Resolution.B
                )
                found.append(Stream(device_id, parameter, info, zone, resolution))
        return found

    def due(self, stream: Stream, now: float) -> bool:
        """Whether the steady refresh reads a stream (counted by the plan)."""
        device = self.state.devices[stream.device_id]
        meter = self.state.meters.get(stream.meter_key)
        return (
            device.missing == 0
            and (device.denied_at is None or now - device.denied_at >= RETRY_REFUSED)
            and not (
                meter and meter.invalid_at and now - meter.invalid_at < RETRY_REFUSED
            )
            and stream.parameter.classification.usable
        )

    def _queue(
        self, streams: list[Stream], start: date | datetime, end: date | datetime
    ) -> list[BackfillPlan]:
        queued = []
        for resolution in sorted({stream.resolution for stream in streams}):
            meters = [s.meter for s in streams if s.resolution is resolution]
            plan = BackfillPlan(meters, start, end, resolution=resolution)
            if plan.total_calls:
                self.state.backfills.append(plan)
                queued.append(plan)
        return queued

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            _LOGGER.warning(message, *args)
