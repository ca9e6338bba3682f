"""Tecno-Gaz entity descriptions on a sterilizer that has not run a cycle yet."""

from __future__ import annotations

from custom_components.telemetry_hub.api.tecnogaz import SterilizerView
from custom_components.telemetry_hub.api.tecnogaz.models import Sterilizer
from custom_components.telemetry_hub.vendors.tecnogaz.entities import (
    CYCLE_ALARM,
    SENSORS,
    SterilizerData,
)

NEW = SterilizerData(
    SterilizerView(
        serial="PXZPB0001",
        sterilizer=Sterilizer(serial="PXZPB0001", model="AURA", cycle_counter=0),
        latest_cycle=None,
        last_finished_cycle=None,
        active_alarms=(),
    )
)


def test_a_sterilizer_without_cycles_shows_unknown_not_a_guess() -> None:
    values = {description.key: description.value_fn(NEW) for description in SENSORS}
    attributes = {
        description.key: description.attributes_fn(NEW)
        for description in SENSORS
        if description.attributes_fn is not None
    }

    assert values == {
        "status": None,
        "last_cycle_result": None,
        "program": None,
        "cycle_number": None,
        "cycle_end": None,
        "lifetime_cycles": 0,
        "active_alarms": 0,
        "hold_temperature": None,
        "hold_pressure": None,
        "last_seen": None,
    }
    assert all(
        value is None for key, value in attributes.items() if key != "active_alarms"
    )
    assert CYCLE_ALARM.is_on_fn(NEW) is False
