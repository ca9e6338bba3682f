"""Fixtures of the client tests: a real aiohttp session and the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from custom_components.telemetry_hub.api.rustech.client import RusTechClient
from custom_components.telemetry_hub.api.rustech.models import RusTechToken
from simulators.rustech import ManualClock, RusTechSimulator
from tests.conftest import EMAIL, PASSWORD

# A schedule so long that no station reports on its own during a test:
# sessions happen only when a test calls `new_session`.
NO_SCHEDULE = (10 * 365 * 86400,)


@pytest.fixture
def sim(clock: ManualClock) -> RusTechSimulator:
    """Six stations (BK and Flowgaz) on the manual clock, all just reported."""
    simulator = RusTechSimulator(stations=6, clock=clock, session_periods=NO_SCHEDULE)
    simulator.new_session()
    return simulator


@pytest.fixture
async def url(sim: RusTechSimulator, socket_enabled: None) -> AsyncIterator[str]:
    """The simulator's base URL, served on 127.0.0.1."""
    async with sim.serve() as base_url:
        yield base_url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session (Home Assistant's shared one in production)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def tokens() -> list[RusTechToken | None]:
    """Every token the client reported, in order."""
    return []


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession,
    url: str,
    clock: ManualClock,
    tokens: list[RusTechToken | None],
) -> Callable[..., RusTechClient]:
    """Build a client against the simulator; keyword arguments override."""

    def factory(**kwargs: object) -> RusTechClient:
        options: dict[str, object] = {
            "on_token_change": tokens.append,
            "clock": clock,
            "request_timeout": 2.0,
            "retry_delay": 0.0,
        }
        options.update(kwargs)
        return RusTechClient(session, url, EMAIL, PASSWORD, **options)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def client(make_client: Callable[..., RusTechClient]) -> RusTechClient:
    """A client with no stored token."""
    return make_client()
