"""Hourly counters imported as external statistics (Energy dashboard)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util, slugify
from homeassistant.util.unit_conversion import VolumeConverter
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.telemetry_hub.api.errors import TelemetryHubProtocolError
from custom_components.telemetry_hub.api.rustech.client import server_key
from custom_components.telemetry_hub.const import DOMAIN
from custom_components.telemetry_hub.coordinator import TelemetryHubCoordinator
from custom_components.telemetry_hub.statistics import (
    CounterStatistic,
    async_import_counter,
    hour_start,
)
from custom_components.telemetry_hub.vendors.rustech import history as rustech_history
from custom_components.telemetry_hub.vendors.rustech.coordinator import (
    RusTechCoordinator,
)
from simulators.rustech import RusTechSimulator
from tests.integration.rustech.common import (
    coordinator_of,
    device_of,
    newest_hour,
    poll,
)
from tests.integration.rustech.conftest import drain_backfill

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
    await drain_backfill(hass, await setup_entry())
    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={statistic_id(url, 1)})
    )
    (_, meta) = metadata[statistic_id(url, 1)]
    assert meta["name"] == f"{sim.stations[0].name}: газ (приведённый объём)"


# ----------------------------------------------------------------------
# History: the `import_history` action against the simulator


def today() -> date:
    return dt_util.now().date()


async def import_history(
    hass: HomeAssistant, entry: MockConfigEntry, **data: Any
) -> dict[str, Any]:
    answer = await hass.services.async_call(
        DOMAIN,
        "import_history",
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    return dict(answer)


@pytest.fixture
def long_sim(sim: RusTechSimulator) -> RusTechSimulator:
    """Two stations (one of each type) whose archives reach 40 days back.

    The entry's first import reads 31 days: older days are for the action.
    """
    sim.history_days = 40
    for station in sim.stations[2:]:
        sim.remove_station(station.id)
    return sim


def assert_continuous(rows: list[dict[str, Any]]) -> None:
    """One row per hour, none missing, each step the counter's rise."""
    starts = [start_of(row) for row in rows]
    assert starts == [starts[0] + HOUR * n for n in range(len(rows))]
    for previous, row in itertools.pairwise(rows):
        assert row["sum"] - previous["sum"] == pytest.approx(
            max(0.0, row["state"] - previous["state"]), abs=1e-6
        )


async def test_history_before_the_first_import(
    hass: HomeAssistant, long_sim: RusTechSimulator, url: str, setup_entry: Any
) -> None:
    entry = await setup_entry()
    await drain_backfill(hass, entry)
    statistic = statistic_id(url, 1)
    before = await hourly_rows(hass, statistic)
    other = await hourly_rows(hass, statistic_id(url, 2))
    assert start_of(before[0]) > dt_util.now().timestamp() - 32 * 86400
    device = device_of(hass, entry, 1)
    assert device is not None
    # A week before the first stored day, to the day after it.
    first_day = dt_util.as_local(datetime.fromtimestamp(start_of(before[0]), UTC))
    start = first_day.date() - timedelta(days=7)
    end = first_day.date() + timedelta(days=1)

    answer = await import_history(
        hass, entry, device_id=device.id, start=start.isoformat(), end=end.isoformat()
    )

    rows = await hourly_rows(hass, statistic)
    assert_continuous(rows)
    # From the hour the range's first reading closes to the newest hour.
    first = dt_util.start_of_local_day(start) - timedelta(hours=1)
    assert start_of(rows[0]) == first.timestamp()
    assert start_of(rows[-1]) == start_of(before[-1])
    # The hours stored before moved by one amount: what the range added.
    kept = rows[len(rows) - len(before) :]
    assert [start_of(row) for row in kept] == [start_of(row) for row in before]
    shift = kept[0]["sum"] - before[0]["sum"]
    assert shift > 0
    assert [row["sum"] for row in kept] == pytest.approx(
        [row["sum"] + shift for row in before]
    )
    # The values are the archive's.
    counter = COUNTER[long_sim.stations[0].equipment_type_id]
    reading = int(first.timestamp()) + HOUR
    assert rows[0]["state"] == pytest.approx(
        long_sim.hourly_values(1, reading)[counter]
    )
    # The other station is untouched.
    assert await hourly_rows(hass, statistic_id(url, 2)) == other

    result = answer["statistics"][statistic]
    assert answer["stations"] == 1
    assert answer["hours"] == result["written"]
    assert result["written"] + result["shifted"] == len(rows)
    assert answer["start"] == start.isoformat()
    assert answer["end"] == end.isoformat()
    assert (answer["skipped"], answer["failed"]) == ([], {})

    # The same range again changes nothing.
    again = await import_history(
        hass, entry, device_id=device.id, start=start.isoformat(), end=end.isoformat()
    )
    assert again["hours"] == 0
    assert again["statistics"][statistic]["shifted"] == 0


