"""Fixtures of the DEXMA Home Assistant tests, against its simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
import time
from urllib.parse import urlsplit

from homeassistant.const import CONF_URL
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.const import (
    CONF_HISTORY_DAYS,
    CONF_TOKEN,
    CONF_VENDOR,
    DOMAIN,
)
from custom_components.telemetry_hub.vendors.dexma.const import CONF_ANCHOR
from simulators.dexma import DEFAULT_TOKEN, DexmaSimulator

ANCHOR = "location:501"
TITLE = "DEXMA Madrid HQ +3"


def _now() -> float:
    """The current time, looked up at each call (follows `freezer`)."""
    return time.time()


@pytest.fixture
def portfolio() -> int:
    """Devices of the simulated account (tests override it)."""
    return 8


@pytest.fixture
def options() -> dict[str, object]:
    """The entry's options (tests override it): a short history window."""
    return {CONF_HISTORY_DAYS: 2}


@pytest.fixture
def sim(portfolio: int) -> DexmaSimulator:
    """Four locations (Madrid, Adelaide, UTC, none) and their devices."""
    return DexmaSimulator(devices=portfolio, clock=_now, lag=3600)


@pytest.fixture
async def url(sim: DexmaSimulator, socket_enabled: None) -> AsyncIterator[str]:
    """The simulator's base URL on 127.0.0.1."""
    async with sim.serve() as base_url:
        yield base_url


@pytest.fixture
def config_entry(url: str, options: dict[str, object]) -> MockConfigEntry:
    """A DEXMA entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=f"{urlsplit(url).netloc}:{ANCHOR}",
        data={
            CONF_VENDOR: "dexma",
            CONF_URL: url,
            CONF_TOKEN: DEFAULT_TOKEN,
            CONF_ANCHOR: ANCHOR,
        },
        options=options,
    )
