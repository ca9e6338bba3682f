"""The RusTech client against the simulator: tokens, paging, views, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
import logging
from unittest.mock import AsyncMock

import aiohttp
from aiohttp import web
import pytest

from custom_components.telemetry_hub.api import (
    TelemetryHubAccountLockedError,
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubNotFoundError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
)
from custom_components.telemetry_hub.api.errors import TelemetryHubSessionRejectedError
from custom_components.telemetry_hub.api.http import request_json
from custom_components.telemetry_hub.api.rustech.client import RusTechClient, server_key
from custom_components.telemetry_hub.api.rustech.models import ArchiveType, RusTechToken
from custom_components.telemetry_hub.api.rustech.units import ChannelKind
from custom_components.telemetry_hub.api.urls import normalize_url
from simulators.rustech import ManualClock, RusTechSimulator
from tests.conftest import EMAIL, PASSWORD

TODAY = date(2025, 11, 22)


# --------------------------------------------------------------------------
# Session and token handling


async def test_sign_in_keeps_and_reports_the_token(
    client: RusTechClient, sim: RusTechSimulator, tokens: list[RusTechToken | None]
) -> None:
    user = await client.sign_in()

    assert user.uid == EMAIL
    assert user.name
    assert client.token is not None
    assert tokens == [client.token]
    session = sim.sessions(EMAIL)[client.token.client]
    assert session.token == client.token.access_token
    assert client.token.expiry == pytest.approx(session.expiry, abs=1)
    assert client.sign_in_count == 1


async def test_every_rotation_is_kept_and_reported(
    client: RusTechClient,
    sim: RusTechSimulator,
    clock: ManualClock,
    tokens: list[RusTechToken | None],
) -> None:
    await client.sign_in()
    for _ in range(3):
        clock.advance(10)  # past the 5 s batch window: every answer rotates
        await client.stations()

    assert len(tokens) == 4
    assert len({token.access_token for token in tokens if token}) == 4
    assert {token.client for token in tokens if token} == {tokens[0].client}  # type: ignore[union-attr]
    assert client.token == tokens[-1]
    assert sim.sessions(EMAIL)[client.token.client].token == client.token.access_token  # type: ignore[union-attr]


async def test_blank_token_in_the_batch_window_keeps_the_current_one(
    client: RusTechClient,
    sim: RusTechSimulator,
    tokens: list[RusTechToken | None],
) -> None:
    await client.sign_in()
    signed_in = client.token

    # Same instant: the server answers with access-token " " and expiry " ".
    await client.stations()
    await client.customers()

    assert client.token == signed_in
    assert tokens == [signed_in]
    assert all(record.status == 200 for record in sim.requests)
    assert not any(record.rotated for record in sim.requests[1:])


async def test_previous_token_accepted_when_the_server_allows_it(
    make_client: Callable[..., RusTechClient],
    sim: RusTechSimulator,
    clock: ManualClock,
) -> None:
    sim.accept_previous_token = True
    client = make_client()
    await client.sign_in()
    stale = client.token
    clock.advance(10)
    await client.stations()
    clock.advance(10)

    # Another client still holding the previous token is let in.
    other = make_client(token=stale)
    await other.stations()

    assert other.sign_in_count == 0


async def test_stored_valid_token_is_used_without_sign_in(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    first = make_client()
    await first.sign_in()
    sim.clear_requests()

    second = make_client(token=first.token)
    stations = await second.stations()

    assert len(stations) == 6
    assert sim.request_count("auth/sign_in") == 0
    assert second.sign_in_count == 0


async def test_expired_stored_token_is_tried_first(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator, clock: ManualClock
) -> None:
    """The server's 401, not our clock, says a token is dead (issue 8, item 3)."""
    expired = RusTechToken("old", "old-client", EMAIL, int(clock()) - 10)

    client = make_client(token=expired)
    await client.stations()

    assert [(r.path, r.status) for r in sim.requests] == [
        ("stations", 401),
        ("auth/sign_in", 200),
        ("auth/sign_out", 404),  # ending the rejected session, in case it lives
        ("stations", 200),
    ]
    assert client.token is not None
    assert client.token.access_token != "old"


