"""The DEXMA simulator over loopback HTTP: contract, consistency, quotas, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
import json
from typing import Any

import aiohttp
import pytest

from simulators.dexma import DEFAULT_TOKEN, DexmaSimulator, ManualClock
from simulators.dexma.__main__ import build, parse_args, run

START = 1_763_802_000.0  # 2025-11-22 09:00 UTC
MADRID, ADELAIDE, UTC_DEVICE, NO_ZONE = 1001, 1002, 1003, 1004
GAS = 1005


class Api:
    """A bare client of the simulator."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.token = DEFAULT_TOKEN

    async def get(
        self, path: str, method: str = "GET", **params: Any
    ) -> tuple[int, Any, Any]:
        async with self.session.request(
            method,
            f"{self.url}/{path}",
            params={k: str(v) for k, v in params.items()},
            headers={"x-dexcell-token": self.token},
        ) as resp:
            text = await resp.text()
            try:
                body = (
                    json.loads(text)
                    if resp.content_type == "application/json"
                    else None
                )
            except ValueError:
                body = None
            return resp.status, body, resp.headers

    async def values(
        self, device: int, key: str, res: str, op: str, *span: str
    ) -> list[dict[str, Any]]:
        status, body, _ = await self.get(
            "readings",
            device_id=device,
            parameter_key=key,
            resolution=res,
            operation=op,
            **{"from": span[0], "to": span[1]},
        )
        assert status == 200, body
        return list(body["values"])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> DexmaSimulator:
    return DexmaSimulator(devices=12, clock=clock)


@pytest.fixture
async def api(sim: DexmaSimulator, socket_enabled: None) -> AsyncIterator[Api]:
    async with sim.serve() as url, aiohttp.ClientSession() as session:
        yield Api(session, url)


# --------------------------------------------------------------------------
# Contract


async def test_lists_are_bare_arrays_paged_by_start_and_limit(api: Api) -> None:
    status, body, headers = await api.get("devices")
    assert status == 200
    assert isinstance(body, list)
    assert len(body) == 12  # default limit 20
    status, body, _ = await api.get("devices", start=10, limit=5)
    assert [row["id"] for row in body] == [1011, 1012]
    assert headers["X-Ratelimit-Hour-Remaining"] == "999"


async def test_page_limits(api: Api, sim: DexmaSimulator) -> None:
    status, body, headers = await api.get("devices", limit=501)
    assert status == 422
    assert body["0"]["field"] == "limit"
    assert "X-Ratelimit-Day-Limit" in headers
    status, body, _ = await api.get("locations", start=-1)
    assert status == 422
    sim.wrap_lists = True
    status, body, _ = await api.get("locations")
    assert [row["timezone"] for row in body["data"]] == [
        "Europe/Madrid",
        "Australia/Adelaide",
        "UTC",
        None,
    ]


async def test_details_parameters_resolutions(api: Api) -> None:
    status, body, _ = await api.get(f"devices/{GAS}")
    assert body["location"] == {"id": 501}
    status, body, _ = await api.get("locations/504")
    assert body["timezone"] is None
    status, body, _ = await api.get("locations/999")
    assert status == 404
    status, body, _ = await api.get("parameters", device_id=GAS)
    assert [p["key"] for p in body] == ["GASVOLUME", "GASENERGY"]
    assert body[0]["units"] == "m³"
    status, body, _ = await api.get("parameters")
    assert status == 422
    status, body, _ = await api.get("parameters/EACTIVE/resolutions", device_id=MADRID)
    assert "H" in body
    status, body, _ = await api.get("nothing/here")
    assert status == 404
    status, body, _ = await api.get("devices", method="POST")
    assert status == 405


async def test_hidden_device_is_entity_not_found(api: Api, sim: DexmaSimulator) -> None:
    sim.hide_device(MADRID)
    for path, params in (
        (f"devices/{MADRID}", {}),
        ("parameters", {"device_id": MADRID}),
        ("parameters/EACTIVE/resolutions", {"device_id": MADRID}),
        ("readings", {"device_id": MADRID}),
    ):
        status, body, headers = await api.get(path, **params)
        assert status == 403
        assert body == {"errors": [{"message": "Entity not found"}]}
        assert "X-Ratelimit-Hour-Limit" in headers
    sim.hide_device(MADRID, hidden=False)
    status, _, _ = await api.get(f"devices/{MADRID}")
    assert status == 200


