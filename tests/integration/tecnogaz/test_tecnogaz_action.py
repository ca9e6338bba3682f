"""The get_cycle_report action."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.telemetry_hub.const import DOMAIN
from simulators.tecnogaz import TecnoGazSimulator
from tests.integration.common import device_entry, poll
from tests.integration.tecnogaz.common import coordinator_of
from tests.integration.tecnogaz.conftest import AURA, ONYX


def device_id(hass: HomeAssistant, entry: MockConfigEntry, serial: str) -> str:
    device = device_entry(hass, entry, serial)
    assert device is not None
    return device.id


async def report(hass: HomeAssistant, **data: object) -> dict[str, object]:
    response = await hass.services.async_call(
        DOMAIN, "get_cycle_report", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def test_report_of_the_last_and_of_a_given_cycle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    cycle = sim.start_cycle(AURA, "B134", operator="Nurse Rossi")
    freezer.tick(timedelta(minutes=35))
    sim.finish_cycle(AURA, "passed")
    await poll(hass, freezer, timedelta(minutes=1))

    last = await report(hass, device_id=device_id(hass, loaded_entry, AURA))
    assert last["serial"] == AURA
    assert last["cycle_number"] == cycle.number
    assert last["result"] == "passed"
    assert last["operator"] == "Nurse Rossi"
    assert last["verification_code"]
    assert [phase["name"] for phase in last["phases"]]  # type: ignore[union-attr]
    assert last["samples"]

    earlier = await report(
        hass,
        device_id=device_id(hass, loaded_entry, AURA),
        cycle_number=cycle.number - 1,
    )
    assert earlier["cycle_number"] == cycle.number - 1


async def test_report_errors_are_translated(
    hass: HomeAssistant,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    other = dr.async_get(hass).async_get_or_create(
        config_entry_id=loaded_entry.entry_id, identifiers={("other", "x")}
    )
    with pytest.raises(ServiceValidationError) as not_ours:
        await report(hass, device_id=other.id)
    assert not_ours.value.translation_key == "not_a_sterilizer"

    sim.inject("server_error", call="report")
    with pytest.raises(HomeAssistantError) as failed:
        await report(hass, device_id=device_id(hass, loaded_entry, ONYX))
    assert failed.value.translation_key == "report_failed"
    assert failed.value.translation_placeholders["serial"] == ONYX

    with pytest.raises(vol.Invalid, match="cycle_number"):
        await report(
            hass, device_id=device_id(hass, loaded_entry, ONYX), cycle_number=0
        )


async def test_a_sterilizer_without_finished_cycles_has_no_report(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    coordinator = coordinator_of(loaded_entry)
    data = coordinator.data[ONYX]
    coordinator.data[ONYX] = replace(
        data, view=replace(data.view, last_finished_cycle=None)
    )
    with pytest.raises(ServiceValidationError) as none_yet:
        await report(hass, device_id=device_id(hass, loaded_entry, ONYX))
    assert none_yet.value.translation_key == "no_cycle"
