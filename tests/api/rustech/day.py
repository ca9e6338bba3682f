"""A simulated day of polling: the RusTech client and sync engine under fire.

Polls an account the way the integration does (a sync engine per run, the
token persisted the moment it changes, the state stored after every poll
and restored on restart) while the simulator spoils a share of all
requests with faults drawn at random, and counts what matters:

* lost tokens: requests that named a live session with a token the
  server had already replaced (the client missed a rotation);
* live sessions at the end (anything beyond one is a leaked session slot);
* failed polls, and among them those with no fault that outlasted the
  client's retry (there should be none);
* abnormal-situation records announced twice or never, and hourly rows
  handed to the statistics twice or never.

Used by the tests (a short, seeded run) and by `scripts/bench` (the full
day): a helper, not a test module.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import itertools
import json
import random
from typing import Any

import aiohttp

from custom_components.telemetry_hub.api import TelemetryHubError
from custom_components.telemetry_hub.api.rustech import (
    Feed,
    RusTechClient,
    RusTechSync,
    RusTechToken,
    SyncState,
)
from simulators.rustech import ManualClock, RusTechSimulator
from simulators.rustech.data import HOUR

EMAIL = "api@local.net"
PASSWORD = "Str0ngPas$"
START = 1_763_802_000.0  # 2025-11-22 09:00 UTC
POLL_INTERVAL = 900
DAY_FAULTS = (
    "server_error",
    "unavailable",
    "html",
    "timeout",
    "stall_body",
    "reset_body",
    "malformed_json",
    "bad_gzip",
    "nested_json",
    "next_page_forever",
    "next_page_loop",
    "endless_pages",
    "expire_session",
    "unauthorized",
    "foreign_uid",
    "sign_in_error",
)
"""What a broken proxy or server does to a day of requests."""
_SESSION_FAULTS = frozenset({"expire_session", "unauthorized"})


@dataclass
class DayPlan:
    """What the day looks like."""

    polls: int = 96
    stations: int = 12
    fault_rate: float = 0.15
    seed: int = 1
    restart_every: int = 24
    """Restart (new client and engine, from what was stored) between polls."""
    cancel_polls: tuple[int, ...] = (30, 61)
    """Polls cancelled mid-request (an entry reload), then restarted."""
    request_timeout: float = 0.25
    stall: float = 1.0
    """How long stalls last (longer than the timeout)."""
    clock_skew: float = 0.0
    """The server's clock against ours (-30 days: every expiry in our past)."""
    abnormal_every: int = 4
    """A new abnormal-situation record every so many polls (two at once
    in the same second every third time)."""


@dataclass
class DayReport:
    """What the day cost and whether anything was lost."""

    polls: int = 0
    failed_polls: int = 0
    unexplained_failures: int = 0
    """Failed polls without a fault that outlasted the retry."""
    escaped: int = 0
    """Polls that raised something else than the package's own errors."""
    failures: Counter[str] = field(default_factory=Counter)
    station_failures: int = 0
    restarts: int = 0
    cancelled: int = 0
    requests: int = 0
    faulted: int = 0
    sign_ins: int = 0
    lost_tokens: int = 0
    abandoned_sessions: int = 0
    """Sessions opened and never ended, but the one the client holds."""
    live_sessions: int = 0
    events: int = 0
    duplicate_events: int = 0
    missed_events: int = 0
    hourly_rows: int = 0
    duplicate_rows: int = 0
    missing_rows: int = 0

    def lines(self) -> list[str]:
        """The figures, one per line."""
        failures = ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items()))
        return [
            (
                f"polls: {self.polls} ({self.restarts} restarts, {self.cancelled} "
                "cancelled mid-request)"
            ),
            (
                f"requests: {self.requests}, {self.faulted} of them faulted; "
                f"sign-ins: {self.sign_ins}"
            ),
            (
                f"lost tokens: {self.lost_tokens}; sessions left behind: "
                f"{self.abandoned_sessions}; live server sessions at the end: "
                f"{self.live_sessions}"
            ),
            (
                f"failed polls: {self.failed_polls} ({failures or 'none'}); without "
                f"a fault that outlasted the retry: {self.unexplained_failures}; "
                f"errors not of the package: {self.escaped}"
            ),
            f"station reads deferred to the next poll: {self.station_failures}",
            (
                f"abnormal-situation events: {self.events}, duplicate "
                f"{self.duplicate_events}, missed {self.missed_events}"
            ),
            (
                f"hourly rows handed over: {self.hourly_rows}, duplicate "
                f"{self.duplicate_rows}, missing {self.missing_rows}"
            ),
        ]


