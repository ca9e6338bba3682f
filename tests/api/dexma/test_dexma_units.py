"""Units, parameter keys and model parsing."""

# ruff: noqa: DTZ001 - the API speaks naive local wall times

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.telemetry_hub.api.dexma import (
    Device,
    Location,
    Measurement,
    Parameter,
    Quantity,
    classify,
    parameter_info,
    parse_unit,
    resolve_timezone,
)
from custom_components.telemetry_hub.api.dexma.models import parse_ts, parse_values
from custom_components.telemetry_hub.api.dexma.spans import format_local, to_local


@pytest.mark.parametrize(
    ("raw", "quantity", "factor"),
    [
        ("kWh", Quantity.ENERGY, 1.0),
        (" KWH ", Quantity.ENERGY, 1.0),
        ("Wh", Quantity.ENERGY, 0.001),
        ("MWh", Quantity.ENERGY, 1000.0),
        ("m³", Quantity.VOLUME, 1.0),
        ("m3", Quantity.VOLUME, 1.0),
        ("m^3", Quantity.VOLUME, 1.0),
        ("l", Quantity.VOLUME, 0.001),
        ("L", Quantity.VOLUME, 0.001),
        ("kW", Quantity.POWER, 1.0),
        ("W", Quantity.POWER, 0.001),
        ("°C", Quantity.TEMPERATURE, 1.0),
        ("ºC", Quantity.TEMPERATURE, 1.0),
        ("℃", Quantity.TEMPERATURE, 1.0),
        ("C", Quantity.TEMPERATURE, 1.0),
        ("V", Quantity.VOLTAGE, 1.0),
        ("A", Quantity.CURRENT, 1.0),
        ("kvarh", Quantity.REACTIVE_ENERGY, 1.0),
        ("%", Quantity.RATIO, 1.0),
        ("kWh.", Quantity.ENERGY, 1.0),
    ],
)
def test_units(raw: str, quantity: Quantity, factor: float) -> None:
    unit = parse_unit(raw)
    assert unit is not None
    assert unit.quantity is quantity
    assert unit.factor == pytest.approx(factor)


def test_unit_conversion_and_symbols() -> None:
    kelvin = parse_unit("K")
    assert kelvin is not None
    assert kelvin.convert(273.15) == pytest.approx(0)
    assert kelvin.symbol == "°C"
    fahrenheit = parse_unit("°F")
    assert fahrenheit is not None
    assert fahrenheit.convert(212) == pytest.approx(100)
    watt_hours = parse_unit("Wh")
    assert watt_hours is not None
    assert watt_hours.convert(1500) == pytest.approx(1.5)
    assert watt_hours.symbol == "kWh"


@pytest.mark.parametrize("raw", [None, "", "  ", "furlongs", "x" * 100, 5])
def test_unknown_units(raw: object) -> None:
    assert parse_unit(raw) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "measurement", "cumulative"),
    [
        ("EACTIVE", Measurement.ENERGY, True),
        ("eactive", Measurement.ENERGY, True),
        ("GASVOLUME", Measurement.GAS, True),
        ("GASENERGY", Measurement.GAS_ENERGY, True),
        ("WATERVOL", Measurement.WATER, True),
        ("POWER", Measurement.POWER, False),
        ("TEMP", Measurement.TEMPERATURE, False),
        ("VOLTAGE", Measurement.VOLTAGE, False),
        ("CURRENT", Measurement.CURRENT, False),
        ("e_active", Measurement.ENERGY, True),
    ],
)
def test_parameter_keys(key: str, measurement: Measurement, cumulative: bool) -> None:
    info = parameter_info(key)
    assert info is not None
    assert info.measurement is measurement
    assert info.cumulative is cumulative


@pytest.mark.parametrize("key", [None, "", "FLUXCAPACITOR", "K" * 100])
def test_unknown_keys(key: str | None) -> None:
    assert parameter_info(key) is None


def test_classification() -> None:
    good = classify("EACTIVE", "MWh")
    assert good.usable
    assert good.unit is not None
    assert good.unit.factor == 1000
    assumed = classify("GASVOLUME", None)
    assert assumed.usable
    assert assumed.unit is not None
    assert assumed.unit.symbol == "m³"
    unknown_key = classify("FOO", "kWh")
    assert not unknown_key.usable
    assert "unknown parameter key 'FOO'" in (unknown_key.problem or "")
    unknown_unit = classify("TEMP", "kelvins please")
    assert "unknown unit" in (unknown_unit.problem or "")
    wrong = classify("EACTIVE", "m3")
    assert "expected energy" in (wrong.problem or "")
    assert wrong.unit is None


def test_device_rows() -> None:
    assert Device.from_row({"name": "no id"}) is None
    device = Device.from_row({"id": "7", "location_id": 3, "datasource": None})
    assert device is not None
    assert device.name == "Device 7"
    assert device.location_id == 3
    assert device.datasource_id is None
    odd = Device.from_row({"id": 8, "location": {"id": "x"}, "datasource": {"id": 2}})
    assert odd is not None
    assert odd.location_id is None
    assert odd.datasource_id == 2


def test_location_rows() -> None:
    assert Location.from_row({}) is None
    nested = Location.from_row({"id": 1, "address": {"timezone": "Europe/Madrid"}})
    assert nested is not None
    assert nested.timezone == "Europe/Madrid"
    assert nested.name == "Location 1"
    other = Location.from_row({"id": 2, "time_zone": "UTC"})
    assert other is not None
    assert other.zone.name == "UTC"


def test_parameter_rows() -> None:
    assert Parameter.from_row({"id": 1}) is None
    param = Parameter.from_row({"key": "temp", "unit": "ºC"})
    assert param is not None
    assert param.key == "TEMP"
    assert param.units == "ºC"


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("Europe/Madrid", False),
        ("UTC", False),
        ("Etc/UTC", False),
        (None, True),
        ("", True),
        ("Mars/Olympus", True),
        ("../../etc/passwd", True),
        ("/etc/localtime", True),
        ("Europe/" + "x" * 100, True),
    ],
)
def test_resolve_timezone(name: str | None, fallback: bool) -> None:
    assert resolve_timezone(name).fallback is fallback


def test_times() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    assert parse_ts("2025-01-01T00:00:00Z", madrid, None) == datetime(
        2025, 1, 1, tzinfo=UTC
    )
    assert parse_ts("x" * 50, madrid, None) is None
    assert parse_ts("0001-01-01T00:00:00+01:00", madrid, None) is None
    assert parse_ts(12, madrid, None) is None
    naive = parse_ts("2025-07-01T10:00:00", madrid, None)
    assert naive is not None
    assert naive.utcoffset() == timedelta(hours=2)
    assert format_local(datetime(2025, 1, 2, 3, 4, 5)) == "2025-01-02T03:04:05"
    aware = datetime(2025, 1, 1, 12, 0, 0, 500, tzinfo=UTC)
    assert to_local(aware, madrid) == datetime(2025, 1, 1, 13, 0)


def test_offsetless_times_in_a_fold() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    rows = [
        {"ts": "2025-10-26T02:00:00", "v": 1},
        {"ts": "2025-10-26T02:00:00", "v": 2},
        {"ts": "2025-10-26T02:00:00", "v": 3},  # a third cannot exist: fold 0 again
    ]
    readings, skipped = parse_values(rows, madrid)
    assert skipped == 0
    offsets = [r.ts.utcoffset() for r in readings]
    assert offsets == [timedelta(hours=2), timedelta(hours=1), timedelta(hours=2)]
