"""Typed models of the RusTech data server and the parsing of its rows.

The server is lenient about types (numbers arrive as numbers or as numeric
strings, channel codes change case between views, units are free-form
Russian or English strings), so every parser here accepts what the
documents show and drops what it cannot read instead of failing the whole
answer. Rows that cannot be used at all (no id, no event time) are skipped
by the caller, which logs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import math
import re
from typing import Any, Self

from .errors import TelemetryHubProtocolError

# --------------------------------------------------------------------------
# Scalars


def as_int(value: Any) -> int | None:
    """Read an id or a count: an int, or a string or float holding one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return None


def as_float(value: Any) -> float | None:
    """Read a measurement: a number, or a numeric string ("503.2795", "1,4")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ".").replace(" ", ""))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_text(value: Any) -> str | None:
    """Read a text field; blank and non-text values become None."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def as_time(value: Any) -> datetime | None:
    """Read a UNIX time in seconds (UTC) as an aware datetime."""
    seconds = as_float(value)
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --------------------------------------------------------------------------
# Units


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


def parse_unit(raw: str | None) -> Unit | None:
    """Understand a server unit string; None when unknown or absent."""
    if not raw:
        return None
    text = normalize_unit(raw)
    return _UNITS.get(text) or _UNITS.get(text.rstrip("."))


# --------------------------------------------------------------------------
# Channels


class ArchiveType(StrEnum):
    """The archive types of `channel_data` (`settings` has its own call)."""

    HOURLY = "hourly"
    DAILY = "daily"
    MONTHLY = "monthly"
    YEARLY = "yearly"
    NESHT = "nesht"
    """Abnormal situations (нештатные ситуации)."""


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


# --------------------------------------------------------------------------
# Account and directory models


