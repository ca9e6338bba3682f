"""Event entities: what devices announce (alarms, cycles, abnormal situations)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import DeviceEvent, TelemetryHubConfigEntry
from .entity import TelemetryHubEntity, async_add_platform_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TelemetryHubEventEntityDescription[ViewT](EventEntityDescription):
    """An event entity fed by the events new in each update."""

    events_fn: Callable[[ViewT], Sequence[DeviceEvent]]


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
    """Fires each new event of its device once, oldest first.

    What was fired is kept by the coordinator, per entity: an entity
    created after the refresh that brought events (at start-up, the
    catch-up of what happened while Home Assistant was down) fires them
    when it is added, and a re-created entity never fires one twice.
    """

    entity_description: TelemetryHubEventEntityDescription[Any]

    async def async_added_to_hass(self) -> None:
        """Fire what the data already holds for this entity."""
        await super().async_added_to_hass()
        self._fire_new()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Fire what the latest data brings, then write the state."""
        if not self._fire_new():
            self.async_write_ha_state()

    @callback
    def _fire_new(self) -> bool:
        """Fire the events not fired yet; whether any was."""
        data = self.device_data
        events = self.entity_description.events_fn(data) if data is not None else ()
        assert self.unique_id is not None  # noqa: S101 - every entity has one
        fired = False
        for event in events:
            if self.coordinator.mark_fired(self.unique_id, event):
                self._trigger_event(event.event_type, dict(event.attributes))
                self.async_write_ha_state()
                fired = True
        return fired
