"""Fixtures of the Tecno-Gaz simulator tests: the simulator and a bare client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
import json
from typing import Any

import aiohttp
import pytest

from simulators.tecnogaz import ManualClock, TecnoGazSimulator

START = 1_763_967_600.0  # Monday 2025-11-24 07:00 UTC
AURA, ONYX = "PXZPB5899", "OWZXY8927"
HEADER = "x-tgz-distro-token"


class Api:
    """GET with the token; the body decoded when it is JSON."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self.session = session
        self.url = url
        self.token = token

    async def get(
        self, path: str, token: str | None = "", **params: Any
    ) -> tuple[aiohttp.ClientResponse, Any]:
        headers = {} if token is None else {HEADER: token or self.token}
        async with self.session.get(
            f"{self.url}{path}",
            params={k: str(v) for k, v in params.items()},
            headers=headers,
        ) as resp:
            text = await resp.text()
            try:
                body = json.loads(text)
            except ValueError:
                body = text
            return resp, body


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> TecnoGazSimulator:
    return TecnoGazSimulator(sterilizers=2, clock=clock, auto=False)


@pytest.fixture
async def url(socket_enabled: None, sim: TecnoGazSimulator) -> AsyncIterator[str]:
    async with sim.serve() as base_url:
        yield base_url


@pytest.fixture
async def api(url: str, sim: TecnoGazSimulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, url, sim.token)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
