"""The vendor seam: what one vendor brings to the generic integration.

Every vendor package under `vendors/` exposes one `VendorDescriptor` as
`DESCRIPTOR`. The config flow, set-up, removal and diagnostics read
everything vendor-specific from it (forms, the credential check, the unique
id, options with the vendor's own bounds, the coordinator, the removal hook,
what diagnostics redact), so adding a vendor adds a folder and edits no
shared file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api.urls import normalize_url
from .const import (
    CONF_ADVANCED,
    CONF_HISTORY_DAYS,
    CONF_TOKEN,
    DEFAULT_HISTORY_DAYS,
    MAX_HISTORY_DAYS,
)
from .store import EntryStore

if TYPE_CHECKING:
    from .coordinator import TelemetryHubConfigEntry, TelemetryHubCoordinator


async def _nothing() -> None:
    """Nothing to free."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedAccount:
    """Credentials the config flow proved against the real server."""

    unique_id: str
    """Stable for the account (never a token, which a renewal replaces)."""
    title: str
    data: dict[str, Any] = field(repr=False)
    """The entry data to store (holds secrets: never in a repr)."""
    discard: Callable[[], Awaitable[None]] = _nothing
    """Free what the check opened (a server session) if it is not kept."""


@dataclass(frozen=True, slots=True)
class OptionRange:
    """An option's bounds, checked by the options form with a clear error."""

    key: str
    default: int
    minimum: int
    maximum: int
    unit: str

    def field(self) -> tuple[vol.Required, Any]:
        """The schema entry: a number box without its own bound checks.

        The selector's own min/max would answer an out-of-range value with
        Home Assistant's bare "Value 2.0 is too small"; the form checks the
        bounds itself (`out_of_range`) and names them instead.
        """
        selector = NumberSelector(
            NumberSelectorConfig(
                step=1, unit_of_measurement=self.unit, mode=NumberSelectorMode.BOX
            )
        )
        return vol.Required(self.key, default=self.default), vol.All(
            selector, vol.Coerce(int)
        )

    def value(self, options: Mapping[str, Any]) -> int:
        """The option's value in an entry's options (default when unset)."""
        value = options.get(self.key, self.default)
        return value if isinstance(value, int) else self.default

    def placeholders(self) -> dict[str, str]:
        """The bounds, for the field's description and the error text."""
        return {
            f"{self.key}_min": str(self.minimum),
            f"{self.key}_max": str(self.maximum),
        }


HISTORY_DAYS = OptionRange(
    CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS, 0, MAX_HISTORY_DAYS, "d"
)
"""The history window every vendor with history offers (days imported at
first set-up into long-term statistics)."""


