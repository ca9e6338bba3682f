"""Hourly counters imported as external statistics (Energy dashboard)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import slugify
from homeassistant.util.unit_conversion import VolumeConverter
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.telemetry_hub.api.rustech.client import server_key
from custom_components.telemetry_hub.statistics import (
    CounterStatistic,
    async_import_counter,
    hour_start,
)
from simulators.rustech import RusTechSimulator
from tests.integration.rustech.common import newest_hour, poll

HOUR = 3600
# The counter each equipment type's statistic is fed from.
COUNTER = {1: "Vnakpriv", 2: "Vst"}
TEST_COUNTER = CounterStatistic(
    object_id="Test counter",
    name="Test counter",
    unit="m³",
    unit_class=VolumeConverter.UNIT_CLASS,
)


def statistic_id(url: str, station: int) -> str:
    object_id = f"rustech_{server_key(url)}_{station}_standard_volume"
    return f"telemetry_hub:{slugify(object_id)}"


async def hourly_rows(hass: HomeAssistant, statistic: str) -> list[dict[str, Any]]:
    """Every hourly row of a statistic, oldest first."""
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        {statistic},
        "hour",
        None,
        {"state", "sum"},
    )
    return [dict(row) for row in rows.get(statistic, [])]


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def start_of(row: dict[str, Any]) -> float:
    start = row["start"]
    return start.timestamp() if isinstance(start, datetime) else float(start)


async def test_archive_rows_become_hourly_statistics(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    url: str,
    loaded_entry: MockConfigEntry,
) -> None:
    first_reading = sim.history_start
    for station in sim.stations:
        counter = COUNTER[station.equipment_type_id]
        statistic = statistic_id(url, station.id)
        rows = await hourly_rows(hass, statistic)

        # One row per archive row: the hour each reading closes.
        readings = list(range(first_reading, newest_hour(sim, station.id) + 1, HOUR))
        assert [start_of(row) for row in rows] == [t - HOUR for t in readings]
        values = [sim.hourly_values(station.id, t)[counter] for t in readings]
        assert [row["state"] for row in rows] == pytest.approx(values)
        assert rows[0]["sum"] == 0
        assert [row["sum"] for row in rows] == pytest.approx(
            [value - values[0] for value in values]
        )
        assert rows[-1]["sum"] > 0

    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={statistic_id(url, 1)})
    )
    (_, meta) = metadata[statistic_id(url, 1)]
    assert meta["source"] == "telemetry_hub"
    assert meta["unit_of_measurement"] == "m³"
    assert meta["has_sum"] is True
    assert meta["name"] == f"{sim.stations[0].name} gas (standard volume)"

    # Later sessions append rows that continue the sum without a jump.
    before = (await hourly_rows(hass, statistic_id(url, 1)))[-1]
    freezer.tick(timedelta(hours=3))
    sim.new_session()
    await poll(hass, freezer)

    rows = await hourly_rows(hass, statistic_id(url, 1))
    newest = newest_hour(sim, 1)
    assert start_of(rows[-1]) == newest - HOUR
    added = [row for row in rows if start_of(row) > start_of(before)]
    assert len(added) == (newest - HOUR - start_of(before)) // HOUR
    assert len(added) >= 3
    assert added[-1]["state"] == pytest.approx(sim.hourly_values(1, newest)["Vnakpriv"])
    assert added[-1]["sum"] - before["sum"] == pytest.approx(
        added[-1]["state"] - before["state"]
    )


async def test_no_news_imports_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    url: str,
    loaded_entry: MockConfigEntry,
) -> None:
    rows = await hourly_rows(hass, statistic_id(url, 2))

    await poll(hass, freezer)

    assert await hourly_rows(hass, statistic_id(url, 2)) == rows


def test_hour_start() -> None:
    # A reading on the hour closes the hour before it ...
    assert hour_start(at(10)) == at(9)
    # ... one within an hour belongs to that hour.
    assert hour_start(at(10, 20)) == at(10)
    assert hour_start(at(0, 0, day=2)) == at(23)
    # Other time zones are read as the instant they are.
    tashkent = datetime(2025, 3, 1, 20, 0, tzinfo=ZoneInfo("Asia/Tashkent"))
    assert hour_start(tashkent) == at(14)
    assert hour_start(tashkent).tzinfo is UTC


async def test_import_counter_sums_and_duplicates(hass: HomeAssistant) -> None:
    added = await async_import_counter(
        hass,
        TEST_COUNTER,
        [
            (at(11), 110.0),
            (at(10), 100.0),  # out of order
            (at(11, 20), 111.0),  # two readings in one hour: the last wins
            (at(11, 40), 112.5),
        ],
    )

    assert added == 3
    rows = await hourly_rows(hass, "telemetry_hub:test_counter")
    assert [start_of(row) for row in rows] == [
        at(9).timestamp(),
        at(10).timestamp(),
        at(11).timestamp(),
    ]
    assert [row["state"] for row in rows] == [100.0, 110.0, 112.5]
    assert [row["sum"] for row in rows] == [0.0, 10.0, 12.5]

    # Nothing to import: nothing happens.
    assert await async_import_counter(hass, TEST_COUNTER, []) == 0


async def test_import_counter_continues_and_never_goes_back(
    hass: HomeAssistant,
) -> None:
    await async_import_counter(hass, TEST_COUNTER, [(at(10), 100.0), (at(11), 105.0)])
    await async_wait_recording_done(hass)

    added = await async_import_counter(
        hass,
        TEST_COUNTER,
        [
            (at(10), 999.0),  # an hour already stored is never rewritten
            (at(11), 999.0),
            (at(12), 108.0),
            (at(13), 20.0),  # the meter was replaced: no negative step
            (at(14), 26.0),
        ],
    )

    assert added == 3
    rows = await hourly_rows(hass, "telemetry_hub:test_counter")
    assert [row["state"] for row in rows] == [100.0, 105.0, 108.0, 20.0, 26.0]
    assert [row["sum"] for row in rows] == [0.0, 5.0, 8.0, 8.0, 14.0]
    sums = [row["sum"] for row in rows]
    assert sums == sorted(sums)


async def test_statistic_is_named_in_the_system_language(
    hass: HomeAssistant, sim: RusTechSimulator, url: str, setup_entry: Any
) -> None:
    """A Russian system gets a Russian name, not an English suffix."""
    hass.config.language = "ru"
    await setup_entry()
    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={statistic_id(url, 1)})
    )
    (_, meta) = metadata[statistic_id(url, 1)]
    assert meta["name"] == f"{sim.stations[0].name}: газ (приведённый объём)"
