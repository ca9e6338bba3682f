"""The one request helper every vendor client sends its calls through.

It owns the timeout, turns transport failures into the package's exception
hierarchy and parses JSON. What a status code *means* is the vendor's
business; `raise_for_status` maps the statuses every vendor shares.

Whatever the server sends, only the package's exceptions come out, and
their messages name the request (method and path) and the kind of failure,
never a header line, a body or a URL's query: those may hold a token or
echo a password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
import json
import logging
import math
import re
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .errors import (
    TelemetryHubConnectionError,
    TelemetryHubNotFoundError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
)

_LOGGER = logging.getLogger(__name__)

_fast_loads: Callable[[bytes], Any] | None
try:  # orjson (Home Assistant ships it) decodes bodies three times faster
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - the standard library will do
    _fast_loads = None
else:
    _fast_loads = _orjson_loads

DEFAULT_TIMEOUT = 30.0

HTTP_NOT_FOUND = 404
HTTP_TOO_MANY_REQUESTS = 429
HTTP_SERVER_ERROR = 500
MAX_RETRY_AFTER = 86400.0
"""A Retry-After beyond a day is not a plan, it is a broken header."""

_CONTENT_TYPE = re.compile(r"[\w.+-]{1,40}/[\w.+-]{1,80}")


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """What is known of an answer once its headers arrived, before the body."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str] = field(repr=False)
    """May carry credentials (a rotated token): never in a repr."""


type HeadersCallback = Callable[[ResponseHead], None]


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A server's answer: status, headers and the parsed JSON body."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str] = field(repr=False)
    """May carry credentials (a rotated token): never in a repr."""
    data: Any = field(repr=False)
    """The decoded JSON body; None for an empty body."""
    json_error: str | None = None
    """Why the body is not JSON (then `data` is None), e.g. an HTML page."""

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx and the body (if any) was JSON."""
        return 200 <= self.status < 300 and self.json_error is None  # noqa: PLR2004

    def describe(self) -> str:
        """Name the request and its outcome, for messages and logs."""
        return f"{self.method} {self.path} answered {self.status}"


async def request_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    json_body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    request_timeout: float = DEFAULT_TIMEOUT,
    on_headers: HeadersCallback | None = None,
) -> ApiResponse:
    """Send one request and return its status, headers and JSON body.

    Raises TelemetryHubConnectionError when the server cannot be reached,
    does not answer within `request_timeout` seconds, or breaks off the
    answer. A body that is not JSON (an HTML page, a truncated or too deeply
    nested document) is reported in `ApiResponse.json_error` instead.

    `on_headers` is called the moment the status and headers arrive, before
    the body is read, so that credentials the answer carries (a rotated
    token) are kept even if the body then stalls, breaks off or cannot be
    decoded. With `on_headers`, a cancellation that arrives before the
    headers does not abandon them: the request still waits for its headers
    (within its own timeout), hands them over, and then the cancellation
    goes on. An exception raised by `on_headers` ends the request and comes
    out of this function unchanged.
    """
    path = urlsplit(url).path
    request = _Request(
        session, method, url, path=path, timeout=request_timeout, on_headers=on_headers
    )
    if on_headers is None:
        return await request.run(params, json_body, headers)
    task = asyncio.get_running_loop().create_task(
        request.run(params, json_body, headers)
    )
    task.add_done_callback(_consume_result)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        try:
            if not task.done() and not request.head_seen.is_set():
                # The server may already have rotated the token: wait for the
                # headers that carry the new one (bounded by the timeout).
                await _first_of(task, request.head_seen)
        finally:
            task.cancel()
        raise


def _consume_result(task: asyncio.Task[ApiResponse]) -> None:
    """Retrieve a detached request's outcome so asyncio does not log it."""
    if not task.cancelled():
        task.exception()


