"""The simulator's hostile faults, clock skew and session accounting, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
import pytest

from simulators.rustech import ManualClock, RusTechSimulator
from simulators.rustech.faults import ENDLESS_TOTAL, FOREIGN_UID

START = 1_700_000_000
EMAIL = "api@local.net"
PASSWORD = "Str0ngPas$"
LIFESPAN = 14 * 86400


class Client:
    """Signs in, keeps the newest token, and sends raw requests."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.headers: dict[str, str] = {}

    def absorb(self, headers: Any) -> None:
        token = headers.get("access-token", "").strip()
        if token:
            self.headers["access-token"] = token
            for key in ("client", "uid", "token-type"):
                self.headers[key] = headers[key]

    async def sign_in(self) -> aiohttp.ClientResponse:
        response = await self.session.post(
            f"{self.url}/auth/sign_in", json={"email": EMAIL, "password": PASSWORD}
        )
        self.absorb(response.headers)
        await response.read()
        return response

    async def get(
        self, path: str, *, seconds: float = 5, **params: Any
    ) -> tuple[aiohttp.ClientResponse, bytes]:
        response = await self.session.get(
            f"{self.url}/{path}",
            params={k: str(v) for k, v in params.items()},
            headers=self.headers,
            timeout=aiohttp.ClientTimeout(total=seconds),
        )
        self.absorb(response.headers)  # the headers come first
        return response, await response.read()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> RusTechSimulator:
    return RusTechSimulator(clock=clock)


@pytest.fixture
async def client(socket_enabled: None, sim: RusTechSimulator) -> AsyncIterator[Client]:
    async with sim.serve() as url, aiohttp.ClientSession() as session:
        api = Client(session, url)
        assert (await api.sign_in()).status == 200
        yield api


def current_token(sim: RusTechSimulator, client: Client) -> str:
    return sim.sessions(EMAIL)[client.headers["client"]].token


async def rotate(client: Client, clock: ManualClock) -> None:
    clock.advance(10)  # past the batch window


# --------------------------------------------------------------------------
# Faults after the request was handled: right headers, broken body


