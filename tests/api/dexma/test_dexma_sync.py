"""The DEXMA sync engine against the simulator: budgets, discovery, backfill, state."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
import json
import logging

import aiohttp
import pytest

from custom_components.telemetry_hub.api import TelemetryHubRateLimitError
from custom_components.telemetry_hub.api.dexma import (
    BackfillPlan,
    Device,
    DexmaClient,
    DexmaValidationError,
    Location,
    Meter,
    Parameter,
    QuotaTracker,
    Resolution,
)
from custom_components.telemetry_hub.api.dexma.state import (
    CallLedger,
    DeviceState,
    MeterState,
    SyncState,
)
from custom_components.telemetry_hub.api.dexma.streams import hourly_resolution
from custom_components.telemetry_hub.api.dexma.sync import DexmaSync, SyncSettings
from simulators.dexma import DEFAULT_TOKEN, DexmaSimulator, ManualClock

DEFAULTS = frozenset(
    {"EACTIVE", "GASVOLUME", "GASENERGY", "WATERVOL", "POWER", "TEMP", "VOLTAGE"}
)
HOUR = 3600
DAY = 86_400


def make_sync(
    session: aiohttp.ClientSession,
    url: str,
    clock: ManualClock,
    **settings: object,
) -> DexmaSync:
    tracker = QuotaTracker(share=float(settings.get("share", 0.5)))  # type: ignore[arg-type]
    client = DexmaClient(
        session, DEFAULT_TOKEN, base_url=url, on_quota=tracker.observe, clock=clock
    )
    options: dict[str, object] = {"defaults": DEFAULTS, **settings}
    return DexmaSync(client, tracker, SyncSettings(**options), clock=clock)  # type: ignore[arg-type]


async def tick(sync: DexmaSync, clock: ManualClock) -> None:
    await sync.refresh(datetime.fromtimestamp(clock(), UTC))
    sync.take_fetched()
    clock.advance(sync.plan.interval)


def known_portfolio(sim: DexmaSimulator) -> SyncState:
    """The simulator's portfolio as the engine knows it after discovery."""
    state = SyncState()
    for location in sim.locations:
        state.locations[location.id] = Location(
            location.id, location.name, location.timezone
        )
    for device in sim.devices:
        state.devices[device.id] = DeviceState(
            Device(device.id, device.name, location_id=device.location.id),
            tuple(
                Parameter(p.key, p.id, p.name, p.units)
                for p in device.parameters.values()
            ),
            parameters_at=0.0,
        )
    return state


@pytest.mark.parametrize(
    ("devices", "streams", "per_refresh", "interval", "batches"),
    [
        (10, 26, 26, 900, 1),
        (100, 232, 232, 5083, 1),
        (500, 1132, 378, 8640, 3),
    ],
)
def test_plans_at_default_settings(
    devices: int, streams: int, per_refresh: int, interval: int, batches: int
) -> None:
    """Figures of the README: 1000 calls an hour, 10 000 a day, half for us."""
    sim = DexmaSimulator(devices=devices, clock=ManualClock(0))
    sync = DexmaSync(None, QuotaTracker(), SyncSettings(defaults=DEFAULTS))  # type: ignore[arg-type]
    sync.state = known_portfolio(sim)
    plan = sync.replan(0)
    assert (plan.streams, plan.calls_per_refresh, plan.interval, plan.batches) == (
        streams,
        per_refresh,
        interval,
        batches,
    )
    assert plan.max_calls_in_an_hour <= 500
    assert plan.calls_per_day <= 5000
    assert sync.budgets == (500, 5000)
    assert plan.stretched is (devices > 10)


