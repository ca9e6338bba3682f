"""The Tecno-Gaz client's errors: only our own, and never the token."""

from __future__ import annotations

from collections.abc import Callable
import json
import logging
from typing import Any

import pytest

from custom_components.telemetry_hub.api import (
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubDeviceAccessError,
    TelemetryHubError,
    TelemetryHubNotFoundError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
)
from custom_components.telemetry_hub.api.tecnogaz import TOKEN_HEADER, TecnoGazClient
from simulators.tecnogaz import ManualClock, TecnoGazSimulator
from tests.api.tecnogaz.conftest import at
from tests.api.tecnogaz.test_tecnogaz_client import AURA, WEEK


async def test_unknown_and_revoked_tokens_are_auth_errors(
    make_client: Callable[..., TecnoGazClient], sim: TecnoGazSimulator
) -> None:
    stranger = make_client(token="not-a-token")
    with pytest.raises(TelemetryHubAuthError) as caught:
        await stranger.devices()
    assert "contract ended" in str(caught.value)
    assert "not-a-token" not in str(caught.value)
    sim.revoke_token()
    with pytest.raises(TelemetryHubAuthError):
        await make_client().devices()


async def test_a_foreign_serial_is_a_device_access_error(
    client: TecnoGazClient, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.add_token("other-contract", [])
    foreign = sim.add_sterilizer("AURA", tokens=["other-contract"])
    now = at(clock)
    with pytest.raises(TelemetryHubDeviceAccessError) as caught:
        await client.cycles(foreign.serial, now - WEEK, now)
    assert caught.value.device == foreign.serial
    assert foreign.serial in str(caught.value)
    assert "forbidden" in str(caught.value)


async def test_not_found_names_the_call_and_its_path(
    client: TecnoGazClient, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    now = at(clock)
    with pytest.raises(TelemetryHubNotFoundError) as caught:
        await client.alarms("NOSUCH", now - WEEK, now)
    assert caught.value.call == "alarms"
    sim.break_call("cycles")
    with pytest.raises(TelemetryHubNotFoundError) as caught:
        await client.cycles(AURA, now - WEEK, now)
    message = str(caught.value)
    assert caught.value.call == "cycles"
    assert "/devices/{serial}/cycles" in message
    assert "contract v1" in message
    sim.restore_call("cycles")
    await client.cycles(AURA, now - WEEK, now)


async def test_429_holds_every_call_of_the_token(
    make_client: Callable[..., TecnoGazClient],
    sim: TecnoGazSimulator,
    clock: ManualClock,
) -> None:
    first, second = make_client(), make_client()
    assert first.limiter is second.limiter
    sim.inject("rate_limit", retry_after=45)
    with pytest.raises(TelemetryHubRateLimitError) as caught:
        await first.devices()
    assert caught.value.retry_after == 45
    held = first.limiter.held_until
    assert held == clock() + 45
    await second.devices()  # waits for the hold, then goes
    assert sim.requests[-1].at >= held


@pytest.mark.parametrize(
    ("retry_after", "held"), [(None, 60.0), ("soon", 60.0), ("1e999", 60.0)]
)
async def test_429_without_a_usable_retry_after(
    client: TecnoGazClient,
    sim: TecnoGazSimulator,
    clock: ManualClock,
    retry_after: str | None,
    held: float,
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    sim.inject("raw", status=429, body=b"{}", headers=headers)
    with pytest.raises(TelemetryHubRateLimitError) as caught:
        await client.devices()
    assert caught.value.retry_after == held
    assert client.limiter.held_until == clock() + held


async def test_the_simulator_limit_answers_429(
    client: TecnoGazClient, sim: TecnoGazSimulator
) -> None:
    sim.rate_limit = 2
    await client.devices()
    await client.devices()
    with pytest.raises(TelemetryHubRateLimitError) as caught:
        await client.devices()
    assert caught.value.retry_after == 60


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("server_error", {}),
        ("server_error", {"status": 503}),
        ("reset", {"count": 2}),  # aiohttp retries once on a reused connection
        ("partial", {"count": 2}),
        ("timeout", {"delay": 1.0}),
        ("raw", {"status": 502, "body": "<html>Bad gateway</html>"}),
    ],
)
async def test_transport_failures_are_connection_errors(
    make_client: Callable[..., TecnoGazClient],
    sim: TecnoGazSimulator,
    kind: str,
    options: dict[str, object],
) -> None:
    client = make_client(request_timeout=0.05)
    sim.inject(kind, **options)  # type: ignore[arg-type]
    with pytest.raises(TelemetryHubConnectionError):
        await client.devices()
    sim.clear_faults()
    await client.devices()  # the next call is fine


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("html", {}),
        ("malformed_json", {}),
        ("raw", {"body": b"", "status": 200}),
        ("raw", {"body": b'{"sterilizers": []}'}),
        ("raw", {"body": b"[" * 100_000 + b"]" * 100_000}),
        ("raw", {"status": 400, "body": b'{"error": "bad_request"}'}),
        ("raw", {"status": 302, "body": b"", "headers": {"Location": "/login"}}),
    ],
)
async def test_unusable_answers_are_protocol_errors(
    client: TecnoGazClient,
    sim: TecnoGazSimulator,
    kind: str,
    options: dict[str, object],
) -> None:
    sim.inject(kind, call="devices", **options)
    with pytest.raises(TelemetryHubProtocolError) as caught:
        await client.devices()
    assert not isinstance(caught.value, TelemetryHubNotFoundError)
    assert caught.value.call == "devices"


