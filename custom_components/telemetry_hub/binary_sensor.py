"""Binary sensors of Telemetry Hub devices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import TelemetryHubConfigEntry
from .entity import TelemetryHubEntity, async_add_platform_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TelemetryHubBinarySensorEntityDescription[ViewT](BinarySensorEntityDescription):
    """A binary sensor whose state is read off its device's view."""

    is_on_fn: Callable[[ViewT], bool | None]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TelemetryHubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of every device, now and as devices appear."""
    async_add_platform_entities(
        entry.runtime_data,
        Platform.BINARY_SENSOR,
        TelemetryHubBinarySensor,
        async_add_entities,
    )


class TelemetryHubBinarySensor(TelemetryHubEntity, BinarySensorEntity):
    """A binary sensor of a Telemetry Hub device."""

    entity_description: TelemetryHubBinarySensorEntityDescription[Any]

    @property
    def is_on(self) -> bool | None:
        """The state, from the latest data."""
        if (view := self.device_data) is None:
            return None
        return self.entity_description.is_on_fn(view)
