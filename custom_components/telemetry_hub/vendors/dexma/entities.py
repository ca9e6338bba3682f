"""What Home Assistant shows of a DEXMA device and of the account.

A DEXMA device (a meter or sensor of a building) gets one sensor per
followed parameter (key `param_<KEY>`): its device class and unit come
from what the parameter measures (`Measurement`), in the unit this Home
Assistant accepts for that device class (feature-detected: an older one
without a device class shows the value without it). A counter (EACTIVE,
GASVOLUME, ...) shows the consumption of its newest complete interval as a
`total` whose `last_reset` is the interval's start; the Energy dashboard
uses the imported statistic instead. An instantaneous parameter (POWER,
TEMP, ...) shows its newest value. Every value is converted once per
refresh, by the coordinator, into a `DexmaView`.

The account is a service device of its own: remaining hourly and daily
quota (disabled by default) and the effective refresh interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
import functools
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.components.sensor.const import DEVICE_CLASS_UNITS
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.helpers.typing import StateType

from ...api.dexma import Measurement, parameter_info
from ...api.dexma.units import CANONICAL_SYMBOL
from ...sensor import TelemetryHubSensorEntityDescription

KNOWN_KEYS: tuple[str, ...] = (
    "EACTIVE",
    "GASVOLUME",
    "GASENERGY",
    "WATERVOL",
    "WATERVOLUME",
    "THERMALENERGY",
    "HEATENERGY",
    "EREACTIVE",
    "EREACTIVEIND",
    "EREACTIVECAP",
    "POWER",
    "PACTIVE",
    "PREACTIVE",
    "PAPPARENT",
    "TEMP",
    "TEMPERATURE",
    "EXTTEMP",
    "HUMIDITY",
    "RHUMIDITY",
    "VOLTAGE",
    "CURRENT",
    "FREQUENCY",
    "PF",
    "COSPHI",
)
"""Every parameter key the client understands (`units.parameter_info`)."""

# Per measurement, the device classes and units to show it with, best first:
# (device class name, unit, factor from the client's canonical unit).
_CANDIDATES: dict[Measurement, tuple[tuple[str, str, float], ...]] = {
    Measurement.ENERGY: (("ENERGY", "kWh", 1.0),),
    Measurement.GAS: (("GAS", "m³", 1.0),),
    Measurement.GAS_ENERGY: (("ENERGY", "kWh", 1.0),),
    Measurement.WATER: (("WATER", "m³", 1.0),),
    Measurement.THERMAL_ENERGY: (("ENERGY", "kWh", 1.0),),
    Measurement.REACTIVE_ENERGY: (("REACTIVE_ENERGY", "kvarh", 1.0),),
    Measurement.POWER: (("POWER", "kW", 1.0),),
    Measurement.REACTIVE_POWER: (
        ("REACTIVE_POWER", "kvar", 1.0),
        ("REACTIVE_POWER", "var", 1000.0),
    ),
    Measurement.APPARENT_POWER: (
        ("APPARENT_POWER", "kVA", 1.0),
        ("APPARENT_POWER", "VA", 1000.0),
    ),
    Measurement.TEMPERATURE: (("TEMPERATURE", "°C", 1.0),),
    Measurement.HUMIDITY: (("HUMIDITY", "%", 1.0),),
    Measurement.VOLTAGE: (("VOLTAGE", "V", 1.0),),
    Measurement.CURRENT: (("CURRENT", "A", 1.0),),
    Measurement.FREQUENCY: (("FREQUENCY", "Hz", 1.0),),
    Measurement.POWER_FACTOR: (("POWER_FACTOR", "%", 1.0),),
}


@dataclass(frozen=True, slots=True)
class HaUnit:
    """How Home Assistant shows a measurement."""

    device_class: SensorDeviceClass | None
    unit: str
    factor: float
    """Multiplies a value in the client's canonical unit."""


@functools.cache
def ha_unit(measurement: Measurement, canonical: str) -> HaUnit:
    """The device class and unit this Home Assistant has for a measurement."""
    for name, unit, factor in _CANDIDATES.get(measurement, ()):
        device_class = getattr(SensorDeviceClass, name, None)
        if device_class is not None and unit in DEVICE_CLASS_UNITS.get(
            device_class, ()
        ):
            return HaUnit(device_class, unit, factor)
    return HaUnit(None, canonical, 1.0)


def _ha_unit_of(key: str) -> HaUnit | None:
    info = parameter_info(key)
    if info is None:
        return None
    return ha_unit(info.measurement, CANONICAL_SYMBOL[info.quantity])


