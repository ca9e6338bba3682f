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

from ..parsing import as_int, as_text, as_time
from .paging import Page
from .records import ArchiveRecord, ConsolidatedRecord, RawValue

__all__ = [
    "ArchiveRecord",
    "ArchiveType",
    "ConsolidatedRecord",
    "Customer",
    "EquipmentType",
    "LastSession",
    "Page",
    "RawValue",
    "RusTechToken",
    "RusTechUser",
    "Setting",
    "Station",
]


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
