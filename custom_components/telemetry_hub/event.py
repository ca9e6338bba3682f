"""Event entities: announcements (alarms, abnormal situations) of devices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import TelemetryHubConfigEntry
from .entity import TelemetryHubEntity, async_add_platform_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """Something a device reported, to be fired once."""

    event_type: str
    attributes: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class TelemetryHubEventEntityDescription(EventEntityDescription):
    """An event entity fed by the events new in each update."""

    events_fn: Callable[[Any], Sequence[DeviceEvent]]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TelemetryHubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities of every device, now and as devices appear."""
    async_add_platform_entities(
        entry.runtime_data, Platform.EVENT, TelemetryHubEvent, async_add_entities
    )


class TelemetryHubEvent(TelemetryHubEntity, EventEntity):
    """Fires each new event of its device once, oldest first."""

    entity_description: TelemetryHubEventEntityDescription
    _handled: Sequence[DeviceEvent] = ()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Fire what the latest data brings, then write the state."""
        data = self.device_data
        events = self.entity_description.events_fn(data) if data else ()
        # Listeners can be called again with the same data (a failed refresh
        # keeps the last data): the events of one update fire only once.
        if events and events is not self._handled:
            self._handled = events
            for event in events:
                self._trigger_event(event.event_type, event.attributes)
                self.async_write_ha_state()
            return
        self.async_write_ha_state()
