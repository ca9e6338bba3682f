"""The config flow: user, reauth, reconfigure and options, against the simulator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock, patch
from urllib.parse import urlsplit

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.telemetry_hub.api import TelemetryHubError
from custom_components.telemetry_hub.api.rustech import RusTechClient
from custom_components.telemetry_hub.api.rustech.client import DEFAULT_URL, server_key
from custom_components.telemetry_hub.const import (
    CONF_HISTORY_DAYS,
    CONF_TOKEN,
    CONF_UPDATE_INTERVAL,
    CONF_VENDOR,
    DOMAIN,
)
from custom_components.telemetry_hub.vendors.rustech.const import CONF_OFFLINE_AFTER
from custom_components.telemetry_hub.vendors.rustech.descriptor import RusTechVendor
from simulators.rustech import RusTechSimulator
from tests.conftest import EMAIL, PASSWORD
from tests.integration.rustech.common import coordinator_of, session_token, stored_token

OTHER_EMAIL = "other@local.net"
OTHER_PASSWORD = "An0ther$"
NEW_PASSWORD = "N3wPas$word"


@pytest.fixture
def not_api_url(web_site: str) -> str:
    """An API address on 127.0.0.1 served by a web site, not by the server."""
    return f"{web_site}/api/v1"


def credentials(
    url: str, password: str = PASSWORD, email: str = EMAIL
) -> dict[str, str]:
    return {CONF_URL: url, CONF_EMAIL: email, CONF_PASSWORD: password}


def suggested(result: FlowResult) -> dict[str, Any]:
    """The values a form is prefilled with."""
    schema = result["data_schema"]
    assert schema is not None
    return {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if isinstance(key, vol.Marker)
        and key.description
        and "suggested_value" in key.description
    }


async def start_rustech(hass: HomeAssistant) -> FlowResult:
    """Open the user flow and pick RusTech in the menu."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert "rustech" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "rustech"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "rustech"
    assert result["errors"] == {}
    return result


async def submit(hass: HomeAssistant, result: FlowResult, data: dict[str, Any]) -> Any:
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


# --------------------------------------------------------------------------
# User flow


async def test_user_flow_creates_entry_and_reuses_its_session(
    hass: HomeAssistant, sim: RusTechSimulator, url: str
) -> None:
    result = await start_rustech(hass)
    # The form proposes the documented server and never a password.
    assert result["data_schema"]({CONF_EMAIL: "a", CONF_PASSWORD: "b"})[CONF_URL] == (
        DEFAULT_URL
    )
    assert suggested(result) == {}

    result = await submit(hass, result, credentials(f" {url}/ ", email=f" {EMAIL} "))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    host = urlsplit(url).netloc
    assert result["title"] == f"{EMAIL} ({host})"
    entry = result["result"]
    assert entry.unique_id == f"{host}/api/v1:{EMAIL}"
    client, token = session_token(sim)
    assert entry.data == {
        CONF_VENDOR: "rustech",
        CONF_URL: url,
        CONF_EMAIL: EMAIL,
        CONF_PASSWORD: PASSWORD,
        CONF_TOKEN: {
            "access_token": token,
            "client": client,
            "uid": EMAIL,
            "expiry": entry.data[CONF_TOKEN]["expiry"],
            "token_type": "Bearer",
        },
    }
    assert sim.request_count("auth/sign_in") == 1

    # Setting the new entry up continues the flow's session.
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert sim.request_count("auth/sign_in") == 1
    assert len(sim.sessions(EMAIL)) == 1
    assert sim.request_count("stations") == 2  # the check, then the first poll


INVALID_AUTH = {"base": "invalid_auth"}
CANNOT_CONNECT = {"base": "cannot_connect"}
INVALID_URL = {CONF_URL: "invalid_url"}


