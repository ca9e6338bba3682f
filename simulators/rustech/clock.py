"""A manually driven clock for deterministic tests."""

from __future__ import annotations


class ManualClock:
    """Callable clock: returns the current time, then advances it by ``tick``."""

    def __init__(self, start: float, *, tick: float = 0.0) -> None:
        """Start at ``start`` (unix seconds); every call advances by ``tick``."""
        self._now = float(start)
        self.tick = float(tick)

    def __call__(self) -> float:
        """Return the current time, then advance it by ``tick``."""
        now = self._now
        self._now += self.tick
        return now

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or backward, if negative) by ``seconds``."""
        self._now += seconds

    def set(self, timestamp: float) -> None:
        """Set the clock to ``timestamp`` (unix seconds)."""
        self._now = float(timestamp)

    def __repr__(self) -> str:
        """Show the current time without advancing it."""
        return f"ManualClock({self._now!r}, tick={self.tick!r})"
