"""Helpers of the RusTech Home Assistant tests (not fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.telemetry_hub.const import DOMAIN
from custom_components.telemetry_hub.coordinator import find_device
from custom_components.telemetry_hub.vendors.rustech.coordinator import (
    RusTechCoordinator,
)
from simulators.rustech import RusTechSimulator
from tests.conftest import EMAIL
from tests.integration.common import POLL, entity_id, poll, set_options, state_of


def coordinator_of(entry: ConfigEntry) -> RusTechCoordinator:
    """The running coordinator of a loaded entry."""
    coordinator = entry.runtime_data
    assert isinstance(coordinator, RusTechCoordinator)
    return coordinator


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


__all__ = ["POLL", "entity_id", "poll", "set_options", "state_of"]
