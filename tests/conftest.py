"""Fixtures shared by every test: the RusTech simulator on loopback."""

from __future__ import annotations

import pytest

from simulators.rustech import ManualClock

EMAIL = "api@local.net"
PASSWORD = "Str0ngPas$"
# 2025-11-22 09:00:00 UTC: a fixed "now" for tests that use a manual clock.
START = 1_763_802_000.0


@pytest.fixture
def clock() -> ManualClock:
    """A clock that only moves when a test moves it."""
    return ManualClock(START)
