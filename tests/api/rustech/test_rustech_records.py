"""Archive records: fast and tolerant parsing, JSON safety, de-duplication."""

from __future__ import annotations

from datetime import UTC, datetime
import json
import math
from typing import Any

import orjson
import pytest

from custom_components.telemetry_hub.api.rustech.records import (
    MAX_TEXT,
    ArchiveRecord,
    _plain_channels,
    _tolerant_channels,
    json_safe,
    json_safe_channels,
    unique_records,
)

T = 1_763_802_000


def record(channel_data: Any, event_time: Any = T) -> ArchiveRecord:
    parsed = ArchiveRecord.from_row(
        {"event_time": event_time, "channel_data": channel_data}
    )
    assert parsed is not None
    return parsed


def test_the_usual_row() -> None:
    row = record([{"T": 25.19}, {"VNakpriv": "89519.01"}, {"P": 3}, {"NSText": "x"}])

    assert row.event_time == datetime.fromtimestamp(T, UTC)
    assert row.values == {"t": 25.19, "vnakpriv": 89519.01, "p": 3.0}
    assert row.raw == {"T": 25.19, "VNakpriv": "89519.01", "P": 3, "NSText": "x"}
    assert row.value("vnakPRIV") == 89519.01
    assert row == ArchiveRecord(row.event_time, dict(row.values), dict(row.raw))


@pytest.mark.parametrize(
    ("channel_data", "values", "raw"),
    [
        ({"T": 1.5}, {"t": 1.5}, {"T": 1.5}),  # one object, not a list
        ([{" T ": 1.5}], {"t": 1.5}, {"T": 1.5}),
        ([{"T": 1.5}, "junk", 3, None, [{"P": 1}]], {"t": 1.5}, {"T": 1.5}),
        ([{"": 1}, {"   ": 2}, {"x" * 200: 3}], {}, {}),
        ([{"A": float("nan")}, {"B": float("inf")}], {}, {"A": None, "B": None}),
        ([{"A": 2**63 - 1}], {"a": float(2**63 - 1)}, {"A": 2**63 - 1}),
        ([{"A": 2**63}], {"a": float(2**63)}, {"A": str(2**63)}),
        ([{"A": -(10**30)}], {"a": -1e30}, {"A": str(-(10**30))}),
        ([{"A": 10**400}], {}, {"A": None}),
        ([{"A": True}, {"B": None}], {}, {"A": True, "B": None}),
        ([{"A": [1]}, {"B": {"c": 1}}], {}, {"A": None, "B": None}),
        ([{"A": "1,5"}, {"B": "NaN"}], {"a": 1.5}, {"A": "1,5", "B": "NaN"}),
        ([{"A": "\ud800x"}], {}, {"A": "\ufffdx"}),
        ([{"A": "Ж" * 5000}], {}, {"A": "Ж" * MAX_TEXT}),
        ([{"Код": "1"}], {"код": 1.0}, {"Код": "1"}),
        ([{"A": 1}, {"A": 2}], {"a": 2.0}, {"A": 2}),  # the last one wins
        (None, {}, {}),
        ("junk", {}, {}),
    ],
)
def test_odd_channels(
    channel_data: Any, values: dict[str, float], raw: dict[str, Any]
) -> None:
    row = record(channel_data)

    assert dict(row.values) == values
    assert dict(row.raw) == raw
    json.dumps(row.raw, allow_nan=False)
    orjson.dumps(dict(row.raw))


@pytest.mark.parametrize(
    ("event_time", "expected"),
    [
        (T, T),
        (float(T), T),
        (str(T), T),
        (T * 1000, None),  # milliseconds are not this server's
        (253_402_300_799, 253_402_300_799),
        (10**30, None),
        (-5, None),
        (0, None),
        (None, None),
        ("2025-11-22", None),
        (True, None),
        ([], None),
    ],
)
def test_event_times(event_time: Any, expected: int | None) -> None:
    row = ArchiveRecord.from_row({"event_time": event_time, "channel_data": []})
    if expected is None:
        assert row is None or row.event_time.year > 9000
    else:
        assert row is not None
        assert int(row.event_time.timestamp()) == expected


def test_fast_and_tolerant_parsing_agree() -> None:
    data = [{"T": 25.19}, {"VNakpriv": "89519.01"}, {"P": 3}, {"X": None}, {"Y": True}]
    assert _plain_channels(data) == _tolerant_channels(data)
    assert _plain_channels([{" T": 1.0}]) is None  # left to the tolerant reader


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (1.5, 1.5),
        (math.nan, None),
        (-math.inf, None),
        (2**64, str(2**64)),
        (10**100, None),
        ("a\ud800", "a\ufffd"),
        ([1], None),
        ({"a": 1}, None),
        (b"bytes", None),
    ],
)
def test_json_safe(value: Any, expected: Any) -> None:
    assert json_safe(value) == expected


def test_json_safe_channels_of_a_hand_made_record() -> None:
    row = ArchiveRecord(
        datetime.fromtimestamp(T, UTC),
        {},
        {"NSCode": 10**30, "X": math.nan},  # type: ignore[dict-item]
    )

    assert row.json_channels() == {"NSCode": str(10**30), "X": None}
    assert json_safe_channels({1: "a"}) == {"1": "a"}


def test_unique_records() -> None:
    first = record([{"NSCode": 1}], T)
    same = record([{"NSCode": 1}], T)
    other = record([{"NSCode": 2}], T)
    older = record([{"NSCode": 3}], T - 60)

    assert unique_records([first, other, same, older, other]) == [older, first, other]
    assert unique_records([]) == []
