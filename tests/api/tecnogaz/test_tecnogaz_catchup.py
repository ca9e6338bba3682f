"""Exactly once across downtime, restarts and stale (CDN) answers.

The machines here run on their own (the simulator's generator: working
days of tests and cycles, failures, alarms, warnings), and the simulator's
own record is the ground truth every announcement is checked against.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
import json

import pytest

from custom_components.telemetry_hub.api.tecnogaz import (
    EventKind,
    TecnoGazClient,
    TecnoGazEvent,
    TecnoGazState,
    TecnoGazSync,
)
from simulators.tecnogaz import ManualClock, TecnoGazSimulator
from tests.api.tecnogaz.conftest import at

DAY = 86400.0
# Monday 2025-11-24 07:00 UTC: a working day starts within the hour.
MONDAY = 1_763_967_600.0

type Key = tuple[str, str]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
def sim(clock: ManualClock) -> TecnoGazSimulator:
    """Three busy sterilizers that run on their own."""
    simulator = TecnoGazSimulator(sterilizers=3, clock=clock, seed=7)
    simulator.rates = (0.15, 0.08, 0.2)
    for serial in list(simulator.serials):
        simulator.delete_sterilizer(serial)
    for _ in range(3):
        simulator.add_sterilizer()
    return simulator


def event_key(event: TecnoGazEvent) -> Key:
    if event.cycle is not None and event.kind in (
        EventKind.CYCLE_COMPLETED,
        EventKind.CYCLE_FAILED,
        EventKind.CYCLE_ABORTED,
    ):
        return event.serial, f"cycle:{event.cycle.number}"
    assert event.alarm is not None
    verb = "raised" if event.kind is EventKind.ALARM_RAISED else "cleared"
    return event.serial, f"{event.alarm.id}:{verb}"


def truth(
    sim: TecnoGazSimulator, after: float, until: float | None = None
) -> list[Key]:
    """Every finish, raise and clear in (after, until], oldest first."""
    until = sim.now() if until is None else until
    happened: list[tuple[float, Key]] = []
    for serial in sim.serials:
        happened.extend(
            (c.end or 0, (serial, f"cycle:{c.number}"))
            for c in sim.finished_cycles(serial)
            if after < (c.end or 0) <= until
        )
        happened.extend(
            (when, (serial, f"{alarm_id}:{verb}"))
            for alarm_id, verb, when in sim.alarm_changes(serial)
            if after < when <= until
        )
    return [key for _when, key in sorted(happened)]


def assert_once_in_order(events: list[TecnoGazEvent], expected: list[Key]) -> None:
    keys = [event_key(event) for event in events]
    duplicates = [key for key, count in Counter(keys).items() if count > 1]
    assert duplicates == []
    assert sorted(keys) == sorted(expected)
    times = [event.time for event in events]
    assert times == sorted(times)


async def test_a_day_down_is_announced_once_in_order(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    first = await sync.refresh(at(clock))
    assert first.events == []
    start = clock()
    clock.advance(DAY)
    result = await sync.refresh(at(clock))
    expected = truth(sim, start)
    assert len(expected) > 20
    assert_once_in_order(result.events, expected)
    kinds = {event.kind for event in result.events}
    assert EventKind.CYCLE_COMPLETED in kinds
    assert EventKind.ALARM_RAISED in kinds
    assert (await sync.refresh(at(clock))).events == []


async def test_a_restart_after_a_day_down(
    sync: TecnoGazSync,
    sim: TecnoGazSimulator,
    clock: ManualClock,
    make_client: Callable[..., TecnoGazClient],
) -> None:
    await sync.refresh(at(clock))
    seen: list[TecnoGazEvent] = []
    start = clock()
    for _ in range(12):  # six hours up
        clock.advance(1800)
        seen += (await sync.refresh(at(clock))).events
    stored = json.dumps(sync.state.as_dict())
    clock.advance(DAY)  # down for a day
    restarted = TecnoGazSync(
        make_client(),
        TecnoGazState.from_dict(json.loads(stored), catch_up=sync.catch_up),
    )
    seen += (await restarted.refresh(at(clock))).events
    assert_once_in_order(seen, truth(sim, start))


async def test_older_than_the_catch_up_window_is_not_announced(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    await sync.refresh(at(clock))
    clock.advance(10 * DAY)
    result = await sync.refresh(at(clock))
    window_start = clock() - 7 * DAY
    assert_once_in_order(result.events, truth(sim, window_start))
    assert all(event.time.timestamp() >= window_start for event in result.events)
    assert len(truth(sim, clock() - 10 * DAY)) > len(result.events)


async def test_a_shorter_catch_up_window(
    client: TecnoGazClient, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sync = TecnoGazSync(client, catch_up=timedelta(days=1))
    await sync.refresh(at(clock))
    clock.advance(3 * DAY)
    result = await sync.refresh(at(clock))
    assert_once_in_order(result.events, truth(sim, clock() - DAY))


async def test_stale_answers_never_duplicate_drop_or_go_back(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    await sync.refresh(at(clock))
    start = clock()
    sim.stale_rate = 0.35
    sim.stale_age = (30.0, 600.0)
    sim.cache_ttl = 90.0
    seen: list[TecnoGazEvent] = []
    previous = sync.views()
    cleared: set[str] = set()
    for _ in range(int(DAY / 300)):
        clock.advance(300)
        result = await sync.refresh(at(clock))
        seen += result.events
        for serial, view in result.sterilizers.items():
            before = previous[serial]
            for field in ("last_seen", "cycle_counter", "last_cycle_number"):
                old = getattr(before.sterilizer, field)
                new = getattr(view.sterilizer, field)
                assert old is None or new >= old, field
            for cycle_field in ("latest_cycle", "last_finished_cycle"):
                old_cycle = getattr(before, cycle_field)
                new_cycle = getattr(view, cycle_field)
                assert old_cycle is None or new_cycle.number >= old_cycle.number
            assert not cleared & {alarm.id for alarm in view.active_alarms}
        cleared |= {
            e.alarm.id for e in result.events if e.kind is EventKind.ALARM_CLEARED
        }  # type: ignore[union-attr]
        previous = result.sterilizers
    assert any(record.params for record in sim.requests)
    # once the answers are fresh again, nothing is missing
    sim.stale_rate = 0.0
    sim.cache_ttl = 0.0
    clock.advance(60)
    seen += (await sync.refresh(at(clock))).events
    keys = [event_key(event) for event in seen]
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    assert sorted(keys) == sorted(truth(sim, start))


async def test_a_stale_listing_and_stale_details(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    await sync.refresh(at(clock))
    start = clock()
    clock.advance(4 * 3600)
    fresh = await sync.refresh(at(clock))
    assert fresh.events
    # an older listing: nothing moves back, nothing is read
    sim.clear_requests()
    sim.inject("stale", call="devices", age=3 * 3600)
    clock.advance(60)
    stale = await sync.refresh(at(clock))
    assert stale.events == []
    for serial, view in stale.sterilizers.items():
        assert view.sterilizer == fresh.sterilizers[serial].sterilizer
    # details older than the listing: promised changes are read again later
    clock.advance(2 * 3600)
    sim.inject("stale", call="cycles", count=3, age=2 * 3600)
    sim.inject("stale", call="alarms", count=3, age=2 * 3600)
    late = await sync.refresh(at(clock))
    assert sim.request_count("cycles") >= 1
    sim.clear_faults()
    clock.advance(60)
    later = await sync.refresh(at(clock))
    assert late.events == []  # the details were older than the listing
    assert later.events  # ... and were read again
    events = fresh.events + late.events + later.events
    assert_once_in_order(sorted(events, key=lambda e: e.time), truth(sim, start))
