"""Announce each event exactly once, across polls, restarts and late answers.

A vendor's events (a finished sterilizer cycle, an alarm raised or cleared,
an abnormal-situation record) reach us by polling lists that overlap from
one poll to the next, may come late (a CDN serving an older page, a device
uploading its backlog) and may repeat. A high-water mark alone loses an
event that arrives after a newer one; a set of everything announced grows
forever. The ledger keeps both halves, per stream (one device's cycles, its
alarms, ...):

* a *floor*: events older than it are never announced (set at first sight
  of a stream, so history is not news, and moved up to `now - window` so
  the ledger stays small: the catch-up window);
* the keys announced since the floor, with their times.

An event is new when its time is at or above the floor and its key was not
announced. `take` returns the new ones oldest first and records them at
once: the caller announces them in the same step. The ledger serialises to
JSON (`as_dict`/`from_dict`) and never imports Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .parsing import as_float, as_mapping

LEDGER_VERSION = 1


@dataclass(slots=True)
class _Stream:
    floor: float
    seen: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class EventLedger:
    """What was announced, per stream; see the module docstring."""

    window: timedelta
    """How far back an event may lie and still be announced (catch-up)."""
    _streams: dict[str, _Stream] = field(default_factory=dict)

    def knows(self, stream: str) -> bool:
        """Whether the stream was seen before (its history is not news)."""
        return stream in self._streams

    def start(self, stream: str, now: datetime) -> None:
        """First sight of a stream: nothing before `now` will be announced."""
        if stream not in self._streams:
            self._streams[stream] = _Stream(floor=now.timestamp())

    def take[T](
        self,
        stream: str,
        events: Iterable[T],
        *,
        key: Callable[[T], str],
        time: Callable[[T], datetime],
        now: datetime,
    ) -> list[T]:
        """The events not announced yet, oldest first; recorded as announced.

        A stream seen for the first time starts at `now` (see `start`).
        Repeats within `events` count once. Events in the future (a device
        clock ahead of ours) are announced like any other.
        """
        self.start(stream, now)
        state = self._streams[stream]
        self._prune(state, now)
        fresh: dict[str, tuple[float, T]] = {}
        for event in events:
            event_key = key(event)
            moment = time(event).timestamp()
            if (
                moment >= state.floor
                and event_key not in state.seen
                and event_key not in fresh
            ):
                fresh[event_key] = (moment, event)
        ordered = sorted(fresh.items(), key=lambda item: (item[1][0], item[0]))
        for event_key, (moment, _event) in ordered:
            state.seen[event_key] = moment
        return [event for _key, (_moment, event) in ordered]

    def mark(
        self, stream: str, keys: Iterable[tuple[str, datetime]], now: datetime
    ) -> None:
        """Record events as announced without announcing them (history)."""
        self.start(stream, now)
        state = self._streams[stream]
        for event_key, moment in keys:
            state.seen.setdefault(event_key, moment.timestamp())

    def forget(self, stream: str) -> None:
        """Drop a stream (its device left the account)."""
        self._streams.pop(stream, None)

    def streams(self) -> list[str]:
        """The streams the ledger knows."""
        return list(self._streams)

    def _prune(self, state: _Stream, now: datetime) -> None:
        """Move the floor up to the catch-up window; forget what fell below."""
        horizon = (now - self.window).timestamp()
        if horizon > state.floor:
            state.floor = horizon
            state.seen = {k: t for k, t in state.seen.items() if t >= horizon}

    def as_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types."""
        return {
            "version": LEDGER_VERSION,
            "streams": {
                name: {"floor": state.floor, "seen": dict(state.seen)}
                for name, state in self._streams.items()
            },
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, *, window: timedelta
    ) -> EventLedger:
        """Rebuild from `as_dict` output; unreadable parts are left out.

        A stream that cannot be read is forgotten, so it starts afresh at
        its next sight (announcing nothing old) rather than replaying.
        """
        ledger = cls(window=window)
        if not data or data.get("version") != LEDGER_VERSION:
            return ledger
        for name, raw in as_mapping(data.get("streams")).items():
            stored = as_mapping(raw)
            floor = as_float(stored.get("floor"))
            if not isinstance(name, str) or floor is None:
                continue
            seen = {
                str(event_key): moment
                for event_key, value in as_mapping(stored.get("seen")).items()
                if (moment := as_float(value)) is not None
            }
            ledger._streams[name] = _Stream(floor=floor, seen=seen)
        return ledger
