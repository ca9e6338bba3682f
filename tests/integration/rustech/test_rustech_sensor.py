"""Sensors of the metering stations: values, units, classes and devices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.api.rustech.models import Station
from custom_components.telemetry_hub.const import DOMAIN
from custom_components.telemetry_hub.vendors.rustech.coordinator import (
    RusTechCoordinator,
    energy_channel,
)
from simulators.rustech import RusTechSimulator
from tests.integration.rustech.common import (
    as_time,
    device_of,
    entity_id,
    newest_hour,
    state_of,
)

SetupEntry = Callable[[], Awaitable[MockConfigEntry]]
KGF_CM2 = 98.0665
ATTR_STATE_CLASS = "state_class"
BK, FLOWGAZ = 1, 2  # station ids of each equipment type in the simulator


def sim_station(coordinator: RusTechCoordinator, station: int) -> Station:
    return coordinator.sync.state.stations[station].station


def sensor(hass: HomeAssistant, entry: MockConfigEntry, station: int, key: str):
    return state_of(hass, entry, "sensor", station, key)


async def test_bk_station(
    hass: HomeAssistant, sim: RusTechSimulator, loaded_entry: MockConfigEntry
) -> None:
    values = sim.hourly_values(BK, newest_hour(sim, BK))

    pressure = sensor(hass, loaded_entry, BK, "channel_p")
    # BK correctors report kgf/cm²; the sensor shows kPa.
    assert float(pressure.state) == pytest.approx(values["P"] * KGF_CM2)
    assert pressure.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kPa"
    assert pressure.attributes[ATTR_DEVICE_CLASS] == "pressure"
    assert pressure.attributes[ATTR_STATE_CLASS] == "measurement"

    temperature = sensor(hass, loaded_entry, BK, "channel_t")
    assert float(temperature.state) == pytest.approx(values["T"])
    assert temperature.attributes[ATTR_UNIT_OF_MEASUREMENT] == "°C"
    assert temperature.attributes[ATTR_DEVICE_CLASS] == "temperature"

    volume = sensor(hass, loaded_entry, BK, "channel_vnakpriv")
    assert float(volume.state) == pytest.approx(values["Vnakpriv"])
    assert volume.attributes[ATTR_DEVICE_CLASS] == "gas"
    assert volume.attributes[ATTR_UNIT_OF_MEASUREMENT] == "m³"
    assert volume.attributes[ATTR_STATE_CLASS] == "total_increasing"
    assert volume.name.endswith("Accumulated standard volume")

    # The BK's standard volume of a day is only in the daily archive.
    daily = sensor(hass, loaded_entry, BK, "channel_vpriv")
    assert daily.name.endswith("Standard volume last day")
    assert daily.attributes[ATTR_DEVICE_CLASS] == "gas"
    assert ATTR_STATE_CLASS not in daily.attributes
    assert float(daily.state) > 0


async def test_flowgaz_station(
    hass: HomeAssistant, sim: RusTechSimulator, loaded_entry: MockConfigEntry
) -> None:
    values = sim.hourly_values(FLOWGAZ, newest_hour(sim, FLOWGAZ))

    pressure = sensor(hass, loaded_entry, FLOWGAZ, "channel_p")
    # Flowgaz correctors report kPa already.
    assert float(pressure.state) == pytest.approx(values["P"])
    assert pressure.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kPa"

    volume = sensor(hass, loaded_entry, FLOWGAZ, "channel_vst")
    assert float(volume.state) == pytest.approx(values["Vst"])
    assert volume.attributes[ATTR_DEVICE_CLASS] == "gas"
    assert volume.attributes[ATTR_UNIT_OF_MEASUREMENT] == "m³"
    assert volume.attributes[ATTR_STATE_CLASS] == "total_increasing"
    assert volume.name.endswith("Total standard volume")


async def test_last_session(
    hass: HomeAssistant, sim: RusTechSimulator, loaded_entry: MockConfigEntry
) -> None:
    last = sim.last_session(FLOWGAZ)
    assert last is not None

    state = sensor(hass, loaded_entry, FLOWGAZ, "last_session")

    assert state.state == as_time(last)
    assert state.attributes[ATTR_DEVICE_CLASS] == "timestamp"


async def test_disabled_by_default(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    registry = er.async_get(hass)
    for station, key in [
        (BK, "channel_vnakwork"),  # accumulated working volume
        (BK, "channel_vwork"),  # working volume of a day
        (FLOWGAZ, "channel_vwork"),  # total working volume
        (FLOWGAZ, "latest_reading"),
    ]:
        entry = registry.async_get(
            entity_id(hass, loaded_entry, "sensor", station, key)
        )
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert hass.states.get(entry.entity_id) is None
    enabled = registry.async_get(
        entity_id(hass, loaded_entry, "sensor", FLOWGAZ, "channel_vst")
    )
    assert enabled is not None
    assert enabled.disabled_by is None


async def test_enabled_latest_reading(
    hass: HomeAssistant, sim: RusTechSimulator, loaded_entry: MockConfigEntry
) -> None:
    registry = er.async_get(hass)
    latest = entity_id(hass, loaded_entry, "sensor", FLOWGAZ, "latest_reading")
    registry.async_update_entity(latest, disabled_by=None)
    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(latest)

    assert state is not None
    # Daily rows close on whole hours too, so the newest hourly row is the
    # newest reading.
    assert state.state == as_time(newest_hour(sim, FLOWGAZ))
    assert state.attributes[ATTR_DEVICE_CLASS] == "timestamp"


async def test_device_info(
    hass: HomeAssistant, sim: RusTechSimulator, url: str, loaded_entry: MockConfigEntry
) -> None:
    for station in sim.stations:
        device = device_of(hass, loaded_entry, station.id)
        assert device is not None
        assert device.name == station.name
        assert device.model == station.brand
        assert device.serial_number == str(station.equipment_id)
        assert device.configuration_url == f"http://{urlsplit(url).netloc}/"
    assert device_of(hass, loaded_entry, BK).model == "БК"
    assert device_of(hass, loaded_entry, FLOWGAZ).model == "Флоугаз"


async def test_known_kind_with_unknown_unit_is_unavailable(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    setup_entry: SetupEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.add_channel(
        BK, "hourly", "Vnakpriv2", "Накопленный приведенный объем 2", "бочки"
    )

    entry = await setup_entry()
    await entry.runtime_data.async_refresh()

    for station in (1, 3):  # both BK stations
        state = sensor(hass, entry, station, "channel_vnakpriv2")
        assert state.state == STATE_UNAVAILABLE
        assert state.attributes[ATTR_DEVICE_CLASS] == "gas"
    assert not er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.unique_id}_{FLOWGAZ}_channel_vnakpriv2"
    )
    warnings = [
        record
        for record in caplog.records
        if record.levelname == "WARNING" and "unit we do not know" in record.message
    ]
    assert len(warnings) == 1
    assert "Vnakpriv2" in warnings[0].message
    assert "бочки" in warnings[0].message
    # The counter with the unknown unit does not feed the statistics either.
    coordinator = entry.runtime_data
    channels = coordinator.sync.state.channels_for(sim_station(coordinator, BK))
    chosen = energy_channel(channels)
    assert chosen is not None
    assert chosen.code == "Vnakpriv"


async def test_unknown_channel_with_known_unit_gets_a_generic_sensor(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    setup_entry: SetupEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.add_channel(BK, "hourly", "Tgr", "Температура грунта", "°C")
    sim.add_channel(BK, "hourly", "Xq", "Загадочный канал", "попугаи")

    entry = await setup_entry()

    registry = er.async_get(hass)
    generic = registry.async_get(entity_id(hass, entry, "sensor", BK, "channel_tgr"))
    assert generic is not None
    assert generic.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    # An unknown channel whose unit is unknown too gets no entity at all,
    # and no warning about a sensor that does not exist.
    assert not registry.async_get_entity_id(
        "sensor", DOMAIN, f"{entry.unique_id}_{BK}_channel_xq"
    )
    assert "unit we do not know" not in caplog.text

    registry.async_update_entity(generic.entity_id, disabled_by=None)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(generic.entity_id)
    assert state is not None
    assert state.name.endswith("Температура грунта")
    assert float(state.state) == pytest.approx(
        sim.hourly_values(BK, newest_hour(sim, BK))["Tgr"]
    )
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "°C"
    assert state.attributes[ATTR_DEVICE_CLASS] == "temperature"
    assert state.attributes[ATTR_STATE_CLASS] == "measurement"
