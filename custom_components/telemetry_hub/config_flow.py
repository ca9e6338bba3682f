"""Config flow: one entry per vendor account.

The first step picks the vendor; each vendor then asks for its credentials
and proves them against the real server before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, CONF_URL
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import (
    TelemetryHubAccountLockedError,
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
)
from .api.rustech import DEFAULT_URL
from .const import (
    CONF_OFFLINE_AFTER,
    CONF_UPDATE_INTERVAL,
    DEFAULT_OFFLINE_AFTER,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_OFFLINE_AFTER,
    MAX_UPDATE_INTERVAL,
    MIN_OFFLINE_AFTER,
    MIN_UPDATE_INTERVAL,
    VENDOR_RUSTECH,
)
from .vendors.rustech import RusTechAccount, async_validate_account

_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_EMAIL = TextSelector(
    TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
)
_PASSWORD = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)

RUSTECH_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_URL, default=DEFAULT_URL): _URL,
        vol.Required(CONF_EMAIL): _EMAIL,
        vol.Required(CONF_PASSWORD): _PASSWORD,
    }
)
REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD})


def _number(minimum: int, maximum: int, unit: str) -> vol.All:
    return vol.All(
        NumberSelector(
            NumberSelectorConfig(
                min=minimum,
                max=maximum,
                step=1,
                unit_of_measurement=unit,
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Coerce(int),
    )


OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_UPDATE_INTERVAL, default=DEFAULT_UPDATE_INTERVAL): _number(
            MIN_UPDATE_INTERVAL, MAX_UPDATE_INTERVAL, "min"
        ),
        vol.Required(CONF_OFFLINE_AFTER, default=DEFAULT_OFFLINE_AFTER): _number(
            MIN_OFFLINE_AFTER, MAX_OFFLINE_AFTER, "h"
        ),
    }
)


# What a failed check tells the user, most specific exception first.
_CHECK_ERRORS: tuple[tuple[type[Exception], str, str], ...] = (
    (ValueError, CONF_URL, "invalid_url"),
    (TelemetryHubAccountLockedError, "base", "account_locked"),
    (TelemetryHubAuthError, "base", "invalid_auth"),
    (TelemetryHubConnectionError, "base", "cannot_connect"),
    (TelemetryHubRateLimitError, "base", "cannot_connect"),
    # The server answered, but not as this API does: probably the wrong URL.
    (TelemetryHubProtocolError, CONF_URL, "invalid_url"),
)


async def _async_check(
    flow: ConfigFlow, user_input: Mapping[str, Any]
) -> tuple[RusTechAccount | None, dict[str, str]]:
    """Sign in with the given credentials; return the account or errors."""
    try:
        account = await async_validate_account(
            flow.hass,
            user_input[CONF_URL],
            user_input[CONF_EMAIL],
            user_input[CONF_PASSWORD],
        )
    except (ValueError, TelemetryHubError) as err:
        for kind, field, error in _CHECK_ERRORS:
            if isinstance(err, kind):
                LOGGER.debug("Account check failed (%s): %s", error, err)
                return None, {field: error}
        LOGGER.exception("Unexpected answer while checking the account")
        return None, {"base": "unknown"}
    return account, {}


class TelemetryHubConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a vendor account."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the vendor."""
        return self.async_show_menu(step_id="user", menu_options=[VENDOR_RUSTECH])

    async def async_step_rustech(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server address, email and password of a RusTech account."""
        errors: dict[str, str] = {}
        if user_input is not None:
            account, errors = await _async_check(self, user_input)
            if account is not None:
                await self.async_set_unique_id(account.unique_id)
                if self.hass.config_entries.async_entry_for_domain_unique_id(
                    DOMAIN, account.unique_id
                ):
                    await account.async_discard()
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=account.title, data=account.data)
        return self.async_show_form(
            step_id="rustech",
            data_schema=self.add_suggested_values_to_schema(
                RUSTECH_SCHEMA, _without_password(user_input)
            ),
            errors=errors,
            description_placeholders={"default_url": DEFAULT_URL},
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The stored credentials stopped working."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the account's new password."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            account, errors = await _async_check(self, {**entry.data, **user_input})
            if account is not None:
                return await self._async_update_entry(entry, account)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={
                CONF_EMAIL: entry.data[CONF_EMAIL],
                CONF_URL: entry.data[CONF_URL],
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server address, email or password of the account."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            account, errors = await _async_check(self, user_input)
            if account is not None:
                return await self._async_update_entry(entry, account)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RUSTECH_SCHEMA, _without_password(user_input or entry.data)
            ),
            errors=errors,
            description_placeholders={"default_url": DEFAULT_URL},
        )

    async def _async_update_entry(
        self, entry: ConfigEntry, account: RusTechAccount
    ) -> ConfigFlowResult:
        """Store a checked account in an existing entry, if it is the same one."""
        await self.async_set_unique_id(account.unique_id)
        if entry.unique_id != account.unique_id:
            await account.async_discard()
        self._abort_if_unique_id_mismatch(reason="wrong_account")
        return self.async_update_reload_and_abort(
            entry, title=account.title, data_updates=account.data
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> TelemetryHubOptionsFlow:
        """How often to poll, and when a station counts as offline."""
        return TelemetryHubOptionsFlow()


class TelemetryHubOptionsFlow(OptionsFlow):
    """Options of an account; applied without a reload."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            # A running account takes them at once; otherwise its next set-up
            # reads them from the entry.
            if self.config_entry.state is ConfigEntryState.LOADED:
                self.config_entry.runtime_data.apply_options(user_input)
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, self.config_entry.options
            ),
        )


def _without_password(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Values to prefill a form with; a password is never sent back."""
    return {k: v for k, v in (values or {}).items() if k in (CONF_URL, CONF_EMAIL)}
