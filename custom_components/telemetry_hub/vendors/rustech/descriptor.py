"""The RusTech gas-telemetry server as a Telemetry Hub vendor.

How an account is checked (sign in, read one page of stations: the session
it opens becomes the entry's, so set-up does not sign in twice), its forms,
options and unique id (server and uid), and what removing it does (sign
the session out, forget the stored state).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from ...api import TelemetryHubError, TelemetryHubProtocolError
from ...api.rustech import DEFAULT_URL, RusTechClient, RusTechToken, server_key
from ...api.urls import normalize_url
from ...const import CONF_TOKEN, CONF_VENDOR, DOMAIN, LOGGER
from ...coordinator import TelemetryHubConfigEntry
from ...vendor import HISTORY_DAYS, CheckedAccount, VendorDescriptor
from .const import OFFLINE_AFTER, UPDATE_INTERVAL, VENDOR
from .coordinator import RusTechCoordinator
from .support import session_issue_id

_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_EMAIL = TextSelector(
    TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
)
_PASSWORD = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
SCHEMA = vol.Schema(
    {
        vol.Required(CONF_URL, default=DEFAULT_URL): _URL,
        vol.Required(CONF_EMAIL): _EMAIL,
        vol.Required(CONF_PASSWORD): _PASSWORD,
    }
)
REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD})


class RusTechVendor(VendorDescriptor):
    """The RusTech "Universal data collection server" (UZTGS and others)."""

    key = VENDOR
    manufacturer = "RusTech"
    order = 10
    redact = frozenset({"client", "uid", "contact_number", "inn"})
    options = (UPDATE_INTERVAL, OFFLINE_AFTER, HISTORY_DAYS)

    def schema(self) -> vol.Schema:
        """Server address, email and password."""
        return SCHEMA

    def reauth_schema(self) -> vol.Schema:
        """Only the password: the account and server stay the same."""
        return REAUTH_SCHEMA

    def suggested(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Prefill the address and email; a password is never sent back."""
        return {k: v for k, v in values.items() if k in (CONF_URL, CONF_EMAIL)}

    def placeholders(self, entry: TelemetryHubConfigEntry | None) -> dict[str, str]:
        """The documented server; for reauth, whose password failed where."""
        placeholders = {"default_url": DEFAULT_URL}
        if entry is not None:
            placeholders[CONF_EMAIL] = entry.data[CONF_EMAIL]
            placeholders[CONF_URL] = entry.data[CONF_URL]
        return placeholders

    def url_field(self) -> str:
        """An answer that is not the API blames the server address."""
        return CONF_URL

    async def async_check(
        self, hass: HomeAssistant, user_input: Mapping[str, Any]
    ) -> CheckedAccount:
        """Sign in and read one stations page; return the entry to create.

        Raises ValueError for an address that is not a URL and the api
        package's exceptions for everything the server says.
        """
        url = normalize_url(user_input[CONF_URL])
        email = user_input[CONF_EMAIL].strip()
        client = RusTechClient(
            async_get_clientsession(hass), url, email, user_input[CONF_PASSWORD]
        )
        user = await client.sign_in()
        try:
            await client.stations_page(1, per_page=1)
        except TelemetryHubProtocolError as err:
            await _async_sign_out_quietly(client)
            # It signed in, so the address is the API: an odd answer after
            # that is unexpected, not a wrong address.
            msg = f"the stations list after signing in: {err}"
            raise TelemetryHubError(msg) from err
        except BaseException:
            # Whatever failed after signing in: free the session slot it took.
            await _async_sign_out_quietly(client)
            raise
        token = client.token
        assert token is not None  # noqa: S101 - sign_in succeeded
        return CheckedAccount(
            unique_id=f"{server_key(url)}:{user.uid.casefold()}",
            # The email, not the server's display name: two accounts on one
            # server must not look alike.
            title=f"{email} ({urlsplit(url).netloc})",
            data={
                CONF_VENDOR: VENDOR,
                CONF_URL: url,
                CONF_EMAIL: email,
                CONF_PASSWORD: user_input[CONF_PASSWORD],
                CONF_TOKEN: token.as_dict(),
            },
            discard=partial(_async_sign_out_quietly, client),
        )

    def create_coordinator(
        self, hass: HomeAssistant, entry: TelemetryHubConfigEntry
    ) -> RusTechCoordinator:
        """A coordinator whose client starts from the entry's stored session."""
        client = RusTechClient(
            async_get_clientsession(hass),
            entry.data[CONF_URL],
            entry.data[CONF_EMAIL],
            entry.data[CONF_PASSWORD],
            token=RusTechToken.from_dict(entry.data.get(CONF_TOKEN)),
            on_token_change=partial(_async_store_token, hass, entry),
        )
        return RusTechCoordinator(hass, entry, self, client)

    async def async_remove_entry(
        self, hass: HomeAssistant, entry: TelemetryHubConfigEntry
    ) -> None:
        """Sign the entry's session out (best effort) and forget its state."""
        client = RusTechClient(
            async_get_clientsession(hass),
            entry.data[CONF_URL],
            entry.data[CONF_EMAIL],
            entry.data[CONF_PASSWORD],
            token=RusTechToken.from_dict(entry.data.get(CONF_TOKEN)),
        )
        await _async_sign_out_quietly(client)
        await super().async_remove_entry(hass, entry)
        ir.async_delete_issue(hass, DOMAIN, session_issue_id(entry.entry_id))


@callback
def _async_store_token(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry, token: RusTechToken | None
) -> None:
    """Persist a rotated token the moment the client sees it."""
    stored = token.as_dict() if token else None
    if entry.data.get(CONF_TOKEN) != stored:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_TOKEN: stored}
        )


async def _async_sign_out_quietly(client: RusTechClient) -> None:
    """Sign out; a failure only means the session expires on its own."""
    try:
        await client.sign_out()
    except TelemetryHubError as err:
        LOGGER.debug("Could not sign out of %s: %s", client.url, err)
