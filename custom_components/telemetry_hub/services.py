"""The integration's generic actions: `import_history`.

`import_history` backfills long-term statistics for a date range, for one
device or every device of an entry, through the entry's coordinator
(`async_import_history`); vendors without history refuse it (`no_history`).
The vendor's errors come back translated, as the coordinator's refreshes
translate them.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .api import (
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubError,
    TelemetryHubRateLimitError,
)
from .const import DOMAIN, MAX_HISTORY_DAYS
from .coordinator import TelemetryHubConfigEntry, TelemetryHubCoordinator

SERVICE_IMPORT_HISTORY = "import_history"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_DEVICE_ID = "device_id"
ATTR_START = "start"
ATTR_END = "end"

IMPORT_HISTORY_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DEVICE_ID): cv.string,
        vol.Required(ATTR_START): cv.date,
        vol.Optional(ATTR_END): cv.date,
    }
)

# The client's errors, most specific first, and the texts that explain them.
_VENDOR_ERRORS: tuple[tuple[type[TelemetryHubError], str], ...] = (
    (TelemetryHubAuthError, "auth_failed"),
    (TelemetryHubRateLimitError, "rate_limited"),
    (TelemetryHubConnectionError, "cannot_connect"),
    (TelemetryHubError, "invalid_response"),
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, in `async_setup`)."""

    async def import_history(call: ServiceCall) -> ServiceResponse:
        return await _async_import_history(hass, call)

    hass.services.async_register(
        DOMAIN,
        SERVICE_IMPORT_HISTORY,
        import_history,
        schema=IMPORT_HISTORY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


async def _async_import_history(
    hass: HomeAssistant, call: ServiceCall
) -> ServiceResponse:
    """Check the call, then let the entry's coordinator import the range."""
    entry = _loaded_entry(hass, call.data[ATTR_CONFIG_ENTRY_ID])
    coordinator = entry.runtime_data
    device_keys = None
    if device_id := call.data.get(ATTR_DEVICE_ID):
        device_keys = [_device_key(hass, entry, coordinator, device_id)]
    today = dt_util.now().date()
    start: date = call.data[ATTR_START]
    end: date = call.data.get(ATTR_END) or today
    if start > end or end > today or (end - start).days >= MAX_HISTORY_DAYS:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_range",
            translation_placeholders={
                "start": start.isoformat(),
                "end": end.isoformat(),
                "max_days": str(MAX_HISTORY_DAYS),
            },
        )
    try:
        result = await coordinator.async_import_history(device_keys, start, end)
    except TelemetryHubError as err:
        key = next(key for kind, key in _VENDOR_ERRORS if isinstance(err, kind))
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"error": str(err)},
        ) from err
    return result if call.return_response else None


def _loaded_entry(hass: HomeAssistant, entry_id: str) -> TelemetryHubConfigEntry:
    """The loaded Telemetry Hub entry of an id, or a translated refusal."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if (
        entry is None
        or entry.domain != DOMAIN
        or entry.state is not ConfigEntryState.LOADED
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"entry": entry.title if entry else entry_id},
        )
    return cast("TelemetryHubConfigEntry", entry)


def _device_key(
    hass: HomeAssistant,
    entry: TelemetryHubConfigEntry,
    coordinator: TelemetryHubCoordinator[Any],
    device_id: str,
) -> str:
    """The coordinator's key of a registered device of the entry."""
    registry = dr.async_get(hass)
    for key in coordinator.device_keys():
        device = coordinator.find_device(registry, key)
        if device is not None and device.id == device_id:
            return key
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_in_entry",
        translation_placeholders={"entry": entry.title},
    )
