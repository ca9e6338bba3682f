"""Helpers shared by the Home Assistant tests of every vendor (not fixtures)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.telemetry_hub.const import DOMAIN
from custom_components.telemetry_hub.coordinator import find_device

POLL = timedelta(minutes=15)


async def poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta = POLL
) -> None:
    """Let time pass (by default one poll interval) and run what is due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    # Scheduled refreshes run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


async def set_options(
    hass: HomeAssistant, entry: ConfigEntry, options: dict[str, Any]
) -> None:
    """Save options the way a user does: through the options flow."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(result["flow_id"], options)
    await hass.async_block_till_done()


def entity_id(
    hass: HomeAssistant, entry: ConfigEntry, platform: str, device: object, key: str
) -> str:
    """The entity id of one entity of one device, found by its unique id."""
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{entry.unique_id}_{device}_{key}"
    )
    assert found is not None, f"no {platform} {key} for {device}"
    return found


def state_of(
    hass: HomeAssistant, entry: ConfigEntry, platform: str, device: object, key: str
) -> State:
    """The current state of one entity of one device."""
    state = hass.states.get(entity_id(hass, entry, platform, device, key))
    assert state is not None
    return state


def device_entry(
    hass: HomeAssistant, entry: ConfigEntry, device: object
) -> dr.DeviceEntry | None:
    """The registered device of a device key, on every supported version."""
    return find_device(
        dr.async_get(hass), (DOMAIN, f"{entry.unique_id}_{device}"), entry.entry_id
    )
