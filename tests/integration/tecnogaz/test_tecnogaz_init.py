"""Setting a Tecno-Gaz contract up, its devices and entities, restart, removal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.telemetry_hub.const import DOMAIN
from simulators.tecnogaz import TecnoGazSimulator
from tests.integration.common import poll
from tests.integration.tecnogaz.common import coordinator_of, entity_id, state_of
from tests.integration.tecnogaz.conftest import AURA, ONYX

MINUTE = timedelta(minutes=1)


async def test_setup_creates_a_device_per_sterilizer(
    hass: HomeAssistant, sim: TecnoGazSimulator, loaded_entry: MockConfigEntry
) -> None:
    devices = dr.async_entries_for_config_entry(
        dr.async_get(hass), loaded_entry.entry_id
    )
    assert sorted(
        (d.name, d.manufacturer, d.model, d.serial_number) for d in devices
    ) == [
        (f"AURA {AURA}", "Tecno-Gaz", "AURA", AURA),
        (f"ONYX {ONYX}", "Tecno-Gaz", "ONYX", ONYX),
    ]
    assert all(d.sw_version for d in devices)
    entities = er.async_entries_for_config_entry(
        er.async_get(hass), loaded_entry.entry_id
    )
    assert len(entities) == 2 * (10 + 2 + 2)
    for serial in (AURA, ONYX):
        machine = sim.machine(serial)
        newest = sim.finished_cycles(serial)[-1].number
        status = state_of(hass, loaded_entry, "sensor", serial, "status")
        assert status.state in {"ready", "done", "failed", "running", "not_ready"}
        lifetime = state_of(hass, loaded_entry, "sensor", serial, "lifetime_cycles")
        assert int(lifetime.state) == newest + machine.counter_extra


async def test_a_poll_without_news_costs_one_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    sim.clear_requests()
    await poll(hass, freezer, MINUTE)
    assert sim.calls() == ["devices"]
    sim.start_cycle(AURA, "B134")
    await poll(hass, freezer, MINUTE)
    assert sim.calls()[1:] == ["devices", "cycles"]
    # A cycle known to run costs nothing more while it runs.
    sim.clear_requests()
    await poll(hass, freezer, MINUTE)
    assert sim.calls() == ["devices"]


async def test_rate_limit_makes_entities_unavailable_until_it_passes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    status = entity_id(hass, loaded_entry, "sensor", AURA, "status")
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    # Retry-After 0: a longer hold would leave the limiter waiting on the
    # event loop's clock, which `freezer` stops. (Where Home Assistant has
    # UpdateFailed(retry_after=), the refresh is retried at once.)
    sim.inject("rate_limit", call="devices", retry_after="0")
    sim.clear_requests()
    await poll(hass, freezer, MINUTE)
    await poll(hass, freezer, MINUTE)

    states = [
        event.data["new_state"].state
        for event in changes
        if event.data["entity_id"] == status
    ]
    assert STATE_UNAVAILABLE in states
    assert states[-1] != STATE_UNAVAILABLE
    assert coordinator_of(loaded_entry).last_update_success
    assert [r.status for r in sim.requests][:2] == [429, 200]


async def test_restart_reads_only_the_listing_and_remove_forgets_everything(
    hass: HomeAssistant,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    sim.clear_requests()
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert sim.calls() == ["devices"]
    assert f"{DOMAIN}.{loaded_entry.entry_id}" in hass_storage

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{loaded_entry.entry_id}" not in hass_storage
