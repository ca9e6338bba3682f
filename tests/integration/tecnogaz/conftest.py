"""Fixtures of the Tecno-Gaz Home Assistant tests, against its simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
import time
from urllib.parse import urlsplit

from homeassistant.const import CONF_URL
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.const import CONF_TOKEN, CONF_VENDOR, DOMAIN
from custom_components.telemetry_hub.vendors.tecnogaz.const import CONF_SERIAL
from simulators.tecnogaz import DEFAULT_TOKEN, TecnoGazSimulator

AURA, ONYX = "PXZPB5899", "OWZXY8927"


def _now() -> float:
    """The current time, looked up at each call (follows `freezer`)."""
    return time.time()


@pytest.fixture
def sim() -> TecnoGazSimulator:
    """An AURA and an ONYX with a fortnight of history; cycles on command."""
    return TecnoGazSimulator(sterilizers=2, clock=_now, auto=False)


@pytest.fixture
async def url(sim: TecnoGazSimulator, socket_enabled: None) -> AsyncIterator[str]:
    """The simulator's base URL on 127.0.0.1."""
    async with sim.serve() as base_url:
        yield base_url


@pytest.fixture
def config_entry(url: str) -> MockConfigEntry:
    """A Tecno-Gaz entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Tecno-Gaz {ONYX}, {AURA}",
        unique_id=f"{urlsplit(url).netloc}:{ONYX}",
        data={
            CONF_VENDOR: "tecnogaz",
            CONF_URL: url,
            CONF_TOKEN: DEFAULT_TOKEN,
            CONF_SERIAL: ONYX,
        },
    )
