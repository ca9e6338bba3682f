"""The generic `telemetry_hub.import_history` action, with fake coordinators."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.telemetry_hub.api import (
    TelemetryHubAccountLockedError,
    TelemetryHubConnectionError,
    TelemetryHubError,
    TelemetryHubRateLimitError,
)
from custom_components.telemetry_hub.api.errors import TelemetryHubProtocolError
from custom_components.telemetry_hub.const import CONF_VENDOR, DOMAIN
from custom_components.telemetry_hub.coordinator import TelemetryHubCoordinator
from custom_components.telemetry_hub.services import SERVICE_IMPORT_HISTORY
from custom_components.telemetry_hub.vendors import VENDORS

TODAY = date(2025, 6, 15)


class NoHistory(TelemetryHubCoordinator[str]):
    """A vendor that keeps no history (the base's answer)."""

    async def _async_fetch(self) -> dict[str, str]:
        return {"a": "Meter A", "b": "Meter B"}

    def descriptions(
        self, platform: Platform
    ) -> Iterable[tuple[str, EntityDescription]]:
        return ()

    def describe_device(self, device_key: str, view: str) -> DeviceInfo:
        return DeviceInfo(name=view)

    async def async_diagnostics(self) -> dict[str, Any]:
        return {}

    async def async_device_diagnostics(self, device_key: str) -> dict[str, Any]:
        return {}


class WithHistory(NoHistory):
    """A vendor with history: records the calls, answers or fails."""

    error: Exception | None = None

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls: list[tuple[list[str] | None, date, date]] = []

    async def async_import_history(
        self, device_keys: list[str] | None, start: date, end: date
    ) -> dict[str, Any]:
        self.calls.append((device_keys, start, end))
        if self.error is not None:
            raise self.error
        return {"stations": len(device_keys or "ab"), "hours": 48}


@pytest.fixture(autouse=True)
def today(freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(f"{TODAY.isoformat()} 12:00:00")


async def loaded(
    hass: HomeAssistant, kind: type[NoHistory] = WithHistory, title: str = "Account"
) -> tuple[MockConfigEntry, Any]:
    """A loaded entry served by a fake coordinator, with its two devices."""
    await async_setup_component(hass, DOMAIN, {})
    entry = MockConfigEntry(
        domain=DOMAIN, title=title, unique_id=title, data={CONF_VENDOR: "rustech"}
    )
    entry.add_to_hass(hass)
    coordinator = kind(hass, entry, VENDORS["rustech"])
    coordinator.data = await coordinator._async_fetch()
    entry.runtime_data = coordinator
    entry.mock_state(hass, ConfigEntryState.LOADED)
    registry = dr.async_get(hass)
    for key in coordinator.data:
        registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, coordinator.device_identifier(key))},
        )
    return entry, coordinator


def device_id(hass: HomeAssistant, coordinator: NoHistory, key: str) -> str:
    device = coordinator.find_device(dr.async_get(hass), key)
    assert device is not None
    return device.id


async def call(
    hass: HomeAssistant, data: dict[str, Any], *, response: bool = True
) -> Any:
    return await hass.services.async_call(
        DOMAIN, SERVICE_IMPORT_HISTORY, data, blocking=True, return_response=response
    )


async def test_whole_entry_and_one_device(hass: HomeAssistant) -> None:
    entry, coordinator = await loaded(hass)

    answer = await call(
        hass, {"config_entry_id": entry.entry_id, "start": "2025-06-01"}
    )

    assert answer == {"stations": 2, "hours": 48}
    # The end defaults to today (in Home Assistant's time zone).
    assert coordinator.calls == [(None, date(2025, 6, 1), TODAY)]

    answer = await call(
        hass,
        {
            "config_entry_id": entry.entry_id,
            "device_id": device_id(hass, coordinator, "b"),
            "start": "2025-05-01",
            "end": "2025-05-31",
        },
    )

    assert answer == {"stations": 1, "hours": 48}
    assert coordinator.calls[-1] == (["b"], date(2025, 5, 1), date(2025, 5, 31))


async def test_response_only_when_asked(hass: HomeAssistant) -> None:
    entry, coordinator = await loaded(hass)

    answer = await call(
        hass,
        {"config_entry_id": entry.entry_id, "start": "2025-06-10"},
        response=False,
    )

    assert answer is None
    assert len(coordinator.calls) == 1


