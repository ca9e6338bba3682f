"""Units and parameter keys of DEXMA, in our own terms (no Home Assistant).

`parse_unit` maps the API's unit strings ("kWh", "m³", "ºC", "kvarh", ...)
to one canonical unit per quantity with its conversion; keys are folded
(case, spaces, unicode variants such as "³", "º", "℃"). `parameter_info`
says what a parameter key measures, and whether it is *cumulative* (a
counter: its `DELTA` is the consumption per interval) or *instantaneous*.
`classify` puts both together and explains, in one line, why a parameter
cannot be used (unknown key, unknown unit, or a unit of the wrong quantity):
the integration shows such a parameter unavailable and logs that line once.
The Home Assistant side maps `Measurement` and `Quantity` to its device
classes and units.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import unicodedata


class Quantity(StrEnum):
    """A physical quantity; each has one canonical unit."""

    ENERGY = "energy"
    VOLUME = "volume"
    POWER = "power"
    TEMPERATURE = "temperature"
    VOLTAGE = "voltage"
    CURRENT = "current"
    REACTIVE_ENERGY = "reactive_energy"
    REACTIVE_POWER = "reactive_power"
    APPARENT_POWER = "apparent_power"
    FREQUENCY = "frequency"
    RATIO = "ratio"
    """Percentages and power factors."""
    PRESSURE = "pressure"


CANONICAL_SYMBOL = {
    Quantity.ENERGY: "kWh",
    Quantity.VOLUME: "m³",
    Quantity.POWER: "kW",
    Quantity.TEMPERATURE: "°C",
    Quantity.VOLTAGE: "V",
    Quantity.CURRENT: "A",
    Quantity.REACTIVE_ENERGY: "kvarh",
    Quantity.REACTIVE_POWER: "kvar",
    Quantity.APPARENT_POWER: "kVA",
    Quantity.FREQUENCY: "Hz",
    Quantity.RATIO: "%",
    Quantity.PRESSURE: "kPa",
}


@dataclass(frozen=True, slots=True)
class Unit:
    """An API unit string understood: canonical = value * factor + offset."""

    quantity: Quantity
    factor: float = 1.0
    offset: float = 0.0

    @property
    def symbol(self) -> str:
        """The canonical unit values are converted to."""
        return CANONICAL_SYMBOL[self.quantity]

    def convert(self, value: float) -> float:
        """Convert a value in this unit to the canonical unit."""
        return value * self.factor + self.offset


def _units() -> dict[str, Unit]:
    table: dict[str, Unit] = {}

    def add(quantity: Quantity, names: str, factor: float = 1.0) -> None:
        for name in names.split():
            table[name] = Unit(quantity, factor)

    add(Quantity.ENERGY, "wh", 0.001)
    add(Quantity.ENERGY, "kwh kw·h kw.h")
    add(Quantity.ENERGY, "mwh", 1000.0)
    add(Quantity.ENERGY, "gwh", 1_000_000.0)
    add(Quantity.ENERGY, "mj", 1 / 3.6)
    add(Quantity.ENERGY, "gj", 1000 / 3.6)
    add(Quantity.ENERGY, "kj", 1 / 3600)
    add(Quantity.ENERGY, "th therm therms", 29.3071)
    add(Quantity.VOLUME, "m3 nm3 sm3 mc")
    add(Quantity.VOLUME, "l lt litre liter litres liters dm3", 0.001)
    add(Quantity.VOLUME, "hl", 0.1)
    add(Quantity.VOLUME, "cm3 ml", 0.000_001)
    add(Quantity.VOLUME, "ft3 cf", 0.028_316_846_592)
    add(Quantity.VOLUME, "ccf hcf", 2.831_684_659_2)
    add(Quantity.VOLUME, "gal", 0.003_785_411_784)
    add(Quantity.POWER, "w", 0.001)
    add(Quantity.POWER, "kw")
    add(Quantity.POWER, "mw", 1000.0)
    add(Quantity.TEMPERATURE, "°c c degc ºc celsius °")
    add(Quantity.VOLTAGE, "v")
    add(Quantity.VOLTAGE, "kv", 1000.0)
    add(Quantity.VOLTAGE, "mv", 0.001)
    add(Quantity.CURRENT, "a")
    add(Quantity.CURRENT, "ma", 0.001)
    add(Quantity.CURRENT, "ka", 1000.0)
    add(Quantity.REACTIVE_ENERGY, "varh", 0.001)
    add(Quantity.REACTIVE_ENERGY, "kvarh kvah-r kvahr")
    add(Quantity.REACTIVE_ENERGY, "mvarh", 1000.0)
    add(Quantity.REACTIVE_POWER, "var", 0.001)
    add(Quantity.REACTIVE_POWER, "kvar")
    add(Quantity.REACTIVE_POWER, "mvar", 1000.0)
    add(Quantity.APPARENT_POWER, "va", 0.001)
    add(Quantity.APPARENT_POWER, "kva")
    add(Quantity.APPARENT_POWER, "mva", 1000.0)
    add(Quantity.FREQUENCY, "hz")
    add(Quantity.RATIO, "% percent pct")
    add(Quantity.PRESSURE, "kpa")
    add(Quantity.PRESSURE, "pa", 0.001)
    add(Quantity.PRESSURE, "bar", 100.0)
    add(Quantity.PRESSURE, "mbar", 0.1)
    table["k"] = Unit(Quantity.TEMPERATURE, offset=-273.15)
    table["°f"] = Unit(Quantity.TEMPERATURE, 5 / 9, -32 * 5 / 9)
    table["f"] = table["°f"]
    return table


_UNITS = _units()
_FOLD = str.maketrans({"º": "°", "˚": "°", "℃": "°c", "℉": "°f", "²": "2", "³": "3"})
_MAX_UNIT_TEXT = 32


def normalize_unit(raw: str) -> str:
    """Fold a unit string: case, spaces, superscripts, degree look-alikes."""
    text = raw.translate(_FOLD)
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(text.split()).replace("^", "")


def parse_unit(raw: str | None) -> Unit | None:
    """Understand an API unit string; None when unknown, absent or absurd."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > _MAX_UNIT_TEXT:
        return None
    text = normalize_unit(raw)
    return _UNITS.get(text) or _UNITS.get(text.rstrip("."))