class _Account:
    """What the integration keeps of one account across restarts."""

    def __init__(self) -> None:
        self.token: dict[str, Any] | None = None
        self.state: dict[str, Any] | None = None
        self.announced: list[tuple[int, int, str, str]] = []
        self.hourly: dict[int, list[int]] = {}
        self.first_cursor: dict[int, int] = {}

    def store_token(self, token: RusTechToken | None) -> None:
        self.token = token.as_dict() if token else None

    def save(self, sync: RusTechSync) -> None:
        state = sync.state
        for station_id, station in state.stations.items():
            cursor = station.feeds[Feed.ABNORMAL].cursor
            if cursor is not None:
                self.first_cursor.setdefault(station_id, cursor)
            self.hourly.setdefault(station_id, []).extend(
                int(row.event_time.timestamp()) for row in station.take_hourly()
            )
        self.state = json.loads(json.dumps(state.as_dict(), allow_nan=False))

    def announce(self, sync: RusTechSync) -> None:
        for station_id, station in sync.state.stations.items():
            for record in station.take_abnormal():
                self.announced.append(
                    (
                        station_id,
                        int(record.event_time.timestamp()),
                        str(record.raw.get("NSCode")),
                        str(record.raw.get("NSText")),
                    )
                )


async def simulate_day(plan: DayPlan | None = None) -> DayReport:
    """Run the day; return its report."""
    plan = plan or DayPlan()
    rng = random.Random(plan.seed)  # noqa: S311 - a reproducible day, not a secret
    clock = ManualClock(START)
    sim = RusTechSimulator(
        stations=plan.stations,
        seed=plan.seed,
        clock=clock,
        session_periods=(900, 1800, 3600),
    )
    sim.clock_skew = plan.clock_skew
    report = DayReport()
    account = _Account()
    async with sim.serve() as url, aiohttp.ClientSession() as session:

        def start() -> RusTechSync:
            client = RusTechClient(
                session,
                url,
                EMAIL,
                PASSWORD,
                token=RusTechToken.from_dict(account.token),
                on_token_change=account.store_token,
                request_timeout=plan.request_timeout,
                clock=clock,
            )
            return RusTechSync(client, SyncState.from_dict(account.state))

        sync = start()
        sim.random_faults(plan.fault_rate, DAY_FAULTS, seed=plan.seed, delay=plan.stall)
        for number in range(1, plan.polls + 1):
            clock.advance(POLL_INTERVAL)
            if number % plan.abnormal_every == 0:
                _add_abnormal(sim, rng, clock(), twice=number % 3 == 0)
            if number in plan.cancel_polls:
                await _cancelled_poll(sim, sync, clock)
                account.save(sync)
                report.cancelled += 1
                sync = start()
                report.restarts += 1
                continue
            await _poll(sim, sync, clock, account, report)
            if number % plan.restart_every == 0:
                sync = start()
                report.restarts += 1
        sim.clear_faults()
        report.faulted = sum(sim.faults_drawn.values())
        report.requests = len(sim.requests)
        # The next morning, every station reports once more: all is read.
        clock.advance(POLL_INTERVAL)
        sim.new_session()
        await _poll(sim, sync, clock, account, report)
        report.sign_ins = sim.request_count("auth/sign_in")
        report.lost_tokens = sim.stale_token_count
        token = sync.client.token
        held = token is not None and token.client in sim.sessions(EMAIL)
        report.abandoned_sessions = sim.open_session_count - held
        report.live_sessions = len(sim.sessions(EMAIL))
    _check_events(sim, account, report, clock())
    _check_rows(account, report)
    return report


