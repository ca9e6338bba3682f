"""What one refresh hands to Home Assistant: per-sterilizer views and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .fields import Attribute
from .models import Alarm, Cycle, EventKind, Sterilizer


@dataclass(frozen=True, slots=True)
class TecnoGazEvent:
    """One announcement: a cycle finished, or an alarm was raised or cleared."""

    serial: str
    kind: EventKind
    time: datetime
    """When it happened (the cycle's end, the alarm's raise or clear)."""
    cycle: Cycle | None = None
    alarm: Alarm | None = None

    def attributes(self) -> dict[str, Attribute]:
        """The event's attributes: the serial and the cycle or alarm fields."""
        fields = self.cycle.attributes() if self.cycle else {}
        if self.alarm is not None:
            fields = self.alarm.attributes()
        return {"serial": self.serial, **fields}


@dataclass(frozen=True, slots=True)
class SterilizerView:
    """Everything the entities of one sterilizer show."""

    serial: str
    sterilizer: Sterilizer
    """The latest listing (merged: a stale answer never moves it back)."""
    latest_cycle: Cycle | None
    """The newest cycle; it may still be running."""
    last_finished_cycle: Cycle | None
    """The newest finished cycle (its outcome is known)."""
    active_alarms: tuple[Alarm, ...]
    """Alarms and warnings not cleared, oldest first."""
    events: tuple[TecnoGazEvent, ...] = ()
    """What this refresh announces for this sterilizer, in order."""
    error: str | None = None
    """Why the last read of this sterilizer failed (its data may be old)."""
    not_found_call: str | None = None
    """The call that answered 404 for this sterilizer (a contract mismatch)."""

    @property
    def fatal_alarm_active(self) -> bool:
        """Whether an `alarm` (not a warning) is active."""
        return any(alarm.fatal for alarm in self.active_alarms)

    @property
    def last_cycle_unsuccessful(self) -> bool:
        """Whether the newest finished cycle failed or was aborted."""
        cycle = self.last_finished_cycle
        return cycle is not None and cycle.unsuccessful

    @property
    def cycle_alarm(self) -> bool:
        """The "Cycle alarm" problem: a failed or aborted cycle, or a fatal alarm."""
        return self.last_cycle_unsuccessful or self.fatal_alarm_active

    @property
    def ok(self) -> bool:
        """Whether the last read of this sterilizer succeeded."""
        return self.error is None


@dataclass(slots=True)
class TecnoGazRefresh:
    """What one refresh did and what the entities need."""

    sterilizers: dict[str, SterilizerView] = field(default_factory=dict)
    """Every sterilizer of the contract, by serial."""
    events: list[TecnoGazEvent] = field(default_factory=list)
    """Every announcement of this refresh, oldest first."""
    added: set[str] = field(default_factory=set)
    removed: dict[str, Sterilizer] = field(default_factory=dict)
    """Sterilizers that left the contract, with their last listing."""
    failed: dict[str, str] = field(default_factory=dict)
    """Serial -> why reading it failed in this refresh."""
    not_found: dict[str, str] = field(default_factory=dict)
    """Call name -> message, for every call that answered 404."""
    listing_ok: bool = True
    """Whether the `/devices` listing was read; if not, views are old."""
    calls: int = 0
    """HTTP calls this refresh made."""

    @property
    def contract_mismatch(self) -> bool:
        """Whether a call answered 404 (a repair issue naming the call)."""
        return bool(self.not_found)
