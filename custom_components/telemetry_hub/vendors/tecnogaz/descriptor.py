"""The Tecno-Gaz DISTRO API (steam sterilizers) as a Telemetry Hub vendor.

An account is a distributor contract, reached with its token. The check
lists the contract's sterilizers; the unique id is the API host and one of
those serials (the anchor), never the token, which a renewal replaces: a
reauth or reconfigure with a renewed token is the same contract as long as
it still sees the anchor.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ...api import (
    TelemetryHubAuthError,
    TelemetryHubError,
    TelemetryHubProtocolError,
)
from ...api.ratelimit import RateLimiterRegistry
from ...api.tecnogaz import (
    DEFAULT_URL,
    TecnoGazClient,
    limiter_key,
    shortest_interval,
    within_budget,
)
from ...const import (
    CONF_TOKEN,
    CONF_UPDATE_INTERVAL,
    CONF_VENDOR,
    DOMAIN,
)
from ...coordinator import TelemetryHubConfigEntry
from ...vendor import CheckedAccount, TokenVendor
from .actions import async_register_actions
from .const import (
    CONF_SERIAL,
    ISSUE_CONTRACT_MISMATCH,
    LIMITERS,
    MANUFACTURER,
    UPDATE_INTERVAL,
    VENDOR,
)
from .coordinator import TecnoGazCoordinator

_TITLE_SERIALS = 3


class NoSterilizersError(TelemetryHubError):
    """The token works, but no sterilizer is tied to it."""


def client_for(
    hass: HomeAssistant, token: str, url: str = DEFAULT_URL
) -> TecnoGazClient:
    """A client sharing the token's rate limiter with every other user of it."""
    registry = hass.data.setdefault(LIMITERS, RateLimiterRegistry())
    return TecnoGazClient(
        async_get_clientsession(hass),
        token,
        base_url=url,
        limiter=registry.get(limiter_key(token)),
    )


class TecnoGazVendor(TokenVendor):
    """Tecno-Gaz steam sterilizers (AURA, ONYX) of a distributor contract."""

    key = VENDOR
    default_url = DEFAULT_URL
    manufacturer = MANUFACTURER
    order = 20
    options = (UPDATE_INTERVAL,)
    check_errors = (
        (NoSterilizersError, "base", "no_sterilizers"),
        (ValueError, "base", "tecnogaz_invalid_url"),
        (TelemetryHubProtocolError, "base", "tecnogaz_invalid_url"),
    )

    async def async_check(
        self, hass: HomeAssistant, user_input: Mapping[str, Any]
    ) -> CheckedAccount:
        """List the contract's sterilizers with the token."""
        token, url = self.token_and_url(user_input)
        if not token:
            msg = "an empty token"
            raise TelemetryHubAuthError(msg)
        serials = sorted(s.serial for s in await client_for(hass, token, url).devices())
        if not serials:
            msg = "the token is valid but no sterilizer is tied to it"
            raise NoSterilizersError(msg)
        anchor = user_input.get(CONF_SERIAL)
        if anchor not in serials:
            anchor = serials[0]
        host = urlsplit(url).netloc
        shown = ", ".join(serials[:_TITLE_SERIALS])
        more = len(serials) - _TITLE_SERIALS
        return CheckedAccount(
            unique_id=f"{host}:{anchor}",
            title=f"{MANUFACTURER} {shown}" + (f" +{more}" if more > 0 else ""),
            data={
                CONF_VENDOR: VENDOR,
                CONF_URL: url,
                CONF_TOKEN: token,
                CONF_SERIAL: anchor,
            },
        )

    async def async_check_options(
        self,
        hass: HomeAssistant,
        entry: TelemetryHubConfigEntry,
        options: dict[str, Any],
    ) -> dict[str, str]:
        """The bounds, then the call budget for the contract's sterilizers."""
        errors = await super().async_check_options(hass, entry, options)
        if errors or entry.state is not ConfigEntryState.LOADED:
            return errors
        sterilizers = len(entry.runtime_data.device_keys())
        interval = timedelta(minutes=options[CONF_UPDATE_INTERVAL])
        if not within_budget(sterilizers, interval):
            return {CONF_UPDATE_INTERVAL: "over_budget"}
        return {}

    def options_placeholders(self, entry: TelemetryHubConfigEntry) -> dict[str, str]:
        """The bounds, and the shortest interval the contract's size allows."""
        sterilizers = (
            len(entry.runtime_data.device_keys())
            if entry.state is ConfigEntryState.LOADED
            else 0
        )
        return {
            **super().options_placeholders(entry),
            "sterilizers": str(sterilizers),
            "shortest_interval": _minutes(shortest_interval(sterilizers)),
        }

    def create_coordinator(
        self, hass: HomeAssistant, entry: TelemetryHubConfigEntry
    ) -> TecnoGazCoordinator:
        """A coordinator whose client shares the token's rate limiter."""
        client = client_for(hass, entry.data[CONF_TOKEN], entry.data[CONF_URL])
        return TecnoGazCoordinator(hass, entry, self, client)

    @callback
    def async_register_actions(self, hass: HomeAssistant) -> None:
        """The `get_cycle_report` action."""
        async_register_actions(hass)

    async def async_remove_entry(
        self, hass: HomeAssistant, entry: TelemetryHubConfigEntry
    ) -> None:
        """Forget the stored state and the entry's repair issues."""
        await super().async_remove_entry(hass, entry)
        prefix = f"{ISSUE_CONTRACT_MISMATCH}_{entry.entry_id}_"
        registry = ir.async_get(hass)
        for domain, issue_id in list(registry.issues):
            if domain == DOMAIN and issue_id.startswith(prefix):
                ir.async_delete_issue(hass, DOMAIN, issue_id)


def _minutes(interval: timedelta) -> str:
    """An interval in whole minutes, rounded up (the form's unit)."""
    return str(-(-int(interval.total_seconds()) // 60))
