"""Event entities: what devices announce (alarms, cycles, abnormal situations)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
import inspect
from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.start import async_at_started

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


# Home Assistant 2026 keeps an event entity's state (the time it fired)
# strictly increasing, so two events of one refresh are two state changes
# for `state` triggers with from/to filters; older versions may give both
# the same millisecond, and the second one is lost to such a trigger.
_LAST_TRIGGERED = "_EventEntity__last_event_triggered"
_STRICTLY_INCREASING = "last + timedelta" in inspect.getsource(
    EventEntity._trigger_event  # noqa: SLF001 - feature detection
)
_STEP = timedelta(milliseconds=1)


class TelemetryHubEvent(TelemetryHubEntity, EventEntity):
    """Fires each new event of its device once, oldest first.

    What was fired is kept by the coordinator, per entity: an entity
    created after the refresh that brought events (at start-up, the
    catch-up of what happened while Home Assistant was down) fires them,
    and a re-created entity never fires one twice. Catch-up events wait
    until Home Assistant has started (automations are on) and the entity's
    first state is written, so automations see each of them.
    """

    entity_description: TelemetryHubEventEntityDescription[Any]

    async def async_added_to_hass(self) -> None:
        """Fire what the data already holds, once automations can see it."""
        await super().async_added_to_hass()

        @callback
        def started(_hass: HomeAssistant) -> None:
            # Not eager: the task runs after this entity's first state write.
            task = self.hass.async_create_task(
                self._async_catch_up(), f"{self.entity_id} catch-up", eager_start=False
            )

            @callback
            def cancel() -> None:
                task.cancel()

            self.async_on_remove(cancel)

        self.async_on_remove(async_at_started(self.hass, started))

    async def _async_catch_up(self) -> None:
        """Fire the events the data held when the entity was added."""
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
                self._fire(event)
                fired = True
        return fired

    @callback
    def _fire(self, event: DeviceEvent) -> None:
        """Trigger one event and write it (a distinct state on every version)."""
        before: datetime | None = getattr(self, _LAST_TRIGGERED, None)
        self._trigger_event(event.event_type, dict(event.attributes))
        now: datetime | None = getattr(self, _LAST_TRIGGERED, None)
        if (
            not _STRICTLY_INCREASING
            and before is not None
            and now is not None
            and now < before + _STEP
        ):
            setattr(self, _LAST_TRIGGERED, before + _STEP)
        self.async_write_ha_state()
