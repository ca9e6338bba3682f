"""Diagnostics of a DEXMA account: the plan and the portfolio, never the token."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from simulators.dexma import DEFAULT_TOKEN
from tests.integration.dexma.common import coordinator_of, statistic_id


async def test_diagnostics_show_the_budget_but_never_the_token(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    text = json.dumps(diagnostics)
    assert DEFAULT_TOKEN not in text
    assert diagnostics["entry"]["data"]["token"] == "**REDACTED**"
    data = diagnostics["data"]
    assert data["quota"]["hour_limit"] == 1000
    assert data["plan"]["streams"] == 24
    assert data["plan"]["stretched"] is False
    assert data["our_calls"]["last_hour"] == data["requests"]
    assert data["last_tick"]["listing"] == 2
    assert data["portfolio"] == {
        "devices": 8,
        "locations": 4,
        "discovered": 8,
        "meters": 24,
        "listed_at": data["portfolio"]["listed_at"],
    }
    assert len(data["devices"]) == 8

    registry = dr.async_get(hass)
    coordinator = coordinator_of(loaded_entry)
    for key in ("1001", "account"):
        device = coordinator.find_device(registry, key)
        assert device is not None
        one = await get_diagnostics_for_device(hass, hass_client, loaded_entry, device)
        assert DEFAULT_TOKEN not in json.dumps(one)
        if key == "1001":
            assert one["location"]["timezone"] == "Europe/Madrid"
            meter = one["meters"]["1001/EACTIVE"]
            assert meter["statistic_id"] == statistic_id(1001, "EACTIVE")
            assert meter["resolution"] == "H"
    assert await coordinator.async_device_diagnostics("999") == {}