class Measurement(StrEnum):
    """What a parameter measures (the HA side maps it to a device class)."""

    ENERGY = "energy"
    """Electrical active energy."""
    GAS = "gas"
    """Gas volume."""
    GAS_ENERGY = "gas_energy"
    """Energy content of the gas consumed."""
    WATER = "water"
    THERMAL_ENERGY = "thermal_energy"
    REACTIVE_ENERGY = "reactive_energy"
    POWER = "power"
    REACTIVE_POWER = "reactive_power"
    APPARENT_POWER = "apparent_power"
    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    VOLTAGE = "voltage"
    CURRENT = "current"
    FREQUENCY = "frequency"
    POWER_FACTOR = "power_factor"


@dataclass(frozen=True, slots=True)
class ParameterInfo:
    """What a parameter key means."""

    key: str
    measurement: Measurement
    quantity: Quantity
    cumulative: bool
    """A counter: `DELTA` gives the consumption per interval."""


_KEYS: dict[str, tuple[Measurement, Quantity, bool]] = {
    "EACTIVE": (Measurement.ENERGY, Quantity.ENERGY, True),
    "GASVOLUME": (Measurement.GAS, Quantity.VOLUME, True),
    "GASENERGY": (Measurement.GAS_ENERGY, Quantity.ENERGY, True),
    "WATERVOL": (Measurement.WATER, Quantity.VOLUME, True),
    "WATERVOLUME": (Measurement.WATER, Quantity.VOLUME, True),
    "THERMALENERGY": (Measurement.THERMAL_ENERGY, Quantity.ENERGY, True),
    "HEATENERGY": (Measurement.THERMAL_ENERGY, Quantity.ENERGY, True),
    "EREACTIVE": (Measurement.REACTIVE_ENERGY, Quantity.REACTIVE_ENERGY, True),
    "EREACTIVEIND": (Measurement.REACTIVE_ENERGY, Quantity.REACTIVE_ENERGY, True),
    "EREACTIVECAP": (Measurement.REACTIVE_ENERGY, Quantity.REACTIVE_ENERGY, True),
    "POWER": (Measurement.POWER, Quantity.POWER, False),
    "PACTIVE": (Measurement.POWER, Quantity.POWER, False),
    "PREACTIVE": (Measurement.REACTIVE_POWER, Quantity.REACTIVE_POWER, False),
    "PAPPARENT": (Measurement.APPARENT_POWER, Quantity.APPARENT_POWER, False),
    "TEMP": (Measurement.TEMPERATURE, Quantity.TEMPERATURE, False),
    "TEMPERATURE": (Measurement.TEMPERATURE, Quantity.TEMPERATURE, False),
    "EXTTEMP": (Measurement.TEMPERATURE, Quantity.TEMPERATURE, False),
    "HUMIDITY": (Measurement.HUMIDITY, Quantity.RATIO, False),
    "RHUMIDITY": (Measurement.HUMIDITY, Quantity.RATIO, False),
    "VOLTAGE": (Measurement.VOLTAGE, Quantity.VOLTAGE, False),
    "CURRENT": (Measurement.CURRENT, Quantity.CURRENT, False),
    "FREQUENCY": (Measurement.FREQUENCY, Quantity.FREQUENCY, False),
    "PF": (Measurement.POWER_FACTOR, Quantity.RATIO, False),
    "COSPHI": (Measurement.POWER_FACTOR, Quantity.RATIO, False),
}
_MAX_KEY_TEXT = 40


