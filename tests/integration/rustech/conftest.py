"""Fixtures of the RusTech Home Assistant tests, against its simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
import time

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
def closed_url(closed_port: int) -> str:
    """An API address on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{closed_port}/api/v1"


async def drain_backfill(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    """Run the background history backfill to its end now; its step count."""
    coordinator = entry.runtime_data
    steps = 0
    coordinator._cancel_backfill()
    while coordinator.sync.backfill_pending:
        await coordinator._async_backfill_step()
        coordinator._cancel_backfill()
        steps += 1
    await hass.async_block_till_done()
    return steps


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, setup_entry: Callable[[], Awaitable[MockConfigEntry]]
) -> MockConfigEntry:
    """The entry, set up against the simulator, with its history read.

    The history comes in the background after set-up; most tests start
    from an account whose history is in (see test_rustech_backfill.py for
    the background itself).
    """
    entry = await setup_entry()
    assert entry.state is ConfigEntryState.LOADED
    await drain_backfill(hass, entry)
    return entry
