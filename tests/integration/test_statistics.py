"""The statistics engine of every vendor, against the real recorder."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
import itertools
import logging
import math
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.components.recorder.models import StatisticData, StatisticMeanType
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.unit_conversion import EnergyConverter
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.telemetry_hub import statistics
from custom_components.telemetry_hub.statistics import (
    ExternalStatistic,
    ImportResult,
    Interval,
    Overlap,
    async_import_amounts,
    async_import_readings,
)
from custom_components.telemetry_hub.statistics_hours import (
    NewHour,
    StoredRow,
    counter_hours,
    interval_hours,
    merge,
)

HOUR = timedelta(hours=1)
HALF_HOUR = timedelta(minutes=30)
T0 = datetime(2025, 3, 1, tzinfo=UTC)
METER = ExternalStatistic(
    object_id="Test meter",
    name="Test meter",
    unit="kWh",
    unit_class=EnergyConverter.UNIT_CLASS,
)
METER_ID = "telemetry_hub:test_meter"
ADELAIDE = ZoneInfo("Australia/Adelaide")
MADRID = ZoneInfo("Europe/Madrid")

type Row = tuple[datetime, float | None, float]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def hourly(amounts: dict[int, float]) -> list[Interval]:
    """Hourly intervals starting `key` hours after T0."""
    return [Interval(at(n), HOUR, amount) for n, amount in amounts.items()]


async def series(hass: HomeAssistant, statistic_id: str = METER_ID) -> list[Row]:
    """Every stored hourly row, oldest first: (start, state, sum)."""
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        {statistic_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return [
        (datetime.fromtimestamp(row["start"], UTC), row.get("state"), row["sum"])
        for row in found.get(statistic_id, [])
    ]


def sums(rows: list[Row]) -> list[float]:
    return [row[2] for row in rows]


def assert_whole(rows: list[Row]) -> None:
    """On the hour, one row per hour, no hour missing, sum never backwards."""
    starts = [row[0] for row in rows]
    assert all(start.minute == start.second == 0 for start in starts)
    assert all(b - a == HOUR for a, b in itertools.pairwise(starts)), starts
    assert sums(rows) == sorted(sums(rows))


def steps(rows: list[Row]) -> list[float]:
    """Each hour's amount as the Energy dashboard sees it."""
    return [b[2] - a[2] for a, b in itertools.pairwise(rows)]


# ----------------------------------------------------------------------
# Counters


async def test_counter_appends_and_a_drop_counts_nothing(hass: HomeAssistant) -> None:
    result = await async_import_readings(
        hass, METER, [(at(1), 100.0), (at(2), 104.0), (at(3), 3.0), (at(4), 5.0)]
    )

    assert result.written == 4
    assert result.first == at(0)
    assert result.last == at(3)
    rows = await series(hass)
    assert [row[1] for row in rows] == [100.0, 104.0, 3.0, 5.0]
    assert sums(rows) == [0.0, 4.0, 4.0, 6.0]

    # Later readings continue from the stored sum, also after a restart
    # (nothing of the engine's memory is needed).
    hass.data.pop(statistics._DATA)
    result = await async_import_readings(hass, METER, [(at(5), 9.0), (at(6), 10.5)])

    assert result.written == 2
    assert result.shifted == 0
    rows = await series(hass)
    assert sums(rows) == [0.0, 4.0, 4.0, 6.0, 10.0, 11.5]
    assert_whole(rows)


async def test_counter_backfill_after_newer_hours(hass: HomeAssistant) -> None:
    """Older hours arriving later: later sums move by what they add."""
    counter = {n: 1000.0 + 2.5 * n + (n % 3) for n in range(1, 121)}
    await async_import_readings(
        hass, METER, [(at(n), v) for n, v in counter.items() if n > 72]
    )
    newer = await series(hass)
    assert newer[0][2] == 0.0

    result = await async_import_readings(
        hass, METER, [(at(n), v) for n, v in counter.items() if n <= 72]
    )

    rows = await series(hass)
    assert len(rows) == 120
    assert_whole(rows)
    # Every hour's amount is the counter's rise: no jump at the junction.
    assert steps(rows) == pytest.approx(
        [counter[n + 1] - counter[n] for n in range(1, 120)]
    )
    inserted_rise = counter[73] - counter[1]
    assert sums(rows[72:]) == pytest.approx([s + inserted_rise for s in sums(newer)])
    assert result.written == 72
    assert result.shifted == 48


