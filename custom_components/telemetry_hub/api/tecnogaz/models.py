"""Typed models of the Tecno-Gaz DISTRO API (provisional contract v1).

Parsing follows the tolerance rules of the contract: unknown fields are
ignored, optional fields may be missing, numbers may be strings, times come
in any accepted form, and an unknown enum value keeps its raw text with the
enum field None. A row without its identity (serial, cycle number, alarm
id) parses to None; the client skips it and logs that once.

Each model also writes itself back in the contract's JSON form (`to_json`),
which is how the sync engine stores it, and gives JSON-safe attributes for
Home Assistant events (`attributes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from ..parsing import as_mapping
from . import fields as read
from .fields import (
    Attribute,
    Fields as F,  # noqa: N817 - one letter keeps rows readable
    clean,
    iso,
    safe_attributes,
)


class SterilizerStatus(StrEnum):
    """What a sterilizer is doing, as the listing states it."""

    READY = "ready"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STANDBY_ERROR = "standby_error"
    NOT_READY = "not_ready"
    OFFLINE = "offline"


class Program(StrEnum):
    """The programs such sterilizers run; custom programs are None."""

    B134 = "B134"
    """134 °C, wrapped load."""
    B134U = "B134U"
    """134 °C, unwrapped load."""
    PRION = "PRION"
    """134 °C held 18 minutes."""
    B121 = "B121"
    """121 °C, wrapped load."""
    BD = "BD"
    """Bowie-Dick test."""
    HELIX = "HELIX"
    """Helix test."""
    VACUUM = "VACUUM"
    """Vacuum (leak) test."""

    @classmethod
    def parse(cls, code: str | None) -> Program | None:
        """The program of a code; spaces, hyphens and case do not matter."""
        if code is None:
            return None
        key = "".join(ch for ch in code.upper() if ch not in " -_")
        try:
            return cls(key)
        except ValueError:
            return None


class CycleResult(StrEnum):
    """A cycle's outcome."""

    PASSED = "passed"
    FAILED = "failed"
    ABORTED = "aborted"
    RUNNING = "running"


