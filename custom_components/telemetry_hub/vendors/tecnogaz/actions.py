"""The `telemetry_hub.get_cycle_report` action: one cycle's full report.

For automations that file the sterilization record a practice must keep:
the cycle's program, times, outcome, hold values, phases, samples and
verification code, returned as response data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import voluptuous as vol

from ...api import TelemetryHubError
from ...const import DOMAIN

if TYPE_CHECKING:
    from .coordinator import TecnoGazCoordinator

SERVICE_GET_CYCLE_REPORT = "get_cycle_report"
ATTR_CYCLE_NUMBER = "cycle_number"
SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Optional(ATTR_CYCLE_NUMBER): vol.All(vol.Coerce(int), vol.Range(min=1)),
    }
)


@callback
def async_register_actions(hass: HomeAssistant) -> None:
    """Register the action (once)."""

    async def get_cycle_report(call: ServiceCall) -> ServiceResponse:
        coordinator, serial = _sterilizer(hass, call.data[ATTR_DEVICE_ID])
        number = call.data.get(ATTR_CYCLE_NUMBER)
        if number is None:
            data = coordinator.device_data(serial)
            finished = data.finished if data else None
            if finished is None:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="no_cycle",
                    translation_placeholders={"serial": serial},
                )
            number = finished.number
        try:
            report = await coordinator.client.report(serial, number)
        except TelemetryHubError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="report_failed",
                translation_placeholders={
                    "serial": serial,
                    "cycle": str(number),
                    "error": str(err),
                },
            ) from err
        response: dict[str, Any] = {"serial": serial, **report.as_dict()}
        return response

    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CYCLE_REPORT,
        get_cycle_report,
        schema=SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


def _sterilizer(hass: HomeAssistant, device_id: str) -> tuple[TecnoGazCoordinator, str]:
    """The coordinator and serial of a sterilizer device of a loaded entry."""
    from .coordinator import TecnoGazCoordinator  # noqa: PLC0415 - import cycle

    device = dr.async_get(hass).async_get(device_id)
    for entry_id in device.config_entries if device else ():
        entry = hass.config_entries.async_get_entry(entry_id)
        if (
            entry is None
            or entry.domain != DOMAIN
            or entry.state is not ConfigEntryState.LOADED
            or not isinstance(coordinator := entry.runtime_data, TecnoGazCoordinator)
        ):
            continue
        assert device is not None  # noqa: S101 - looped over its entries
        for serial in coordinator.device_keys():
            if (DOMAIN, coordinator.device_identifier(serial)) in device.identifiers:
                return coordinator, serial
    raise ServiceValidationError(
        translation_domain=DOMAIN, translation_key="not_a_sterilizer"
    )
