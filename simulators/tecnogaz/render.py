"""JSON answers of the simulated DISTRO API, with their variations.

The contract (ours, v1) leaves room the client must survive: lists bare or
wrapped, times as ISO 8601 with `Z` or an offset or as epoch seconds or
milliseconds, numbers as strings, fields we do not know. `Style` switches
each; "mixed" varies per field (times) or per answer (lists),
deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
import hashlib
from typing import Any, Literal

from .catalog import PROGRAMS, ProgramSpec
from .machine import SimAlarm, SimCycle, SimSterilizer

type TimeFormat = Literal["iso_z", "iso_offset", "epoch_s", "epoch_ms", "mixed"]
type ListStyle = Literal["wrapped", "bare", "mixed"]

TIME_FORMATS: tuple[TimeFormat, ...] = ("iso_z", "iso_offset", "epoch_s", "epoch_ms")
_ROME = timezone(timedelta(hours=1))


@dataclass
class Style:
    """How answers are written; every switch may change while serving."""

    time_format: TimeFormat = "iso_z"
    list_style: ListStyle = "wrapped"
    numbers_as_strings: bool = False
    extra_fields: bool = False
    phase_offsets: bool = False
    """Phase start/end as seconds from the cycle's start, not times."""


def _pick(key: str, options: int) -> int:
    return hashlib.sha256(key.encode()).digest()[0] % options


class Renderer:
    """Write machines, cycles, alarms and reports as the API would."""

    def __init__(self, style: Style, answer: int, seed: int) -> None:
        """`answer` numbers the answer (mixed list styles vary with it)."""
        self.style = style
        self.answer = answer
        self.seed = seed

    def time(self, value: float | None, field: str) -> Any:
        """A time in the configured format (None stays null)."""
        if value is None:
            return None
        fmt = self.style.time_format
        if fmt == "mixed":
            fmt = TIME_FORMATS[_pick(f"{field}:{value}", len(TIME_FORMATS))]
        if fmt == "epoch_s":
            return self.number(round(value))
        if fmt == "epoch_ms":
            return self.number(round(value * 1000))
        moment = datetime.fromtimestamp(value, UTC)
        if fmt == "iso_offset":
            return moment.astimezone(_ROME).isoformat()
        return moment.isoformat().replace("+00:00", "Z")

    def number(self, value: float | None) -> Any:
        """A number, or its text when numbers come as strings."""
        if value is None or not self.style.numbers_as_strings:
            return value
        return str(value)

    def listing(self, key: str, rows: list[Any], extra: dict[str, Any]) -> Any:
        """A list, bare or wrapped (`{key: rows, **extra}`)."""
        style = self.style.list_style
        if style == "mixed":
            style = "bare" if self.answer % 2 else "wrapped"
        if style == "bare":
            return rows
        body: dict[str, Any] = {key: rows, **extra}
        if self.style.extra_fields:
            body["region"] = "eu-south-1"
            body["generatedBy"] = {"service": "tgzgateway", "build": 512}
        return body

    def device(self, machine: SimSterilizer, t: float) -> dict[str, Any]:
        """A `Device` as of `t`."""
        visible = machine.visible_cycles(t)
        active = sum(1 for alarm in machine.alarms if alarm.active_at(t))
        last = visible[-1].number if visible else None
        row: dict[str, Any] = {
            "serialNumber": machine.serial,
            "model": machine.model,
            "firmwareVersion": machine.firmware,
            "status": machine.status(t),
            "lastSeen": self.time(machine.last_seen(t), "lastSeen"),
            "cycleCounter": self.number(
                None if last is None else last + machine.counter_extra
            ),
            "lastCycleNumber": self.number(last),
            "activeAlarms": self.number(active),
            "alarmsChangedAt": self.time(
                machine.alarms_changed_at(t), "alarmsChangedAt"
            ),
        }
        if self.style.extra_fields:
            row["distroId"] = 4417
            row["location"] = {"practice": "Studio dentistico", "room": 2}
            row["tags"] = ["dental", machine.model.lower()]
        return row

    def cycle(self, cycle: SimCycle, t: float) -> dict[str, Any]:
        """A `Cycle` as of `t` (running: no end, no outcome, no hold values)."""
        done = cycle.finished_at(t)
        row: dict[str, Any] = {
            "cycleNumber": self.number(cycle.number),
            "program": {"code": cycle.program, "name": cycle.program_name},
            "startTime": self.time(cycle.start, "startTime"),
            "endTime": self.time(cycle.end, "endTime") if done else None,
            "result": cycle.result if done else "running",
            "errorCode": cycle.error_code if done else None,
            "errorText": cycle.error_text if done else None,
            "temperature": None,
            "pressure": None,
            "holdSeconds": self.number(cycle.hold_seconds) if done else None,
            "durationSeconds": (
                self.number(round((cycle.end or t) - cycle.start)) if done else None
            ),
            "operator": cycle.operator,
            "reportAvailable": done,
        }
        if done and cycle.temperature is not None:
            low, high = cycle.temperature
            row["temperature"] = {"min": self.number(low), "max": self.number(high)}
        if done and cycle.pressure is not None:
            low, high = cycle.pressure
            row["pressure"] = {"min": self.number(low), "max": self.number(high)}
        if self.style.extra_fields:
            row["lotNumber"] = f"L{cycle.number:06d}"
            row["chamber"] = {"volumeLitres": 18, "trays": 5}
        return row

    def alarm(self, alarm: SimAlarm, t: float) -> dict[str, Any]:
        """An `Alarm` as of `t`."""
        cleared = alarm.cleared_at if not alarm.active_at(t) else None
        row: dict[str, Any] = {
            "id": self.number(alarm.id),
            "code": alarm.code,
            "text": alarm.text,
            "severity": alarm.severity,
            "raisedAt": self.time(alarm.raised_at, "raisedAt"),
            "clearedAt": self.time(cleared, "clearedAt"),
            "cycleNumber": self.number(alarm.cycle_number),
        }
        if self.style.extra_fields:
            row["acknowledged"] = cleared is not None
        return row

    def report(self, machine: SimSterilizer, cycle: SimCycle) -> dict[str, Any]:
        """A finished cycle's `Report`: its fields, phases and samples."""
        end = cycle.end if cycle.end is not None else cycle.start
        body = self.cycle(cycle, end)
        knots = _curve(cycle, PROGRAMS.get(cycle.program), end - cycle.start)
        body["phases"] = [
            {
                "name": name,
                "start": self._phase_time(cycle.start, a, "start"),
                "end": self._phase_time(cycle.start, b, "end"),
                "temperature": self.number(round(max(ta, tb), 1)),
                "pressure": self.number(round(max(pa, pb), 3)),
            }
            for name, (a, ta, pa), (b, tb, pb) in knots
        ]
        body["samples"] = [
            {
                "t": self.number(offset),
                "temperature": self.number(temperature),
                "pressure": self.number(pressure),
            }
            for offset, temperature, pressure in _samples(knots, end - cycle.start)
        ]
        digest = hashlib.sha256(f"{self.seed}:{machine.serial}:{cycle.number}".encode())
        body["verificationCode"] = digest.hexdigest()[:12].upper()
        return body

    def _phase_time(self, start: float, offset: float, field: str) -> Any:
        if self.style.phase_offsets:
            return self.number(round(offset))
        return self.time(start + offset, field)


