"""Diagnostics downloads, with secrets and personal data redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import CONF_TOKEN, DOMAIN
from .coordinator import TelemetryHubConfigEntry

TO_REDACT = {
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_EMAIL,
    "access_token",
    "client",
    "uid",
    "email",
    "unique_id",
    "title",
    "phone",
    "contact_number",
    "inn",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry
) -> dict[str, Any]:
    """The account's configuration and state."""
    coordinator = entry.runtime_data
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "server": entry.data.get(CONF_URL),
        "last_update_success": coordinator.last_update_success,
        "data": async_redact_data(coordinator.diagnostics(), TO_REDACT),
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """One device's state."""
    coordinator = entry.runtime_data
    for domain, identifier in device.identifiers:
        if domain != DOMAIN:
            continue
        for device_key in coordinator.device_keys():
            if coordinator.device_identifier(device_key) == identifier:
                return async_redact_data(
                    coordinator.device_diagnostics(device_key), TO_REDACT
                )
    return {}
