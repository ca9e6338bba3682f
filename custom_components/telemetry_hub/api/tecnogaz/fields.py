"""JSON field names of the provisional contract, and their tolerant readers.

Every field name of the Tecno-Gaz answers is written once, here; the models
read answers (and the sync engine's stored copies of them) through these
names only. Readers never raise: what they cannot read is None.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from ..parsing import as_datetime, as_float, as_int, as_text

MAX_SAFE_INT: Final = 2**53 - 1
"""Counts and numbers beyond this are garbage (and unsafe in JSON)."""
MAX_TEXT: Final = 255
"""Text fields are cut to this length (an attribute is not a document)."""
MAX_MEASURE: Final = 1e6
"""Temperatures and pressures beyond this are garbage."""
MAX_DURATION: Final = 10**8
"""Seconds (three years): a longer duration is garbage."""
EARLIEST: Final = datetime(1990, 1, 1, tzinfo=UTC)
"""Times before this are a device without a clock, not a time."""
OFFSET_BELOW: Final = 10_000_000
"""A phase or sample time below this is seconds from the cycle's start."""


type Attribute = str | int | float | bool | None
"""A value Home Assistant can put in an event's attributes as is."""


class Fields:
    """The contract's JSON field names (v1)."""

    # lists and paging
    DEVICES = "devices"
    DEVICE = "device"
    CYCLES = "cycles"
    CYCLE = "cycle"
    REPORT = "report"
    ALARMS = "alarms"
    PAGE = "page"
    PAGE_SIZE = "pageSize"
    TOTAL = "total"
    # Device
    SERIAL = "serialNumber"
    MODEL = "model"
    FIRMWARE = "firmwareVersion"
    STATUS = "status"
    LAST_SEEN = "lastSeen"
    CYCLE_COUNTER = "cycleCounter"
    LAST_CYCLE_NUMBER = "lastCycleNumber"
    ACTIVE_ALARMS = "activeAlarms"
    ALARMS_CHANGED_AT = "alarmsChangedAt"
    # Cycle
    CYCLE_NUMBER = "cycleNumber"
    PROGRAM = "program"
    CODE = "code"
    NAME = "name"
    START_TIME = "startTime"
    END_TIME = "endTime"
    RESULT = "result"
    ERROR_CODE = "errorCode"
    ERROR_TEXT = "errorText"
    TEMPERATURE = "temperature"
    PRESSURE = "pressure"
    MIN = "min"
    MAX = "max"
    HOLD_SECONDS = "holdSeconds"
    DURATION_SECONDS = "durationSeconds"
    OPERATOR = "operator"
    REPORT_AVAILABLE = "reportAvailable"
    # Report
    PHASES = "phases"
    START = "start"
    END = "end"
    SAMPLES = "samples"
    SAMPLE_TIME = "t"
    VERIFICATION_CODE = "verificationCode"
    # Alarm
    ALARM_ID = "id"
    TEXT = "text"
    SEVERITY = "severity"
    RAISED_AT = "raisedAt"
    CLEARED_AT = "clearedAt"
    # Error bodies
    ERROR = "error"
    MESSAGE = "message"


def text(value: Any) -> str | None:
    """A text field, cut to MAX_TEXT characters."""
    found = as_text(value)
    return None if found is None else found[:MAX_TEXT]


_NOT_IDS = frozenset(
    {"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
)


def identity(value: Any) -> str | None:
    """A serial number or an id: text, or a whole number safe in JSON.

    Garbage is None rather than a new identity: no text longer than
    MAX_TEXT (it is not cut), no huge or fractional number, no NaN.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = count(value) if isinstance(value, int) or value.is_integer() else None
        return None if number is None else str(number)
    found = as_text(value)
    if found is None or len(found) > MAX_TEXT or found.casefold() in _NOT_IDS:
        return None
    return found


def count(value: Any) -> int | None:
    """A non-negative whole number that is safe in JSON (ids, counters)."""
    number = as_int(value)
    return number if number is not None and 0 <= number <= MAX_SAFE_INT else None


def seconds(value: Any) -> int | None:
    """A duration in whole seconds."""
    number = as_float(value)
    if number is None or not 0 <= number <= MAX_DURATION:
        return None
    return round(number)


def measure(value: Any) -> float | None:
    """A temperature or pressure."""
    number = as_float(value)
    return number if number is not None and abs(number) <= MAX_MEASURE else None


def moment(value: Any) -> datetime | None:
    """A time in any accepted form (ISO 8601, epoch s or ms), UTC."""
    found = as_datetime(value)
    return found if found is not None and found >= EARLIEST else None


def offset_moment(value: Any, origin: datetime | None) -> datetime | None:
    """A time, or seconds from `origin` when the value is a small number."""
    number = as_float(value)
    if number is not None and abs(number) < OFFSET_BELOW:
        if origin is None:
            return None
        return origin + timedelta(seconds=number)
    return moment(value)


def flag(value: Any) -> bool | None:
    """A yes/no field: a JSON boolean, 0/1 or "true"/"false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        folded = value.strip().casefold()
        if folded in ("true", "yes", "1"):
            return True
        if folded in ("false", "no", "0"):
            return False
    return None


def enum_of[E: StrEnum](kind: type[E], value: Any) -> tuple[E | None, str | None]:
    """A known value of `kind` and the raw text; unknown text keeps only raw.

    Case, spaces and hyphens do not matter ("Standby error" is
    `standby_error`); any other spelling is unknown.
    """
    raw = text(value)
    if raw is None:
        return None, None
    key = raw.casefold().replace(" ", "_").replace("-", "_")
    try:
        return kind(key), raw
    except ValueError:
        return None, raw


def iso(when: datetime | None) -> str | None:
    """A time as ISO 8601 text in UTC, for storage and attributes."""
    return None if when is None else when.astimezone(UTC).isoformat()


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """Drop None values (a missing field reads as None anyway)."""
    return {key: value for key, value in data.items() if value is not None}


def _safe(value: Attribute) -> Attribute:
    """Keep an attribute JSON-safe: no huge int, no NaN or infinity."""
    if isinstance(value, float) and value != value:  # noqa: PLR0124 - NaN test
        return None
    if isinstance(value, float) and abs(value) == float("inf"):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) <= 2**53 - 1 else None
    return value


def safe_attributes(data: Mapping[str, Attribute]) -> dict[str, Attribute]:
    """Every value of `data` made JSON-safe."""
    return {key: _safe(value) for key, value in data.items()}
