"""Config flow: one entry per vendor account.

The first step picks the vendor; the vendor's own form (step id = vendor
key) then asks for its credentials, which are proved against the real
server before anything is stored. Reauth, reconfigure and options use the
vendor's forms too (`reauth_<vendor>`, `reconfigure_<vendor>`, options step
`<vendor>`), so every vendor has its own texts. Nothing here names a vendor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import callback

from .api import (
    TelemetryHubAccountLockedError,
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
)
from .const import DOMAIN, LOGGER
from .coordinator import TelemetryHubConfigEntry
from .vendor import CheckedAccount, VendorDescriptor
from .vendors import VENDORS, vendor_of

type StepHandler = Callable[[dict[str, Any] | None], Awaitable[ConfigFlowResult]]

_URL_FIELD = "url"
"""Stands for the vendor's URL field in the table below."""
# What a failed check tells the user, most specific exception first.
_CHECK_ERRORS: tuple[tuple[type[Exception], str, str], ...] = (
    (ValueError, _URL_FIELD, "invalid_url"),
    (TelemetryHubAccountLockedError, "base", "account_locked"),
    (TelemetryHubAuthError, "base", "invalid_auth"),
    (TelemetryHubConnectionError, "base", "cannot_connect"),
    (TelemetryHubRateLimitError, "base", "rate_limited"),
    # The server answered, but not as this API does: probably the wrong URL.
    (TelemetryHubProtocolError, _URL_FIELD, "invalid_url"),
    (TelemetryHubError, "base", "unknown"),
)


async def _async_check(
    flow: ConfigFlow, vendor: VendorDescriptor, user_input: Mapping[str, Any]
) -> tuple[CheckedAccount | None, dict[str, str]]:
    """Prove the credentials; return the account, or the form's errors."""
    try:
        account = await vendor.async_check(flow.hass, user_input)
    except (ValueError, TelemetryHubError) as err:
        field, error = next(
            (field, error)
            for kind, field, error in (*vendor.check_errors, *_CHECK_ERRORS)
            if isinstance(err, kind)
        )
        if field == _URL_FIELD:
            field = vendor.url_field() or "base"
        LOGGER.debug("Account check failed (%s): %s", error, err)
        return None, {field: error}
    except Exception:  # noqa: BLE001 - a crashed flow would lose the form
        LOGGER.exception("Unexpected error while checking the account")
        return None, {"base": "unknown"}
    return account, {}


def _vendor_step(name: str) -> tuple[str, VendorDescriptor] | None:
    """Split a vendor step method name: ("", v), ("reauth", v), ("reconfigure", v)."""
    step = name.removeprefix("async_step_")
    if step == name:
        return None
    for kind in ("reauth_", "reconfigure_", ""):
        if step.startswith(kind) and (vendor := VENDORS.get(step.removeprefix(kind))):
            return kind.rstrip("_"), vendor
    return None


class TelemetryHubConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a vendor account."""

    VERSION = 1

    def __getattr__(self, name: str) -> StepHandler:
        """The vendor steps: `async_step_<vendor>` and its reauth/reconfigure."""
        match _vendor_step(name):
            case ("", vendor):
                return partial(self._async_step_vendor, vendor)
            case ("reauth", vendor):
                return partial(self._async_step_reauth_vendor, vendor)
            case ("reconfigure", vendor):
                return partial(self._async_step_reconfigure_vendor, vendor)
        raise AttributeError(name)

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the vendor."""
        return self.async_show_menu(step_id="user", menu_options=list(VENDORS))

    async def _async_step_vendor(
        self, vendor: VendorDescriptor, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for an account's credentials and prove them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            account, errors = await _async_check(self, vendor, user_input)
            if account is not None:
                await self.async_set_unique_id(account.unique_id)
                if self.hass.config_entries.async_entry_for_domain_unique_id(
                    DOMAIN, account.unique_id
                ):
                    await account.discard()
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=account.title, data=account.data)
        return self.async_show_form(
            step_id=vendor.key,
            data_schema=self.add_suggested_values_to_schema(
                vendor.schema(), vendor.suggested(user_input or {})
            ),
            errors=errors,
            description_placeholders=vendor.placeholders(None),
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The stored credentials stopped working."""
        return await self._async_step_reauth_vendor(vendor_of(entry_data))

    async def _async_step_reauth_vendor(
        self, vendor: VendorDescriptor, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the account's new credentials."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            checked, errors = await _async_check(
                self, vendor, {**entry.data, **user_input}
            )
            if checked is not None:
                return await self._async_update_entry(entry, checked)
        return self.async_show_form(
            step_id=f"reauth_{vendor.key}",
            data_schema=vendor.reauth_schema(),
            errors=errors,
            description_placeholders=vendor.placeholders(entry),
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the connection of an account."""
        entry = self._get_reconfigure_entry()
        return await self._async_step_reconfigure_vendor(vendor_of(entry.data))

    async def _async_step_reconfigure_vendor(
        self, vendor: VendorDescriptor, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the account's new connection and prove it."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            checked, errors = await _async_check(self, vendor, user_input)
            if checked is not None:
                return await self._async_update_entry(entry, checked)
        return self.async_show_form(
            step_id=f"reconfigure_{vendor.key}",
            data_schema=self.add_suggested_values_to_schema(
                vendor.schema(), vendor.suggested(user_input or entry.data)
            ),
            errors=errors,
            description_placeholders=vendor.placeholders(entry),
        )

    async def _async_update_entry(
        self, entry: TelemetryHubConfigEntry, account: CheckedAccount
    ) -> ConfigFlowResult:
        """Store a checked account in an existing entry, if it is the same one."""
        await self.async_set_unique_id(account.unique_id)
        if entry.unique_id != account.unique_id:
            await account.discard()
        self._abort_if_unique_id_mismatch(reason="wrong_account")
        return self.async_update_reload_and_abort(
            entry, title=account.title, data_updates=account.data
        )

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: TelemetryHubConfigEntry,
    ) -> TelemetryHubOptionsFlow:
        """The options of an account (the vendor's own)."""
        return TelemetryHubOptionsFlow()


class TelemetryHubOptionsFlow(OptionsFlow):
    """Options of an account, checked by its vendor; applied without a reload."""

    config_entry: TelemetryHubConfigEntry

    def __getattr__(self, name: str) -> StepHandler:
        """The vendor's options step, `async_step_<vendor>`."""
        match _vendor_step(name):
            case ("", vendor):
                return partial(self._async_step_vendor, vendor)
        raise AttributeError(name)

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the entry's vendor options."""
        return await self._async_step_vendor(vendor_of(self.config_entry.data))

    async def _async_step_vendor(
        self, vendor: VendorDescriptor, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show, check and save the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await vendor.async_check_options(
                self.hass, self.config_entry, user_input
            )
            if not errors:
                # A running account takes them at once; otherwise its next
                # set-up reads them from the entry.
                if self.config_entry.state is ConfigEntryState.LOADED:
                    self.config_entry.runtime_data.apply_options(user_input)
                return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id=vendor.key,
            data_schema=self.add_suggested_values_to_schema(
                vendor.options_schema(self.config_entry),
                user_input or self.config_entry.options,
            ),
            errors=errors,
            description_placeholders=vendor.options_placeholders(self.config_entry),
        )
