"""The rolling-window rate limiter every call of one token goes through."""

from __future__ import annotations

import asyncio
import math

import pytest

from custom_components.telemetry_hub.api.ratelimit import (
    MAX_HOLD,
    RateLimiter,
    RateLimiterRegistry,
    loop_time,
    max_in_window,
)


class Time:
    """A fake clock whose sleep moves it (and lets other tasks run)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def time_() -> Time:
    return Time()


def limiter(time_: Time, max_calls: int = 3, window: float = 60.0) -> RateLimiter:
    return RateLimiter(max_calls, window, clock=time_, sleep=time_.sleep)


def test_max_in_window() -> None:
    assert max_in_window([]) == 0
    assert max_in_window([0, 1, 2]) == 3
    # (t - 60, t]: a call exactly a window later starts a new window
    assert max_in_window([0, 60, 120]) == 1
    assert max_in_window([0, 30, 59.9, 60, 61], window=60) == 4
    assert max_in_window([5, 1, 3], window=2.5) == 2


async def test_calls_within_budget_leave_at_once(time_: Time) -> None:
    rate = limiter(time_)
    for _ in range(3):
        await rate.acquire()
    assert time_.sleeps == []
    assert rate.calls == rate.peak == 3
    assert rate.recent_starts() == [1000.0] * 3
    assert rate.delay() == 60.0


async def test_the_next_call_waits_for_the_oldest_to_leave_the_window(
    time_: Time,
) -> None:
    rate = limiter(time_)
    for offset in (0, 10, 20):
        time_.now = 1000.0 + offset
        await rate.acquire()
    await rate.acquire()
    assert time_.now == 1060.0  # the first call left the window
    assert max_in_window(rate.recent_starts()) == 3
    await rate.acquire()
    assert time_.now == 1070.0
    assert rate.peak == 3
    assert rate.waited == pytest.approx(50.0)


async def test_work_beyond_the_budget_spreads_over_the_next_windows(
    time_: Time,
) -> None:
    rate = RateLimiter(clock=time_, sleep=time_.sleep)  # 80 per minute
    starts: list[float] = []
    for _ in range(200):
        await rate.acquire()
        starts.append(time_.now)
    assert max_in_window(starts) == 80
    assert starts[-1] - starts[0] == 120.0
    assert rate.peak == 80


async def test_waiters_are_served_in_arrival_order(time_: Time) -> None:
    rate = limiter(time_, max_calls=1)
    order: list[int] = []

    async def call(number: int) -> None:
        await rate.acquire()
        order.append(number)

    tasks = [asyncio.create_task(call(n)) for n in range(5)]
    await asyncio.sleep(0)
    assert rate.waiting >= 1
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert rate.waiting == 0


async def test_a_cancelled_waiter_takes_no_slot(time_: Time) -> None:
    gate = asyncio.Event()

    async def blocked_sleep(seconds: float) -> None:
        await gate.wait()
        await asyncio.sleep(0)
        time_.now += seconds

    rate = RateLimiter(1, 60, clock=time_, sleep=blocked_sleep)
    await rate.acquire()
    first = asyncio.create_task(rate.acquire())  # waits for the slot
    second = asyncio.create_task(rate.acquire())  # waits for its turn
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    gate.set()
    await second
    assert rate.calls == 2  # the cancelled one never counted
    # a waiter cancelled while queued behind another does not count either
    third = asyncio.create_task(rate.acquire())
    fourth = asyncio.create_task(rate.acquire())
    await asyncio.sleep(0)
    fourth.cancel()
    await third
    with pytest.raises(asyncio.CancelledError):
        await fourth
    assert rate.calls == 3
    assert rate.waiting == 0


async def test_hold_keeps_every_call_back_until_it_ends(time_: Time) -> None:
    rate = limiter(time_)
    assert rate.held_until is None
    rate.hold(30)
    assert rate.held_until == 1030.0
    assert rate.delay() == 30.0
    rate.hold(5)  # a shorter hold never shortens the current one
    assert rate.held_until == 1030.0
    await rate.acquire()
    assert time_.now == 1030.0
    assert rate.held_until is None


async def test_a_hold_during_a_wait_is_honoured(time_: Time) -> None:
    rate = limiter(time_, max_calls=1)
    await rate.acquire()

    async def sleep_and_hold(seconds: float) -> None:
        time_.now += seconds
        if len(time_.sleeps) == 0:
            rate.hold(100)  # a 429 arrives while we wait for the window
        time_.sleeps.append(seconds)

    rate._sleep = sleep_and_hold
    await rate.acquire()
    assert time_.now == 1160.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 0.0), (-5, 0.0), (math.nan, 0.0), (math.inf, MAX_HOLD), (1e9, MAX_HOLD)],
)
def test_absurd_holds_are_bounded(
    time_: Time, value: float | None, expected: float
) -> None:
    rate = limiter(time_)
    rate.hold(value)
    held = rate.held_until
    assert (held or time_.now) - time_.now == expected


async def test_async_with_and_repr(time_: Time) -> None:
    rate = limiter(time_)
    async with rate:
        pass
    assert rate.calls == 1
    assert repr(rate) == "RateLimiter(3/60s, calls=1, peak=1)"


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one call"):
        RateLimiter(0)
    with pytest.raises(ValueError, match="at least one call"):
        RateLimiter(5, 0)


async def test_registry_hands_out_one_limiter_per_key(time_: Time) -> None:
    registry = RateLimiterRegistry(2, 10, clock=time_, sleep=time_.sleep)
    first = registry.get("token-hash")
    assert registry.get("token-hash") is first
    other = registry.get("other")
    assert other is not first
    assert (first.max_calls, first.window) == (2, 10.0)
    assert len(registry) == 2
    assert "other" in registry
    await first.acquire()
    await first.acquire()
    await first.acquire()  # the shared budget: the third waits
    assert time_.now == 1010.0
    registry.discard("other")
    registry.discard("never")
    assert "other" not in registry
    assert len(registry) == 1


async def test_default_clock_and_sleep_work() -> None:
    rate = RateLimiter(1, 0.01)
    await rate.acquire()
    await rate.acquire()  # a real (tiny) wait
    assert rate.calls == 2


def test_default_clock_is_the_event_loops_and_works_without_one() -> None:
    """Waits are timed by the loop's clock, so the limiter measures with it."""
    assert loop_time() > 0  # no running loop: the monotonic clock

    async def inside() -> tuple[float, float]:
        return loop_time(), asyncio.get_running_loop().time()

    ours, loops = asyncio.run(inside())
    assert abs(ours - loops) < 1.0
