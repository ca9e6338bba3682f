"""The sync engine's persisted state: round trips, garbage, lost parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import logging
from typing import Any

import pytest

from custom_components.telemetry_hub.api.tecnogaz import (
    Alarm,
    Cycle,
    EventKind,
    Sterilizer,
    SterilizerState,
    TecnoGazEvent,
    TecnoGazState,
    TecnoGazSync,
)
from custom_components.telemetry_hub.api.tecnogaz.client import _time_param
from custom_components.telemetry_hub.api.tecnogaz.state import (
    MAX_ALARMS,
    MAX_TRIES,
    Promise,
)
from custom_components.telemetry_hub.api.tecnogaz.sync import DEFAULT_CATCH_UP
from simulators.tecnogaz import ManualClock, TecnoGazSimulator
from tests.api.tecnogaz.conftest import at

AURA, ONYX = "PXZPB5899", "OWZXY8927"
T = datetime(2025, 11, 22, 9, 0, tzinfo=UTC)


def test_a_promise_is_kept_retried_or_given_up() -> None:
    promise: Promise[int] = Promise()
    promise.offer(None, 5)
    promise.offer(5, 5)  # nothing beyond what we have
    assert not promise.due
    promise.offer(7, 5)
    promise.offer(6, 5)  # the newest promise stays
    assert promise.wanted == 7
    assert not promise.settle(7)
    assert not promise.due
    assert not promise.settle(7)  # nothing wanted: nothing to settle
    promise.offer(9, None)
    for _ in range(MAX_TRIES - 1):
        assert not promise.settle(8)
    assert promise.settle(8)  # given up
    assert (promise.wanted, promise.given_up) == (None, 9)
    promise.offer(9, 8)
    assert not promise.due  # that value is not asked for again
    promise.offer(10, 8)
    assert promise.due  # another one is
    restored = Promise.load(json.loads(json.dumps(promise.dump(int))), lambda v: v)
    assert restored == promise
    assert Promise.load("garbage", int) == Promise()
    assert Promise.load([None, 99, None], lambda v: v).tries == MAX_TRIES


async def test_the_state_round_trips(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    await sync.refresh(at(clock))
    sim.start_cycle(AURA)
    sim.raise_alarm(ONYX, "W01", "Clean water tank empty", "warning")
    clock.advance(60)
    await sync.refresh(at(clock))
    sync.state.outbox.append(
        TecnoGazEvent(AURA, EventKind.ALARM_RAISED, T, alarm=Alarm("7", raised_at=T))
    )
    sync.state.refused["GONE1"] = 1.5
    data = json.loads(json.dumps(sync.state.as_dict()))
    restored = TecnoGazState.from_dict(data, catch_up=DEFAULT_CATCH_UP)
    assert restored.as_dict() == data
    assert restored.sterilizers[AURA].open_cycles
    assert restored.sterilizers[ONYX].active_alarms()[0].code == "W01"
    assert restored.outbox == sync.state.outbox


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        {},
        {"version": 99, "sterilizers": {}},
        "not a mapping",
        {"version": 1, "ledger": "x", "sterilizers": "x", "refused": [], "outbox": 5},
    ],
)
def test_unreadable_state_starts_afresh(garbage: Any) -> None:
    state = TecnoGazState.from_dict(garbage, catch_up=DEFAULT_CATCH_UP)
    assert state.sterilizers == {}
    assert state.ledger.streams() == []
    assert state.outbox == []


def test_unreadable_parts_are_left_out(caplog: pytest.LogCaptureFixture) -> None:
    good = SterilizerState(Sterilizer("GOOD1"), cycles_ready=True)
    data: dict[str, Any] = {
        "version": 1,
        "sterilizers": {
            "GOOD1": {
                **TecnoGazState(
                    ledger=TecnoGazState.new(DEFAULT_CATCH_UP).ledger,
                    sterilizers={"GOOD1": good},
                ).as_dict()["sterilizers"]["GOOD1"],
                "open_cycles": {"12": "2025-11-22T09:00:00Z", "x": None},
                "alarms": [{"id": "1"}, {"code": "no id"}],
                "missing": "two",
            },
            "NOSERIAL": {"listing": {"model": "AURA"}},
            "MISMATCH": {"listing": {"serialNumber": "OTHER"}},
            "WRONG": [],
        },
        "refused": {"A": 12.0, "B": "yesterday", "C": True},
        "outbox": [
            {"serial": "GOOD1", "kind": "nonsense", "time": 1_763_802_000},
            {"serial": "GOOD1", "kind": "cycle_completed", "time": None},
            {"serial": "GOOD1", "kind": "cycle_completed", "time": 1_763_802_000},
            {
                "serial": "GOOD1",
                "kind": "cycle_completed",
                "time": 1_763_802_000,
                "cycle": {"cycleNumber": 4},
            },
        ],
    }
    state = TecnoGazState.from_dict(data, catch_up=DEFAULT_CATCH_UP)
    assert list(state.sterilizers) == ["GOOD1"]
    restored = state.sterilizers["GOOD1"]
    assert restored.cycles_ready
    assert restored.open_cycles == {12: T}
    assert list(restored.alarms) == ["1"]
    assert restored.missing == 0
    assert state.refused == {"A": 12.0}
    assert [e.cycle.number for e in state.outbox if e.cycle] == [4]
    with caplog.at_level(logging.WARNING):
        TecnoGazState.from_dict({"version": 0}, catch_up=DEFAULT_CATCH_UP)
    assert "unreadable" in caplog.text


def test_pruning_keeps_the_state_small() -> None:
    state = SterilizerState(Sterilizer("X"))
    old = T - timedelta(days=30)
    state.alarms = {
        str(i): Alarm(str(i), raised_at=old + timedelta(minutes=i), cleared_at=T)
        for i in range(MAX_ALARMS + 50)
    }
    state.alarms["old"] = Alarm("old", raised_at=old, cleared_at=old)
    state.alarms["active"] = Alarm("active", raised_at=old)
    state.open_cycles = {1: old, 2: None, 3: T}
    state.prune(T - timedelta(days=7))
    assert len(state.alarms) == MAX_ALARMS
    assert "old" not in state.alarms
    assert "active" in state.alarms
    assert state.open_cycles == {2: None, 3: T}


def test_a_cleared_alarm_never_comes_back() -> None:
    state = SterilizerState(Sterilizer("X"))
    state.absorb_alarms([Alarm("1", raised_at=T, cleared_at=T + timedelta(hours=1))])
    state.absorb_alarms([Alarm("1", code="W01", raised_at=T)])  # a stale answer
    assert state.active_alarms() == []
    assert state.alarms["1"].code == "W01"
    assert state.alarms_read == T + timedelta(hours=1)


async def test_a_lost_ledger_replays_nothing_but_misses_nothing_new(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    await sync.refresh(at(clock))
    data = json.loads(json.dumps(sync.state.as_dict()))
    data["ledger"] = "lost"
    clock.advance(3600)
    restored = TecnoGazSync(
        sync.client, TecnoGazState.from_dict(data, catch_up=DEFAULT_CATCH_UP)
    )
    first = await restored.refresh(at(clock))
    assert first.events == []
    assert first.calls == 1  # nothing new: no first sight again
    clock.advance(60)
    cycle = sim.run_cycle(AURA)
    result = await restored.refresh(at(clock))
    assert [e.cycle.number for e in result.events if e.cycle] == [cycle.number]


async def test_a_lost_sterilizer_state_replays_nothing_announced(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    await sync.refresh(at(clock))
    announced = sim.run_cycle(AURA)
    result = await sync.refresh(at(clock))
    assert [e.cycle.number for e in result.events if e.cycle] == [announced.number]
    missed = sim.run_cycle(AURA)
    data = json.loads(json.dumps(sync.state.as_dict()))
    data["sterilizers"][AURA] = "lost"
    restored = TecnoGazSync(
        sync.client, TecnoGazState.from_dict(data, catch_up=DEFAULT_CATCH_UP)
    )
    result = await restored.refresh(at(clock))
    assert result.added == {AURA}
    assert [e.cycle.number for e in result.events if e.cycle] == [missed.number]


async def test_naive_times_are_utc(sync: TecnoGazSync, clock: ManualClock) -> None:
    naive = at(clock).replace(tzinfo=None)
    result = await sync.refresh(naive)
    assert result.sterilizers
    assert _time_param(naive) == _time_param(at(clock))


async def test_an_alarm_change_the_alarms_never_show_is_given_up(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    await sync.refresh(at(clock))
    sim.clear_requests()
    later = (at(clock) + timedelta(minutes=30)).isoformat()

    def lie(body: Any) -> Any:
        for row in body["devices"]:
            row["alarmsChangedAt"] = later
        return body

    sim.inject("mutate", call="devices", count=8, fn=lie)
    for _ in range(8):
        await sync.refresh(at(clock))
    assert sim.request_count("alarms") == 2 * MAX_TRIES


async def test_a_refused_sterilizer_probe_that_answers_404(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    await sync.refresh(at(clock))
    sync.state.sterilizers.pop(AURA)
    sync.state.refused[AURA] = clock() - 7200
    sim.break_call("device")
    result = await sync.refresh(at(clock))
    assert AURA not in result.sterilizers
    assert set(result.not_found) == {"device"}
    assert sync.state.refused[AURA] == clock()


async def test_a_newest_cycle_without_a_start(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    await sync.refresh(at(clock))
    state = sync.state.sterilizers[AURA]
    assert state.latest_cycle is not None
    state.latest_cycle = Cycle(state.latest_cycle.number)
    cycle = sim.run_cycle(AURA)
    result = await sync.refresh(at(clock))
    assert [e.cycle.number for e in result.events if e.cycle] == [cycle.number]
