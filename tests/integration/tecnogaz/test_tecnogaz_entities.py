"""What the sensors and binary sensors of a sterilizer show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulators.tecnogaz import TecnoGazSimulator
from tests.integration.common import device_entry, poll
from tests.integration.tecnogaz.common import entity_id, state_of
from tests.integration.tecnogaz.conftest import AURA, ONYX

MINUTE = timedelta(minutes=1)


def devices(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    return sorted(
        d.serial_number or ""
        for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    )


async def test_cycle_sensors_show_the_last_cycle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    def sensor(key: str) -> Any:
        return state_of(hass, loaded_entry, "sensor", AURA, key)

    cycle = sim.start_cycle(AURA, "PRION")
    await poll(hass, freezer, MINUTE)
    assert sensor("program").state == cycle.program_name
    assert sensor("program").attributes["known_program"] == "PRION"
    assert sensor("cycle_number").state == str(cycle.number)
    freezer.tick(timedelta(minutes=40))
    sim.finish_cycle(
        AURA, "failed", error_code="E07", error_text="Low hold temperature"
    )
    await poll(hass, freezer, MINUTE)

    assert sensor("last_cycle_result").state == "failed"
    assert sensor("last_cycle_result").attributes["error_code"] == "E07"
    assert sensor("last_cycle_result").attributes["cycle_number"] == cycle.number
    end = datetime.fromisoformat(sensor("cycle_end").state)
    assert abs(end - datetime.now(UTC)) < timedelta(minutes=2)
    hold = sensor("hold_temperature")
    assert float(hold.state) == cycle.temperature[0]
    assert hold.attributes["maximum"] == cycle.temperature[1]
    assert hold.attributes["unit_of_measurement"] == "°C"
    pressure = sensor("hold_pressure")
    assert float(pressure.state) == cycle.pressure[0]
    assert pressure.attributes["unit_of_measurement"] == "bar"
    assert sensor("lifetime_cycles").attributes["state_class"] == "total_increasing"


async def test_unknown_program_and_status_are_shown_as_sent(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    sim.start_cycle(AURA, "DENTAL-FAST")

    def maintenance(body: Any) -> Any:
        rows = body["devices"] if isinstance(body, dict) else body
        for row in rows:
            row["status"] = "maintenance"
        return body

    sim.inject("mutate", call="devices", fn=maintenance)
    await poll(hass, freezer, MINUTE)

    status = state_of(hass, loaded_entry, "sensor", AURA, "status")
    assert status.state == STATE_UNKNOWN
    assert status.attributes["reported_status"] == "maintenance"
    program = state_of(hass, loaded_entry, "sensor", AURA, "program")
    assert program.attributes["program_code"] == "DENTAL-FAST"
    assert program.attributes["known_program"] is None
    connectivity = state_of(hass, loaded_entry, "binary_sensor", AURA, "connectivity")
    assert connectivity.state == STATE_UNKNOWN


async def test_offline_sterilizer_loses_connectivity(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    connectivity = entity_id(hass, loaded_entry, "binary_sensor", ONYX, "connectivity")
    assert hass.states.get(connectivity).state == "on"
    sim.set_offline(ONYX)
    await poll(hass, freezer, MINUTE)
    assert hass.states.get(connectivity).state == "off"
    assert state_of(hass, loaded_entry, "sensor", ONYX, "status").state == "offline"


async def test_sterilizers_join_without_reload_and_leave_after_three_listings(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    added = sim.add_sterilizer("AURA")
    await poll(hass, freezer, MINUTE)
    assert devices(hass, loaded_entry) == sorted([AURA, ONYX, added.serial])
    assert state_of(hass, loaded_entry, "sensor", added.serial, "status")

    sim.remove_from_contract(ONYX)
    for _ in range(2):
        await poll(hass, freezer, MINUTE)
        assert ONYX in devices(hass, loaded_entry)  # not on one missing answer
    await poll(hass, freezer, MINUTE)
    assert ONYX not in devices(hass, loaded_entry)
    assert device_entry(hass, loaded_entry, ONYX) is None
