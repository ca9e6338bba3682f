"""Telemetry Hub: vendor telemetry clouds in Home Assistant.

This module is vendor-neutral: every vendor-specific decision is read off
the entry's `VendorDescriptor` (see `vendor.py` and `vendors/`).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, PLATFORMS
from .coordinator import TelemetryHubConfigEntry
from .services import async_setup_services
from .vendors import VENDORS, vendor_of

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (once, whatever the entries)."""
    async_setup_services(hass)
    for vendor in VENDORS.values():
        vendor.async_register_actions(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry
) -> bool:
    """Set up one account: first poll, then the platforms."""
    coordinator = vendor_of(entry.data).create_coordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry
) -> bool:
    """Unload the platforms; the coordinator stores its state on shutdown."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry
) -> None:
    """End the account's sessions and forget what it stored."""
    await vendor_of(entry.data).async_remove_entry(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a device only once it is gone from the account."""
    coordinator = entry.runtime_data
    present = {coordinator.device_identifier(key) for key in coordinator.device_keys()}
    return not any(
        domain == DOMAIN and identifier in present
        for domain, identifier in device.identifiers
    )
