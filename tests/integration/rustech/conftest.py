"""Fixtures of the RusTech Home Assistant tests, against its simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
import time

from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, CONF_URL
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