async def _poll(
    sim: RusTechSimulator,
    sync: RusTechSync,
    clock: ManualClock,
    account: _Account,
    report: DayReport,
) -> None:
    first = len(sim.requests)
    report.polls += 1
    try:
        result = await sync.refresh(datetime.fromtimestamp(clock(), UTC))
    except Exception as err:  # noqa: BLE001 - counted: nothing but ours may escape
        report.failed_polls += 1
        report.failures[type(err).__name__] += 1
        if not isinstance(err, TelemetryHubError):
            report.escaped += 1
        if not _explained(sim, first):
            report.unexplained_failures += 1
    else:
        report.station_failures += len(result.failed)
        account.announce(sync)
    account.save(sync)


async def _cancelled_poll(
    sim: RusTechSimulator, sync: RusTechSync, clock: ManualClock
) -> None:
    """Start a poll and cancel it while its third request is in flight."""
    first = len(sim.requests)
    task = asyncio.ensure_future(sync.refresh(datetime.fromtimestamp(clock(), UTC)))
    while not task.done() and len(sim.requests) < first + 3:  # noqa: ASYNC110
        await asyncio.sleep(0)  # (the simulator records a request as it comes)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelemetryHubError):
        await task


def _explained(sim: RusTechSimulator, first: int) -> bool:
    """Whether a failed poll met a fault the client may not ride out.

    A call whose retry met a fault too; or the session lost twice in one
    poll (a second sign-in waits for the next poll: no sign-in storm).
    """
    faults = [record.fault for record in sim.requests[first:]]
    if any(a and b for a, b in itertools.pairwise(faults)):
        return True
    return sum(fault in _SESSION_FAULTS for fault in faults) >= 2


def _add_abnormal(
    sim: RusTechSimulator, rng: random.Random, now: float, *, twice: bool
) -> None:
    station = rng.choice(sim.stations)
    code = rng.randrange(1, 30)
    sim.add_abnormal(station.id, now, code, f"Событие {code}")
    if twice:
        sim.add_abnormal(station.id, now, code + 1, f"Событие {code + 1}")


def _check_events(
    sim: RusTechSimulator, account: _Account, report: DayReport, now: float
) -> None:
    builder = sim.archive_builder()
    expected: Counter[tuple[int, int, str, str]] = Counter()
    for station in sim.stations:
        first = account.first_cursor.get(station.id)
        last = sim.last_session_at(station.id, now)
        if first is None or last is None:
            continue
        rows = builder.abnormal(
            sim.physics(station.id),
            first + 1,
            last,
            sim.abnormal_records(station.id),
        )
        for row in rows:
            flat = {k: v for item in row["channel_data"] for k, v in item.items()}
            expected[
                (station.id, row["event_time"], str(flat["NSCode"]), flat["NSText"])
            ] += 1
    announced = Counter(account.announced)
    report.events = sum(announced.values())
    report.duplicate_events = sum((announced - expected).values())
    report.missed_events = sum((expected - announced).values())


def _check_rows(account: _Account, report: DayReport) -> None:
    for times in account.hourly.values():
        if not times:
            continue
        report.hourly_rows += len(times)
        report.duplicate_rows += len(times) - len(set(times))
        span = (max(times) - min(times)) // HOUR + 1
        report.missing_rows += span - len(set(times))


def run(plan: DayPlan | None = None) -> DayReport:
    """Run the day in a new event loop."""
    return asyncio.run(simulate_day(plan))
