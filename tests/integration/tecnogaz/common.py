"""Helpers of the Tecno-Gaz Home Assistant tests (not fixtures)."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.helpers import entity_registry as er

from custom_components.telemetry_hub.const import DOMAIN
from custom_components.telemetry_hub.vendors.tecnogaz.coordinator import (
    TecnoGazCoordinator,
)

__all__ = ["EVENT_STATE_CHANGED", "coordinator_of", "entity_id", "fired", "state_of"]


def coordinator_of(entry: ConfigEntry) -> TecnoGazCoordinator:
    """The running coordinator of a loaded entry."""
    coordinator = entry.runtime_data
    assert isinstance(coordinator, TecnoGazCoordinator)
    return coordinator


def entity_id(
    hass: HomeAssistant, entry: ConfigEntry, platform: str, serial: str, key: str
) -> str:
    """The entity id of one entity of one sterilizer, found by its unique id."""
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{entry.unique_id}_{serial}_{key}"
    )
    assert found is not None, f"no {platform} {key} for {serial}"
    return found


def state_of(
    hass: HomeAssistant, entry: ConfigEntry, platform: str, serial: str, key: str
) -> State:
    """The current state of one entity of one sterilizer."""
    state = hass.states.get(entity_id(hass, entry, platform, serial, key))
    assert state is not None
    return state


def fired(events: list[Event], entity: str) -> list[tuple[str, dict[str, Any]]]:
    """(event type, attributes) of every event an event entity fired, in order.

    Each event writes a state (the time it fired, and its attributes); a
    state restored after a reload repeats the last one and is skipped.
    """
    seen: set[str] = set()
    result = []
    for event in events:
        new_state = event.data["new_state"]
        if event.data["entity_id"] != entity or new_state is None:
            continue
        if new_state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            continue
        attributes = dict(new_state.attributes)
        signature = json.dumps([new_state.state, attributes], sort_keys=True)
        if signature in seen:
            continue
        seen.add(signature)
        result.append((str(attributes.pop("event_type")), attributes))
    return result
