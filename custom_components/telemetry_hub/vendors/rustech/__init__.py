"""RusTech gas-telemetry server: the vendor glue of the integration.

Everything RusTech-specific on the Home Assistant side starts here: how a
config entry becomes a client and a coordinator, how the config flow checks
an account, and what removing an entry does (sign out).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store

from ...api import TelemetryHubError
from ...api.http import normalize_url
from ...api.rustech import RusTechClient, RusTechToken, server_key
from ...const import (
    CONF_TOKEN,
    CONF_VENDOR,
    DOMAIN,
    LOGGER,
    STORAGE_VERSION,
    VENDOR_RUSTECH,
)
from ...coordinator import TelemetryHubConfigEntry
from .coordinator import RusTechCoordinator, session_issue_id, store_key

__all__ = [
    "RusTechAccount",
    "RusTechCoordinator",
    "async_create_coordinator",
    "async_remove_account",
    "async_validate_account",
]


@dataclass(slots=True)
class RusTechAccount:
    """An account the config flow has signed in to."""

    unique_id: str
    title: str
    data: dict[str, Any]
    client: RusTechClient

    async def async_discard(self) -> None:
        """End the session the check opened (the account is not kept)."""
        await _async_sign_out_quietly(self.client)


async def async_validate_account(
    hass: HomeAssistant, url: str, email: str, password: str
) -> RusTechAccount:
    """Sign in and read one stations page; return the entry to create.

    Raises ValueError for an address that is not a URL and the api
    package's exceptions for everything the server says. The session
    opened here becomes the entry's session, so setting up does not sign
    in a second time.
    """
    url = normalize_url(url)
    client = RusTechClient(async_get_clientsession(hass), url, email.strip(), password)
    user = await client.sign_in()
    try:
        await client.stations_page(1, per_page=1)
    except TelemetryHubError:
        # The check failed after signing in: free the session slot it took.
        await _async_sign_out_quietly(client)
        raise
    token = client.token
    assert token is not None  # noqa: S101 - sign_in succeeded
    host = urlsplit(url).netloc
    return RusTechAccount(
        unique_id=f"{server_key(url)}:{user.uid.casefold()}",
        title=f"{user.name or email.strip()} ({host})",
        data={
            CONF_VENDOR: VENDOR_RUSTECH,
            CONF_URL: url,
            CONF_EMAIL: email.strip(),
            CONF_PASSWORD: password,
            CONF_TOKEN: token.as_dict(),
        },
        client=client,
    )


def _client_for_entry(hass: HomeAssistant, entry: ConfigEntry) -> RusTechClient:
    """A client that starts from the entry's stored session."""
    return RusTechClient(
        async_get_clientsession(hass),
        entry.data[CONF_URL],
        entry.data[CONF_EMAIL],
        entry.data[CONF_PASSWORD],
        token=RusTechToken.from_dict(entry.data.get(CONF_TOKEN)),
        on_token_change=partial(_async_store_token, hass, entry),
    )


@callback
def _async_store_token(
    hass: HomeAssistant, entry: ConfigEntry, token: RusTechToken | None
) -> None:
    """Persist a rotated token the moment the client sees it."""
    stored = token.as_dict() if token else None
    if entry.data.get(CONF_TOKEN) != stored:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_TOKEN: stored}
        )


def async_create_coordinator(
    hass: HomeAssistant, entry: TelemetryHubConfigEntry
) -> RusTechCoordinator:
    """The coordinator of a RusTech entry."""
    return RusTechCoordinator(hass, entry, _client_for_entry(hass, entry))


async def async_remove_account(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Sign the entry's session out (best effort) and forget its state."""
    client = RusTechClient(
        async_get_clientsession(hass),
        entry.data[CONF_URL],
        entry.data[CONF_EMAIL],
        entry.data[CONF_PASSWORD],
        token=RusTechToken.from_dict(entry.data.get(CONF_TOKEN)),
    )
    await _async_sign_out_quietly(client)
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, store_key(entry.entry_id)
    ).async_remove()
    ir.async_delete_issue(hass, DOMAIN, session_issue_id(entry.entry_id))


async def _async_sign_out_quietly(client: RusTechClient) -> None:
    """Sign out; a failure only means the session expires on its own."""
    try:
        await client.sign_out()
    except TelemetryHubError as err:
        LOGGER.debug("Could not sign out of %s: %s", client.url, err)
