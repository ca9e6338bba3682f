"""Injected faults: what they match and the canned responses they produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
import json
from typing import Any

from aiohttp import web

from .catalog import HTML_404, HTML_503, HTML_PROXY

KINDS = frozenset(
    {
        "server_error",
        "unavailable",
        "timeout",
        "malformed_json",
        "html",
        "unauthorized",
        "vanish_page",
        "rate_limit",
        "not_found",
    }
)
# Faults answered before authentication: no rotation, the session is untouched.
SHORT_CIRCUIT = frozenset(
    {"server_error", "unavailable", "html", "unauthorized", "rate_limit", "not_found"}
)


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


class FaultQueue:
    """Faults in injection order; the first matching one is used up first."""

    def __init__(self) -> None:
        """Start with no fault."""
        self.pending: list[Fault] = []

    def add(
        self, kind: str, count: int, path: str | None, options: dict[str, Any]
    ) -> None:
        """Queue ``count`` uses of fault ``kind``."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)}")
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
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        self.pending.clear()


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


def html_response(text: str, status: int) -> web.Response:
    """Return an HTML page."""
    return web.Response(
        status=status, text=text, content_type="text/html", charset="utf-8"
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
