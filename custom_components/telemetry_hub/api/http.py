"""The one request helper every vendor client sends its calls through.

It owns the timeout, turns transport failures into the package's exception
hierarchy and parses JSON. What a status code *means* is the vendor's
business; `raise_for_status` maps the statuses every vendor shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from .errors import (
    TelemetryHubConnectionError,
    TelemetryHubNotFoundError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0

HTTP_NOT_FOUND = 404
HTTP_TOO_MANY_REQUESTS = 429
HTTP_SERVER_ERROR = 500


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
) -> ApiResponse:
    """Send one request and return its status, headers and JSON body.

    Raises TelemetryHubConnectionError when the server cannot be reached or
    does not answer within `request_timeout` seconds. A body that is not JSON is
    reported in `ApiResponse.json_error`, so the caller can still read the
    headers (a rotated token must never be lost to a broken body).
    """
    path = urlsplit(url).path
    started = time.monotonic()
    try:
        async with session.request(
            method,
            url,
            params=params,
            json=json_body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=request_timeout),
            allow_redirects=False,
        ) as response:
            raw = await response.read()
            status = response.status
            response_headers = response.headers
            content_type = response.content_type
    except TimeoutError as err:
        msg = f"{method} {path} did not answer within {request_timeout:g} s"
        raise TelemetryHubConnectionError(msg) from err
    except aiohttp.ClientError as err:
        msg = f"{method} {path} failed: {err}"
        raise TelemetryHubConnectionError(msg) from err
    _LOGGER.debug(
        "%s %s -> %s (%d bytes, %.0f ms)",
        method,
        path,
        status,
        len(raw),
        (time.monotonic() - started) * 1000,
    )
    data: Any = None
    json_error: str | None = None
    if raw.strip():
        try:
            data = json.loads(raw)
        except ValueError:
            json_error = f"the body is not JSON ({content_type or 'no content type'})"
    return ApiResponse(method, path, status, response_headers, data, json_error)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Read a Retry-After header (seconds or an HTTP date) as seconds."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


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


def normalize_url(raw: str) -> str:
    """Return the API base URL in canonical form; raise ValueError if invalid.

    A missing scheme means https; query, fragment and trailing slashes go.
    """
    text = raw.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = "not an http(s) address with a host name"
        raise ValueError(msg)
    _ = parts.port  # raises ValueError for a port that is not a number
    return urlunsplit(
        (parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"), "", "")
    )
