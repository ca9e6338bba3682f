"""RusTech: requests and time of a refresh, CPU per archive row, a day of faults.

See `scripts/bench --help` for what each row measures. Against the
in-process simulator on a `ManualClock` with injected latency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import gc
import math
import time
from types import TracebackType
from typing import Any, Self, cast

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from custom_components.telemetry_hub.api.rustech import (
    Feed,
    RusTechClient,
    RusTechSync,
)
from custom_components.telemetry_hub.api.rustech.models import ArchiveType
from simulators.rustech import ManualClock, RusTechSimulator
from tests.api.rustech.day import DayPlan, DayReport, simulate_day

from .common import table, where_and_when

__all__ = ["DayPlan", "simulate_day"]

EMAIL = "api@local.net"
PASSWORD = "Str0ngPas$"  # noqa: S105 - the simulator's demo account
START = 1_763_802_000.0  # 2025-11-22 09:00 UTC
NO_SCHEDULE = (10 * 365 * 86400,)  # stations report only when told to
PARSE_GOAL_US = 90 / 5
"""Issue 8: about 90 µs per row before, at least 5× cheaper."""


@dataclass
class Row:
    """One measured scenario."""

    stations: int
    scenario: str
    ours: int
    ours_s: float
    baseline: int | None = None
    baseline_s: float | None = None
    budget: int | None = None


async def measure(
    sim: RusTechSimulator, action: Callable[[], Awaitable[object]]
) -> tuple[int, float]:
    """Run an action; return the requests it made and its wall time."""
    sim.clear_requests()
    started = time.perf_counter()
    await action()
    return sim.request_count(), time.perf_counter() - started


async def baseline_run(client: RusTechClient, clock: ManualClock) -> None:
    """The vendor's documented download order, for the last day."""
    today = datetime.fromtimestamp(clock(), UTC).date()
    yesterday = today - timedelta(days=1)
    await client.sign_in()
    await client.customers()
    stations = await client.stations()
    for equipment_type in await client.equipment_types():
        await client.channels(equipment_type.id)
    for station in stations:
        assert station.equipment_id is not None  # noqa: S101
        for archive in (ArchiveType.HOURLY, ArchiveType.DAILY, ArchiveType.NESHT):
            await client.archive(
                station.equipment_id, archive, yesterday, today, station_id=station.id
            )
        await client.settings(station.equipment_id, station_id=station.id)
    await client.sign_out()


