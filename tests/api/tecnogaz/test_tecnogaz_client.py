"""The Tecno-Gaz client against the simulator: every call and every error."""

from __future__ import annotations

from datetime import timedelta
import json

import aiohttp
import pytest

from custom_components.telemetry_hub.api import (
    TelemetryHubNotFoundError,
)
from custom_components.telemetry_hub.api.ratelimit import RateLimiter
from custom_components.telemetry_hub.api.tecnogaz import (
    DEFAULT_URL,
    AlarmSeverity,
    CycleResult,
    Program,
    SterilizerStatus,
    TecnoGazClient,
    limiter_key,
)
from simulators.tecnogaz import ManualClock, TecnoGazSimulator
from tests.api.tecnogaz.conftest import at

AURA, ONYX = "PXZPB5899", "OWZXY8927"
WEEK = timedelta(days=7)


async def test_devices_lists_the_contract(
    client: TecnoGazClient, sim: TecnoGazSimulator
) -> None:
    devices = await client.devices()

    assert [d.serial for d in devices] == [AURA, ONYX]
    aura = devices[0]
    assert aura.model == "AURA"
    assert aura.firmware == "3.2.1"
    assert aura.status is SterilizerStatus.READY
    assert aura.status_raw == "ready"
    newest = sim.machine(AURA).cycles[-1].number
    assert aura.last_cycle_number == newest
    assert aura.cycle_counter == newest + sim.machine(AURA).counter_extra
    assert aura.active_alarms == 0
    assert aura.last_seen is not None
    assert client.request_count == 1
    record = sim.requests[-1]
    assert (record.call, record.token, record.status) == ("devices", sim.token, 200)


async def test_device_and_repr_without_token(
    client: TecnoGazClient, sim: TecnoGazSimulator, url: str
) -> None:
    onyx = await client.device(ONYX)
    assert onyx.serial == ONYX
    assert onyx.model == "ONYX"
    assert sim.token not in repr(client)
    assert repr(client) == f"TecnoGazClient({url!r})"
    assert client.base_url == url


def test_defaults(session: aiohttp.ClientSession) -> None:
    client = TecnoGazClient(session, "secret")
    assert client.base_url == DEFAULT_URL
    assert isinstance(client.limiter, RateLimiter)
    assert client.limiter.max_calls == 80
    assert limiter_key("secret") != "secret"
    assert len(limiter_key("secret")) == 16
    assert limiter_key("secret") == limiter_key("secret")


