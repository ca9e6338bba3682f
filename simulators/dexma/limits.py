"""Hourly and daily quotas of the simulated token, and injected faults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import json
from typing import Any

from aiohttp import web

HOUR = 3600
DAY = 86400


@dataclass
class QuotaState:
    """Calls used in the current clock hour and UTC day."""

    hour_limit: int = 1000
    day_limit: int = 10_000
    hour_used: int = 0
    day_used: int = 0
    hour_window: int = -1
    day_window: int = -1

    def roll(self, now: float) -> None:
        """Start new windows when the clock has moved into them."""
        hour, day = int(now // HOUR), int(now // DAY)
        if hour != self.hour_window:
            self.hour_window, self.hour_used = hour, 0
        if day != self.day_window:
            self.day_window, self.day_used = day, 0

    def charge(self, now: float) -> float | None:
        """Count one call; when a window is used up return seconds to wait."""
        self.roll(now)
        waits = []
        if self.hour_used >= self.hour_limit:
            waits.append(HOUR - now % HOUR)
        if self.day_used >= self.day_limit:
            waits.append(DAY - now % DAY)
        if waits:
            return max(waits)
        self.hour_used += 1
        self.day_used += 1
        return None

    def headers(self, now: float) -> dict[str, str]:
        """The documented rate-limit headers."""
        self.roll(now)
        return {
            "X-Ratelimit-Hour-Limit": str(self.hour_limit),
            "X-Ratelimit-Hour-Remaining": str(max(0, self.hour_limit - self.hour_used)),
            "X-Ratelimit-Hour-Reset": str(int(HOUR - now % HOUR)),
            "X-Ratelimit-Day-Limit": str(self.day_limit),
            "X-Ratelimit-Day-Remaining": str(max(0, self.day_limit - self.day_used)),
            "X-Ratelimit-Day-Reset": str(int(DAY - now % DAY)),
        }


GARBAGE_QUOTA = {
    "X-Ratelimit-Hour-Limit": "lots",
    "X-Ratelimit-Hour-Remaining": "-7",
    "X-Ratelimit-Hour-Reset": "NaN",
    "X-Ratelimit-Day-Limit": "1e400",
    "X-Ratelimit-Day-Remaining": "",
    "X-Ratelimit-Day-Reset": "soon",
}

KINDS = frozenset(
    {
        "server_error",
        "unavailable",
        "timeout",
        "malformed_json",
        "html",
        "unauthorized",
        "rate_limit",
        "not_found",
        "empty",
        "garbage_quota",
        "no_quota",
    }
)
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{title}</title></head>"
    "<body><h1>{title}</h1><p>nginx</p></body></html>"
)


@dataclass
class Fault:
    """One injected fault with its remaining uses."""

    kind: str
    count: int
    path: str | None
    options: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        """Whether the fault applies to a request of `path` (relative)."""
        if self.path is None:
            return True
        wanted = self.path.strip("/")
        return path == wanted or path.startswith(wanted + "/")


class FaultQueue:
    """Faults in injection order; the first matching one is used up first."""

    def __init__(self) -> None:
        """Start with no fault."""
        self.pending: list[Fault] = []

    def add(
        self, kind: str, count: int, path: str | None, options: dict[str, Any]
    ) -> None:
        """Queue `count` uses of fault `kind`."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)}")
        if count > 0:
            self.pending.append(Fault(kind, count, path, dict(options)))

    def take(self, path: str) -> Fault | None:
        """Use up one matching fault for this request, if any."""
        for fault in self.pending:
            if fault.matches(path):
                fault.count -= 1
                if fault.count <= 0:
                    self.pending.remove(fault)
                return fault
        return None


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer."""
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def html_response(
    title: str, status: int, headers: dict[str, str] | None = None
) -> web.Response:
    """An HTML page (a proxy or load balancer answering instead of the API)."""
    return web.Response(
        status=status,
        text=HTML_PAGE.format(title=title),
        content_type="text/html",
        charset="utf-8",
        headers=headers,
    )


def fault_response(fault: Fault, headers: dict[str, str]) -> web.Response | None:
    """The canned answer of a fault that replaces the real one, if it does."""
    status = int(fault.options.get("status", 500))
    retry = {"Retry-After": str(fault.options.get("retry_after", 120))}
    canned: dict[str, Callable[[], web.Response]] = {
        "server_error": lambda: json_response(
            {"message": "Internal Server Error"}, status, headers
        ),
        "unavailable": lambda: html_response(
            "503 Service Temporarily Unavailable", 503, headers
        ),
        "html": lambda: html_response("Maintenance", 200, headers),
        "rate_limit": lambda: json_response(
            {"message": "Rate limit exceeded"}, 429, headers | retry
        ),
        "not_found": lambda: json_response({"message": "Not Found"}, 404, headers),
        "empty": lambda: web.Response(status=204, headers=headers),
    }
    make = canned.get(fault.kind)
    return None if make is None else make()
