"""The manual clock of the simulators (kept here for older imports)."""

from simulators.common import ManualClock

__all__ = ["ManualClock"]