@dataclass(frozen=True, slots=True)
class RusTechToken:
    """The devise_token_auth credentials of one session.

    The access token and the client id are secrets: they never appear in a
    repr, a log line or an exception.
    """

    access_token: str = field(repr=False)
    client: str = field(repr=False)
    uid: str = field(repr=False)
    expiry: int
    token_type: str = "Bearer"  # noqa: S105 - a scheme name, not a secret

    def is_valid(self, now: float, margin: float = 60.0) -> bool:
        """Whether the token has not expired (with a safety margin)."""
        return self.expiry - margin > now

    def headers(self) -> dict[str, str]:
        """The four request headers that authenticate a call."""
        return {
            "access-token": self.access_token,
            "token-type": self.token_type,
            "client": self.client,
            "uid": self.uid,
        }

    def as_dict(self) -> dict[str, str | int]:
        """Serialise, for storage in the config entry."""
        return {
            "access_token": self.access_token,
            "client": self.client,
            "uid": self.uid,
            "expiry": self.expiry,
            "token_type": self.token_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self | None:
        """Read a stored token; None when absent or incomplete."""
        if not data:
            return None
        access_token = as_text(data.get("access_token"))
        client = as_text(data.get("client"))
        uid = as_text(data.get("uid"))
        expiry = as_int(data.get("expiry"))
        if not access_token or not client or not uid or expiry is None:
            return None
        return cls(
            access_token=access_token,
            client=client,
            uid=uid,
            expiry=expiry,
            token_type=as_text(data.get("token_type")) or "Bearer",
        )


@dataclass(frozen=True, slots=True)
class RusTechUser:
    """The signed-in user, from the sign-in answer."""

    uid: str
    id: int | None = None
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    """A consumer of the resource provider."""

    id: int
    name: str
    subdivision_type: str | None = None
    inn: str | None = None
    contact_number: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse a `customers` row."""
        customer_id = as_int(row.get("id"))
        if customer_id is None:
            return None
        return cls(
            id=customer_id,
            name=as_text(row.get("name")) or f"Customer {customer_id}",
            subdivision_type=as_text(row.get("subdivision_type_name")),
            inn=as_text(row.get("inn")),
            contact_number=as_text(row.get("contact_number")),
        )


@dataclass(frozen=True, slots=True)
class Station:
    """A metering station (узел учета) and its corrector."""

    id: int
    name: str
    equipment_id: int | None = None
    equipment_type_id: int | None = None
    brand: str | None = None
    phone: str | None = None
    customer_id: int | None = None
    last_session: datetime | None = None
    reports_session: bool = False
    """Whether the list row carried `seances_event_time` at all."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse a `stations` row."""
        station_id = as_int(row.get("id"))
        if station_id is None:
            return None
        return cls(
            id=station_id,
            name=as_text(row.get("name")) or f"Station {station_id}",
            equipment_id=as_int(row.get("equipment_id")),
            equipment_type_id=as_int(row.get("equipment_type_id")),
            brand=as_text(row.get("equipment_brand_name")),
            phone=as_text(row.get("phone")),
            customer_id=as_int(row.get("customer_id")),
            last_session=as_time(row.get("seances_event_time")),
            reports_session="seances_event_time" in row,
        )


@dataclass(frozen=True, slots=True)
class LastSession:
    """The answer of `stations/last_seance_event_time`."""

    station_name: str | None
    last_session: datetime | None


@dataclass(frozen=True, slots=True)
class EquipmentType:
    """A metering device configuration type (BK, Flowgaz, ...)."""

    id: int
    name: str
    kind: str | None = None
    telemetry_type: str | None = None
    resource: str | None = None
    description: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse an `equipment_types` row."""
        type_id = as_int(row.get("id"))
        if type_id is None:
            return None
        return cls(
            id=type_id,
            name=as_text(row.get("name")) or f"Type {type_id}",
            kind=as_text(row.get("equipment_kind_name")),
            telemetry_type=as_text(row.get("telemetry_type_name")),
            resource=as_text(row.get("resource_name")),
            description=as_text(row.get("description")),
        )


@dataclass(frozen=True, slots=True)
class Setting:
    """One configuration value of a corrector."""

    name: str
    value: str | None
    unit: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse a `channel_data?archive_type=settings` row."""
        name = as_text(row.get("channel_name"))
        if name is None:
            return None
        return cls(
            name=" ".join(name.split()),
            value=as_text(row.get("channel_data_value")),
            unit=as_text(row.get("unit_name")),
        )


# --------------------------------------------------------------------------
# Archive rows

type RawValue = str | int | float | bool | None


def _channel_items(channel_data: Any) -> list[tuple[str, RawValue]]:
    """Flatten `channel_data`: a list of one-key objects (or one object)."""
    objects = channel_data if isinstance(channel_data, list) else [channel_data]
    items: list[tuple[str, RawValue]] = []
    for item in objects:
        if not isinstance(item, Mapping):
            continue
        for code, value in item.items():
            if isinstance(code, str) and code.strip():
                raw = value if isinstance(value, str | int | float | bool) else None
                items.append((code.strip(), raw))
    return items


@dataclass(frozen=True, slots=True)
class ArchiveRecord:
    """One archive row: a time and the value of each channel.

    `values` is keyed by the channel code folded to lower case (codes change
    case between the channel table and the archives) and holds only numeric
    values; `raw` keeps every channel exactly as sent (abnormal-situation
    records carry text).
    """

    event_time: datetime
    values: Mapping[str, float]
    raw: Mapping[str, RawValue]

    def value(self, code: str) -> float | None:
        """The numeric value of a channel, matched case-insensitively."""
        return self.values.get(code.casefold())

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse a `channel_data` archive row."""
        event_time = as_time(row.get("event_time"))
        if event_time is None:
            return None
        items = _channel_items(row.get("channel_data"))
        values: dict[str, float] = {}
        for code, raw in items:
            number = as_float(raw)
            if number is not None:
                values[code.casefold()] = number
        return cls(event_time=event_time, values=values, raw=dict(items))


@dataclass(frozen=True, slots=True)
class ConsolidatedRecord:
    """A row of the consolidated (vendor-neutral) view.

    The server states no units for this view; `pressure` is passed through
    as sent (for BK correctors that is likely kgf/cm², not kPa).
    """

    event_time: datetime
    gas_consume: float | None
    """Standard volume in the period, m³."""
    reading_value: float | None
    """Accumulated standard volume, m³."""
    accumulated_working_volume: float | None
    working_volume: float | None
    pressure: float | None
    temperature: float | None

    @classmethod
    def from_record(cls, record: ArchiveRecord) -> Self:
        """Read the consolidated channel names off an archive row."""
        return cls(
            event_time=record.event_time,
            gas_consume=record.value("gas_consume"),
            reading_value=record.value("reading_value"),
            accumulated_working_volume=record.value("VNakwork"),
            working_volume=record.value("Vwork"),
            pressure=record.value("P"),
            temperature=record.value("T"),
        )


# --------------------------------------------------------------------------
# Paging


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list view."""

    rows: list[Mapping[str, Any]]
    current_page: int
    total_pages: int
    next_page: int | None

    @classmethod
    def from_body(cls, body: Any, requested: int, what: str) -> Self:
        """Read the paging envelope; raise when the body is not one."""
        if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
            msg = f"{what}: the answer is not a page of data"
            raise TelemetryHubProtocolError(msg)
        rows = [row for row in body["data"] if isinstance(row, Mapping)]
        current = as_int(body.get("current_page")) or requested
        total = as_int(body.get("total_pages"))
        if total is None:
            total = current if rows else 0
        if "next_page" in body:
            next_page = as_int(body.get("next_page"))
        else:
            # One documented example omits next_page: fall back to the count.
            next_page = current + 1 if current < total else None
        return cls(rows, current, total, next_page)
