"""The DEXMA client against the simulator: calls, paging, errors, quota headers."""

# ruff: noqa: DTZ001 - the API speaks naive local wall times

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import logging

import aiohttp
import pytest

from custom_components.telemetry_hub.api import (
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubDeviceAccessError,
    TelemetryHubNotFoundError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
)
from custom_components.telemetry_hub.api.dexma import (
    DexmaClient,
    DexmaValidationError,
    Operation,
    Quota,
    ReadingsCall,
    Resolution,
)
from custom_components.telemetry_hub.api.dexma.units import Measurement
from simulators.dexma import DEFAULT_TOKEN, DexmaSimulator, ManualClock
from tests.api.dexma.dexma_helpers import Script

MADRID = 1001
ADELAIDE = 1002


# --------------------------------------------------------------------------
# Calls


async def test_devices_locations_parameters(
    client: DexmaClient, sim: DexmaSimulator
) -> None:
    devices = await client.devices()
    assert [d.id for d in devices] == [d.id for d in sim.devices]
    first = devices[0]
    assert first.name == "Electricity meter 1"
    assert first.location_id == 501
    assert first.datasource_id == 300
    assert first.local_id == "M01001"
    assert first.status == "ACTIVE"
    assert first.description

    locations = await client.locations()
    zones = {loc.id: loc.timezone for loc in locations}
    assert zones == {
        501: "Europe/Madrid",
        502: "Australia/Adelaide",
        503: "UTC",
        504: None,
    }
    assert locations[3].zone.fallback
    assert not locations[0].zone.fallback

    params = await client.parameters(MADRID)
    assert [p.key for p in params] == ["EACTIVE", "POWER", "TEMP", "VOLTAGE"]
    eactive = params[0]
    assert eactive.units == "kWh"
    assert eactive.classification.info is not None
    assert eactive.classification.info.cumulative
    assert params[2].classification.unit is not None  # "ºC"
    assert params[2].classification.info.measurement is Measurement.TEMPERATURE  # type: ignore[union-attr]

    assert sim.requests[0].params == {"start": "0", "limit": "500"}


async def test_device_and_location_detail(client: DexmaClient) -> None:
    device = await client.device(1005)
    assert device.id == 1005
    assert device.name == "Gas meter 5"
    location = await client.location(502)
    assert location.timezone == "Australia/Adelaide"
    assert location.zone.name == "Australia/Adelaide"


async def test_check_and_resolutions(client: DexmaClient, sim: DexmaSimulator) -> None:
    await client.check()
    assert sim.requests[-1].params == {"start": "0", "limit": "1"}
    resolutions = await client.resolutions(MADRID, "EACTIVE")
    assert Resolution.H in resolutions
    assert Resolution.B in resolutions


async def test_repr_has_no_token(client: DexmaClient) -> None:
    await client.check()
    assert DEFAULT_TOKEN not in repr(client)
    assert client.base_url.endswith("/v3")
    assert "requests=1" in repr(client)


# --------------------------------------------------------------------------
# Paging


@pytest.mark.parametrize(("count", "pages"), [(1203, 3), (1000, 3), (499, 1)])
async def test_paging_across_500(
    session: aiohttp.ClientSession,
    clock: ManualClock,
    socket_enabled: None,
    count: int,
    pages: int,
) -> None:
    sim = DexmaSimulator(devices=count, clock=clock)
    async with sim.serve() as url:
        client = DexmaClient(session, DEFAULT_TOKEN, base_url=url, clock=clock)
        devices = await client.devices()
    assert len(devices) == count
    assert len({d.id for d in devices}) == count
    assert sim.request_count("devices") == pages
    starts = [r.params["start"] for r in sim.requests]
    assert starts == [str(500 * i) for i in range(pages)]


async def test_small_pages_and_wrapped_lists(
    make_client: Callable[..., DexmaClient], sim: DexmaSimulator
) -> None:
    sim.wrap_lists = True
    client = make_client(page_size=5)
    devices = await client.devices()
    assert len(devices) == 12
    assert sim.request_count("devices") == 3


async def test_page_size_is_capped(
    make_client: Callable[..., DexmaClient], sim: DexmaSimulator
) -> None:
    client = make_client(page_size=10_000)
    await client.locations()
    assert sim.requests[-1].params["limit"] == "500"


