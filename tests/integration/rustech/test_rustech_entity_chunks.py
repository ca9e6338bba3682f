"""A large account's entities reach Home Assistant in chunks, all of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub import entity

SetupEntry = Callable[[], Awaitable[MockConfigEntry]]


def unique_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    registry = er.async_get(hass)
    return {
        item.unique_id
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
    }


@pytest.mark.parametrize("chunk", [3, 1000])
async def test_every_entity_is_added_however_large_the_account(
    hass: HomeAssistant,
    setup_entry: SetupEntry,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
) -> None:
    steps: list[int] = []
    real = entity._add_in_steps

    async def counted(entry: Any, add: Any, entities: Any) -> None:
        def add_counted(batch: Any) -> None:
            steps.append(len(batch))
            add(batch)

        await real(entry, add_counted, entities)

    monkeypatch.setattr(entity, "ADD_CHUNK", chunk)
    monkeypatch.setattr(entity, "_add_in_steps", counted)
    entry = await setup_entry()
    await hass.async_block_till_done()

    ids = unique_ids(hass, entry)
    states = [
        hass.states.get(item.entity_id)
        for item in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if item.disabled_by is None
    ]
    assert all(state is not None for state in states)
    if chunk == 3:
        # More than one step per platform, none larger than the chunk.
        assert len(steps) > 3
        assert max(steps) == 3
        assert sum(steps) == len(ids)
    else:
        assert steps == []
        assert len(ids) > 3


async def test_an_entry_unloaded_while_adding_leaves_no_live_entity(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(entity, "ADD_CHUNK", 2)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    # Unload at once, while the platforms are still adding their chunks.
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()

    registry = er.async_get(hass)
    entries = er.async_entries_for_config_entry(registry, config_entry.entry_id)
    live = [
        item.entity_id
        for item in entries
        if (state := hass.states.get(item.entity_id)) is not None
        and state.state != STATE_UNAVAILABLE
    ]
    assert live == []
