"""Helpers of the DEXMA Home Assistant tests (not fixtures)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.telemetry_hub.const import DOMAIN
from custom_components.telemetry_hub.vendors.dexma.coordinator import (
    DexmaCoordinator,
)
from simulators.dexma import DexmaSimulator
from tests.integration import common as shared

type Row = tuple[datetime, float | None, float]


def coordinator_of(entry: ConfigEntry) -> DexmaCoordinator:
    """The running coordinator of a loaded entry."""
    coordinator = entry.runtime_data
    assert isinstance(coordinator, DexmaCoordinator)
    return coordinator


def entity_id(hass: HomeAssistant, entry: ConfigEntry, device: str, key: str) -> str:
    """The entity id of one sensor of one device, found by its unique id."""
    return shared.entity_id(hass, entry, "sensor", device, key)


def state_of(hass: HomeAssistant, entry: ConfigEntry, device: str, key: str) -> State:
    """The current state of one sensor of one device."""
    return shared.state_of(hass, entry, "sensor", device, key)


def statistic_id(device: int, key: str, anchor: str = "location_501") -> str:
    """The external statistic of a DEXMA counter."""
    return f"{DOMAIN}:dexma_{anchor}_{device}_{key.lower()}"


async def rows(hass: HomeAssistant, statistic: str) -> list[Row]:
    """Every stored hourly row of a statistic, oldest first: (start, state, sum)."""
    await async_wait_recording_done(hass)
    found: dict[str, list[Any]] = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        {statistic},
        "hour",
        None,
        {"state", "sum"},
    )
    return [
        (datetime.fromtimestamp(row["start"], UTC), row.get("state"), row["sum"])
        for row in found.get(statistic, [])
    ]


def calls_per_hour(sim: DexmaSimulator) -> Counter[int]:
    """Charged requests per clock hour of the simulator's log."""
    return Counter(int(record.at // 3600) for record in sim.requests if record.charged)


def readings_calls(sim: DexmaSimulator, **params: str) -> list[dict[str, str]]:
    """The query of every readings request matching `params`."""
    return [
        record.params
        for record in sim.requests
        if record.path == "readings"
        and all(record.params.get(key) == value for key, value in params.items())
    ]
