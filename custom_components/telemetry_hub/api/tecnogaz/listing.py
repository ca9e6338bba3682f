"""Merging `/devices` listings so that a stale (CDN) answer never moves back.

A listing older than one already merged (any of its monotonic values,
lastSeen, cycleCounter, lastCycleNumber or alarmsChangedAt, lower than
known) keeps the values already known; a newer one replaces them. Either
way the monotonic values merge by max, and a field missing from an answer
keeps its known value (absence is never a deletion). Times further ahead
than a day are a broken clock or garbage, and are ignored.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from .models import Sterilizer

AHEAD_LIMIT = timedelta(days=1)
"""Times further in the future than this are not believed."""
_MONOTONIC = ("last_seen", "cycle_counter", "last_cycle_number", "alarms_changed_at")
_PLAIN = ("model", "firmware", "active_alarms")


def plausible(when: datetime | None, now: datetime) -> datetime | None:
    """`when`, unless it lies more than a day ahead of `now`."""
    return when if when is not None and when <= now + AHEAD_LIMIT else None


def _max[T: (int, datetime)](old: T | None, new: T | None) -> T | None:
    if old is None:
        return new
    if new is None:
        return old
    return max(old, new)


def is_older(old: Sterilizer, new: Sterilizer) -> bool:
    """Whether `new` is an older snapshot than `old` (a stale answer)."""
    for name in _MONOTONIC:
        known, fresh = getattr(old, name), getattr(new, name)
        if known is not None and fresh is not None and fresh < known:
            return True
    return False


def merge_listing(old: Sterilizer | None, new: Sterilizer, now: datetime) -> Sterilizer:
    """The listing to keep after `new` arrived; see the module docstring."""
    new = replace(
        new,
        last_seen=plausible(new.last_seen, now),
        alarms_changed_at=plausible(new.alarms_changed_at, now),
    )
    if old is None:
        return new
    base, other = (old, new) if is_older(old, new) else (new, old)
    changes: dict[str, object] = {
        name: getattr(base, name)
        if getattr(base, name) is not None
        else getattr(other, name)
        for name in _PLAIN
    }
    if base.status_raw is None:
        changes["status"], changes["status_raw"] = other.status, other.status_raw
    for name in _MONOTONIC:
        changes[name] = _max(getattr(old, name), getattr(new, name))
    return replace(base, **changes)  # type: ignore[arg-type]
