"""Tolerant parsing of the provisional contract, and the models' JSON forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import math

import pytest

from custom_components.telemetry_hub.api.tecnogaz import (
    CALL_BUDGET,
    Alarm,
    AlarmSeverity,
    Cycle,
    CycleReport,
    CycleResult,
    EventKind,
    Program,
    Sterilizer,
    SterilizerStatus,
    TecnoGazEvent,
    calls_per_minute,
    shortest_interval,
    within_budget,
    worst_case_calls,
)
from custom_components.telemetry_hub.api.tecnogaz.client import CyclePage
from custom_components.telemetry_hub.api.tecnogaz.fields import (
    MAX_TEXT,
    flag,
    moment,
    offset_moment,
    safe_attributes,
)
from custom_components.telemetry_hub.api.tecnogaz.listing import (
    merge_listing,
    plausible,
)

T = datetime(2025, 11, 22, 9, 0, tzinfo=UTC)
ISO = "2025-11-22T09:00:00Z"


@pytest.mark.parametrize(
    "value",
    [
        ISO,
        "2025-11-22T10:00:00+01:00",
        "2025-11-22T09:00:00",
        1_763_802_000,
        "1763802000",
        1_763_802_000_000,
        "1763802000000",
        1_763_802_000.0,
    ],
)
def test_every_time_form_reads_the_same(value: object) -> None:
    assert moment(value) == T


@pytest.mark.parametrize("value", [None, "", "soon", 5, -3, "NaN", [ISO], 1e300])
def test_unreadable_or_absurd_times_are_none(value: object) -> None:
    assert moment(value) is None


def test_offsets_and_flags() -> None:
    assert offset_moment(90, T) == T + timedelta(seconds=90)
    assert offset_moment(90, None) is None
    assert offset_moment(ISO, None) == T
    assert [flag(v) for v in (True, 0, 1, "yes", "FALSE", "no", "maybe", 2)] == [
        True,
        False,
        True,
        True,
        False,
        False,
        None,
        None,
    ]


def test_sterilizer_parsing_is_tolerant() -> None:
    row = {
        "serialNumber": " PXZPB5899 ",
        "model": "AURA",
        "status": "Standby error",
        "lastSeen": ISO,
        "cycleCounter": "6299",
        "lastCycleNumber": 3537.0,
        "activeAlarms": "2",
        "alarmsChangedAt": None,
        "unknownField": {"nested": [1, 2]},
    }
    sterilizer = Sterilizer.from_json(row)
    assert sterilizer is not None
    assert sterilizer.serial == "PXZPB5899"
    assert sterilizer.status is SterilizerStatus.STANDBY_ERROR
    assert sterilizer.status_raw == "Standby error"
    assert (sterilizer.cycle_counter, sterilizer.last_cycle_number) == (6299, 3537)
    assert sterilizer.active_alarms == 2
    assert sterilizer.firmware is None
    assert Sterilizer.from_json(sterilizer.to_json()) == sterilizer
    odd = Sterilizer.from_json({"serialNumber": "X", "status": "sterilizing"})
    assert odd is not None
    assert odd.status is None
    assert odd.status_raw == "sterilizing"
    assert Sterilizer.from_json({"model": "AURA"}) is None
    assert Sterilizer.from_json("PXZPB5899") is None
    assert Sterilizer.from_json({}, serial="given") == Sterilizer("given")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**53, None),
        (10**40, None),
        ("1e400", None),
        (-1, None),
        ("NaN", None),
        (True, None),
        ("42", 42),
    ],
)
def test_counts_must_be_safe_whole_numbers(value: object, expected: int | None) -> None:
    parsed = Sterilizer.from_json({"serialNumber": "X", "cycleCounter": value})
    assert parsed is not None
    assert parsed.cycle_counter == expected


def cycle_row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "cycleNumber": 12,
        "program": {"code": "B134", "name": "134 °C wrapped"},
        "startTime": "2025-11-22T08:15:00Z",
        "endTime": ISO,
        "result": "failed",
        "errorCode": "E05",
        "errorText": "Low temperature in the hold phase",
        "temperature": {"min": "131.5", "max": 134.9},
        "pressure": {"min": 3.04, "max": "3.2"},
        "holdSeconds": "240",
        "durationSeconds": 2700.4,
        "operator": "Anna",
        "reportAvailable": "true",
    }
    row.update(changes)
    return row


def test_cycle_parsing_and_attributes() -> None:
    cycle = Cycle.from_json(cycle_row())
    assert cycle is not None
    assert cycle.program is Program.B134
    assert cycle.result is CycleResult.FAILED
    assert cycle.temperature_min == 131.5
    assert cycle.pressure_max == 3.2
    assert (cycle.hold_seconds, cycle.duration_seconds) == (240, 2700)
    assert cycle.report_available is True
    assert cycle.finished
    assert cycle.event_kind is EventKind.CYCLE_FAILED
    assert cycle.unsuccessful
    attributes = cycle.attributes()
    assert attributes["end_time"] == "2025-11-22T09:00:00+00:00"
    assert attributes["program"] == "B134"
    assert attributes["result"] == "failed"
    json.dumps(attributes, allow_nan=False)
    assert Cycle.from_json(cycle.to_json()) == cycle


@pytest.mark.parametrize(
    ("changes", "finished", "kind"),
    [
        ({"result": "passed"}, True, EventKind.CYCLE_COMPLETED),
        ({"result": "ABORTED"}, True, EventKind.CYCLE_ABORTED),
        ({"result": "running", "endTime": None}, False, None),
        ({"result": "running"}, False, None),
        ({"result": None, "endTime": None}, False, None),
        (
            {"result": "success", "errorCode": None, "errorText": None},
            True,
            EventKind.CYCLE_COMPLETED,
        ),
        ({"result": "ko"}, True, EventKind.CYCLE_FAILED),
        (
            {"result": None, "errorCode": None, "errorText": "Door"},
            True,
            EventKind.CYCLE_FAILED,
        ),
    ],
)
def test_when_a_cycle_is_finished_and_how_it_is_announced(
    changes: dict[str, object], finished: bool, kind: EventKind | None
) -> None:
    cycle = Cycle.from_json(cycle_row(**changes))
    assert cycle is not None
    assert cycle.finished is finished
    assert cycle.event_kind is kind


def test_unknown_programs_and_odd_program_shapes() -> None:
    custom = Cycle.from_json(cycle_row(program={"code": "C01", "name": "Handpieces"}))
    assert custom is not None
    assert custom.program is None
    assert custom.program_code == "C01"
    plain = Cycle.from_json(cycle_row(program="b-134 u"))
    assert plain is not None
    assert plain.program is Program.B134U
    assert plain.program_name is None
    assert Program.parse(None) is None
    missing = Cycle.from_json(cycle_row(program=None, temperature=[1], pressure="x"))
    assert missing is not None
    assert missing.program_code is None
    assert missing.temperature_min is None
    assert Cycle.from_json(missing.to_json()) == missing
    assert Cycle.from_json(cycle_row(cycleNumber=None)) is None
    assert Cycle.from_json(cycle_row(cycleNumber="x"), number=7) == Cycle.from_json(
        cycle_row(cycleNumber=7)
    )


def test_garbage_values_never_reach_attributes() -> None:
    cycle = Cycle.from_json(
        cycle_row(
            temperature={"min": "NaN", "max": 1e300},
            pressure={"min": "Infinity", "max": math.inf},
            holdSeconds=-5,
            durationSeconds=10**20,
            operator="x" * 10_000,
            errorText=["nested"],
        )
    )
    assert cycle is not None
    assert cycle.temperature_min is cycle.temperature_max is None
    assert cycle.pressure_min is cycle.pressure_max is None
    assert cycle.hold_seconds is cycle.duration_seconds is None
    assert cycle.operator is not None
    assert len(cycle.operator) == MAX_TEXT
    assert cycle.error_text is None
    json.dumps(cycle.attributes(), allow_nan=False)
    assert safe_attributes({"a": math.nan, "b": math.inf, "c": 2**60, "d": True}) == {
        "a": None,
        "b": None,
        "c": None,
        "d": True,
    }


def test_alarm_parsing() -> None:
    row = {
        "id": 1000001,
        "code": "E12",
        "text": "Vacuum pump overload",
        "severity": "ALARM",
        "raisedAt": 1_763_802_000_000,
        "clearedAt": None,
        "cycleNumber": "3538",
    }
    alarm = Alarm.from_json(row)
    assert alarm is not None
    assert alarm.id == "1000001"
    assert alarm.severity is AlarmSeverity.ALARM
    assert alarm.fatal
    assert alarm.active
    assert alarm.raised_at == T
    assert alarm.cycle_number == 3538
    assert Alarm.from_json(alarm.to_json()) == alarm
    attributes = alarm.attributes()
    assert attributes["alarm_id"] == "1000001"
    assert attributes["severity"] == "ALARM"
    odd = Alarm.from_json({**row, "severity": "critical", "clearedAt": ISO})
    assert odd is not None
    assert odd.severity is None
    assert not odd.fatal
    assert not odd.active
    assert Alarm.from_json({**row, "id": None}) is None


def test_event_attributes_carry_the_serial() -> None:
    cycle = Cycle.from_json(cycle_row())
    alarm = Alarm.from_json({"id": 5, "code": "W01"})
    assert cycle is not None
    assert alarm is not None
    cycle_event = TecnoGazEvent("X1", EventKind.CYCLE_FAILED, T, cycle=cycle)
    assert cycle_event.attributes()["serial"] == "X1"
    assert cycle_event.attributes()["cycle_number"] == 12
    alarm_event = TecnoGazEvent("X1", EventKind.ALARM_RAISED, T, alarm=alarm)
    assert alarm_event.attributes() == {"serial": "X1", **alarm.attributes()}


def test_report_shapes() -> None:
    body = {
        "report": {
            "cycle": cycle_row(cycleNumber=None),
            "phases": [
                {"name": "Heating", "start": 0, "end": 300, "temperature": 134},
                {"name": "Drying", "start": ISO, "end": None, "pressure": {"max": 1}},
                "not a phase",
            ],
            "samples": [
                {"t": 20, "temperature": "121.5", "pressure": 2.0},
                {"t": "2025-11-22T08:15:10Z", "temperature": 50},
                {"t": "2025-11-22T08:15:10"},
                {"temperature": 50},
                {"t": "soon"},
            ],
            "verificationCode": "ABC123",
        }
    }
    report = CycleReport.from_json(body, number=12)
    assert report is not None
    assert report.cycle.number == 12
    assert report.phases[0].start == report.cycle.start
    assert report.phases[0].end == report.cycle.start + timedelta(seconds=300)  # type: ignore[operator]
    assert report.phases[1].pressure == 1
    assert len(report.phases) == 2
    assert [s.t for s in report.samples] == [10.0, 10.0, 20.0]
    assert report.verification_code == "ABC123"
    json.dumps(report.as_dict(), allow_nan=False)
    assert CycleReport.from_json([], number=1) is None
    no_start = CycleReport.from_json(
        {"samples": [{"t": ISO}], "phases": [{"start": 5}]}, number=3
    )
    assert no_start is not None
    assert no_start.samples == ()
    assert no_start.phases[0].start is None


def test_cycle_page_more() -> None:
    cycle = Cycle(1)
    assert CyclePage((cycle,), 1, 1, total=None).has_more
    assert not CyclePage((), 1, 1, total=None).has_more
    assert CyclePage((cycle,), 1, 1, total=2).has_more
    assert not CyclePage((cycle,), 2, 1, total=2).has_more
    assert not CyclePage((), 1, 1, total=5).has_more


def test_call_budget() -> None:
    assert worst_case_calls(0) == 1
    assert worst_case_calls(10) == 21
    assert worst_case_calls(-3) == 1
    minute = timedelta(minutes=1)
    assert calls_per_minute(10, minute) == 21
    assert within_budget(39, minute)  # 79 calls
    assert not within_budget(40, minute)  # 81 calls
    assert shortest_interval(40) == timedelta(seconds=61)
    assert within_budget(40, shortest_interval(40))
    assert shortest_interval(1) == timedelta(seconds=3)
    assert calls_per_minute(50, timedelta(0)) == 101 * 60
    assert CALL_BUDGET == 80


def test_listing_merge_never_moves_back() -> None:
    old = Sterilizer(
        "X",
        model="AURA",
        status=SterilizerStatus.RUNNING,
        status_raw="running",
        last_seen=T,
        cycle_counter=100,
        last_cycle_number=50,
        active_alarms=1,
        alarms_changed_at=T,
    )
    stale = Sterilizer(
        "X",
        status=SterilizerStatus.READY,
        status_raw="ready",
        last_seen=T - timedelta(minutes=5),
        cycle_counter=99,
        last_cycle_number=49,
        active_alarms=0,
    )
    assert merge_listing(old, stale, T) == old
    newer = Sterilizer(
        "X",
        firmware="3.3",
        status=SterilizerStatus.DONE,
        status_raw="done",
        last_seen=T + timedelta(minutes=1),
        cycle_counter=None,
        last_cycle_number=51,
    )
    merged = merge_listing(old, newer, T)
    assert merged.model == "AURA"  # missing: kept
    assert merged.firmware == "3.3"
    assert merged.status is SterilizerStatus.DONE
    assert merged.cycle_counter == 100
    assert merged.last_cycle_number == 51
    assert merged.alarms_changed_at == T
    assert merged.active_alarms == 1
    assert merge_listing(Sterilizer("X"), old, T) == old
    no_status = merge_listing(old, Sterilizer("X", last_seen=T), T)
    assert no_status.status is SterilizerStatus.RUNNING
    future = Sterilizer("X", last_seen=T + timedelta(days=400))
    assert merge_listing(None, future, T).last_seen is None
    assert plausible(T + timedelta(hours=23), T) is not None
    assert plausible(None, T) is None
