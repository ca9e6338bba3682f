"""What Home Assistant shows of a RusTech metering station.

One device per station. Its entities are frozen descriptions whose value
functions read a `StationView`, the station's part of the coordinator
data. Channel sensors follow the channels the station's equipment type
declares (BK and Flowgaz declare different ones), so they are built per
channel from a template per channel kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    EntityCategory,
    UnitOfPressure,
    UnitOfTemperature,
    UnitOfVolume,
)

from ...api.rustech.models import Station
from ...api.rustech.units import ChannelDefinition, ChannelKind, Quantity
from ...binary_sensor import TelemetryHubBinarySensorEntityDescription
from ...coordinator import DeviceEvent
from ...event import TelemetryHubEventEntityDescription
from ...sensor import TelemetryHubSensorEntityDescription

ABNORMAL_EVENT = "abnormal_situation"


@dataclass(frozen=True, slots=True)
class StationView:
    """A station as its entities see it after one refresh.

    Built once per refresh: values are already in our units and times
    already datetimes, so reading a state costs a dictionary lookup.
    """

    station: Station
    channels: Mapping[str, ChannelDefinition]
    """Channels that have a sensor, by folded code."""
    values: Mapping[str, float]
    """Latest value per channel in our unit (kPa, °C, m³); known units only."""
    latest_reading: datetime | None
    """Time of the newest archive row behind any sensor."""
    connected: bool
    """Whether the station had a session within the allowed silence."""
    events: tuple[DeviceEvent, ...] = ()
    """Abnormal situations first announced in this refresh."""
    error: str | None = None

    def has_unit(self, key: str) -> bool:
        """Whether the server's unit of a channel is understood."""
        channel = self.channels.get(key)
        return channel is not None and channel.unit is not None


# --------------------------------------------------------------------------
# Fixed entities of every station

LAST_SESSION = TelemetryHubSensorEntityDescription[StationView](
    key="last_session",
    translation_key="last_session",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=lambda view: view.station.last_session,
)
LATEST_READING = TelemetryHubSensorEntityDescription[StationView](
    key="latest_reading",
    translation_key="latest_reading",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    value_fn=lambda view: view.latest_reading,
)
CONNECTIVITY = TelemetryHubBinarySensorEntityDescription[StationView](
    key="connectivity",
    translation_key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    is_on_fn=lambda view: view.connected,
)
ABNORMAL_SITUATION = TelemetryHubEventEntityDescription[StationView](
    key=ABNORMAL_EVENT,
    translation_key=ABNORMAL_EVENT,
    event_types=[ABNORMAL_EVENT],
    events_fn=lambda view: view.events,
)

# --------------------------------------------------------------------------
# Channel sensors

_UNITS = {
    Quantity.PRESSURE: UnitOfPressure.KPA,
    Quantity.TEMPERATURE: UnitOfTemperature.CELSIUS,
    Quantity.VOLUME: UnitOfVolume.CUBIC_METERS,
}


def _template(
    kind: ChannelKind,
    device_class: SensorDeviceClass,
    state_class: SensorStateClass | None,
    *,
    precision: int,
    enabled: bool = True,
) -> TelemetryHubSensorEntityDescription[StationView]:
    quantity = {
        SensorDeviceClass.PRESSURE: Quantity.PRESSURE,
        SensorDeviceClass.TEMPERATURE: Quantity.TEMPERATURE,
    }.get(device_class, Quantity.VOLUME)
    return TelemetryHubSensorEntityDescription[StationView](
        key=kind.value,
        translation_key=kind.value,
        device_class=device_class,
        native_unit_of_measurement=_UNITS[quantity],
        state_class=state_class,
        suggested_display_precision=precision,
        entity_registry_enabled_default=enabled,
        value_fn=lambda _view: None,
    )


_GAS, _VOLUME = SensorDeviceClass.GAS, SensorDeviceClass.VOLUME
_GROWING, _MEASURED = SensorStateClass.TOTAL_INCREASING, SensorStateClass.MEASUREMENT
_K = ChannelKind
CHANNEL_TEMPLATES: dict[
    ChannelKind, TelemetryHubSensorEntityDescription[StationView]
] = {
    _K.PRESSURE: _template(
        _K.PRESSURE, SensorDeviceClass.PRESSURE, _MEASURED, precision=1
    ),
    _K.TEMPERATURE: _template(
        _K.TEMPERATURE, SensorDeviceClass.TEMPERATURE, _MEASURED, precision=1
    ),
    _K.STANDARD_VOLUME_TOTAL: _template(
        _K.STANDARD_VOLUME_TOTAL, _GAS, _GROWING, precision=2
    ),
    _K.STANDARD_VOLUME_ACCUMULATED: _template(
        _K.STANDARD_VOLUME_ACCUMULATED, _GAS, _GROWING, precision=2
    ),
    # The amount of one archive interval: no state class, as the interval
    # boundaries are the meter's, not Home Assistant's.
    _K.STANDARD_VOLUME_PERIOD: _template(
        _K.STANDARD_VOLUME_PERIOD, _GAS, None, precision=2
    ),
    _K.WORKING_VOLUME_TOTAL: _template(
        _K.WORKING_VOLUME_TOTAL, _VOLUME, _GROWING, precision=2, enabled=False
    ),
    _K.WORKING_VOLUME_ACCUMULATED: _template(
        _K.WORKING_VOLUME_ACCUMULATED, _VOLUME, _GROWING, precision=2, enabled=False
    ),
    _K.WORKING_VOLUME_PERIOD: _template(
        _K.WORKING_VOLUME_PERIOD, _VOLUME, None, precision=2, enabled=False
    ),
}
_OTHER_DEVICE_CLASS = {
    Quantity.PRESSURE: SensorDeviceClass.PRESSURE,
    Quantity.TEMPERATURE: SensorDeviceClass.TEMPERATURE,
    Quantity.VOLUME: SensorDeviceClass.VOLUME,
}


@lru_cache(maxsize=256)
def channel_description(
    channel: ChannelDefinition, archive: str
) -> TelemetryHubSensorEntityDescription[StationView] | None:
    """The sensor of one channel; None for a channel we cannot show.

    `archive` is the archive that keeps the sensor current (hourly or
    daily); it names interval volumes ("last hour", "last day"). A channel
    of a known kind with an unknown unit still gets its sensor, shown as
    unavailable; an unknown channel with an unknown unit gets none.
    Cached: stations of one equipment type share their channels, and every
    refresh asks again.
    """
    key = channel.key

    def value(view: StationView) -> float | None:
        return view.values.get(key)

    def available(view: StationView) -> bool:
        return view.has_unit(key)

    kind = channel.kind
    if template := CHANNEL_TEMPLATES.get(kind):
        translation_key = template.translation_key
        if kind in (_K.STANDARD_VOLUME_PERIOD, _K.WORKING_VOLUME_PERIOD):
            translation_key = f"{kind.value.removesuffix('_period')}_{archive}"
        return replace(
            template,
            key=f"channel_{key}",
            translation_key=translation_key,
            value_fn=value,
            available_fn=available,
        )
    if (unit := channel.unit) is None:
        return None
    return TelemetryHubSensorEntityDescription[StationView](
        key=f"channel_{key}",
        translation_key="channel",
        translation_placeholders={"channel": channel.name or channel.code},
        device_class=_OTHER_DEVICE_CLASS[unit.quantity],
        native_unit_of_measurement=_UNITS[unit.quantity],
        state_class=_MEASURED if unit.quantity is not Quantity.VOLUME else None,
        entity_registry_enabled_default=False,
        value_fn=value,
        available_fn=available,
    )
