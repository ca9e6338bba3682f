"""The DEXMA config flow: token, errors, duplicate, reauth, reconfigure, options."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.api.dexma import DEFAULT_URL
from custom_components.telemetry_hub.const import (
    CONF_ADVANCED,
    CONF_HISTORY_DAYS,
    CONF_TOKEN,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.telemetry_hub.vendors.dexma.const import (
    CONF_ANCHOR,
    CONF_DEVICES,
    CONF_PARAMETERS,
    CONF_QUOTA_SHARE,
)
from simulators.dexma import DEFAULT_TOKEN, DexmaSimulator, SimLocation
from tests.integration.dexma.common import coordinator_of
from tests.integration.dexma.conftest import ANCHOR, TITLE

RENEWED = "renewed-dexma-token-0042"


def form(url: str, token: str = DEFAULT_TOKEN) -> dict[str, Any]:
    return {CONF_TOKEN: token, CONF_ADVANCED: {CONF_URL: url}}


async def start(hass: HomeAssistant) -> FlowResult:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert "dexma" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "dexma"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "dexma"
    return result


async def submit(hass: HomeAssistant, result: FlowResult, data: dict[str, Any]) -> Any:
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_creates_the_account_entry(
    hass: HomeAssistant, sim: DexmaSimulator, url: str
) -> None:
    result = await start(hass)
    schema = result["data_schema"]({CONF_TOKEN: "x", CONF_ADVANCED: {}})
    assert schema[CONF_ADVANCED][CONF_URL] == DEFAULT_URL
    assert result["description_placeholders"] == {"default_url": DEFAULT_URL}
    sim.clear_requests()

    result = await submit(hass, result, form(f" {url}/ ", f" {DEFAULT_TOKEN} "))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == TITLE
    entry = result["result"]
    # The account's first location, not the token: a renewed token is the same.
    assert entry.unique_id == f"{urlsplit(url).netloc}:{ANCHOR}"
    assert entry.data == {
        "vendor": "dexma",
        CONF_URL: url,
        CONF_TOKEN: DEFAULT_TOKEN,
        CONF_ANCHOR: ANCHOR,
    }
    # One cheap call and the locations: the devices are not listed.
    assert [record.path for record in sim.requests] == ["devices", "locations"]
    assert sim.requests[0].params["limit"] == "1"


@pytest.mark.parametrize(
    ("fault", "token", "errors"),
    [
        (None, "unknown-token", {"base": "invalid_auth"}),
        (None, "   ", {"base": "invalid_auth"}),
        ("server_error", DEFAULT_TOKEN, {"base": "cannot_connect"}),
        ("rate_limit", DEFAULT_TOKEN, {"base": "rate_limited"}),
        ("html", DEFAULT_TOKEN, {"base": "dexma_invalid_url"}),
        ("malformed_json", DEFAULT_TOKEN, {"base": "dexma_invalid_url"}),
        ("not_found", DEFAULT_TOKEN, {"base": "dexma_invalid_url"}),
        ("empty", DEFAULT_TOKEN, {"base": "dexma_no_devices"}),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_error_then_recovery(
    hass: HomeAssistant,
    sim: DexmaSimulator,
    url: str,
    *,
    fault: str | None,
    token: str,
    errors: dict[str, str],
) -> None:
    locations, devices = sim.locations, sim.devices
    if fault == "empty":
        sim.locations, sim.devices = [], []
    elif fault is not None:
        sim.inject(fault, path="devices")
    result = await start(hass)

    result = await submit(hass, result, form(url, token))

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    sim.locations, sim.devices = locations, devices
    result = await submit(hass, result, form(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_bad_addresses(
    hass: HomeAssistant, url: str, closed_port: int, web_site: str
) -> None:
    result = await start(hass)
    result = await submit(hass, result, form(f"http://127.0.0.1:{closed_port}/v3"))
    assert result["errors"] == {"base": "cannot_connect"}
    result = await submit(hass, result, form(web_site))
    assert result["errors"] == {"base": "dexma_invalid_url"}
    result = await submit(hass, result, form("ftp://nowhere"))
    assert result["errors"] == {"base": "dexma_invalid_url"}
    result = await submit(hass, result, form(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_an_account_without_locations_is_anchored_on_a_device(
    hass: HomeAssistant, sim: DexmaSimulator, url: str
) -> None:
    sim.locations = []
    result = await start(hass)
    result = await submit(hass, result, form(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "DEXMA Electricity meter 1 +7"
    assert result["result"].data[CONF_ANCHOR] == "device:1001"


async def test_the_same_account_cannot_be_added_twice(
    hass: HomeAssistant, url: str, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await start(hass)
    result = await submit(hass, result, form(url))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_a_revoked_token_asks_for_the_renewed_one(
    hass: HomeAssistant, sim: DexmaSimulator, loaded_entry: MockConfigEntry
) -> None:
    sim.tokens = {RENEWED}
    coordinator = coordinator_of(loaded_entry)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == "reauth"
    ]
    assert len(flows) == 1
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "reauth_dexma"
    assert result["description_placeholders"]["title"] == TITLE

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_TOKEN: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_TOKEN: RENEWED}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data[CONF_TOKEN] == RENEWED
    await hass.async_block_till_done()
    assert coordinator_of(loaded_entry).last_update_success


async def test_a_token_of_another_account_is_refused(
    hass: HomeAssistant, sim: DexmaSimulator, loaded_entry: MockConfigEntry
) -> None:
    sim.locations = [SimLocation(777, "Somewhere else", "Europe/Rome")]
    result = await loaded_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: DEFAULT_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"

    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form(loaded_entry.data[CONF_URL])
    )
    assert result["reason"] == "wrong_account"


async def test_an_account_anchored_on_a_device_keeps_it(
    hass: HomeAssistant, sim: DexmaSimulator, url: str
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="DEXMA Electricity meter 1 +7",
        unique_id=f"{urlsplit(url).netloc}:device:1003",
        data={
            "vendor": "dexma",
            CONF_URL: url,
            CONF_TOKEN: DEFAULT_TOKEN,
            CONF_ANCHOR: "device:1003",
        },
    )
    entry.add_to_hass(hass)
    with patch("custom_components.telemetry_hub.async_setup_entry", return_value=True):
        result = await entry.start_reauth_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TOKEN: DEFAULT_TOKEN}
        )
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_ANCHOR] == "device:1003"
    assert entry.title == TITLE


async def test_reconfigure_the_address(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    url = loaded_entry.data[CONF_URL]
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_dexma"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form(f" {url}/ ")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data[CONF_URL] == url
    await hass.async_block_till_done()  # the entry reloads


async def test_options_show_the_plan_and_apply_at_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    coordinator = coordinator_of(loaded_entry)
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["step_id"] == "dexma"
    placeholders = result["description_placeholders"]
    assert placeholders["devices"] == "8"
    assert placeholders["streams"] == "24"
    assert placeholders["calls_per_refresh"] == "24"
    assert placeholders["interval"] == placeholders["requested"] == "15"
    assert placeholders["hour_budget"] == "500"
    assert placeholders["quota_share_min"] == "10"
    schema = result["data_schema"].schema
    devices = next(value for key, value in schema.items() if key == CONF_DEVICES)
    assert {"value": "1001", "label": "Electricity meter 1 (1001)"} in devices.config[
        "options"
    ]
    parameters = next(value for key, value in schema.items() if key == CONF_PARAMETERS)
    assert "eactive" in parameters.config["options"]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: 4, CONF_QUOTA_SHARE: 50, CONF_HISTORY_DAYS: 2},
    )
    assert result["errors"] == {CONF_UPDATE_INTERVAL: "out_of_range"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UPDATE_INTERVAL: 30,
            CONF_QUOTA_SHARE: 20,
            CONF_HISTORY_DAYS: 2,
            CONF_DEVICES: ["1001", "1005"],
            CONF_PARAMETERS: ["eactive", "gasvolume"],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == 1800
    assert coordinator.tracker.share == 0.2
    assert coordinator.sync.plan.streams == 2
    assert set(coordinator.data) == {"account", "1001", "1005"}


async def test_options_refuse_a_device_of_another_account(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    # (Gone from this account since the form was shown: as if of another one.)
    coordinator_of(loaded_entry).sync.state.devices.pop(1008)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UPDATE_INTERVAL: 15,
            CONF_QUOTA_SHARE: 50,
            CONF_HISTORY_DAYS: 2,
            CONF_DEVICES: ["1008"],
        },
    )
    assert result["errors"] == {CONF_DEVICES: "dexma_unknown_device"}


async def test_options_of_an_unloaded_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["description_placeholders"]["streams"] == "-"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: 60, CONF_QUOTA_SHARE: 100, CONF_HISTORY_DAYS: 0},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
