"""Persisted per-entry state: what a vendor's coordinator keeps across restarts.

One JSON document per config entry (`.storage/telemetry_hub.<entry_id>`),
made of named sections (the sync engine's state, the event ledger, ...).
Saves are coalesced (one write per `STORAGE_SAVE_DELAY`) except `flush`,
which writes at once: after events were announced and at shutdown, so a
restart neither repeats nor loses them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .api.parsing import as_mapping
from .const import DOMAIN, STORAGE_SAVE_DELAY, STORAGE_VERSION

type Sections = dict[str, Any]
SECTIONS_KEY = "sections"


class EntryStore:
    """The persisted state of one config entry, by section."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind to the entry's storage file (nothing is read yet)."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
        )
        self._collect: Callable[[], Sections] | None = None

    async def async_load(self) -> dict[str, Mapping[str, Any]]:
        """The stored sections; empty when nothing (readable) is stored.

        A file written before sections existed holds the RusTech sync
        state alone: it is read as the `sync` section.
        """
        data = await self._store.async_load()
        if not isinstance(data, Mapping):
            return {}
        if SECTIONS_KEY not in data:
            return {"sync": data}
        return {
            str(name): as_mapping(section)
            for name, section in as_mapping(data[SECTIONS_KEY]).items()
        }

    @callback
    def bind(self, collect: Callable[[], Sections]) -> None:
        """Tell the store how to collect the sections when it saves."""
        self._collect = collect

    @callback
    def schedule_save(self) -> None:
        """Save soon (coalesced with other changes)."""
        self._store.async_delay_save(self._data, STORAGE_SAVE_DELAY.total_seconds())

    async def async_flush(self) -> None:
        """Save now."""
        await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        """Delete the stored state (the entry is being removed)."""
        await self._store.async_remove()

    def _data(self) -> dict[str, Any]:
        sections = self._collect() if self._collect is not None else {}
        return {SECTIONS_KEY: sections}
