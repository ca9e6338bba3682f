"""DEXMA: calls per refresh and per day against the quota share; backfills.

Through the sync engine the coordinator runs (`api/dexma/sync.py`), with
the settings of an entry with default options, against the simulator over
loopback on a `ManualClock`: ticks follow the engine's own interval (the
coordinator's update interval), so a simulated day takes seconds. The
simulator charges every answered call to the token's hourly and daily
quota (1000 and 10 000, the documentation's example) and its request log
holds when each call arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
import math
import time

import aiohttp

from custom_components.telemetry_hub.api.dexma import DexmaClient, QuotaTracker
from custom_components.telemetry_hub.api.dexma.streams import (
    HISTORY_QUANTITIES,
    SyncSettings,
    TickReport,
)
from custom_components.telemetry_hub.api.dexma.sync import DexmaSync
from custom_components.telemetry_hub.api.dexma.units import parameter_info
from custom_components.telemetry_hub.api.ratelimit import max_in_window
from custom_components.telemetry_hub.vendors.dexma.options import settings_from
from simulators.dexma import DEFAULT_TOKEN, DexmaSimulator, ManualClock

from .common import minutes, seconds, table, verdict, where_and_when

START = 1_763_802_000.0
"""2025-11-22 09:00 UTC."""
HOUR = 3600.0
DAY = 86400.0
DAYS = 2
"""Simulated days of the refresh rows: the set-up day, then a steady one."""
GOAL_RATIO = 1.1
_MAX_TICKS = 10_000


@dataclass
class RefreshRow:
    """One portfolio size over `DAYS` simulated days."""

    devices: int
    meters: int
    interval: float
    batches: int
    per_refresh: int
    steady_per_day: int
    per_day: list[int]
    busiest_hour: int
    busiest_day: int
    hour_budget: int
    day_budget: int
    hour_limit: int
    day_limit: int
    history_done: tuple[int, float] | None
    """The tick that read the last of the 31-day history, and its time
    (seconds after the first tick)."""
    refused: int
    """429 answers."""
    real: float

    @property
    def met(self) -> bool:
        """Whether every window stayed within the share."""
        return self.busiest_hour <= self.hour_budget and (
            self.busiest_day <= self.day_budget
        )


@dataclass
class BackfillRow:
    """One history backfill through the engine."""

    meters: int
    days: int
    calls: int
    planned: int
    minimum: int
    simulated: float
    """Seconds from the request until the last call (quota-paced)."""
    real: float
    busiest_hour: int
    """Our calls in the busiest rolling hour of the whole run."""
    hour_budget: int

    @property
    def ratio(self) -> float:
        """Calls per the fewest calls the span limits allow."""
        return self.calls / max(self.minimum, 1)


class _Engine:
    """A simulator, a client reporting the quota, and the sync engine."""

    def __init__(
        self, sim: DexmaSimulator, clock: ManualClock, settings: SyncSettings
    ) -> None:
        self.sim = sim
        self.clock = clock
        self.settings = settings
        self.reports: list[tuple[float, TickReport]] = []

    def start(self, session: aiohttp.ClientSession, url: str) -> DexmaSync:
        tracker = QuotaTracker(share=self.settings.share)
        client = DexmaClient(
            session,
            DEFAULT_TOKEN,
            base_url=url,
            on_quota=tracker.observe,
            clock=self.clock,
        )
        return DexmaSync(client, tracker, self.settings, clock=self.clock)

    async def tick(self, sync: DexmaSync) -> TickReport:
        """One tick, then the engine's interval passes."""
        moment = self.clock()
        report = await sync.refresh(datetime.fromtimestamp(moment, UTC))
        self.reports.append((moment, report))
        self.clock.advance(sync.plan.interval)
        return report


def _default_settings() -> SyncSettings:
    """What an entry with default options runs with."""
    return settings_from({})


