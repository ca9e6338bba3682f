"""The base of every account coordinator.

One coordinator per config entry (account) owns the vendor client, polls it,
translates the client's exceptions into Home Assistant's, and tells the
platforms which devices and entities exist. Vendors subclass it and fill in
`_async_fetch` and the entity plumbing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
import inspect
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubError,
    TelemetryHubRateLimitError,
)
from .const import DOMAIN, LOGGER

type TelemetryHubConfigEntry = ConfigEntry[TelemetryHubCoordinator[Any]]

# Home Assistant 2025.10 added UpdateFailed(retry_after=...): a quota answer
# then delays the next poll instead of retrying at the usual interval.
_SUPPORTS_RETRY_AFTER = "retry_after" in inspect.signature(UpdateFailed).parameters
# Home Assistant 2026.8 gave every device a single config entry: identifiers
# are unique per entry only, and a device is removed rather than detached.
_ONE_ENTRY_PER_DEVICE = hasattr(dr.DeviceRegistry, "async_get_device_by_identifier")


def update_failed(
    translation_key: str, err: Exception, *, retry_after: float | None = None
) -> UpdateFailed:
    """Build a translated UpdateFailed, with retry_after where supported."""
    extra: dict[str, Any] = {}
    if retry_after is not None and _SUPPORTS_RETRY_AFTER:
        extra["retry_after"] = retry_after
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders={"error": str(err)},
        **extra,
    )


class TelemetryHubCoordinator[DataT](DataUpdateCoordinator[DataT], ABC):
    """Poll one vendor account and describe its devices and entities."""

    config_entry: TelemetryHubConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TelemetryHubConfigEntry,
        *,
        update_interval: timedelta,
    ) -> None:
        """Set up polling of one account."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=update_interval,
        )
        assert entry.unique_id is not None  # noqa: S101 - set by the config flow
        self.id_prefix: str = entry.unique_id

    async def _async_update_data(self) -> DataT:
        """Fetch through the vendor and translate its errors."""
        try:
            return await self._async_fetch()
        except TelemetryHubAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        except TelemetryHubRateLimitError as err:
            raise update_failed(
                "rate_limited", err, retry_after=err.retry_after
            ) from err
        except TelemetryHubConnectionError as err:
            raise update_failed("cannot_connect", err) from err
        except TelemetryHubError as err:
            raise update_failed("invalid_response", err) from err

    @abstractmethod
    async def _async_fetch(self) -> DataT:
        """Fetch the account's data; raise the api package's exceptions."""

    @abstractmethod
    @callback
    def apply_options(self, options: Mapping[str, Any]) -> None:
        """Apply options the user just saved, without a reload."""

    # ------------------------------------------------------------------
    # What the platforms ask

    @abstractmethod
    def descriptions(
        self, platform: Platform
    ) -> Iterable[tuple[str, EntityDescription]]:
        """Return (device key, description) of every entity of a platform."""

    @abstractmethod
    def device_keys(self) -> Iterable[str]:
        """The keys of the devices the account has now."""

    @abstractmethod
    def device_info(self, device_key: str) -> DeviceInfo:
        """Describe the device a key stands for."""

    @abstractmethod
    def device_data(self, device_key: str) -> Any | None:
        """Return a device's part of the data; None if it is gone."""

    @abstractmethod
    def diagnostics(self) -> dict[str, Any]:
        """The account's state for a diagnostics download (unredacted)."""

    @abstractmethod
    def device_diagnostics(self, device_key: str) -> dict[str, Any]:
        """One device's state for a diagnostics download (unredacted)."""

    def device_identifier(self, device_key: str) -> str:
        """The device registry identifier of a device key."""
        return f"{self.id_prefix}_{device_key}"

    def entity_unique_id(self, device_key: str, entity_key: str) -> str:
        """The unique id of one entity of one device."""
        return f"{self.id_prefix}_{device_key}_{entity_key}"

    def is_entity_enabled(
        self, platform: Platform, device_key: str, description: EntityDescription
    ) -> bool:
        """Whether an entity is (or, not registered yet, will be) enabled."""
        registry = er.async_get(self.hass)
        entity_id = registry.async_get_entity_id(
            platform, DOMAIN, self.entity_unique_id(device_key, description.key)
        )
        if entity_id is None:
            return description.entity_registry_enabled_default
        entry = registry.async_get(entity_id)
        return entry is not None and entry.disabled_by is None

    @callback
    def refresh_devices(self, device_keys: Iterable[str]) -> None:
        """Bring the registry's name, model and serial of devices up to date."""
        registry = dr.async_get(self.hass)
        for device_key, device in self._registered(registry, device_keys):
            info = self.device_info(device_key)
            changes: dict[str, Any] = {
                key: info.get(key)
                for key in ("name", "model", "serial_number")
                if getattr(device, key) != info.get(key)
            }
            if changes:
                registry.async_update_device(device.id, **changes)

    @callback
    def remove_devices(self, device_keys: Iterable[str]) -> None:
        """Detach devices that disappeared upstream from this entry."""
        registry = dr.async_get(self.hass)
        for _device_key, device in self._registered(registry, device_keys):
            LOGGER.info("Removing %s: it is gone from the account", device.name)
            if _ONE_ENTRY_PER_DEVICE:
                registry.async_remove_device(device.id)
            else:
                registry.async_update_device(
                    device.id, remove_config_entry_id=self.config_entry.entry_id
                )

    def _registered(
        self, registry: dr.DeviceRegistry, device_keys: Iterable[str]
    ) -> Iterator[tuple[str, dr.DeviceEntry]]:
        """The registered devices of these keys (unregistered ones skipped)."""
        for device_key in device_keys:
            device = find_device(
                registry,
                (DOMAIN, self.device_identifier(device_key)),
                self.config_entry.entry_id,
            )
            if device is not None:
                yield device_key, device


def find_device(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], entry_id: str
) -> dr.DeviceEntry | None:
    """A config entry's device with an identifier, on every supported version.

    `async_get_device` is deprecated from 2026.8; older versions lack its
    replacement.
    """
    if hasattr(registry, "async_get_device_by_identifier"):  # 2026.8+
        device: dr.DeviceEntry | None = registry.async_get_device_by_identifier(
            identifier, entry_id
        )
        return device
    return registry.async_get_device(identifiers={identifier})
