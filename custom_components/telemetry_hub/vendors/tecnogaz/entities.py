"""What Home Assistant shows of a Tecno-Gaz sterilizer.

One device per sterilizer. Its entities are frozen descriptions whose
functions read a `SterilizerData`: the sync engine's view of the sterilizer
(already parsed into datetimes and the units Home Assistant uses: °C, bar)
and the events this refresh announces. Values the contract does not know
(a custom program, a new status) are shown as sent in the attributes; the
enum sensors then read unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import EntityCategory, UnitOfPressure, UnitOfTemperature

from ...api.tecnogaz import (
    Call,
    Cycle,
    CycleResult,
    EventKind,
    SterilizerStatus,
    SterilizerView,
)
from ...binary_sensor import TelemetryHubBinarySensorEntityDescription
from ...coordinator import DeviceEvent
from ...event import TelemetryHubEventEntityDescription
from ...sensor import TelemetryHubSensorEntityDescription

CYCLE_EVENTS = [
    EventKind.CYCLE_COMPLETED,
    EventKind.CYCLE_FAILED,
    EventKind.CYCLE_ABORTED,
]
ALARM_EVENTS = [EventKind.ALARM_RAISED, EventKind.ALARM_CLEARED]
_OUTCOMES = [CycleResult.PASSED, CycleResult.FAILED, CycleResult.ABORTED]


@dataclass(frozen=True, slots=True)
class SterilizerData:
    """A sterilizer as its entities see it after one refresh."""

    view: SterilizerView
    cycle_events: tuple[DeviceEvent, ...] = ()
    """Cycles that finished, announced in this refresh (oldest first)."""
    alarm_events: tuple[DeviceEvent, ...] = ()
    """Alarms raised or cleared, announced in this refresh (oldest first)."""

    @property
    def cycles_readable(self) -> bool:
        """Whether the contract's cycles call answers for this sterilizer."""
        return self.view.not_found_call != Call.CYCLES

    @property
    def alarms_readable(self) -> bool:
        """Whether the contract's alarms call answers for this sterilizer."""
        return self.view.not_found_call != Call.ALARMS

    @property
    def finished(self) -> Cycle | None:
        """The newest cycle whose outcome is known."""
        return self.view.last_finished_cycle

    @property
    def active_alarm_count(self) -> int:
        """Alarms and warnings not cleared (the listing's count when given)."""
        count = self.view.sterilizer.active_alarms
        return len(self.view.active_alarms) if count is None else count


type _Sensor = TelemetryHubSensorEntityDescription[SterilizerData]


def _status(data: SterilizerData) -> str | None:
    status = data.view.sterilizer.status
    return status.value if status else None


def _reported_status(data: SterilizerData) -> dict[str, Any] | None:
    sterilizer = data.view.sterilizer
    if sterilizer.status is None and sterilizer.status_raw:
        return {"reported_status": sterilizer.status_raw}
    return None


def _result(data: SterilizerData) -> str | None:
    cycle = data.finished
    if cycle is None or cycle.result not in _OUTCOMES:
        return None
    return cycle.result.value if cycle.result else None


def _result_details(data: SterilizerData) -> dict[str, Any] | None:
    cycle = data.finished
    if cycle is None:
        return None
    return {
        "cycle_number": cycle.number,
        "error_code": cycle.error_code,
        "error_text": cycle.error_text,
        "reported_result": cycle.result_raw,
    }


def _program(data: SterilizerData) -> str | None:
    cycle = data.view.latest_cycle
    if cycle is None:
        return None
    return cycle.program_name or cycle.program_code


def _program_details(data: SterilizerData) -> dict[str, Any] | None:
    cycle = data.view.latest_cycle
    if cycle is None:
        return None
    return {
        "program_code": cycle.program_code,
        "known_program": cycle.program.value if cycle.program else None,
    }


def _alarm_list(data: SterilizerData) -> dict[str, Any]:
    return {
        "alarms": [
            {"code": alarm.code, "text": alarm.text, "severity": alarm.severity_raw}
            for alarm in data.view.active_alarms
        ]
    }