class VendorDescriptor(ABC):
    """Everything vendor-specific the generic integration needs."""

    key: str
    """Menu option, step id and `vendor` value in the entry data."""
    manufacturer: str
    """Shown on every device of the vendor."""
    order: int = 100
    """Position in the vendor menu."""
    redact: frozenset[str] = frozenset()
    """Keys diagnostics redact, beyond the shared ones."""
    options: tuple[OptionRange, ...] = ()
    check_errors: tuple[tuple[type[Exception], str, str], ...] = ()
    """(exception, form field, error key) the vendor's check raises beyond
    the shared ones, looked at first."""

    # ------------------------------------------------------------------
    # Config flow

    @abstractmethod
    def schema(self) -> vol.Schema:
        """The form that adds (and reconfigures) an account."""

    def reauth_schema(self) -> vol.Schema:
        """The form that asks for new credentials; by default the full one."""
        return self.schema()

    def suggested(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values to prefill a form with; secrets are never sent back."""
        return {}

    def placeholders(self, entry: TelemetryHubConfigEntry | None) -> dict[str, str]:
        """Description placeholders of the vendor's forms."""
        return {}

    @abstractmethod
    async def async_check(
        self, hass: HomeAssistant, user_input: Mapping[str, Any]
    ) -> CheckedAccount:
        """Prove credentials against the server; raise ValueError or our errors.

        For reauth the input is the entry's data updated with the form's.
        """

    def url_field(self) -> str | None:
        """The form field an answer that is not this API blames (a URL)."""
        return None

    # ------------------------------------------------------------------
    # Options

    def options_schema(self, entry: TelemetryHubConfigEntry) -> vol.Schema:
        """The options form of an entry (the entry may fill its choices)."""
        return vol.Schema(dict(option.field() for option in self.options))

    def options_placeholders(self, entry: TelemetryHubConfigEntry) -> dict[str, str]:
        """The bounds of every option, for the form's texts and errors."""
        merged: dict[str, str] = {}
        for option in self.options:
            merged.update(option.placeholders())
        return merged

    async def async_check_options(
        self,
        hass: HomeAssistant,
        entry: TelemetryHubConfigEntry,
        options: dict[str, Any],
    ) -> dict[str, str]:
        """Errors of submitted options, by field (the bounds by default)."""
        return {
            option.key: "out_of_range"
            for option in self.options
            if not option.minimum <= options[option.key] <= option.maximum
        }

    # ------------------------------------------------------------------
    # Life cycle

    @abstractmethod
    def create_coordinator(
        self, hass: HomeAssistant, entry: TelemetryHubConfigEntry
    ) -> TelemetryHubCoordinator[Any]:
        """The coordinator of one of the vendor's entries."""

    @callback  # noqa: B027 - optional hook: most vendors have no actions
    def async_register_actions(self, hass: HomeAssistant) -> None:
        """Register the vendor's actions (once, when the integration loads)."""

    async def async_remove_entry(
        self, hass: HomeAssistant, entry: TelemetryHubConfigEntry
    ) -> None:
        """Forget what the entry stored; vendors add their own clean-up."""
        await EntryStore(hass, entry.entry_id).async_remove()


_TOKEN = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


class TokenVendor(VendorDescriptor):
    """A vendor whose account is reached with a static token.

    The form asks for the token, with the API address in a collapsed
    "advanced" section (most users keep the default); reauth asks for the
    token alone. The token is never sent back into a form.
    """

    default_url: str

    def schema(self) -> vol.Schema:
        """The token; the API address in an advanced section."""
        return vol.Schema(
            {
                vol.Required(CONF_TOKEN): _TOKEN,
                vol.Required(CONF_ADVANCED): section(
                    vol.Schema(
                        {vol.Required(CONF_URL, default=self.default_url): _URL}
                    ),
                    {"collapsed": True},
                ),
            }
        )

    def reauth_schema(self) -> vol.Schema:
        """Only the token: a renewed one for the same account."""
        return vol.Schema({vol.Required(CONF_TOKEN): _TOKEN})

    def suggested(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Prefill the address; the token is never sent back."""
        url = values.get(CONF_URL) or values.get(CONF_ADVANCED, {}).get(CONF_URL)
        return {CONF_ADVANCED: {CONF_URL: url}} if url else {}

    def placeholders(self, entry: TelemetryHubConfigEntry | None) -> dict[str, str]:
        """The default address; for reauth, which account."""
        placeholders = {"default_url": self.default_url}
        if entry is not None:
            placeholders["title"] = entry.title
        return placeholders

    def url_field(self) -> str:
        """An answer that is not the API: the address is in a section."""
        return "base"

    def token_and_url(self, user_input: Mapping[str, Any]) -> tuple[str, str]:
        """The stripped token and the normalised address of a form's input.

        An entry's data (reauth) holds the address at the top level.
        """
        advanced = user_input.get(CONF_ADVANCED) or {}
        url = normalize_url(
            advanced.get(CONF_URL) or user_input.get(CONF_URL) or self.default_url
        )
        return str(user_input[CONF_TOKEN]).strip(), url
