"""A rolling-window rate limiter, shared by every call that spends one quota.

Vendor clouds count calls per credential ("100 calls per minute per token,
whoever makes them"). Every client, config entry and refresh that uses one
credential must therefore draw from one limiter: `RateLimiterRegistry` hands
out one `RateLimiter` per key (the integration keys it by a hash of the
token, never by the token itself).

A `RateLimiter` lets at most `max_calls` calls *start* within any `window`
seconds. `acquire` waits for a slot instead of failing, so work that needs
more calls than the budget (a catch-up after downtime) simply spreads over
the following minutes. Waiters are served first come, first served; a
waiter that is cancelled gives up its place and takes no slot. After a 429
the caller `hold`s the limiter: no call leaves before the server's
Retry-After has passed.

By default the limiter measures time with the running event loop's clock,
the one its waits are timed by (so both agree, whatever the loop's clock
is); the clock and the sleep function are injectable, so tests run a
catch-up of several minutes without waiting in real time.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
import math
import time

DEFAULT_MAX_CALLS = 80
"""Calls per window: the vendors' limit (100) minus a safety margin."""
DEFAULT_WINDOW = 60.0
"""Seconds of the rolling window."""
MAX_HOLD = 3600.0
"""The longest hold honoured (a Retry-After of a day is not a plan)."""

type Clock = Callable[[], float]
type Sleep = Callable[[float], Awaitable[object]]


def loop_time() -> float:
    """The running event loop's clock (monotonic seconds), or time.monotonic."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()


def max_in_window(times: Iterable[float], window: float = DEFAULT_WINDOW) -> int:
    """The highest number of `times` that fall within any `window` seconds.

    A time `t` shares a window with the times in `(t - window, t]`, the
    same rule the limiter enforces. Useful on a server's request log.
    """
    ordered = sorted(times)
    best = 0
    first = 0
    for last, moment in enumerate(ordered):
        while ordered[first] <= moment - window:
            first += 1
        best = max(best, last - first + 1)
    return best


class RateLimiter:
    """At most `max_calls` call starts in any rolling `window` seconds."""

    def __init__(
        self,
        max_calls: int = DEFAULT_MAX_CALLS,
        window: float = DEFAULT_WINDOW,
        *,
        clock: Clock = loop_time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Configure the budget; `clock` and `sleep` are for tests."""
        if max_calls < 1 or not window > 0:
            msg = "a rate limiter needs at least one call per positive window"
            raise ValueError(msg)
        self.max_calls = max_calls
        self.window = float(window)
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._held_until = -math.inf
        self._turn: asyncio.Lock | None = None
        self._waiting = 0
        self.calls = 0
        """Calls let through since the limiter was made."""
        self.peak = 0
        """The highest number of call starts seen in one rolling window."""
        self.waited = 0.0
        """Total seconds callers spent waiting for a slot or a hold."""

    def __repr__(self) -> str:
        """Describe the budget and its use."""
        return (
            f"RateLimiter({self.max_calls}/{self.window:g}s, "
            f"calls={self.calls}, peak={self.peak})"
        )

    @property
    def held_until(self) -> float | None:
        """The clock time before which no call may leave, if a hold is on."""
        return self._held_until if self._held_until > self._clock() else None

    @property
    def waiting(self) -> int:
        """Callers inside `acquire` (queued, or waiting for their slot)."""
        return self._waiting

    def recent_starts(self) -> list[float]:
        """The clock times of the calls started within the current window."""
        self._forget(self._clock())
        return list(self._starts)

    def delay(self) -> float:
        """Seconds a call asked for now would wait (0 if a slot is free).

        Waiters already queued are not counted: this is a lower bound.
        """
        now = self._clock()
        self._forget(now)
        return max(0.0, self._ready_at(now) - now)

    def hold(self, seconds: float | None) -> None:
        """Let no call leave for `seconds` (a server's Retry-After).

        A hold only ever extends the current one; a missing, negative or
        absurd value is bounded to [0, MAX_HOLD].
        """
        if seconds is None or not math.isfinite(seconds):
            seconds = MAX_HOLD if seconds == math.inf else 0.0
        seconds = min(max(0.0, seconds), MAX_HOLD)
        self._held_until = max(self._held_until, self._clock() + seconds)

    async def acquire(self) -> None:
        """Wait for a slot, then count this call as started.

        Callers are served in arrival order. Cancelling a waiting caller
        releases its place; it consumes no slot.
        """
        if self._turn is None:
            self._turn = asyncio.Lock()
        self._waiting += 1
        try:
            async with self._turn:
                while True:
                    now = self._clock()
                    self._forget(now)
                    wait = self._ready_at(now) - now
                    if wait <= 0:
                        break
                    self.waited += wait
                    await self._sleep(wait)
                self._starts.append(now)
                self.calls += 1
                self.peak = max(self.peak, len(self._starts))
        finally:
            self._waiting -= 1

    async def __aenter__(self) -> None:
        """`async with limiter:` is `await limiter.acquire()`."""
        await self.acquire()

    async def __aexit__(self, *_exc: object) -> None:
        """Nothing to release: a started call keeps its slot for the window."""

    def _forget(self, now: float) -> None:
        """Drop starts that left the window ending at `now`."""
        horizon = now - self.window
        while self._starts and self._starts[0] <= horizon:
            self._starts.popleft()

    def _ready_at(self, now: float) -> float:
        """The earliest clock time a new call may start."""
        ready = max(now, self._held_until)
        if len(self._starts) >= self.max_calls:
            # The oldest start that must leave the window for one more call.
            oldest = self._starts[len(self._starts) - self.max_calls]
            ready = max(ready, oldest + self.window)
        return ready


class RateLimiterRegistry:
    """One limiter per key, shared by everyone who asks with that key."""

    def __init__(
        self,
        max_calls: int = DEFAULT_MAX_CALLS,
        window: float = DEFAULT_WINDOW,
        *,
        clock: Clock = loop_time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Limiters made here get this budget, clock and sleep."""
        self._options = (max_calls, window, clock, sleep)
        self._limiters: dict[str, RateLimiter] = {}

    def get(self, key: str) -> RateLimiter:
        """The limiter of `key`, made on first use."""
        limiter = self._limiters.get(key)
        if limiter is None:
            max_calls, window, clock, sleep = self._options
            limiter = RateLimiter(max_calls, window, clock=clock, sleep=sleep)
            self._limiters[key] = limiter
        return limiter

    def discard(self, key: str) -> None:
        """Forget the limiter of `key` (its last user is gone)."""
        self._limiters.pop(key, None)

    def __contains__(self, key: object) -> bool:
        """Whether a limiter exists for `key`."""
        return key in self._limiters

    def __len__(self) -> int:
        """How many limiters exist."""
        return len(self._limiters)
