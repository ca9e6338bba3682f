"""Telemetry Hub: vendor telemetry clouds in Home Assistant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import CONF_VENDOR, DOMAIN, PLATFORMS, VENDOR_RUSTECH
from .coordinator import TelemetryHubConfigEntry, TelemetryHubCoordinator
from .vendors import rustech

# Per vendor: how an entry becomes a coordinator, and what removing it does.
_COORDINATORS: dict[
    str,
    Callable[[HomeAssistant, TelemetryHubConfigEntry], TelemetryHubCoordinator[Any]],
] = {VENDOR_RUSTECH: rustech.async_create_coordinator}
_REMOVERS: dict[str, Callable[[HomeAssistant, ConfigEntry], Awaitable[None]]] = {
    VENDOR_RUSTECH: rustech.async_remove_account
}


async def async_setup_entry(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry
) -> bool:
    """Set up one account: first poll, then the platforms."""
    coordinator = _COORDINATORS[entry.data[CONF_VENDOR]](hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry
) -> bool:
    """Unload the platforms; the coordinator stores its state on shutdown."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Sign out and forget what the account stored."""
    await _REMOVERS[entry.data[CONF_VENDOR]](hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a device only once it is gone from the account."""
    coordinator = entry.runtime_data
    present = {
        coordinator.device_identifier(device_key)
        for device_key in coordinator.device_keys()
    }
    return not any(
        domain == DOMAIN and identifier in present
        for domain, identifier in device.identifiers
    )