@pytest.mark.parametrize(("devices", "ticks"), [(10, 12), (100, 4), (500, 4)])
async def test_ticks_never_exceed_the_share(
    session: aiohttp.ClientSession,
    clock: ManualClock,
    socket_enabled: None,
    devices: int,
    ticks: int,
) -> None:
    sim = DexmaSimulator(devices=devices, clock=clock)
    async with sim.serve() as url:
        sync = make_sync(session, url, clock)
        for _ in range(ticks):
            await tick(sync, clock)
    per_hour = Counter(int(r.at // HOUR) for r in sim.requests if r.charged)
    assert max(per_hour.values()) <= 500
    assert not [r for r in sim.requests if r.status >= 400]
    # Discovery was paced: the first tick did not spend the hour on it.
    first = [r for r in sim.requests if r.at == sim.requests[0].at]
    assert sum(1 for r in first if r.path == "parameters") <= 62


async def test_backfill_calls_are_the_minimum(
    session: aiohttp.ClientSession, clock: ManualClock, socket_enabled: None
) -> None:
    sim = DexmaSimulator(devices=10, clock=clock)
    async with sim.serve() as url:
        sync = make_sync(session, url, clock, history_days=0)
        await tick(sync, clock)
        today = datetime.fromtimestamp(clock(), UTC).date()
        plans = sync.queue_history(None, today - timedelta(days=365), today)
        assert sum(p.total_calls for p in plans) == sum(
            p.minimum_calls() for p in plans
        )
        sim.clear_requests()
        while sync.state.backfills:
            await sync.backfill_now(datetime.fromtimestamp(clock(), UTC))
            sync.take_fetched()
            clock.advance(900)
    made = [r for r in sim.requests if r.path == "readings"]
    # 14 counters with statistics (energy, volume), two calls each for a year.
    assert len(made) == 28


@pytest.mark.parametrize(
    ("meters", "days", "calls"),
    [(10, 30, 10), (100, 30, 100), (10, 366, 20), (100, 366, 200)],
)
def test_backfill_plans_make_the_fewest_calls(
    meters: int, days: int, calls: int
) -> None:
    zones = ["Europe/Madrid", "Australia/Adelaide", "UTC", None]
    plan = BackfillPlan(
        [Meter(1000 + i, "EACTIVE", zones[i % 4]) for i in range(meters)],
        date(2025, 1, 1),
        date(2025, 1, 1) + timedelta(days=days),
    )
    assert plan.total_calls == plan.minimum_calls() == calls


@pytest.mark.parametrize(
    ("zone", "resolution"),
    [
        (None, Resolution.H),
        ("UTC", Resolution.H),
        ("Europe/Madrid", Resolution.H),
        ("Australia/Adelaide", Resolution.HH),
        ("Asia/Kolkata", Resolution.HH),
        ("Asia/Kathmandu", Resolution.QH),
        ("Pacific/Chatham", Resolution.QH),
    ],
)
def test_hourly_resolution_follows_the_zone_offsets(
    zone: str | None, resolution: Resolution
) -> None:
    assert hourly_resolution(zone) is resolution


async def test_state_survives_a_restart(
    session: aiohttp.ClientSession, clock: ManualClock, socket_enabled: None
) -> None:
    sim = DexmaSimulator(devices=6, clock=clock, hour_limit=40, day_limit=400)
    async with sim.serve() as url:
        sync = make_sync(session, url, clock, history_days=366)
        for _ in range(5):
            await tick(sync, clock)
            plans = sync.state.backfills
            if any(0 < p.remaining_calls < p.total_calls for p in plans):
                break
        stored = json.loads(json.dumps(sync.state.as_dict()))
        again = make_sync(session, url, clock, history_days=366)
        again.restore(SyncState.from_dict(stored))
        assert again.state.as_dict() == stored
        assert again.tracker.latest is not None
        assert again.plan == sync.plan
        done = {p.start: p.remaining_calls for p in again.state.backfills}
        assert done
        sim.clear_requests()
        for _ in range(12):
            await tick(again, clock)
    assert not again.state.backfills
    history = [
        (r.params["device_id"], r.params["parameter_key"], r.params["from"])
        for r in sim.requests
        if r.params.get("operation") == "DELTA"
        and r.params["from"].endswith("00:00:00")
    ]
    assert len(history) == len(set(history))


def test_unreadable_state_parts_are_dropped() -> None:
    assert SyncState.from_dict(None).devices == {}
    assert SyncState.from_dict({"version": 99}).devices == {}
    state = SyncState.from_dict(
        {
            "version": 1,
            "devices": [
                {"device": {"id": 5, "name": "A"}, "parameters": [{"key": "TEMP"}, {}]},
                {"x": 1},
            ],
            "locations": [{"id": 1, "name": "L"}, "garbage"],
            "meters": [
                {
                    "device_id": 5,
                    "key": "TEMP",
                    "resolution": "B",
                    "latest": {"ts": "2025-01-01T00:00:00+01:00", "v": 2},
                },
                {"device_id": 5, "key": "TEMP", "resolution": "nope"},
                {"device_id": None, "key": "X", "resolution": "H"},
                {
                    "device_id": 6,
                    "key": "X",
                    "resolution": "H",
                    "latest": {"ts": "2025-01-01T00:00:00", "v": 1},
                },
                {
                    "device_id": 7,
                    "key": "X",
                    "resolution": "H",
                    "latest": {"ts": "not a time", "v": 1},
                },
            ],
            "backfills": [{"version": 2}],
            "ledger": [[100, 2], [105, 1], "x", [1, "y"], [50, 0]],
            "quota": {"observed_at": "soon"},
            "tick": -3,
        }
    )
    assert list(state.devices) == [5]
    assert state.devices[5].parameters == (Parameter("TEMP"),)
    assert list(state.locations) == [1]
    assert set(state.meters) == {"5/TEMP", "6/X", "7/X"}
    assert state.meters["5/TEMP"].latest is not None
    assert state.meters["6/X"].latest is None
    assert state.backfills == []
    assert state.ledger.as_list() == [[100, 3]]
    assert state.quota is None
    assert state.tick == 0
    assert (
        SyncState.from_dict({"version": 1, "quota": {"observed_at": 5}}).quota is None
    )


def test_the_ledger_bounds_every_rolling_window() -> None:
    ledger = CallLedger()
    ledger.record(1000, 10)
    ledger.record(1005, 5)
    ledger.record(995, 1)  # a clock that went back
    ledger.record(990, 1)
    ledger.record(float("nan"), 3)
    ledger.record(2000, 0)
    assert len(ledger) == 17
    assert ledger.since(999) == 17  # the bucket at 990 may reach past 999
    assert ledger.since(1000) == 15
    # Room now in an hour of 40: 40 - 17; later ticks keep room for 10 each.
    assert ledger.allowance(1100, interval=900, steady=10, budgets=[(HOUR, 40)]) == 0
    assert ledger.allowance(1100, interval=900, steady=1, budgets=[(HOUR, 40)]) == 20
    assert ledger.allowance(1100, interval=900, steady=0, budgets=()) == 0
    ledger.prune(1000 + DAY + 100)
    assert len(ledger) == 0


async def test_a_device_missing_from_listings_goes_after_three(
    session: aiohttp.ClientSession,
    clock: ManualClock,
    socket_enabled: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = DexmaSimulator(devices=4, clock=clock)
    async with sim.serve() as url:
        sync = make_sync(session, url, clock, history_days=0)
        await tick(sync, clock)
        sim.hide_device(1002)
        with caplog.at_level(logging.INFO):
            for day in range(3):
                clock.advance(DAY)
                await tick(sync, clock)
                assert (1002 in sync.state.devices) is (day < 2)
        assert "1002/EACTIVE" not in sync.state.meters
        assert (
            len(
                [
                    r
                    for r in caplog.records
                    if "missing from the device listing" in r.getMessage()
                ]
            )
            == 1
        )
        assert (
            len([r for r in caplog.records if "left the account" in r.getMessage()])
            == 1
        )


async def test_a_refused_device_is_tried_again_after_a_day(
    session: aiohttp.ClientSession, clock: ManualClock, socket_enabled: None
) -> None:
    sim = DexmaSimulator(devices=4, clock=clock)
    async with sim.serve() as url:
        sync = make_sync(session, url, clock, history_days=0)
        await tick(sync, clock)
        sim.hide_device(1003)
        await tick(sync, clock)
        assert sync.state.devices[1003].denied_at is not None
        sim.clear_requests()
        await tick(sync, clock)
        assert not readings_of(sim, "1003")  # refused: not asked again today
        sim.hide_device(1003, hidden=False)
        clock.advance(DAY)
        await tick(sync, clock)
        assert readings_of(sim, "1003")
        assert sync.state.devices[1003].reachable


def readings_of(sim: DexmaSimulator, device: str) -> list[dict[str, str]]:
    return [
        r.params
        for r in sim.requests
        if r.path == "readings" and r.params["device_id"] == device
    ]


async def test_discovery_reads_parameters_again_weekly_and_follows_options(
    session: aiohttp.ClientSession, clock: ManualClock, socket_enabled: None
) -> None:
    sim = DexmaSimulator(devices=8, clock=clock)
    async with sim.serve() as url:
        sync = make_sync(
            session,
            url,
            clock,
            history_days=0,
            devices=frozenset({1001, 1005}),
            parameters=frozenset({"EACTIVE", "GASVOLUME"}),
        )
        await tick(sync, clock)
        assert {s.meter_key for s in sync.streams()} == {
            "1001/EACTIVE",
            "1005/GASVOLUME",
        }
        assert sum(1 for r in sim.requests if r.path == "parameters") == 2
        sim.clear_requests()
        clock.advance(8 * DAY)
        await tick(sync, clock)
        assert sum(1 for r in sim.requests if r.path == "parameters") == 2


async def test_a_used_up_quota_raises_before_any_call(
    session: aiohttp.ClientSession, clock: ManualClock, socket_enabled: None
) -> None:
    sim = DexmaSimulator(devices=4, clock=clock)
    async with sim.serve() as url:
        sync = make_sync(session, url, clock, history_days=0)
        await tick(sync, clock)
        sim.set_quota(day_remaining=0)
        with pytest.raises(TelemetryHubRateLimitError):
            await tick(sync, clock)
        sim.clear_requests()
        with pytest.raises(TelemetryHubRateLimitError) as raised:
            await sync.refresh(datetime.fromtimestamp(clock(), UTC))
        assert sim.requests == []
        assert raised.value.retry_after is not None
        assert sync.take_fetched() == []


async def test_a_refused_history_range_is_skipped_with_one_line(
    session: aiohttp.ClientSession,
    clock: ManualClock,
    socket_enabled: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = DexmaSimulator(devices=1, clock=clock)
    async with sim.serve() as url:
        sync = make_sync(session, url, clock, history_days=0)
        await tick(sync, clock)
        today = datetime.fromtimestamp(clock(), UTC).date()
        sync.queue_history([1001], today - timedelta(days=3), today)
        del sim.device(1001).parameters["EACTIVE"]
        with caplog.at_level(logging.WARNING):
            await sync.backfill_now(datetime.fromtimestamp(clock(), UTC))
        assert not sync.state.backfills
        assert (
            len([r for r in caplog.records if "history range" in r.getMessage()]) == 1
        )
        sim.hide_device(1001)
        sync.queue_history([1001], today - timedelta(days=3), today)
        await sync.backfill_now(datetime.fromtimestamp(clock(), UTC))
        assert sync.state.devices[1001].denied_at is not None
        assert sync.state.backfills  # kept for when the device answers again


def test_meter_and_device_state_round_trip() -> None:
    meter = MeterState(1, "TEMP", Resolution.B, invalid="422")
    assert MeterState.from_dict(meter.as_dict()) == meter
    device = DeviceState(Device(1, "A"), None, missing=2)
    assert DeviceState.from_dict(device.as_dict()) == device
    assert not device.reachable


async def test_parameters_refused_or_invalid(
    session: aiohttp.ClientSession,
    clock: ManualClock,
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = DexmaSimulator(devices=3, clock=clock)
    async with sim.serve() as url:
        sync = make_sync(session, url, clock, history_days=2)
        real = sync.client.parameters

        async def parameters(device_id: int) -> list[Parameter]:
            if device_id == 1002:
                msg = "bad device id"
                raise DexmaValidationError(msg, call="parameters")
            return await real(device_id)

        monkeypatch.setattr(sync.client, "parameters", parameters)
        await sync.refresh(datetime.fromtimestamp(clock(), UTC))
        report = sync.last
        assert report is not None
        assert (
            report.calls
            == report.listing + report.discovery + report.steady + report.backfill
        )
        assert sync.state.devices[1002].parameters == ()
        assert sync.state.backfills == []
        # A device refused while its history waits: forgotten with it.
        today = datetime.fromtimestamp(clock(), UTC).date()
        sync.queue_history(None, today - timedelta(days=5), today)
        assert sync.state.backfills
        sync.state.drop_device(1001)
        sync.state.drop_device(1003)
        assert sync.state.backfills == []
        sim.hide_device(1003)
        sync.state.devices[1003] = DeviceState(Device(1003, "Back"))
        clock.advance(60)
        await sync.refresh(datetime.fromtimestamp(clock(), UTC))
        assert sync.state.devices[1003].denied_at is not None
