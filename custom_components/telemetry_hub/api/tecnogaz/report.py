"""The report of one cycle: its fields, phases, samples and verification code.

A practice must keep every cycle's record (EN 13060 practice); Home
Assistant's `get_cycle_report` action hands `CycleReport.as_dict()` to
automations that file it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from ..parsing import as_float, as_list, as_mapping
from . import fields as read
from .fields import (
    Attribute,
    Fields as F,  # noqa: N817 - one letter keeps rows readable
    iso,
    safe_attributes,
)
from .models import Cycle

MAX_PHASES = 100
MAX_SAMPLES = 20_000
"""More rows than this are cut (a day of one-second samples is 86 400)."""


def _reading(value: Any) -> float | None:
    """A phase value: a number, or the `max` of a `{min, max}` object."""
    if isinstance(value, Mapping):
        value = value.get(F.MAX)
    return read.measure(value)


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase of a cycle: pre-vacuum pulse, heating, sterilisation, ..."""

    name: str | None
    start: datetime | None
    end: datetime | None
    temperature: float | None
    """°C."""
    pressure: float | None
    """bar (absolute)."""

    @classmethod
    def from_json(cls, row: Any, origin: datetime | None) -> Self | None:
        """Parse a phase; times may be seconds from the cycle's start."""
        data = as_mapping(row)
        if not data:
            return None
        return cls(
            name=read.text(data.get(F.NAME)),
            start=read.offset_moment(data.get(F.START), origin),
            end=read.offset_moment(data.get(F.END), origin),
            temperature=_reading(data.get(F.TEMPERATURE)),
            pressure=_reading(data.get(F.PRESSURE)),
        )

    def as_dict(self) -> dict[str, Attribute]:
        """JSON-safe form."""
        return safe_attributes(
            {
                "name": self.name,
                "start": iso(self.start),
                "end": iso(self.end),
                "temperature": self.temperature,
                "pressure": self.pressure,
            }
        )


@dataclass(frozen=True, slots=True)
class Sample:
    """One recorded point: seconds from the start, temperature, pressure."""

    t: float
    temperature: float | None
    pressure: float | None

    @classmethod
    def from_json(cls, row: Any, origin: datetime | None) -> Self | None:
        """Parse a sample; a sample without a time is skipped."""
        data = as_mapping(row)
        raw = data.get(F.SAMPLE_TIME)
        offset = as_float(raw)
        if offset is None or abs(offset) >= read.OFFSET_BELOW:
            when = read.moment(raw)
            if when is None or origin is None:
                return None
            offset = (when - origin).total_seconds()
        return cls(
            t=offset,
            temperature=read.measure(data.get(F.TEMPERATURE)),
            pressure=read.measure(data.get(F.PRESSURE)),
        )


@dataclass(frozen=True, slots=True)
class CycleReport:
    """The full record of one cycle."""

    cycle: Cycle
    phases: tuple[Phase, ...] = ()
    samples: tuple[Sample, ...] = ()
    verification_code: str | None = None

    @classmethod
    def from_json(cls, body: Any, *, number: int) -> Self | None:
        """Parse a `Report`: the cycle's fields plus phases and samples.

        The cycle's fields may also come nested (`{"cycle": {...}}`) and the
        whole report wrapped (`{"report": {...}}`); a missing cycle number is
        the one asked for. None when the body is not an object.
        """
        data = as_mapping(body)
        if isinstance(data.get(F.REPORT), Mapping):
            data = data[F.REPORT]
        if not data:
            return None
        nested = as_mapping(data.get(F.CYCLE))
        cycle = Cycle.from_json({**data, **nested}, number=number)
        if cycle is None:  # pragma: no cover - `number` always fills in
            return None
        phases = [
            phase
            for row in as_list(data.get(F.PHASES))[:MAX_PHASES]
            if (phase := Phase.from_json(row, cycle.start)) is not None
        ]
        samples = [
            sample
            for row in as_list(data.get(F.SAMPLES))[:MAX_SAMPLES]
            if (sample := Sample.from_json(row, cycle.start)) is not None
        ]
        return cls(
            cycle=cycle,
            phases=tuple(phases),
            samples=tuple(sorted(samples, key=lambda sample: sample.t)),
            verification_code=read.text(data.get(F.VERIFICATION_CODE)),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form, for the `get_cycle_report` action's response."""
        return {
            **self.cycle.attributes(),
            "verification_code": self.verification_code,
            "phases": [phase.as_dict() for phase in self.phases],
            "samples": [
                safe_attributes(
                    {
                        "t": sample.t,
                        "temperature": sample.temperature,
                        "pressure": sample.pressure,
                    }
                )
                for sample in self.samples
            ],
        }
