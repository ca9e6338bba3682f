"""The Tecno-Gaz simulator's variations, faults and staleness over loopback."""

from __future__ import annotations

import asyncio
from collections import Counter
import json
from typing import Any

import aiohttp
import pytest

from simulators.tecnogaz import BASE_PATH, ManualClock, TecnoGazSimulator
from tests.simulator.tecnogaz.conftest import AURA, START, Api, iso


@pytest.mark.parametrize(
    ("style", "check"),
    [
        ("iso_offset", lambda v: v.endswith("+01:00")),
        ("epoch_s", lambda v: isinstance(v, int) and v < 10**11),
        ("epoch_ms", lambda v: isinstance(v, int) and v > 10**11),
        ("iso_z", lambda v: v.endswith("Z")),
    ],
)
async def test_time_formats(
    api: Api, sim: TecnoGazSimulator, style: str, check: Any
) -> None:
    sim.style.time_format = style  # type: ignore[assignment]
    _, body = await api.get("/devices")
    assert check(body["devices"][0]["lastSeen"])


async def test_variations(api: Api, sim: TecnoGazSimulator) -> None:
    sim.style.time_format = "mixed"
    sim.style.numbers_as_strings = True
    sim.style.extra_fields = True
    sim.style.list_style = "mixed"
    shapes = []
    for _ in range(2):
        _, body = await api.get(f"/devices/{AURA}/cycles", pageSize=20)
        shapes.append(type(body).__name__)
        rows = body if isinstance(body, list) else body["cycles"]
        assert isinstance(rows[0]["cycleNumber"], str)
        assert rows[0]["lotNumber"].startswith("L")
    assert sorted(shapes) == ["dict", "list"]
    kinds = {type(row["startTime"]).__name__ for row in rows}
    assert kinds == {"str"}  # numbers as strings: epochs too
    formats = Counter("iso" if "T" in row["startTime"] else "epoch" for row in rows)
    assert set(formats) == {"iso", "epoch"}
    sim.style.list_style = "bare"
    _, body = await api.get("/devices")
    assert isinstance(body, list)
    assert body[0]["distroId"] == 4417
    sim.style.list_style = "wrapped"
    _, body = await api.get("/devices")
    assert body["region"] == "eu-south-1"
    _, body = await api.get(f"/devices/{AURA}/alarms")
    assert "alarms" in body


@pytest.mark.parametrize(
    ("kind", "options", "status"),
    [
        ("server_error", {"status": 503}, 503),
        ("html", {}, 200),
        ("not_found", {}, 404),
        ("unauthorized", {}, 401),
        ("forbidden", {}, 403),
        ("rate_limit", {"retry_after": 7}, 429),
        ("raw", {"status": 418, "body": "teapot", "content_type": "text/plain"}, 418),
        ("malformed_json", {}, 200),
        ("stale", {"age": 120}, 200),
        ("mutate", {"fn": lambda b: {"wrapped": b}, "headers": {"X-Odd": "1"}}, 200),
    ],
)
async def test_faults(
    api: Api, sim: TecnoGazSimulator, kind: str, options: dict[str, Any], status: int
) -> None:
    sim.inject(kind, call="devices", **options)
    assert (await api.get(f"/devices/{AURA}"))[0].status == 200  # other calls
    resp, body = await api.get("/devices")
    assert resp.status == status
    if kind == "rate_limit":
        assert resp.headers["Retry-After"] == "7"
    if kind == "malformed_json":
        with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
            json.loads(body)
    if kind == "stale":
        assert resp.headers["Age"] == "120"
    if kind == "mutate":
        assert "wrapped" in body
        assert resp.headers["X-Odd"] == "1"
    assert (await api.get("/devices"))[0].status == 200  # used up


async def test_connection_faults(api: Api, sim: TecnoGazSimulator) -> None:
    sim.inject("reset", count=2)
    with pytest.raises(aiohttp.ClientError):
        await api.get("/devices")
    sim.clear_faults()
    sim.inject("partial", count=2)
    with pytest.raises(aiohttp.ClientError):
        await api.get("/devices")
    sim.clear_faults()
    sim.inject("timeout", delay=5)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(api.get("/devices"), 0.05)
    assert sim.requests[-1].status == 0
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.inject("meteor")
    sim.inject("html", count=0)  # nothing queued
    assert (await api.get("/devices"))[0].status == 200


async def test_a_broken_path_answers_404_until_restored(
    api: Api, sim: TecnoGazSimulator
) -> None:
    sim.break_call("alarms")
    assert (await api.get(f"/devices/{AURA}/alarms"))[0].status == 404
    sim.restore_call("alarms")
    assert (await api.get(f"/devices/{AURA}/alarms"))[0].status == 200
    assert sim.request_count("alarms") == 2
    assert sim.calls() == ["alarms", "alarms"]
    sim.clear_requests()
    assert sim.request_count() == 0


async def test_stale_snapshots_and_the_cdn_cache(
    api: Api, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.cache_ttl = 120
    _, first = await api.get("/devices")
    clock.advance(1)
    sim.run_cycle(AURA, duration=59)
    resp, cached = await api.get("/devices")
    assert resp.headers["Age"] == "60"
    assert cached == first  # the CDN still serves the older answer
    clock.advance(120)
    _, fresh = await api.get("/devices")
    assert fresh != first
    sim.cache_ttl = 0
    sim.stale_rate = 1.0
    sim.stale_age = (3600.0, 3600.0)
    resp, stale = await api.get("/devices")
    assert resp.headers["Age"] == "3600"
    assert (
        stale["devices"][0]["lastCycleNumber"] < fresh["devices"][0]["lastCycleNumber"]
    )


async def test_odd_requests(api: Api, sim: TecnoGazSimulator, url: str) -> None:
    sim.latency = 0.001
    naive = iso(START - 86400).removesuffix("Z")
    resp, _ = await api.get(f"/devices/{AURA}/cycles", **{"from": naive})
    assert resp.status == 200
    outside = url.removesuffix(BASE_PATH)
    async with api.session.get(f"{outside}/other/devices") as resp:
        assert resp.status == 404
    assert sim.requests[-1].call is None
    cycle = sim.start_cycle(AURA, "B121", duration=900, result="failed")
    assert (cycle.result, cycle.error_code, cycle.end) == ("failed", "E99", START + 900)
