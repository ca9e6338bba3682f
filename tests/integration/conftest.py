"""Fixtures of the Home Assistant tests: the integration against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
import logging
import socket
import time
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, CONF_URL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.api.rustech.client import server_key
from custom_components.telemetry_hub.const import CONF_TOKEN, CONF_VENDOR, DOMAIN
from simulators.rustech import RusTechSimulator
from tests.api.rustech.conftest import NO_SCHEDULE
from tests.conftest import EMAIL, PASSWORD

HISTORY_DAYS = 3

# The Home Assistant test plugin logs every SQL statement; the statistics
# imports of these tests make that thousands of lines per test, and slow.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def auto_enable(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """Load custom integrations, with a recorder (the integration needs one)."""


def _now() -> float:
    """The current time, looked up at each call.

    The simulator's default clock is the `time.time` function object taken
    when the simulator module was imported, which the `freezer` fixture
    cannot reach; this one follows a frozen (and moved) clock.
    """
    return time.time()


@pytest.fixture
def sim() -> RusTechSimulator:
    """Four stations (two BK, two Flowgaz) on the real (or frozen) clock.

    Stations report only when a test calls `new_session`; all reported just
    before the test started. The archives reach three days back (not the
    default 60): every setup imports the hourly counters into the recorder,
    row by row, and a month of them would make each setup take seconds.
    """
    simulator = RusTechSimulator(
        stations=4, session_periods=NO_SCHEDULE, clock=_now, history_days=HISTORY_DAYS
    )
    simulator.new_session()
    return simulator


@pytest.fixture
async def url(sim: RusTechSimulator, socket_enabled: None) -> AsyncIterator[str]:
    """The simulator's base URL on 127.0.0.1."""
    async with sim.serve() as base_url:
        yield base_url


@pytest.fixture
def config_entry(url: str) -> MockConfigEntry:
    """A RusTech entry as the config flow creates it, without a session yet."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="API user (127.0.0.1)",
        unique_id=f"{server_key(url)}:{EMAIL}",
        data={
            CONF_VENDOR: "rustech",
            CONF_URL: url,
            CONF_EMAIL: EMAIL,
            CONF_PASSWORD: PASSWORD,
            CONF_TOKEN: None,
        },
    )


@pytest.fixture
def setup_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> Callable[[], Awaitable[MockConfigEntry]]:
    """Add the entry to Home Assistant and set it up."""

    async def setup() -> MockConfigEntry:
        if config_entry.entry_id not in {
            e.entry_id for e in hass.config_entries.async_entries(DOMAIN)
        }:
            config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        return config_entry

    return setup


@pytest.fixture
async def loaded_entry(
    setup_entry: Callable[[], Awaitable[MockConfigEntry]],
) -> MockConfigEntry:
    """The entry, set up against the simulator."""
    entry = await setup_entry()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
def closed_url() -> str:
    """An API address on 127.0.0.1 where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"
