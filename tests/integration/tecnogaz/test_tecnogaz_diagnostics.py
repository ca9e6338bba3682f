"""Diagnostics of a Tecno-Gaz contract: useful, and without the token."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from simulators.tecnogaz import DEFAULT_TOKEN
from tests.integration.common import device_entry
from tests.integration.tecnogaz.conftest import AURA


async def test_diagnostics_show_the_contract_but_never_the_token(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    assert DEFAULT_TOKEN not in json.dumps(diagnostics)
    data = diagnostics["data"]
    assert data["contract_version"] == "v1"
    assert data["paths"]["cycles"] == "/devices/{serial}/cycles"
    assert data["requests"] > 0
    assert data["rate_limiter"]["peak_in_a_minute"] <= 80
    assert {s["listing"]["serialNumber"] for s in data["sterilizers"]} == {
        AURA,
        "OWZXY8927",
    }

    device = device_entry(hass, loaded_entry, AURA)
    assert device is not None
    one = await get_diagnostics_for_device(hass, hass_client, loaded_entry, device)
    assert one["listing"]["serialNumber"] == AURA
    assert one["last_finished_cycle"]["cycleNumber"] > 0
    assert DEFAULT_TOKEN not in json.dumps(one)
