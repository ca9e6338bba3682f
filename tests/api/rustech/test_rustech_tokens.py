"""A rotated token is never lost; no sign-in storm; no identity drift (issue 8)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import logging

import aiohttp
from aiohttp import web
import pytest

from custom_components.telemetry_hub.api import (
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubError,
    TelemetryHubProtocolError,
)
from custom_components.telemetry_hub.api.errors import (
    TelemetryHubClosedError,
    TelemetryHubSessionRejectedError,
)
from custom_components.telemetry_hub.api.rustech.auth import SessionHeaders
from custom_components.telemetry_hub.api.rustech.client import RusTechClient
from custom_components.telemetry_hub.api.rustech.models import RusTechToken
from simulators.rustech import ManualClock, RusTechSimulator, auth as sim_auth
from tests.conftest import EMAIL, PASSWORD

DAY = 86400


def server_token(sim: RusTechSimulator, client: RusTechClient) -> str:
    """The token the server expects next from the client's session."""
    assert client.token is not None
    return sim.sessions(EMAIL)[client.token.client].token


def assert_token_kept(sim: RusTechSimulator, client: RusTechClient) -> None:
    """The client holds the server's current token; no session leaked."""
    assert client.token is not None
    assert server_token(sim, client) == client.token.access_token
    assert len(sim.sessions(EMAIL)) == 1
    assert sim.stale_token_count == 0


@pytest.fixture
async def signed_in(
    make_client: Callable[..., RusTechClient], clock: ManualClock
) -> RusTechClient:
    """A client with a session, past the batch window (the next call rotates)."""
    client = make_client(request_timeout=0.3)
    await client.sign_in()
    clock.advance(10)
    return client


# --------------------------------------------------------------------------
# Item 2: the session headers are taken before the body is read


@pytest.mark.parametrize(
    "fault",
    ["stall_body", "reset_body", "bad_gzip", "nested_json", "malformed_json"],
)
async def test_a_broken_body_keeps_the_rotated_token(
    signed_in: RusTechClient,
    sim: RusTechSimulator,
    clock: ManualClock,
    tokens: list[RusTechToken | None],
    fault: str,
) -> None:
    sim.inject(fault, count=2, path="stations", delay=5)
    before = signed_in.token

    with pytest.raises(TelemetryHubError):
        await signed_in.stations()

    assert signed_in.token != before  # the answer rotated it, and we have it
    assert tokens[-1] == signed_in.token
    assert_token_kept(sim, signed_in)
    clock.advance(10)
    assert len(await signed_in.stations()) == 6
    assert signed_in.sign_in_count == 1
    assert_token_kept(sim, signed_in)


@pytest.mark.parametrize(
    "fault", ["stall_body", "reset_body", "bad_gzip", "nested_json", "malformed_json"]
)
async def test_one_broken_body_is_read_again(
    signed_in: RusTechClient, sim: RusTechSimulator, fault: str
) -> None:
    sim.inject(fault, path="stations", delay=5)

    assert len(await signed_in.stations()) == 6

    assert signed_in.retry_count == 1
    assert_token_kept(sim, signed_in)


@pytest.mark.parametrize("moment", ["before the headers", "during the body"])
async def test_a_cancelled_call_keeps_the_rotated_token(
    signed_in: RusTechClient,
    sim: RusTechSimulator,
    clock: ManualClock,
    moment: str,
) -> None:
    """An entry reloaded or removed mid-poll cancels the call in flight."""
    if moment == "before the headers":
        # The server is slow: the request is in, its answer not yet out.
        sim.inject("timeout", path="stations", delay=0.15, finish=True)
    else:
        sim.inject("stall_body", path="stations", delay=5)
    task = asyncio.ensure_future(signed_in.stations())
    for _ in range(200):
        if sim.request_count("stations"):
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.02)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task

    assert_token_kept(sim, signed_in)
    clock.advance(10)
    assert len(await signed_in.stations()) == 6
    assert signed_in.sign_in_count == 1