DEFAULT_KEYS = frozenset(
    key for key in KNOWN_KEYS if (unit := _ha_unit_of(key)) and unit.device_class
)
"""The parameters followed by default: those with a device class here."""


@dataclass(frozen=True, slots=True)
class MeterValue:
    """One followed parameter of a device, converted for Home Assistant."""

    value: float | None = None
    """In the sensor's unit; None before the first reading."""
    reading_time: datetime | None = None
    """The newest reading's time (a counter's: its interval's start)."""
    available: bool = True
    """False when the server refuses it (422) or its unit is unknown."""


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """The account's quota and schedule."""

    hour_remaining: int | None
    day_remaining: int | None
    interval_minutes: float
    """The effective refresh interval (the plan's)."""
    requested_minutes: float
    streams: int
    batches: int
    calls_per_refresh: int


@dataclass(frozen=True, slots=True)
class DexmaView:
    """A DEXMA device (or the account) as its entities see it."""

    name: str
    model: str | None = None
    area: str | None = None
    reachable: bool = True
    """False while the device is missing from listings or answers 403."""
    meters: Mapping[str, MeterValue] = field(default_factory=dict)
    """By the parameter key as the API spells it."""
    latest_reading: datetime | None = None
    account: AccountStatus | None = None


type _Sensor = TelemetryHubSensorEntityDescription[DexmaView]


def _value(key: str, view: DexmaView) -> StateType:
    meter = view.meters.get(key)
    return None if meter is None else meter.value


def _available(key: str, view: DexmaView) -> bool:
    meter = view.meters.get(key)
    return view.reachable and meter is not None and meter.available


def _attributes(key: str, view: DexmaView) -> dict[str, Any] | None:
    meter = view.meters.get(key)
    if meter is None or meter.reading_time is None:
        return None
    return {"reading_time": meter.reading_time.isoformat()}


def _interval_start(key: str, view: DexmaView) -> datetime | None:
    """A counter's value is its newest interval's: that interval's start."""
    meter = view.meters.get(key)
    return None if meter is None else meter.reading_time


@functools.cache
def parameter_description(key: str) -> _Sensor | None:
    """The sensor of a parameter key (as the API spells it); None if unknown."""
    info = parameter_info(key)
    unit = _ha_unit_of(key)
    if info is None or unit is None:
        return None
    return TelemetryHubSensorEntityDescription[DexmaView](
        key=f"param_{key}",
        translation_key=f"param_{info.key.lower()}",
        device_class=unit.device_class,
        native_unit_of_measurement=unit.unit,
        state_class=SensorStateClass.TOTAL
        if info.cumulative
        else SensorStateClass.MEASUREMENT,
        value_fn=functools.partial(_value, key),
        available_fn=functools.partial(_available, key),
        attributes_fn=functools.partial(_attributes, key),
        last_reset_fn=(
            functools.partial(_interval_start, key) if info.cumulative else None
        ),
    )


def unit_factor(key: str) -> float:
    """What a value in the canonical unit is multiplied by for its sensor."""
    unit = _ha_unit_of(key)
    return 1.0 if unit is None else unit.factor


LATEST_READING: _Sensor = TelemetryHubSensorEntityDescription(
    key="latest_reading",
    translation_key="dexma_latest_reading",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    value_fn=lambda view: view.latest_reading,
    available_fn=lambda view: view.reachable,
)


HOURLY_QUOTA: _Sensor = TelemetryHubSensorEntityDescription(
    key="hourly_quota_remaining",
    translation_key="dexma_hourly_quota",
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda view: view.account.hour_remaining if view.account else None,
)
DAILY_QUOTA: _Sensor = TelemetryHubSensorEntityDescription(
    key="daily_quota_remaining",
    translation_key="dexma_daily_quota",
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda view: view.account.day_remaining if view.account else None,
)
EFFECTIVE_INTERVAL: _Sensor = TelemetryHubSensorEntityDescription(
    key="effective_interval",
    translation_key="dexma_effective_interval",
    device_class=SensorDeviceClass.DURATION,
    native_unit_of_measurement=UnitOfTime.MINUTES,
    entity_category=EntityCategory.DIAGNOSTIC,
    suggested_display_precision=0,
    value_fn=lambda view: (
        round(view.account.interval_minutes, 1) if view.account else None
    ),
    attributes_fn=lambda view: (
        {
            "requested_interval": view.account.requested_minutes,
            "streams": view.account.streams,
            "batches": view.account.batches,
            "calls_per_refresh": view.account.calls_per_refresh,
        }
        if view.account
        else None
    ),
)
ACCOUNT_SENSORS: tuple[_Sensor, ...] = (HOURLY_QUOTA, DAILY_QUOTA, EFFECTIVE_INTERVAL)
