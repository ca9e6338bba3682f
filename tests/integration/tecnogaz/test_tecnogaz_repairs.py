"""A call that answers 404: the real service differs from our contract."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.telemetry_hub.const import DOMAIN
from simulators.tecnogaz import TecnoGazSimulator
from tests.integration.common import poll
from tests.integration.tecnogaz.common import coordinator_of, entity_id, fired, state_of
from tests.integration.tecnogaz.conftest import AURA

MINUTE = timedelta(minutes=1)


def issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    return {
        issue_id: issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN
    }


async def test_a_broken_cycles_call_raises_a_repair_issue_naming_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    cycle_entity = entity_id(hass, loaded_entry, "event", AURA, "cycle")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.break_call("cycles")
    cycle = sim.start_cycle(AURA, "B134")
    freezer.tick(timedelta(minutes=30))
    sim.finish_cycle(AURA, "passed")
    await poll(hass, freezer, MINUTE)

    issue_id = f"contract_mismatch_{loaded_entry.entry_id}_cycles"
    issue = issues(hass)[issue_id]
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "contract_mismatch"
    assert issue.translation_placeholders == {
        "call": "cycles",
        "path": "/devices/{serial}/cycles",
        "version": "v1",
        "title": loaded_entry.title,
    }
    # What needs the call is unavailable, not silently empty; the rest works.
    result = state_of(hass, loaded_entry, "sensor", AURA, "last_cycle_result")
    assert result.state == STATE_UNAVAILABLE
    assert state_of(hass, loaded_entry, "sensor", AURA, "status").state != (
        STATE_UNAVAILABLE
    )
    assert coordinator_of(loaded_entry).last_update_success

    sim.restore_call("cycles")
    await poll(hass, freezer, MINUTE)
    assert issue_id not in issues(hass)
    assert fired(events, cycle_entity)[0][1]["cycle_number"] == cycle.number
    assert len(fired(events, cycle_entity)) == 1


async def test_a_broken_listing_makes_the_contract_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
    caplog: object,
) -> None:
    sim.break_call("devices")
    await poll(hass, freezer, MINUTE)
    assert not coordinator_of(loaded_entry).last_update_success
    assert f"contract_mismatch_{loaded_entry.entry_id}_devices" in issues(hass)
    status = state_of(hass, loaded_entry, "sensor", AURA, "status")
    assert status.state == STATE_UNAVAILABLE

    sim.restore_call("devices")
    await poll(hass, freezer, MINUTE)
    assert issues(hass) == {}
    assert state_of(hass, loaded_entry, "sensor", AURA, "status").state != (
        STATE_UNAVAILABLE
    )


async def test_removing_the_entry_removes_its_issues(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    sim.break_call("alarms")
    sim.raise_alarm(AURA)
    await poll(hass, freezer, MINUTE)
    assert f"contract_mismatch_{loaded_entry.entry_id}_alarms" in issues(hass)
    active = state_of(hass, loaded_entry, "sensor", AURA, "active_alarms")
    assert active.state == STATE_UNAVAILABLE

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert issues(hass) == {}
