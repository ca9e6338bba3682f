"""The Tecno-Gaz sync engine when things go wrong: aborts, 403, 404, lies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from custom_components.telemetry_hub.api import (
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
)
from custom_components.telemetry_hub.api.tecnogaz import (
    EventKind,
    TecnoGazState,
    TecnoGazSync,
)
from simulators.tecnogaz import ManualClock, TecnoGazSimulator
from tests.api.tecnogaz.test_tecnogaz_sync import AURA, ONYX, announced, refresh


async def test_events_taken_before_an_abort_come_with_the_next_refresh(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    onyx = sim.run_cycle(ONYX)
    aura = sim.run_cycle(AURA)
    sim.inject("mutate", call="cycles", fn=lambda body: body)  # ONYX: fine
    sim.inject("server_error", call="cycles", status=503)  # AURA: fails
    with pytest.raises(TelemetryHubConnectionError):
        await refresh(primed, clock)
    assert [e.cycle.number for e in primed.state.outbox if e.cycle] == [onyx.number]
    stored = TecnoGazState.from_dict(
        json.loads(json.dumps(primed.state.as_dict())), catch_up=primed.catch_up
    )
    assert stored.outbox == primed.state.outbox
    result = await refresh(primed, clock)
    assert announced(result) == [
        (ONYX, "cycle_completed", onyx.number),
        (AURA, "cycle_completed", aura.number),
    ]
    assert primed.state.outbox == []


async def test_auth_errors_abort(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.revoke_token()
    with pytest.raises(TelemetryHubAuthError):
        await refresh(primed, clock)
    assert set(primed.views()) == {AURA, ONYX}


async def test_removed_only_after_three_missing_listings(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.remove_from_contract(ONYX)
    for _ in range(2):
        result = await refresh(primed, clock)
        assert result.removed == {}
        assert ONYX in result.sterilizers
    sim.tokens[sim.token].add(ONYX)  # back before the third: counting restarts
    assert ONYX in (await refresh(primed, clock)).sterilizers
    sim.remove_from_contract(ONYX)
    await refresh(primed, clock)
    await refresh(primed, clock)
    result = await refresh(primed, clock)
    assert set(result.removed) == {ONYX}
    assert result.removed[ONYX].model == "ONYX"
    assert ONYX not in result.sterilizers
    assert not any(s.startswith(ONYX) for s in primed.state.ledger.streams())
    sim.tokens[sim.token].add(ONYX)
    result = await refresh(primed, clock)
    assert result.added == {ONYX}  # a new first sight: nothing replayed
    assert result.events == []


async def test_repeated_403s_remove_a_sterilizer_until_it_answers_again(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.run_cycle(AURA)
    sim.inject("forbidden", call="cycles", count=3)
    for attempt in range(3):
        result = await refresh(primed, clock)
        assert AURA in result.failed
        assert "not tied" in result.failed[AURA]
        assert (AURA in result.removed) == (attempt == 2)
    sim.clear_requests()
    clock.advance(600)
    result = await refresh(primed, clock)
    assert AURA not in result.sterilizers  # still listed, not probed yet
    assert sim.calls() == ["devices"]
    sim.inject("forbidden", call="device")
    clock.advance(3600)
    result = await refresh(primed, clock)
    assert AURA not in result.sterilizers  # probed: still refused
    clock.advance(3600)
    result = await refresh(primed, clock)
    assert result.added == {AURA}
    assert result.events == []
    assert "device" in sim.calls()


async def test_a_404_names_the_call_and_the_rest_goes_on(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.break_call("cycles")
    cycle = sim.run_cycle(AURA)
    alarm = sim.raise_alarm(AURA, "W01", "Clean water tank empty", "warning")
    result = await refresh(primed, clock)
    assert set(result.not_found) == {"cycles"}
    assert "/devices/{serial}/cycles" in result.not_found["cycles"]
    assert result.contract_mismatch
    view = result.sterilizers[AURA]
    assert view.not_found_call == "cycles"
    assert not view.ok
    assert announced(result) == [(AURA, "alarm_raised", str(alarm.id))]
    sim.restore_call("cycles")
    result = await refresh(primed, clock)
    assert announced(result) == [(AURA, "cycle_completed", cycle.number)]
    assert result.sterilizers[AURA].ok
    assert not result.contract_mismatch


async def test_a_404_on_the_listing_keeps_everything(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.break_call("devices")
    for _ in range(4):
        result = await refresh(primed, clock)
        assert not result.listing_ok
        assert set(result.not_found) == {"devices"}
        assert set(result.sterilizers) == {AURA, ONYX}
        assert result.removed == {}
    sim.restore_call("devices")
    assert (await refresh(primed, clock)).listing_ok


async def test_a_broken_answer_for_one_sterilizer_is_retried(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    onyx = sim.run_cycle(ONYX)
    aura = sim.run_cycle(AURA)
    sim.inject("html", call="cycles")  # ONYX is read first
    result = await refresh(primed, clock)
    assert set(result.failed) == {ONYX}
    assert announced(result) == [(AURA, "cycle_completed", aura.number)]
    result = await refresh(primed, clock)
    assert result.failed == {}
    assert announced(result) == [(ONYX, "cycle_completed", onyx.number)]


def bump_listing(serial: str, *, cycle: int = 0, status: str | None = None) -> Any:
    def change(body: Any) -> Any:
        for row in body["devices"]:
            if row["serialNumber"] == serial:
                row["lastCycleNumber"] += cycle
                if status is not None:
                    row["status"] = status
        return body

    return change


async def test_a_promise_the_details_never_keep_is_given_up(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.inject("mutate", call="devices", count=10, fn=bump_listing(AURA, cycle=3))
    for _ in range(10):
        await refresh(primed, clock)
    assert sim.request_count("cycles") == 5
    cycle = sim.run_cycle(AURA)  # a real new cycle is read again
    result = await refresh(primed, clock)
    assert announced(result) == [(AURA, "cycle_completed", cycle.number)]


async def test_a_cycle_that_never_ends_is_not_asked_for_forever(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    started = sim.start_cycle(AURA)
    clock.advance(60)
    await refresh(primed, clock)
    sim.clear_requests()
    sim.inject("mutate", call="devices", count=10, fn=bump_listing(AURA, status="x"))
    for _ in range(10):
        await refresh(primed, clock)
    assert sim.request_count("cycles") == 5
    assert primed.views()[AURA].sterilizer.status is None
    sim.finish_cycle(AURA)
    clock.advance(60)
    result = await refresh(primed, clock)
    assert announced(result) == [(AURA, "cycle_completed", started.number)]


async def test_without_alarms_changed_at_alarms_are_read_with_new_cycles(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    def drop(body: Any) -> Any:
        for row in body["devices"]:
            row.pop("alarmsChangedAt")
        return body

    alarm = sim.raise_alarm(AURA, "W01", "Clean water tank empty", "warning")
    sim.inject("mutate", call="devices", count=3, fn=drop)
    result = await refresh(primed, clock)
    assert result.events == []
    assert sim.calls() == ["devices"]
    cycle = sim.run_cycle(AURA)
    result = await refresh(primed, clock)
    assert announced(result) == [
        (AURA, "alarm_raised", str(alarm.id)),
        (AURA, "cycle_completed", cycle.number),
    ]
    assert sim.calls()[-2:] == ["cycles", "alarms"]
    assert (await refresh(primed, clock)).events == []


async def test_unknown_statuses_and_results_are_kept_raw(
    primed: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    cycle = sim.run_cycle(AURA)

    def odd(body: Any) -> Any:
        for row in body["cycles"]:
            row["result"] = "completed_ok"
            row["program"] = {"code": "X9", "name": "Custom"}
        return body

    sim.inject("mutate", call="cycles", fn=odd)
    result = await refresh(primed, clock)
    event = result.events[0]
    assert event.kind is EventKind.CYCLE_COMPLETED
    assert event.cycle is not None
    assert event.cycle.number == cycle.number
    assert event.cycle.result is None
    assert event.attributes()["result"] == "completed_ok"
    assert event.cycle.program is None