async def test_bad_token(api: Api) -> None:
    api.token = "wrong"
    status, body, headers = await api.get("devices")
    assert status == 401
    assert body == {"message": "Invalid token"}
    assert "X-Ratelimit-Hour-Limit" not in headers


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"parameter_key": "NOPE"}, "parameter_key"),
        ({"resolution": "Y"}, "resolution"),
        ({"operation": "SUM"}, "operation"),
        ({"from": "2025-01-01"}, "from"),
        ({"to": "2025-02-30T00:00:00"}, "to"),
        ({"to": "2024-01-01T00:00:00"}, "to"),
        ({"resolution": "FM", "to": "2025-02-01T00:00:00"}, "to"),
        ({"resolution": "H", "to": "2026-01-01T00:00:00"}, "to"),
        ({"resolution": "D", "to": "2035-01-01T00:00:00"}, "to"),
    ],
)
async def test_readings_validation(
    api: Api, params: dict[str, str], field: str
) -> None:
    query = {
        "device_id": MADRID,
        "parameter_key": "EACTIVE",
        "resolution": "H",
        "from": "2025-01-01T00:00:00",
        "to": "2025-01-02T00:00:00",
    } | params
    status, body, headers = await api.get("readings", **query)
    assert status == 422
    assert body["errors"][0]["field"] == field
    assert "X-Ratelimit-Hour-Remaining" in headers


async def test_longest_allowed_ranges_pass(api: Api) -> None:
    for resolution, to in (("FM", "2025-01-31T23:59:59"), ("H", "2025-12-31T23:59:59")):
        status, _, _ = await api.get(
            "readings",
            device_id=UTC_DEVICE,
            parameter_key="EACTIVE",
            resolution=resolution,
            operation="DELTA",
            **{"from": "2025-01-01T00:00:00", "to": to},
        )
        assert status == 200


async def test_empty_ranges_are_204(api: Api, sim: DexmaSimulator) -> None:
    for start, end in (
        ("2026-01-01T00:00:00", "2026-01-02T00:00:00"),  # the future
        ("2019-01-01T00:00:00", "2019-01-02T00:00:00"),  # before the history
    ):
        status, body, headers = await api.get(
            "readings",
            device_id=MADRID,
            parameter_key="TEMP",
            resolution="H",
            **{"from": start, "to": end},
        )
        assert status == 204
        assert body is None
        assert "X-Ratelimit-Hour-Limit" in headers


# --------------------------------------------------------------------------
# Consistency


async def test_delta_sums_to_the_counter_difference(api: Api) -> None:
    for device, key in ((MADRID, "EACTIVE"), (GAS, "GASVOLUME"), (1009, "WATERVOL")):
        span = ("2025-10-26T00:00:00", "2025-10-27T00:00:00")
        deltas = await api.values(
            device, key, "H", "DELTA", span[0], "2025-10-26T23:59:59"
        )
        raw = await api.values(device, key, "D", "RAW", *span)
        assert len(deltas) == 25  # Madrid's autumn day
        total = sum(row["v"] for row in deltas)
        assert total == pytest.approx(raw[1]["v"] - raw[0]["v"], abs=1e-6)
        daily = await api.values(device, key, "D", "DELTA", *span)
        assert daily[0]["v"] == pytest.approx(total, abs=1e-6)


async def test_instantaneous_aggregates_agree(api: Api) -> None:
    span = ("2025-11-01T00:00:00", "2025-11-01T23:59:59")
    avg = await api.values(ADELAIDE, "POWER", "H", "AVG", *span)
    low = await api.values(ADELAIDE, "POWER", "H", "MIN", *span)
    high = await api.values(ADELAIDE, "POWER", "H", "MAX", *span)
    for a, lo, hi in zip(avg, low, high, strict=True):
        assert lo["v"] <= a["v"] <= hi["v"]
        assert a["ts"] == lo["ts"] == hi["ts"]
    day_avg = await api.values(ADELAIDE, "POWER", "D", "AVG", *span)
    day_min = await api.values(ADELAIDE, "POWER", "D", "MIN", *span)
    day_max = await api.values(ADELAIDE, "POWER", "D", "MAX", *span)
    assert day_avg[0]["v"] == pytest.approx(sum(r["v"] for r in avg) / 24, abs=0.01)
    assert day_min[0]["v"] == min(r["v"] for r in low)
    assert day_max[0]["v"] == max(r["v"] for r in high)
    energy = await api.values(ADELAIDE, "EACTIVE", "H", "DELTA", *span)
    for power, consumed in zip(avg, energy, strict=True):
        assert power["v"] == pytest.approx(consumed["v"], rel=0.02)


async def test_grids(api: Api) -> None:
    weeks = await api.values(
        MADRID, "EACTIVE", "W", "DELTA", "2025-09-01T00:00:00", "2025-09-30T00:00:00"
    )
    assert [row["ts"][:10] for row in weeks] == [
        "2025-09-01",
        "2025-09-08",
        "2025-09-15",
        "2025-09-22",
        "2025-09-29",
    ]
    months = await api.values(
        ADELAIDE, "EACTIVE", "M", "DELTA", "2025-01-15T00:00:00", "2025-06-01T00:00:00"
    )
    assert [row["ts"] for row in months][:2] == [
        "2025-02-01T00:00:00+10:30",
        "2025-03-01T00:00:00+10:30",
    ]
    quarter = await api.values(
        ADELAIDE, "TEMP", "QH", "RAW", "2025-11-01T00:00:00", "2025-11-01T01:00:00"
    )
    assert len(quarter) == 5
    base = await api.values(
        NO_ZONE, "EACTIVE", "B", "RAW", "2025-11-01T00:00:00", "2025-11-01T00:30:00"
    )
    assert [row["ts"][-14:] for row in base][:2] == ["00:00:00+00:00", "00:05:00+00:00"]


