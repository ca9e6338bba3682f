"""Typed models of DEXMA Energy Manager API v3 answers, and their parsing.

Every parser is tolerant: ids may come as numbers or numeric strings,
references as `{"id": 7}`, a bare `7` or `null`, optional fields may be
missing. A row that cannot be used at all (no id) parses to None and the
client skips it with one log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone, tzinfo
from typing import Any, Self

from ..parsing import as_float, as_int, as_mapping, as_text, unwrap_list
from .plan import ReadingsCall
from .spans import LocalZone, Operation, Resolution, resolve_timezone
from .units import Classification, classify

_MAX_TS_TEXT = 40
_VALUE_KEYS = ("values", "data", "readings")


def _ref_id(value: Any) -> int | None:
    """An id given as `{"id": 7}`, `7` or `"7"`."""
    if isinstance(value, Mapping):
        return as_int(value.get("id"))
    return as_int(value)


@dataclass(frozen=True, slots=True)
class Device:
    """A meter or sensor of the account."""

    id: int
    name: str
    description: str | None = None
    local_id: str | None = None
    status: str | None = None
    location_id: int | None = None
    datasource_id: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse a `/devices` row; None without an id."""
        device_id = as_int(row.get("id"))
        if device_id is None:
            return None
        location = row.get("location", row.get("location_id"))
        datasource = row.get("datasource", row.get("datasource_id"))
        return cls(
            id=device_id,
            name=as_text(row.get("name")) or f"Device {device_id}",
            description=as_text(row.get("description")),
            local_id=as_text(row.get("local_id")),
            status=as_text(row.get("status")),
            location_id=_ref_id(location),
            datasource_id=_ref_id(datasource),
        )


@dataclass(frozen=True, slots=True)
class Location:
    """A building or site; its time zone is the one of its devices' readings."""

    id: int
    name: str
    timezone: str | None = None
    """IANA name as the API gives it; None when the location has none."""

    @property
    def zone(self) -> LocalZone:
        """The zone to read and write local times in (UTC as a flagged fallback)."""
        return resolve_timezone(self.timezone)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse a `/locations` row; None without an id."""
        location_id = as_int(row.get("id"))
        if location_id is None:
            return None
        address = as_mapping(row.get("address"))
        timezone = (
            as_text(row.get("timezone"))
            or as_text(row.get("time_zone"))
            or as_text(address.get("timezone"))
        )
        return cls(
            id=location_id,
            name=as_text(row.get("name")) or f"Location {location_id}",
            timezone=timezone,
        )


@dataclass(frozen=True, slots=True)
class Parameter:
    """A data point a device sends (active energy, temperature, ...)."""

    key: str
    """The parameter key readings are asked with (`EACTIVE`, `TEMP`, ...)."""
    id: int | None = None
    name: str | None = None
    units: str | None = None
    """The unit string as the API gives it."""
    nature: str | None = None

    @property
    def classification(self) -> Classification:
        """What the parameter measures and its unit, or why that is unknown."""
        return classify(self.key, self.units)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse a `/parameters` row; None without a key."""
        key = as_text(row.get("key"))
        if key is None:
            return None
        return cls(
            key=key.upper(),
            id=as_int(row.get("id")),
            name=as_text(row.get("name")),
            units=as_text(row.get("units")) or as_text(row.get("unit")),
            nature=as_text(row.get("nature")),
        )


@dataclass(frozen=True, slots=True)
class Reading:
    """One value; `ts` is aware and starts its interval.

    `ts` carries the fixed UTC offset of its local time (as the API sends
    it: `+01:00` in Madrid winter, `+10:30` in Adelaide summer), so it
    compares and hashes by instant.
    """

    ts: datetime
    value: float