type Knot = tuple[float, float, float]
"""Seconds from the start, temperature °C, pressure bar."""
type Span = tuple[str, Knot, Knot]


def _curve(cycle: SimCycle, spec: ProgramSpec | None, duration: float) -> list[Span]:
    """The phases of a cycle as straight spans, cut where it ended."""
    target = (spec.temperature if spec else None) or 134.0
    pressure = spec.pressure if spec else 3.04
    share = max(duration, 1.0)
    if spec is not None and spec.code == "VACUUM":
        plan = [
            ("Vacuum", 0.25, 30.0, 0.08),
            ("Stabilisation", 0.15, 30.0, 0.08),
            ("Leak test", 0.45, 30.0, cycle.pressure[1] if cycle.pressure else 0.09),
            ("Venting", 0.15, 30.0, 1.0),
        ]
    else:
        plan = [
            ("Pre-vacuum 1", 0.07, 60.0, 0.1),
            ("Pre-vacuum 2", 0.07, 80.0, 0.1),
            ("Pre-vacuum 3", 0.07, 95.0, 0.1),
            ("Heating", 0.12, target, pressure),
            ("Sterilisation", 0.22, target + 0.8, pressure * 1.03),
            ("Exhaust", 0.08, 105.0, 1.0),
            ("Drying", 0.37, 80.0, 0.2),
        ]
    spans: list[Span] = []
    at, previous = 0.0, (0.0, 25.0, 1.0)
    planned = share if cycle.result == "passed" else share / 0.6
    for name, fraction, temperature, bar in plan:
        if at >= share:
            break
        end = min(share, at + fraction * planned)
        knot = (round(end, 1), temperature, bar)
        spans.append((name, (round(at, 1), previous[1], previous[2]), knot))
        at, previous = end, knot
    return spans


def _samples(spans: list[Span], duration: float) -> list[tuple[float, float, float]]:
    step = max(5.0, round(duration / 200.0))
    samples = []
    t = 0.0
    for _name, (a, ta, pa), (b, tb, pb) in spans:
        while t <= b:
            share = 0.0 if b <= a else (t - a) / (b - a)
            samples.append(
                (
                    round(t, 1),
                    round(ta + (tb - ta) * share, 2),
                    round(pa + (pb - pa) * share, 3),
                )
            )
            t += step
    return samples