async def test_server_ignoring_start_stops_paging(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    script, _ = scripted
    rows = [{"id": i, "name": f"d{i}"} for i in range(500)]
    script.add(200, rows)  # the same full page, forever
    devices = await scripted_client.devices()
    assert len(devices) == 500
    assert len(script.requests) == 2


async def test_unusable_rows_are_skipped_once(
    scripted: tuple[Script, str],
    scripted_client: DexmaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    script, _ = scripted
    script.add(200, [{"id": 1}, {"name": "no id"}, "text", {"id": "x"}])
    with caplog.at_level(logging.DEBUG):
        devices = await scripted_client.devices()
        await scripted_client.devices()
    assert [d.id for d in devices] == [1]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1


# --------------------------------------------------------------------------
# Errors


async def test_wrong_token_is_an_auth_error(
    make_client: Callable[..., DexmaClient], quotas: list[Quota]
) -> None:
    client = make_client(token="not-the-token")
    with pytest.raises(TelemetryHubAuthError) as err:
        await client.devices()
    assert "not-the-token" not in str(err.value)
    assert quotas == []


@pytest.mark.parametrize("token", ["", "   ", "two words", "tab\there", "ключ"])
def test_unusable_token_is_refused_at_once(
    session: aiohttp.ClientSession, token: str
) -> None:
    with pytest.raises(TelemetryHubAuthError):
        DexmaClient(session, token)


def test_bad_address(session: aiohttp.ClientSession) -> None:
    with pytest.raises(TelemetryHubConnectionError):
        DexmaClient(session, DEFAULT_TOKEN, base_url="ftp://example.com")


async def test_hidden_device_is_a_device_error(
    client: DexmaClient, sim: DexmaSimulator, quotas: list[Quota]
) -> None:
    sim.hide_device(ADELAIDE)
    for call in (
        client.device(ADELAIDE),
        client.parameters(ADELAIDE),
        client.resolutions(ADELAIDE, "EACTIVE"),
        client.readings(
            ADELAIDE,
            "EACTIVE",
            Resolution.H,
            datetime(2025, 1, 1),
            datetime(2025, 1, 2),
        ),
    ):
        with pytest.raises(TelemetryHubDeviceAccessError) as err:
            await call
        assert err.value.device == str(ADELAIDE)
        assert "Entity not found" in str(err.value)
    assert ADELAIDE not in [d.id for d in await client.devices()]
    assert len(quotas) == 5  # every answer, errors included


async def test_account_wide_403_is_an_auth_error(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    scripted[0].add(403, {"message": "Forbidden"})
    with pytest.raises(TelemetryHubAuthError, match="Forbidden"):
        await scripted_client.devices()


async def test_unknown_location_is_not_found(client: DexmaClient) -> None:
    with pytest.raises(TelemetryHubNotFoundError) as err:
        await client.location(999)
    assert err.value.call == "location"


async def test_overlong_call_is_a_validation_error(
    client: DexmaClient, quotas: list[Quota]
) -> None:
    call = ReadingsCall(
        MADRID,
        "EACTIVE",
        Resolution.FM,
        Operation.RAW,
        datetime(2025, 1, 1),
        datetime(2025, 3, 1),
        "Europe/Madrid",
    )
    with pytest.raises(DexmaValidationError) as err:
        await client.fetch(call)
    assert err.value.call == "readings"
    assert "too long" in str(err.value)
    assert isinstance(err.value, TelemetryHubProtocolError)
    assert quotas[-1].hour_remaining == 999


async def test_inverted_range_makes_no_call(
    client: DexmaClient, sim: DexmaSimulator
) -> None:
    with pytest.raises(DexmaValidationError):
        await client.readings(
            MADRID, "EACTIVE", Resolution.H, datetime(2025, 2, 1), datetime(2025, 1, 1)
        )
    assert sim.request_count() == 0


async def test_page_limit_422_uses_the_documented_envelope(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    body = {
        "status": 422,
        "code": "E422",
        "message": "Entity validation error",
        "errors": [1],
        "0": {"message": "must be less than or equal to 500", "field": "limit"},
    }
    scripted[0].add(422, body)
    with pytest.raises(DexmaValidationError, match="Entity validation error"):
        await scripted_client.locations()


async def test_quota_exhausted_is_429_with_retry_after(
    client: DexmaClient, sim: DexmaSimulator, quotas: list[Quota]
) -> None:
    sim.set_quota(hour_remaining=1)
    await client.check()
    with pytest.raises(TelemetryHubRateLimitError) as err:
        await client.check()
    assert err.value.retry_after == pytest.approx(3600 - 9 * 0 + 1, abs=1)
    assert quotas[-1].hour_remaining == 0
    assert quotas[-1].exhausted
    assert client.quota is quotas[-1]


async def test_429_without_retry_after_uses_the_quota_reset(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    headers = {
        "X-Ratelimit-Hour-Limit": "10",
        "X-Ratelimit-Hour-Remaining": "5",
        "X-Ratelimit-Hour-Reset": "100",
        "X-Ratelimit-Day-Limit": "100",
        "X-Ratelimit-Day-Remaining": "0",
        "X-Ratelimit-Day-Reset": "5000",
    }
    scripted[0].add(429, {"errors": [{"message": "Too many"}]}, headers=headers)
    with pytest.raises(TelemetryHubRateLimitError, match="Too many") as err:
        await scripted_client.check()
    assert err.value.retry_after == 5000


async def test_429_without_any_hint(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    scripted[0].add(429, {"message": "slow down"})
    with pytest.raises(TelemetryHubRateLimitError) as err:
        await scripted_client.check()
    assert err.value.retry_after is None


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("server_error", TelemetryHubConnectionError),
        ("unavailable", TelemetryHubConnectionError),
        ("malformed_json", TelemetryHubProtocolError),
        ("html", TelemetryHubProtocolError),
        ("not_found", TelemetryHubNotFoundError),
        ("unauthorized", TelemetryHubAuthError),
        ("rate_limit", TelemetryHubRateLimitError),
    ],
)
async def test_faults(
    client: DexmaClient, sim: DexmaSimulator, kind: str, error: type[Exception]
) -> None:
    sim.inject(kind, path="devices")
    with pytest.raises(error):
        await client.devices()
    assert len(await client.devices()) == 12  # the next call works


async def test_rate_limit_fault_keeps_retry_after(
    client: DexmaClient, sim: DexmaSimulator
) -> None:
    sim.inject("rate_limit", retry_after=42)
    with pytest.raises(TelemetryHubRateLimitError) as err:
        await client.check()
    assert err.value.retry_after == 42


async def test_timeout_is_a_connection_error(
    make_client: Callable[..., DexmaClient], sim: DexmaSimulator
) -> None:
    client = make_client(request_timeout=0.2)
    sim.inject("timeout", delay=2)
    with pytest.raises(TelemetryHubConnectionError, match="did not answer"):
        await client.check()


async def test_other_statuses_are_protocol_errors(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    scripted[0].add(418, {"error": "teapot"})
    with pytest.raises(TelemetryHubProtocolError, match="teapot") as err:
        await scripted_client.device(5)
    assert err.value.call == "device"


async def test_204_is_empty(client: DexmaClient, sim: DexmaSimulator) -> None:
    sim.inject("empty", path="devices")
    assert await client.devices() == []
    sim.inject("empty", path="readings")
    series = await client.readings(
        MADRID, "EACTIVE", Resolution.H, datetime(2025, 1, 1), datetime(2025, 1, 2)
    )
    assert series.readings == ()
    assert series.latest is None


async def test_empty_detail_is_a_protocol_error(
    client: DexmaClient, sim: DexmaSimulator
) -> None:
    sim.inject("empty", path="devices")
    with pytest.raises(TelemetryHubProtocolError):
        await client.device(MADRID)


async def test_detail_wrapped_in_a_list(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    scripted[0].add(200, [{"id": 7, "name": "Seven", "location": 3}])
    device = await scripted_client.device(7)
    assert device.location_id == 3


async def test_token_echoed_by_the_server_is_masked(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    scripted[0].add(401, {"message": f"token {DEFAULT_TOKEN} is\nrevoked"})
    with pytest.raises(TelemetryHubAuthError) as err:
        await scripted_client.devices()
    assert DEFAULT_TOKEN not in str(err.value)
    assert "***" in str(err.value)
    assert "\n" not in str(err.value)
    assert scripted[0].requests[0].headers["x-dexcell-token"] == DEFAULT_TOKEN


# --------------------------------------------------------------------------
# Quota headers


async def test_quota_is_read_from_every_answer(
    client: DexmaClient, sim: DexmaSimulator, quotas: list[Quota], clock: ManualClock
) -> None:
    await client.check()
    first = quotas[-1]
    assert first.hour_limit == 1000
    assert first.hour_remaining == 999
    assert first.day_limit == 10_000
    assert first.day_remaining == 9999
    assert first.hour_reset == 3600  # the clock stands on the hour
    assert first.day_reset == 15 * 3600
    assert first.observed_at == clock()
    sim.inject("server_error")
    with pytest.raises(TelemetryHubConnectionError):
        await client.check()
    assert quotas[-1].hour_remaining == 998
    assert client.request_count == 2


async def test_garbage_or_missing_quota_headers(
    client: DexmaClient, sim: DexmaSimulator, quotas: list[Quota]
) -> None:
    sim.inject("garbage_quota")
    await client.check()
    assert quotas == []  # nothing usable: the last snapshot stands
    sim.inject("no_quota")
    await client.check()
    assert quotas == []
    assert client.quota is None
    await client.check()
    assert client.quota is not None


async def test_a_failing_quota_listener_is_contained(
    make_client: Callable[..., DexmaClient], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(quota: Quota) -> None:
        raise RuntimeError

    client = make_client(on_quota=broken)
    await client.check()
    assert "quota listener failed" in caplog.text
