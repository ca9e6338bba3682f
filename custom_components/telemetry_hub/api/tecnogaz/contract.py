"""The provisional contract of the Tecno-Gaz DISTRO API, in one place.

Tecno-Gaz publishes no endpoint list (see the project's vendors notes, §2):
every path and query parameter below is *our* contract, v1. When the real
service turns out to differ, this table is the one place to change. A 404
on any of these paths is reported naming the call and its template, so a
mismatch becomes an actionable repair issue instead of an empty device.

JSON field names live in `models` (each written once there).
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

CONTRACT_VERSION: Final = "v1"
DEFAULT_URL: Final = "https://s.tecnogaz.com/tgzgateway/services"
TOKEN_HEADER: Final = "x-tgz-distro-token"  # noqa: S105 - a header name


class Call(StrEnum):
    """The calls of the contract; the names used in errors and repairs."""

    DEVICES = "devices"
    DEVICE = "device"
    CYCLES = "cycles"
    REPORT = "report"
    ALARMS = "alarms"


PATHS: Final = MappingProxyType(
    {
        Call.DEVICES: "/devices",
        Call.DEVICE: "/devices/{serial}",
        Call.CYCLES: "/devices/{serial}/cycles",
        Call.REPORT: "/devices/{serial}/cycles/{cycle_number}/report",
        Call.ALARMS: "/devices/{serial}/alarms",
    }
)
"""Call -> path template, relative to the base URL."""


class Param(StrEnum):
    """Query parameter names."""

    FROM = "from"
    TO = "to"
    PAGE = "page"
    PAGE_SIZE = "pageSize"
    ACTIVE = "active"


MAX_PAGE_SIZE: Final = 100
"""The page size we ask for (the contract's example)."""

SERVER_LIMIT: Final = 100
"""Calls per rolling minute per token, as Tecno-Gaz states it."""
CALL_BUDGET: Final = 80
"""Calls per rolling minute we allow ourselves (the limit minus a margin)."""
BUDGET_WINDOW: Final = timedelta(minutes=1)


def worst_case_calls(sterilizers: int) -> int:
    """Calls one refresh may need at most in steady state.

    One `/devices` call, then per sterilizer one cycles call (a finished
    cycle to read) and one alarms call (an alarm raised or cleared).
    """
    return 1 + 2 * max(0, sterilizers)


def calls_per_minute(sterilizers: int, interval: timedelta) -> float:
    """Worst-case calls per minute when refreshing every `interval`."""
    seconds = max(interval.total_seconds(), 1.0)
    return worst_case_calls(sterilizers) * BUDGET_WINDOW.total_seconds() / seconds


def within_budget(sterilizers: int, interval: timedelta) -> bool:
    """Whether refreshing every `interval` stays within the call budget.

    For the options form: a refresh that needs more still completes (the
    rate limiter spreads it), but then it lags behind the interval.
    """
    return calls_per_minute(sterilizers, interval) <= CALL_BUDGET


def shortest_interval(sterilizers: int) -> timedelta:
    """The shortest refresh interval (whole seconds) within the budget."""
    per_refresh = worst_case_calls(sterilizers)
    window = BUDGET_WINDOW.total_seconds()
    seconds = -(-int(per_refresh * window) // CALL_BUDGET)  # ceiling
    return timedelta(seconds=max(1, seconds))