async def test_stall_body_sends_the_rotated_token_then_stalls(
    client: Client, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await rotate(client, clock)
    sim.inject("stall_body", path="stations", delay=5)

    with pytest.raises(TimeoutError):
        await client.get("stations", seconds=0.3)

    assert client.headers["access-token"] == current_token(sim, client)
    assert sim.requests[-1].rotated
    assert sim.requests[-1].fault == "stall_body"


async def test_a_short_stall_delivers_the_whole_body(
    client: Client, sim: RusTechSimulator
) -> None:
    sim.inject("stall_body", path="stations", delay=0.05)

    response, body = await client.get("stations")

    assert response.status == 200
    assert len(json.loads(body)["data"]) == 12


async def test_reset_body_drops_the_connection_mid_body(
    client: Client, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await rotate(client, clock)
    sim.inject("reset_body", path="stations")

    with pytest.raises(aiohttp.ClientPayloadError):
        await client.get("stations")

    assert client.headers["access-token"] == current_token(sim, client)


async def test_bad_gzip(
    client: Client, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await rotate(client, clock)
    sim.inject("bad_gzip", path="stations")

    with pytest.raises(aiohttp.ClientPayloadError):
        await client.get("stations")

    assert client.headers["access-token"] == current_token(sim, client)


async def test_nested_json(client: Client, sim: RusTechSimulator) -> None:
    sim.inject("nested_json", path="stations", depth=10)

    response, body = await client.get("stations")

    assert response.status == 200
    assert body == b"[" * 10 + b"]" * 10


async def test_foreign_uid(
    client: Client, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await rotate(client, clock)
    sim.inject("foreign_uid", path="stations")

    response, _ = await client.get("stations")

    assert response.headers["uid"] == FOREIGN_UID
    assert response.headers["client"] == client.headers["client"]
    assert sim.requests[-1].rotated


async def test_sign_in_error_opens_the_session_all_the_same(
    client: Client, sim: RusTechSimulator
) -> None:
    sim.inject("sign_in_error", path="auth/sign_in", status=502)

    response = await client.sign_in()

    assert response.status == 502
    assert response.content_type == "text/html"
    assert client.headers["access-token"] == current_token(sim, client)
    assert len(sim.sessions(EMAIL)) == 2


# --------------------------------------------------------------------------
# Faults before the request is handled


async def test_expire_session(client: Client, sim: RusTechSimulator) -> None:
    sim.inject("expire_session", path="stations")

    response, _ = await client.get("stations")

    assert response.status == 401
    assert sim.sessions(EMAIL) == {}
    assert sim.open_session_count == 0


async def test_a_timeout_that_finishes_rotates_the_token(
    client: Client, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await rotate(client, clock)
    before = client.headers["access-token"]
    sim.inject("timeout", path="stations", delay=0.2, finish=True)

    with pytest.raises(TimeoutError):
        await client.get("stations", seconds=0.05)
    await asyncio.sleep(0.3)

    assert current_token(sim, client) != before  # Rails went on without us
    assert sim.requests[-1].status == 200


async def test_a_timeout_that_does_not_finish_rotates_nothing(
    client: Client, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await rotate(client, clock)
    before = client.headers["access-token"]
    sim.inject("timeout", path="stations", delay=0.2)

    with pytest.raises(TimeoutError):
        await client.get("stations", seconds=0.05)
    await asyncio.sleep(0.3)

    assert current_token(sim, client) == before


# --------------------------------------------------------------------------
# Paging lies


@pytest.mark.parametrize(
    ("lie", "page", "expected"),
    [
        ("next_page_forever", 3, (3, 3, 4)),
        ("next_page_loop", 3, (3, 3, 1)),
        ("next_page_loop", 1, (3, 1, 2)),
        ("endless_pages", 2, (ENDLESS_TOTAL, 2, 3)),
        ("endless_pages", 7, (ENDLESS_TOTAL, 7, 8)),
    ],
)
async def test_paging_lies(
    client: Client,
    sim: RusTechSimulator,
    lie: str,
    page: int,
    expected: tuple[int, int, int],
) -> None:
    sim.inject(lie, path="stations")

    _, body = await client.get("stations", page=page, per_page=5)

    envelope = json.loads(body)
    assert (
        envelope["total_pages"],
        envelope["current_page"],
        envelope["next_page"],
    ) == expected
    if lie == "endless_pages" and page > 3:
        assert [s["id"] for s in envelope["data"]] == [11, 12]  # the last page


# --------------------------------------------------------------------------
# Random faults, clock skew, accounting


async def test_random_faults_are_reproducible(
    client: Client, sim: RusTechSimulator
) -> None:
    async def statuses(seed: int) -> list[str | None]:
        sim.random_faults(0.5, ["server_error", "html"], seed=seed)
        sim.clear_requests()
        for _ in range(20):
            await client.get("customers")
        return [r.fault for r in sim.requests]

    first = await statuses(4)
    assert first == await statuses(4)
    assert first != await statuses(5)
    assert 3 < sum(fault is not None for fault in first) < 17
    assert set(sim.faults_drawn) == {"server_error", "html"}
    sim.clear_faults()
    sim.clear_requests()
    await client.get("customers")
    assert sim.requests[-1].fault is None
    with pytest.raises(ValueError, match="unknown fault"):
        sim.random_faults(0.1, ["meteor"])


async def test_clock_skew_moves_every_expiry(
    client: Client, sim: RusTechSimulator, clock: ManualClock
) -> None:
    sim.clock_skew = -30 * 86400
    clock.advance(10)

    response, _ = await client.get("customers")

    expiry = int(response.headers["expiry"])
    assert expiry == int(clock() - 30 * 86400 + LIFESPAN)
    assert expiry < clock()  # in our past, valid in the server's eyes
    clock.advance(10)
    assert (await client.get("customers"))[0].status == 200


async def test_stale_tokens_and_open_sessions_are_counted(
    client: Client, sim: RusTechSimulator, clock: ManualClock
) -> None:
    stale = dict(client.headers)
    await rotate(client, clock)
    await client.get("customers")  # rotates
    clock.advance(10)

    response = await client.session.get(f"{client.url}/customers", headers=stale)
    assert response.status == 401
    assert sim.stale_token_count == 1
    await client.session.delete(f"{client.url}/auth/sign_out", headers=stale)
    assert sim.stale_token_count == 1  # a sign-out with it is not counted

    await client.sign_in()
    assert sim.open_session_count == 2
    await client.session.delete(f"{client.url}/auth/sign_out", headers=client.headers)
    assert sim.open_session_count == 1
    sim.revoke_sessions()
    assert sim.open_session_count == 0
