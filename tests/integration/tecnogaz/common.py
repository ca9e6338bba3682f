"""Helpers of the Tecno-Gaz Home Assistant tests (not fixtures)."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event

from custom_components.telemetry_hub.vendors.tecnogaz.coordinator import (
    TecnoGazCoordinator,
)
from tests.integration.common import entity_id, state_of

__all__ = ["EVENT_STATE_CHANGED", "coordinator_of", "entity_id", "fired", "state_of"]


def coordinator_of(entry: ConfigEntry) -> TecnoGazCoordinator:
    """The running coordinator of a loaded entry."""
    coordinator = entry.runtime_data
    assert isinstance(coordinator, TecnoGazCoordinator)
    return coordinator


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
