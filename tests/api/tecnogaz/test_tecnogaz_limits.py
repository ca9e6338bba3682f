"""One token, one budget: 80 calls in any rolling minute, whoever calls.

The simulator answers 429 beyond 100 calls per rolling minute per token;
its request log (on the shared manual clock) is what the server would see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from custom_components.telemetry_hub.api import TelemetryHubRateLimitError
from custom_components.telemetry_hub.api.ratelimit import RateLimiterRegistry
from custom_components.telemetry_hub.api.tecnogaz import (
    EventKind,
    TecnoGazClient,
    TecnoGazSync,
    limiter_key,
    worst_case_calls,
)
from simulators.tecnogaz import ManualClock, TecnoGazSimulator
from tests.api.tecnogaz.conftest import FakeSleep, at

DAY = 86400.0
MONDAY = 1_763_967_600.0  # 2025-11-24 07:00 UTC


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
def sim(clock: ManualClock) -> TecnoGazSimulator:
    """45 sterilizers that run on their own: a first sight needs 91 calls."""
    simulator = TecnoGazSimulator(sterilizers=0, clock=clock, seed=3)
    simulator.rates = (0.06, 0.03, 0.3)  # warnings on most days
    for _ in range(45):
        simulator.add_sterilizer()
    return simulator


async def test_a_catch_up_beyond_the_budget_spreads_over_minutes(
    sync: TecnoGazSync,
    sim: TecnoGazSimulator,
    clock: ManualClock,
    sleep: FakeSleep,
) -> None:
    started = clock()
    first = await sync.refresh(at(clock))
    assert first.calls >= worst_case_calls(45) > 80
    assert len(first.sterilizers) == 45
    assert sleep.slept  # it waited for the budget instead of failing
    assert clock() - started >= 60
    assert sim.max_in_window(sim.token) <= 80
    assert sync.client.limiter.peak == 80
    assert all(record.status == 200 for record in sim.requests)
    # a day down: every sterilizer has news, again more than the budget
    before = clock()
    clock.advance(DAY)
    result = await sync.refresh(at(clock))
    assert result.calls > 80
    assert sim.max_in_window(sim.token) <= 80
    finished = sum(
        1
        for serial in sim.serials
        for cycle in sim.finished_cycles(serial)
        if before < (cycle.end or 0) <= before + DAY
    )
    cycles = [e for e in result.events if e.kind is not EventKind.ALARM_RAISED]
    assert len([e for e in cycles if e.cycle is not None]) == finished


async def test_several_entries_on_one_token_share_one_budget(
    make_client: Callable[..., TecnoGazClient],
    sim: TecnoGazSimulator,
    clock: ManualClock,
    registry: RateLimiterRegistry,
) -> None:
    syncs = [TecnoGazSync(make_client()) for _ in range(3)]
    assert len({id(s.client.limiter) for s in syncs}) == 1
    assert registry.get(limiter_key(sim.token)) is syncs[0].client.limiter

    results = await asyncio.gather(*(s.refresh(at(clock)) for s in syncs))

    assert [len(r.sterilizers) for r in results] == [45, 45, 45]
    assert sim.request_count() == sum(r.calls for r in results) > 240
    assert sim.max_in_window(sim.token) <= 80
    assert all(record.status == 200 for record in sim.requests)
    for _ in range(5):  # then each refresh reads only what changed
        clock.advance(60)
        steady = await asyncio.gather(*(s.refresh(at(clock)) for s in syncs))
        assert all(r.calls < 10 for r in steady)
    assert sim.max_in_window(sim.token) <= 80


async def test_another_token_has_its_own_budget(
    make_client: Callable[..., TecnoGazClient],
    sim: TecnoGazSimulator,
    clock: ManualClock,
) -> None:
    sim.add_token("second-contract", sim.serials[:2])
    ours = make_client()
    theirs = make_client(token="second-contract")
    assert ours.limiter is not theirs.limiter
    for _ in range(80):
        await ours.devices()
    now = clock()
    await theirs.devices()
    assert clock() == now  # no wait: a different budget


async def test_429_is_honoured_with_retry_after(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.rate_limit = 40  # someone else spends this token's calls too
    start = clock()
    with pytest.raises(TelemetryHubRateLimitError) as caught:
        await sync.refresh(at(clock))
    assert caught.value.retry_after is not None
    refused = next(r for r in sim.requests if r.status == 429)
    held = sync.client.limiter.held_until
    assert held is not None
    assert held >= refused.at + caught.value.retry_after
    count = len(sim.requests)
    # the next refresh waits for the hold, then carries on where it stopped
    while True:
        try:
            result = await sync.refresh(at(clock))
            break
        except TelemetryHubRateLimitError:
            continue
    assert all(r.at >= held for r in sim.requests[count:])
    assert len(result.sterilizers) == 45
    # history is not news; only what finished while we waited is
    assert all(event.time.timestamp() > start for event in result.events)