async def refresh_row(size: int, session: aiohttp.ClientSession) -> RefreshRow:
    """`DAYS` days of a portfolio of `size` devices, from its first set-up."""
    clock = ManualClock(START)
    sim = DexmaSimulator(devices=size, clock=clock)
    engine = _Engine(sim, clock, _default_settings())
    real = time.perf_counter()
    async with sim.serve() as url:
        sync = engine.start(session, url)
        while clock() < START + DAYS * DAY:
            await engine.tick(sync)
    real = time.perf_counter() - real
    times = [record.at for record in sim.requests if record.status != 429]  # noqa: PLR2004
    per_day = [
        sum(1 for t in times if START + day * DAY <= t < START + (day + 1) * DAY)
        for day in range(DAYS)
    ]
    backfilled = [
        (tick, moment - START)
        for tick, (moment, report) in enumerate(engine.reports, 1)
        if report.backfill
    ]
    plan = sync.plan
    last_day = [r for moment, r in engine.reports if moment >= START + DAY]
    hour_budget, day_budget = sync.budgets
    return RefreshRow(
        devices=size,
        meters=len(sync.streams()),
        interval=plan.interval,
        batches=plan.batches,
        per_refresh=max((r.steady for r in last_day), default=0),
        steady_per_day=sum(r.steady for r in last_day),
        per_day=per_day,
        busiest_hour=max_in_window(times, HOUR),
        busiest_day=max_in_window(times, DAY),
        hour_budget=hour_budget,
        day_budget=day_budget,
        hour_limit=sim.quota.hour_limit,
        day_limit=sim.quota.day_limit,
        history_done=backfilled[-1] if backfilled else None,
        refused=sum(1 for record in sim.requests if record.status == 429),  # noqa: PLR2004
        real=real,
    )


def _history_meters(
    sim: DexmaSimulator, wanted: frozenset[str], count: int
) -> list[int]:
    """Devices holding exactly `count` counters whose hours become statistics."""
    chosen: list[int] = []
    total = 0
    for device in sim.devices:
        meters = 0
        for key in device.parameters:
            info = parameter_info(key)
            if (
                info is not None
                and info.cumulative
                and info.quantity in HISTORY_QUANTITIES
                and info.key in wanted
            ):
                meters += 1
        if meters and total + meters <= count:
            chosen.append(device.id)
            total += meters
        if total == count:
            return chosen
    msg = f"the simulator's portfolio has fewer than {count} counters"
    raise ValueError(msg)


async def backfill_row(
    meters: int, days: int, session: aiohttp.ClientSession
) -> BackfillRow:
    """Backfill `days` of `meters` counters as the import_history action does."""
    clock = ManualClock(START)
    sim = DexmaSimulator(devices=2 * meters + 8, clock=clock)
    defaults = _default_settings()
    devices = _history_meters(sim, defaults.parameters or defaults.defaults, meters)
    settings = replace(defaults, history_days=0, devices=frozenset(devices))
    engine = _Engine(sim, clock, settings)
    async with sim.serve() as url:
        sync = engine.start(session, url)
        for _ in range(_MAX_TICKS):  # until every device's parameters are known
            await engine.tick(sync)
            states = [sync.state.devices.get(device) for device in devices]
            if all(state and state.parameters is not None for state in states):
                break
        today = datetime.fromtimestamp(clock(), UTC).date()
        started, real = clock(), time.perf_counter()
        plans = sync.queue_history(
            None, today - timedelta(days=days), today - timedelta(days=1)
        )
        counted = sum(len(plan.meters) for plan in plans)
        if counted != meters:
            msg = f"{counted} counters followed, {meters} wanted"
            raise ValueError(msg)
        planned = sum(plan.total_calls for plan in plans)
        minimum = sum(plan.minimum_calls() for plan in plans)
        calls = await sync.backfill_now(datetime.fromtimestamp(clock(), UTC))
        finished = clock()
        for _ in range(_MAX_TICKS):
            if not sync.state.backfills:
                break
            moment = clock()
            report = await engine.tick(sync)
            calls += report.backfill
            if report.backfill:
                finished = moment
        real = time.perf_counter() - real
    times = [record.at for record in sim.requests if record.status != 429]  # noqa: PLR2004
    return BackfillRow(
        meters,
        days,
        calls,
        planned,
        minimum,
        finished - started,
        real,
        max_in_window(times, HOUR),
        sync.budgets[0],
    )


