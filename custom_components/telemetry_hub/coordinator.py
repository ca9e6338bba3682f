"""The base of every account coordinator.

One coordinator per config entry (account) owns the vendor client, polls it,
translates the client's exceptions into Home Assistant's and tells the
platforms which devices and entities exist. What every vendor shares lives
here, once:

* one refresh at a time per account (a scheduled poll and an
  `update_entity` call never interleave);
* the entry's persisted state (`EntryStore`) with the event ledger in it,
  so each event is announced exactly once across restarts;
* device registry upkeep: names, models and firmware kept current, devices
  that left the account removed.

The coordinator data maps a device key to the vendor's view of that device
(a frozen dataclass its entity descriptions read).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import inspect
import itertools
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    TelemetryHubAuthError,
    TelemetryHubConnectionError,
    TelemetryHubError,
    TelemetryHubRateLimitError,
)
from .api.ledger import EventLedger
from .const import CONF_UPDATE_INTERVAL, DOMAIN, LOGGER
from .store import EntryStore, Sections
from .vendor import VendorDescriptor

type TelemetryHubConfigEntry = ConfigEntry[TelemetryHubCoordinator[Any]]

# Home Assistant 2025.10 added UpdateFailed(retry_after=...): a quota answer
# then delays the next poll instead of retrying at the usual interval.
_SUPPORTS_RETRY_AFTER = "retry_after" in inspect.signature(UpdateFailed).parameters
# Home Assistant 2026.8 gave every device a single config entry: identifiers
# are unique per entry only, and a device is removed rather than detached.
_ONE_ENTRY_PER_DEVICE = hasattr(dr.DeviceRegistry, "async_get_device_by_identifier")
_REGISTRY_FIELDS = ("name", "manufacturer", "model", "serial_number", "sw_version")
_LEDGER = "ledger"
_JSON_INT = 2**53
"""Larger integers are sent as text: not every JSON reader keeps them."""
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """Something a device reported, to be fired once.

    `id` grows with every event of a coordinator: an entity fires only
    events newer than the last one it fired, so data published again
    (options saved, a failed refresh) never fires anything twice.
    """

    id: int
    event_type: str
    attributes: Mapping[str, Any]


def json_safe(value: Any, depth: int = 0) -> Any:
    """A value the recorder and automations can always store and read.

    Server data goes into event attributes as is, except what JSON cannot
    carry: integers beyond 2**53 and non-text keys become text, NaN and
    infinities None, nesting deeper than a few levels and other types text.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -_JSON_INT <= value <= _JSON_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth < _MAX_DEPTH and isinstance(value, Mapping):
        return {str(key): json_safe(item, depth + 1) for key, item in value.items()}
    if depth < _MAX_DEPTH and isinstance(value, list | tuple):
        return [json_safe(item, depth + 1) for item in value]
    return str(value)


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