class AlarmSeverity(StrEnum):
    """`alarm` stops a cycle; `warning` does not."""

    ALARM = "alarm"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Sterilizer:
    """One sterilizer of the contract, as the `/devices` listing shows it."""

    serial: str
    model: str | None = None
    firmware: str | None = None
    status: SterilizerStatus | None = None
    status_raw: str | None = None
    last_seen: datetime | None = None
    cycle_counter: int | None = None
    """Lifetime cycles."""
    last_cycle_number: int | None = None
    active_alarms: int | None = None
    alarms_changed_at: datetime | None = None
    """When the newest alarm was raised or cleared."""

    @classmethod
    def from_json(cls, row: Any, *, serial: str | None = None) -> Self | None:
        """Parse a `Device`; `serial` fills in a missing one (single device)."""
        data = as_mapping(row)
        found = read.identity(data.get(F.SERIAL)) or serial
        if found is None:
            return None
        status, status_raw = read.enum_of(SterilizerStatus, data.get(F.STATUS))
        return cls(
            serial=found,
            model=read.text(data.get(F.MODEL)),
            firmware=read.text(data.get(F.FIRMWARE)),
            status=status,
            status_raw=status_raw,
            last_seen=read.moment(data.get(F.LAST_SEEN)),
            cycle_counter=read.count(data.get(F.CYCLE_COUNTER)),
            last_cycle_number=read.count(data.get(F.LAST_CYCLE_NUMBER)),
            active_alarms=read.count(data.get(F.ACTIVE_ALARMS)),
            alarms_changed_at=read.moment(data.get(F.ALARMS_CHANGED_AT)),
        )

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON form."""
        return clean(
            {
                F.SERIAL: self.serial,
                F.MODEL: self.model,
                F.FIRMWARE: self.firmware,
                F.STATUS: self.status_raw,
                F.LAST_SEEN: iso(self.last_seen),
                F.CYCLE_COUNTER: self.cycle_counter,
                F.LAST_CYCLE_NUMBER: self.last_cycle_number,
                F.ACTIVE_ALARMS: self.active_alarms,
                F.ALARMS_CHANGED_AT: iso(self.alarms_changed_at),
            }
        )


@dataclass(frozen=True, slots=True)
class Cycle:
    """One sterilization cycle (or test) of a sterilizer."""

    number: int
    program: Program | None = None
    """A known program; None for a custom one (see `program_code`)."""
    program_code: str | None = None
    program_name: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    result: CycleResult | None = None
    result_raw: str | None = None
    error_code: str | None = None
    error_text: str | None = None
    temperature_min: float | None = None
    """°C during the hold."""
    temperature_max: float | None = None
    pressure_min: float | None = None
    """bar (absolute) during the hold."""
    pressure_max: float | None = None
    hold_seconds: int | None = None
    duration_seconds: int | None = None
    operator: str | None = None
    report_available: bool | None = None

    @classmethod
    def from_json(cls, row: Any, *, number: int | None = None) -> Self | None:
        """Parse a `Cycle`; `number` fills in a missing one (a report)."""
        data = as_mapping(row)
        found = read.count(data.get(F.CYCLE_NUMBER))
        if found is None:
            found = number
        if found is None:
            return None
        raw_program = data.get(F.PROGRAM)
        program = as_mapping(raw_program)
        code = read.text(program.get(F.CODE)) if program else read.text(raw_program)
        result, result_raw = read.enum_of(CycleResult, data.get(F.RESULT))
        temperature = as_mapping(data.get(F.TEMPERATURE))
        pressure = as_mapping(data.get(F.PRESSURE))
        return cls(
            number=found,
            program=Program.parse(code),
            program_code=code,
            program_name=read.text(program.get(F.NAME)),
            start=read.moment(data.get(F.START_TIME)),
            end=read.moment(data.get(F.END_TIME)),
            result=result,
            result_raw=result_raw,
            error_code=read.text(data.get(F.ERROR_CODE)),
            error_text=read.text(data.get(F.ERROR_TEXT)),
            temperature_min=read.measure(temperature.get(F.MIN)),
            temperature_max=read.measure(temperature.get(F.MAX)),
            pressure_min=read.measure(pressure.get(F.MIN)),
            pressure_max=read.measure(pressure.get(F.MAX)),
            hold_seconds=read.seconds(data.get(F.HOLD_SECONDS)),
            duration_seconds=read.seconds(data.get(F.DURATION_SECONDS)),
            operator=read.text(data.get(F.OPERATOR)),
            report_available=read.flag(data.get(F.REPORT_AVAILABLE)),
        )

    @property
    def finished(self) -> bool:
        """Whether the cycle is over (an outcome, or an end time)."""
        if self.result is CycleResult.RUNNING:
            return False
        return self.result is not None or self.end is not None

    @property
    def event_kind(self) -> EventKind | None:
        """The event a finished cycle is announced as; None while running.

        A finished cycle whose result is unknown counts as failed when it
        carries an error code or text, and as completed otherwise (its raw
        result is in the attributes).
        """
        if not self.finished:
            return None
        if self.result is CycleResult.PASSED:
            return EventKind.CYCLE_COMPLETED
        if self.result is CycleResult.ABORTED:
            return EventKind.CYCLE_ABORTED
        if self.result is CycleResult.FAILED or self.error_code or self.error_text:
            return EventKind.CYCLE_FAILED
        return EventKind.CYCLE_COMPLETED

    @property
    def unsuccessful(self) -> bool:
        """Whether the cycle finished failed or aborted."""
        return self.event_kind in (EventKind.CYCLE_FAILED, EventKind.CYCLE_ABORTED)

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON form."""
        program = clean({F.CODE: self.program_code, F.NAME: self.program_name})
        temperature = clean({F.MIN: self.temperature_min, F.MAX: self.temperature_max})
        pressure = clean({F.MIN: self.pressure_min, F.MAX: self.pressure_max})
        return clean(
            {
                F.CYCLE_NUMBER: self.number,
                F.PROGRAM: program or None,
                F.START_TIME: iso(self.start),
                F.END_TIME: iso(self.end),
                F.RESULT: self.result_raw,
                F.ERROR_CODE: self.error_code,
                F.ERROR_TEXT: self.error_text,
                F.TEMPERATURE: temperature or None,
                F.PRESSURE: pressure or None,
                F.HOLD_SECONDS: self.hold_seconds,
                F.DURATION_SECONDS: self.duration_seconds,
                F.OPERATOR: self.operator,
                F.REPORT_AVAILABLE: self.report_available,
            }
        )

    def attributes(self) -> dict[str, Attribute]:
        """JSON-safe attributes for a Home Assistant event or response."""
        return safe_attributes(
            {
                "cycle_number": self.number,
                "program": self.program_code,
                "program_name": self.program_name,
                "result": self.result_raw,
                "start_time": iso(self.start),
                "end_time": iso(self.end),
                "error_code": self.error_code,
                "error_text": self.error_text,
                "temperature_min": self.temperature_min,
                "temperature_max": self.temperature_max,
                "pressure_min": self.pressure_min,
                "pressure_max": self.pressure_max,
                "hold_seconds": self.hold_seconds,
                "duration_seconds": self.duration_seconds,
                "operator": self.operator,
                "report_available": self.report_available,
            }
        )