async def test_cycles_one_page_newest_first(
    client: TecnoGazClient, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    now = at(clock)
    page = await client.cycles(AURA, now - WEEK, now, page_size=5)

    numbers = [c.number for c in page.cycles]
    assert numbers == sorted(numbers, reverse=True)
    assert len(numbers) == 5
    assert page.page == 1
    assert page.page_size == 5
    assert page.total is not None
    assert page.total > 5
    assert page.has_more
    newest = page.cycles[0]
    truth = sim.machine(AURA).cycles[-1]
    assert newest.number == truth.number
    assert newest.program_code == truth.program
    assert newest.result is CycleResult(truth.result)
    assert newest.end is not None
    assert newest.start is not None
    assert newest.operator == truth.operator
    assert newest.report_available is True
    params = sim.requests[-1].params
    assert params["pageSize"] == "5"
    assert params["from"].endswith("Z")
    last = await client.cycles(AURA, now - WEEK, now, page=99, page_size=5)
    assert last.cycles == ()
    assert not last.has_more


async def test_cycles_until_pages_back_to_the_known_cycle(
    client: TecnoGazClient, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    now = at(clock)
    truth = [c.number for c in sim.machine(AURA).cycles]
    stop = truth[-12]
    cycles = await client.cycles_until(AURA, now - WEEK, now, stop_at=stop, page_size=5)
    assert sim.request_count("cycles") == 3  # 5 + 5 + 5 reaches the 12th
    assert [c.number for c in cycles] == sorted(truth[-15:], reverse=True)
    # without a known cycle: until the window's start or the end of the list
    sim.clear_requests()
    everything = await client.cycles_until(AURA, now - WEEK, now, page_size=50)
    in_week = [
        c.number
        for c in sim.machine(AURA).cycles
        if c.start >= (now - WEEK).timestamp()
    ]
    assert sorted(c.number for c in everything) == in_week
    assert sim.request_count("cycles") == -(-len(in_week) // 50)


async def test_cycles_until_stops_at_the_start_and_at_max_pages(
    client: TecnoGazClient, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    now = at(clock)
    sim.style.list_style = "bare"  # no paging info: a full page means "more"
    cycles = await client.cycles_until(AURA, now - WEEK, now, page_size=3, max_pages=2)
    assert len(cycles) == 6
    assert sim.request_count("cycles") == 2
    # a server that ignores `from` is still not read beyond the start
    sim.clear_requests()
    first = sim.machine(AURA).cycles[-4]
    start = at(clock).fromtimestamp(first.start + 1, at(clock).tzinfo)
    cycles = await client.cycles_until(AURA, start - WEEK * 10, now, page_size=3)
    await client.cycles_until(AURA, start, now, page_size=3)
    assert sim.request_count("cycles") >= 2


async def test_a_running_cycle(
    client: TecnoGazClient, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    started = sim.start_cycle(AURA, "PRION", operator="Anna")
    clock.advance(60)
    now = at(clock)
    page = await client.cycles(AURA, now - WEEK, now, page_size=1)
    running = page.cycles[0]
    assert running.number == started.number
    assert running.result is CycleResult.RUNNING
    assert running.program is Program.PRION
    assert not running.finished
    assert running.event_kind is None
    assert running.end is None
    assert running.report_available is False
    with pytest.raises(TelemetryHubNotFoundError) as caught:
        await client.report(AURA, started.number)
    assert caught.value.call == "report"
    devices = {d.serial: d for d in await client.devices()}
    assert devices[AURA].status is SterilizerStatus.RUNNING


async def test_report_has_phases_samples_and_a_verification_code(
    client: TecnoGazClient, sim: TecnoGazSimulator
) -> None:
    cycle = sim.run_cycle(AURA, "B134", "passed", duration=2700)
    report = await client.report(AURA, cycle.number)

    assert report.cycle.number == cycle.number
    assert report.cycle.result is CycleResult.PASSED
    assert [p.name for p in report.phases] == [
        "Pre-vacuum 1",
        "Pre-vacuum 2",
        "Pre-vacuum 3",
        "Heating",
        "Sterilisation",
        "Exhaust",
        "Drying",
    ]
    assert report.phases[0].start == report.cycle.start
    assert report.phases[-1].end == report.cycle.end
    assert max(p.temperature or 0 for p in report.phases) >= 134
    assert len(report.samples) > 100
    assert report.samples[0].t == 0
    assert report.verification_code is not None
    assert len(report.verification_code) == 12
    data = report.as_dict()
    json.dumps(data, allow_nan=False)
    assert data["cycle_number"] == cycle.number
    assert data["phases"][3]["name"] == "Heating"
    assert data["samples"][1]["t"] > 0
    # phase times as seconds from the start read the same
    sim.style.phase_offsets = True
    again = await client.report(AURA, cycle.number)
    assert again.phases == report.phases


async def test_alarms_all_and_active_only(
    client: TecnoGazClient, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    warning = sim.raise_alarm(AURA, "W01", "Clean water tank empty", "warning")
    clock.advance(60)
    fatal = sim.raise_alarm(AURA, "E12", "Vacuum pump overload", "alarm")
    clock.advance(60)
    sim.clear_alarm(AURA, warning.id)
    clock.advance(60)
    now = at(clock)

    alarms = await client.alarms(AURA, now - WEEK, now)
    ours = [a for a in alarms if a.id in {str(warning.id), str(fatal.id)}]
    assert [a.code for a in ours] == ["W01", "E12"]
    assert ours[0].severity is AlarmSeverity.WARNING
    assert not ours[0].active
    assert ours[1].fatal
    assert ours[1].active
    active = await client.alarms(AURA, now - WEEK, now, active_only=True)
    assert [a.id for a in active] == [str(fatal.id)]
    assert sim.requests[-1].params["active"] == "true"
