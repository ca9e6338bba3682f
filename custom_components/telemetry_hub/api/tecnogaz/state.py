"""What the Tecno-Gaz sync engine knows, and its JSON form.

`TecnoGazState` holds, per sterilizer, the merged listing, the newest and
the newest finished cycle, the alarms still active (and those cleared
recently), how far cycles and alarms were read, and what the listing
promised that a detail call has not shown yet; plus one `EventLedger` for
every announcement and an outbox of events taken from the ledger but not
yet handed over (a refresh that aborted). It serialises to plain JSON
(`as_dict`/`from_dict`); whatever part cannot be read starts afresh, which
never replays history: the ledger is what decides what is news.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import logging
from typing import Any

from ..ledger import EventLedger
from ..parsing import as_int, as_list, as_mapping
from . import fields as read
from .fields import iso
from .models import Alarm, Cycle, EventKind, Sterilizer
from .view import TecnoGazEvent

_LOGGER = logging.getLogger(__name__)

STATE_VERSION = 1
MAX_TRIES = 5
"""Detail reads that may fail to show what a listing promised, then we stop."""
MAX_ALARMS = 500
"""Alarms kept per sterilizer (active ones and those cleared recently)."""


@dataclass(slots=True)
class Promise[T: (int, datetime)]:
    """Something a listing announced that a detail call must still show.

    `wanted` is the newest value promised and not yet seen. A detail read
    that does not show it leaves it wanted (fetched again next refresh);
    after MAX_TRIES such reads that value is given up, so a service whose
    listing and details disagree costs a few calls per value it announces,
    not one per refresh. Any other value is promised afresh.
    """

    wanted: T | None = None
    tries: int = 0
    given_up: T | None = None

    @property
    def due(self) -> bool:
        """Whether a detail read is owed."""
        return self.wanted is not None

    def offer(self, value: T | None, have: T | None) -> None:
        """A listing promises `value`; `have` is what details showed so far."""
        if value is None or (have is not None and value <= have):
            return
        if value == self.given_up:
            return
        if self.wanted is None or value > self.wanted:
            self.wanted = value

    def settle(self, have: T | None) -> bool:
        """A detail read showed up to `have`; True when the promise is given up."""
        if self.wanted is None:
            return False
        if have is not None and have >= self.wanted:
            self.wanted, self.tries = None, 0
            return False
        self.tries += 1
        if self.tries < MAX_TRIES:
            return False
        self.given_up, self.wanted, self.tries = self.wanted, None, 0
        return True

    def dump(self, write: Callable[[T], Any]) -> list[Any]:
        """Serialise with `write` for the values."""
        return [
            None if self.wanted is None else write(self.wanted),
            self.tries,
            None if self.given_up is None else write(self.given_up),
        ]

    @classmethod
    def load(cls, raw: Any, parse: Callable[[Any], T | None]) -> Promise[T]:
        """Read `dump` output; anything unreadable is no promise."""
        items = as_list(raw)
        if len(items) != 3:  # noqa: PLR2004
            return cls()
        tries = as_int(items[1])
        return cls(parse(items[0]), max(0, min(tries or 0, MAX_TRIES)), parse(items[2]))


@dataclass(slots=True)
class SterilizerState:
    """Everything known about one sterilizer."""

    listing: Sterilizer
    latest_cycle: Cycle | None = None
    last_finished: Cycle | None = None
    open_cycles: dict[int, datetime | None] = field(default_factory=dict)
    """Cycles seen running and not yet seen finished -> their start."""
    cycles_seen: int | None = None
    """The highest cycle number a cycles call has shown."""
    alarms: dict[str, Alarm] = field(default_factory=dict)
    alarms_read: datetime | None = None
    """The newest alarm change (raise or clear) an alarms call has shown."""
    cycles_ready: bool = False
    """Whether the first sight of the cycles (history, not news) is done."""
    alarms_ready: bool = False
    new_cycle: Promise[int] = field(default_factory=Promise)
    """A cycle number the listing announced."""
    finish: Promise[int] = field(default_factory=Promise)
    """The newest open cycle, after the listing stopped saying `running`."""
    alarm_change: Promise[datetime] = field(default_factory=Promise)
    """An `alarmsChangedAt` newer than what alarms calls showed."""
    missing: int = 0
    """Consecutive listings without this sterilizer."""
    refused: int = 0
    """Consecutive calls answered 403."""
    alarms_with_cycles: bool = False
    """Read alarms with this refresh's cycles: the listing has no
    `alarmsChangedAt` to tell (not stored)."""
    error: str | None = None
    """Why the last read for this sterilizer failed (not stored)."""
    not_found_call: str | None = None
    """The call that answered 404 in the last refresh (not stored)."""

    @property
    def serial(self) -> str:
        """The sterilizer's serial number."""
        return self.listing.serial

    def active_alarms(self) -> list[Alarm]:
        """The alarms not cleared, oldest first."""
        active = [alarm for alarm in self.alarms.values() if alarm.active]
        return sorted(active, key=_alarm_order)

    def newest_open(self) -> int | None:
        """The number of the newest cycle still open, if any."""
        return max(self.open_cycles, default=None)

    def absorb_cycles(self, cycles: Iterable[Cycle]) -> None:
        """Merge cycles: a finished cycle never goes back to running."""
        seen = self.cycles_seen
        for cycle in cycles:
            number = cycle.number
            if cycle.finished:
                self.open_cycles.pop(number, None)
                done = self.last_finished
                if done is None or number >= done.number:
                    self.last_finished = cycle
            elif seen is None or number > seen or number in self.open_cycles:
                self.open_cycles[number] = cycle.start
            latest = self.latest_cycle
            if (
                latest is None
                or number > latest.number
                or (number == latest.number and (cycle.finished or not latest.finished))
            ):
                self.latest_cycle = cycle
            self.cycles_seen = max(number, self.cycles_seen or 0)

    def absorb_alarms(self, alarms: Iterable[Alarm]) -> None:
        """Merge alarms: a cleared alarm never becomes active again."""
        for alarm in alarms:
            old = self.alarms.get(alarm.id)
            merged = alarm
            if old is not None and old.cleared_at is not None and alarm.active:
                merged = replace(alarm, cleared_at=old.cleared_at)
            self.alarms[alarm.id] = merged
            for when in (merged.raised_at, merged.cleared_at):
                if when is not None and (
                    self.alarms_read is None or when > self.alarms_read
                ):
                    self.alarms_read = when

    def prune(self, horizon: datetime) -> None:
        """Forget cleared alarms and open cycles older than `horizon`.

        Active alarms are always kept; of the cleared ones at most the
        newest MAX_ALARMS.
        """
        active = [alarm for alarm in self.alarms.values() if alarm.active]
        cleared = sorted(
            (
                alarm
                for alarm in self.alarms.values()
                if alarm.cleared_at is not None and alarm.cleared_at >= horizon
            ),
            key=lambda alarm: (alarm.cleared_at, alarm.id),
        )
        kept = cleared[max(0, len(cleared) - max(0, MAX_ALARMS - len(active))) :]
        self.alarms = {
            alarm.id: alarm for alarm in sorted([*active, *kept], key=_alarm_order)
        }
        self.open_cycles = {
            number: start
            for number, start in self.open_cycles.items()
            if start is None or start >= horizon
        }


