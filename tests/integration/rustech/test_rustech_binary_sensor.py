"""The connectivity binary sensor of each station."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_DEVICE_CLASS, STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.const import (
    CONF_UPDATE_INTERVAL,
)
from custom_components.telemetry_hub.vendors.rustech.const import CONF_OFFLINE_AFTER
from simulators.rustech import RusTechSimulator
from tests.integration.rustech.common import (
    coordinator_of,
    entity_id,
    poll,
    set_options,
    state_of,
)


def connectivity(hass: HomeAssistant, entry: MockConfigEntry, station: int) -> str:
    return state_of(hass, entry, "binary_sensor", station, "connectivity").state


async def test_on_after_a_recent_session(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    state = state_of(hass, loaded_entry, "binary_sensor", 1, "connectivity")

    assert state.state == STATE_ON
    assert state.attributes[ATTR_DEVICE_CLASS] == "connectivity"
    registry_entry = er.async_get(hass).async_get(
        entity_id(hass, loaded_entry, "binary_sensor", 1, "connectivity")
    )
    assert registry_entry is not None
    assert registry_entry.entity_category is EntityCategory.DIAGNOSTIC


async def test_off_after_the_allowed_silence_and_option_applies_in_place(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(loaded_entry)

    # 25 h without a session: still within the default 26 h.
    await poll(hass, freezer, timedelta(hours=25))
    assert connectivity(hass, loaded_entry, 1) == STATE_ON

    await poll(hass, freezer, timedelta(hours=2))
    assert connectivity(hass, loaded_entry, 1) == STATE_OFF
    assert connectivity(hass, loaded_entry, 2) == STATE_OFF

    # Station 2 reports: only it comes back.
    sim.new_session([2])
    await poll(hass, freezer)
    assert connectivity(hass, loaded_entry, 1) == STATE_OFF
    assert connectivity(hass, loaded_entry, 2) == STATE_ON

    # A longer allowed silence applies at once, without a poll or a reload.
    requests = sim.request_count()
    await set_options(
        hass, loaded_entry, {CONF_UPDATE_INTERVAL: 15, CONF_OFFLINE_AFTER: 48}
    )

    assert connectivity(hass, loaded_entry, 1) == STATE_ON
    assert coordinator_of(loaded_entry) is coordinator
    assert sim.request_count() == requests

    # And a shorter one too.
    await set_options(
        hass, loaded_entry, {CONF_UPDATE_INTERVAL: 15, CONF_OFFLINE_AFTER: 1}
    )

    assert connectivity(hass, loaded_entry, 1) == STATE_OFF
    assert connectivity(hass, loaded_entry, 2) == STATE_ON