async def bench_size(size: int, latency: float) -> list[Row]:
    """All scenarios for one account size."""
    clock = ManualClock(START)
    sim = RusTechSimulator(stations=size, clock=clock, session_periods=NO_SCHEDULE)
    sim.new_session()
    rows: list[Row] = []
    changed = max(1, size // 10)
    async with sim.serve() as url, aiohttp.ClientSession() as session:
        sim.latency = latency

        def now() -> datetime:
            return datetime.fromtimestamp(clock(), UTC)

        client = RusTechClient(session, url, EMAIL, PASSWORD, clock=clock)
        sync = RusTechSync(client)
        baseline_client = RusTechClient(session, url, EMAIL, PASSWORD, clock=clock)

        count, seconds = await measure(sim, lambda: sync.refresh(now()))
        rows.append(Row(size, "first refresh", count, seconds))
        base = await measure(sim, lambda: baseline_run(baseline_client, clock))
        rows[-1].baseline, rows[-1].baseline_s = base

        clock.advance(3600)
        count, seconds = await measure(sim, lambda: sync.refresh(now()))
        base = await measure(sim, lambda: baseline_run(baseline_client, clock))
        rows.append(Row(size, "steady, no new data", count, seconds, *base))
        rows[-1].budget = math.ceil(size / 1000) + 2

        clock.advance(3600)
        sim.new_session([station.id for station in sim.stations[:changed]])
        count, seconds = await measure(sim, lambda: sync.refresh(now()))
        base = await measure(sim, lambda: baseline_run(baseline_client, clock))
        rows.append(Row(size, "steady, 10 % new sessions", count, seconds, *base))
        rows[-1].budget = math.ceil(size / 1000) + changed + 2

        # The same, for users who disable the abnormal-situation entities.
        sync_no_events = RusTechSync(
            client,
            sync.state,
            wanted=lambda _station, feed: feed is not Feed.ABNORMAL,
        )
        clock.advance(3600)
        sim.new_session([station.id for station in sim.stations[-changed:]])
        count, seconds = await measure(sim, lambda: sync_no_events.refresh(now()))
        rows.append(Row(size, "steady, 10 % new sessions, events off", count, seconds))
        rows[-1].budget = math.ceil(size / 1000) + changed + 2
        # The next day: reporting stations also owe their daily archive and
        # settings (once a day), and channel metadata is a day old.
        clock.advance(86400)
        sim.new_session([station.id for station in sim.stations[:changed]])
        count, seconds = await measure(sim, lambda: sync.refresh(now()))
        base = await measure(sim, lambda: baseline_run(baseline_client, clock))
        rows.append(Row(size, "next day, 10 % new sessions", count, seconds, *base))

    return rows


# --------------------------------------------------------------------------
# RusTech: CPU per archive row


@dataclass
class _Recorded:
    """One answer as aiohttp handed it over, to be handed over again."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    content_type: str

    async def read(self) -> bytes:
        return self.body

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


@dataclass
class _Recorder:
    """A session that records every answer of the real one."""

    session: aiohttp.ClientSession
    answers: list[_Recorded] = field(default_factory=list)

    def request(self, method: str, url: str, **kwargs: Any) -> _Recording:
        return _Recording(self, method, url, kwargs)


class _Recording:
    def __init__(
        self, recorder: _Recorder, method: str, url: str, kwargs: dict[str, Any]
    ) -> None:
        self.recorder = recorder
        self.request = recorder.session.request(method, url, **kwargs)

    async def __aenter__(self) -> _Recorded:
        response = await self.request.__aenter__()
        answer = _Recorded(
            response.status,
            CIMultiDictProxy(CIMultiDict(response.headers)),
            await response.read(),
            response.content_type,
        )
        self.recorder.answers.append(answer)
        return answer

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.request.__aexit__(exc_type, exc, traceback)


@dataclass
class _Replayer:
    """A session that hands the recorded answers over again, in order."""

    answers: list[_Recorded]
    sent: int = 0

    def request(self, method: str, url: str, **kwargs: Any) -> _Recorded:
        del method, url, kwargs
        self.sent += 1
        return self.answers[self.sent - 1]


@dataclass
class ParseCost:
    """CPU per hourly row of a first refresh."""

    stations: int
    rows: int
    requests: int
    client_us: float
    """Client and sync engine alone (replayed): the product's cost."""
    with_simulator_us: float
    """The same refresh with the in-process simulator generating the rows."""


async def parse_cost(stations: int, repeats: int = 7) -> ParseCost:
    """Measure a first refresh's CPU per hourly row (see the module doc)."""
    clock = ManualClock(START)
    sim = RusTechSimulator(stations=stations, clock=clock, session_periods=NO_SCHEDULE)
    sim.new_session()
    now = datetime.fromtimestamp(START, UTC)
    async with sim.serve() as url, aiohttp.ClientSession() as session:
        recorder = _Recorder(session)
        live = cast("aiohttp.ClientSession", recorder)
        sync = RusTechSync(RusTechClient(live, url, EMAIL, PASSWORD, clock=clock))
        started = time.process_time()
        await sync.refresh(now)
        with_simulator = time.process_time() - started
    rows = sum(len(state.pending_hourly) for state in sync.state.stations.values())
    best = math.inf
    for _ in range(repeats):
        replay = cast("aiohttp.ClientSession", _Replayer(recorder.answers))
        sync = RusTechSync(RusTechClient(replay, url, EMAIL, PASSWORD, clock=clock))
        gc.collect()
        started = time.process_time()
        await sync.refresh(now)
        best = min(best, time.process_time() - started)
    return ParseCost(
        stations,
        rows,
        len(recorder.answers),
        best / rows * 1e6,
        with_simulator / rows * 1e6,
    )


def render_parse_cost(cost: ParseCost) -> str:
    """The parse-cost figures as a Markdown table, with their heading."""
    return "\n".join(
        [
            (
                "**RusTech, CPU per hourly row of a first refresh** (a month of "
                "hourly rows per station; the answers recorded from the simulator, "
                "then replayed without network or simulator: the client and the "
                f"sync engine alone, best of 7; {where_and_when()}):"
            ),
            "",
            table(
                (
                    "stations",
                    "hourly rows",
                    "requests",
                    "client CPU per row",
                    "goal",
                    "with the simulator generating the rows",
                ),
                [
                    (
                        cost.stations,
                        cost.rows,
                        cost.requests,
                        f"{cost.client_us:.1f} µs",
                        f"≤ {PARSE_GOAL_US:.0f} µs",
                        f"{cost.with_simulator_us:.1f} µs",
                    )
                ],
                "rrrrrr",
            ),
        ]
    )


# --------------------------------------------------------------------------
# RusTech: a simulated day


def render_day(reports: list[tuple[str, DayReport]], polls: int) -> str:
    """The simulated days, one block each, with their heading."""
    blocks = [
        (
            f"**RusTech, a simulated day** ({polls} polls of 12 stations, restarts, "
            f"polls cancelled mid-request, {DayPlan().fault_rate:.0%} of the "
            "requests faulted, against a strict server; goal: 0 lost tokens, "
            "1 live session, no duplicate or missed event or row):"
        )
    ]
    for title, report in reports:
        lines = "\n".join(f"- {line}" for line in report.lines())
        blocks.append(f"{title.capitalize()}:\n\n{lines}")
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------


def render(rows: list[Row], latency: float) -> str:
    """The refresh rows as a Markdown table, with their heading."""
    lines = [
        (
            "**RusTech, requests per refresh** (simulator latency "
            f"{latency * 1000:.0f} ms per request; {where_and_when()}):"
        ),
        "",
    ]
    cells = []
    for row in rows:
        ratio = None if row.baseline is None else row.baseline / max(row.ours, 1)
        cells.append(
            (
                row.stations,
                row.scenario,
                row.ours,
                f"{row.ours_s:.1f} s",
                "" if row.budget is None else f"≤ {row.budget}",
                row.baseline,
                None if row.baseline_s is None else f"{row.baseline_s:.1f} s",
                None if ratio is None else f"{ratio:.0f}×",
            )
        )
    headers = (
        "stations",
        "refresh",
        "Telemetry Hub requests",
        "time",
        "goal",
        "documented order requests",
        "time",
        "fewer requests",
    )
    lines.append(table(headers, cells, "rlrrrrrr"))
    return "\n".join(lines)
