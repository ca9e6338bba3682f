"""Diagnostics downloads, with secrets and personal data redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import CONF_TOKEN, DOMAIN
from .coordinator import TelemetryHubConfigEntry
from .vendors import vendor_of

# What no vendor's download may show; vendors add their own keys.
TO_REDACT = frozenset(
    {
        CONF_PASSWORD,
        CONF_TOKEN,
        CONF_EMAIL,
        "access_token",
        "email",
        "unique_id",
        "title",
        "phone",
    }
)


def _redact(entry: TelemetryHubConfigEntry, data: dict[str, Any]) -> dict[str, Any]:
    return async_redact_data(data, TO_REDACT | vendor_of(entry.data).redact)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry
) -> dict[str, Any]:
    """The account's configuration and state."""
    coordinator = entry.runtime_data
    return _redact(
        entry,
        {
            "entry": entry.as_dict(),
            "last_update_success": coordinator.last_update_success,
            "data": await coordinator.async_diagnostics(),
        },
    )


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """One device's state."""
    coordinator = entry.runtime_data
    identifiers = {
        identifier for domain, identifier in device.identifiers if domain == DOMAIN
    }
    for device_key in coordinator.device_keys():
        if coordinator.device_identifier(device_key) in identifiers:
            return _redact(
                entry, await coordinator.async_device_diagnostics(device_key)
            )
    return {}
