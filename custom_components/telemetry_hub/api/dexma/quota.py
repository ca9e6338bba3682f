"""DEXMA's hourly and daily call quotas, and the budget arithmetic.

Every answer carries `X-Ratelimit-Hour-Limit/-Remaining/-Reset` and
`X-Ratelimit-Day-Limit/-Remaining/-Reset` (reset = seconds until the window
starts over) [doc]. `parse_quota` reads them into a `Quota`, tolerant of
missing, partial or garbage values.

The quota belongs to the token, shared with the vendor's own apps, so
Telemetry Hub spends at most a *share* (default 50%) of it. `budget`
plans the steady schedule; `QuotaTracker` follows every answer's `Quota`
and says how many calls one tick may spend *now*: in each window at most
`share` of what was left when the window began (and of what is left now),
minus the steady calls still due in that window. What is left after the
steady calls may go to backfill or to filling a gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
from typing import TYPE_CHECKING

from ..parsing import as_float

if TYPE_CHECKING:
    from .budget import RefreshPlan

DEFAULT_SHARE = 0.5
HOUR = 3600.0
DAY = 86400.0
DEFAULT_HOUR_LIMIT = 1000
"""The documentation's example, assumed until the server states its limits."""
DEFAULT_DAY_LIMIT = 10_000
_MAX_COUNT = 1_000_000_000
_HEADER = "x-ratelimit-{window}-{field}"


@dataclass(frozen=True, slots=True)
class Quota:
    """The quota state one answer reported; any field may be unknown (None)."""

    observed_at: float
    """When the answer arrived (UNIX seconds): resets count from here."""
    hour_limit: int | None = None
    hour_remaining: int | None = None
    hour_reset: float | None = None
    """Seconds after `observed_at` until the hourly window starts over."""
    day_limit: int | None = None
    day_remaining: int | None = None
    day_reset: float | None = None

    @property
    def known(self) -> bool:
        """Whether the answer carried any usable quota header."""
        return any(
            value is not None
            for value in (
                self.hour_limit,
                self.hour_remaining,
                self.hour_reset,
                self.day_limit,
                self.day_remaining,
                self.day_reset,
            )
        )

    @property
    def exhausted(self) -> bool:
        """Whether a window had no call left when this was observed."""
        return self.hour_remaining == 0 or self.day_remaining == 0

    def hour_remaining_at(self, now: float) -> int | None:
        """Calls left in the hourly window at `now` (full again after a reset)."""
        return _remaining_at(
            now, self.observed_at, self.hour_limit, self.hour_remaining, self.hour_reset
        )

    def day_remaining_at(self, now: float) -> int | None:
        """Calls left in the daily window at `now` (full again after a reset)."""
        return _remaining_at(
            now, self.observed_at, self.day_limit, self.day_remaining, self.day_reset
        )

    def retry_after(self) -> float | None:
        """Seconds until every exhausted window has reset; None if unknown."""
        waits = [
            reset
            for remaining, reset in (
                (self.hour_remaining, self.hour_reset),
                (self.day_remaining, self.day_reset),
            )
            if remaining == 0 and reset is not None
        ]
        return max(waits) if waits else None

    def as_dict(self) -> dict[str, float | int | None]:
        """Plain JSON form (diagnostics, storage)."""
        return {
            "observed_at": self.observed_at,
            "hour_limit": self.hour_limit,
            "hour_remaining": self.hour_remaining,
            "hour_reset": self.hour_reset,
            "day_limit": self.day_limit,
            "day_remaining": self.day_remaining,
            "day_reset": self.day_reset,
        }


def _remaining_at(
    now: float,
    observed_at: float,
    limit: int | None,
    remaining: int | None,
    reset: float | None,
) -> int | None:
    if reset is not None and limit is not None and now >= observed_at + reset:
        return limit
    return remaining


def _count(value: str | None) -> int | None:
    number = as_float(value)
    if number is None or number < 0:
        return None
    return int(min(number, _MAX_COUNT))


def _seconds(value: str | None, window: float) -> float | None:
    number = as_float(value)
    if number is None or number < 0:
        return None
    return min(number, window)


def parse_quota(headers: Mapping[str, str], now: float) -> Quota:
    """Read the quota headers of one answer; garbage reads as unknown.

    Negative or non-numeric values are unknown; a reset longer than its
    window is capped to the window; `remaining` is capped to `limit`.
    """
    folded: dict[str, str] = {}
    for name, value in headers.items():
        if isinstance(name, str) and isinstance(value, str):
            folded[name.lower()] = value

    def read(window: str, length: float) -> tuple[int | None, int | None, float | None]:
        limit = _count(folded.get(_HEADER.format(window=window, field="limit")))
        remaining = _count(folded.get(_HEADER.format(window=window, field="remaining")))
        reset = _seconds(
            folded.get(_HEADER.format(window=window, field="reset")), length
        )
        if limit is not None and remaining is not None:
            remaining = min(remaining, limit)
        return limit, remaining, reset

    hour = read("hour", HOUR)
    day = read("day", DAY)
    return Quota(now, *hour, *day)


