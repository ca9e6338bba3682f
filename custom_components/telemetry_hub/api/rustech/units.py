"""Units and channel meanings of the RusTech data server.

Units are free-form Russian or English strings; each understood one maps to
one canonical unit per quantity (kPa, °C, m³). Channels are classified from
their code, name and unit into kinds that do not depend on the corrector
brand or the server's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
import re
from typing import Any, Self

from ..parsing import as_int, as_text


class Quantity(StrEnum):
    """What a channel measures."""

    PRESSURE = "pressure"
    TEMPERATURE = "temperature"
    VOLUME = "volume"


@dataclass(frozen=True, slots=True)
class Unit:
    """A server unit string understood, with its conversion to our unit.

    Every quantity has one canonical unit: kPa, °C, m³.
    """

    quantity: Quantity
    factor: float = 1.0
    offset: float = 0.0

    @property
    def symbol(self) -> str:
        """The canonical unit values are converted to."""
        return _CANONICAL_SYMBOL[self.quantity]

    def convert(self, value: float) -> float:
        """Convert a value in this unit to the canonical unit."""
        return value * self.factor + self.offset


KGF_PER_CM2_IN_KPA = 98.0665

_CANONICAL_SYMBOL = {
    Quantity.PRESSURE: "kPa",
    Quantity.TEMPERATURE: "°C",
    Quantity.VOLUME: "m³",
}

_PRESSURE_KPA = {
    ("kpa", "кпа"): 1.0,
    ("pa", "па"): 0.001,
    ("mpa", "мпа"): 1000.0,
    ("bar", "бар"): 100.0,
    ("mbar", "мбар"): 0.1,
    (
        "kgf/cm2",
        "kgs/cm2",
        "kg/cm2",
        "кгс/см2",
        "кгс/см",
        "кг/см2",
        "at",
        "ат",
    ): KGF_PER_CM2_IN_KPA,
    ("atm", "атм"): 101.325,
    ("mmhg", "ммрт.ст", "ммрт.ст."): 0.133322387415,
    ("psi",): 6.894757293,
}
_TEMPERATURE = ("°c", "c", "degc", "°с", "с", "градс", "град.с", "гр.с", "°")
_KELVIN = ("k", "к")
_VOLUME_M3 = ("m3", "м3", "куб.м", "м.куб", "nm3", "нм3", "ст.м3", "stm3")
_VOLUME_LITRE = ("l", "л", "dm3", "дм3")

_UNITS: dict[str, Unit] = {
    **{
        key: Unit(Quantity.PRESSURE, factor)
        for keys, factor in _PRESSURE_KPA.items()
        for key in keys
    },
    **{key: Unit(Quantity.TEMPERATURE) for key in _TEMPERATURE},
    **{key: Unit(Quantity.TEMPERATURE, offset=-273.15) for key in _KELVIN},
    **{key: Unit(Quantity.VOLUME) for key in _VOLUME_M3},
    **{key: Unit(Quantity.VOLUME, factor=0.001) for key in _VOLUME_LITRE},
}

# Cyrillic letters that look like Latin ones, as typed by mistake inside a
# Latin unit ("kPа" in the English document ends in a Cyrillic а).
_LOOKALIKES = str.maketrans("авекмнорстух", "abekmhopctyx")
_HTML_TAG = re.compile(r"<[^>]*>")
_LATIN = re.compile(r"[a-z]")


def normalize_unit(raw: str) -> str:
    """Fold a unit string to the form the unit table is keyed by."""
    text = _HTML_TAG.sub("", raw).casefold()
    for old, new in (("²", "2"), ("³", "3"), ("^", ""), ("℃", "°c"), (" ", "")):
        text = text.replace(old, new)
    if _LATIN.search(text):
        text = text.translate(_LOOKALIKES)
    return text


@lru_cache(maxsize=256)
def parse_unit(raw: str | None) -> Unit | None:
    """Understand a server unit string; None when unknown or absent."""
    if not raw:
        return None
    text = normalize_unit(raw)
    return _UNITS.get(text) or _UNITS.get(text.rstrip("."))


class ChannelKind(StrEnum):
    """What a declared channel means, independent of its code and language.

    *total* and *accumulated* volumes are counters that only grow;
    *period* volumes are the amount of one archive interval (hour, day).
    """

    PRESSURE = "pressure"
    TEMPERATURE = "temperature"
    STANDARD_VOLUME_TOTAL = "standard_volume_total"
    STANDARD_VOLUME_ACCUMULATED = "standard_volume_accumulated"
    STANDARD_VOLUME_PERIOD = "standard_volume_period"
    WORKING_VOLUME_TOTAL = "working_volume_total"
    WORKING_VOLUME_ACCUMULATED = "working_volume_accumulated"
    WORKING_VOLUME_PERIOD = "working_volume_period"
    OTHER = "other"

    @property
    def is_counter(self) -> bool:
        """Whether the channel is a growing volume counter."""
        return self in _COUNTERS


_COUNTERS = frozenset(
    {
        ChannelKind.STANDARD_VOLUME_TOTAL,
        ChannelKind.STANDARD_VOLUME_ACCUMULATED,
        ChannelKind.WORKING_VOLUME_TOTAL,
        ChannelKind.WORKING_VOLUME_ACCUMULATED,
    }
)
_VOLUME_KINDS = {
    (True, "total"): ChannelKind.STANDARD_VOLUME_TOTAL,
    (True, "accumulated"): ChannelKind.STANDARD_VOLUME_ACCUMULATED,
    (True, "period"): ChannelKind.STANDARD_VOLUME_PERIOD,
    (False, "total"): ChannelKind.WORKING_VOLUME_TOTAL,
    (False, "accumulated"): ChannelKind.WORKING_VOLUME_ACCUMULATED,
    (False, "period"): ChannelKind.WORKING_VOLUME_PERIOD,
}
_STANDARD_WORDS = re.compile(r"приведен|стандарт|reduced|standard|\bсу\b|\bsu\b")
_WORKING_WORDS = re.compile(r"рабоч|working|\bру\b|\bru\b")
_TOTAL_WORDS = re.compile(r"общ|total")
_ACCUMULATED_WORDS = re.compile(r"накоплен|accumulated")


def _volume_kind(key: str, name: str) -> ChannelKind:
    """Classify a volume channel from its code and (any language) name."""
    if "priv" in key or key.endswith("st"):
        standard = True
    elif "work" in key:
        standard = False
    elif _STANDARD_WORDS.search(name):
        standard = True
    elif _WORKING_WORDS.search(name):
        standard = False
    else:
        return ChannelKind.OTHER
    if _TOTAL_WORDS.search(name):
        accumulation = "total"
    elif key.startswith("vnak") or _ACCUMULATED_WORDS.search(name):
        accumulation = "accumulated"
    else:
        accumulation = "period"
    return _VOLUME_KINDS[standard, accumulation]


@lru_cache(maxsize=256)
def classify_channel(code: str, name: str | None, unit: Unit | None) -> ChannelKind:
    """Decide what a declared channel means.

    The unit decides the quantity; without a known unit, the code's first
    letter does (P pressure, T temperature, V volume), so that a channel with
    an unknown unit still gets its entity (shown unavailable).
    """
    key = code.casefold()
    if unit is not None:
        quantity: Quantity | None = unit.quantity
    else:
        quantity = {"p": Quantity.PRESSURE, "t": Quantity.TEMPERATURE}.get(key)
        if quantity is None and key.startswith("v"):
            quantity = Quantity.VOLUME
    if quantity is Quantity.PRESSURE and key == "p":
        return ChannelKind.PRESSURE
    if quantity is Quantity.TEMPERATURE and key == "t":
        return ChannelKind.TEMPERATURE
    if quantity is Quantity.VOLUME:
        return _volume_kind(key, (name or "").casefold())
    return ChannelKind.OTHER


@dataclass(frozen=True, slots=True)
class ChannelDefinition:
    """One channel an equipment type declares for one archive type."""

    equipment_type_id: int
    archive_type: str
    code: str
    name: str | None
    unit_name: str | None
    archive_name: str | None = None

    @property
    def key(self) -> str:
        """The channel code folded to compare case-insensitively."""
        return self.code.casefold()

    @property
    def unit(self) -> Unit | None:
        """The understood unit, None if the server's unit is unknown."""
        return parse_unit(self.unit_name)

    @property
    def kind(self) -> ChannelKind:
        """What the channel means."""
        return classify_channel(self.code, self.name, self.unit)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse a `channel_archive_types` row."""
        type_id = as_int(row.get("equipment_type_id"))
        archive = as_text(row.get("archive_type_varname"))
        code = as_text(row.get("channel_varname"))
        if type_id is None or archive is None or code is None:
            return None
        return cls(
            equipment_type_id=type_id,
            archive_type=archive.casefold(),
            code=code,
            name=as_text(row.get("channel_name")),
            unit_name=as_text(row.get("unit_name")),
            archive_name=as_text(row.get("archive_type_name")),
        )
