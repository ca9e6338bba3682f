"""Span splitting, minimum calls, and the resumable backfill plan."""

# ruff: noqa: DTZ001, DTZ901 - the API speaks naive local wall times

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import itertools
import json
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.telemetry_hub.api.dexma import (
    BackfillPlan,
    DexmaClient,
    Meter,
    Operation,
    ReadingsCall,
    Resolution,
    calls_for_range,
    local_range,
    minimum_backfill_calls,
    minimum_calls,
    split_range,
)
from custom_components.telemetry_hub.api.dexma.spans import (
    add_months,
    is_ambiguous,
    span_end,
)
from simulators.dexma import DEFAULT_TOKEN, DexmaSimulator, ManualClock

ZONES = ("Europe/Madrid", "Australia/Adelaide", "UTC", None)
SECOND = timedelta(seconds=1)


def _meters(count: int, key: str = "EACTIVE") -> list[Meter]:
    return [Meter(1001 + i, key, ZONES[i % 4]) for i in range(count)]


def _contiguous(pairs: list[tuple[datetime, datetime]]) -> bool:
    return all(nxt - to == SECOND for (_, to), (nxt, _) in itertools.pairwise(pairs))


# --------------------------------------------------------------------------
# Splitting


def test_calendar_months_clamp() -> None:
    assert add_months(datetime(2024, 1, 31), 1) == datetime(2024, 2, 29)
    assert add_months(datetime(2025, 11, 30, 5), 3) == datetime(2026, 2, 28, 5)
    assert span_end(Resolution.H, datetime(2025, 1, 1)) == datetime(
        2025, 12, 31, 23, 59, 59
    )
    assert span_end(Resolution.D, datetime(9995, 1, 1)) == datetime.max.replace(
        microsecond=0
    )


@pytest.mark.parametrize(
    ("resolution", "days", "expected"),
    [
        (Resolution.B, 31, 1),
        (Resolution.FM, 62, 3),
        (Resolution.QH, 366, 2),
        (Resolution.H, 30, 1),
        (Resolution.H, 365, 1),
        (Resolution.H, 366, 2),
        (Resolution.H, 800, 3),
        (Resolution.D, 3652, 1),
        (Resolution.W, 3654, 2),
        (Resolution.M, 100, 1),
    ],
)
def test_split_is_minimal_and_contiguous(
    resolution: Resolution, days: int, expected: int
) -> None:
    start = datetime(2025, 1, 1)
    end = start + timedelta(days=days) - SECOND
    pairs = split_range(resolution, start, end, ZoneInfo("Europe/Madrid"))
    assert len(pairs) == expected == minimum_calls(resolution, start, end)
    assert pairs[0][0] == start
    assert pairs[-1][1] == end
    assert _contiguous(pairs)
    for call_start, call_end in pairs:
        assert call_end <= span_end(resolution, call_start)


def test_inverted_range_has_no_call() -> None:
    assert split_range(Resolution.H, datetime(2025, 2, 1), datetime(2025, 1, 1)) == []


def test_boundary_in_a_dst_gap_moves_back() -> None:
    # Chile starts DST at local midnight: 2025-09-07T00:00 does not exist.
    zone = ZoneInfo("America/Santiago")
    assert is_ambiguous(datetime(2025, 9, 7), zone)
    assert not is_ambiguous(datetime(2025, 9, 7), None)
    start = datetime(2025, 8, 7)
    pairs = split_range(Resolution.B, start, datetime(2025, 9, 20), zone)
    assert pairs[0][1] == datetime(2025, 9, 6, 23, 44, 59)
    assert pairs[1][0] == datetime(2025, 9, 6, 23, 45)
    assert _contiguous(pairs)


def test_local_range_of_dates_and_instants() -> None:
    assert local_range(date(2025, 3, 1), date(2025, 4, 1), "Europe/Madrid") == (
        datetime(2025, 3, 1),
        datetime(2025, 3, 31, 23, 59, 59),
    )
    start = datetime(2025, 6, 1, 22, tzinfo=UTC)
    assert local_range(start, start + timedelta(hours=2), "Australia/Adelaide") == (
        datetime(2025, 6, 2, 7, 30),
        datetime(2025, 6, 2, 9, 29, 59),
    )


def test_range_ending_in_the_repeated_hour_is_widened() -> None:
    # Madrid, 2025-10-26: 01:00 UTC is the second 02:00 (CET).
    second_two = datetime(2025, 10, 26, 1, tzinfo=UTC)
    start, end = local_range(
        second_two - timedelta(hours=3), second_two, "Europe/Madrid"
    )
    assert start == datetime(2025, 10, 26, 0, 0)
    assert end == datetime(2025, 10, 26, 2, 59, 59)  # the whole fold is inside
    start, _ = local_range(second_two, second_two + timedelta(hours=3), "Europe/Madrid")
    assert start == datetime(2025, 10, 26, 1, 45)


def test_calls_for_range_and_params() -> None:
    meter = Meter(1002, "EACTIVE", "Australia/Adelaide")
    calls = calls_for_range(meter, date(2024, 1, 1), date(2025, 3, 1))
    assert [c.index for c in calls] == [0, 1]
    assert calls[0].params() == {
        "device_id": "1002",
        "parameter_key": "EACTIVE",
        "resolution": "H",
        "from": "2024-01-01T00:00:00",
        "to": "2024-12-31T23:59:59",
        "operation": "DELTA",
    }
    raw = calls_for_range(meter, date(2025, 1, 1), date(2025, 1, 2), operation=None)
    assert "operation" not in raw[0].params()
    assert raw[0].meter_key == meter.key == "1002/EACTIVE"


# --------------------------------------------------------------------------
# Backfill plan


