"""Readings: local times, DST in Madrid and Adelaide, span splitting, late data."""

# ruff: noqa: DTZ001 - the API speaks naive local wall times

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools
import logging
from zoneinfo import ZoneInfo

import pytest

from custom_components.telemetry_hub.api import TelemetryHubProtocolError
from custom_components.telemetry_hub.api.dexma import (
    DexmaClient,
    Operation,
    ReadingSeries,
    Resolution,
)
from simulators.dexma import DexmaSimulator, ManualClock
from tests.api.dexma.dexma_helpers import Script

MADRID, ADELAIDE, UTC_DEVICE, NO_ZONE = 1001, 1002, 1003, 1004
HOUR = timedelta(hours=1)


def _hours(series: ReadingSeries) -> list[datetime]:
    return [reading.ts for reading in series.readings]


async def _day(
    client: DexmaClient, device: int, day: datetime, tz: str | None
) -> ReadingSeries:
    return await client.readings(
        device,
        "EACTIVE",
        Resolution.H,
        day,
        day + timedelta(days=1) - timedelta(seconds=1),
        operation=Operation.DELTA,
        tz=tz,
    )


def _one_hour_apart(stamps: list[datetime]) -> bool:
    return all(b - a == HOUR for a, b in itertools.pairwise(stamps))


async def test_madrid_spring_day_has_23_hours(client: DexmaClient) -> None:
    series = await _day(client, MADRID, datetime(2025, 3, 30), "Europe/Madrid")
    stamps = _hours(series)
    assert len(stamps) == 23
    assert _one_hour_apart(stamps)
    assert [ts.hour for ts in stamps[:4]] == [0, 1, 3, 4]
    assert stamps[0].utcoffset() == timedelta(hours=1)
    assert stamps[-1].utcoffset() == timedelta(hours=2)
    assert series.units == "kWh"
    assert series.timezone == "Europe/Madrid"
    assert not series.timezone_fallback


async def test_madrid_autumn_day_has_25_hours(client: DexmaClient) -> None:
    series = await _day(client, MADRID, datetime(2025, 10, 26), "Europe/Madrid")
    stamps = _hours(series)
    assert len(stamps) == 25
    assert _one_hour_apart(stamps)
    twos = [ts for ts in stamps if ts.hour == 2]
    assert [ts.utcoffset() for ts in twos] == [timedelta(hours=2), timedelta(hours=1)]
    assert len(set(stamps)) == 25


async def test_adelaide_spring_day_half_hour_offset(client: DexmaClient) -> None:
    series = await _day(client, ADELAIDE, datetime(2025, 10, 5), "Australia/Adelaide")
    stamps = _hours(series)
    assert len(stamps) == 23
    assert _one_hour_apart(stamps)
    assert stamps[0].utcoffset() == timedelta(hours=9, minutes=30)
    assert stamps[-1].utcoffset() == timedelta(hours=10, minutes=30)
    assert {ts.astimezone(UTC).minute for ts in stamps} == {30}
    assert [ts.hour for ts in stamps[:3]] == [0, 1, 3]


async def test_adelaide_autumn_day_has_25_hours(client: DexmaClient) -> None:
    series = await _day(client, ADELAIDE, datetime(2025, 4, 6), "Australia/Adelaide")
    stamps = _hours(series)
    assert len(stamps) == 25
    assert _one_hour_apart(stamps)
    assert stamps[0].utcoffset() == timedelta(hours=10, minutes=30)
    assert stamps[-1].utcoffset() == timedelta(hours=9, minutes=30)


async def test_daily_delta_is_the_sum_of_hours(client: DexmaClient) -> None:
    hours = await _day(client, MADRID, datetime(2025, 3, 30), "Europe/Madrid")
    days = await client.readings(
        MADRID,
        "EACTIVE",
        Resolution.D,
        datetime(2025, 3, 1),
        datetime(2025, 3, 31, 23, 59, 59),
        operation=Operation.DELTA,
        tz=ZoneInfo("Europe/Madrid"),
    )
    assert len(days.readings) == 31
    spring = next(r for r in days.readings if r.ts.day == 30)
    assert spring.value == pytest.approx(sum(r.value for r in hours.readings), abs=1e-6)