@dataclass(frozen=True, slots=True)
class Allowance:
    """What one tick may spend now."""

    calls: int
    """The most calls this tick may make (steady and backfill together)."""
    steady: int
    """Of these, the steady refresh's (fewer than needed when `calls` is short)."""
    extra: int
    """Calls left for backfill or gap filling after the steady ones."""
    calls_needed: int
    """The steady calls the plan wanted."""
    retry_after: float | None = None
    """When `calls` is 0 because a window is used up: seconds to wait."""

    @property
    def short(self) -> bool:
        """Whether the steady refresh itself does not fit (refresh fewer streams)."""
        return self.steady < self.calls_needed


@dataclass(slots=True)
class _Window:
    """Our view of one quota window (hour or day) of the token."""

    length: float
    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    start_remaining: int | None = None
    """Calls that were left when we first saw this window (ours included)."""
    spent: int = 0
    """Answers we received in this window (our own calls)."""

    def observe(
        self, now: float, limit: int | None, remaining: int | None, reset: float | None
    ) -> None:
        reset_at = None if reset is None else now + reset
        first_sight = self.spent == 0
        moved = (
            reset_at is not None
            and self.reset_at is not None
            and reset_at > self.reset_at + _RESET_JITTER
        )
        passed = self.reset_at is not None and now >= self.reset_at
        refilled = (
            remaining is not None
            and self.remaining is not None
            and remaining > self.remaining + _RESET_JITTER
        )
        new_window = first_sight or moved or passed or refilled
        if new_window:
            self.start_remaining = None if remaining is None else remaining + 1
            self.spent = 0
        self.spent += 1
        self.limit = limit if limit is not None else self.limit
        self.remaining = remaining
        self.reset_at = reset_at if reset_at is not None else self.reset_at
        if self.start_remaining is None and remaining is not None:
            self.start_remaining = remaining + self.spent

    def left(self, now: float, share: float) -> int | None:
        """Calls we may still spend in this window; None if unknown."""
        if self.reset_at is not None and now >= self.reset_at:
            return None if self.limit is None else math.floor(share * self.limit)
        if self.remaining is None or self.start_remaining is None:
            return None
        start = self.start_remaining
        if self.limit is not None:
            start = min(start, self.limit)
        return max(
            0,
            min(
                math.floor(share * start) - self.spent,
                math.floor(share * self.remaining),
            ),
        )

    def later_ticks(self, now: float, interval: float) -> int:
        """Ticks after this one that fall before the window resets."""
        if self.reset_at is None or interval <= 0:
            return 0
        reset_at = self.reset_at
        if now >= reset_at:  # a window we have not seen yet: it began at reset_at
            reset_at += (math.floor((now - reset_at) / self.length) + 1) * self.length
        return max(0, math.ceil((reset_at - now) / interval) - 1)


_RESET_JITTER = 30.0


class QuotaTracker:
    """Our spending against the token's quotas, from every answer's headers.

    Feed it every `Quota` the client reports (`DexmaClient(on_quota=
    tracker.observe)`): each answer is one of our calls. In each window
    (hour, day) Telemetry Hub spends at most `share` of what was left when
    the window began (our calls included), and never more than `share` of
    what is left now (the vendor's own apps use the same token).
    """

    def __init__(self, *, share: float = DEFAULT_SHARE) -> None:
        """Start knowing nothing; the first answer brings the numbers."""
        self.share = (
            min(max(share, 0.0), 1.0) if math.isfinite(share) else DEFAULT_SHARE
        )
        self.latest: Quota | None = None
        self._hour = _Window(HOUR)
        self._day = _Window(DAY)

    def __repr__(self) -> str:
        """Show the latest snapshot."""
        return f"QuotaTracker(share={self.share}, latest={self.latest!r})"

    def observe(self, quota: Quota) -> None:
        """Account for one answer and its quota headers."""
        if not quota.known:
            return
        self.latest = quota
        now = quota.observed_at
        self._hour.observe(
            now, quota.hour_limit, quota.hour_remaining, quota.hour_reset
        )
        self._day.observe(now, quota.day_limit, quota.day_remaining, quota.day_reset)

    def spent(self) -> tuple[int, int]:
        """Our calls counted in the current hourly and daily windows."""
        return self._hour.spent, self._day.spent

    def allowance(self, plan: RefreshPlan, now: float) -> Allowance:
        """How many calls the tick at `now` may spend.

        Per window: what is left of our share, minus the steady calls of the
        ticks still due before the window resets. The tick gets the smaller
        window's figure, never more than the plan's hourly budget. Before
        any quota is known only the steady calls are allowed.
        """
        needed = plan.calls_per_refresh
        if self.latest is None:  # nothing known yet: no backfill before we know
            calls = min(needed, plan.hour_budget)
            return Allowance(calls, calls, 0, needed)
        limits = [plan.hour_budget]
        for window in (self._hour, self._day):
            left = window.left(now, self.share)
            if left is not None:
                reserve = window.later_ticks(now, plan.interval) * needed
                limits.append(max(0, left - reserve))
        calls = max(0, min(limits))
        steady = min(needed, calls)
        retry_after = None
        latest = self.latest
        if calls == 0 and latest is not None and latest.exhausted:
            wait = latest.retry_after()
            if wait is not None:
                retry_after = max(0.0, wait - (now - latest.observed_at))
        return Allowance(calls, steady, calls - steady, needed, retry_after)
