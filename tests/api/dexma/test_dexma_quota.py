"""Quota headers, the refresh schedule and the per-tick allowance."""

from __future__ import annotations

from collections import Counter
import math

import aiohttp
import pytest

from custom_components.telemetry_hub.api import TelemetryHubRateLimitError
from custom_components.telemetry_hub.api.dexma import (
    DexmaClient,
    Quota,
    QuotaTracker,
    RefreshPlan,
    parse_quota,
    plan_refresh,
)
from simulators.dexma import DEFAULT_TOKEN, DexmaSimulator, ManualClock

NOW = 1_763_802_000.0
FULL = {
    "X-Ratelimit-Hour-Limit": "1000",
    "X-Ratelimit-Hour-Remaining": "999",
    "X-Ratelimit-Hour-Reset": "296",
    "X-Ratelimit-Day-Limit": "10000",
    "X-Ratelimit-Day-Remaining": "9999",
    "X-Ratelimit-Day-Reset": "36296",
}


def _quota(**fields: float | None) -> Quota:
    values: dict[str, float | None] = {
        "hour_limit": 1000,
        "hour_remaining": 1000,
        "hour_reset": 3600,
        "day_limit": 10_000,
        "day_remaining": 10_000,
        "day_reset": 86_400,
    }
    values.update(fields)
    return Quota(NOW, **values)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Headers


def test_documented_headers() -> None:
    quota = parse_quota(FULL, NOW)
    assert quota == Quota(NOW, 1000, 999, 296.0, 10_000, 9999, 36_296.0)
    assert quota.known
    assert not quota.exhausted
    assert quota.as_dict()["day_remaining"] == 9999


def test_header_names_are_case_insensitive() -> None:
    quota = parse_quota({k.lower(): v for k, v in FULL.items()}, NOW)
    assert quota.hour_remaining == 999


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", None),
        ("-5", None),
        ("", None),
        ("NaN", None),
        ("1e400", None),
        (" 12 ", 12),
        ("12.7", 12),
        ("99999999999999999999", 1_000_000_000),
    ],
)
def test_garbage_counts(value: str, expected: int | None) -> None:
    assert parse_quota({"X-Ratelimit-Hour-Limit": value}, NOW).hour_limit == expected


def test_resets_are_capped_and_remaining_never_exceeds_the_limit() -> None:
    quota = parse_quota(
        {
            "X-Ratelimit-Hour-Limit": "10",
            "X-Ratelimit-Hour-Remaining": "50",
            "X-Ratelimit-Hour-Reset": "99999",
            "X-Ratelimit-Day-Reset": "999999",
        },
        NOW,
    )
    assert quota.hour_remaining == 10
    assert quota.hour_reset == 3600
    assert quota.day_reset == 86_400


def test_no_headers_is_unknown() -> None:
    quota = parse_quota({"Content-Type": "application/json"}, NOW)
    assert not quota.known
    assert quota.retry_after() is None


def test_remaining_after_a_reset_and_retry_after() -> None:
    quota = _quota(hour_remaining=0, hour_reset=100, day_remaining=0, day_reset=500)
    assert quota.exhausted
    assert quota.hour_remaining_at(NOW + 50) == 0
    assert quota.hour_remaining_at(NOW + 100) == 1000
    assert quota.day_remaining_at(NOW + 600) == 10_000
    assert quota.retry_after() == 500


# --------------------------------------------------------------------------
# The steady schedule