async def test_late_data_and_corrections(
    api: Api, sim: DexmaSimulator, clock: ManualClock
) -> None:
    lag = sim.device(ADELAIDE).lag
    assert lag == 7200

    async def newest() -> datetime:
        rows = await api.values(
            ADELAIDE,
            "EACTIVE",
            "H",
            "DELTA",
            "2025-11-22T12:00:00",
            "2025-11-22T23:59:59",
        )
        return datetime.fromisoformat(rows[-1]["ts"])

    first = await newest()
    assert first.astimezone(UTC).timestamp() + 3600 <= START - lag
    clock.advance(3600)
    assert (await newest()).timestamp() - first.timestamp() == 3600
    hour = datetime(2025, 11, 22, 2, 30, tzinfo=UTC)
    original = sim.value_at(
        ADELAIDE, "EACTIVE", hour.timestamp() + 3600
    ) - sim.value_at(ADELAIDE, "EACTIVE", hour)
    before = sim.value_at(ADELAIDE, "EACTIVE", hour.timestamp() + 7200)
    sim.correct_hour(ADELAIDE, "EACTIVE", hour, 99.0)
    after = sim.value_at(ADELAIDE, "EACTIVE", hour.timestamp() + 7200)
    assert after - before == pytest.approx(99.0 - original)  # later counters follow
    rows = await api.values(
        ADELAIDE, "EACTIVE", "H", "DELTA", "2025-11-22T13:00:00", "2025-11-22T13:59:59"
    )
    assert rows[0]["v"] == pytest.approx(99.0, abs=0.002)
    with pytest.raises(ValueError, match="not cumulative"):
        sim.correct_hour(ADELAIDE, "POWER", hour, 1.0)
    with pytest.raises(KeyError):
        sim.device(1)


# --------------------------------------------------------------------------
# Quotas and faults


async def test_quota_windows(api: Api, sim: DexmaSimulator, clock: ManualClock) -> None:
    sim.set_quota(hour_limit=3, day_limit=5)
    for remaining in (2, 1, 0):
        status, _, headers = await api.get("locations")
        assert status == 200
        assert headers["X-Ratelimit-Hour-Remaining"] == str(remaining)
    status, body, headers = await api.get("locations")
    assert status == 429
    assert headers["Retry-After"] == "3601"
    assert headers["X-Ratelimit-Hour-Remaining"] == "0"
    assert body["message"]
    assert [r.charged for r in sim.requests] == [True, True, True, False]
    clock.advance(3600)
    status, _, headers = await api.get("locations")
    assert headers["X-Ratelimit-Hour-Remaining"] == "2"
    assert headers["X-Ratelimit-Day-Remaining"] == "1"
    sim.set_quota(day_remaining=0)
    status, _, headers = await api.get("locations")
    assert status == 429
    assert int(headers["Retry-After"]) == 14 * 3600 + 1


async def test_faults(api: Api, sim: DexmaSimulator) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        sim.inject("gremlins")
    sim.inject("server_error", status=502)
    sim.inject("unavailable")
    sim.inject("html")
    sim.inject("not_found")
    sim.inject("rate_limit", retry_after=7)
    sim.inject("empty")
    sim.inject("garbage_quota")
    sim.inject("no_quota")
    sim.inject("malformed_json")
    sim.inject("unauthorized", path="locations")
    statuses = []
    for _ in range(9):
        status, _, _ = await api.get("devices")
        statuses.append(status)
    assert statuses == [502, 503, 200, 404, 429, 204, 200, 200, 200]
    assert sim.requests[-3].status == 200
    status, _, _ = await api.get("locations")
    assert status == 401
    assert sim.request_count("devices") == 9
    sim.clear_requests()
    assert sim.request_count() == 0


async def test_stall_is_recorded(api: Api, sim: DexmaSimulator) -> None:
    sim.inject("timeout", delay=0.2)
    task = asyncio.create_task(api.get("devices"))
    await asyncio.sleep(0.05)
    assert sim.requests[0].status == 0
    status, _, _ = await task
    assert status == 200
    assert sim.requests[0].status == 200


# --------------------------------------------------------------------------
# CLI


def test_cli_arguments_and_build() -> None:
    args = parse_args(["--port", "0", "--token", "T", "--devices", "3", "--live"])
    assert (args.port, args.token, args.devices, args.live) == (0, "T", 3, True)
    sim = build(args)
    assert sim.tokens == {"T"}
    assert {device.lag for device in sim.devices} == {300}
    assert parse_args([]).port == 8126


async def test_cli_serves_until_stopped(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    task = asyncio.create_task(run(parse_args(["--port", "0", "--devices", "2"])))
    for _ in range(100):
        await asyncio.sleep(0.02)
        if "listening" in capsys.readouterr().out:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
