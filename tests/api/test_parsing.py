"""The tolerant readers every vendor client parses its answers with."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.telemetry_hub.api.parsing import (
    as_datetime,
    as_float,
    as_int,
    unwrap_list,
)

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    ["--1", "²", "1" * 5000, "١٢", "1e3", 10**30, 1e300, float("nan"), "0x1F"],
)
def test_as_int_refuses_what_is_not_an_id(raw: object) -> None:
    """Values `str.isdigit` accepts but `int` cannot read, and absurd sizes."""
    assert as_int(raw) is None


@pytest.mark.parametrize("raw", ["1" * 400, 10**400, "1e999", "-1e999", "9" * 65])
def test_as_float_refuses_numbers_beyond_a_float(raw: object) -> None:
    assert as_float(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "2026-03-01T12:00:00Z",
        "2026-03-01T12:00:00z",
        "2026-03-01T13:00:00+01:00",
        "2026-03-01T12:00:00.000Z",
        "2026-03-01T12:00:00",
        "2026-03-01 12:00:00+00:00",
        1772366400,
        "1772366400",
        1772366400000,
        "1772366400000",
        1772366400.0,
    ],
)
def test_as_datetime_reads_every_accepted_form(raw: object) -> None:
    assert as_datetime(raw) == NOON


@pytest.mark.parametrize(
    "raw", [None, "", "  ", "yesterday", "2026-13-01T00:00:00Z", [], {}, True, -5, "Z"]
)
def test_as_datetime_refuses_garbage(raw: object) -> None:
    assert as_datetime(raw) is None


def test_unwrap_list() -> None:
    assert unwrap_list([1, 2], "devices") == [1, 2]
    assert unwrap_list({"devices": [1]}, "devices") == [1]
    assert unwrap_list({"data": [3]}, "devices", "data") == [3]
    assert unwrap_list({"devices": "x"}, "devices") is None
    assert unwrap_list("text", "devices") is None
    assert unwrap_list(None, "devices") is None