class TelemetryHubCoordinator[ViewT](DataUpdateCoordinator[dict[str, ViewT]], ABC):
    """Poll one vendor account and describe its devices and entities."""

    config_entry: TelemetryHubConfigEntry
    catch_up = timedelta(days=7)
    """How far back events missed while Home Assistant was down are announced."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TelemetryHubConfigEntry,
        vendor: VendorDescriptor,
    ) -> None:
        """Set up polling of one account."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=_interval(vendor, entry.options),
        )
        assert entry.unique_id is not None  # noqa: S101 - set by the config flow
        self.id_prefix: str = entry.unique_id
        self.vendor = vendor
        self.store = EntryStore(hass, entry.entry_id)
        self.ledger = EventLedger(window=self.catch_up)
        self._refresh_lock = asyncio.Lock()
        self._event_ids = itertools.count(1)
        self._fired: dict[str, int] = {}
        self._announced = False

    # ------------------------------------------------------------------
    # What vendors implement

    @abstractmethod
    async def _async_fetch(self) -> dict[str, ViewT]:
        """Fetch the account's data; raise the api package's exceptions."""

    @abstractmethod
    def descriptions(
        self, platform: Platform
    ) -> Iterable[tuple[str, EntityDescription]]:
        """Return (device key, description) of every entity of a platform."""

    @abstractmethod
    def describe_device(self, device_key: str, view: ViewT) -> DeviceInfo:
        """Name, model, serial number, firmware, links of one device."""

    @abstractmethod
    async def async_diagnostics(self) -> dict[str, Any]:
        """The account's state for a diagnostics download (unredacted)."""

    @abstractmethod
    async def async_device_diagnostics(self, device_key: str) -> dict[str, Any]:
        """One device's state for a diagnostics download (unredacted)."""

    def restore(self, sections: Mapping[str, Mapping[str, Any]]) -> None:
        """Continue from the state the last run stored (vendors extend)."""

    def persist(self) -> Sections:
        """The state to store (vendors extend)."""
        return {}

    async def async_import_history(
        self, device_keys: list[str] | None, start: date, end: date
    ) -> dict[str, Any]:
        """Import a date range of history (the `import_history` action).

        `device_keys` None means every device. Vendors with history
        override this; the default says the vendor keeps none.
        """
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_history",
            translation_placeholders={"vendor": self.vendor.manufacturer},
        )

    @callback
    def apply_options(self, options: Mapping[str, Any]) -> None:
        """Apply options the user just saved, without a reload."""
        self.update_interval = _interval(self.vendor, options)
        if self.data is not None:
            # Re-publish (option-dependent states) and reschedule the poll.
            self.async_set_updated_data(self.data)

    # ------------------------------------------------------------------
    # The refresh

    async def _async_setup(self) -> None:
        """Load what the last run stored."""
        sections = await self.store.async_load()
        self.ledger = EventLedger.from_dict(sections.get(_LEDGER), window=self.catch_up)
        self.restore(sections)
        self.store.bind(self._sections)

    async def _async_update_data(self) -> dict[str, ViewT]:
        """Fetch through the vendor (one refresh at a time); translate errors."""
        async with self._refresh_lock:
            try:
                data = await self._async_fetch()
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
            finally:
                self.store.schedule_save()
            self._update_registry(data)
            return data

    @callback
    def async_update_listeners(self) -> None:
        """Tell the entities; store at once what was just announced."""
        super().async_update_listeners()
        if self._announced:
            self._announced = False
            self.config_entry.async_create_background_task(
                self.hass, self.store.async_flush(), f"{DOMAIN} store announcements"
            )

    async def async_shutdown(self) -> None:
        """Stop polling; let a refresh under way finish; store the state.

        Waiting for the refresh keeps what it reads (a rotated token, news)
        and lets a removal that follows use the newest credentials.
        """
        await super().async_shutdown()
        async with self._refresh_lock:
            await self.store.async_flush()

    def _sections(self) -> Sections:
        return {**self.persist(), _LEDGER: self.ledger.as_dict()}

    # ------------------------------------------------------------------
    # Events

    def announce[T](
        self,
        stream: str,
        items: Iterable[T],
        *,
        key: Callable[[T], str],
        time: Callable[[T], datetime],
        event: Callable[[T], tuple[str, Mapping[str, Any]]],
    ) -> tuple[DeviceEvent, ...]:
        """The items never announced before, as events, oldest first.

        The ledger records them at once and the store is written right after
        the entities fired them, so a restart neither repeats nor loses one.
        """
        fresh = self.ledger.take(
            stream, items, key=key, time=time, now=dt_util.utcnow()
        )
        return self.emit(event(item) for item in fresh)

    def emit(
        self, events: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> tuple[DeviceEvent, ...]:
        """Events for the entities to fire, from (type, attributes) pairs.

        For vendors whose sync engine already decided what is new (with its
        own ledger in its stored state): the store is written right after
        the entities fired them, as with `announce`.
        """
        fired = tuple(
            DeviceEvent(next(self._event_ids), event_type, json_safe(attributes))
            for event_type, attributes in events
        )
        self._announced |= bool(fired)
        return fired

    def mark_fired(self, unique_id: str, event: DeviceEvent) -> bool:
        """Whether an event entity should fire `event` now (never twice)."""
        if event.id <= self._fired.get(unique_id, 0):
            return False
        self._fired[unique_id] = event.id
        return True

    # ------------------------------------------------------------------
    # What the platforms ask

    def device_keys(self) -> list[str]:
        """The keys of the devices the account has now."""
        return list(self.data) if self.data else []

    def device_data(self, device_key: str) -> ViewT | None:
        """A device's view; None if it is gone."""
        return self.data.get(device_key) if self.data else None

    def device_info(self, device_key: str) -> DeviceInfo:
        """The registry entry of a device, as the latest data describes it."""
        info = self.describe_device(device_key, self.data[device_key])
        info["identifiers"] = {(DOMAIN, self.device_identifier(device_key))}
        info["manufacturer"] = self.vendor.manufacturer
        return info

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

    # ------------------------------------------------------------------
    # Device registry upkeep

    @callback
    def _update_registry(self, data: Mapping[str, ViewT]) -> None:
        """Keep registered devices current; remove those that left."""
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        for device_key, view in data.items():
            device = self.find_device(registry, device_key)
            if device is None:
                continue  # registered when its first entity is added
            info: dict[str, Any] = {
                **self.describe_device(device_key, view),
                "manufacturer": self.vendor.manufacturer,
            }
            changes: dict[str, Any] = {
                key: info.get(key)
                for key in _REGISTRY_FIELDS
                if getattr(device, key) != info.get(key)
            }
            if changes:
                registry.async_update_device(device.id, **changes)
        for device_key in set(self.data or {}) - set(data):
            if (device := self.find_device(registry, device_key)) is None:
                continue
            LOGGER.info("Removing %s: it is gone from the account", device.name)
            if _ONE_ENTRY_PER_DEVICE:
                registry.async_remove_device(device.id)
            else:
                registry.async_update_device(device.id, remove_config_entry_id=entry_id)

    def find_device(
        self, registry: dr.DeviceRegistry, device_key: str
    ) -> dr.DeviceEntry | None:
        """The registered device of a key, if any."""
        return find_device(
            registry,
            (DOMAIN, self.device_identifier(device_key)),
            self.config_entry.entry_id,
        )


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


def _interval(vendor: VendorDescriptor, options: Mapping[str, Any]) -> timedelta:
    """The poll interval the vendor's options give (minutes)."""
    for option in vendor.options:
        if option.key == CONF_UPDATE_INTERVAL:
            return timedelta(minutes=option.value(options))
    msg = f"vendor {vendor.key} has no {CONF_UPDATE_INTERVAL} option"
    raise ValueError(msg)
