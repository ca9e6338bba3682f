"""Fixtures of the DEXMA client tests: a real aiohttp session and the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web
import pytest

from custom_components.telemetry_hub.api.dexma import DexmaClient, Quota
from simulators.dexma import DEFAULT_TOKEN, DexmaSimulator, ManualClock
from tests.api.dexma.dexma_helpers import Script


@pytest.fixture
def sim(clock: ManualClock) -> DexmaSimulator:
    """Twelve devices in four locations on the manual clock."""
    return DexmaSimulator(devices=12, clock=clock)


@pytest.fixture
async def url(sim: DexmaSimulator, socket_enabled: None) -> AsyncIterator[str]:
    """The simulator's base URL, served on 127.0.0.1."""
    async with sim.serve() as base_url:
        yield base_url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session (Home Assistant's shared one in production)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def quotas() -> list[Quota]:
    """Every quota snapshot the client reported, in order."""
    return []


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, url: str, clock: ManualClock, quotas: list[Quota]
) -> Callable[..., DexmaClient]:
    """Build a client against the simulator; keyword arguments override."""

    def factory(**kwargs: object) -> DexmaClient:
        options: dict[str, object] = {
            "base_url": url,
            "on_quota": quotas.append,
            "clock": clock,
            "request_timeout": 2.0,
        }
        options.update(kwargs)
        token = str(options.pop("token", DEFAULT_TOKEN))
        return DexmaClient(session, token, **options)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def client(make_client: Callable[..., DexmaClient]) -> DexmaClient:
    """A client with the simulator's token."""
    return make_client()


@pytest.fixture
async def scripted(socket_enabled: None) -> AsyncIterator[tuple[Script, str]]:
    """A scripted server on 127.0.0.1 and its base URL."""
    script = Script()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", script.handle)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield script, f"http://127.0.0.1:{port}/v3"
    finally:
        await runner.cleanup()


@pytest.fixture
def scripted_client(
    session: aiohttp.ClientSession,
    scripted: tuple[Script, str],
    clock: ManualClock,
    quotas: list[Quota],
) -> DexmaClient:
    """A client of the scripted server."""
    return DexmaClient(
        session,
        DEFAULT_TOKEN,
        base_url=scripted[1],
        on_quota=quotas.append,
        clock=clock,
        request_timeout=1.0,
    )
