"""The vendor seam: what the generic layer does whatever the vendor."""

from __future__ import annotations

import json
import math

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.telemetry_hub.config_flow import (
    TelemetryHubConfigFlow,
    TelemetryHubOptionsFlow,
)
from custom_components.telemetry_hub.const import CONF_UPDATE_INTERVAL, DOMAIN
from custom_components.telemetry_hub.coordinator import _interval, json_safe
from custom_components.telemetry_hub.vendor import VendorDescriptor
from custom_components.telemetry_hub.vendors import VENDORS


async def test_the_menu_offers_every_vendor_folder(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == list(VENDORS)
    assert "rustech" in VENDORS
    for key, vendor in VENDORS.items():
        assert vendor.key == key
        assert vendor.manufacturer
        assert any(option.key == CONF_UPDATE_INTERVAL for option in vendor.options)


@pytest.mark.parametrize(
    "name",
    [
        "async_step_nowhere",
        "async_step_reauth_nowhere",
        "async_step_reconfigure_",
        "something_else",
        "async_step_",
    ],
)
def test_only_vendor_steps_are_resolved(name: str) -> None:
    flow = TelemetryHubConfigFlow()
    with pytest.raises(AttributeError):
        getattr(flow, name)
    with pytest.raises(AttributeError):
        getattr(TelemetryHubOptionsFlow(), name)


def test_vendor_steps_resolve_for_every_vendor() -> None:
    flow = TelemetryHubConfigFlow()
    for key in VENDORS:
        for prefix in ("", "reauth_", "reconfigure_"):
            assert callable(getattr(flow, f"async_step_{prefix}{key}"))
        assert callable(getattr(TelemetryHubOptionsFlow(), f"async_step_{key}"))
        with pytest.raises(AttributeError):
            getattr(TelemetryHubOptionsFlow(), f"async_step_reauth_{key}")


def test_a_vendor_without_an_interval_option_is_refused() -> None:
    vendor = next(iter(VENDORS.values()))

    class Broken(type(vendor)):  # type: ignore[misc]
        options = ()

    broken: VendorDescriptor = Broken()
    with pytest.raises(ValueError, match="update_interval"):
        _interval(broken, {})


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        (None, None),
        ("text", "text"),
        (True, True),
        (12, 12),
        (2**53, 2**53),
        (2**64, str(2**64)),
        (-(10**40), str(-(10**40))),
        (1.5, 1.5),
        (math.nan, None),
        (math.inf, None),
        ({1: "a", "b": [1, (2, 3)]}, {"1": "a", "b": [1, [2, 3]]}),
        (b"bytes", "b'bytes'"),
    ],
)
def test_json_safe(raw: object, safe: object) -> None:
    assert json_safe(raw) == safe
    json.dumps(json_safe(raw), allow_nan=False)


def test_json_safe_flattens_deep_nesting() -> None:
    deep: object = "leaf"
    for _ in range(50):
        deep = [deep]
    json.dumps(json_safe(deep), allow_nan=False)