async def test_counter_gap_filled_later(hass: HomeAssistant) -> None:
    """The hour after an outage first takes the whole rise, then its own."""
    counter = {n: 50.0 + n * n / 10 for n in range(1, 24 * 5 + 1)}
    outage = range(25, 24 * 4 + 1)
    await async_import_readings(
        hass, METER, [(at(n), v) for n, v in counter.items() if n not in outage]
    )
    before = await series(hass)
    assert len(before) == 48
    assert steps(before)[23] == pytest.approx(counter[97] - counter[24])

    result = await async_import_readings(
        hass, METER, [(at(n), counter[n]) for n in outage]
    )

    rows = await series(hass)
    assert len(rows) == 120
    assert_whole(rows)
    assert steps(rows) == pytest.approx(
        [counter[n + 1] - counter[n] for n in range(1, 120)]
    )
    # The hours after the outage keep their sums: the rise was counted.
    assert sums(rows[96:]) == pytest.approx(sums(before[24:]))
    assert result.written == len(outage)


async def test_keep_leaves_stored_hours(hass: HomeAssistant) -> None:
    await async_import_readings(hass, METER, [(at(1), 10.0), (at(3), 30.0)])

    result = await async_import_readings(
        hass,
        METER,
        [(at(1), 99.0), (at(2), 12.0), (at(3), 99.0)],
        overlap=Overlap.KEEP,
    )

    assert (result.written, result.kept) == (1, 2)
    rows = await series(hass)
    assert [row[1] for row in rows] == [10.0, 12.0, 30.0]
    assert sums(rows) == [0.0, 2.0, 20.0]


async def test_replace_with_the_same_values_writes_nothing(
    hass: HomeAssistant,
) -> None:
    readings = [(at(n), 10.0 * n) for n in range(1, 25)]
    await async_import_readings(hass, METER, readings)

    result = await async_import_readings(hass, METER, readings[5:])

    assert (result.written, result.shifted) == (0, 0)


async def test_unusable_input(hass: HomeAssistant) -> None:
    result = await async_import_readings(
        hass, METER, [(at(1), math.nan), (at(2), math.inf)]
    )
    assert result == ImportResult(statistic_id=METER_ID, skipped=2)
    assert await series(hass) == []

    with pytest.raises(ValueError, match="naive"):
        await async_import_readings(hass, METER, [(datetime(2025, 3, 1, 10), 1.0)])  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        await async_import_amounts(
            hass,
            METER,
            [Interval(datetime(2025, 3, 1, 10), HOUR, 1.0)],  # noqa: DTZ001
        )

    result = await async_import_amounts(
        hass,
        METER,
        [Interval(at(0), timedelta(0), 1.0), Interval(at(1), HOUR, math.nan)],
    )
    assert result.skipped == 2
    assert result.as_dict() == {
        "statistic_id": METER_ID,
        "written": 0,
        "shifted": 0,
        "kept": 0,
        "first": None,
        "last": None,
        "straddling": 0,
        "clamped": 0,
        "skipped": 2,
    }


# ----------------------------------------------------------------------
# Per-interval amounts


async def test_hourly_amounts(hass: HomeAssistant) -> None:
    result = await async_import_amounts(hass, METER, hourly({0: 1.5, 1: 2.0, 2: 0.5}))

    assert result.written == 3
    assert result.as_dict()["first"] == "2025-03-01T00:00:00+00:00"
    rows = await series(hass)
    assert rows == [(at(0), 1.5, 1.5), (at(1), 2.0, 3.5), (at(2), 0.5, 4.0)]