async def test_rejected_token_gets_one_silent_sign_in(
    client: RusTechClient, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await client.sign_in()
    sim.revoke_sessions()
    clock.advance(10)
    sim.clear_requests()

    stations = await client.stations()

    assert len(stations) == 6
    assert [(r.path, r.status) for r in sim.requests] == [
        ("stations", 401),
        ("auth/sign_in", 200),
        ("auth/sign_out", 404),  # ending the rejected session, in case it lives
        ("stations", 200),
    ]
    assert client.rejected_token_count == 1


async def test_token_rejected_after_a_fresh_sign_in_is_temporary(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    """Only a refused sign-in is an auth error (issue 8, item 3)."""
    await client.sign_in()
    sim.inject("unauthorized", count=2, path="stations")

    with pytest.raises(TelemetryHubSessionRejectedError, match="just opened") as err:
        await client.stations()

    assert isinstance(err.value, TelemetryHubConnectionError)
    assert not isinstance(err.value, TelemetryHubAuthError)
    assert client.sign_in_count == 2


async def test_fresh_session_rejected_is_temporary_without_retry(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    sim.inject("unauthorized", path="stations")

    with pytest.raises(TelemetryHubSessionRejectedError):
        await client.stations()

    assert client.sign_in_count == 1


async def test_wrong_password(
    make_client: Callable[..., RusTechClient],
    session: aiohttp.ClientSession,
    url: str,
) -> None:
    client = RusTechClient(session, url, EMAIL, "wrong-password")

    with pytest.raises(TelemetryHubAuthError, match="Invalid login credentials") as err:
        await client.stations()

    assert not isinstance(err.value, TelemetryHubAccountLockedError)
    assert "wrong-password" not in str(err.value)
    assert client.token is None


async def test_locked_account(client: RusTechClient, sim: RusTechSimulator) -> None:
    sim.lock_account(EMAIL)

    with pytest.raises(TelemetryHubAccountLockedError, match="locked"):
        await client.sign_in()


async def test_sign_out_ends_the_session(
    client: RusTechClient, sim: RusTechSimulator, tokens: list[RusTechToken | None]
) -> None:
    await client.sign_in()
    assert len(sim.sessions(EMAIL)) == 1

    await client.sign_out()

    assert sim.sessions(EMAIL) == {}
    assert client.token is None
    assert tokens[-1] is None
    await client.sign_out()  # nothing to end: no request
    assert sim.request_count("auth/sign_out") == 1


async def test_sign_out_of_a_dead_session_is_fine(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    await client.sign_in()
    sim.revoke_sessions()

    await client.sign_out()

    assert client.token is None


async def test_sign_out_server_error_is_reported(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    await client.sign_in()
    sim.inject("server_error", count=2, path="auth/sign_out")

    with pytest.raises(TelemetryHubConnectionError):
        await client.sign_out()

    # The session may still live: keep its token so signing out can be retried.
    assert client.token is not None
    await client.sign_out()
    assert sim.sessions(EMAIL) == {}


async def test_calls_are_serialised(
    client: RusTechClient, sim: RusTechSimulator, clock: ManualClock
) -> None:
    """Concurrent callers never send the same token twice."""
    await client.sign_in()
    sim.batch_window = 0  # every answer rotates: a reused token would fail

    results = await asyncio.gather(
        client.stations(), client.customers(), client.equipment_types()
    )

    assert [len(r) for r in results] == [6, 2, 2]
    assert all(r.status == 200 for r in sim.requests)


async def test_no_secret_in_logs_or_repr(
    client: RusTechClient, sim: RusTechSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sim.batch_window = 0
    await client.sign_in()
    await client.stations()
    sim.revoke_sessions()
    await client.stations()
    token = client.token
    assert token is not None

    response = await request_json(
        client._session,
        "POST",
        f"{client.url}/auth/sign_in",
        json_body={"email": EMAIL, "password": PASSWORD},
    )
    fresh = response.headers["access-token"]
    for secret in (PASSWORD, token.access_token, token.client, fresh):
        assert secret not in caplog.text
        assert secret not in repr(token)
        assert secret not in repr(client)
        assert secret not in repr(response)


# --------------------------------------------------------------------------
# Paging


async def test_paging_reads_every_page(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    for _ in range(9):
        sim.add_station()
    client = make_client(per_page=4)

    stations = await client.stations()

    assert [s.id for s in stations] == list(range(1, 16))
    pages = [r.params["page"] for r in sim.requests if r.path == "stations"]
    assert pages == ["1", "2", "3", "4"]
    assert {r.params["per_page"] for r in sim.requests if r.path == "stations"} == {"4"}


async def test_paging_without_next_page_key(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    sim.next_page_in_envelope = False
    client = make_client(per_page=4)

    stations = await client.stations()

    assert len(stations) == 6
    assert sim.request_count("stations") == 2


async def test_per_page_is_at_most_1000(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    client = make_client(per_page=5000)

    await client.stations()

    assert sim.requests[-1].params["per_page"] == "1000"


async def test_vanished_page_rereads_the_list(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    client = make_client(per_page=4)
    sim.inject("vanish_page", path="stations")

    stations = await client.stations()

    assert len(stations) == 6
    pages = [r.params["page"] for r in sim.requests if r.path == "stations"]
    assert pages == ["1", "2", "1", "2"]


async def test_list_that_keeps_changing_is_a_protocol_error(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    client = make_client(per_page=4)
    sim.inject("vanish_page", count=2, path="stations")

    with pytest.raises(TelemetryHubProtocolError, match="changed while it was read"):
        await client.stations()


async def test_changed_page_count_rereads_the_list(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    client = make_client(per_page=3)
    call = client._call
    grown = False

    async def call_then_grow(path: str, params: dict[str, str]) -> object:
        nonlocal grown
        body = await call(path, params)
        if not grown:  # stations appear right after page 1 was read
            grown = True
            sim.add_station()
            sim.add_station()
        return body

    client._call = call_then_grow  # type: ignore[method-assign]
    stations = await client.stations()

    assert [s.id for s in stations] == list(range(1, 9))
    pages = [r.params["page"] for r in sim.requests if r.path == "stations"]
    assert pages == ["1", "2", "1", "2", "3"]


# --------------------------------------------------------------------------
# Views


async def test_directory_views(client: RusTechClient, sim: RusTechSimulator) -> None:
    customers = await client.customers()
    types = await client.equipment_types()
    stations = await client.stations()

    assert [c.id for c in customers] == [c.id for c in sim.customers]
    assert {t.id: t.name for t in types} == {1: "БК", 2: "Флоугаз"}
    first = stations[0]
    sim_first = sim.stations[0]
    assert (first.id, first.equipment_id, first.equipment_type_id) == (
        sim_first.id,
        sim_first.equipment_id,
        sim_first.equipment_type_id,
    )
    assert first.brand == "БК"
    assert first.reports_session
    assert first.last_session == datetime.fromtimestamp(
        sim.last_session(first.id),
        UTC,  # type: ignore[arg-type]
    )


async def test_last_session_view(client: RusTechClient, sim: RusTechSimulator) -> None:
    answer = await client.last_session(2)

    assert answer.station_name == sim.stations[1].name
    assert answer.last_session == datetime.fromtimestamp(sim.last_session(2), UTC)  # type: ignore[arg-type]


async def test_last_session_of_unknown_station(client: RusTechClient) -> None:
    with pytest.raises(TelemetryHubNotFoundError):
        await client.last_session(999)


async def test_channels_are_typed_and_units_understood(client: RusTechClient) -> None:
    bk = await client.channels(1)
    flowgaz = await client.channels(2)

    bk_hourly = {c.code: c for c in bk if c.archive_type == "hourly"}
    assert set(bk_hourly) == {"P", "T", "Vnakwork", "Vnakpriv"}
    pressure = bk_hourly["P"]
    assert pressure.unit_name == "кгс/см2"
    assert pressure.unit is not None
    assert pressure.unit.symbol == "kPa"
    assert pressure.unit.convert(1.0) == pytest.approx(98.0665)
    assert bk_hourly["Vnakpriv"].kind is ChannelKind.STANDARD_VOLUME_ACCUMULATED
    flowgaz_hourly = {c.code: c for c in flowgaz if c.archive_type == "hourly"}
    assert flowgaz_hourly["P"].unit is not None
    assert flowgaz_hourly["P"].unit.convert(1.0) == 1.0
    assert flowgaz_hourly["Vst"].kind is ChannelKind.STANDARD_VOLUME_TOTAL
    assert flowgaz_hourly["Vwork"].kind is ChannelKind.WORKING_VOLUME_TOTAL
    bk_daily = {c.code: c for c in bk if c.archive_type == "daily"}
    assert bk_daily["Vwork"].kind is ChannelKind.WORKING_VOLUME_PERIOD


async def test_channels_in_english(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    sim.language = "en"

    flowgaz = await client.channels(2)

    pressure = next(c for c in flowgaz if c.code == "P")
    assert pressure.unit_name == "kPа"  # Latin kP, Cyrillic а, as in the document
    assert pressure.unit is not None
    assert pressure.unit.symbol == "kPa"


async def test_hourly_archive(client: RusTechClient, sim: RusTechSimulator) -> None:
    station = sim.stations[0]
    last = sim.last_session(station.id)
    assert last is not None

    rows = await client.archive(
        station.equipment_id, ArchiveType.HOURLY, TODAY - timedelta(days=2), TODAY
    )

    assert rows
    assert rows == sorted(rows, key=lambda r: r.event_time)
    newest = rows[-1]
    assert newest.event_time.timestamp() <= last
    expected = sim.hourly_values(station.id, int(newest.event_time.timestamp()))
    for code, value in expected.items():
        # The table says Vnakpriv, the archive VNakpriv: case does not matter.
        assert newest.value(code) == pytest.approx(value)
        assert newest.value(code.upper()) == pytest.approx(value)


async def test_archive_numbers_as_strings(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    sim.numbers_as_strings = "always"
    station = sim.stations[1]

    rows = await client.archive(
        station.equipment_id, ArchiveType.HOURLY, TODAY - timedelta(days=1), TODAY
    )

    assert rows
    assert all(isinstance(value, str) for value in rows[-1].raw.values())
    assert rows[-1].value("Vst") is not None


async def test_archive_sends_station_and_dates(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    await client.archive(61, ArchiveType.DAILY, date(2025, 11, 1), TODAY, station_id=1)

    params = sim.requests[-1].params
    assert params["archive_type"] == "daily"
    assert params["equipment_id"] == "61"
    assert params["station_id"] == "1"
    assert (params["fp_start"], params["fp_end"]) == ("2025-11-01", "2025-11-22")


async def test_consolidated_archive(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    station = sim.stations[0]

    rows = await client.consolidated_archive(
        station.equipment_id, ArchiveType.HOURLY, TODAY - timedelta(days=1), TODAY
    )

    assert rows
    newest = rows[-1]
    expected = sim.hourly_values(station.id, int(newest.event_time.timestamp()))
    assert newest.reading_value == pytest.approx(expected["Vnakpriv"])
    assert newest.gas_consume is not None
    assert newest.gas_consume > 0
    assert sim.requests[-1].params["channel_consolidation"] == "1"


async def test_abnormal_situation_archive(
    client: RusTechClient, sim: RusTechSimulator, clock: ManualClock
) -> None:
    station = sim.stations[0]
    at = sim.last_session(station.id)
    assert at is not None
    sim.add_abnormal(station.id, at - 60, 8, "Вскрытие корпуса корректора")

    rows = await client.archive(
        station.equipment_id, ArchiveType.NESHT, TODAY - timedelta(days=1), TODAY
    )

    record = next(r for r in rows if r.event_time.timestamp() == at - 60)
    assert record.raw["NSText"] == "Вскрытие корпуса корректора"
    assert record.value("nscode") == 8


async def test_settings(client: RusTechClient, sim: RusTechSimulator) -> None:
    settings = await client.settings(sim.stations[0].equipment_id, station_id=1)

    assert len(settings) == 13
    contract_hour = settings[0]
    assert contract_hour.value == "10"
    assert all(s.name and "\n" not in s.name for s in settings)


async def test_extra_fields_are_ignored(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    sim.extra_fields = True

    assert len(await client.stations()) == 6
    assert len(await client.customers()) == 2


# --------------------------------------------------------------------------
# Faults


async def test_server_error(client: RusTechClient, sim: RusTechSimulator) -> None:
    sim.inject("server_error", count=2, path="stations")
    with pytest.raises(TelemetryHubConnectionError, match="500"):
        await client.stations()


async def test_unavailable_html(client: RusTechClient, sim: RusTechSimulator) -> None:
    sim.inject("unavailable", count=2, path="stations")
    with pytest.raises(TelemetryHubConnectionError, match="503"):
        await client.stations()


async def test_timeout(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    client = make_client(request_timeout=0.2)
    sim.inject("timeout", count=2, path="stations", delay=5)

    with pytest.raises(
        TelemetryHubConnectionError, match=r"did not answer within 0\.2 s"
    ):
        await client.stations()


async def test_html_instead_of_json(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    sim.inject("html", count=2, path="stations")
    with pytest.raises(TelemetryHubProtocolError, match="not JSON"):
        await client.stations()


async def test_malformed_json_keeps_the_rotated_token(
    client: RusTechClient,
    sim: RusTechSimulator,
    clock: ManualClock,
    tokens: list[RusTechToken | None],
) -> None:
    await client.sign_in()
    clock.advance(10)
    sim.inject("malformed_json", count=2, path="stations")

    with pytest.raises(TelemetryHubProtocolError):
        await client.stations()

    # The answer rotated the token before its body broke: keep the new one.
    assert len(tokens) == 2
    assert sim.sessions(EMAIL)[client.token.client].token == client.token.access_token  # type: ignore[union-attr]
    clock.advance(10)
    assert len(await client.stations()) == 6


async def test_rate_limit(client: RusTechClient, sim: RusTechSimulator) -> None:
    sim.inject("rate_limit", path="stations", retry_after=42)

    with pytest.raises(TelemetryHubRateLimitError) as err:
        await client.stations()

    assert err.value.retry_after == 42


async def test_unknown_path(client: RusTechClient, sim: RusTechSimulator) -> None:
    sim.inject("not_found", path="customers")
    with pytest.raises(TelemetryHubNotFoundError):
        await client.customers()


async def test_unexpected_body_shape(client: RusTechClient) -> None:
    client._call = AsyncMock(return_value={"data": []})  # type: ignore[method-assign]

    with pytest.raises(TelemetryHubProtocolError, match="no data object"):
        await client.last_session(1)
    client._call = AsyncMock(return_value={"data": {"id": 1}})  # type: ignore[method-assign]
    with pytest.raises(TelemetryHubProtocolError, match="not a page"):
        await client.stations()


async def test_unreachable_server(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    client = RusTechClient(session, "http://127.0.0.1:9/api/v1", EMAIL, PASSWORD)

    with pytest.raises(TelemetryHubConnectionError, match="failed"):
        await client.sign_in()


@pytest.fixture
async def not_the_api(socket_enabled: None) -> AsyncIterator[str]:
    """A web server that is not the RusTech API: HTML and 404s."""

    async def html(_request: web.Request) -> web.Response:
        return web.Response(
            text="<html><body>Welcome</body></html>", content_type="text/html"
        )

    app = web.Application()
    app.router.add_post("/portal/auth/sign_in", html)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_site_that_is_not_the_api(
    session: aiohttp.ClientSession, not_the_api: str
) -> None:
    with pytest.raises(TelemetryHubProtocolError, match="not JSON"):
        await RusTechClient(session, f"{not_the_api}/portal", EMAIL, PASSWORD).sign_in()
    with pytest.raises(TelemetryHubNotFoundError):
        await RusTechClient(session, f"{not_the_api}/other", EMAIL, PASSWORD).sign_in()


@pytest.fixture
async def sign_in_without_token(socket_enabled: None) -> AsyncIterator[str]:
    """A server whose sign-in answers JSON but no session headers."""

    async def sign_in(_request: web.Request) -> web.Response:
        return web.json_response({"data": {"uid": EMAIL}})

    async def no_user(_request: web.Request) -> web.Response:
        return web.json_response({"success": True})

    app = web.Application()
    app.router.add_post("/a/auth/sign_in", sign_in)
    app.router.add_post("/b/auth/sign_in", no_user)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_sign_in_without_session_headers(
    session: aiohttp.ClientSession, sign_in_without_token: str
) -> None:
    with pytest.raises(TelemetryHubProtocolError, match="without session headers"):
        await RusTechClient(
            session, f"{sign_in_without_token}/a", EMAIL, PASSWORD
        ).sign_in()
    with pytest.raises(TelemetryHubProtocolError, match="without the user object"):
        await RusTechClient(
            session, f"{sign_in_without_token}/b", EMAIL, PASSWORD
        ).sign_in()


# --------------------------------------------------------------------------
# Addresses


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://uztgs.uz/api/v1", "https://uztgs.uz/api/v1"),
        ("  HTTPS://UZTGS.UZ/api/v1/ ", "https://uztgs.uz/api/v1"),
        ("uztgs.uz/api/v1", "https://uztgs.uz/api/v1"),
        ("http://10.0.0.5:8080/api/v1?x=1#y", "http://10.0.0.5:8080/api/v1"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw", ["ftp://uztgs.uz/api", "https://", "http://host:port/x", ""]
)
def test_normalize_url_rejects(raw: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        normalize_url(raw)


def test_server_key_ignores_scheme() -> None:
    assert server_key("http://uztgs.uz/api/v1/") == server_key(
        "https://UZTGS.uz/api/v1"
    )
    assert server_key("https://uztgs.uz/api/v1") == "uztgs.uz/api/v1"


async def test_two_abnormal_situations_in_one_second(
    client: RusTechClient, sim: RusTechSimulator
) -> None:
    station = sim.stations[0]
    at = sim.last_session(station.id)
    assert at is not None
    sim.add_abnormal(station.id, at - 5, 4, "Отказ датчика давления")
    sim.add_abnormal(station.id, at - 5, 3, "Отказ датчика температуры")

    rows = await client.archive(
        station.equipment_id, ArchiveType.NESHT, TODAY - timedelta(days=1), TODAY
    )

    same_second = [r for r in rows if r.event_time.timestamp() == at - 5]
    assert sorted(r.raw["NSText"] for r in same_second) == [  # type: ignore[type-var]
        "Отказ датчика давления",
        "Отказ датчика температуры",
    ]


async def test_repeated_rows_are_read_once(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator
) -> None:
    """Rows repeated across pages (the list moved by one) count once."""
    client = make_client(per_page=10)
    station = sim.stations[0]
    call = client._call
    pages: list[object] = []

    async def repeat_last_row(path: str, params: dict[str, str]) -> object:
        body = await call(path, params)
        if path == "channel_data" and pages:
            body["data"].insert(0, pages[-1])  # type: ignore[index]
        if path == "channel_data" and body["data"]:  # type: ignore[index]
            pages.append(body["data"][-1])  # type: ignore[index]
        return body

    client._call = repeat_last_row  # type: ignore[method-assign]
    rows = await client.archive(
        station.equipment_id, ArchiveType.HOURLY, TODAY - timedelta(days=1), TODAY
    )

    times = [r.event_time for r in rows]
    assert len(pages) > 1
    assert times == sorted(set(times))
