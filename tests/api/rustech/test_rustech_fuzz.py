"""Fuzzing the client: mutated answers to every view (issue 8, item 1).

A small server answers every request with a real answer of the simulator
for that view, mutated at random (seeded): keys dropped, types swapped,
empty, HTML, truncated and deeply nested bodies, huge numbers, odd header
values, paging lies, odd statuses. Whatever it sends, a call of the
client either returns or raises one of the package's own errors, and
never hangs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
import json
import random
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.telemetry_hub.api import TelemetryHubError
from custom_components.telemetry_hub.api.rustech.client import RusTechClient
from custom_components.telemetry_hub.api.rustech.models import ArchiveType, RusTechToken
from custom_components.telemetry_hub.api.rustech.records import json_safe_channels
from simulators.rustech import ManualClock, RusTechSimulator
from simulators.rustech.auth import token_headers
from simulators.rustech.models import SessionInfo
from simulators.rustech.views import VIEWS
from tests.conftest import EMAIL, PASSWORD, START

CASES_PER_VIEW = 120
TODAY = date(2025, 11, 22)
HUGE_INT = "9" * 5000
"""Beyond what any JSON decoder takes as an integer."""
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**70,
    -(2**64),
    10**200,
    1e308,
    -0.0,
    3.5,
    "",
    " ",
    "--1",
    "²",
    "٣",
    "9" * 40,
    "NaN",
    "nan",
    "inf",
    "1e400",
    "\ud800",
    "<html>",
    "x" * 5000,
    [],
    {},
    [[[]]],
    {"a": {"b": []}},
    [{"": 1}],
]
RAW_TOKENS = {
    "__HUGE_INT__": HUGE_INT,
    "__BIG_FLOAT__": "1e400",
    "__NAN__": "NaN",
    "__NEG_INF__": "-Infinity",
}
ODD_HEADERS = [
    " ",
    "",
    "--1",
    "²",
    "9" * 5000,
    "-5",
    "1e9",
    "a b c",
    "someone@else.net",
    "x" * 600,
    "\tvalue\t",
]
STATUSES = [200, 200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 422, 429, 500, 503]


def mutate(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """A randomly damaged copy of a JSON value."""
    roll = rng.random()
    if roll < 0.08:
        return rng.choice([*ODD_VALUES, *RAW_TOKENS])
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if rng.random() < 0.1:
                continue
            result[key] = mutate(item, rng, depth + 1) if rng.random() < 0.3 else item
        if rng.random() < 0.1:
            result[rng.choice(["extra", "", "id", "data"])] = rng.choice(ODD_VALUES)
        return result
    if isinstance(value, list):
        items = [
            mutate(item, rng, depth + 1) if rng.random() < 0.2 else item
            for item in value
            if rng.random() > 0.05
        ]
        if items and rng.random() < 0.1:
            items.append(items[0])  # a repeated row
        return items
    if roll < 0.15 and depth:
        return rng.choice(ODD_VALUES)
    return value


def lie_about_paging(body: Any, rng: random.Random) -> None:
    if not isinstance(body, dict) or rng.random() > 0.3:
        return
    key = rng.choice(["next_page", "total_pages", "current_page"])
    body[key] = rng.choice(
        [None, 0, 1, 2, 3, -1, 10**6, "2", "x", 2**70, [], HUGE_INT[:30]]
    )


def encode(body: Any, rng: random.Random) -> bytes:  # noqa: PLR0911
    """The body as sent: JSON, or something that is not quite JSON."""
    text = json.dumps(body, ensure_ascii=rng.random() < 0.5)
    for token, raw in RAW_TOKENS.items():
        text = text.replace(f'"{token}"', raw)
    roll = rng.random()
    if roll < 0.03:
        return b""
    if roll < 0.06:
        return b"<html><body>Bad Gateway</body></html>"
    if roll < 0.09:
        return text[: rng.randrange(max(1, len(text)))].encode()
    if roll < 0.11:
        depth = rng.choice([500, 1100, 5000, 100_000])
        return b'{"data":' + b"[" * depth + b"]" * depth + b"}"
    if roll < 0.13:
        return json.dumps(rng.choice(ODD_VALUES)).encode()
    if roll < 0.14:
        return b"\xff\xfe\x00garbage"
    return text.encode()


class FuzzServer:
    """Answers each request with a mutated real answer for its view."""

    def __init__(self, sim: RusTechSimulator, seed: int) -> None:
        self.sim = sim
        self.rng = random.Random(seed)  # noqa: S311 - a fuzzer, not a secret
        self.session = SessionInfo(
            "cli", "SeCrEt", None, START, int(START) + 86400, START
        )

    def template(self, path: str, params: dict[str, str]) -> Any:
        if path == "auth/sign_in":
            return {"data": {"id": 6, "email": EMAIL, "uid": EMAIL, "name": "API"}}
        if path == "auth/sign_out":
            return {"success": True}
        view = VIEWS.get(path)
        if view is None:
            return {"errors": ["Not found"]}
        return view(self.sim, params, self.sim.clock())[1]

    def headers(self) -> dict[str, str]:
        rng = self.rng
        headers = token_headers(self.session, EMAIL)
        headers["access-token"] = f"SeCrEt{rng.randrange(10**6)}"
        for key in list(headers):
            if rng.random() < 0.1:
                headers[key] = rng.choice(ODD_HEADERS)
            elif rng.random() < 0.05:
                del headers[key]
        if rng.random() < 0.05:
            headers["Retry-After"] = rng.choice(ODD_HEADERS)
        if rng.random() < 0.03:
            headers["Content-Encoding"] = "gzip"
        return headers

    async def handle(self, request: web.Request) -> web.StreamResponse:
        rng = self.rng
        path = request.path.removeprefix("/api/v1/")
        body = mutate(self.template(path, dict(request.query)), rng)
        lie_about_paging(body, rng)
        status = rng.choice(STATUSES)
        content_type = rng.choice(
            ["application/json", "application/json", "text/html", "x/\x7f", "bogus"]
        )
        return web.Response(
            status=status,
            body=encode(body, rng) if status != 204 else None,
            headers={**self.headers(), "Content-Type": content_type},
        )


@pytest.fixture
async def fuzz(
    socket_enabled: None, clock: ManualClock
) -> AsyncIterator[tuple[str, FuzzServer]]:
    sim = RusTechSimulator(stations=3, clock=clock)
    sim.new_session()
    server = FuzzServer(sim, seed=8)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1", server
    await runner.cleanup()


type Call = Callable[[RusTechClient], Awaitable[Any]]

CALLS: dict[str, Call] = {
    "sign_in": lambda c: c.sign_in(),
    "sign_out": lambda c: c.sign_out(),
    "customers": lambda c: c.customers(),
    "stations": lambda c: c.stations(),
    "stations_page": lambda c: c.stations_page(1, 10),
    "last_session": lambda c: c.last_session(1),
    "equipment_types": lambda c: c.equipment_types(),
    "channels": lambda c: c.channels(1),
    "hourly": lambda c: c.archive(61, ArchiveType.HOURLY, TODAY, TODAY, station_id=1),
    "nesht": lambda c: c.archive(61, ArchiveType.NESHT, TODAY, TODAY, station_id=1),
    "consolidated": lambda c: c.consolidated_archive(
        61, ArchiveType.DAILY, TODAY, TODAY
    ),
    "settings": lambda c: c.settings(61, station_id=1),
}


@pytest.mark.parametrize("view", list(CALLS))
async def test_only_our_errors_come_out(
    fuzz: tuple[str, FuzzServer],
    session: aiohttp.ClientSession,
    clock: ManualClock,
    view: str,
) -> None:
    url, server = fuzz
    server.rng.seed(f"{view}-8")
    outcomes: dict[str, int] = {}
    for case in range(CASES_PER_VIEW):
        token = (
            RusTechToken("SeCrEt", "cli", EMAIL, int(clock()) + 3600)
            if case % 3
            else None
        )
        client = RusTechClient(
            session,
            url,
            EMAIL,
            PASSWORD,
            token=token,
            request_timeout=2,
            retry_delay=0,
            per_page=rng_per_page(case),
            clock=clock,
        )
        outcome, message = await attempt(CALLS[view], client)
        assert "SeCrEt" not in message
        assert PASSWORD not in message
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    # The fuzzer reaches both ends: answers read and answers refused.
    assert outcomes.get("ok", 0) > 0, outcomes
    assert sum(outcomes.values()) - outcomes.get("ok", 0) > 0, outcomes


async def attempt(call: Call, client: RusTechClient) -> tuple[str, str]:
    """Make one call: ("ok", "") or (the error's class, its message)."""
    try:
        async with asyncio.timeout(20):  # nothing hangs
            result = await call(client)
    except TelemetryHubError as err:
        return type(err).__name__, str(err)
    check_result(result)
    return "ok", ""


def rng_per_page(case: int) -> int:
    return [1000, 2, 1][case % 3]


def check_result(result: Any) -> None:
    """What the client returns is usable: JSON-safe records, sane ids."""
    items = result if isinstance(result, list) else [result]
    for item in items:
        raw = getattr(item, "raw", None)
        if raw is not None:
            assert json_safe_channels(raw) == raw
            json.dumps(raw, allow_nan=False)
        for name in ("id", "equipment_id", "customer_id"):
            value = getattr(item, name, None)
            assert value is None or abs(value) < 10**18
