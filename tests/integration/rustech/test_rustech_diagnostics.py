"""Diagnostics downloads: useful, and free of secrets and personal data."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.telemetry_hub.api.rustech import server_key
from custom_components.telemetry_hub.const import DOMAIN
from simulators.rustech import RusTechSimulator
from tests.conftest import EMAIL, PASSWORD
from tests.integration.rustech.common import device_of, session_token, stored_token


def secrets(sim: RusTechSimulator, entry: MockConfigEntry) -> list[str]:
    """Everything that must never appear in a download."""
    client, token = stored_token(entry)
    values = [PASSWORD, EMAIL, client, token, *session_token(sim)]
    values += [station.phone for station in sim.stations if station.phone]
    values += [customer.contact_number for customer in sim.customers]
    values += [customer.inn for customer in sim.customers]
    return values


def leaked(diagnostics: dict[str, Any], values: list[str]) -> list[str]:
    text = json.dumps(diagnostics, ensure_ascii=False, default=str)
    # Phone numbers also without their separators.
    compact = text.replace("-", "").replace(" ", "")
    return [
        value
        for value in values
        if value in text or value.replace("-", "").replace(" ", "") in compact
    ]


async def test_entry_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )

    assert leaked(diagnostics, secrets(sim, loaded_entry)) == []
    assert diagnostics["last_update_success"] is True
    assert diagnostics["data"]["server"] == server_key(loaded_entry.data["url"])
    data = diagnostics["data"]
    assert sorted(s["station"]["id"] for s in data["stations"]) == [1, 2, 3, 4]
    assert sorted(data["equipment_types"]) in (["1", "2"], [1, 2])
    assert data["sign_ins"] == 1
    assert data["rejected_tokens"] == 0
    station = next(s for s in data["stations"] if s["station"]["id"] == 2)
    assert station["station"]["name"] == sim.stations[1].name
    assert set(station["readings"]) >= {"p", "t", "vst"}
    assert station["settings"]


async def test_device_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    for station in sim.stations:
        device = device_of(hass, loaded_entry, station.id)
        assert device is not None
        sim.clear_requests()

        diagnostics = await get_diagnostics_for_device(
            hass, hass_client, loaded_entry, device
        )

        # The settings feed no entity: they are read for the download.
        assert [r.params["archive_type"] for r in sim.requests] == ["settings"]
        assert diagnostics["settings_error"] is None

        assert leaked(diagnostics, secrets(sim, loaded_entry)) == []
        assert diagnostics["station"]["id"] == station.id
        assert diagnostics["station"]["equipment_id"] == station.equipment_id
        assert diagnostics["error"] is None
        assert diagnostics["feeds"]["hourly"]["cursor"] > 0
        settings = {s["name"]: s["value"] for s in diagnostics["settings"]}
        assert settings["Контрактный час"] == "10"
        if station.equipment_type_id == 2:  # Flowgaz: the modem's SIM number
            assert settings["Телефон модема"] == "**REDACTED**"


async def test_device_diagnostics_of_an_unknown_device(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
) -> None:
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=loaded_entry.entry_id,
        identifiers={("other", "1"), (DOMAIN, f"{loaded_entry.unique_id}_99")},
    )

    assert (
        await get_diagnostics_for_device(hass, hass_client, loaded_entry, device) == {}
    )


async def test_device_diagnostics_when_the_settings_cannot_be_read(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    device = device_of(hass, loaded_entry, 1)
    assert device is not None
    sim.inject("server_error", path="channel_data", count=2)
    diagnostics = await get_diagnostics_for_device(
        hass, hass_client, loaded_entry, device
    )
    assert diagnostics["settings_error"]  # said, not raised
    assert diagnostics["station"]["id"] == 1