@dataclass(frozen=True, slots=True)
class Alarm:
    """An alarm (stops a cycle) or a warning of a sterilizer."""

    id: str
    code: str | None = None
    text: str | None = None
    severity: AlarmSeverity | None = None
    severity_raw: str | None = None
    raised_at: datetime | None = None
    cleared_at: datetime | None = None
    """None while the alarm is active."""
    cycle_number: int | None = None

    @classmethod
    def from_json(cls, row: Any) -> Self | None:
        """Parse an `Alarm`."""
        data = as_mapping(row)
        alarm_id = read.identity(data.get(F.ALARM_ID))
        if alarm_id is None:
            return None
        severity, severity_raw = read.enum_of(AlarmSeverity, data.get(F.SEVERITY))
        return cls(
            id=alarm_id,
            code=read.text(data.get(F.CODE)),
            text=read.text(data.get(F.TEXT)),
            severity=severity,
            severity_raw=severity_raw,
            raised_at=read.moment(data.get(F.RAISED_AT)),
            cleared_at=read.moment(data.get(F.CLEARED_AT)),
            cycle_number=read.count(data.get(F.CYCLE_NUMBER)),
        )

    @property
    def active(self) -> bool:
        """Whether the alarm has not been cleared."""
        return self.cleared_at is None

    @property
    def fatal(self) -> bool:
        """Whether this is an `alarm` (it stops cycles), not a warning."""
        return self.severity is AlarmSeverity.ALARM

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON form."""
        return clean(
            {
                F.ALARM_ID: self.id,
                F.CODE: self.code,
                F.TEXT: self.text,
                F.SEVERITY: self.severity_raw,
                F.RAISED_AT: iso(self.raised_at),
                F.CLEARED_AT: iso(self.cleared_at),
                F.CYCLE_NUMBER: self.cycle_number,
            }
        )

    def attributes(self) -> dict[str, Attribute]:
        """JSON-safe attributes for a Home Assistant event."""
        return safe_attributes(
            {
                "alarm_id": self.id,
                "code": self.code,
                "text": self.text,
                "severity": self.severity_raw,
                "raised_at": iso(self.raised_at),
                "cleared_at": iso(self.cleared_at),
                "cycle_number": self.cycle_number,
            }
        )


class EventKind(StrEnum):
    """The event types Home Assistant's event entities fire."""

    CYCLE_COMPLETED = "cycle_completed"
    CYCLE_FAILED = "cycle_failed"
    CYCLE_ABORTED = "cycle_aborted"
    ALARM_RAISED = "alarm_raised"
    ALARM_CLEARED = "alarm_cleared"


CYCLE_EVENTS = (
    EventKind.CYCLE_COMPLETED,
    EventKind.CYCLE_FAILED,
    EventKind.CYCLE_ABORTED,
)
ALARM_EVENTS = (EventKind.ALARM_RAISED, EventKind.ALARM_CLEARED)
