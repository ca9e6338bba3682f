"""Tecno-Gaz: calls per refresh, and the rolling-minute peak of a catch-up.

Against the simulator over loopback, on a `ManualClock` that the rate
limiter's sleep moves: a catch-up that has to wait for the budget takes no
real time, and the simulator's request log holds the times the server
would see. Refreshes follow the coordinator: the next one starts one
interval (the default 1 min) after the previous one ended.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
import time

import aiohttp

from custom_components.telemetry_hub.api.ratelimit import RateLimiterRegistry
from custom_components.telemetry_hub.api.tecnogaz import (
    CALL_BUDGET,
    TecnoGazClient,
    TecnoGazRefresh,
    TecnoGazSync,
    limiter_key,
    worst_case_calls,
)
from simulators.tecnogaz import ManualClock, TecnoGazSimulator

from .common import minutes, table, verdict, where_and_when

MONDAY = 1_763_967_600.0
"""2025-11-24 07:00 UTC: the sterilizers' working day starts within the hour."""
INTERVAL = 60.0
"""The default update interval."""
DAY = 86400.0
IDLE_REFRESHES = 10
AFTER_CATCH_UP = 10
"""Refreshes (minutes) polled after a catch-up, inside the measured log."""


@dataclass
class Row:
    """One measured scenario."""

    sterilizers: int
    scenario: str
    calls: int
    goal: str = ""
    met: bool | None = None
    peak: int | None = None
    """The most requests in any rolling minute (the simulator's log)."""
    simulated: float | None = None
    """Simulated seconds the scenario took (waits for the budget included)."""
    events: int | None = None
    real: float = 0.0


class _Account:
    """A simulator, a client with the shared limiter, and a sync engine."""

    def __init__(self, sim: TecnoGazSimulator, clock: ManualClock) -> None:
        self.sim = sim
        self.clock = clock

        async def sleep(delay: float) -> None:
            # The client awaits each answer: nothing is in flight here.
            clock.advance(delay)
            await asyncio.sleep(0)

        self.registry = RateLimiterRegistry(clock=clock, sleep=sleep)

    def sync(self, session: aiohttp.ClientSession, url: str) -> TecnoGazSync:
        limiter = self.registry.get(limiter_key(self.sim.token))
        client = TecnoGazClient(session, self.sim.token, base_url=url, limiter=limiter)
        return TecnoGazSync(client)

    async def refresh(self, sync: TecnoGazSync) -> tuple[TecnoGazRefresh, float]:
        """One refresh; the result and the simulated seconds it took."""
        started = self.clock()
        result = await sync.refresh(datetime.fromtimestamp(started, UTC))
        return result, self.clock() - started


async def _idle(account: _Account, sync: TecnoGazSync) -> int:
    """One refresh, then the interval; the refresh's calls."""
    result, _took = await account.refresh(sync)
    account.clock.advance(INTERVAL)
    return result.calls


async def _steady_rows(size: int, session: aiohttp.ClientSession) -> list[Row]:
    clock = ManualClock(MONDAY)
    sim = TecnoGazSimulator(sterilizers=size, clock=clock, auto=False)
    account = _Account(sim, clock)
    rows: list[Row] = []
    async with sim.serve() as url:
        sync = account.sync(session, url)
        real = time.perf_counter()
        result, took = await account.refresh(sync)
        rows.append(
            Row(
                size,
                "first refresh (first sight of every sterilizer)",
                result.calls,
                f"≤ {worst_case_calls(size)} (1 + 2 per sterilizer)",
                result.calls <= worst_case_calls(size)
                and sim.max_in_window(sim.token) <= CALL_BUDGET,
                sim.max_in_window(sim.token),
                took,
                real=time.perf_counter() - real,
            )
        )
        clock.advance(INTERVAL)
        sim.clear_requests()
        settling = [await _idle(account, sync) for _ in range(IDLE_REFRESHES)]
        rows.append(
            Row(
                size,
                f"the {IDLE_REFRESHES} refreshes after first sight, nothing new",
                sum(settling),
                f"{IDLE_REFRESHES} (1 each)",
                sum(settling) == IDLE_REFRESHES,
                sim.max_in_window(sim.token),
            )
        )
        sim.clear_requests()
        steady = [await _idle(account, sync) for _ in range(IDLE_REFRESHES)]
        rows.append(
            Row(
                size,
                f"nothing new, steady (the most of {IDLE_REFRESHES} refreshes)",
                max(steady),
                "1",
                max(steady) == 1,
                sim.max_in_window(sim.token),
            )
        )
        changed = sim.serials[: max(1, round(size / 10))]
        for serial in changed:
            sim.start_cycle(serial, "B134")
        sim.clear_requests()
        result, took = await account.refresh(sync)
        rows.append(
            Row(
                size,
                f"a cycle started on {len(changed)} (10 %)",
                result.calls,
                f"{1 + len(changed)} (1 + 1 each)",
                result.calls <= 1 + len(changed),
                events=len(result.events),
            )
        )
        # The cycles run (refreshes with nothing new), then end.
        running = []
        for _ in range(20):
            clock.advance(INTERVAL)
            running.append((await account.refresh(sync))[0].calls)
        clock.advance(INTERVAL)
        for serial in changed:
            sim.finish_cycle(serial, "passed")
        result, took = await account.refresh(sync)
        rows.append(
            Row(
                size,
                f"that cycle finished on {len(changed)} (announced)",
                result.calls,
                f"{1 + len(changed)} (1 + 1 each)",
                result.calls <= 1 + len(changed) and max(running) == 1,
                events=len(result.events),
            )
        )
    return rows


