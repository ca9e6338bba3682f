"""Setup, unload, retries, authentication, token persistence and removal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
import inspect
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.telemetry_hub.const import CONF_TOKEN, DOMAIN
from simulators.rustech import RusTechSimulator
from tests.conftest import EMAIL
from tests.integration.rustech.common import (
    coordinator_of,
    device_of,
    entity_id,
    session_token,
    state_of,
    stored_token,
)

SetupEntry = Callable[[], Awaitable[MockConfigEntry]]


def reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[Any]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
        and flow["context"]["entry_id"] == entry.entry_id
    ]


async def remove_device(client: Any, device_id: str, entry_id: str) -> Any:
    """Ask to remove a device, as the device page does."""
    # Home Assistant 2026.8 gave each device a single config entry, and the
    # command lost its config entry argument.
    if len(inspect.signature(client.remove_device).parameters) == 1:
        return await client.remove_device(device_id)
    return await client.remove_device(device_id, entry_id)


async def test_setup_and_unload(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    setup_entry: SetupEntry,
    hass_storage: dict[str, Any],
) -> None:
    entry = await setup_entry()

    assert entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert sorted(device.name for device in devices) == sorted(
        station.name for station in sim.stations
    )
    pressure = entity_id(hass, entry, "sensor", 1, "channel_p")
    assert hass.states.get(pressure).state != STATE_UNAVAILABLE
    assert sim.request_count("auth/sign_in") == 1
    # The session is stored at once (not only at shutdown).
    assert stored_token(entry) == session_token(sim)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(pressure).state == STATE_UNAVAILABLE
    # The sync state was stored on the way out, and the session kept.
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["sections"]
    assert sorted(stored["sync"]["stations"]) == ["1", "2", "3", "4"]
    assert "ledger" in stored
    assert sim.request_count("auth/sign_out") == 0
    assert len(sim.sessions(EMAIL)) == 1


async def test_server_down_at_setup_retries(
    hass: HomeAssistant, sim: RusTechSimulator, setup_entry: SetupEntry
) -> None:
    sim.inject("unavailable", count=1)

    entry = await setup_entry()

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert reauth_flows(hass, entry) == []

    assert await hass.config_entries.async_reload(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED


async def test_closed_port_at_setup_retries(
    hass: HomeAssistant, config_entry: MockConfigEntry, closed_url: str
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_URL: closed_url}
    )

    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_wrong_password_without_token_asks_to_reauthenticate(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    config_entry: MockConfigEntry,
    setup_entry: SetupEntry,
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_PASSWORD: "wrong"}
    )

    entry = await setup_entry()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert len(reauth_flows(hass, entry)) == 1
    assert sim.request_count("auth/sign_in") == 1  # no retry of a refused sign-in


async def test_rejected_token_signs_in_once_silently(
    hass: HomeAssistant, sim: RusTechSimulator, loaded_entry: MockConfigEntry
) -> None:
    coordinator = coordinator_of(loaded_entry)
    old_token = stored_token(loaded_entry)
    sim.revoke_sessions()

    await coordinator.async_refresh()

    assert coordinator.last_update_success
    assert sim.request_count("auth/sign_in") == 2
    assert state_of(hass, loaded_entry, "sensor", 1, "channel_p").state != (
        STATE_UNAVAILABLE
    )
    assert stored_token(loaded_entry) != old_token
    assert stored_token(loaded_entry) == session_token(sim)
    assert reauth_flows(hass, loaded_entry) == []


async def test_rejected_token_and_changed_password_start_reauth(
    hass: HomeAssistant, sim: RusTechSimulator, loaded_entry: MockConfigEntry
) -> None:
    coordinator = coordinator_of(loaded_entry)
    sim.revoke_sessions()
    sim.set_password(EMAIL, "changed elsewhere")

    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert not coordinator.last_update_success
    assert len(reauth_flows(hass, loaded_entry)) == 1
    assert sim.request_count("auth/sign_in") == 2
    assert state_of(hass, loaded_entry, "sensor", 1, "channel_p").state == (
        STATE_UNAVAILABLE
    )


async def test_rotated_token_is_stored_even_when_the_refresh_fails(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    before = stored_token(loaded_entry)
    sim.batch_window = 0  # every answer rotates the token
    freezer.tick(timedelta(hours=1))
    # The stations list answers (and rotates the token) with a broken body,
    # and so does its retry: the refresh fails.
    sim.inject("malformed_json", path="stations", count=2)

    await coordinator.async_refresh()

    assert not coordinator.last_update_success
    assert [r.rotated for r in sim.requests if r.path == "stations"][-2:] == [
        True,
        True,
    ]
    client, token = session_token(sim)
    assert stored_token(loaded_entry) == (client, token)
    assert token != before[1]


async def test_restart_continues_without_sign_in_or_downloads(
    hass: HomeAssistant, sim: RusTechSimulator, loaded_entry: MockConfigEntry
) -> None:
    value = state_of(hass, loaded_entry, "sensor", 1, "channel_p").state
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    sim.clear_requests()

    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.LOADED
    # The stored token and sync state: only the stations list is read.
    assert [(r.method, r.path, r.status) for r in sim.requests] == [
        ("GET", "stations", 200)
    ]
    assert state_of(hass, loaded_entry, "sensor", 1, "channel_p").state == value


async def test_restart_reads_the_state_of_an_older_version(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Version 0.1.0 stored the sync state alone, without sections."""
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    key = f"{DOMAIN}.{loaded_entry.entry_id}"
    hass_storage[key]["data"] = hass_storage[key]["data"]["sections"]["sync"]
    sim.clear_requests()

    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert [(r.method, r.path) for r in sim.requests] == [("GET", "stations")]