async def _first_of(task: asyncio.Task[ApiResponse], event: asyncio.Event) -> None:
    """Wait until the task ends or the event is set."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()


class _Request:
    """One exchange: send, hand over the head, read and decode the body."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        *,
        path: str,
        timeout: float,
        on_headers: HeadersCallback | None,
    ) -> None:
        self.session = session
        self.method = method
        self.url = url
        self.path = path
        self.timeout = timeout
        self.on_headers = on_headers
        self.head_seen = asyncio.Event()

    async def run(
        self,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> ApiResponse:
        method, path = self.method, self.path
        started = time.monotonic()
        try:
            async with self.session.request(
                method,
                self.url,
                params=params,
                json=json_body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as response:
                status = response.status
                response_headers = response.headers
                self.head_seen.set()
                if self.on_headers is not None:
                    self.on_headers(
                        ResponseHead(method, path, status, response_headers)
                    )
                raw = await response.read()
                content_type = _content_type(response)
        except TimeoutError as err:
            limit = f"within {self.timeout:g} s"
            if self.head_seen.is_set():
                msg = f"{method} {path}: the body did not arrive {limit}"
            else:
                msg = f"{method} {path} did not answer {limit}"
            raise TelemetryHubConnectionError(msg) from err
        except aiohttp.ClientError as err:
            msg = f"{method} {path} failed: {_transport_problem(err)}"
            raise TelemetryHubConnectionError(msg) from None
        except ValueError:
            # aiohttp refuses to send a header value or address it cannot
            # encode (a hostile token with a line break, say).
            msg = f"{method} {path} could not be sent (an invalid header or address)"
            raise TelemetryHubProtocolError(msg) from None
        _LOGGER.debug(
            "%s %s -> %s (%d bytes, %.0f ms)",
            method,
            path,
            status,
            len(raw),
            (time.monotonic() - started) * 1000,
        )
        data, json_error = decode_json(raw, content_type)
        return ApiResponse(method, path, status, response_headers, data, json_error)


def decode_json(raw: bytes, content_type: str | None = None) -> tuple[Any, str | None]:
    """Decode a body: (data, None), or (None, why it is not JSON).

    An empty body is (None, None). NaN and infinities (not JSON, but
    Python's decoder takes them) and integers of thousands of digits read
    as null, so one absurd value does not make a whole answer unreadable.
    orjson decodes when it can; what it refuses (integers beyond 64 bits,
    nesting beyond 1024 levels, lone surrogates) goes to the standard
    decoder, so the result does not
    depend on whether orjson is installed.
    """
    if not raw or raw.isspace():
        return None, None
    if _fast_loads is not None:
        try:
            return _fast_loads(raw), None
        except ValueError:
            pass  # not JSON to orjson: the standard decoder is more lenient
    try:
        return json.loads(raw, parse_constant=_no_constant, parse_int=_read_int), None
    except RecursionError:
        return None, "the body is nested too deeply to be read"
    except ValueError:
        return None, f"the body is not JSON ({content_type or 'no content type'})"


def _no_constant(_name: str) -> None:
    """NaN, Infinity and -Infinity are not JSON: read them as null."""


def _read_int(text: str) -> int | None:
    """An integer; one too long for Python to convert (4300 digits) is null."""
    try:
        return int(text)
    except ValueError:
        return None


def _content_type(response: aiohttp.ClientResponse) -> str | None:
    """The answer's media type, if it looks like one (it goes in messages)."""
    try:
        kind = response.content_type
    except (ValueError, LookupError):  # pragma: no cover - aiohttp is lenient
        return None
    return kind if _CONTENT_TYPE.fullmatch(kind) else None


_PROBLEMS: tuple[tuple[type[aiohttp.ClientError], str], ...] = (
    (aiohttp.ClientConnectorCertificateError, "the server's certificate was refused"),
    (aiohttp.ServerDisconnectedError, "the server closed the connection"),
    (aiohttp.ClientPayloadError, "the answer was cut off or its encoding is broken"),
    (aiohttp.ClientResponseError, "the answer is not valid HTTP"),
    (aiohttp.InvalidURL, "the address is not valid"),
)


def _transport_problem(err: aiohttp.ClientError) -> str:
    """What went wrong on the wire, in words that quote nothing received."""
    for kind, problem in _PROBLEMS:
        if isinstance(err, kind):
            return problem
    if isinstance(err, aiohttp.ClientConnectorError):
        reason = err.os_error.strerror if err.os_error is not None else None
        return f"cannot connect to the server ({reason or type(err).__name__})"
    if isinstance(err, aiohttp.ClientOSError):
        return f"connection error ({err.strerror or type(err).__name__})"
    return type(err).__name__


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Read a Retry-After header (seconds or an HTTP date) as seconds.

    The result is between 0 and a day; an unreadable value is None.
    """
    value = headers.get("Retry-After", "").strip()
    if not value or len(value) > 64:  # noqa: PLR2004
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            seconds = when.timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError, OSError):
            return None
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def raise_for_status(response: ApiResponse) -> None:
    """Raise the package's exception for statuses every vendor shares.

    429 -> rate limit, 5xx -> connection (temporary), 404 -> not found,
    any other non-2xx or a non-JSON body -> protocol error.
    """
    if response.status == HTTP_TOO_MANY_REQUESTS:
        raise TelemetryHubRateLimitError(
            f"{response.describe()}: rate limit reached",
            retry_after=retry_after_seconds(response.headers),
        )
    if response.status >= HTTP_SERVER_ERROR:
        raise TelemetryHubConnectionError(f"{response.describe()} (server error)")
    if response.status == HTTP_NOT_FOUND:
        raise TelemetryHubNotFoundError(f"{response.describe()}: no such path")
    if not 200 <= response.status < 300:  # noqa: PLR2004
        raise TelemetryHubProtocolError(response.describe())
    if response.json_error is not None:
        raise TelemetryHubProtocolError(
            f"{response.describe()}, but {response.json_error}"
        )
