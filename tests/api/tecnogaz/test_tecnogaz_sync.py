"""The Tecno-Gaz sync engine: what each refresh calls and announces."""

from __future__ import annotations

from collections.abc import Callable
import json

from custom_components.telemetry_hub.api.tecnogaz import (
    CycleResult,
    EventKind,
    TecnoGazClient,
    TecnoGazRefresh,
    TecnoGazState,
    TecnoGazSync,
)
from simulators.tecnogaz import ManualClock, TecnoGazSimulator
from tests.api.tecnogaz.conftest import at

AURA, ONYX = "PXZPB5899", "OWZXY8927"


async def refresh(sync: TecnoGazSync, clock: ManualClock) -> TecnoGazRefresh:
    return await sync.refresh(at(clock))


def announced(result: TecnoGazRefresh) -> list[tuple[str, str, object]]:
    return [
        (
            event.serial,
            event.kind.value,
            event.cycle.number if event.cycle else event.attributes()["alarm_id"],
        )
        for event in result.events
    ]


async def test_first_sight_reads_the_newest_cycle_and_alarms_announces_nothing(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    result = await refresh(sync, clock)

    assert result.added == {AURA, ONYX}
    assert result.events == []
    assert result.calls == 5
    assert sim.calls() == ["devices", "cycles", "alarms", "cycles", "alarms"]
    view = result.sterilizers[AURA]
    truth = sim.machine(AURA).cycles[-1]
    assert view.latest_cycle is not None
    assert view.latest_cycle.number == truth.number
    assert view.last_finished_cycle == view.latest_cycle
    assert view.active_alarms == ()
    assert view.sterilizer.model == "AURA"
    assert view.ok
    assert not view.cycle_alarm or view.last_cycle_unsuccessful
    assert result.listing_ok
    assert not result.contract_mismatch
    assert sync.views()[AURA].latest_cycle == view.latest_cycle


async def test_first_sight_finds_alarms_active_for_longer_than_the_window(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    old = sim.raise_alarm(AURA, "W03", "Low door gasket pressure", "warning")
    clock.advance(10 * 86400)
    result = await refresh(sync, clock)
    assert result.events == []
    assert [a.id for a in result.sterilizers[AURA].active_alarms] == [str(old.id)]
    assert sim.calls().count("alarms") == 3  # one more, for the old active one
    clock.advance(60)
    sim.clear_alarm(AURA, old.id)
    clock.advance(60)
    result = await refresh(sync, clock)
    assert announced(result) == [(AURA, "alarm_cleared", str(old.id))]
    assert result.sterilizers[AURA].active_alarms == ()


async def test_an_alarm_change_older_than_the_window_costs_no_more_calls(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    # The listing's alarmsChangedAt points before the catch-up window: history,
    # not a change the alarms calls still owe.
    old = sim.raise_alarm(AURA, "W03", "Low door gasket pressure", "warning")
    clock.advance(60)
    sim.clear_alarm(AURA, old.id)
    clock.advance(10 * 86400)
    first = await refresh(sync, clock)
    assert first.events == []
    sim.clear_requests()
    for _ in range(4):
        clock.advance(60)
        assert (await refresh(sync, clock)).calls == 1
    assert sim.calls() == ["devices"] * 4


async def test_nothing_new_costs_one_call(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    for _ in range(3):
        clock.advance(3600)
        result = await refresh(primed, clock)
        assert result.calls == 1
        assert result.events == []
    assert sim.calls() == ["devices"] * 3


async def test_a_finished_cycle_is_announced_once(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    cycle = sim.run_cycle(AURA, "B121", "passed", duration=3600)
    clock.advance(30)
    result = await refresh(primed, clock)

    assert sim.calls() == ["devices", "cycles"]
    assert announced(result) == [(AURA, "cycle_completed", cycle.number)]
    event = result.events[0]
    assert result.sterilizers[AURA].events == (event,)
    assert result.sterilizers[ONYX].events == ()
    attributes = event.attributes()
    json.dumps(attributes, allow_nan=False)
    assert attributes["serial"] == AURA
    assert attributes["program"] == "B121"
    assert attributes["result"] == "passed"
    assert event.time.timestamp() == cycle.end
    view = result.sterilizers[AURA]
    assert view.latest_cycle == view.last_finished_cycle == event.cycle
    clock.advance(60)
    again = await refresh(primed, clock)
    assert again.events == []
    assert again.calls == 1


async def test_a_running_cycle_costs_no_call_until_it_ends(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    before = primed.views()[AURA].last_finished_cycle
    started = sim.start_cycle(AURA, "PRION")
    clock.advance(60)
    result = await refresh(primed, clock)
    assert result.calls == 2
    assert result.events == []  # running cycles are not news
    view = result.sterilizers[AURA]
    assert view.latest_cycle is not None
    assert view.latest_cycle.result is CycleResult.RUNNING
    assert view.last_finished_cycle == before
    for _ in range(5):
        clock.advance(300)
        assert (await refresh(primed, clock)).calls == 1
    sim.finish_cycle(AURA, "failed", error_code="E05", error_text="Low temperature")
    clock.advance(60)
    result = await refresh(primed, clock)
    assert result.calls == 2
    assert announced(result) == [(AURA, "cycle_failed", started.number)]
    assert result.events[0].attributes()["error_code"] == "E05"
    view = result.sterilizers[AURA]
    assert view.last_cycle_unsuccessful
    assert view.cycle_alarm
    assert not view.fatal_alarm_active


async def test_aborted_and_back_to_back_cycles_in_order(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    first = sim.run_cycle(ONYX, "BD", "aborted", duration=600, error_code="A02")
    second = sim.run_cycle(ONYX, "HELIX", "passed", duration=600)
    third = sim.start_cycle(ONYX, "VACUUM")
    clock.advance(60)
    result = await refresh(primed, clock)
    assert announced(result) == [
        (ONYX, "cycle_aborted", first.number),
        (ONYX, "cycle_completed", second.number),
    ]
    view = result.sterilizers[ONYX]
    assert view.latest_cycle is not None
    assert view.latest_cycle.number == third.number
    assert view.last_finished_cycle == result.events[1].cycle
    assert not view.cycle_alarm


async def test_alarms_raised_and_cleared(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    warning = sim.raise_alarm(AURA, "W01", "Clean water tank empty", "warning")
    clock.advance(60)
    result = await refresh(primed, clock)
    assert sim.calls() == ["devices", "alarms"]
    assert announced(result) == [(AURA, "alarm_raised", str(warning.id))]
    view = result.sterilizers[AURA]
    assert [a.code for a in view.active_alarms] == ["W01"]
    assert not view.fatal_alarm_active
    assert view.cycle_alarm == view.last_cycle_unsuccessful  # a warning: no
    # between two polls: one cleared and another raised (the count stays 1)
    sim.clear_alarm(AURA, warning.id)
    clock.advance(30)
    other = sim.raise_alarm(AURA, "W02", "Waste water tank full", "warning")
    clock.advance(30)
    result = await refresh(primed, clock)
    assert announced(result) == [
        (AURA, "alarm_cleared", str(warning.id)),
        (AURA, "alarm_raised", str(other.id)),
    ]
    assert [a.code for a in result.sterilizers[AURA].active_alarms] == ["W02"]
    clock.advance(60)
    assert (await refresh(primed, clock)).events == []


async def test_a_fatal_alarm_stops_the_running_cycle(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    cycle = sim.start_cycle(AURA)
    clock.advance(600)
    alarm = sim.raise_alarm(AURA, "E12", "Vacuum pump overload")
    clock.advance(60)
    result = await refresh(primed, clock)
    assert announced(result) == [
        (AURA, "cycle_failed", cycle.number),
        (AURA, "alarm_raised", str(alarm.id)),
    ]
    assert result.events[1].attributes()["cycle_number"] == cycle.number
    view = result.sterilizers[AURA]
    assert view.fatal_alarm_active
    assert view.cycle_alarm
    sim.clear_alarm(AURA, alarm.id)
    sim.run_cycle(AURA)
    result = await refresh(primed, clock)
    assert [e.kind for e in result.events] == [
        EventKind.ALARM_CLEARED,
        EventKind.CYCLE_COMPLETED,
    ]
    assert not result.sterilizers[AURA].cycle_alarm


async def test_restart_announces_what_happened_meanwhile_once(
    primed: TecnoGazSync,
    sim: TecnoGazSimulator,
    clock: ManualClock,
    make_client: Callable[..., TecnoGazClient],
) -> None:
    done = sim.run_cycle(AURA)
    stored = json.loads(json.dumps(primed.state.as_dict()))
    announced_before = announced(await refresh(primed, clock))
    assert announced_before == [(AURA, "cycle_completed", done.number)]
    stored = json.loads(json.dumps(primed.state.as_dict()))
    # Home Assistant stops; things happen; it starts again with the store
    later = sim.run_cycle(ONYX, "B134U", "failed", error_code="E02")
    alarm = sim.raise_alarm(ONYX, "W03", "Low door gasket pressure", "warning")
    clock.advance(3600)
    restarted = TecnoGazSync(
        make_client(), TecnoGazState.from_dict(stored, catch_up=primed.catch_up)
    )
    result = await refresh(restarted, clock)
    assert result.added == set()
    assert announced(result) == [
        (ONYX, "cycle_failed", later.number),
        (ONYX, "alarm_raised", str(alarm.id)),
    ]
    assert (await refresh(restarted, clock)).events == []
