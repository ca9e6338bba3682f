"""The simulated portfolio: locations, devices, parameters and their values.

Values follow closed forms, so any instant is cheap and every resolution
and operation agrees with every other:

* a *cumulative* parameter (EACTIVE, GASVOLUME, GASENERGY, WATERVOL) is a
  counter `C(t)` = offset + the integral of a positive rate with a daily
  and a weekly wave, plus the corrections made to past hours (a correction
  adds `d` to one hour, spread linearly over it, so the counter after it
  moves by `d` and stays consistent);
* an *instantaneous* parameter (POWER, TEMP, VOLTAGE) is the wave itself;
  an electricity meter's POWER is exactly the rate of its EACTIVE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
import random

T0 = 1_600_000_000
"""Counters start here (2020-09-13); history never goes further back."""
BASE_PERIOD = 300
"""Seconds between raw samples (resolution B)."""
HOUR = 3600
_DAY_W = 2 * math.pi / 86400
_WEEK_W = 2 * math.pi / (7 * 86400)

ZONES: tuple[str | None, ...] = ("Europe/Madrid", "Australia/Adelaide", "UTC", None)
LOCATION_NAMES = ("Madrid HQ", "Adelaide Office", "Data Centre (UTC)", "Warehouse")


@dataclass
class SimParameter:
    """One parameter of a device and its value model."""

    key: str
    id: int
    name: str
    units: str
    nature: str
    cumulative: bool
    mean: float
    """Mean level (instantaneous) or mean consumption per hour (cumulative)."""
    daily: float = 0.3
    weekly: float = 0.2
    phase: float = 0.0
    offset: float = 0.0
    corrections: dict[int, float] = field(default_factory=dict)
    """Hour start (UNIX s) -> amount added to that hour (cumulative only)."""

    def wave(self, t: float) -> float:
        """The instantaneous level (or rate per hour) at `t`."""
        return self.mean * (
            1
            + self.daily * math.sin(_DAY_W * t + self.phase)
            + self.weekly * math.sin(_WEEK_W * t + 2 * self.phase)
        )

    def value(self, t: float) -> float:
        """The value at instant `t`: the counter, or the level."""
        if not self.cumulative:
            return self.wave(t)
        per_second = self.mean / HOUR
        base = (t - T0) - self.daily / _DAY_W * (
            math.cos(_DAY_W * t + self.phase) - math.cos(_DAY_W * T0 + self.phase)
        )
        base -= (
            self.weekly
            / _WEEK_W
            * (
                math.cos(_WEEK_W * t + 2 * self.phase)
                - math.cos(_WEEK_W * T0 + 2 * self.phase)
            )
        )
        corrected = sum(
            amount * min(1.0, max(0.0, (t - start) / HOUR))
            for start, amount in self.corrections.items()
        )
        return self.offset + per_second * base + corrected


@dataclass
class SimLocation:
    """A building, with its time zone (None: the location has none)."""

    id: int
    name: str
    timezone: str | None

    def as_json(self) -> dict[str, object]:
        """The `/locations` row."""
        return {
            "id": self.id,
            "name": self.name,
            "key": f"LOC{self.id}",
            "timezone": self.timezone,
            "address": {"city": self.name.split()[0], "country": "ES"},
        }


@dataclass
class SimDevice:
    """A meter or sensor."""

    id: int
    name: str
    kind: str
    location: SimLocation
    datasource_id: int
    lag: int
    """Seconds after an interval ends before its reading appears (late data)."""
    parameters: dict[str, SimParameter] = field(default_factory=dict)
    hidden: bool = False
    """When True the device answers 403 "Entity not found"."""

    def as_json(self) -> dict[str, object]:
        """The `/devices` row."""
        return {
            "id": self.id,
            "name": self.name,
            "description": f"{self.kind} meter",
            "local_id": f"M{self.id:05d}",
            "status": "ACTIVE",
            "location": {"id": self.location.id},
            "datasource": {"id": self.datasource_id},
        }


def _params(kind: str, rng: random.Random, first_id: int) -> list[SimParameter]:
    """The parameters of one device kind, with seeded constants."""
    phase = rng.uniform(0, 2 * math.pi)
    scale = rng.uniform(0.5, 2.0)
    specs: list[tuple[str, str, str, str, bool, float]]
    if kind == "electricity":
        load = 20.0 * scale
        specs = [
            ("EACTIVE", "Active energy", "kWh", "ELECTRICAL", True, load),
            ("POWER", "Active power", "kW", "ELECTRICAL", False, load),
            ("TEMP", "Temperature", "ºC", "TEMPERATURE", False, 21.0),
            ("VOLTAGE", "Voltage", "V", "ELECTRICAL", False, 230.0),
        ]
    elif kind == "gas":
        specs = [
            ("GASVOLUME", "Gas volume", "m³", "GAS", True, 3.0 * scale),
            ("GASENERGY", "Gas energy", "kWh", "GAS", True, 33.0 * scale),
        ]
    elif kind == "water":
        specs = [("WATERVOL", "Water volume", "m3", "WATER", True, 0.4 * scale)]
    else:
        specs = [
            ("TEMP", "Temperature", "°C", "TEMPERATURE", False, 19.0),
            ("POWER", "Heat pump power", "W", "ELECTRICAL", False, 1500.0 * scale),
        ]
    params = []
    for index, (key, name, units, nature, cumulative, mean) in enumerate(specs):
        waves = key not in ("TEMP", "VOLTAGE")
        params.append(
            SimParameter(
                key=key,
                id=first_id + index,
                name=name,
                units=units,
                nature=nature,
                cumulative=cumulative,
                mean=mean,
                daily=0.4 if waves else 0.05,
                weekly=0.2 if waves else 0.02,
                phase=phase,
                offset=round(rng.uniform(1000, 50_000), 3) if cumulative else 0.0,
            )
        )
    return params


KINDS = ("electricity", "gas", "water", "climate")


def make_portfolio(
    devices: int, seed: int, *, lag: int | None = None
) -> tuple[list[SimLocation], list[SimDevice]]:
    """Four locations (Madrid, Adelaide, UTC, none) and `devices` devices.

    Device `i` stands in location `i % 4` and is of kind `(i // 4) % 4`, so
    the first four devices are electricity meters, one per location. Lags
    cycle through 1, 2 and 3 hours unless `lag` is given.
    """
    locations = [
        SimLocation(501 + index, name, zone)
        for index, (name, zone) in enumerate(zip(LOCATION_NAMES, ZONES, strict=True))
    ]
    result: list[SimDevice] = []
    for index in range(devices):
        rng = random.Random(f"{seed}:{index}")
        kind = KINDS[(index // 4) % 4]
        device = SimDevice(
            id=1001 + index,
            name=f"{kind.title()} meter {index + 1}",
            kind=kind,
            location=locations[index % 4],
            datasource_id=300 + index // 10,
            lag=HOUR * (1 + index % 3) if lag is None else lag,
        )
        for param in _params(kind, rng, 10 * (1001 + index)):
            device.parameters[param.key] = param
        result.append(device)
    return locations, result