STATUS: _Sensor = TelemetryHubSensorEntityDescription(
    key="status",
    translation_key="sterilizer_status",
    device_class=SensorDeviceClass.ENUM,
    options=[status.value for status in SterilizerStatus],
    value_fn=_status,
    attributes_fn=_reported_status,
)
LAST_CYCLE_RESULT: _Sensor = TelemetryHubSensorEntityDescription(
    key="last_cycle_result",
    translation_key="last_cycle_result",
    device_class=SensorDeviceClass.ENUM,
    options=[result.value for result in _OUTCOMES],
    value_fn=_result,
    available_fn=lambda data: data.cycles_readable,
    attributes_fn=_result_details,
)
PROGRAM: _Sensor = TelemetryHubSensorEntityDescription(
    key="program",
    translation_key="program",
    value_fn=_program,
    available_fn=lambda data: data.cycles_readable,
    attributes_fn=_program_details,
)
CYCLE_NUMBER: _Sensor = TelemetryHubSensorEntityDescription(
    key="cycle_number",
    translation_key="cycle_number",
    value_fn=lambda data: (
        data.view.latest_cycle.number if data.view.latest_cycle else None
    ),
    available_fn=lambda data: data.cycles_readable,
)
CYCLE_END: _Sensor = TelemetryHubSensorEntityDescription(
    key="cycle_end",
    translation_key="cycle_end",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=lambda data: data.finished.end if data.finished else None,
    available_fn=lambda data: data.cycles_readable,
)
LIFETIME_CYCLES: _Sensor = TelemetryHubSensorEntityDescription(
    key="lifetime_cycles",
    translation_key="lifetime_cycles",
    state_class=SensorStateClass.TOTAL_INCREASING,
    value_fn=lambda data: data.view.sterilizer.cycle_counter,
)
ACTIVE_ALARMS: _Sensor = TelemetryHubSensorEntityDescription(
    key="active_alarms",
    translation_key="active_alarms",
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda data: data.active_alarm_count,
    available_fn=lambda data: data.alarms_readable,
    attributes_fn=_alarm_list,
)
HOLD_TEMPERATURE: _Sensor = TelemetryHubSensorEntityDescription(
    key="hold_temperature",
    translation_key="hold_temperature",
    device_class=SensorDeviceClass.TEMPERATURE,
    native_unit_of_measurement=UnitOfTemperature.CELSIUS,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=1,
    value_fn=lambda data: data.finished.temperature_min if data.finished else None,
    available_fn=lambda data: data.cycles_readable,
    attributes_fn=lambda data: (
        {"maximum": data.finished.temperature_max} if data.finished else None
    ),
)
HOLD_PRESSURE: _Sensor = TelemetryHubSensorEntityDescription(
    key="hold_pressure",
    translation_key="hold_pressure",
    device_class=SensorDeviceClass.PRESSURE,
    native_unit_of_measurement=UnitOfPressure.BAR,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=3,
    value_fn=lambda data: data.finished.pressure_min if data.finished else None,
    available_fn=lambda data: data.cycles_readable,
    attributes_fn=lambda data: (
        {"maximum": data.finished.pressure_max} if data.finished else None
    ),
)
LAST_SEEN: _Sensor = TelemetryHubSensorEntityDescription(
    key="last_seen",
    translation_key="last_seen",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda data: data.view.sterilizer.last_seen,
)
SENSORS: tuple[_Sensor, ...] = (
    STATUS,
    LAST_CYCLE_RESULT,
    PROGRAM,
    CYCLE_NUMBER,
    CYCLE_END,
    LIFETIME_CYCLES,
    ACTIVE_ALARMS,
    HOLD_TEMPERATURE,
    HOLD_PRESSURE,
    LAST_SEEN,
)

CYCLE_ALARM = TelemetryHubBinarySensorEntityDescription[SterilizerData](
    key="cycle_alarm",
    translation_key="cycle_alarm",
    device_class=BinarySensorDeviceClass.PROBLEM,
    is_on_fn=lambda data: data.view.cycle_alarm,
)
STERILIZER_CONNECTIVITY = TelemetryHubBinarySensorEntityDescription[SterilizerData](
    key="connectivity",
    translation_key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    is_on_fn=lambda data: (
        None
        if data.view.sterilizer.status is None
        else data.view.sterilizer.status is not SterilizerStatus.OFFLINE
    ),
)
BINARY_SENSORS = (CYCLE_ALARM, STERILIZER_CONNECTIVITY)

CYCLE = TelemetryHubEventEntityDescription[SterilizerData](
    key="cycle",
    translation_key="cycle",
    event_types=[kind.value for kind in CYCLE_EVENTS],
    events_fn=lambda data: data.cycle_events,
)
ALARM = TelemetryHubEventEntityDescription[SterilizerData](
    key="alarm",
    translation_key="alarm",
    event_types=[kind.value for kind in ALARM_EVENTS],
    events_fn=lambda data: data.alarm_events,
)
EVENTS = (CYCLE, ALARM)
