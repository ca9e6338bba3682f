"""The base entity, and the helper that adds entities as devices appear."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import TelemetryHubCoordinator


class TelemetryHubEntity(CoordinatorEntity[TelemetryHubCoordinator[Any]]):
    """An entity of one device of one account."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: TelemetryHubCoordinator[Any],
        device_key: str,
        description: EntityDescription,
    ) -> None:
        """Bind the entity to its device and description."""
        super().__init__(coordinator, context=device_key)
        self.entity_description = description
        self.device_key = device_key
        self._attr_unique_id = coordinator.entity_unique_id(device_key, description.key)
        self._attr_device_info = coordinator.device_info(device_key)

    @property
    def device_data(self) -> Any | None:
        """This entity's device view in the coordinator data."""
        return self.coordinator.device_data(self.device_key)

    @property
    def available(self) -> bool:
        """Available while the account answers and the device exists."""
        return super().available and self.device_data is not None


type EntityFactory = Callable[
    [TelemetryHubCoordinator[Any], str, EntityDescription], Entity
]

_ADDING = (ConfigEntryState.SETUP_IN_PROGRESS, ConfigEntryState.LOADED)
ADD_CHUNK = 25
"""Entities handed to Home Assistant per event-loop step.

Adding an entity costs Home Assistant up to a millisecond of CPU (device
and entity registry entries, entity id, first state; `scripts/bench`): the
first set-up of a 1,000-station account adds some 8,000 of them, seconds
in one step without chunks.
"""


def always(_view: object) -> bool:
    """An entity whose value is always meaningful while its device exists."""
    return True


@callback
def async_add_platform_entities(
    coordinator: TelemetryHubCoordinator[Any],
    platform: Platform,
    factory: EntityFactory,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a platform's entities now, and new ones after every update.

    New devices (and new channels of known ones) appear without a reload.
    """
    known: set[str] = set()

    @callback
    def add_new_entities() -> None:
        current = {
            coordinator.entity_unique_id(device_key, description.key): (
                device_key,
                description,
            )
            for device_key, description in coordinator.descriptions(platform)
        }
        new = [current[unique_id] for unique_id in current.keys() - known]
        if len(new) > ADD_CHUNK:
            coordinator.config_entry.async_create_task(
                coordinator.hass,
                _add_in_steps(
                    coordinator.config_entry,
                    async_add_entities,
                    [partial(factory, coordinator, *item) for item in new],
                ),
                f"{platform} entities of {coordinator.config_entry.title}",
            )
        elif new:
            async_add_entities([factory(coordinator, *item) for item in new])
        # Forget entities of removed devices, so a device that comes back
        # gets its entities again.
        known.clear()
        known.update(current)

    add_new_entities()
    coordinator.config_entry.async_on_unload(
        coordinator.async_add_listener(add_new_entities)
    )


async def _add_in_steps(
    entry: ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    makers: Sequence[Callable[[], Entity]],
) -> None:
    """Create and add entities ADD_CHUNK at a time; the event loop runs between.

    Stops when the entry is being unloaded: its platforms are gone.
    """
    for start in range(0, len(makers), ADD_CHUNK):
        if entry.state not in _ADDING:
            return
        async_add_entities([make() for make in makers[start : start + ADD_CHUNK]])
        await asyncio.sleep(0)