@dataclass(frozen=True, slots=True)
class ReadingSeries:
    """The answer of one or more `/readings` calls for one parameter."""

    device_id: int
    parameter_key: str
    resolution: Resolution
    operation: Operation | None
    readings: tuple[Reading, ...] = ()
    """Oldest first, one per instant."""
    units: str | None = None
    """The unit string of the answer (read it, do not assume it)."""
    timezone: str | None = None
    """The zone the server answered in, if it said."""
    timezone_fallback: bool = False
    """True when no usable zone was known and UTC was assumed."""
    skipped: int = field(default=0, compare=False)
    """Values dropped: null, not a number, or without a readable time."""

    @property
    def classification(self) -> Classification:
        """What the values measure and their unit, or why that is unknown."""
        return classify(self.parameter_key, self.units)

    @property
    def latest(self) -> Reading | None:
        """The newest reading, if any."""
        return self.readings[-1] if self.readings else None

    @classmethod
    def from_body(
        cls, call: ReadingsCall, body: Any, zone: tzinfo, *, fallback: bool
    ) -> Self | None:
        """Parse one `/readings` answer (None = no content); None if misshapen.

        Times without an offset are read in the zone the answer names, else
        in `zone`; `fallback` says `zone` is UTC standing in for none.
        """
        mapping = as_mapping(body)
        rows = [] if body is None else unwrap_list(body, *_VALUE_KEYS)
        if rows is None and "values" in mapping and mapping["values"] is None:
            rows = []
        if rows is None:
            return None
        answered = as_text(mapping.get("timezone"))
        if answered is not None and not (named := resolve_timezone(answered)).fallback:
            zone = named.zone
        readings, skipped = parse_values(rows, zone)
        return cls(
            call.device_id,
            call.parameter_key,
            call.resolution,
            call.operation,
            merge_readings([readings]),
            units=as_text(mapping.get("units")),
            timezone=answered,
            timezone_fallback=fallback,
            skipped=skipped,
        )

    @classmethod
    def merge(
        cls, call: ReadingsCall, parts: list[ReadingSeries], *, fallback: bool
    ) -> Self:
        """Join the answers of consecutive calls (of `call`'s series) into one."""
        return cls(
            call.device_id,
            call.parameter_key,
            call.resolution,
            call.operation,
            merge_readings([list(part.readings) for part in parts]),
            units=next((part.units for part in parts if part.units), None),
            timezone=next((part.timezone for part in parts if part.timezone), None),
            timezone_fallback=fallback,
            skipped=sum(part.skipped for part in parts),
        )


def parse_ts(value: Any, zone: tzinfo, previous: datetime | None) -> datetime | None:
    """Read a reading's time as an aware datetime with a fixed UTC offset.

    ISO 8601 with an offset (as the API sends) is exact and kept as sent.
    Text without an offset is a local time of `zone`; in a DST fold the
    second occurrence is chosen when the first would not come after
    `previous`. Fixed offsets (not the zone) keep comparisons exact: two
    times of one `ZoneInfo` compare by wall time, fold ignored.
    """
    text = as_text(value)
    if text is None or len(text) > _MAX_TS_TEXT:
        return None
    if text[-1] in "zZ":
        text = f"{text[:-1]}+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is not None:
            parsed.astimezone(UTC)  # out of range (year 1 with an offset) raises
            return parsed
        aware = _fixed(parsed.replace(tzinfo=zone))
        if previous is not None and aware <= previous:
            later = _fixed(parsed.replace(tzinfo=zone, fold=1))
            if later > previous:
                return later
    except (ValueError, OverflowError):
        return None
    return aware


def _fixed(when: datetime) -> datetime:
    """The same instant with a fixed-offset tzinfo."""
    offset = when.utcoffset()
    return when.astimezone(UTC if offset is None else timezone(offset))


def parse_values(rows: list[Any], zone: tzinfo) -> tuple[list[Reading], int]:
    """Parse `values` rows; return the readings and how many were skipped."""
    readings: list[Reading] = []
    skipped = 0
    previous: datetime | None = None
    for row in rows:
        item = as_mapping(row)
        ts = parse_ts(item.get("ts"), zone, previous)
        value = as_float(item.get("v"))
        if ts is None or value is None:
            skipped += 1
            continue
        readings.append(Reading(ts, value))
        previous = ts
    return readings, skipped


def merge_readings(chunks: list[list[Reading]]) -> tuple[Reading, ...]:
    """Join the readings of several calls: oldest first, one per instant."""
    by_instant: dict[datetime, Reading] = {}
    for chunk in chunks:
        for reading in chunk:
            by_instant[reading.ts] = reading
    return tuple(sorted(by_instant.values(), key=lambda reading: reading.ts))
