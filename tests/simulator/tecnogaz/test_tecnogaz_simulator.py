"""The Tecno-Gaz simulator over loopback HTTP, with a bare aiohttp client."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest

from simulators.tecnogaz import (
    BASE_PATH,
    DEFAULT_TOKEN,
    ManualClock,
    TecnoGazSimulator,
)
from simulators.tecnogaz.__main__ import make_simulator, parse_args, run
from tests.simulator.tecnogaz.conftest import AURA, HEADER, ONYX, START, Api, iso


async def test_devices_and_cdn_headers(
    api: Api, sim: TecnoGazSimulator, url: str
) -> None:
    assert url.endswith(BASE_PATH)
    resp, body = await api.get("/devices")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    assert resp.headers["Age"] == "0"
    rows = body["devices"]
    assert [r["serialNumber"] for r in rows] == [AURA, ONYX]
    assert [r["model"] for r in rows] == ["AURA", "ONYX"]
    assert rows[0]["status"] == "ready"
    assert rows[0]["lastSeen"] == iso(START)
    assert rows[0]["activeAlarms"] == 0
    assert rows[0]["lastCycleNumber"] == sim.machine(AURA).cycles[-1].number
    assert sim.token == DEFAULT_TOKEN
    assert sim.requests[-1].call == "devices"
    assert sim.requests[-1].token == sim.token


async def test_auth_and_access_errors(
    api: Api, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    resp, body = await api.get("/devices", token=None)
    assert resp.status == 401
    assert body == {"error": "unauthorized", "message": "Invalid or expired token"}
    assert (await api.get("/devices", token="wrong"))[0].status == 401
    sim.add_token("other", [])
    foreign = sim.add_sterilizer("ONYX", tokens=["other"])
    resp, body = await api.get(f"/devices/{foreign.serial}")
    assert resp.status == 403
    assert body["error"] == "forbidden"
    resp, body = await api.get("/devices/NOPE123/cycles")
    assert resp.status == 404
    assert body["error"] == "not_found"
    resp, body = await api.get("/devices/x/y/z")
    assert resp.status == 404
    assert "<html>" in body
    async with api.session.post(
        f"{api.url}/devices", headers={HEADER: api.token}
    ) as resp:
        assert resp.status == 404
    sim.add_token("short", sim.serials, expires_at=START + 60)
    assert (await api.get("/devices", token="short"))[0].status == 200
    clock.advance(60)
    assert (await api.get("/devices", token="short"))[0].status == 401
    sim.revoke_token()
    assert (await api.get("/devices"))[0].status == 401


async def test_removed_and_deleted_sterilizers(
    api: Api, sim: TecnoGazSimulator
) -> None:
    sim.remove_from_contract(ONYX)
    _, body = await api.get("/devices")
    assert [r["serialNumber"] for r in body["devices"]] == [AURA]
    assert (await api.get(f"/devices/{ONYX}"))[0].status == 403
    sim.delete_sterilizer(ONYX)
    assert (await api.get(f"/devices/{ONYX}"))[0].status == 404


async def test_the_rolling_minute_limit(
    api: Api, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.rate_limit = 3
    for _ in range(3):
        assert (await api.get("/devices"))[0].status == 200
        clock.advance(10)
    resp, body = await api.get("/devices")
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "30"
    assert body["error"] == "rate_limited"
    clock.advance(30)
    assert (await api.get("/devices"))[0].status == 200
    assert sim.max_in_window(sim.token) == 4  # the 429 is in the log too


async def test_cycles_paging_filters_and_running(
    api: Api, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    machine = sim.machine(AURA)
    cycles = machine.cycles
    resp, body = await api.get(f"/devices/{AURA}/cycles", page=1, pageSize=3)
    assert resp.status == 200
    assert [c["cycleNumber"] for c in body["cycles"]] == [
        c.number for c in reversed(cycles[-3:])
    ]
    assert body["total"] == len(cycles)
    assert (body["page"], body["pageSize"]) == (1, 3)
    start = cycles[-5].start
    _, body = await api.get(f"/devices/{AURA}/cycles", **{"from": iso(start)})
    assert len(body["cycles"]) == 5
    _, body = await api.get(
        f"/devices/{AURA}/cycles", **{"from": int(start * 1000), "to": int(START)}
    )
    assert len(body["cycles"]) == 5
    for bad in ({"from": "yesterday"}, {"page": "x"}, {"pageSize": 0}, {"to": "nan"}):
        resp, body = await api.get(f"/devices/{AURA}/cycles", **bad)
        assert resp.status == 400
        assert body["error"] == "bad_request"
    running = sim.start_cycle(AURA, "HELIX", operator="Sara")
    clock.advance(60)
    _, body = await api.get(f"/devices/{AURA}/cycles", pageSize=1)
    row = body["cycles"][0]
    assert row["cycleNumber"] == running.number
    assert row["result"] == "running"
    assert row["endTime"] is None
    assert row["operator"] == "Sara"
    _, devices = await api.get("/devices")
    assert devices["devices"][0]["status"] == "running"
    resp, _ = await api.get(f"/devices/{AURA}/cycles/{running.number}/report")
    assert resp.status == 404
    with pytest.raises(ValueError, match="running"):
        sim.start_cycle(AURA)
    sim.finish_cycle(AURA, "aborted", error_code="A01", error_text="Cancelled")
    clock.advance(60)
    _, body = await api.get(f"/devices/{AURA}/cycles", pageSize=1)
    row = body["cycles"][0]
    assert (row["result"], row["errorCode"]) == ("aborted", "A01")
    _, devices = await api.get("/devices")
    assert devices["devices"][0]["status"] == "failed"
    with pytest.raises(ValueError, match="no open cycle"):
        sim.finish_cycle(AURA)


async def test_reports(api: Api, sim: TecnoGazSimulator) -> None:
    vacuum = sim.run_cycle(AURA, "VACUUM", "failed", duration=1100, error_code="E08")
    resp, body = await api.get(f"/devices/{AURA}/cycles/{vacuum.number}/report")
    assert resp.status == 200
    assert [p["name"] for p in body["phases"]][:2] == ["Vacuum", "Stabilisation"]
    assert body["verificationCode"]
    assert body["samples"][0]["t"] == 0
    custom = sim.run_cycle(AURA, "Z77", duration=600)
    _, body = await api.get(f"/devices/{AURA}/cycles/{custom.number}/report")
    assert body["program"]["name"] == "Custom Z77"
    assert (await api.get(f"/devices/{AURA}/cycles/1/report"))[0].status == 404


async def test_alarms_and_statuses(
    api: Api, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    warning = sim.raise_alarm(AURA, "W01", "Clean water tank empty", "warning")
    clock.advance(60)
    _, devices = await api.get("/devices")
    assert devices["devices"][0]["status"] == "not_ready"
    assert devices["devices"][0]["activeAlarms"] == 1
    assert devices["devices"][0]["alarmsChangedAt"] == iso(warning.raised_at)
    fatal = sim.raise_alarm(AURA, clear_after=600)
    clock.advance(60)
    _, devices = await api.get("/devices")
    assert devices["devices"][0]["status"] == "standby_error"
    _, body = await api.get(f"/devices/{AURA}/alarms", active="true")
    assert [a["id"] for a in body["alarms"]] == [warning.id, fatal.id]
    sim.clear_alarm(AURA, warning.id)
    clock.advance(600)
    _, body = await api.get(f"/devices/{AURA}/alarms", **{"from": iso(START)})
    assert [a["clearedAt"] is not None for a in body["alarms"]] == [True, True]
    _, body = await api.get(f"/devices/{AURA}/alarms", active="true")
    assert body["alarms"] == []
    sim.set_offline(ONYX)
    clock.advance(600)
    _, devices = await api.get("/devices")
    assert devices["devices"][1]["status"] == "offline"
    assert devices["devices"][1]["lastSeen"] == iso(START + 720)
    sim.set_offline(ONYX, offline=False)


async def test_a_fatal_alarm_stops_a_timed_cycle(
    api: Api, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    cycle = sim.start_cycle(AURA, duration=1800)
    clock.advance(300)
    alarm = sim.raise_alarm(AURA, "E03", "Vacuum time exceeded")
    assert alarm.cycle_number == cycle.number
    assert (cycle.result, cycle.error_code, cycle.end) == ("failed", "E03", clock())


async def test_advance_needs_a_manual_clock() -> None:
    sim = TecnoGazSimulator(sterilizers=1, auto=False)
    with pytest.raises(TypeError, match="ManualClock"):
        sim.advance(1)
    assert sim.now() > START


def summary(sim: TecnoGazSimulator) -> tuple[Counter[str], Counter[str], Counter[str]]:
    programs: Counter[str] = Counter()
    results: Counter[str] = Counter()
    alarms: Counter[str] = Counter()
    for serial in sim.serials:
        for cycle in sim.finished_cycles(serial):
            programs[cycle.program] += 1
            results[cycle.result] += 1
        for alarm in sim.machine(serial).alarms:
            alarms[alarm.severity] += 1
    return programs, results, alarms


def test_machines_run_a_realistic_month(clock: ManualClock) -> None:
    sim = TecnoGazSimulator(sterilizers=4, clock=clock, history_days=30)
    sim.advance(86400)
    programs, results, alarms = summary(sim)
    assert {"B134", "B134U", "BD", "HELIX", "VACUUM", "C01"} <= set(programs)
    assert programs["VACUUM"] >= 4 * 20  # one a working day
    assert results["passed"] > 0.8 * sum(results.values())
    assert results["failed"] > 0
    assert results["aborted"] > 0
    assert alarms["alarm"] > 0
    assert alarms["warning"] > 0
    # working days only: nothing starts on a Sunday or at night
    for serial in sim.serials:
        for cycle in sim.machine(serial).cycles:
            moment = datetime.fromtimestamp(cycle.start, UTC)
            assert moment.weekday() != 6
            assert 7 <= moment.hour < 20


def test_the_same_seed_makes_the_same_machines(clock: ManualClock) -> None:
    def snapshot(seed: int) -> list[tuple[str, int, str, float]]:
        sim = TecnoGazSimulator(sterilizers=3, clock=ManualClock(START), seed=seed)
        sim.advance(3 * 86400)
        return [
            (serial, c.number, c.result, c.start)
            for serial in sim.serials
            for c in sim.machine(serial).cycles
        ]

    assert snapshot(5) == snapshot(5)
    assert snapshot(5) != snapshot(6)


def test_the_command_line(clock: ManualClock) -> None:
    args = parse_args(["--port", "0", "--token", "T", "--sterilizers", "3", "--live"])
    assert (args.port, args.token, args.sterilizers, args.live) == (0, "T", 3, True)
    sim = make_simulator(args)
    assert sim.token == "T"
    assert len(sim.serials) == 3
    assert sim.scale < 1
    assert not sim.office_hours
    defaults = parse_args([])
    assert (defaults.port, defaults.sterilizers, defaults.live) == (8125, 2, False)
    assert make_simulator(defaults).scale == 1.0


async def test_live_mode_makes_cycles_every_few_minutes() -> None:
    sim = make_simulator(parse_args(["--sterilizers", "2", "--live"]))
    machine = sim.machine(sim.serials[0])
    recent = [c for c in machine.cycles if c.start > sim.now() - 3600]
    assert len(recent) >= 5


async def test_run_serves_until_stopped(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    task = asyncio.create_task(run(parse_args(["--port", "0", "--sterilizers", "1"])))
    for _ in range(200):
        await asyncio.sleep(0.005)
        if "listening" in capsys.readouterr().out:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