async def test_remove_entry_signs_out_and_forgets_the_state(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    assert len(sim.sessions(EMAIL)) == 1

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert sim.sessions(EMAIL) == {}
    assert [r.status for r in sim.requests if r.path == "auth/sign_out"] == [200]
    assert f"{DOMAIN}.{loaded_entry.entry_id}" not in hass_storage


async def test_remove_entry_during_a_poll_still_signs_out(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """The poll under way rotates the token; the sign-out uses the newest."""
    sim.batch_window = 0  # every answer rotates the token
    freezer.tick(timedelta(hours=1))
    sim.new_session()
    client = coordinator_of(loaded_entry).client
    send = client._send
    under_way, go_on = asyncio.Event(), asyncio.Event()

    async def held_send(*args: Any, **kwargs: Any) -> Any:
        under_way.set()
        await go_on.wait()
        return await send(*args, **kwargs)

    client._send = held_send  # type: ignore[method-assign]
    refresh = hass.async_create_task(coordinator_of(loaded_entry).async_refresh())
    await under_way.wait()
    removal = hass.async_create_task(
        hass.config_entries.async_remove(loaded_entry.entry_id)
    )
    await asyncio.sleep(0)
    go_on.set()
    await refresh
    await removal
    await hass.async_block_till_done()

    assert sim.sessions(EMAIL) == {}
    assert [r.status for r in sim.requests if r.path == "auth/sign_out"] == [200]


async def test_remove_entry_when_the_server_is_down(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    sim.inject("unavailable", path="auth/sign_out")

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.config_entries.async_get_entry(loaded_entry.entry_id) is None
    assert f"{DOMAIN}.{loaded_entry.entry_id}" not in hass_storage


async def test_remove_entry_without_session(
    hass: HomeAssistant, sim: RusTechSimulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    assert config_entry.data[CONF_TOKEN] is None

    await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()

    assert sim.request_count() == 0


async def test_remove_device_only_once_gone(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "config", {})
    registry = dr.async_get(hass)
    present = device_of(hass, loaded_entry, 1)
    assert present is not None
    # A station that vanished while Home Assistant was off.
    gone = registry.async_get_or_create(
        config_entry_id=loaded_entry.entry_id,
        identifiers={(DOMAIN, f"{loaded_entry.unique_id}_99")},
        name="Demolished boiler house",
    )
    client = await hass_ws_client(hass)

    response = await remove_device(client, present.id, loaded_entry.entry_id)
    assert not response["success"]
    assert registry.async_get(present.id) is not None

    response = await remove_device(client, gone.id, loaded_entry.entry_id)
    assert response["success"]
    assert registry.async_get(gone.id) is None