async def test_wrapped_single_answers_and_repeated_rows(
    client: TecnoGazClient, sim: TecnoGazSimulator, clock: ManualClock
) -> None:
    sim.inject("mutate", call="device", fn=lambda body: {"device": body})
    assert (await client.device(AURA)).model == "AURA"
    done = sim.run_cycle(AURA)

    def repeat(body: dict[str, Any]) -> dict[str, Any]:
        row = dict(body["cycles"][0])
        running = {**row, "result": "running", "endTime": None}
        body["cycles"] = [row, running, running, *body["cycles"][1:]]
        return body

    sim.inject("mutate", call="cycles", fn=repeat)
    now = at(clock)
    page = await client.cycles(AURA, now - WEEK, now, page_size=3)
    assert page.cycles[0].number == done.number
    assert page.cycles[0].finished  # the finished version of a repeated row
    assert len({c.number for c in page.cycles}) == len(page.cycles)


@pytest.mark.parametrize(
    ("call", "body"),
    [("device", b"[1, 2]"), ("report", b'"text"')],
)
async def test_single_objects_of_the_wrong_shape(
    client: TecnoGazClient, sim: TecnoGazSimulator, call: str, body: bytes
) -> None:
    cycle = sim.run_cycle(AURA)
    sim.inject("raw", call=call, body=body)
    read = (
        client.device(AURA) if call == "device" else client.report(AURA, cycle.number)
    )
    with pytest.raises(TelemetryHubProtocolError) as caught:
        await read
    assert caught.value.call == call


async def test_the_token_never_reaches_messages_or_logs(
    make_client: Callable[..., TecnoGazClient],
    sim: TecnoGazSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "s3cr3t-token-value"
    sim.add_token(secret, sim.serials)
    client = make_client(token=secret)
    caplog.set_level(logging.DEBUG)
    # an error body that echoes the token is scrubbed
    sim.inject("raw", status=401, body=json.dumps({"error": f"bad {secret}"}))
    messages = []
    for kind in ("unauthorized", "forbidden", "server_error", "html", "not_found"):
        sim.inject(kind)
    for _ in range(6):
        with pytest.raises(TelemetryHubError) as caught:
            await client.devices()
        messages.append(str(caught.value))
    assert "***" in messages[0]
    assert all(secret not in message for message in messages)
    assert secret not in caplog.text
    assert secret not in repr(client)
    assert sim.requests[-1].token == secret  # it was sent, in the header only
    assert TOKEN_HEADER == "x-tgz-distro-token"