async def test_location_without_zone_falls_back_to_utc(
    client: DexmaClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        first = await _day(client, NO_ZONE, datetime(2025, 3, 30), None)
        second = await _day(client, NO_ZONE, datetime(2025, 3, 31), "Not/AZone")
    assert first.timezone_fallback
    assert second.timezone_fallback
    assert len(first.readings) == 24
    assert {r.ts.utcoffset() for r in first.readings} == {timedelta(0)}
    assert first.timezone is None
    assert caplog.text.count("no usable time zone") == 1


async def test_aware_times_are_converted_to_local(
    client: DexmaClient, sim: DexmaSimulator
) -> None:
    start = datetime(2025, 6, 1, 22, 0, tzinfo=UTC)
    await client.readings(
        MADRID,
        "POWER",
        Resolution.QH,
        start,
        start + HOUR,
        operation=Operation.AVG,
        tz="Europe/Madrid",
    )
    params = sim.requests[-1].params
    assert params["from"] == "2025-06-02T00:00:00"
    assert params["to"] == "2025-06-02T01:00:00"
    assert params["operation"] == "AVG"
    assert params["resolution"] == "QH"


# --------------------------------------------------------------------------
# Span splitting


@pytest.mark.parametrize(
    ("resolution", "start", "end", "calls"),
    [
        (Resolution.FM, datetime(2025, 1, 1), datetime(2025, 2, 14, 23, 59, 59), 2),
        (Resolution.B, datetime(2025, 2, 1), datetime(2025, 2, 28, 23, 59, 59), 1),
        (Resolution.B, datetime(2025, 2, 1), datetime(2025, 3, 1), 2),
        (Resolution.H, datetime(2024, 10, 1), datetime(2025, 11, 4, 23, 0), 2),
        (Resolution.H, datetime(2024, 11, 1), datetime(2025, 10, 31, 23, 0), 1),
        (Resolution.D, datetime(2014, 1, 1), datetime(2025, 11, 1), 2),
    ],
)
async def test_long_ranges_are_split(  # noqa: PLR0917 - fixtures and parameters
    client: DexmaClient,
    sim: DexmaSimulator,
    resolution: Resolution,
    start: datetime,
    end: datetime,
    calls: int,
) -> None:
    sim.history_days = 5000
    series = await client.readings(
        MADRID,
        "EACTIVE",
        resolution,
        start,
        end,
        operation=Operation.RAW,
        tz="Europe/Madrid",
    )
    requests = [r for r in sim.requests if r.path == "readings"]
    assert len(requests) == calls
    assert all(r.status in (200, 204) for r in requests)
    bounds = [
        (
            datetime.fromisoformat(r.params["from"]),
            datetime.fromisoformat(r.params["to"]),
        )
        for r in requests
    ]
    assert bounds[0][0] == start
    assert bounds[-1][1] == end
    for (_, to), (nxt, _) in itertools.pairwise(bounds):
        assert nxt - to == timedelta(seconds=1)  # to inclusive: no gap, no overlap
    stamps = _hours(series)
    assert stamps == sorted(set(stamps))


async def test_hourly_year_split_has_every_hour_once(client: DexmaClient) -> None:
    zone = ZoneInfo("Europe/Madrid")
    start, end = datetime(2024, 10, 1), datetime(2025, 11, 1)
    series = await client.readings(
        MADRID,
        "EACTIVE",
        Resolution.H,
        start,
        end - timedelta(seconds=1),
        operation=Operation.DELTA,
        tz="Europe/Madrid",
    )
    # aware times of one ZoneInfo subtract as wall times: go through UTC
    span = end.replace(tzinfo=zone).astimezone(UTC) - start.replace(
        tzinfo=zone
    ).astimezone(UTC)
    expected = span // HOUR
    assert len(series.readings) == expected
    assert _one_hour_apart(_hours(series))


# --------------------------------------------------------------------------
# Late data and corrections


async def test_late_hours_appear_later(
    client: DexmaClient, sim: DexmaSimulator, clock: ManualClock
) -> None:
    now = datetime.fromtimestamp(clock(), UTC)
    start = now - timedelta(hours=6)

    async def latest() -> datetime:
        series = await client.readings(
            MADRID,
            "EACTIVE",
            Resolution.H,
            start,
            now,
            operation=Operation.DELTA,
            tz="Europe/Madrid",
        )
        assert series.latest is not None
        return series.latest.ts

    # lag of device 1001 is one hour: the hour ending an hour ago is the newest
    assert await latest() == now - 2 * HOUR
    clock.advance(3600)
    now += HOUR
    assert await latest() == now - 2 * HOUR


async def test_corrected_hour_is_served_and_the_counter_follows(
    client: DexmaClient, sim: DexmaSimulator
) -> None:
    day = datetime(2025, 11, 1)
    before = await _day(client, UTC_DEVICE, day, "UTC")
    target = before.readings[5]
    sim.correct_hour(UTC_DEVICE, "EACTIVE", target.ts, target.value + 10)
    after = await _day(client, UTC_DEVICE, day, "UTC")
    assert after.readings[5].value == pytest.approx(target.value + 10, abs=0.002)
    others = [
        (a.value, b.value) for a, b in zip(before.readings, after.readings, strict=True)
    ]
    del others[5]
    assert all(a == pytest.approx(b, abs=0.002) for a, b in others)
    raw = await client.readings(
        UTC_DEVICE,
        "EACTIVE",
        Resolution.D,
        day,
        day + timedelta(days=1),
        operation=Operation.RAW,
        tz="UTC",
    )
    first, second = raw.readings
    total = sum(r.value for r in after.readings)
    assert second.value - first.value == pytest.approx(total, abs=1e-6)


# --------------------------------------------------------------------------
# Answer shapes


async def test_values_as_strings_nulls_and_offsetless_times(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    body = {
        "timezone": "Europe/Madrid",
        "units": "kWh",
        "values": [
            {"ts": "2025-10-26T01:00:00", "v": "1.5"},
            {"ts": "2025-10-26T02:00:00", "v": 2},
            {"ts": "2025-10-26T02:00:00", "v": "2,5"},
            {"ts": "2025-10-26T03:00:00", "v": None},
            {"ts": "not a time", "v": 1},
            {"v": 1},
            "junk",
        ],
    }
    scripted[0].add(200, body)
    series = await scripted_client.readings(
        7,
        "EACTIVE",
        Resolution.H,
        datetime(2025, 10, 26),
        datetime(2025, 10, 26, 3),
        tz="Europe/Madrid",
    )
    assert [r.value for r in series.readings] == [1.5, 2.0, 2.5]
    assert [r.ts.utcoffset() for r in series.readings] == [
        timedelta(hours=2),
        timedelta(hours=2),
        timedelta(hours=1),
    ]
    assert series.skipped == 4
    assert "operation" not in scripted[0].queries[0]


async def test_values_null_is_empty_and_missing_values_is_an_error(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    script, _ = scripted
    script.add(200, {"values": None}).add(200, {"units": "kWh"})
    args = (7, "EACTIVE", Resolution.H, datetime(2025, 1, 1), datetime(2025, 1, 2))
    assert (await scripted_client.readings(*args)).readings == ()
    with pytest.raises(TelemetryHubProtocolError):
        await scripted_client.readings(*args)


async def test_bare_list_of_values_is_tolerated(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    scripted[0].add(200, [{"ts": "2025-01-01T00:00:00Z", "v": 1}])
    series = await scripted_client.readings(
        7, "TEMP", Resolution.H, datetime(2025, 1, 1), datetime(2025, 1, 2), tz="UTC"
    )
    assert series.readings[0].ts == datetime(2025, 1, 1, tzinfo=UTC)
    assert series.units is None
    assert series.classification.unit is not None