async def test_half_hour_zone_fills_utc_hours(hass: HomeAssistant) -> None:
    """Adelaide's half-hours (UTC+10:30) fall whole into UTC hours."""
    midnight = datetime.combine(date(2025, 1, 15), time(), ADELAIDE)
    halves = [
        Interval(midnight + n * HALF_HOUR, HALF_HOUR, 1.0 + n % 2) for n in range(48)
    ]

    result = await async_import_amounts(hass, METER, halves)

    assert result.straddling == 0
    rows = await series(hass)
    # The local day runs 13:30 UTC to 13:30 UTC: 23 whole hours and two
    # half ones, every row on a UTC hour.
    assert len(rows) == 25
    assert rows[0][0] == datetime(2025, 1, 14, 13, tzinfo=UTC)
    assert_whole(rows)
    assert [row[1] for row in rows] == [1.0] + [3.0] * 23 + [2.0]
    assert rows[-1][2] == pytest.approx(72.0)


async def test_half_hour_zone_local_hours_are_split(hass: HomeAssistant) -> None:
    """Local hours there straddle two UTC hours: split, and reported."""
    midnight = datetime.combine(date(2025, 1, 15), time(), ADELAIDE)
    hours = [Interval(midnight + n * HOUR, HOUR, 2.0) for n in range(24)]

    result = await async_import_amounts(hass, METER, hours)

    assert result.straddling == 24
    rows = await series(hass)
    assert len(rows) == 25
    assert_whole(rows)
    assert [row[1] for row in rows] == pytest.approx([1.0] + [2.0] * 23 + [1.0])
    assert rows[-1][2] == pytest.approx(48.0)


async def test_half_hour_zone_window_rewrite_keeps_its_first_hour(
    hass: HomeAssistant,
) -> None:
    """A window from a local midnight covers half its first UTC hour."""
    midnight = datetime.combine(date(2025, 1, 15), time(), ADELAIDE)
    halves = [Interval(midnight + n * HALF_HOUR, HALF_HOUR, 1.0) for n in range(96)]
    await async_import_amounts(hass, METER, halves)
    before = await series(hass)

    window = halves[48:]
    window[3] = Interval(window[3].start, HALF_HOUR, 4.0)  # corrected: +3
    result = await async_import_amounts(hass, METER, window)

    # The window's first and last UTC hours are halves: the recorder has
    # all of the first (it stays) and as much of the last.
    assert result.kept == 2
    rows = await series(hass)
    assert len(rows) == len(before) == 49
    changed = rows.index(next(r for r in rows if r[0] == window[3].start))
    assert sums(rows[:changed]) == sums(before[:changed])
    assert sums(rows[changed:]) == pytest.approx(
        [s + 3.0 for s in sums(before[changed:])]
    )


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2025, 3, 30), 23), (date(2025, 10, 26), 25)]
)
async def test_dst_days(hass: HomeAssistant, day: date, hours: int) -> None:
    """Madrid's DST days: every UTC hour once, none missing."""
    start = datetime.combine(day, time(), MADRID)
    end = datetime.combine(day + timedelta(days=1), time(), MADRID)
    local_hours = []
    moment = start.astimezone(UTC)
    while moment < end:
        # As an API sends them: local wall time with its offset.
        local_hours.append(Interval(moment.astimezone(MADRID), HOUR, 1.0))
        moment += HOUR
    assert len(local_hours) == hours
    walls = [interval.start.hour for interval in local_hours]
    assert walls.count(2) == (0 if hours == 23 else 2)

    result = await async_import_amounts(hass, METER, local_hours)

    assert result.written == hours
    rows = await series(hass)
    assert len(rows) == hours
    assert_whole(rows)
    assert rows[0][0] == start.astimezone(UTC)
    assert sums(rows) == [float(n) for n in range(1, hours + 1)]


async def test_trailing_window_rewrite(hass: HomeAssistant) -> None:
    """48 h re-written with one corrected hour: older sums stay."""
    amounts = {n: 1.0 + (n % 5) / 4 for n in range(96)}
    await async_import_amounts(hass, METER, hourly(amounts))
    before = await series(hass)

    window = {n: amounts[n] for n in range(48, 96)}
    window[60] += 2.5
    result = await async_import_amounts(hass, METER, hourly(window))

    rows = await series(hass)
    assert len(rows) == 96
    assert_whole(rows)
    assert sums(rows[:60]) == sums(before[:60])
    assert sums(rows[60:]) == pytest.approx([s + 2.5 for s in sums(before[60:])])
    assert result.written == 36  # the corrected hour and those after it
    assert result.shifted == 0

    # The same window again changes nothing.
    again = await async_import_amounts(hass, METER, hourly(window))
    assert (again.written, again.shifted) == (0, 0)