async def test_entry_not_loaded(hass: HomeAssistant) -> None:
    await loaded(hass)
    other_domain = MockConfigEntry(domain="sun", title="Sun")
    other_domain.add_to_hass(hass)
    not_loaded = MockConfigEntry(
        domain=DOMAIN, title="Idle", unique_id="idle", data={CONF_VENDOR: "rustech"}
    )
    not_loaded.add_to_hass(hass)

    for entry_id, shown in (
        ("no-such-entry", "no-such-entry"),
        (other_domain.entry_id, "Sun"),
        (not_loaded.entry_id, "Idle"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, {"config_entry_id": entry_id, "start": "2025-06-01"})
        assert err.value.translation_key == "entry_not_loaded"
        assert err.value.translation_placeholders == {"entry": shown}


async def test_device_not_in_entry(hass: HomeAssistant) -> None:
    entry, coordinator = await loaded(hass)
    _, other = await loaded(hass, title="Other account")
    foreign = device_id(hass, other, "a")
    gone = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, coordinator.device_identifier("left"))},
    )

    for device in ("no-such-device", foreign, gone.id):
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass,
                {
                    "config_entry_id": entry.entry_id,
                    "device_id": device,
                    "start": "2025-06-01",
                },
            )
        assert err.value.translation_key == "device_not_in_entry"
        assert err.value.translation_placeholders == {"entry": "Account"}
    assert coordinator.calls == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-06-02", "2025-06-01"),  # start after end
        ("2025-06-01", "2025-06-16"),  # end in the future
        ("2024-06-12", "2025-06-13"),  # 366 days and one
        ("2025-06-16", None),  # start after the default end (today)
    ],
)
async def test_invalid_range(hass: HomeAssistant, start: str, end: str | None) -> None:
    entry, coordinator = await loaded(hass)
    data = {"config_entry_id": entry.entry_id, "start": start}
    if end is not None:
        data["end"] = end

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, data)

    assert err.value.translation_key == "invalid_range"
    assert err.value.translation_placeholders == {
        "start": start,
        "end": end or TODAY.isoformat(),
        "max_days": "366",
    }
    assert coordinator.calls == []


async def test_longest_range(hass: HomeAssistant) -> None:
    entry, coordinator = await loaded(hass)

    await call(
        hass,
        {"config_entry_id": entry.entry_id, "start": "2024-06-15", "end": "2025-06-15"},
    )

    assert coordinator.calls == [(None, date(2024, 6, 15), TODAY)]
    assert (TODAY - date(2024, 6, 15)).days + 1 == 366


async def test_input_is_validated(hass: HomeAssistant) -> None:
    entry, coordinator = await loaded(hass)

    for data in (
        {"config_entry_id": entry.entry_id, "start": "yesterday"},
        {"config_entry_id": entry.entry_id},
        {"start": "2025-06-01"},
        {"config_entry_id": entry.entry_id, "start": "2025-06-01", "extra": 1},
    ):
        with pytest.raises(vol.Invalid):
            await call(hass, data)
    assert coordinator.calls == []


async def test_vendor_without_history(hass: HomeAssistant) -> None:
    entry, _ = await loaded(hass, NoHistory)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, {"config_entry_id": entry.entry_id, "start": "2025-06-01"})

    assert err.value.translation_key == "no_history"
    assert err.value.translation_placeholders == {"vendor": "RusTech"}


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (TelemetryHubAccountLockedError("locked"), "auth_failed"),
        (TelemetryHubRateLimitError("quota", retry_after=60), "rate_limited"),
        (TelemetryHubConnectionError("timeout"), "cannot_connect"),
        (TelemetryHubProtocolError("HTML"), "invalid_response"),
        (TelemetryHubError("odd"), "invalid_response"),
    ],
)
async def test_vendor_errors_are_translated(
    hass: HomeAssistant, error: Exception, key: str
) -> None:
    entry, coordinator = await loaded(hass)
    coordinator.error = error

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, {"config_entry_id": entry.entry_id, "start": "2025-06-01"})

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == key
    assert err.value.translation_placeholders == {"error": str(error)}
    assert err.value.__cause__ is error


async def test_registered_once_with_optional_response(hass: HomeAssistant) -> None:
    await async_setup_component(hass, DOMAIN, {})

    assert hass.services.has_service(DOMAIN, SERVICE_IMPORT_HISTORY)
    assert hass.services.supports_response(DOMAIN, SERVICE_IMPORT_HISTORY) == "optional"
