"""Sensors of Telemetry Hub devices."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import TelemetryHubConfigEntry
from .entity import TelemetryHubEntity, always, async_add_platform_entities

# The coordinator does all the I/O; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TelemetryHubSensorEntityDescription[ViewT](SensorEntityDescription):
    """A sensor whose value is read off its device's view."""

    value_fn: Callable[[ViewT], StateType | datetime]
    available_fn: Callable[[ViewT], bool] = always
    attributes_fn: Callable[[ViewT], Mapping[str, Any] | None] | None = None
    last_reset_fn: Callable[[ViewT], datetime | None] | None = None
    """For `total` sensors of one interval: when that interval began."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TelemetryHubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every device, now and as devices appear."""
    async_add_platform_entities(
        entry.runtime_data, Platform.SENSOR, TelemetryHubSensor, async_add_entities
    )


class TelemetryHubSensor(TelemetryHubEntity, SensorEntity):
    """A sensor of a Telemetry Hub device."""

    entity_description: TelemetryHubSensorEntityDescription[Any]

    @property
    def available(self) -> bool:
        """Unavailable also when the value cannot be interpreted."""
        return super().available and self.entity_description.available_fn(
            self.device_data
        )

    @property
    def native_value(self) -> StateType | datetime:
        """The value, from the latest data."""
        if (view := self.device_data) is None:
            return None
        return self.entity_description.value_fn(view)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """What the value alone does not say (e.g. a code the enum lacks)."""
        attributes_fn = self.entity_description.attributes_fn
        if attributes_fn is None or (view := self.device_data) is None:
            return None
        return attributes_fn(view)

    @property
    def last_reset(self) -> datetime | None:
        """When the interval the value covers began (`total` sensors)."""
        last_reset_fn = self.entity_description.last_reset_fn
        if last_reset_fn is None or (view := self.device_data) is None:
            return None
        return last_reset_fn(view)