async def test_amounts_gap_filled_later(hass: HomeAssistant) -> None:
    amounts = {n: 0.5 + (n % 7) for n in range(24 * 7)}
    outage = range(48, 24 * 5)
    await async_import_amounts(
        hass, METER, hourly({n: a for n, a in amounts.items() if n not in outage})
    )
    before = await series(hass)

    result = await async_import_amounts(
        hass, METER, hourly({n: amounts[n] for n in outage})
    )

    rows = await series(hass)
    assert len(rows) == 24 * 7
    assert_whole(rows)
    assert [row[1] for row in rows] == [amounts[n] for n in range(24 * 7)]
    filled = sum(amounts[n] for n in outage)
    assert sums(rows[:48]) == sums(before[:48])
    assert sums(rows[24 * 5 :]) == pytest.approx(
        [s + filled for s in sums(before[48:])]
    )
    assert result.written == len(outage)
    assert result.shifted == 48


async def test_backfill_before_everything(hass: HomeAssistant) -> None:
    """A backfill older than the whole series moves all of it."""
    await async_import_amounts(hass, METER, hourly(dict.fromkeys(range(100, 110), 1.0)))
    result = await async_import_amounts(hass, METER, hourly({0: 2.0, 1: 3.0}))

    rows = await series(hass)
    assert sums(rows) == [2.0, 5.0, *[5.0 + n for n in range(1, 11)]]
    assert (result.written, result.shifted) == (2, 10)


async def test_row_before_is_found_far_back(hass: HomeAssistant) -> None:
    day = 24
    await async_import_amounts(hass, METER, hourly({0: 1.0, 200 * day: 1.0}))
    # Found in the oldest window, then in the second one.
    await async_import_amounts(hass, METER, hourly({100 * day: 2.0}))
    await async_import_amounts(hass, METER, hourly({150 * day: 4.0}))
    # And in the first one.
    await async_import_amounts(hass, METER, hourly({150 * day + 30: 8.0}))

    rows = await series(hass)
    assert [row[0] for row in rows] == [
        at(0),
        at(100 * day),
        at(150 * day),
        at(150 * day + 30),
        at(200 * day),
    ]
    assert sums(rows) == [1.0, 3.0, 7.0, 15.0, 16.0]


async def test_rows_without_state_are_shifted_as_they_are(
    hass: HomeAssistant,
) -> None:
    """Rows another writer stored without a state keep having none."""
    async_add_external_statistics(
        hass,
        METER.metadata(),
        [StatisticData(start=at(5), sum=1.0), StatisticData(start=at(6), sum=3.0)],
    )
    await async_wait_recording_done(hass)

    result = await async_import_amounts(hass, METER, hourly({4: 2.0}))

    assert (result.written, result.shifted) == (1, 2)
    assert await series(hass) == [
        (at(4), 2.0, 2.0),
        (at(5), None, 3.0),
        (at(6), None, 5.0),
    ]