BUSY_RATES = (0.06, 0.03, 0.3)
"""Failure, abort and warning rates of a day with warnings on most machines."""


async def _catch_up_row(
    size: int, session: aiohttp.ClientSession, *, busy: bool = False
) -> Row:
    """A day down while the sterilizers work on their own, then catch up."""
    clock = ManualClock(MONDAY)
    sim = TecnoGazSimulator(sterilizers=0 if busy else size, clock=clock, seed=3)
    if busy:
        sim.rates = BUSY_RATES
        for _ in range(size):
            sim.add_sterilizer()
    account = _Account(sim, clock)
    async with sim.serve() as url:
        sync = account.sync(session, url)
        for _ in range(5):  # up for a few minutes
            await account.refresh(sync)
            clock.advance(INTERVAL)
        clock.advance(DAY)
        sim.clear_requests()
        real = time.perf_counter()
        result, took = await account.refresh(sync)
        real = time.perf_counter() - real
        calls = result.calls
        events = len(result.events)
        for _ in range(AFTER_CATCH_UP):
            clock.advance(INTERVAL)
            events += len((await account.refresh(sync))[0].events)
        peak = sim.max_in_window(sim.token)
    return Row(
        size,
        f"catch-up after a day down{', warnings on most machines' if busy else ''}",
        calls,
        f"≤ {CALL_BUDGET} in any minute",
        peak <= CALL_BUDGET,
        peak,
        took,
        events,
        real,
    )


async def bench(sizes: list[int]) -> list[Row]:
    """Every row for every size."""
    rows: list[Row] = []
    async with aiohttp.ClientSession() as session:
        for size in sizes:
            rows.extend(await _steady_rows(size, session))
            rows.append(await _catch_up_row(size, session))
            rows.append(await _catch_up_row(size, session, busy=True))
    return rows


def render(rows: list[Row]) -> str:
    """The rows as a Markdown table, with their heading."""
    heading = (
        "**Tecno-Gaz, calls per refresh** (update interval 1 min; the simulator "
        "and the rate limiter on a manual clock, so waiting for the budget takes "
        "no real time; the busiest rolling minute is counted in the simulator's "
        f"request log over the catch-up and the {AFTER_CATCH_UP} refreshes after "
        "it; simulated time is the time spent waiting for the budget, requests "
        "take none; the sterilizers work a simulated Monday on their own, with "
        "the simulator's mix of programs and outcomes (failed and aborted "
        f"cycles, alarms, warnings); {where_and_when()}):"
    )
    cells = [
        (
            row.sterilizers,
            row.scenario,
            row.calls,
            row.goal,
            None if row.met is None else verdict(row.met),
            row.peak,
            None if row.simulated is None else minutes(row.simulated),
            row.events,
        )
        for row in rows
    ]
    headers = (
        "sterilizers",
        "refresh",
        "calls",
        "goal",
        "",
        "busiest rolling minute",
        "simulated time",
        "events announced",
    )
    return f"{heading}\n\n{table(headers, cells, 'rlrllrrr')}"
