"""A DEXMA account's devices and sensors, and what odd answers do to them."""

from __future__ import annotations

from datetime import datetime, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.const import CONF_HISTORY_DAYS, DOMAIN
from custom_components.telemetry_hub.vendors.dexma.const import CONF_PARAMETERS
from custom_components.telemetry_hub.vendors.dexma.entities import (
    parameter_description,
    unit_factor,
)
from simulators.dexma import DexmaSimulator, SimParameter
from tests.integration.common import poll
from tests.integration.dexma.common import (
    coordinator_of,
    entity_id,
    readings_calls,
    rows,
    state_of,
    statistic_id,
)
from tests.integration.dexma.conftest import TITLE

POLL = timedelta(minutes=15)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def sim_value(sim: DexmaSimulator, device: int, key: str, when: str) -> float:
    return round(sim.value_at(device, key, datetime.fromisoformat(when)), 3)


async def test_setup_creates_devices_and_sensors(
    hass: HomeAssistant, sim: DexmaSimulator, loaded_entry: MockConfigEntry
) -> None:
    registry = dr.async_get(hass)
    devices = {
        device.name: device
        for device in dr.async_entries_for_config_entry(registry, loaded_entry.entry_id)
    }
    assert len(devices) == 9
    account = devices[TITLE]
    assert account.entry_type is DeviceEntryType.SERVICE
    meter = devices["Electricity meter 2"]
    assert (meter.manufacturer, meter.model) == ("DEXMA", "Datasource 300")
    assert meter.suggested_area == "Adelaide Office"

    entities = er.async_entries_for_config_entry(
        er.async_get(hass), loaded_entry.entry_id
    )
    # 4 x 4 + 4 x 2 parameters, a latest reading per device, 3 account sensors
    assert len(entities) == 24 + 8 + 3
    disabled = {e.unique_id.rsplit("_", 1)[-1] for e in entities if e.disabled_by}
    assert disabled == {"reading", "remaining"}

    energy = state_of(hass, loaded_entry, "1001", "param_EACTIVE")
    assert energy.attributes["device_class"] == "energy"
    assert energy.attributes["unit_of_measurement"] == "kWh"
    assert energy.attributes["state_class"] == "total"
    start = energy.attributes["last_reset"]
    assert start == energy.attributes["reading_time"]
    end = (datetime.fromisoformat(start) + timedelta(hours=1)).isoformat()
    expected = sim_value(sim, 1001, "EACTIVE", end) - sim_value(
        sim, 1001, "EACTIVE", start
    )
    assert float(energy.state) == pytest.approx(expected, abs=1e-6)

    power = state_of(hass, loaded_entry, "1002", "param_POWER")
    assert power.attributes["state_class"] == "measurement"
    assert power.attributes["unit_of_measurement"] == "kW"
    when = power.attributes["reading_time"]
    assert float(power.state) == pytest.approx(sim_value(sim, 1002, "POWER", when))
    assert "last_reset" not in power.attributes
    gas = state_of(hass, loaded_entry, "1005", "param_GASVOLUME")
    assert gas.attributes["device_class"] == "gas"
    assert gas.attributes["unit_of_measurement"] == "m³"
    interval = state_of(hass, loaded_entry, "account", "effective_interval")
    assert float(interval.state) == 15
    assert interval.attributes["streams"] == 24


async def test_units_are_converted_and_unknown_ones_leave_the_sensor_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.parameter(1001, "POWER").units = "W"
    sim.parameter(1002, "TEMP").units = "furlongs"
    sim.device(1003).parameters["WHATEVER"] = SimParameter(
        "WHATEVER", 99, "Something", "zz", "OTHER", cumulative=False, mean=3.0
    )
    config_entry.add_to_hass(hass)
    with caplog.at_level(logging.WARNING):
        await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        await poll(hass, freezer, POLL)

    power = state_of(hass, config_entry, "1001", "param_POWER")
    when = power.attributes["reading_time"]
    assert float(power.state) == pytest.approx(
        sim_value(sim, 1001, "POWER", when) / 1000, abs=1e-6
    )
    assert state_of(hass, config_entry, "1002", "param_TEMP").state == STATE_UNAVAILABLE
    assert (
        state_of(hass, config_entry, "1002", "param_POWER").state != STATE_UNAVAILABLE
    )
    lines = [r for r in caplog.records if "furlongs" in r.getMessage()]
    assert len(lines) == 1
    # An unknown parameter key has no sensor, and costs no call.
    assert not er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{config_entry.unique_id}_1003_param_WHATEVER"
    )
    assert not [r for r in sim.requests if r.params.get("parameter_key") == "WHATEVER"]


