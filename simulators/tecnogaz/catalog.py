"""What the simulated sterilizers run and report: programs, outcomes, alarms.

Programs and codes follow what such machines record (see the project's
vendor notes, §2): B-class 134 °C and 121 °C programs, the prion program,
the daily Bowie-Dick, Helix and vacuum tests, and custom programs; failed
cycles carry error codes (door opened, vacuum time exceeded, low hold
temperature, air detected, leak), aborted ones the reason (user, power).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProgramSpec:
    """One program: its code, name, hold and typical duration."""

    code: str
    name: str
    temperature: float | None
    """Hold temperature, °C (None for the vacuum test)."""
    pressure: float
    """Hold pressure, bar absolute."""
    hold: int
    """Seconds of the sterilisation (or leak test) phase."""
    duration: tuple[int, int]
    """Total duration range, seconds."""
    test: bool = False


PROGRAMS: dict[str, ProgramSpec] = {
    spec.code: spec
    for spec in (
        ProgramSpec("B134", "134 °C wrapped", 134.0, 3.04, 240, (2400, 3300)),
        ProgramSpec("B134U", "134 °C unwrapped", 134.0, 3.04, 240, (1500, 2100)),
        ProgramSpec("PRION", "Prion 134 °C 18 min", 134.0, 3.04, 1080, (3300, 4200)),
        ProgramSpec("B121", "121 °C wrapped", 121.0, 2.05, 1200, (3300, 4200)),
        ProgramSpec(
            "BD", "Bowie & Dick test", 134.0, 3.04, 210, (1200, 1500), test=True
        ),
        ProgramSpec("HELIX", "Helix test", 134.0, 3.04, 210, (1200, 1500), test=True),
        ProgramSpec("VACUUM", "Vacuum test", None, 0.08, 600, (1000, 1200), test=True),
        ProgramSpec("C01", "Custom: handpieces", 134.0, 3.04, 300, (2100, 2700)),
    )
}
"""By code; C01 is a custom program (unknown to the client's enum)."""

DAILY_PROGRAMS = (("B134", 60), ("B134U", 20), ("B121", 8), ("PRION", 6), ("C01", 6))
"""Cycles of a working day, with weights."""


@dataclass(frozen=True)
class Failure:
    """A way a cycle ends badly."""

    result: str
    """`failed` or `aborted`."""
    code: str
    text: str
    fatal: bool = False
    """Whether an `alarm` (severity) is raised with it."""
    programs: tuple[str, ...] = ()
    """Programs it happens to (empty: any but the tests)."""


FAILURES = (
    Failure("failed", "E02", "Door opened during the cycle"),
    Failure("failed", "E03", "Vacuum time exceeded", fatal=True),
    Failure("failed", "E05", "Low temperature in the hold phase"),
    Failure("failed", "E06", "High pressure in the hold phase", fatal=True),
    Failure("failed", "E07", "Air detected", programs=("BD", "HELIX")),
    Failure("failed", "E08", "Leak: vacuum test failed", programs=("VACUUM",)),
    Failure("aborted", "A01", "Cancelled by the user"),
    Failure("aborted", "A02", "Power failure"),
)


@dataclass(frozen=True)
class AlarmSpec:
    """An alarm or warning a sterilizer raises."""

    code: str
    text: str
    severity: str
    clear_after: tuple[int, int]
    """Seconds until it is cleared (range)."""


WARNINGS = (
    AlarmSpec("W01", "Clean water tank empty", "warning", (600, 3600)),
    AlarmSpec("W02", "Waste water tank full", "warning", (600, 3600)),
    AlarmSpec("W03", "Low door gasket pressure", "warning", (1800, 14400)),
)
FATAL_CLEAR_AFTER = (300, 2400)
"""Seconds until a technician resets a fatal alarm."""
BLOCKING_WARNINGS = frozenset({"W01", "W02"})
"""Warnings that leave the machine `not_ready`."""

OPERATORS = ("Anna", "Marco", "Giulia", "Luca", "Sara", "Paolo")
MODELS = ("AURA", "ONYX")
FIRMWARE = {"AURA": "3.2.1", "ONYX": "2.8.4"}
EXAMPLE_SERIALS = ("PXZPB5899", "OWZXY8927")
"""The example serials of Tecno-Gaz's own environment: an AURA, an ONYX."""

HTML_PROXY = """<!DOCTYPE html>
<html><head><title>TGZ gateway</title></head>
<body><h1>Service temporarily unavailable</h1>
<p>The gateway could not reach the upstream service.</p></body></html>
"""
HTML_404 = """<!DOCTYPE html>
<html><head><title>404 Not Found</title></head>
<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p>
</body></html>
"""
