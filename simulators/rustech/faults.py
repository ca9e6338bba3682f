"""Injected faults: what they match and how they spoil an answer.

Three families, by when they act:

* answered before authentication (`SHORT_CIRCUIT`): a canned response, no
  rotation, the session untouched (a proxy or a crashed worker answering);
* before the request is handled: `timeout` (a stall before any header; the
  request is dropped if the client gives up, unless the option `finish` is
  true: then it is handled all the same, as Rails does), `expire_session`
  (the server forgets the caller's session: its own expiry);
* after the request was handled, rotation included (`AFTER`): the answer's
  headers are right but its body or envelope is not: `malformed_json`
  (truncated), `stall_body` (half a body, then silence), `reset_body` (the
  connection drops mid-body), `bad_gzip`, `nested_json` (a body nested
  deeper than any decoder goes), `foreign_uid` (the `uid` header names
  another user), `sign_in_error` (sign-in: the session is created but the
  answer is an HTML 500), and the paging lies `next_page_forever`,
  `next_page_loop` and `endless_pages`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from http import HTTPStatus
import json
import random
from typing import Any

from aiohttp import web

from .catalog import HTML_404, HTML_503, HTML_PROXY

# Faults answered before authentication: no rotation, the session is untouched.
SHORT_CIRCUIT = frozenset(
    {"server_error", "unavailable", "html", "unauthorized", "rate_limit", "not_found"}
)
# Faults that spoil the answer of a request that was handled normally.
BODY = frozenset(
    {"malformed_json", "stall_body", "reset_body", "bad_gzip", "nested_json"}
)
PAGING_LIES = frozenset({"next_page_forever", "next_page_loop", "endless_pages"})
AFTER = BODY | PAGING_LIES | {"foreign_uid", "sign_in_error"}
KINDS = SHORT_CIRCUIT | AFTER | {"timeout", "vanish_page", "expire_session"}
FOREIGN_UID = "someone.else@local.net"
ENDLESS_TOTAL = 1_000_000


@dataclass
class Fault:
    """One injected fault with its remaining uses."""

    kind: str
    count: int
    path: str | None
    options: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str, page: int) -> bool:
        """Return True if this fault applies to a request of ``path``/``page``."""
        if self.kind == "vanish_page" and page < 2:  # noqa: PLR2004
            return False
        if self.path is None:
            return True
        wanted = self.path.strip("/")
        return path == wanted or path.endswith(wanted)


@dataclass
class RandomFaults:
    """Fault a share of all requests at random (seeded, so reproducible)."""

    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    options: dict[str, Any] = field(default_factory=dict)

    def draw(self) -> Fault | None:
        """Return a fault for the next request, or None."""
        if not self.kinds or self.rng.random() >= self.rate:
            return None
        return Fault(self.rng.choice(self.kinds), 1, None, dict(self.options))


class FaultQueue:
    """Faults in injection order; the first matching one is used up first."""

    def __init__(self) -> None:
        """Start with no fault."""
        self.pending: list[Fault] = []
        self.random: RandomFaults | None = None
        self.drawn: dict[str, int] = {}
        """How many requests each randomly drawn fault kind spoiled."""

    def add(
        self, kind: str, count: int, path: str | None, options: dict[str, Any]
    ) -> None:
        """Queue ``count`` uses of fault ``kind``."""
        check_kind(kind)
        if count > 0:
            self.pending.append(Fault(kind, count, path, dict(options)))

    def take(self, path: str, page: int) -> Fault | None:
        """Use up one matching fault for this request, if any."""
        for fault in self.pending:
            if fault.matches(path, page):
                fault.count -= 1
                if fault.count <= 0:
                    self.pending.remove(fault)
                return fault
        if self.random is not None and (drawn := self.random.draw()) is not None:
            self.drawn[drawn.kind] = self.drawn.get(drawn.kind, 0) + 1
            return drawn
        return None

    def clear(self) -> None:
        """Drop every pending fault and stop random faults."""
        self.pending.clear()
        self.random = None


def check_kind(kind: str) -> None:
    """Raise ValueError for an unknown fault kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)}")


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Return a Rails-like JSON response (UTF-8, non-ASCII kept)."""
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def html_response(
    text: str, status: int, headers: dict[str, str] | None = None
) -> web.Response:
    """Return an HTML page."""
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        charset="utf-8",
        headers=headers,
    )


def short_circuit_response(fault: Fault, unauthenticated: str) -> web.Response:
    """Return the canned response of a fault answered before authentication."""
    kind = fault.kind
    if kind == "server_error":
        status = int(fault.options.get("status", 500))
        error = HTTPStatus(status).phrase if status in HTTPStatus else "Error"
        return json_response({"status": status, "error": error}, status)
    if kind == "unavailable":
        return html_response(HTML_503, 503)
    if kind == "html":
        return html_response(HTML_PROXY, 200)
    if kind == "unauthorized":
        return json_response({"errors": [unauthenticated]}, 401)
    if kind == "rate_limit":
        retry_after = str(fault.options.get("retry_after", 30))
        return json_response(
            {"errors": ["Rate limit exceeded"]}, 429, {"Retry-After": retry_after}
        )
    return html_response(HTML_404, 404)


def truncate_json(response: web.Response) -> None:
    """Replace a JSON response's body by its first half (invalid JSON)."""
    body = response.text or "{}"
    response.text = body[: max(1, len(body) // 2)]


def spoil(response: web.Response, fault: Fault) -> web.Response:
    """Apply an `AFTER` fault that needs no streaming to a handled answer."""
    kind = fault.kind
    if kind == "malformed_json":
        truncate_json(response)
    elif kind == "bad_gzip":
        response.body = b"this is not gzip at all"
        response.headers["Content-Encoding"] = "gzip"
    elif kind == "nested_json":
        depth = int(fault.options.get("depth", 100_000))
        response.body = b"[" * depth + b"]" * depth
    elif kind == "foreign_uid" and "uid" in response.headers:
        response.headers["uid"] = FOREIGN_UID
    elif kind == "sign_in_error":
        headers = {
            key: value
            for key, value in response.headers.items()
            if key.lower() not in {"content-type", "content-length"}
        }
        status = int(fault.options.get("status", 500))
        return html_response(HTML_503, status, headers)
    return response


def lie_about_pages(payload: dict[str, Any], kind: str, page: int) -> None:
    """Falsify a page's envelope (the rows stay true)."""
    total = int(payload.get("total_pages") or 0)
    if kind == "next_page_forever":
        payload["next_page"] = page + 1
    elif kind == "next_page_loop" and page >= total:
        payload["next_page"] = 1
    elif kind == "endless_pages":
        payload["total_pages"] = ENDLESS_TOTAL
        payload["next_page"] = page + 1


async def stream_spoiled(
    request: web.Request, response: web.Response, fault: Fault
) -> web.StreamResponse:
    """Send a handled answer's headers and half its body, then stall or drop.

    `stall_body` waits `delay` seconds (default 30) before the rest;
    `reset_body` closes the connection although more was announced.
    """
    body = response.body if isinstance(response.body, bytes) else b""
    stream = web.StreamResponse(status=response.status)
    for key, value in response.headers.items():
        if key.lower() != "content-length":
            stream.headers[key] = value
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    if fault.kind == "stall_body":
        await asyncio.sleep(float(fault.options.get("delay", 30)))
        await stream.write(body[len(body) // 2 :])
        await stream.write_eof()
        return stream
    if request.transport is not None:
        request.transport.close()
    return stream