async def test_a_location_without_time_zone_is_read_as_utc(
    hass: HomeAssistant,
    sim: DexmaSimulator,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config_entry.add_to_hass(hass)
    with caplog.at_level(logging.WARNING):
        await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        await coordinator_of(config_entry).async_refresh()
    lines = [r for r in caplog.records if "no usable time zone" in r.getMessage()]
    assert len(lines) == 1
    assert "location 504" in lines[0].getMessage()
    energy = state_of(hass, config_entry, "1004", "param_EACTIVE")
    assert energy.attributes["reading_time"].endswith("+00:00")
    queries = readings_calls(sim, device_id="1004")
    assert queries
    assert all(q.get("resolution") in ("H", "B") for q in queries)


async def test_a_device_refused_with_403_is_unavailable_then_removed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    registry = dr.async_get(hass)
    sim.hide_device(1003)
    with caplog.at_level(logging.WARNING):
        await poll(hass, freezer, POLL)
        await poll(hass, freezer, POLL)
    # Not an authentication failure: the account works, one device does not.
    assert coordinator.last_update_success
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert state_of(hass, loaded_entry, "1003", "param_EACTIVE").state == (
        STATE_UNAVAILABLE
    )
    assert state_of(hass, loaded_entry, "1001", "param_EACTIVE").state != (
        STATE_UNAVAILABLE
    )
    lines = [r for r in caplog.records if "not visible to the token" in r.getMessage()]
    assert len(lines) == 1

    # Missing from two daily listings: still there (it may come back).
    for _ in range(2):
        await poll(hass, freezer, DAY)
        assert coordinator.find_device(registry, "1003") is not None
    # The third listing without it: gone.
    await poll(hass, freezer, DAY)
    assert coordinator.find_device(registry, "1003") is None
    assert "1003" not in coordinator.data


async def test_a_device_that_comes_back_is_available_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    sim.hide_device(1003)
    await poll(hass, freezer, DAY)
    assert state_of(hass, loaded_entry, "1003", "param_EACTIVE").state == (
        STATE_UNAVAILABLE
    )
    sim.hide_device(1003, hidden=False)
    await poll(hass, freezer, DAY)
    assert state_of(hass, loaded_entry, "1003", "param_EACTIVE").state != (
        STATE_UNAVAILABLE
    )


async def test_a_meter_refused_with_422_is_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    del sim.device(1001).parameters["VOLTAGE"]
    with caplog.at_level(logging.WARNING):
        await poll(hass, freezer, POLL)
        await poll(hass, freezer, POLL)
    assert coordinator_of(loaded_entry).last_update_success
    voltage = state_of(hass, loaded_entry, "1001", "param_VOLTAGE")
    assert voltage.state == STATE_UNAVAILABLE
    assert state_of(hass, loaded_entry, "1001", "param_POWER").state != (
        STATE_UNAVAILABLE
    )
    lines = [r for r in caplog.records if "is refused" in r.getMessage()]
    assert len(lines) == 1
    # Not asked again for a day.
    asked = readings_calls(sim, device_id="1001", parameter_key="VOLTAGE")
    await poll(hass, freezer, POLL)
    assert readings_calls(sim, device_id="1001", parameter_key="VOLTAGE") == asked


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("html", "invalid_response"),
        ("malformed_json", "invalid_response"),
        ("server_error", "cannot_connect"),
        ("unavailable", "cannot_connect"),
    ],
)
async def test_a_failed_refresh_makes_entities_unavailable_until_it_passes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
    *,
    fault: str,
    error: str,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    sim.inject(fault, path="readings")
    await poll(hass, freezer, POLL)
    assert not coordinator.last_update_success
    assert getattr(coordinator.last_exception, "translation_key", None) == error
    assert state_of(hass, loaded_entry, "1001", "param_EACTIVE").state == (
        STATE_UNAVAILABLE
    )
    await poll(hass, freezer, POLL)
    assert coordinator.last_update_success
    assert state_of(hass, loaded_entry, "1001", "param_EACTIVE").state != (
        STATE_UNAVAILABLE
    )


async def test_an_empty_answer_keeps_the_last_value(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    before = state_of(hass, loaded_entry, "1001", "param_TEMP")
    sim.inject("empty", path="readings", count=100)
    await poll(hass, freezer, POLL)
    assert coordinator_of(loaded_entry).last_update_success
    after = state_of(hass, loaded_entry, "1001", "param_TEMP")
    assert (after.state, after.attributes) == (before.state, before.attributes)


async def test_a_restart_lists_and_discovers_nothing_again(
    hass: HomeAssistant, sim: DexmaSimulator, loaded_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    sim.clear_requests()
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert {record.path for record in sim.requests} == {"readings"}
    assert entity_id(hass, loaded_entry, "1001", "param_EACTIVE")

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()


def test_unknown_keys_have_no_sensor() -> None:
    assert parameter_description("NOPE") is None
    assert unit_factor("NOPE") == 1.0
    assert unit_factor("PAPPARENT") in (1.0, 1000.0)


async def test_an_answer_in_the_wrong_unit_is_neither_shown_nor_imported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.parameter(1001, "EACTIVE").units = "m3"
    before = await rows(hass, statistic_id(1001, "EACTIVE"))
    with caplog.at_level(logging.WARNING):
        await poll(hass, freezer, POLL)
        await poll(hass, freezer, HOUR)
    energy = state_of(hass, loaded_entry, "1001", "param_EACTIVE")
    assert energy.state == STATE_UNAVAILABLE
    assert await rows(hass, statistic_id(1001, "EACTIVE")) == before
    lines = [r for r in caplog.records if "not imported" in r.getMessage()]
    assert len(lines) == 1


@pytest.mark.parametrize(
    ("portfolio", "options"),
    [(1, {CONF_HISTORY_DAYS: 2, CONF_PARAMETERS: ["eactive", "ereactive"]})],
)
async def test_a_reactive_energy_counter_is_a_sensor_without_statistic(
    hass: HomeAssistant, sim: DexmaSimulator, config_entry: MockConfigEntry
) -> None:
    sim.device(1001).parameters["EREACTIVE"] = SimParameter(
        "EREACTIVE", 98, "Reactive", "kvarh", "ELECTRICAL", cumulative=True, mean=4.0
    )
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    reactive = state_of(hass, config_entry, "1001", "param_EREACTIVE")
    assert reactive.attributes["unit_of_measurement"] == "kvarh"
    assert float(reactive.state) > 0
    assert not await rows(hass, statistic_id(1001, "EREACTIVE"))
