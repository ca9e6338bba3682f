"""Injected faults of the Tecno-Gaz simulator and their canned answers."""

from __future__ import annotations

from dataclasses import dataclass, field
import json
from typing import Any

from aiohttp import web

from .catalog import HTML_404, HTML_PROXY

KINDS = frozenset(
    {
        "server_error",  # 5xx with a JSON error body (option status)
        "timeout",  # the answer stalls (option delay, seconds)
        "reset",  # the connection drops before any answer
        "partial",  # the connection drops in the middle of the body
        "malformed_json",  # the genuine answer cut in half
        "html",  # 200 with a gateway's HTML page
        "not_found",  # 404 HTML, as if the path were not the contract's
        "unauthorized",  # 401
        "forbidden",  # 403
        "rate_limit",  # 429 (option retry_after)
        "stale",  # the genuine answer as of `age` seconds ago
        "raw",  # exactly: status, body, headers, content_type
        "mutate",  # the genuine JSON body passed through fn(body) -> new body
    }
)
SHORT_CIRCUIT = frozenset(
    {"server_error", "html", "not_found", "unauthorized", "forbidden", "rate_limit"}
)
"""Faults answered before the token is even looked at."""


@dataclass
class Fault:
    """One injected fault with its remaining uses."""

    kind: str
    count: int
    call: str | None
    options: dict[str, Any] = field(default_factory=dict)


class FaultQueue:
    """Faults in injection order; the first one matching a call is used."""

    def __init__(self) -> None:
        """Start with no fault."""
        self.pending: list[Fault] = []

    def add(
        self, kind: str, count: int, call: str | None, options: dict[str, Any]
    ) -> None:
        """Queue `count` uses of fault `kind` (for `call`, or any call)."""
        if kind not in KINDS:
            msg = f"unknown fault kind {kind!r}; known: {sorted(KINDS)}"
            raise ValueError(msg)
        if count > 0:
            self.pending.append(Fault(kind, count, call, dict(options)))

    def take(self, call: str | None) -> Fault | None:
        """Use up one fault matching this request's call, if any."""
        for fault in self.pending:
            if fault.call is None or fault.call == call:
                fault.count -= 1
                if fault.count <= 0:
                    self.pending.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        self.pending.clear()


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer."""
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        headers=headers,
    )


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """An error in the contract's shape: `{"error": code, "message": text}`."""
    return json_response({"error": code, "message": message}, status, headers)


def html_response(text: str, status: int) -> web.Response:
    """An HTML page."""
    return web.Response(status=status, text=text, content_type="text/html")


def short_circuit(fault: Fault) -> web.Response:
    """The canned answer of a fault answered before authentication."""
    kind, options = fault.kind, fault.options
    if kind == "server_error":
        status = int(options.get("status", 500))
        return error_response(status, "server_error", "Internal error")
    if kind == "html":
        return html_response(HTML_PROXY, int(options.get("status", 200)))
    if kind == "not_found":
        return html_response(HTML_404, 404)
    if kind == "unauthorized":
        return error_response(401, "unauthorized", "Invalid or expired token")
    if kind == "forbidden":
        return error_response(403, "forbidden", "Serial not tied to this token")
    retry_after = str(options.get("retry_after", 30))
    return error_response(
        429, "rate_limited", "Too many requests", {"Retry-After": retry_after}
    )


def raw_response(fault: Fault) -> web.Response:
    """Exactly the answer a `raw` fault describes."""
    options = fault.options
    body = options.get("body", b"")
    response = web.Response(
        status=int(options.get("status", 200)),
        body=body.encode() if isinstance(body, str) else body,
        headers=options.get("headers"),
    )
    response.content_type = str(options.get("content_type", "application/json"))
    return response


def mutate(response: web.Response, fault: Fault) -> web.Response:
    """The genuine answer with its body (and headers) rewritten.

    `fn` gets the decoded JSON body and returns the new body: bytes or str
    are sent as they are, anything else as JSON. Options `status`,
    `headers` and `content_type` override the genuine ones.
    """
    options = fault.options
    text = response.text or "null"
    produced = options["fn"](json.loads(text))
    if isinstance(produced, str):
        produced = produced.encode()
    if not isinstance(produced, bytes):
        produced = json.dumps(produced).encode()
    headers = {
        key: value
        for key, value in response.headers.items()
        if key.lower() not in ("content-length", "content-type")
    }
    headers.update(options.get("headers") or {})
    changed = web.Response(
        status=int(options.get("status", response.status)),
        body=produced,
        headers=headers,
    )
    changed.content_type = str(options.get("content_type", "application/json"))
    return changed


def truncate(response: web.Response) -> None:
    """Cut a JSON answer's body in half (invalid JSON)."""
    text = response.text or "{}"
    response.text = text[: max(1, len(text) // 2)]
