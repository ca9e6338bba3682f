"""Typed models of the RusTech data server and the parsing of its rows.

Every parser accepts what the documents show and drops what it cannot read
instead of failing the whole answer. Rows that cannot be used at all (no id,
no event time) are skipped by the caller, which logs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from ..errors import TelemetryHubProtocolError
from ..parsing import as_float, as_int, as_text, as_time


class ArchiveType(StrEnum):
    """The archive types of `channel_data` (`settings` has its own call)."""

    HOURLY = "hourly"
    DAILY = "daily"
    MONTHLY = "monthly"
    YEARLY = "yearly"
    NESHT = "nesht"
    """Abnormal situations (нештатные ситуации)."""


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