@pytest.mark.parametrize("meters", [10, 100])
@pytest.mark.parametrize("days", [30, 31, 366])
def test_backfill_is_within_a_tenth_of_the_minimum(meters: int, days: int) -> None:
    end = date(2025, 11, 22)
    plan = BackfillPlan(_meters(meters), end - timedelta(days=days), end)
    minimum = minimum_backfill_calls(plan.meters.values(), plan.start, plan.end)
    assert plan.total_calls <= 1.1 * minimum
    assert plan.minimum_calls() == minimum
    assert minimum == meters * (2 if days == 366 else 1)


def test_backfill_consumed_within_a_budget_and_resumed() -> None:
    end = date(2025, 11, 22)
    plan = BackfillPlan(_meters(100), end - timedelta(days=366), end)
    assert plan.total_calls == 200
    made: list[ReadingsCall] = []
    refreshes = 0
    while not plan.finished:
        batch = plan.next_batch(45)
        assert 0 < len(batch) <= 45
        for call in batch:
            made.append(call)
            plan.mark_done(call)
        refreshes += 1
        if refreshes == 2:  # restart in the middle: only the stored dict survives
            stored = json.loads(json.dumps(plan.as_dict()))
            plan = BackfillPlan.from_dict(stored)  # type: ignore[assignment]
            assert plan is not None
            assert plan.remaining_calls == 110
    assert refreshes == 5
    assert len(made) == len({(c.meter_key, c.index) for c in made}) == 200
    assert plan.next_batch(10) == []
    assert "0/200 calls left" in repr(plan)


def test_meters_complete_one_after_another() -> None:
    plan = BackfillPlan(_meters(3), date(2024, 1, 1), date(2025, 6, 1))
    batch = plan.next_batch(3)
    assert [(c.device_id, c.index) for c in batch] == [(1001, 0), (1001, 1), (1002, 0)]
    for call in batch:
        plan.mark_done(call)
    assert plan.meter_finished("1001/EACTIVE")
    assert not plan.meter_finished("1002/EACTIVE")
    plan.drop_meter("1002/EACTIVE")
    assert plan.calls("1002/EACTIVE") == ()
    assert [c.device_id for c in plan.pending()] == [1003, 1003]


def test_plan_ignores_duplicates_and_unknown_calls() -> None:
    meter = Meter(1, "EACTIVE", "UTC")
    plan = BackfillPlan([meter, meter], date(2025, 1, 1), date(2025, 2, 1))
    assert plan.total_calls == 1
    plan.mark_done(
        ReadingsCall(
            9, "X", Resolution.H, None, datetime(2025, 1, 1), datetime(2025, 1, 2)
        )
    )
    stranger = plan.pending()[0]
    plan.mark_done(
        ReadingsCall(
            1, "EACTIVE", Resolution.H, None, stranger.start, stranger.end, "UTC", 7
        )
    )
    assert plan.remaining_calls == 1


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"version": 2},
        {"version": 1, "start": "2025-01-01", "end": "later", "resolution": "H"},
        {"version": 1, "start": "2025-01-01", "end": "2025-02-01", "resolution": "X"},
        {
            "version": 1,
            "start": "2025-01-01T00:00:00",
            "end": "2025-02-01",
            "resolution": "H",
        },
        {"version": 1, "start": 5, "end": "2025-02-01", "resolution": "H"},
        {
            "version": 1,
            "start": "2025-01-01",
            "end": "2025-02-01",
            "resolution": "H",
            "operation": "SUM",
        },
    ],
)
def test_unusable_stored_plans(data: dict[str, object] | None) -> None:
    assert BackfillPlan.from_dict(data) is None


def test_stored_plan_is_tolerant_of_odd_rows() -> None:
    data = {
        "version": 1,
        "start": "2025-01-01T00:00:00+00:00",
        "end": "2025-03-01T00:00:00+00:00",
        "resolution": "FM",
        "operation": None,
        "meters": [
            {
                "device_id": "5",
                "parameter_key": "TEMP",
                "timezone": None,
                "done": [0, "x", 99],
            },
            {"device_id": None, "parameter_key": "TEMP"},
            "junk",
        ],
    }
    plan = BackfillPlan.from_dict(data)
    assert plan is not None
    assert plan.operation is None
    assert plan.total_calls == 2
    assert plan.remaining_calls == 1
    assert plan.as_dict()["meters"][0]["done"] == [0]


async def test_backfill_against_the_simulator_fills_every_hour_once(
    session: aiohttp.ClientSession, clock: ManualClock, socket_enabled: None
) -> None:
    sim = DexmaSimulator(devices=4, clock=clock)
    end = datetime.fromtimestamp(clock(), UTC) - timedelta(hours=6)
    start = end - timedelta(days=31)
    plan = BackfillPlan(_meters(4), start, end, resolution=Resolution.H)
    stamps: dict[str, list[datetime]] = {}
    async with sim.serve() as url:
        client = DexmaClient(session, DEFAULT_TOKEN, base_url=url, clock=clock)
        while not plan.finished:
            for call in plan.next_batch(1):
                series = await client.fetch(call)
                stamps.setdefault(call.meter_key, []).extend(
                    r.ts for r in series.readings
                )
                plan.mark_done(call)
            plan = BackfillPlan.from_dict(plan.as_dict())  # type: ignore[assignment]
    assert sim.request_count("readings") == 4 == plan.minimum_calls()
    for key, found in stamps.items():
        utc = sorted(ts.astimezone(UTC) for ts in found)
        assert len(set(utc)) == len(utc), key
        assert utc[0] >= start - timedelta(minutes=45)
        assert utc[-1] < end + timedelta(hours=1)
        assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(utc))
        assert len(utc) >= 31 * 24
    assert plan.operation is Operation.DELTA