async def bench(
    sizes: list[int], meters: list[int], days: list[int]
) -> tuple[list[RefreshRow], list[BackfillRow]]:
    """The refresh rows and the backfill rows."""
    async with aiohttp.ClientSession() as session:
        refresh = [await refresh_row(size, session) for size in sizes]
        backfill = [
            await backfill_row(count, span, session)
            for count in meters
            for span in days
        ]
    return refresh, backfill


def _tick(done: tuple[int, float] | None) -> str:
    if done is None:
        return ""
    tick, after = done
    return f"tick {tick}" + (f" ({minutes(after)} later)" if after else "")


def _every(seconds_: float) -> str:
    if seconds_ < HOUR:
        return f"{seconds_ / 60:.0f} min"
    return f"{seconds_ / HOUR:.1f} h"


def render(refresh: list[RefreshRow], backfill: list[BackfillRow]) -> str:
    """Both tables, with their headings."""
    parts = []
    if refresh:
        parts.append(
            "**DEXMA, calls per refresh and per day** (an entry with default "
            "options: update interval 15 min, 50 % of the quota, 31 days of "
            "history, the parameters Home Assistant has a device class for; "
            f"{DAYS} simulated days from the first set-up, the simulator on a "
            "manual clock; the busiest rolling hour and day are counted in the "
            "simulator's request log, every call of ours included: listing, "
            f"discovery, steady reads and the history; {where_and_when()}):"
        )
        cells = [
            (
                row.devices,
                row.meters,
                _every(row.interval)
                + (f" × {row.batches} batches" if row.batches > 1 else ""),
                row.per_refresh,
                row.steady_per_day,
                " / ".join(str(count) for count in row.per_day),
                f"{row.busiest_hour} of {row.hour_budget} ({row.hour_limit})",
                f"{row.busiest_day} of {row.day_budget} ({row.day_limit})",
                verdict(row.met and row.refused == 0),
                _tick(row.history_done),
            )
            for row in refresh
        ]
        headers = (
            "devices",
            "followed meters",
            "refresh every",
            "steady calls per refresh",
            "steady calls per day",
            "calls on day 1 / day 2",
            "busiest rolling hour, of our share (quota)",
            "busiest rolling day, of our share (quota)",
            "goal: ≤ share",
            "31-day history read by",
        )
        parts.append(table(headers, cells, "rrlrrrrrll"))
    if backfill:
        parts.append(
            "**DEXMA, history backfill** (the import_history action through the "
            "sync engine: what the tick can spare right away, then every tick's "
            "spare calls; default options, counters at hourly resolution, "
            "half-hourly in Adelaide; time to complete is simulated time, paced "
            "by the quota share next to the steady refresh; real time is the "
            "loopback work of those ticks, steady reads included):"
        )
        cells_b = [
            (
                row.meters,
                row.days,
                row.calls,
                row.minimum,
                f"{row.ratio:.2f}×",
                f"≤ {GOAL_RATIO}× ({math.floor(row.minimum * GOAL_RATIO)})",
                verdict(row.ratio <= GOAL_RATIO),
                "at once" if row.simulated == 0 else minutes(row.simulated),
                seconds(row.real),
                f"{row.busiest_hour} of {row.hour_budget}",
            )
            for row in backfill
        ]
        headers_b = (
            "meters",
            "days",
            "calls",
            "fewest the span limits allow",
            "ratio",
            "goal",
            "",
            "time to complete",
            "real time",
            "busiest rolling hour, of our share",
        )
        parts.append(table(headers_b, cells_b, "rrrrrllrrr"))
    return "\n\n".join(parts)
