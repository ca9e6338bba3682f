"""The abnormal-situation event entity of each station."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from simulators.rustech import RusTechSimulator
from tests.integration.rustech.common import (
    as_time,
    coordinator_of,
    entity_id,
    poll,
    state_of,
)

# After an entity is enabled, Home Assistant reloads its entry 30 s later
# (config_entries.RELOAD_AFTER_UPDATE_DELAY).
RELOAD_DELAY = timedelta(seconds=31)
POWER_LOST = (12, "Отключение внешнего питания")
DOOR_OPEN = (8, "Вскрытие корпуса корректора (открыта дверца)")


def fired(events: list[Event], entity: str) -> list[str]:
    """When each event the entity fired occurred, oldest first.

    An event is a new (state, occurred_at) pair; a state restored after a
    reload repeats the last pair, a repeated event would carry a new time.
    """
    seen: list[tuple[str, str]] = []
    for event in events:
        new_state = event.data["new_state"]
        if event.data["entity_id"] != entity or new_state is None:
            continue
        if new_state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            continue
        pair = (new_state.state, new_state.attributes["occurred_at"])
        if pair not in seen:
            seen.append(pair)
    return [occurred_at for _, occurred_at in seen]


def nesht_stations(sim: RusTechSimulator) -> list[str]:
    """The stations whose abnormal-situation archive was requested."""
    return [
        r.params["station_id"]
        for r in sim.requests
        if r.path == "channel_data" and r.params.get("archive_type") == "nesht"
    ]


def report(
    sim: RusTechSimulator, station: int, offset: int, record: tuple[int, str]
) -> int:
    """Add a record `offset` s after the last session and a session after it.

    The window is kept to seconds, so that none of the simulator's own
    pseudo-random abnormal situations falls into it.
    """
    last = sim.last_session(station)
    assert last is not None
    at = last + offset
    sim.add_abnormal(station, at, *record)
    sim.new_session([station], at=at + 1)
    return at


async def test_new_record_fires_one_event(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    entity = entity_id(hass, loaded_entry, "event", 1, "abnormal_situation")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    freezer.tick(timedelta(minutes=1))
    at = report(sim, 1, 2, POWER_LOST)

    await poll(hass, freezer)

    assert fired(events, entity) == [as_time(at)]
    state = state_of(hass, loaded_entry, "event", 1, "abnormal_situation")
    assert state.attributes["event_type"] == "abnormal_situation"
    assert state.attributes["occurred_at"] == as_time(at)
    channels = state.attributes["channels"]
    assert str(channels["NSCode"]) == "12"
    assert channels["NSText"] == POWER_LOST[1]
    other = state_of(hass, loaded_entry, "event", 2, "abnormal_situation")
    assert other.state == STATE_UNKNOWN

    # A failed poll hands the entities the last data (with the event) again:
    # nothing fires, nor at the recovery, nor at a later poll without news.
    sim.inject("unavailable", count=2)  # a read is retried once
    await poll(hass, freezer)
    assert not coordinator_of(loaded_entry).last_update_success
    await poll(hass, freezer)
    assert coordinator_of(loaded_entry).last_update_success
    await poll(hass, freezer)
    assert fired(events, entity) == [as_time(at)]

    # Two records in one poll fire two events, oldest first.
    first = report(sim, 1, 2, DOOR_OPEN)
    second = report(sim, 1, 2, POWER_LOST)
    await poll(hass, freezer)
    assert fired(events, entity) == [as_time(at), as_time(first), as_time(second)]
    state = state_of(hass, loaded_entry, "event", 1, "abnormal_situation")
    assert state.attributes["occurred_at"] == as_time(second)
    assert state.attributes["channels"]["NSText"] == POWER_LOST[1]


async def test_old_records_do_not_fire_again_after_a_reload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    entity = entity_id(hass, loaded_entry, "event", 1, "abnormal_situation")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    freezer.tick(timedelta(minutes=1))
    report(sim, 1, 2, POWER_LOST)
    await poll(hass, freezer)
    assert len(fired(events, entity)) == 1

    # A new session makes the next sync read the archive (and the old record
    # in it) again; a re-fire would carry a new time.
    freezer.tick(timedelta(minutes=5))
    last = sim.last_session(1)
    assert last is not None
    sim.new_session([1], at=last + 1)
    sim.clear_requests()
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert nesht_stations(sim) == ["1"]
    assert len(fired(events, entity)) == 1


async def test_history_is_not_news(
    hass: HomeAssistant,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    # Records from before the integration knew the station were already
    # in the archive: setting up fired nothing.
    for station in range(1, 5):
        state = state_of(hass, loaded_entry, "event", station, "abnormal_situation")
        assert state.state == STATE_UNKNOWN
    assert nesht_stations(sim) == []


async def test_history_before_setup_is_not_fired_later(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    setup_entry: Callable[[], Awaitable[MockConfigEntry]],
) -> None:
    last = sim.last_session(1)
    assert last is not None
    sim.add_abnormal(1, last - 60, *DOOR_OPEN)
    entry = await setup_entry()
    entity = entity_id(hass, entry, "event", 1, "abnormal_situation")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    freezer.tick(timedelta(minutes=1))
    sim.new_session([1], at=last + 1)
    await poll(hass, freezer)

    assert nesht_stations(sim) == ["1"]
    assert fired(events, entity) == []


async def test_disabled_event_entity_skips_the_archive(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    registry = er.async_get(hass)
    entity = entity_id(hass, loaded_entry, "event", 1, "abnormal_situation")
    coordinator = coordinator_of(loaded_entry)
    registry.async_update_entity(entity, disabled_by=er.RegistryEntryDisabler.USER)
    await hass.async_block_till_done()
    assert hass.states.get(entity) is None  # removed, no reload needed
    freezer.tick(timedelta(minutes=1))
    report(sim, 1, 2, POWER_LOST)
    report(sim, 2, 2, POWER_LOST)
    sim.clear_requests()

    await poll(hass, freezer)

    assert nesht_stations(sim) == ["2"]

    # Turned back on, it announces what comes next, not the backlog.
    registry.async_update_entity(entity, disabled_by=None)
    await poll(hass, freezer, RELOAD_DELAY)  # Home Assistant reloads the entry
    assert coordinator_of(loaded_entry) is not coordinator
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    at = report(sim, 1, 2, DOOR_OPEN)
    await poll(hass, freezer)

    assert fired(events, entity) == [as_time(at)]


async def test_two_records_in_the_same_second_fire_twice(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """A corrector can log two situations at once: both reach automations."""
    entity = entity_id(hass, loaded_entry, "event", 1, "abnormal_situation")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    freezer.tick(timedelta(minutes=1))
    last = sim.last_session(1)
    assert last is not None
    sim.add_abnormal(1, last + 2, *DOOR_OPEN)
    sim.add_abnormal(1, last + 2, *POWER_LOST)
    sim.new_session([1], at=last + 3)

    await poll(hass, freezer)

    texts = [
        e.data["new_state"].attributes["channels"]["NSText"]
        for e in events
        if e.data["entity_id"] == entity
        and e.data["new_state"].state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    ]
    assert sorted(texts) == sorted([DOOR_OPEN[1], POWER_LOST[1]])
    assert all(
        e.data["new_state"].attributes["occurred_at"] == as_time(last + 2)
        for e in events
        if e.data["entity_id"] == entity
    )

    await poll(hass, freezer)  # nothing new: nothing fires again
    assert len([e for e in events if e.data["entity_id"] == entity]) == len(texts)


async def test_overlapping_refreshes_fetch_in_turn_and_fire_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """A scheduled poll overlapped by `update_entity` never fires a record twice."""
    entity = entity_id(hass, loaded_entry, "event", 1, "abnormal_situation")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    freezer.tick(timedelta(minutes=1))
    at = report(sim, 1, 2, POWER_LOST)
    sim.clear_requests()
    coordinator = coordinator_of(loaded_entry)
    running: list[int] = [0]
    most: list[int] = [0]
    fetch = coordinator._async_fetch

    async def counted() -> Any:
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            return await fetch()
        finally:
            running[0] -= 1

    coordinator._async_fetch = counted  # type: ignore[method-assign]
    assert await async_setup_component(hass, "homeassistant", {})

    await asyncio.gather(
        coordinator.async_refresh(),
        hass.services.async_call(
            "homeassistant", "update_entity", {"entity_id": entity}, blocking=True
        ),
        coordinator.async_refresh(),
    )
    await hass.async_block_till_done()

    assert fired(events, entity) == [as_time(at)]
    # The refreshes ran one after the other, and only the first had news.
    assert most == [1]
    assert sim.request_count("stations") >= 2
    assert nesht_stations(sim) == ["1"]