def _calls_per_window(plan: RefreshPlan, window: float, span: float) -> int:
    """The most calls in any clock-aligned window over `span` seconds of ticks."""
    counts: Counter[int] = Counter()
    tick = 0.0
    while tick < span:
        counts[int(tick // window)] += plan.calls_per_refresh
        tick += plan.interval
    return max(counts.values())


def _rolling_max(plan: RefreshPlan, window: float, span: float) -> int:
    ticks = [i * plan.interval for i in range(int(span / plan.interval) + 1)]
    best = 0
    for i, start in enumerate(ticks):
        inside = sum(1 for t in ticks[i:] if t < start + window)
        best = max(best, inside)
    return best * plan.calls_per_refresh


@pytest.mark.parametrize("devices", [10, 100, 500])
@pytest.mark.parametrize("interval", [300, 900, 3600])
def test_plan_never_exceeds_the_share(devices: int, interval: int) -> None:
    streams = devices * 3
    plan = plan_refresh(streams, interval)
    assert plan.feasible
    assert plan.hour_budget == 500
    assert plan.day_budget == 5000
    assert plan.calls_per_refresh * plan.batches >= streams
    assert plan.max_calls_in_an_hour <= plan.hour_budget
    assert plan.max_calls_in_a_day <= plan.day_budget
    assert plan.calls_per_day <= plan.day_budget
    assert _calls_per_window(plan, 3600, 3 * 86400) <= plan.hour_budget
    assert _calls_per_window(plan, 86400, 3 * 86400) <= plan.day_budget
    assert _rolling_max(plan, 3600, 86400) <= plan.hour_budget
    assert plan.interval >= interval


def test_small_portfolio_keeps_its_interval() -> None:
    plan = plan_refresh(30, 900)
    assert not plan.stretched
    assert plan.limited_by is None
    assert plan.calls_per_refresh == 30
    assert plan.calls_per_hour == 120
    assert plan.calls_per_day == 2880
    assert plan.cycle == 900


def test_medium_portfolio_is_stretched_by_the_day() -> None:
    plan = plan_refresh(300, 900)
    assert plan.stretched
    assert plan.batches == 1
    assert plan.limited_by == "day"
    assert plan.interval == 86_400 / 16  # 16 refreshes of 300 calls fit 5000
    assert plan.cycle == 5400


def test_large_portfolio_is_split_into_batches() -> None:
    plan = plan_refresh(1500, 900)
    assert plan.batches >= 3
    assert plan.calls_per_refresh <= 500
    assert plan.cycle == pytest.approx(1500 * 86_400 / 5000, rel=0.05)
    seen = Counter(
        index
        for tick in range(plan.batches)
        for index in range(1500)
        if plan.batch_of(tick, index)
    )
    assert set(seen.values()) == {1}
    assert len(seen) == 1500


def test_plan_uses_the_server_limits() -> None:
    plan = plan_refresh(30, 60, quota=_quota(hour_limit=100, day_limit=1000))
    assert plan.hour_budget == 50
    assert plan.max_calls_in_an_hour <= 50
    assert plan.max_calls_in_a_day <= 500
    assert plan.limited_by == "day"


def test_degenerate_inputs() -> None:
    empty = plan_refresh(0, 900)
    assert empty.calls_per_refresh == 0
    assert empty.feasible
    assert not empty.stretched
    nothing = plan_refresh(10, 900, share=0.0)
    assert not nothing.feasible
    odd = plan_refresh(10, math.inf, share=math.nan, calls_per_stream=2, extra_calls=1)
    assert odd.requested_interval == 3600
    assert odd.hour_budget == 500
    assert odd.calls_per_cycle == 21


# --------------------------------------------------------------------------
# The per-tick allowance


def test_without_quota_the_plan_stands() -> None:
    tracker = QuotaTracker()
    plan = plan_refresh(30, 900)
    allowance = tracker.allowance(plan, NOW)
    assert (allowance.calls, allowance.steady, allowance.extra) == (30, 30, 0)
    assert not allowance.short
    assert "share=0.5" in repr(tracker)


def test_allowance_keeps_steady_calls_for_later_ticks() -> None:
    tracker = QuotaTracker()
    plan = plan_refresh(30, 900)
    tracker.observe(_quota(hour_remaining=999, hour_reset=3600, day_remaining=9999))
    allowance = tracker.allowance(plan, NOW)
    # half of the 1000 left at the window's start, minus ours (1), minus 3 later ticks
    assert allowance.calls == 500 - 1 - 3 * 30
    assert allowance.extra == allowance.calls - 30


def test_spending_the_allowance_never_exceeds_the_share_of_the_window() -> None:
    tracker = QuotaTracker()
    plan = plan_refresh(30, 900)
    remaining = 1000
    spent = 0
    for tick in range(4):
        now = NOW + tick * 900
        if tick == 0:
            remaining -= 1
            spent += 1
            tracker.observe(
                Quota(now, 1000, remaining, 3600 - tick * 900, 10_000, 9999, 86_400)
            )
        allowance = tracker.allowance(plan, now)
        for _ in range(allowance.calls):
            remaining -= 1
            spent += 1
            tracker.observe(
                Quota(now, 1000, remaining, 3600 - tick * 900, 10_000, 9999, 86_400)
            )
    assert spent <= 500
    assert tracker.spent()[0] == spent


def test_others_using_the_token_shrink_our_allowance() -> None:
    tracker = QuotaTracker()
    plan = plan_refresh(30, 900)
    tracker.observe(_quota(hour_remaining=999, hour_reset=3500))
    tracker.observe(_quota(hour_remaining=100, hour_reset=3400))  # someone else spent
    assert tracker.allowance(plan, NOW).calls == 0
    assert tracker.allowance(plan, NOW).short


def test_a_new_window_starts_fresh() -> None:
    tracker = QuotaTracker()
    plan = plan_refresh(30, 900)
    tracker.observe(Quota(NOW, 1000, 10, 60, 10_000, 9000, 80_000))
    assert tracker.allowance(plan, NOW).calls == 4  # half of 11, one spent
    # the window reset at NOW + 60: the full share is back (minus later ticks)
    fresh = tracker.allowance(plan, NOW + 61)
    assert fresh.calls == 500 - 3 * 30
    tracker.observe(Quota(NOW + 61, 1000, 999, 3539, 10_000, 8999, 79_939))
    assert tracker.spent() == (1, 2)


def test_exhausted_quota_says_when_to_retry() -> None:
    tracker = QuotaTracker(share=2.0)
    assert tracker.share == 1.0
    plan = plan_refresh(30, 900)
    tracker.observe(_quota(hour_remaining=0, hour_reset=120))
    allowance = tracker.allowance(plan, NOW + 20)
    assert allowance.calls == 0
    assert allowance.retry_after == 100


def test_unknown_quota_is_ignored() -> None:
    tracker = QuotaTracker(share=math.nan)
    tracker.observe(Quota(NOW))
    assert tracker.latest is None
    tracker.observe(Quota(NOW, hour_remaining=10))
    plan = plan_refresh(30, 900)
    assert tracker.allowance(plan, NOW).calls == 4


async def test_ticks_against_the_simulator_stay_within_the_share(
    session: aiohttp.ClientSession, clock: ManualClock, socket_enabled: None
) -> None:
    """Twelve devices, a backfill waiting, quotas 200/h and 1000/day: a day of ticks."""
    sim = DexmaSimulator(devices=12, clock=clock, hour_limit=200, day_limit=1000)
    tracker = QuotaTracker()
    async with sim.serve() as url:
        client = DexmaClient(
            session, DEFAULT_TOKEN, base_url=url, on_quota=tracker.observe, clock=clock
        )
        await client.check()
        assert client.quota is not None
        plan = plan_refresh(12, 600, quota=client.quota)
        per_hour: Counter[int] = Counter()
        per_day: Counter[int] = Counter()
        backlog = 10_000
        for tick in range(int(86_400 / plan.interval) + 1):
            allowance = tracker.allowance(plan, clock())
            for _ in range(allowance.steady + min(backlog, allowance.extra)):
                try:
                    await client.check()
                except TelemetryHubRateLimitError:  # pragma: no cover - must not happen
                    pytest.fail("429 within the share")
                per_hour[int(clock() // 3600)] += 1
                per_day[int(clock() // 86_400)] += 1
            backlog -= allowance.extra
            clock.advance(plan.interval)
            assert tick < 1000
    assert max(per_hour.values()) <= 100
    assert max(per_day.values()) <= 500
    assert sum(per_hour.values()) > 12 * 20  # it did refresh, and backfilled
