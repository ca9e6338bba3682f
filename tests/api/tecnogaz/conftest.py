"""Fixtures of the Tecno-Gaz tests: the simulator on loopback and clients.

Time is the simulator's `ManualClock`. Every client's rate limiter uses it
too, and its sleep moves it: a catch-up that has to wait a minute for the
budget takes no real time, and the simulator's request log shows the
rolling minutes the server would see.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import aiohttp
import pytest

from custom_components.telemetry_hub.api.ratelimit import RateLimiterRegistry
from custom_components.telemetry_hub.api.tecnogaz import (
    TecnoGazClient,
    TecnoGazSync,
    limiter_key,
)
from simulators.tecnogaz import ManualClock, TecnoGazSimulator


def at(clock: ManualClock) -> datetime:
    """The clock's time as an aware datetime."""
    return datetime.fromtimestamp(clock(), UTC)


class FakeSleep:
    """A sleep that moves the manual clock instead of waiting.

    Before time moves, requests the clients already sent are let reach the
    simulator, so its log records them at the time they really left.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.clients: list[TecnoGazClient] = []
        self.sim: TecnoGazSimulator | None = None
        self.slept: list[float] = []

    def in_flight(self) -> int:
        if self.sim is None:
            return 0
        sent = sum(client.request_count for client in self.clients)
        return sent - self.sim.received

    async def __call__(self, delay: float) -> None:
        self.slept.append(delay)
        for _ in range(500):
            if self.in_flight() <= 0:
                break
            await asyncio.sleep(0.001)
        self.clock.advance(delay)
        await asyncio.sleep(0)


@pytest.fixture
def sim(clock: ManualClock) -> TecnoGazSimulator:
    """Two quiet sterilizers (AURA, ONYX) with history; cycles on command."""
    return TecnoGazSimulator(sterilizers=2, clock=clock, auto=False)


@pytest.fixture
async def url(sim: TecnoGazSimulator, socket_enabled: None) -> AsyncIterator[str]:
    """The simulator's base URL, served on 127.0.0.1."""
    async with sim.serve() as base_url:
        yield base_url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session (Home Assistant's shared one in production)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def sleep(clock: ManualClock, sim: TecnoGazSimulator) -> FakeSleep:
    fake = FakeSleep(clock)
    fake.sim = sim
    return fake


@pytest.fixture
def registry(clock: ManualClock, sleep: FakeSleep) -> RateLimiterRegistry:
    """The integration's one registry: one limiter per token."""
    return RateLimiterRegistry(clock=clock, sleep=sleep)


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession,
    url: str,
    sim: TecnoGazSimulator,
    registry: RateLimiterRegistry,
    sleep: FakeSleep,
) -> Callable[..., TecnoGazClient]:
    """Build a client against the simulator; keyword arguments override."""

    def factory(token: str | None = None, **kwargs: object) -> TecnoGazClient:
        secret = token or sim.token
        options: dict[str, object] = {
            "base_url": url,
            "limiter": registry.get(limiter_key(secret)),
            "request_timeout": 2.0,
        }
        options.update(kwargs)
        made = TecnoGazClient(session, secret, **options)  # type: ignore[arg-type]
        sleep.clients.append(made)
        return made

    return factory


@pytest.fixture
def client(make_client: Callable[..., TecnoGazClient]) -> TecnoGazClient:
    """A client with the simulator's token."""
    return make_client()


@pytest.fixture
def sync(client: TecnoGazClient) -> TecnoGazSync:
    """A sync engine with no stored state."""
    return TecnoGazSync(client)


@pytest.fixture
async def primed(
    sync: TecnoGazSync, sim: TecnoGazSimulator, clock: ManualClock
) -> TecnoGazSync:
    """A sync engine after its first refresh, with the request log cleared."""
    await sync.refresh(at(clock))
    clock.advance(60)
    sim.clear_requests()
    return sync
