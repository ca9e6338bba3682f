"""The exactly-once ledger every vendor announces its events through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

from custom_components.telemetry_hub.api.ledger import EventLedger

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)

type Event = tuple[str, datetime]


def take(ledger: EventLedger, events: list[Event], now: datetime) -> list[str]:
    return [
        key
        for key, _ in ledger.take(
            "s", events, key=lambda e: e[0], time=lambda e: e[1], now=now
        )
    ]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_history_at_first_sight_is_not_news() -> None:
    ledger = EventLedger(window=WEEK)
    assert not ledger.knows("s")
    assert take(ledger, [("old", at(-5))], now=T0) == []
    assert ledger.knows("s")
    assert take(ledger, [("old", at(-5)), ("new", at(1))], now=at(2)) == ["new"]


def test_each_event_once_oldest_first_even_when_late() -> None:
    ledger = EventLedger(window=WEEK)
    ledger.start("s", T0)
    assert take(ledger, [("b", at(3)), ("a", at(1)), ("b", at(3))], at(4)) == [
        "a",
        "b",
    ]
    # A late answer brings an event older than the newest announced one.
    assert take(ledger, [("a", at(1)), ("late", at(2)), ("b", at(3))], at(5)) == [
        "late"
    ]
    # An older (stale) answer repeats nothing and loses nothing.
    assert take(ledger, [("a", at(1))], at(6)) == []
    # Two events in the same second are two events.
    assert take(ledger, [("c1", at(7)), ("c2", at(7))], at(8)) == ["c1", "c2"]


def test_catch_up_window_bounds_what_is_replayed_and_kept() -> None:
    ledger = EventLedger(window=WEEK)
    ledger.start("s", T0)
    assert take(ledger, [("a", at(1))], at(2)) == ["a"]
    later = T0 + timedelta(days=10)
    # Down for ten days: events within the last week are announced, older
    # ones are not; the ledger forgets keys older than the window.
    events = [
        ("too-old", T0 + timedelta(days=2)),
        ("recent", later - timedelta(days=1)),
    ]
    assert take(ledger, events, later) == ["recent"]
    assert ledger.as_dict()["streams"]["s"]["seen"].keys() == {"recent"}


def test_mark_records_without_announcing() -> None:
    ledger = EventLedger(window=WEEK)
    ledger.mark("s", [("x", at(1))], T0)
    assert take(ledger, [("x", at(1)), ("y", at(2))], at(3)) == ["y"]


def test_round_trip_and_forget() -> None:
    ledger = EventLedger(window=WEEK)
    ledger.start("s", T0)
    take(ledger, [("a", at(1))], at(2))
    restored = EventLedger.from_dict(
        json.loads(json.dumps(ledger.as_dict())), window=WEEK
    )
    assert restored.streams() == ["s"]
    assert take(restored, [("a", at(1)), ("b", at(3))], at(4)) == ["b"]
    restored.forget("s")
    assert restored.streams() == []


def test_unreadable_storage_starts_afresh() -> None:
    assert EventLedger.from_dict(None, window=WEEK).streams() == []
    assert EventLedger.from_dict({"version": 99}, window=WEEK).streams() == []
    data = {
        "version": 1,
        "streams": {"ok": {"floor": 5, "seen": {"k": "x", "j": 6}}, "bad": {}},
    }
    ledger = EventLedger.from_dict(data, window=WEEK)
    assert ledger.streams() == ["ok"]
    assert ledger.as_dict()["streams"]["ok"]["seen"] == {"j": 6.0}
