"""The Tecno-Gaz config flow: token, reauth, reconfigure and options."""

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

from custom_components.telemetry_hub.api.tecnogaz import DEFAULT_URL
from custom_components.telemetry_hub.const import (
    CONF_ADVANCED,
    CONF_TOKEN,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.telemetry_hub.vendors.tecnogaz.const import CONF_SERIAL
from simulators.tecnogaz import DEFAULT_TOKEN, TecnoGazSimulator
from tests.integration.tecnogaz.common import coordinator_of
from tests.integration.tecnogaz.conftest import AURA, ONYX

RENEWED = "tgz-renewed-token"


def suggested(result: FlowResult) -> dict[str, Any]:
    """The values a form (and its advanced section) is prefilled with."""
    values = {}
    schema = result["data_schema"]
    assert schema is not None
    for key, value in schema.schema.items():
        markers = [(key, None)]
        if str(key) == CONF_ADVANCED:
            markers = list(value.schema.schema.items())
        for marker, _ in markers:
            if marker.description and "suggested_value" in marker.description:
                values[str(marker)] = marker.description["suggested_value"]
    return values


def form(url: str, token: str = DEFAULT_TOKEN) -> dict[str, Any]:
    return {CONF_TOKEN: token, CONF_ADVANCED: {CONF_URL: url}}


async def start(hass: HomeAssistant) -> FlowResult:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert "tecnogaz" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tecnogaz"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tecnogaz"
    return result


async def submit(hass: HomeAssistant, result: FlowResult, data: dict[str, Any]) -> Any:
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_creates_the_contract_entry(
    hass: HomeAssistant, sim: TecnoGazSimulator, url: str
) -> None:
    result = await start(hass)
    # The documented address is proposed in the advanced section.
    schema = result["data_schema"]({CONF_TOKEN: "x", CONF_ADVANCED: {}})
    assert schema[CONF_ADVANCED][CONF_URL] == DEFAULT_URL

    result = await submit(hass, result, form(f" {url}/ ", f" {DEFAULT_TOKEN} "))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Tecno-Gaz {ONYX}, {AURA}"
    entry = result["result"]
    # The contract, not the token: a renewed token is the same entry.
    assert entry.unique_id == f"{urlsplit(url).netloc}:{ONYX}"
    assert entry.data == {
        "vendor": "tecnogaz",
        CONF_URL: url,
        CONF_TOKEN: DEFAULT_TOKEN,
        CONF_SERIAL: ONYX,
    }


@pytest.mark.parametrize(
    ("fault", "token", "errors"),
    [
        (None, "unknown-token", {"base": "invalid_auth"}),
        (None, "   ", {"base": "invalid_auth"}),
        ("server_error", DEFAULT_TOKEN, {"base": "cannot_connect"}),
        ("rate_limit", DEFAULT_TOKEN, {"base": "rate_limited"}),
        ("html", DEFAULT_TOKEN, {"base": "tecnogaz_invalid_url"}),
        ("not_found", DEFAULT_TOKEN, {"base": "tecnogaz_invalid_url"}),
        ("empty", DEFAULT_TOKEN, {"base": "no_sterilizers"}),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_error_then_recovery(
    hass: HomeAssistant,
    sim: TecnoGazSimulator,
    url: str,
    *,
    fault: str | None,
    token: str,
    errors: dict[str, str],
) -> None:
    if fault == "empty":
        sim.add_token("tgz-empty-contract")
        token = "tgz-empty-contract"
    elif fault == "rate_limit":
        sim.inject(fault, call="devices", retry_after="0.1")
    elif fault is not None:
        sim.inject(fault, call="devices")
    result = await start(hass)

    result = await submit(hass, result, form(url, token))

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    # The address comes back; the token never does.
    assert suggested(result) == {CONF_URL: url}
    result = await submit(hass, result, form(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_closed_port_and_web_site(
    hass: HomeAssistant, url: str, closed_port: int, web_site: str
) -> None:
    result = await start(hass)
    result = await submit(hass, result, form(f"http://127.0.0.1:{closed_port}/s"))
    assert result["errors"] == {"base": "cannot_connect"}
    result = await submit(hass, result, form(f"{web_site}/services"))
    assert result["errors"] == {"base": "tecnogaz_invalid_url"}
    result = await submit(hass, result, form("ftp://nowhere"))
    assert result["errors"] == {"base": "tecnogaz_invalid_url"}
    result = await submit(hass, result, form(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_the_same_contract_cannot_be_added_twice(
    hass: HomeAssistant, url: str, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await start(hass)
    result = await submit(hass, result, form(url))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_rejected_token_asks_for_the_renewed_one(
    hass: HomeAssistant,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    sim.revoke_token()
    await coordinator_of(loaded_entry).async_refresh()
    await hass.async_block_till_done()
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == "reauth"
    ]
    assert len(flows) == 1
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "reauth_tecnogaz"
    assert result["description_placeholders"]["title"] == loaded_entry.title

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_TOKEN: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    sim.add_token(RENEWED, [AURA, ONYX])
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_TOKEN: RENEWED}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data[CONF_TOKEN] == RENEWED
    await hass.async_block_till_done()
    assert coordinator_of(loaded_entry).last_update_success


async def test_reauth_with_another_contract_is_refused(
    hass: HomeAssistant, sim: TecnoGazSimulator, loaded_entry: MockConfigEntry
) -> None:
    other = sim.add_sterilizer("AURA", tokens=[])
    sim.add_token("tgz-other", [other.serial])
    result = await loaded_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "tgz-other"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert loaded_entry.data[CONF_TOKEN] == DEFAULT_TOKEN


async def test_renewed_token_that_lost_the_anchor_keeps_the_entry(
    hass: HomeAssistant, sim: TecnoGazSimulator, loaded_entry: MockConfigEntry
) -> None:
    """A contract whose anchor sterilizer left is another contract for us."""
    sim.add_token(RENEWED, [AURA])
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_tecnogaz"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form(loaded_entry.data[CONF_URL], RENEWED)
    )
    assert result["reason"] == "wrong_account"


async def test_reconfigure_the_address(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    url = loaded_entry.data[CONF_URL]
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form(f" {url}/ ")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data[CONF_URL] == url


async def test_options_keep_within_the_call_budget(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["step_id"] == "tecnogaz"
    assert result["description_placeholders"]["sterilizers"] == "2"
    assert result["description_placeholders"]["shortest_interval"] == "1"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UPDATE_INTERVAL: 0}
    )
    assert result["errors"] == {CONF_UPDATE_INTERVAL: "out_of_range"}

    coordinator = coordinator_of(loaded_entry)
    with patch.object(
        type(coordinator), "device_keys", return_value=[f"S{i}" for i in range(50)]
    ):
        result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
        assert result["description_placeholders"]["shortest_interval"] == "2"
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_UPDATE_INTERVAL: 1}
        )
        assert result["errors"] == {CONF_UPDATE_INTERVAL: "over_budget"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UPDATE_INTERVAL: 2}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {CONF_UPDATE_INTERVAL: 2}
    assert coordinator.update_interval.total_seconds() == 120


async def test_options_of_an_unloaded_entry_check_only_the_bounds(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["description_placeholders"]["sterilizers"] == "0"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UPDATE_INTERVAL: 1}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
