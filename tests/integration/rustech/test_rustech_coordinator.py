"""The account coordinator: failures, rate limits, dynamic and stale devices."""

from __future__ import annotations

from datetime import timedelta
import inspect

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulators.rustech import RusTechSimulator
from tests.integration.rustech.common import (
    coordinator_of,
    device_of,
    entity_id,
    newest_hour,
    poll,
    state_of,
)

KGF_CM2 = 98.0665
SUPPORTS_RETRY_AFTER = "retry_after" in inspect.signature(UpdateFailed).parameters


def pressure(hass: HomeAssistant, entry: MockConfigEntry, station: int) -> str:
    return state_of(hass, entry, "sensor", station, "channel_p").state


def expected_pressure(sim: RusTechSimulator, station: int) -> float:
    """The pressure of the newest hour in kPa (BK stations report kgf/cm²)."""
    value = sim.hourly_values(station, newest_hour(sim, station))["P"]
    bk = sim.stations[station - 1].equipment_type_id == 1
    return value * KGF_CM2 if bk else value


async def test_failure_makes_entities_unavailable_until_recovery(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    sim.inject("unavailable", count=2)  # a read is retried once

    await poll(hass, freezer)

    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert "Could not reach the server" in caplog.text
    assert pressure(hass, loaded_entry, 1) == STATE_UNAVAILABLE
    assert (
        state_of(hass, loaded_entry, "binary_sensor", 2, "connectivity").state
        == STATE_UNAVAILABLE
    )

    await poll(hass, freezer)

    assert coordinator.last_update_success
    assert float(pressure(hass, loaded_entry, 1)) == pytest.approx(
        expected_pressure(sim, 1)
    )


async def test_rate_limit_fails_the_update_and_delays_the_next(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    sim.inject("rate_limit", retry_after=120)

    await poll(hass, freezer)

    error = coordinator.last_exception
    assert isinstance(error, UpdateFailed)
    assert not coordinator.last_update_success
    assert pressure(hass, loaded_entry, 1) == STATE_UNAVAILABLE
    sim.clear_requests()

    await poll(hass, freezer, timedelta(seconds=121))

    if SUPPORTS_RETRY_AFTER:
        # The server's hint replaces the 15 minutes once.
        assert error.retry_after == 120  # type: ignore[attr-defined]
        assert sim.request_count("stations") == 1
        assert coordinator.last_update_success
    else:
        assert sim.request_count() == 0
        assert not coordinator.last_update_success


async def test_new_station_appears_without_reload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    station = sim.add_station(equipment_type_id=2, name="Новая котельная")
    sim.new_session([station.id])

    await poll(hass, freezer)

    assert coordinator_of(loaded_entry) is coordinator
    device = device_of(hass, loaded_entry, station.id)
    assert device is not None
    assert device.name == "Новая котельная"
    assert float(pressure(hass, loaded_entry, station.id)) == pytest.approx(
        expected_pressure(sim, station.id)
    )
    assert (
        state_of(hass, loaded_entry, "binary_sensor", station.id, "connectivity").state
        == "on"
    )
    assert sim.request_count("auth/sign_in") == 1


async def test_vanished_station_is_removed_after_a_grace_listing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    registry = er.async_get(hass)
    assert device_of(hass, loaded_entry, 4) is not None
    sim.remove_station(4)

    await poll(hass, freezer)

    # Missing from one listing: could be a hiccup of the server.
    device = device_of(hass, loaded_entry, 4)
    assert device is not None
    assert er.async_entries_for_device(registry, device.id)

    await poll(hass, freezer)

    assert device_of(hass, loaded_entry, 4) is None
    assert not [
        entry
        for entry in er.async_entries_for_config_entry(registry, loaded_entry.entry_id)
        if entry.unique_id.startswith(f"{loaded_entry.unique_id}_4_")
    ]
    assert device_of(hass, loaded_entry, 3) is not None
    assert sorted(coordinator_of(loaded_entry).device_keys()) == ["1", "2", "3"]


async def test_broken_archive_of_one_station_does_not_stop_the_others(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    before = {station: pressure(hass, loaded_entry, station) for station in (1, 2)}
    freezer.tick(timedelta(hours=2))
    sim.new_session()
    # The first archive request of the refresh is station 1's hourly one.
    sim.inject("malformed_json", path="channel_data", count=2)  # and its retry

    await poll(hass, freezer)

    assert coordinator.last_update_success
    assert coordinator.data["1"].error is not None
    assert coordinator.data["1"].error.startswith("hourly:")
    assert coordinator.data["2"].error is None
    # Station 1 keeps its last value (still available); station 2 moved on.
    assert pressure(hass, loaded_entry, 1) == before[1]
    assert float(pressure(hass, loaded_entry, 2)) == pytest.approx(
        expected_pressure(sim, 2)
    )
    assert pressure(hass, loaded_entry, 2) != before[2]

    # The next poll reads the archive that failed again.
    await poll(hass, freezer)

    assert coordinator.data["1"].error is None
    assert float(pressure(hass, loaded_entry, 1)) == pytest.approx(
        expected_pressure(sim, 1)
    )


async def test_steady_poll_only_lists_stations(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    sim.clear_requests()

    await poll(hass, freezer)
    await poll(hass, freezer)

    assert [(r.method, r.path) for r in sim.requests] == [("GET", "stations")] * 2
    assert coordinator_of(loaded_entry).last_update_success


async def test_poll_after_a_session_reads_only_that_station(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    freezer.tick(timedelta(hours=1))
    sim.new_session([3])
    sim.clear_requests()

    await poll(hass, freezer)

    archives = [
        (r.params["station_id"], r.params["archive_type"])
        for r in sim.requests
        if r.path == "channel_data"
    ]
    assert archives
    assert {station for station, _ in archives} == {"3"}
    assert ("3", "hourly") in archives
    # The event entity is enabled, so abnormal situations are read too.
    assert ("3", "nesht") in archives


async def test_unreadable_station_list_fails_the_update(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    sim.inject("malformed_json", path="stations", count=2)  # and its retry

    await poll(hass, freezer)

    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert "in a format the integration does not understand" in caplog.text
    assert pressure(hass, loaded_entry, 1) == STATE_UNAVAILABLE

    await poll(hass, freezer)

    assert coordinator.last_update_success
    assert pressure(hass, loaded_entry, 1) != STATE_UNAVAILABLE


async def test_daily_archive_only_for_enabled_sensors(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    # Station 1 (BK) shows its daily-only channels in "standard volume last
    # day" (enabled) and "working volume last day" (disabled by default).
    registry = er.async_get(hass)
    registry.async_update_entity(
        entity_id(hass, loaded_entry, "sensor", 1, "channel_vpriv"),
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    await hass.async_block_till_done()
    freezer.tick(timedelta(days=1, hours=1))
    sim.new_session()
    sim.clear_requests()

    await poll(hass, freezer)

    daily = [
        r.params["station_id"]
        for r in sim.requests
        if r.path == "channel_data" and r.params["archive_type"] == "daily"
    ]
    assert sorted(daily) == ["2", "3", "4"]