async def test_negative_amounts_count_nothing_warned_once(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    result = await async_import_amounts(hass, METER, hourly({0: 2.0, 1: -5.0, 2: 1.0}))
    await async_import_amounts(hass, METER, hourly({3: -1.0}))

    assert result.clamped == 1
    assert sums(await series(hass)) == [2.0, 2.0, 3.0, 3.0]
    warnings = [r for r in caplog.records if "negative amounts" in r.getMessage()]
    assert len(warnings) == 1


async def test_same_interval_twice_counts_once(hass: HomeAssistant) -> None:
    await async_import_amounts(
        hass, METER, [Interval(at(0), HOUR, 5.0), Interval(at(0), HOUR, 3.0)]
    )

    assert await series(hass) == [(at(0), 3.0, 3.0)]


async def test_concurrent_imports_see_each_other(hass: HomeAssistant) -> None:
    """The second import waits until the first one's rows are stored."""
    first, second = await asyncio.gather(
        async_import_amounts(hass, METER, hourly(dict.fromkeys(range(50), 1.0))),
        async_import_amounts(hass, METER, hourly(dict.fromkeys(range(50, 100), 1.0))),
    )

    assert (first.written, second.written) == (50, 50)
    rows = await series(hass)
    assert sums(rows) == [float(n) for n in range(1, 101)]


async def test_a_year_of_hours(hass: HomeAssistant) -> None:
    year = 24 * 365
    result = await async_import_amounts(
        hass, METER, hourly({n: 0.25 * (1 + n % 4) for n in range(year)})
    )

    assert result.written == year
    rows = await series(hass)
    assert len(rows) == year
    assert_whole(rows)
    assert rows[-1][2] == pytest.approx(0.625 * year)

    # A backfill before it moves every one of its hours.
    result = await async_import_amounts(hass, METER, hourly({-1: 10.0}))
    assert result.shifted == year
    rows = await series(hass)
    assert rows[-1][2] == pytest.approx(0.625 * year + 10)


# ----------------------------------------------------------------------
# Metadata


async def test_metadata(hass: HomeAssistant) -> None:
    await async_import_amounts(hass, METER, hourly({0: 1.0}))
    await async_wait_recording_done(hass)

    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={METER_ID})
    )
    (_, meta) = metadata[METER_ID]
    assert meta["source"] == "telemetry_hub"
    assert meta["name"] == "Test meter"
    assert meta["unit_of_measurement"] == "kWh"
    assert meta["has_sum"] is True
    assert meta["mean_type"] is StatisticMeanType.NONE
    if statistics._HAS_UNIT_CLASS:
        assert meta["unit_class"] == EnergyConverter.UNIT_CLASS
    else:
        assert "unit_class" not in meta


@pytest.mark.parametrize("unit_class", [True, False])
@pytest.mark.parametrize("mean_type", [True, False])
def test_metadata_follows_the_running_version(
    monkeypatch: pytest.MonkeyPatch, unit_class: bool, mean_type: bool
) -> None:
    monkeypatch.setattr(statistics, "_HAS_UNIT_CLASS", unit_class)
    monkeypatch.setattr(statistics, "_HAS_MEAN_TYPE", mean_type)

    metadata: dict[str, Any] = dict(METER.metadata())

    assert ("unit_class" in metadata) is unit_class
    if mean_type:
        assert metadata["mean_type"] is StatisticMeanType.NONE
        assert "has_mean" not in metadata
    else:
        assert metadata["has_mean"] is False
        assert "mean_type" not in metadata


# ----------------------------------------------------------------------
# The pure parts


def test_counter_hours() -> None:
    hours = counter_hours([(at(1), 1.0), (at(0.5), 0.5), (at(1.25), 2.0)])

    hour = int(T0.timestamp())
    assert hours.hours == {hour: NewHour(state=1.0), hour + 3600: NewHour(state=2.0)}


def test_interval_hours_split_in_proportion() -> None:
    hours = interval_hours([Interval(at(0.75), HOUR, 4.0)])

    hour = int(T0.timestamp())
    assert hours.straddling == 1
    assert hours.hours == {
        hour: NewHour(state=1.0, amount=1.0, whole=False),
        hour + 3600: NewHour(state=3.0, amount=3.0, whole=False),
    }


def test_merge_writes_a_state_the_stored_row_lacks() -> None:
    merged = merge(
        {0: NewHour(state=1.0, amount=1.0)},
        None,
        [StoredRow(0, None, 1.0)],
        replace=True,
    )

    assert merged.rows == [(0, 1.0, 1.0)]
    assert merged.written == 1


def test_merge_repairs_a_stored_sum_that_went_backwards() -> None:
    stored = [StoredRow(3600, 1.0, 5.0), StoredRow(7200, 1.0, 4.0)]

    merged = merge({0: NewHour(state=1.0, amount=1.0)}, None, stored, replace=True)

    assert merged.rows == [(0, 1.0, 1.0), (3600, 1.0, 6.0), (7200, 1.0, 6.0)]