def normalize_key(raw: str) -> str:
    """Fold a parameter key: upper case, no spaces, dashes or underscores."""
    text = unicodedata.normalize("NFKC", raw).upper()
    return "".join(ch for ch in text if ch.isalnum())


def parameter_info(key: str | None) -> ParameterInfo | None:
    """What a parameter key measures; None for an unknown key."""
    if not isinstance(key, str) or len(key) > _MAX_KEY_TEXT:
        return None
    folded = normalize_key(key)
    known = _KEYS.get(folded)
    if known is None:
        return None
    measurement, quantity, cumulative = known
    return ParameterInfo(folded, measurement, quantity, cumulative)


@dataclass(frozen=True, slots=True)
class Classification:
    """A parameter key and unit string understood, or why not."""

    info: ParameterInfo | None
    unit: Unit | None
    problem: str | None = None
    """One line for the log when the parameter cannot be used; else None."""

    @property
    def usable(self) -> bool:
        """Whether both the key and a matching unit are known."""
        return self.problem is None


def classify(key: str | None, units: str | None) -> Classification:
    """Understand a parameter from its key and the API's unit string.

    A known key without any unit string assumes the canonical unit of its
    quantity (the API's documented ones are canonical: kWh, m³, kW, °C).
    """
    info = parameter_info(key)
    unit = parse_unit(units)
    shown_key = (key or "")[:_MAX_KEY_TEXT]
    shown_unit = (units or "")[:_MAX_UNIT_TEXT]
    if info is None:
        return Classification(None, unit, f"unknown parameter key {shown_key!r}")
    if unit is None and (units is None or not units.strip()):
        return Classification(info, Unit(info.quantity))
    if unit is None:
        return Classification(info, None, f"{info.key}: unknown unit {shown_unit!r}")
    if unit.quantity is not info.quantity:
        problem = (
            f"{info.key}: unit {shown_unit!r} is {unit.quantity}, "
            f"expected {info.quantity}"
        )
        return Classification(info, None, problem)
    return Classification(info, unit)
