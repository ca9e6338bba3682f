"""Announcing finished cycles and alarm changes exactly once.

One `EventLedger` (in `TecnoGazState`) decides what is news: streams
`<serial>/cycles` and `<serial>/alarms`, keys the cycle number and
`<alarm id>:raised` / `<alarm id>:cleared`. What is taken from the ledger
goes straight into the state's outbox, so a refresh that aborts later
still hands it over next time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .models import Alarm, Cycle, EventKind
from .state import SterilizerState, TecnoGazState
from .view import TecnoGazEvent

LATE = timedelta(hours=1)
"""Slack for late answers and device clocks: a new stream's floor is this
far back, and windows overlap by it."""


def cycles_stream(serial: str) -> str:
    """The ledger stream of a sterilizer's cycles."""
    return f"{serial}/cycles"


def alarms_stream(serial: str) -> str:
    """The ledger stream of a sterilizer's alarms."""
    return f"{serial}/alarms"


def announce_cycles(
    known: TecnoGazState,
    state: SterilizerState,
    cycles: Iterable[Cycle],
    now: datetime,
    *,
    first_sight: bool = False,
) -> None:
    """Announce the finished cycles the ledger has not seen.

    At first sight (the ledger does not know the stream) they are
    history: recorded, not announced.
    """
    ledger, stream = known.ledger, cycles_stream(state.serial)
    finished = [cycle for cycle in cycles if cycle.finished]
    if first_sight and not ledger.knows(stream):
        ledger.start(stream, now - LATE)
        ledger.mark(
            stream, [(_cycle_key(c), _cycle_time(c, now)) for c in finished], now
        )
        return
    for cycle in ledger.take(
        stream,
        finished,
        key=_cycle_key,
        time=lambda c: _cycle_time(c, now),
        now=now,
    ):
        kind = cycle.event_kind
        assert kind is not None  # noqa: S101 - only finished cycles
        _emit(known, state.serial, kind, _cycle_time(cycle, now), cycle=cycle)


def announce_alarms(
    known: TecnoGazState,
    state: SterilizerState,
    alarms: Iterable[Alarm],
    now: datetime,
    *,
    first_sight: bool = False,
) -> None:
    """Announce the raises and clears the ledger has not seen."""
    ledger, stream = known.ledger, alarms_stream(state.serial)
    changes = {
        key: (when, kind, alarm)
        for key, when, kind, alarm in _alarm_changes(alarms, now)
    }
    if first_sight and not ledger.knows(stream):
        ledger.start(stream, now - LATE)
        ledger.mark(stream, [(key, c[0]) for key, c in changes.items()], now)
        return
    for key in ledger.take(
        stream, changes, key=str, time=lambda k: changes[k][0], now=now
    ):
        when, kind, alarm = changes[key]
        merged = state.alarms.get(alarm.id, alarm)
        _emit(known, state.serial, kind, when, alarm=merged)


def _emit(
    known: TecnoGazState,
    serial: str,
    kind: EventKind,
    when: datetime,
    *,
    cycle: Cycle | None = None,
    alarm: Alarm | None = None,
) -> None:
    """Queue an announcement; it survives an aborted refresh."""
    known.outbox.append(TecnoGazEvent(serial, kind, when, cycle=cycle, alarm=alarm))


def _cycle_key(cycle: Cycle) -> str:
    return str(cycle.number)


def _cycle_time(cycle: Cycle, now: datetime) -> datetime:
    """When a cycle is news: its end (or start, or when we saw it)."""
    return cycle.end or cycle.start or now


def plus_second(when: datetime | None) -> datetime | None:
    """Times compared with one second of tolerance (ms against s)."""
    return None if when is None else when + timedelta(seconds=1)


def _alarm_changes(
    alarms: Iterable[Alarm], now: datetime
) -> list[tuple[str, datetime, EventKind, Alarm]]:
    """Every raise and clear the alarms show: key, time, kind, alarm.

    An alarm without its raise time was raised when we first saw it.
    """
    changes = []
    for alarm in alarms:
        raised = alarm.raised_at or now
        changes.append((f"{alarm.id}:raised", raised, EventKind.ALARM_RAISED, alarm))
        if alarm.cleared_at is not None:
            changes.append(
                (
                    f"{alarm.id}:cleared",
                    alarm.cleared_at,
                    EventKind.ALARM_CLEARED,
                    alarm,
                )
            )
    return changes
