"""The shared request helper: headers first, broken answers, addresses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import gzip
import time

import aiohttp
from aiohttp import web
import pytest

from custom_components.telemetry_hub.api import (
    TelemetryHubConnectionError,
    TelemetryHubError,
    TelemetryHubNotFoundError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
)
from custom_components.telemetry_hub.api.http import (
    MAX_RETRY_AFTER,
    ApiResponse,
    ResponseHead,
    decode_json,
    raise_for_status,
    request_json,
    retry_after_seconds,
)
from custom_components.telemetry_hub.api.urls import normalize_url

SECRET = "s3cr3t-T0KEN"


async def _stall(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"access-token": "rotated"})
    response.content_length = 100
    await response.prepare(request)
    await response.write(b'{"data": [')
    await asyncio.sleep(5)
    return response


async def _reset(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"access-token": "rotated"})
    response.content_length = 100
    await response.prepare(request)
    await response.write(b'{"data": [')
    assert request.transport is not None
    request.transport.close()
    return response


async def _bad_gzip(_request: web.Request) -> web.Response:
    return web.Response(
        body=b"this is not gzip at all",
        headers={"access-token": "rotated", "Content-Encoding": "gzip"},
        content_type="application/json",
    )


async def _good_gzip(_request: web.Request) -> web.Response:
    return web.Response(
        body=gzip.compress(b'{"ok": true}'),
        headers={"Content-Encoding": "gzip"},
        content_type="application/json",
    )


async def _nested(_request: web.Request) -> web.Response:
    depth = 200_000
    return web.Response(
        body=b"[" * depth + b"]" * depth,
        headers={"access-token": "rotated"},
        content_type="application/json",
    )


async def _slow_headers(_request: web.Request) -> web.Response:
    await asyncio.sleep(0.3)
    return web.json_response({"ok": True}, headers={"access-token": "rotated"})


async def _constants(_request: web.Request) -> web.Response:
    return web.Response(
        text='{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e400, "e": 1}',
        content_type="application/json",
    )


async def _html(_request: web.Request) -> web.Response:
    return web.Response(
        text=f"<html>{SECRET}</html>", content_type=f"text/html; x={SECRET}"
    )


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[str]:
    app = web.Application()
    for path, handler in {
        "/stall": _stall,
        "/reset": _reset,
        "/bad_gzip": _bad_gzip,
        "/good_gzip": _good_gzip,
        "/nested": _nested,
        "/slow_headers": _slow_headers,
        "/constants": _constants,
        "/html": _html,
    }.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


type Request = Callable[..., Awaitable[ApiResponse]]


@pytest.fixture
def heads() -> list[ResponseHead]:
    return []


@pytest.fixture
def get(
    session: aiohttp.ClientSession, server: str, heads: list[ResponseHead]
) -> Request:
    async def send(path: str, **kwargs: object) -> ApiResponse:
        options: dict[str, object] = {
            "request_timeout": 0.5,
            "on_headers": heads.append,
        }
        options.update(kwargs)
        return await request_json(session, "GET", f"{server}{path}", **options)  # type: ignore[arg-type]

    return send


# --------------------------------------------------------------------------
# The headers arrive before the body, whatever the body does


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/stall", "the body did not arrive within 0.5 s"),
        ("/reset", "cut off or its encoding is broken"),
        ("/bad_gzip", "cut off or its encoding is broken"),
    ],
)
async def test_headers_are_handed_over_before_a_broken_body(
    get: Request, heads: list[ResponseHead], path: str, problem: str
) -> None:
    with pytest.raises(TelemetryHubConnectionError, match=problem) as err:
        await get(path)

    assert [head.headers["access-token"] for head in heads] == ["rotated"]
    assert heads[0].status == 200
    assert heads[0].path == path
    assert "rotated" not in repr(heads[0])
    assert err.value.__cause__ is None or isinstance(err.value.__cause__, TimeoutError)


async def test_a_deeply_nested_body_is_not_json(
    get: Request, heads: list[ResponseHead]
) -> None:
    response = await get("/nested")

    assert response.data is None
    assert response.json_error == "the body is nested too deeply to be read"
    assert heads[0].headers["access-token"] == "rotated"
    with pytest.raises(TelemetryHubProtocolError, match="nested too deeply"):
        raise_for_status(response)


async def test_gzip_bodies_are_read(get: Request) -> None:
    assert (await get("/good_gzip")).data == {"ok": True}


async def test_cancellation_waits_for_the_headers(
    get: Request, heads: list[ResponseHead]
) -> None:
    """A request already sent may have rotated the token: wait for it."""
    task = asyncio.ensure_future(get("/slow_headers"))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task

    assert time.monotonic() - started >= 0.2
    assert [head.headers["access-token"] for head in heads] == ["rotated"]


async def test_cancellation_after_the_headers_is_prompt(
    get: Request, heads: list[ResponseHead]
) -> None:
    task = asyncio.ensure_future(get("/stall", request_timeout=5))
    for _ in range(100):
        if heads:
            break
        await asyncio.sleep(0.01)
    started = time.monotonic()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task

    assert time.monotonic() - started < 1
    assert heads[0].headers["access-token"] == "rotated"


async def test_cancellation_without_a_headers_callback_is_prompt(
    get: Request, heads: list[ResponseHead]
) -> None:
    task = asyncio.ensure_future(get("/slow_headers", on_headers=None))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task

    assert time.monotonic() - started < 0.2
    assert heads == []


async def test_a_cancelled_wait_for_the_headers_gives_up(get: Request) -> None:
    task = asyncio.ensure_future(get("/slow_headers", request_timeout=5))
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.sleep(0.05)
    task.cancel()  # cancelled again while it waits for the headers

    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_error_of_the_headers_callback_ends_the_request(
    get: Request,
) -> None:
    def refuse(_head: ResponseHead) -> None:
        msg = "not ours"
        raise TelemetryHubProtocolError(msg)

    with pytest.raises(TelemetryHubProtocolError, match="not ours"):
        await get("/stall", on_headers=refuse)


async def test_timeout_before_the_headers(get: Request) -> None:
    with pytest.raises(TelemetryHubConnectionError, match=r"did not answer within"):
        await get("/slow_headers", request_timeout=0.1)


# --------------------------------------------------------------------------
# Bodies and messages


async def test_not_json_constants_read_as_null(get: Request) -> None:
    response = await get("/constants")

    assert response.data == {
        "a": None,
        "b": None,
        "c": None,
        "d": float("inf"),
        "e": 1,
    }


async def test_messages_quote_nothing_received(get: Request) -> None:
    response = await get("/html")

    assert response.json_error == "the body is not JSON (text/html)"
    with pytest.raises(TelemetryHubProtocolError) as err:
        raise_for_status(response)
    assert SECRET not in str(err.value)


@pytest.fixture
async def raw_server(socket_enabled: None) -> AsyncIterator[str]:
    """A server that answers one broken HTTP head carrying a secret."""

    async def answer(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            f"HTTP/1.1 200 OK\r\naccess-token: {SECRET}\r\nBad Header\x01: {SECRET}"
            "\r\nContent-Length: 2\r\n\r\n{}".encode()
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.close()


async def test_an_invalid_http_answer_is_not_quoted(
    session: aiohttp.ClientSession, raw_server: str
) -> None:
    with pytest.raises(TelemetryHubConnectionError, match="not valid HTTP") as err:
        await request_json(session, "GET", f"{raw_server}/x?token={SECRET}")

    assert SECRET not in str(err.value)
    assert err.value.__cause__ is None


async def test_unreachable(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    with pytest.raises(TelemetryHubConnectionError, match="cannot connect"):
        await request_json(session, "GET", "http://127.0.0.1:9/x")


async def test_a_header_that_cannot_be_sent(
    session: aiohttp.ClientSession, server: str
) -> None:
    with pytest.raises(TelemetryHubProtocolError, match="could not be sent"):
        await request_json(
            session, "GET", f"{server}/good_gzip", headers={"x": "a\r\nb"}
        )


@pytest.mark.parametrize(
    ("raw", "data", "error"),
    [
        (b"", None, None),
        (b"  \n", None, None),
        (b'{"a": 1}', {"a": 1}, None),
        (b"[NaN]", [None], None),
        (b'"\\ud800"', "\ud800", None),
        (b"1" * 5000, None, None),
        (b"[1, " + b"2" * 5000 + b"]", [1, None], None),
        (b"\xff\xfe\x00", None, "the body is not JSON (application/json)"),
        (b"[" * 3000 + b"]" * 3000, None, None),
    ],
)
def test_decode_json(raw: bytes, data: object, error: str | None) -> None:
    decoded, why = decode_json(raw, "application/json")
    if raw.startswith(b"[" * 3000):  # deeper than orjson goes: json decides
        assert why in (None, "the body is nested too deeply to be read")
        return
    assert (decoded, why) == (data, error)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        ("30", 30.0),
        ("-5", 0.0),
        ("1e400", None),
        ("nan", None),
        ("9" * 100, None),
        ("99999999", MAX_RETRY_AFTER),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Wed, 99 Foo 2015", None),
        ("garbage", None),
    ],
)
def test_retry_after(value: str, expected: float | None) -> None:
    assert retry_after_seconds({"Retry-After": value}) == expected


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, TelemetryHubRateLimitError),
        (500, TelemetryHubConnectionError),
        (404, TelemetryHubNotFoundError),
        (302, TelemetryHubProtocolError),
    ],
)
def test_raise_for_status(status: int, error: type[TelemetryHubError]) -> None:
    response = ApiResponse("GET", "/x", status, {"Retry-After": "1e999"}, None)
    with pytest.raises(error):
        raise_for_status(response)
    if status == 429:
        with pytest.raises(TelemetryHubRateLimitError) as err:
            raise_for_status(response)
        assert err.value.retry_after is None


# --------------------------------------------------------------------------
# Addresses


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://uztgs.uz/api/v1", "https://uztgs.uz/api/v1"),
        ("  HTTPS://UZTGS.UZ/api/v1/ ", "https://uztgs.uz/api/v1"),
        ("uztgs.uz/api/v1", "https://uztgs.uz/api/v1"),
        ("uztgs.uz:443/api/v1", "https://uztgs.uz/api/v1"),
        ("https://uztgs.uz:443/api/./v1", "https://uztgs.uz/api/v1"),
        ("https://uztgs.uz/api//v1//", "https://uztgs.uz/api/v1"),
        ("https://uztgs.uz/x/../api/v1", "https://uztgs.uz/api/v1"),
        ("https://uztgs.uz./api/v1", "https://uztgs.uz/api/v1"),
        ("https://uztgs.uz/API/V1", "https://uztgs.uz/API/V1"),
        ("http://uztgs.uz:80/api", "http://uztgs.uz/api"),
        ("http://uztgs.uz:443/api", "http://uztgs.uz:443/api"),
        ("https://uztgs.uz:8443/api", "https://uztgs.uz:8443/api"),
        ("http://10.0.0.5:8080/api/v1?x=1#y", "http://10.0.0.5:8080/api/v1"),
        ("http://[::1]:8080/api", "http://[::1]:8080/api"),
        ("http://[0:0::1]/api", "http://[::1]/api"),
        ("https://газ.пример/api", "https://газ.пример/api"),
        ("https://uztgs.uz", "https://uztgs.uz"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


def test_one_server_however_it_is_typed() -> None:
    typed = ["uztgs.uz/api/v1", "https://UZTGS.uz:443/api/./v1/", "uztgs.uz/api/v1/"]
    assert len({normalize_url(url) for url in typed}) == 1


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("http://user:pa55word@host/api", "user name or password"),
        ("user:pa55word@host/api", "user name or password"),
        ("https://pa55word@host/api", "user name or password"),
        ("ftp://uztgs.uz/api", "not an http"),
        ("https://", "host name"),
        ("http://host:port/x", "port"),
        ("http://host:0/x", "port"),
        ("http://host:99999/x", "port"),
        ("", "no address"),
        ("https://ho st/api", "host name"),
        ("https://host/a\nb", "control characters"),
        ("https://[::zz]/api", "not a valid address|host name"),
        ("https://exa_mple..com/", "host name"),
    ],
)
def test_normalize_url_refuses(raw: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as err:
        normalize_url(raw)
    assert "pa55word" not in str(err.value)
    assert "user" not in str(err.value).replace("user name", "")
