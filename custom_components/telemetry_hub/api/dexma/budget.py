"""The steady refresh schedule that fits a share of DEXMA's quotas.

`plan_refresh` turns the portfolio (calls per full refresh), the wanted
interval and the share into a schedule that never exceeds `share x limit`
in any hour or day: when one refresh would be too big it is split into
batches (each stream is refreshed every `batches` ticks), and the tick
interval is stretched until both windows fit. The per-tick allowance from
the live quota is `quota.QuotaTracker.allowance`.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from .quota import (
    DAY,
    DEFAULT_DAY_LIMIT,
    DEFAULT_HOUR_LIMIT,
    DEFAULT_SHARE,
    HOUR,
    Quota,
)


@dataclass(frozen=True, slots=True)
class RefreshPlan:
    """A steady refresh schedule that fits the share of both quotas."""

    streams: int
    """Readings series followed (device x parameter)."""
    calls_per_cycle: int
    """Calls to refresh every stream once (streams x calls per stream + extra)."""
    batches: int
    """Ticks per full cycle; each tick refreshes one batch of streams."""
    calls_per_refresh: int
    """Steady calls of one tick (the biggest batch)."""
    interval: float
    """Seconds between ticks (the coordinator's update interval)."""
    requested_interval: float
    hour_budget: int
    """`share x hourly limit`: the most calls we spend in any hour."""
    day_budget: int
    calls_per_hour: float
    """Steady calls per hour at `interval`, averaged."""
    calls_per_day: float
    max_calls_in_an_hour: int
    """Worst case in any one hour: ticks that fit in it x calls per tick."""
    max_calls_in_a_day: int
    limited_by: str | None = None
    """"hour" or "day" when the interval or batches had to change; else None."""

    @property
    def stretched(self) -> bool:
        """Whether the schedule is slower than asked (tell the user, once)."""
        return self.interval > self.requested_interval or self.batches > 1

    @property
    def cycle(self) -> float:
        """Seconds until every stream has been refreshed once."""
        return self.interval * self.batches

    @property
    def feasible(self) -> bool:
        """Whether even one call per tick fits the share (a zero budget does not)."""
        return self.calls_per_refresh <= self.hour_budget or self.calls_per_cycle == 0

    def batch_of(self, tick: int, index: int) -> bool:
        """Whether stream number `index` is refreshed at tick number `tick`."""
        return index % self.batches == tick % self.batches


def _budgets(share: float, quota: Quota | None) -> tuple[int, int]:
    share = min(max(share, 0.0), 1.0) if math.isfinite(share) else DEFAULT_SHARE
    hour_limit = quota.hour_limit if quota and quota.hour_limit else DEFAULT_HOUR_LIMIT
    day_limit = quota.day_limit if quota and quota.day_limit else DEFAULT_DAY_LIMIT
    return math.floor(share * hour_limit), math.floor(share * day_limit)


def _interval_for(
    per_tick: int, requested: float, hour_budget: int, day_budget: int
) -> tuple[float, str | None]:
    """The shortest interval at which ticks of `per_tick` calls fit both budgets."""
    ticks_per_hour = hour_budget // per_tick
    ticks_per_day = day_budget // per_tick
    if ticks_per_hour == 0 or ticks_per_day == 0:
        return math.inf, "hour" if ticks_per_hour == 0 else "day"
    # whole seconds, rounded up: float drift never fits one tick too many
    by_hour = float(math.ceil(HOUR / ticks_per_hour))
    by_day = float(math.ceil(DAY / ticks_per_day))
    if requested >= max(by_hour, by_day):
        return requested, None
    return max(by_hour, by_day), "hour" if by_hour >= by_day else "day"


_MAX_BATCHES = 100_000
_EPSILON = 1e-9
_FEWER_BATCHES = 0.9
"""More batches only when they refresh every stream at least 10% sooner."""


def plan_refresh(
    streams: int,
    interval: float,
    *,
    share: float = DEFAULT_SHARE,
    quota: Quota | None = None,
    calls_per_stream: int = 1,
    extra_calls: int = 0,
) -> RefreshPlan:
    """Plan the steady refresh of `streams` readings series every `interval` s.

    At most `ceil(3600 / interval)` ticks fall in any hour, so the plan
    keeps `ticks_per_hour x calls_per_refresh <= share x hourly limit` (the
    same for the day), in any window, clock-aligned or rolling. A cycle too
    big for the hourly budget is split into batches. Among the schedules
    that fit, the one refreshing every stream soonest wins (more batches
    only if that is at least 10% sooner: one batch is simpler). Limits come
    from `quota` (the latest answer); the documented example (1000/h,
    10000/day) stands in until the server states them. A share so small
    that not even one call fits gives an infeasible plan (`feasible`).
    """
    requested = max(float(interval), 1.0) if math.isfinite(interval) else HOUR
    streams = max(0, streams)
    total = streams * max(1, calls_per_stream) + max(0, extra_calls)
    hour_budget, day_budget = _budgets(share, quota)
    # cycle, batches, calls per tick, interval, limited by
    best: tuple[float, int, int, float, str | None] = (
        math.inf,
        max(1, total),
        1,
        DAY,
        "hour",
    )
    if total == 0:
        best = (requested, 1, 0, requested, None)
    for batches in range(1, min(total, _MAX_BATCHES) + 1):
        per_tick = math.ceil(total / batches)
        if batches > 1 and math.ceil(total / (batches - 1)) == per_tick:
            continue  # same tick size as fewer batches: only slower
        tick, reason = _interval_for(per_tick, requested, hour_budget, day_budget)
        cycle = tick * batches
        if cycle < best[0] * (1.0 if math.isinf(best[0]) else _FEWER_BATCHES):
            best = (
                cycle,
                batches,
                per_tick,
                tick,
                reason or ("hour" if batches > 1 else None),
            )
        if reason is None:
            break  # more batches can only lengthen the cycle
    _, batches, per_tick, tick, limited_by = best
    ticks_in_hour = math.ceil(HOUR / tick - _EPSILON)
    ticks_in_day = math.ceil(DAY / tick - _EPSILON)
    return RefreshPlan(
        streams=streams,
        calls_per_cycle=total,
        batches=batches,
        calls_per_refresh=per_tick,
        interval=tick,
        requested_interval=requested,
        hour_budget=hour_budget,
        day_budget=day_budget,
        calls_per_hour=per_tick * HOUR / tick,
        calls_per_day=per_tick * DAY / tick,
        max_calls_in_an_hour=ticks_in_hour * per_tick,
        max_calls_in_a_day=ticks_in_day * per_tick,
        limited_by=limited_by,
    )