async def test_history_of_a_whole_entry(
    hass: HomeAssistant, long_sim: RusTechSimulator, url: str, setup_entry: Any
) -> None:
    entry = await setup_entry()
    start = today() - timedelta(days=36)

    answer = await import_history(hass, entry, start=start.isoformat())

    assert answer["stations"] == 2
    assert answer["end"] == today().isoformat()
    for station in (1, 2):
        rows = await hourly_rows(hass, statistic_id(url, station))
        assert_continuous(rows)
        first = dt_util.start_of_local_day(start) - timedelta(hours=1)
        assert start_of(rows[0]) == first.timestamp()
        assert answer["statistics"][statistic_id(url, station)]["written"] > 0


async def test_history_waits_for_the_refresh(
    hass: HomeAssistant, sim: RusTechSimulator, url: str, loaded_entry: MockConfigEntry
) -> None:
    """One server call at a time per account: the import waits its turn."""
    coordinator = coordinator_of(loaded_entry)
    requests = sim.request_count("channel_data")
    async with coordinator._refresh_lock:
        task = hass.async_create_task(
            import_history(hass, loaded_entry, start=today().isoformat())
        )
        await asyncio.sleep(0.05)
        assert sim.request_count("channel_data") == requests
        assert not task.done()
    answer = await task
    assert sim.request_count("channel_data") > requests
    assert answer["stations"] == 4


def test_no_counter_no_statistic() -> None:
    assert rustech_history.energy_channel([]) is None


async def test_history_skips_stations_without_a_counter(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    state = coordinator.sync.state.stations[2]
    state.station = replace(state.station, equipment_id=None)
    real = rustech_history.energy_channel
    monkeypatch.setattr(
        rustech_history,
        "energy_channel",
        lambda channels: None if channels[0].equipment_type_id == 1 else real(channels),
    )

    answer = await coordinator.async_import_history(
        ["1", "2", "3", "4", "999", "x"], today(), today()
    )

    assert answer["stations"] == 1  # station 4: type 2, with an equipment id
    assert answer["skipped"] == ["1", "2", "3", "999", "x"]


async def test_history_goes_on_past_a_station_the_server_fails(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    url: str,
    loaded_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    archive = coordinator.client.archive

    async def failing(*args: Any, station_id: int | None = None) -> Any:
        if station_id == 1:
            raise TelemetryHubProtocolError("not an archive", call="channel_data")
        return await archive(*args, station_id=station_id)

    monkeypatch.setattr(coordinator.client, "archive", failing)

    answer = await import_history(hass, loaded_entry, start=today().isoformat())

    assert answer["stations"] == 3
    assert answer["failed"] == {"1": "not an archive"}

    # Only that station asked: the error is the answer.
    device = device_of(hass, loaded_entry, 1)
    assert device is not None
    with pytest.raises(HomeAssistantError) as err:
        await import_history(
            hass, loaded_entry, device_id=device.id, start=today().isoformat()
        )
    assert err.value.translation_key == "invalid_response"


@pytest.mark.parametrize(
    ("fault", "key"),
    [("unavailable", "cannot_connect"), ("rate_limit", "rate_limited")],
)
async def test_history_server_faults_are_translated(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
    fault: str,
    key: str,
) -> None:
    sim.inject(fault, count=20, path="channel_data")

    with pytest.raises(HomeAssistantError) as err:
        await import_history(hass, loaded_entry, start=today().isoformat())

    assert err.value.translation_key == key


async def test_history_needs_the_vendor_hook(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        RusTechCoordinator,
        "async_import_history",
        TelemetryHubCoordinator.async_import_history,
    )

    with pytest.raises(ServiceValidationError) as err:
        await import_history(hass, loaded_entry, start=today().isoformat())

    assert err.value.translation_key == "no_history"
    assert err.value.translation_placeholders == {"vendor": "RusTech"}


async def test_statistics_continue_after_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    url: str,
    loaded_entry: MockConfigEntry,
) -> None:
    before = await hourly_rows(hass, statistic_id(url, 1))

    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(hours=3))
    sim.new_session()
    await poll(hass, freezer)

    rows = await hourly_rows(hass, statistic_id(url, 1))
    assert rows[: len(before)] == before
    assert len(rows) > len(before)
    assert_continuous(rows)
