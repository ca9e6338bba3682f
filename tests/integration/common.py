"""Helpers shared by the Home Assistant tests (not fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.telemetry_hub.const import DOMAIN
from custom_components.telemetry_hub.coordinator import find_device
from custom_components.telemetry_hub.vendors.rustech.coordinator import (
    RusTechCoordinator,
)
from simulators.rustech import RusTechSimulator
from tests.conftest import EMAIL

POLL = timedelta(minutes=15)


def coordinator_of(entry: ConfigEntry) -> RusTechCoordinator:
    """The running coordinator of a loaded entry."""
    coordinator = entry.runtime_data
    assert isinstance(coordinator, RusTechCoordinator)
    return coordinator


def entity_id(
    hass: HomeAssistant, entry: ConfigEntry, platform: str, station: int, key: str
) -> str:
    """The entity id of one entity of one station, found by its unique id."""
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{entry.unique_id}_{station}_{key}"
    )
    assert found is not None, f"no {platform} {key} for station {station}"
    return found


def state_of(
    hass: HomeAssistant, entry: ConfigEntry, platform: str, station: int, key: str
) -> State:
    """The current state of one entity of one station."""
    state = hass.states.get(entity_id(hass, entry, platform, station, key))
    assert state is not None
    return state


def device_of(
    hass: HomeAssistant, entry: ConfigEntry, station: int
) -> dr.DeviceEntry | None:
    """The device of a station, if registered."""
    return find_device(
        dr.async_get(hass), (DOMAIN, f"{entry.unique_id}_{station}"), entry.entry_id
    )


def newest_hour(sim: RusTechSimulator, station: int) -> int:
    """Event time of the newest hourly row the station has delivered."""
    last = sim.last_session(station)
    assert last is not None
    return last - last % 3600


def session_token(sim: RusTechSimulator) -> tuple[str, str]:
    """(client id, access token) of the account's only session on the server."""
    sessions = sim.sessions(EMAIL)
    assert len(sessions) == 1, sessions
    (session,) = sessions.values()
    return session.client, session.token


def stored_token(entry: ConfigEntry) -> tuple[str, str]:
    """(client id, access token) stored in the entry."""
    token = entry.data["token"]
    assert token is not None
    return token["client"], token["access_token"]


def as_time(timestamp: float) -> str:
    """A UNIX time as a timestamp sensor shows it."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


async def poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta = POLL
) -> None:
    """Let time pass (by default one poll interval) and run what is due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    # Scheduled refreshes run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


async def set_options(
    hass: HomeAssistant, entry: ConfigEntry, options: dict[str, int]
) -> None:
    """Save options the way a user does: through the options flow."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(result["flow_id"], options)
    await hass.async_block_till_done()