@pytest.mark.parametrize(
    ("server", "typed", "errors"),
    [
        pytest.param(None, {CONF_PASSWORD: "wrong"}, INVALID_AUTH, id="password"),
        pytest.param(
            None, {CONF_EMAIL: "nobody@local.net"}, INVALID_AUTH, id="unknown_email"
        ),
        pytest.param("lock", {}, {"base": "account_locked"}, id="account_locked"),
        pytest.param("unavailable", {}, CANNOT_CONNECT, id="unavailable"),
        pytest.param(
            "server_error:stations", {}, CANNOT_CONNECT, id="error_after_sign_in"
        ),
        pytest.param("rate_limit", {}, {"base": "rate_limited"}, id="rate_limited"),
        pytest.param(None, {CONF_URL: "ftp://x"}, INVALID_URL, id="not_http"),
        pytest.param(
            None, {CONF_URL: "http://host:notaport/api/v1"}, INVALID_URL, id="bad_port"
        ),
        pytest.param(None, {CONF_URL: "https://"}, INVALID_URL, id="no_host"),
        pytest.param("html", {}, INVALID_URL, id="captive_portal"),
        pytest.param("html:stations", {}, {"base": "unknown"}, id="odd_after_sign_in"),
        pytest.param(
            "malformed_json:stations",
            {},
            {"base": "unknown"},
            id="broken_after_sign_in",
        ),
        pytest.param(None, {CONF_URL: "{root}"}, INVALID_URL, id="path_missing"),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_error_then_recovery(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    url: str,
    *,
    server: str | None,
    typed: dict[str, str],
    errors: dict[str, str],
) -> None:
    if server == "lock":
        sim.lock_account(EMAIL)
    elif server is not None:
        kind, _, path = server.partition(":")
        # A read after signing in is retried once: its fault must last.
        sim.inject(kind, path=path or None, count=2 if path else 1)
    root = url.removesuffix("/api/v1")
    bad_input = credentials(url) | {
        key: value.format(root=root) for key, value in typed.items()
    }
    result = await start_rustech(hass)

    result = await submit(hass, result, bad_input)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "rustech"
    assert result["errors"] == errors
    # What was typed comes back, except the password.
    assert suggested(result) == {
        CONF_URL: bad_input[CONF_URL],
        CONF_EMAIL: bad_input[CONF_EMAIL],
    }
    # A failed check leaves no session behind on the server.
    assert sim.sessions(EMAIL) == {}

    sim._store.locked.clear()  # an administrator unlocked the account
    result = await submit(hass, result, credentials(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PASSWORD] == PASSWORD
    assert stored_token(result["result"]) == session_token(sim)


async def test_user_flow_closed_port_then_recovery(
    hass: HomeAssistant, url: str, closed_url: str, mock_setup_entry: AsyncMock
) -> None:
    result = await start_rustech(hass)

    result = await submit(hass, result, credentials(closed_url))
    assert result["errors"] == {"base": "cannot_connect"}

    result = await submit(hass, result, credentials(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_web_site_instead_of_api(
    hass: HomeAssistant, url: str, not_api_url: str, mock_setup_entry: AsyncMock
) -> None:
    result = await start_rustech(hass)

    result = await submit(hass, result, credentials(not_api_url))
    assert result["errors"] == {CONF_URL: "invalid_url"}

    result = await submit(hass, result, credentials(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("error", "logged"),
    [
        (TelemetryHubError("something new"), "Account check failed (unknown)"),
        (RuntimeError("a bug"), "Unexpected error while checking the account"),
    ],
)
async def test_user_flow_unexpected_error_then_recovery(
    hass: HomeAssistant,
    url: str,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    logged: str,
) -> None:
    """Neither an unknown answer nor a bug crashes the flow; the form stays."""
    caplog.set_level("DEBUG")
    result = await start_rustech(hass)
    with patch.object(RusTechVendor, "async_check", side_effect=error):
        result = await submit(hass, result, credentials(url))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert logged in caplog.text

    result = await submit(hass, result, credentials(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_bug_after_sign_in_signs_the_check_out(
    hass: HomeAssistant, sim: RusTechSimulator, url: str
) -> None:
    result = await start_rustech(hass)
    with patch.object(
        RusTechClient, "stations_page", side_effect=RuntimeError("a bug")
    ):
        result = await submit(hass, result, credentials(url))
    assert result["errors"] == {"base": "unknown"}
    assert sim.request_count("auth/sign_in") == 1
    assert sim.sessions(EMAIL) == {}


async def test_user_flow_already_configured_signs_the_check_out(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    url: str,
    loaded_entry: MockConfigEntry,
) -> None:
    entry_session = session_token(sim)
    result = await start_rustech(hass)

    # Another spelling of the same server and account.
    result = await submit(
        hass, result, credentials(f" HTTP://{urlsplit(url).netloc}/api/v1/ ")
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert sim.request_count("auth/sign_in") == 2
    assert sim.request_count("auth/sign_out") == 1
    # Only the entry's own session is left.
    assert session_token(sim) == entry_session
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# --------------------------------------------------------------------------
# Reauth


async def test_reauth_error_then_success(
    hass: HomeAssistant, sim: RusTechSimulator, loaded_entry: MockConfigEntry
) -> None:
    old_coordinator = coordinator_of(loaded_entry)
    sim.set_password(EMAIL, NEW_PASSWORD)
    result = await loaded_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_rustech"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert placeholders[CONF_EMAIL] == EMAIL
    assert placeholders[CONF_URL] == loaded_entry.data[CONF_URL]

    result = await submit(hass, result, {CONF_PASSWORD: PASSWORD})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result) == {}

    sim.inject("unavailable")
    result = await submit(hass, result, {CONF_PASSWORD: NEW_PASSWORD})
    assert result["errors"] == {"base": "cannot_connect"}

    result = await submit(hass, result, {CONF_PASSWORD: NEW_PASSWORD})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()

    assert loaded_entry.data[CONF_PASSWORD] == NEW_PASSWORD
    # The flow's new session is the entry's session now; the reload used it.
    sessions = sim.sessions(EMAIL)
    new_client = stored_token(loaded_entry)[0]
    assert new_client in sessions
    assert stored_token(loaded_entry)[1] == sessions[new_client].token
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert coordinator_of(loaded_entry) is not old_coordinator
    sign_ins = [r for r in sim.requests if r.path == "auth/sign_in"]
    assert [r.status for r in sign_ins] == [200, 401, 503, 200]


async def test_reauth_with_another_account_aborts(
    hass: HomeAssistant, sim: RusTechSimulator, url: str
) -> None:
    sim.users = {EMAIL: PASSWORD, OTHER_EMAIL: OTHER_PASSWORD}
    # An entry of the other account whose stored email now signs in to ours.
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Other (127.0.0.1)",
        unique_id=f"{server_key(url)}:{OTHER_EMAIL}",
        data={
            CONF_VENDOR: "rustech",
            CONF_URL: url,
            CONF_EMAIL: EMAIL,
            CONF_PASSWORD: "old",
            CONF_TOKEN: None,
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await submit(hass, result, {CONF_PASSWORD: PASSWORD})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert sim.request_count("auth/sign_in") == 1
    assert sim.request_count("auth/sign_out") == 1
    assert sim.sessions(EMAIL) == {}
    assert entry.data[CONF_PASSWORD] == "old"
    assert entry.unique_id == f"{server_key(url)}:{OTHER_EMAIL}"


# --------------------------------------------------------------------------
# Reconfigure


async def test_reconfigure_same_server_written_differently(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    url: str,
    loaded_entry: MockConfigEntry,
) -> None:
    unique_id = loaded_entry.unique_id
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_rustech"
    assert suggested(result) == {CONF_URL: url, CONF_EMAIL: EMAIL}

    result = await submit(
        hass,
        result,
        credentials(
            f"  HTTP://127.0.0.1:{urlsplit(url).port}/api/v1/ ", email="API@local.NET"
        ),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded_entry.unique_id == unique_id
    assert loaded_entry.data[CONF_URL] == url
    assert loaded_entry.data[CONF_EMAIL] == "API@local.NET"
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert stored_token(loaded_entry)[0] in sim.sessions(EMAIL)


async def test_reconfigure_with_another_account_aborts(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    url: str,
    loaded_entry: MockConfigEntry,
) -> None:
    sim.users = {EMAIL: PASSWORD, OTHER_EMAIL: OTHER_PASSWORD}
    data = dict(loaded_entry.data)
    result = await loaded_entry.start_reconfigure_flow(hass)

    result = await submit(
        hass, result, credentials(url, email=OTHER_EMAIL, password=OTHER_PASSWORD)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert sim.sessions(OTHER_EMAIL) == {}
    assert sim.request_count("auth/sign_out") == 1
    assert loaded_entry.data == data


async def test_reconfigure_error_then_recovery(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    url: str,
    closed_url: str,
    loaded_entry: MockConfigEntry,
) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)

    result = await submit(hass, result, credentials(url, password="wrong"))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result) == {CONF_URL: url, CONF_EMAIL: EMAIL}

    result = await submit(hass, result, credentials(closed_url))
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result) == {CONF_URL: closed_url, CONF_EMAIL: EMAIL}

    sim.set_password(EMAIL, NEW_PASSWORD)
    result = await submit(hass, result, credentials(url, password=NEW_PASSWORD))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded_entry.data[CONF_PASSWORD] == NEW_PASSWORD
    assert loaded_entry.state is ConfigEntryState.LOADED


# --------------------------------------------------------------------------
# Options


async def test_options_apply_without_reload(
    hass: HomeAssistant, sim: RusTechSimulator, loaded_entry: MockConfigEntry
) -> None:
    coordinator = coordinator_of(loaded_entry)
    assert coordinator.update_interval == timedelta(minutes=15)
    requests = sim.request_count()

    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "rustech"
    assert result["data_schema"]({}) == {
        CONF_UPDATE_INTERVAL: 15,
        CONF_OFFLINE_AFTER: 26,
        CONF_HISTORY_DAYS: 31,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UPDATE_INTERVAL: 30.0, CONF_OFFLINE_AFTER: 48.0}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {
        CONF_UPDATE_INTERVAL: 30,
        CONF_OFFLINE_AFTER: 48,
        CONF_HISTORY_DAYS: 31,
    }
    assert all(type(value) is int for value in loaded_entry.options.values())
    # Applied in place: same coordinator, no reload, no request.
    assert coordinator_of(loaded_entry) is coordinator
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert coordinator.update_interval == timedelta(minutes=30)
    assert coordinator.offline_after == timedelta(hours=48)
    assert sim.request_count() == requests

    # The form shows the saved values next time.
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert suggested(result) == {
        CONF_UPDATE_INTERVAL: 30,
        CONF_OFFLINE_AFTER: 48,
        CONF_HISTORY_DAYS: 31,
    }


async def test_options_of_an_entry_that_is_not_loaded(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """Saved for the next set-up; nothing to apply them to now."""
    config_entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UPDATE_INTERVAL: 60, CONF_OFFLINE_AFTER: 30}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert config_entry.options == {
        CONF_UPDATE_INTERVAL: 60,
        CONF_OFFLINE_AFTER: 30,
        CONF_HISTORY_DAYS: 31,
    }
    assert config_entry.state is ConfigEntryState.NOT_LOADED


async def test_options_reject_out_of_range(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A value out of its range gets a translated error naming the field;
    the form shows each option's range, and nothing is saved until it is fixed."""
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["description_placeholders"] == {
        "update_interval_min": "5",
        "update_interval_max": "1440",
        "offline_after_min": "1",
        "offline_after_max": "720",
        "history_days_min": "0",
        "history_days_max": "366",
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UPDATE_INTERVAL: 1, CONF_OFFLINE_AFTER: 721}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        CONF_UPDATE_INTERVAL: "out_of_range",
        CONF_OFFLINE_AFTER: "out_of_range",
    }
    assert loaded_entry.options == {}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UPDATE_INTERVAL: 5, CONF_OFFLINE_AFTER: 720}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {
        CONF_UPDATE_INTERVAL: 5,
        CONF_OFFLINE_AFTER: 720,
        CONF_HISTORY_DAYS: 31,
    }