@pytest.mark.parametrize(
    ("status", "match"),
    [(500, "500"), (200, "not JSON"), (503, "503")],
)
async def test_a_sign_in_answer_with_a_bad_body_keeps_its_session(
    make_client: Callable[..., RusTechClient],
    sim: RusTechSimulator,
    clock: ManualClock,
    status: int,
    match: str,
) -> None:
    client = make_client()
    sim.inject("sign_in_error", path="auth/sign_in", status=status)

    with pytest.raises((TelemetryHubConnectionError, TelemetryHubProtocolError)):
        await client.sign_in()

    assert_token_kept(sim, client)
    assert client.uid == EMAIL
    clock.advance(10)
    assert len(await client.stations()) == 6
    assert client.sign_in_count == 1
    assert_token_kept(sim, client)


async def test_a_silent_sign_in_with_a_bad_body_goes_on_with_its_session(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    client = make_client()
    sim.inject("sign_in_error", path="auth/sign_in")

    assert len(await client.stations()) == 6

    assert client.sign_in_count == 1
    assert_token_kept(sim, client)


async def test_a_sign_in_answer_broken_mid_body_keeps_its_session(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    client = make_client()
    sim.inject("reset_body", path="auth/sign_in")

    with pytest.raises(TelemetryHubConnectionError):
        await client.sign_in()

    assert_token_kept(sim, client)


@pytest.fixture
async def odd_sign_in(socket_enabled: None) -> AsyncIterator[str]:
    """Sign-in answers that open a session but carry no usable user."""

    async def no_data(_request: web.Request) -> web.Response:
        return web.json_response(
            {"success": True},
            headers={"access-token": "tok", "client": "cli", "expiry": "2000000000"},
        )

    async def sign_out(request: web.Request) -> web.Response:
        return web.json_response({"success": True})

    app = web.Application()
    app.router.add_post("/a/auth/sign_in", no_data)
    app.router.add_delete("/a/auth/sign_out", sign_out)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_a_sign_in_without_user_or_uid_keeps_the_session(
    session: aiohttp.ClientSession, odd_sign_in: str
) -> None:
    client = RusTechClient(session, f"{odd_sign_in}/a", f" {EMAIL} ", PASSWORD)

    with pytest.raises(TelemetryHubProtocolError, match="without the user object"):
        await client.sign_in()

    # The session is kept (the email is devise's uid), so it can be ended.
    assert client.token is not None
    assert client.token.uid == EMAIL
    await client.sign_out()
    assert client.token is None


# --------------------------------------------------------------------------
# Signing out while a poll runs


async def test_sign_out_waits_for_the_call_in_flight(
    signed_in: RusTechClient, sim: RusTechSimulator
) -> None:
    sim.latency = 0.1
    poll = asyncio.ensure_future(signed_in.stations())
    await asyncio.sleep(0.02)

    await signed_in.sign_out()

    assert len(await poll) == 6  # it finished first, rotating the token
    assert sim.sessions(EMAIL) == {}  # and the newest token ended the session
    assert signed_in.token is None
    with pytest.raises(TelemetryHubClosedError):
        await signed_in.customers()  # a poll going on opens no new session
    assert signed_in.sign_in_count == 1
    await signed_in.sign_in()  # until the owner signs in again
    assert len(await signed_in.customers()) == 2


async def test_sign_out_retries_a_transient_failure(
    signed_in: RusTechClient, sim: RusTechSimulator
) -> None:
    sim.inject("server_error", path="auth/sign_out")

    await signed_in.sign_out()

    assert sim.sessions(EMAIL) == {}


# --------------------------------------------------------------------------
# Item 3: the server's 401 decides, at most one sign-in per poll


async def test_server_clock_behind_ours_causes_no_sign_in_storm(
    make_client: Callable[..., RusTechClient],
    sim: RusTechSimulator,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.clock_skew = -30 * DAY  # every expiry it hands out lies in our past
    client = make_client()

    for _ in range(10):
        client.begin_poll()
        await client.stations()
        clock.advance(60)

    assert client.token is not None
    assert client.token.expiry < clock()
    assert client.sign_in_count == 1
    assert caplog.text.count("hands out sessions that expired") == 1
    assert_token_kept(sim, client)


async def test_a_stored_token_past_its_expiry_by_our_clock_is_used(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    sim.clock_skew = -30 * DAY
    first = make_client()
    await first.sign_in()
    sim.clear_requests()

    second = make_client(token=first.token)
    await second.stations()

    assert second.sign_in_count == 0
    assert sim.request_count("auth/sign_in") == 0


async def test_at_most_one_silent_sign_in_per_poll(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    client = make_client()
    await client.sign_in()
    client.begin_poll()
    sim.inject("unauthorized", count=10, path="stations")

    with pytest.raises(TelemetryHubSessionRejectedError):
        await client.stations()  # rejected, signed in, rejected again
    with pytest.raises(TelemetryHubSessionRejectedError, match="next poll"):
        await client.stations()  # rejected: no second sign-in in this poll

    assert client.sign_in_count == 2
    assert len(sim.sessions(EMAIL)) == 1  # the rejected session was ended
    sim.clear_faults()
    client.begin_poll()
    assert len(await client.stations()) == 6


async def test_a_refused_sign_in_is_the_only_auth_error(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    client = make_client()
    await client.sign_in()
    sim.revoke_sessions()
    sim.set_password(EMAIL, "changed")

    with pytest.raises(TelemetryHubAuthError, match="Invalid login credentials"):
        await client.stations()


async def test_a_proxy_401_leaks_no_session(
    signed_in: RusTechClient, sim: RusTechSimulator
) -> None:
    sim.inject("unauthorized", path="stations")

    assert len(await signed_in.stations()) == 6

    assert signed_in.rejected_token_count == 1
    assert_token_kept(sim, signed_in)


async def test_server_side_expiry_costs_one_sign_in(
    signed_in: RusTechClient, sim: RusTechSimulator
) -> None:
    sim.inject("expire_session", path="stations")

    assert len(await signed_in.stations()) == 6

    assert signed_in.sign_in_count == 2
    assert_token_kept(sim, signed_in)


async def test_a_rejected_password_is_not_echoed(
    session: aiohttp.ClientSession,
    sim: RusTechSimulator,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "Echo-Me-Pa55"
    client = RusTechClient(session, url, EMAIL, secret)
    # A hostile server quoting the password back in its refusal:
    monkeypatch.setattr(sim_auth, "BAD_CREDENTIALS", f"wrong password {secret}")

    with pytest.raises(TelemetryHubAuthError) as err:
        await client.sign_in()
    assert secret not in str(err.value)
    assert str(err.value) == "sign-in refused: invalid login credentials"


# --------------------------------------------------------------------------
# Identity


async def test_an_answer_for_another_user_is_a_protocol_error(
    signed_in: RusTechClient, sim: RusTechSimulator, clock: ManualClock
) -> None:
    sim.inject("foreign_uid", count=2, path="stations")

    with pytest.raises(TelemetryHubProtocolError, match="another user"):
        await signed_in.stations()

    assert signed_in.uid == EMAIL
    assert signed_in.token is not None
    assert signed_in.token.uid == EMAIL
    assert_token_kept(sim, signed_in)  # our client id: the rotation was ours
    clock.advance(10)
    sim.inject("foreign_uid", path="stations")
    assert len(await signed_in.stations()) == 6  # once is read again


async def test_a_sign_in_as_another_user_is_refused(
    make_client: Callable[..., RusTechClient],
    sim: RusTechSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client()
    await client.sign_in()
    stored = client.token
    sim.revoke_sessions()
    sim.inject("foreign_uid", path="auth/sign_in")

    with pytest.raises(TelemetryHubProtocolError, match="another user"):
        await client.stations()

    assert client.uid == EMAIL
    assert client.token == stored  # not replaced by the other user's session
    assert sim.requests[-1].path == "auth/sign_out"  # it was ended at once


def test_odd_session_headers_are_ignored() -> None:
    current = RusTechToken("tok", "cli", EMAIL, 100)
    for headers in (
        {"access-token": " "},
        {"access-token": "a b"},
        {"access-token": "x" * 600},
        {"access-token": "ток"},
        {"access-token": "new", "client": "other"},
        {"access-token": "new", "uid": "someone@else"},
    ):
        assert SessionHeaders.read(headers).rotate(current) is None, headers
    rotated = SessionHeaders.read(
        {"access-token": "new", "expiry": "--1", "uid": EMAIL.upper()}
    ).rotate(current)
    assert rotated == RusTechToken("new", "cli", EMAIL, 100)
    for expiry in ("²", "9" * 5000, "-5", "0", "1e9", " "):
        token = SessionHeaders.read({"access-token": "n", "expiry": expiry})
        assert token.expiry is None, expiry