def _alarm_order(alarm: Alarm) -> tuple[bool, datetime | None, str]:
    return (alarm.raised_at is None, alarm.raised_at, alarm.id)


@dataclass(slots=True)
class TecnoGazState:
    """What the engine knows; JSON-serialisable with `as_dict`."""

    ledger: EventLedger
    sterilizers: dict[str, SterilizerState] = field(default_factory=dict)
    refused: dict[str, float] = field(default_factory=dict)
    """Serials removed after repeated 403s -> when (UNIX s); not re-added
    while they still refuse."""
    outbox: list[TecnoGazEvent] = field(default_factory=list)
    """Events taken from the ledger that no refresh has handed over yet."""

    @classmethod
    def new(cls, catch_up: timedelta) -> TecnoGazState:
        """An empty state whose ledger replays up to `catch_up`."""
        return cls(ledger=EventLedger(window=catch_up))

    def as_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types."""
        return {
            "version": STATE_VERSION,
            "ledger": self.ledger.as_dict(),
            "sterilizers": {
                serial: _sterilizer_to_dict(state)
                for serial, state in self.sterilizers.items()
            },
            "refused": dict(self.refused),
            "outbox": [_event_to_dict(event) for event in self.outbox],
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, *, catch_up: timedelta
    ) -> TecnoGazState:
        """Rebuild from `as_dict` output; unreadable parts start afresh."""
        raw = as_mapping(data)
        if raw.get("version") != STATE_VERSION:
            if raw:
                _LOGGER.warning("Stored Tecno-Gaz state is unreadable; starting afresh")
            return cls.new(catch_up)
        state = cls(
            ledger=EventLedger.from_dict(as_mapping(raw.get("ledger")), window=catch_up)
        )
        for serial, stored in as_mapping(raw.get("sterilizers")).items():
            sterilizer = _sterilizer_from_dict(stored)
            if sterilizer is not None and sterilizer.serial == serial:
                state.sterilizers[serial] = sterilizer
        for serial, when in as_mapping(raw.get("refused")).items():
            if isinstance(when, int | float) and not isinstance(when, bool):
                state.refused[str(serial)] = float(when)
        state.outbox = [
            event
            for item in as_list(raw.get("outbox"))
            if (event := _event_from_dict(item)) is not None
        ]
        return state


def _int(value: Any) -> int | None:
    return read.count(value)


def _cycle_json(cycle: Cycle | None) -> dict[str, Any] | None:
    return None if cycle is None else cycle.to_json()


def _sterilizer_to_dict(state: SterilizerState) -> dict[str, Any]:
    return {
        "listing": state.listing.to_json(),
        "latest_cycle": _cycle_json(state.latest_cycle),
        "last_finished": _cycle_json(state.last_finished),
        "open_cycles": {str(n): iso(start) for n, start in state.open_cycles.items()},
        "cycles_seen": state.cycles_seen,
        "alarms": [alarm.to_json() for alarm in state.alarms.values()],
        "alarms_read": iso(state.alarms_read),
        "cycles_ready": state.cycles_ready,
        "alarms_ready": state.alarms_ready,
        "new_cycle": state.new_cycle.dump(int),
        "finish": state.finish.dump(int),
        "alarm_change": state.alarm_change.dump(iso),
        "missing": state.missing,
        "refused": state.refused,
    }


def _sterilizer_from_dict(raw: Any) -> SterilizerState | None:
    data = as_mapping(raw)
    listing = Sterilizer.from_json(data.get("listing"))
    if listing is None:
        return None
    state = SterilizerState(
        listing,
        latest_cycle=Cycle.from_json(data.get("latest_cycle")),
        last_finished=Cycle.from_json(data.get("last_finished")),
        cycles_seen=_int(data.get("cycles_seen")),
        alarms_read=read.moment(data.get("alarms_read")),
        cycles_ready=data.get("cycles_ready") is True,
        alarms_ready=data.get("alarms_ready") is True,
        new_cycle=Promise.load(data.get("new_cycle"), _int),
        finish=Promise.load(data.get("finish"), _int),
        alarm_change=Promise.load(data.get("alarm_change"), read.moment),
        missing=_int(data.get("missing")) or 0,
        refused=_int(data.get("refused")) or 0,
    )
    for number, start in as_mapping(data.get("open_cycles")).items():
        if (key := _int(number)) is not None:
            state.open_cycles[key] = read.moment(start)
    for row in as_list(data.get("alarms")):
        if (alarm := Alarm.from_json(row)) is not None:
            state.alarms[alarm.id] = alarm
    return state


def _event_to_dict(event: TecnoGazEvent) -> dict[str, Any]:
    return {
        "serial": event.serial,
        "kind": event.kind.value,
        "time": iso(event.time),
        "cycle": _cycle_json(event.cycle),
        "alarm": None if event.alarm is None else event.alarm.to_json(),
    }


def _event_from_dict(raw: Any) -> TecnoGazEvent | None:
    data = as_mapping(raw)
    serial = read.text(data.get("serial"))
    when = read.moment(data.get("time"))
    try:
        kind = EventKind(str(data.get("kind")))
    except ValueError:
        return None
    cycle = Cycle.from_json(data.get("cycle"))
    alarm = Alarm.from_json(data.get("alarm"))
    if serial is None or when is None or (cycle is None and alarm is None):
        return None
    return TecnoGazEvent(serial, kind, when, cycle=cycle, alarm=alarm)
