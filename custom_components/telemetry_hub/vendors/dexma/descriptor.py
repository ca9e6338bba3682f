"""DEXMA Energy Manager as a Telemetry Hub vendor.

An account is reached with a token from DEXMA's "Access Token App". The
check makes one cheap call, then lists the locations (and the devices when
there is no location). The unique id is the API host and the anchor: the
lowest location id (`location:<id>`), or the lowest device id
(`device:<id>`) for an account without locations; never the token, which a
renewal replaces. A reauth or reconfigure is the same account as long as
the new token still sees the anchor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ...api import TelemetryHubError, TelemetryHubProtocolError
from ...api.dexma import DEFAULT_URL, DexmaClient, QuotaTracker
from ...const import CONF_TOKEN, CONF_VENDOR, DOMAIN
from ...coordinator import TelemetryHubConfigEntry
from ...vendor import CheckedAccount, TokenVendor
from .const import CONF_ANCHOR, CONF_DEVICES, MANUFACTURER, VENDOR
from .coordinator import DexmaCoordinator, stretched_issue_id
from .options import OPTIONS, options_schema, plan_placeholders, settings_from


def _now() -> float:
    """UNIX seconds, on Home Assistant's clock (the quota windows follow it)."""
    return dt_util.utcnow().timestamp()


class NoDevicesError(TelemetryHubError):
    """The token works, but the account has no location and no device."""


class DexmaVendor(TokenVendor):
    """DEXMA Energy Manager: a portfolio of buildings and their meters."""

    key = VENDOR
    default_url = DEFAULT_URL
    manufacturer = MANUFACTURER
    order = 30
    options = OPTIONS
    check_errors = (
        (NoDevicesError, "base", "dexma_no_devices"),
        (ValueError, "base", "dexma_invalid_url"),
        (TelemetryHubProtocolError, "base", "dexma_invalid_url"),
    )

    async def async_check(
        self, hass: HomeAssistant, user_input: Mapping[str, Any]
    ) -> CheckedAccount:
        """Prove the token; find the account's anchor and name."""
        token, url = self.token_and_url(user_input)
        client = DexmaClient(async_get_clientsession(hass), token, base_url=url)
        await client.check()
        locations = sorted(await client.locations(), key=lambda item: item.id)
        stored = str(user_input.get(CONF_ANCHOR) or "")
        candidates = {f"location:{item.id}": item.name for item in locations}
        names = [item.name for item in locations]
        if not locations or stored.startswith("device:"):
            devices = sorted(await client.devices(), key=lambda item: item.id)
            if not locations and not devices:
                msg = "the token works, but the account has no location and no device"
                raise NoDevicesError(msg)
            candidates |= {f"device:{item.id}": item.name for item in devices}
            names = names or [item.name for item in devices]
        anchor = stored if stored in candidates else next(iter(candidates))
        more = len(names) - 1
        title = f"{MANUFACTURER} {names[0]}" + (f" +{more}" if more > 0 else "")
        return CheckedAccount(
            unique_id=f"{urlsplit(url).netloc}:{anchor}",
            title=title,
            data={
                CONF_VENDOR: VENDOR,
                CONF_URL: url,
                CONF_TOKEN: token,
                CONF_ANCHOR: anchor,
            },
        )

    # ------------------------------------------------------------------
    # Options

    def options_schema(self, entry: TelemetryHubConfigEntry) -> vol.Schema:
        """The options form, its choices filled from the account's portfolio."""
        return options_schema(_coordinator(entry))

    def options_placeholders(self, entry: TelemetryHubConfigEntry) -> dict[str, str]:
        """The bounds of every option, and the account's current plan."""
        placeholders = super().options_placeholders(entry)
        coordinator = _coordinator(entry)
        if coordinator is None:
            return placeholders | plan_placeholders(None, (0, 0), 0)
        sync = coordinator.sync
        devices = sum(1 for device_id in sync.state.devices if sync.followed(device_id))
        return placeholders | plan_placeholders(sync.plan, sync.budgets, devices)

    async def async_check_options(
        self,
        hass: HomeAssistant,
        entry: TelemetryHubConfigEntry,
        options: dict[str, Any],
    ) -> dict[str, str]:
        """The bounds; the devices must be the account's own."""
        errors = await super().async_check_options(hass, entry, options)
        coordinator = _coordinator(entry)
        if errors or coordinator is None:
            return errors
        known = coordinator.sync.state.devices
        if not settings_from(options).devices <= set(known):
            return {CONF_DEVICES: "dexma_unknown_device"}
        return {}

    # ------------------------------------------------------------------
    # Life cycle

    def create_coordinator(
        self, hass: HomeAssistant, entry: TelemetryHubConfigEntry
    ) -> DexmaCoordinator:
        """A coordinator whose client reports every answer's quota."""
        tracker = QuotaTracker(share=settings_from(entry.options).share)
        client = DexmaClient(
            async_get_clientsession(hass),
            entry.data[CONF_TOKEN],
            base_url=entry.data[CONF_URL],
            on_quota=tracker.observe,
            clock=_now,
        )
        return DexmaCoordinator(hass, entry, self, client, tracker, clock=_now)

    async def async_remove_entry(
        self, hass: HomeAssistant, entry: TelemetryHubConfigEntry
    ) -> None:
        """Forget the stored state and the entry's repair issue."""
        await super().async_remove_entry(hass, entry)
        ir.async_delete_issue(hass, DOMAIN, stretched_issue_id(entry.entry_id))


def _coordinator(entry: TelemetryHubConfigEntry) -> DexmaCoordinator | None:
    """The running coordinator of a loaded entry, if any."""
    if entry.state is not ConfigEntryState.LOADED:
        return None
    coordinator = entry.runtime_data
    return coordinator if isinstance(coordinator, DexmaCoordinator) else None
