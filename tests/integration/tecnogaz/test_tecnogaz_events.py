"""Cycle and Alarm events: each exactly once, in order, across restarts."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, EVENT_STATE_CHANGED
from homeassistant.core import CoreState, HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from simulators.tecnogaz import TecnoGazSimulator
from tests.integration.common import poll
from tests.integration.tecnogaz.common import (
    coordinator_of,
    entity_id,
    fired,
    state_of,
)
from tests.integration.tecnogaz.conftest import AURA, ONYX

MINUTE = timedelta(minutes=1)
HALF_HOUR = timedelta(minutes=30)


def numbers(events: list[tuple[str, dict[str, object]]]) -> list[tuple[str, object]]:
    return [(kind, attributes["cycle_number"]) for kind, attributes in events]


async def run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    serial: str,
    result: str = "passed",
    **details: str,
) -> int:
    """A whole cycle on the simulator (polling while it runs); its number."""
    cycle = sim.start_cycle(serial, "B134")
    await poll(hass, freezer, MINUTE)
    freezer.tick(HALF_HOUR)
    sim.finish_cycle(serial, result, **details)
    return cycle.number


async def test_first_setup_announces_no_history(
    hass: HomeAssistant, sim: TecnoGazSimulator, setup_entry: object
) -> None:
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    entry = await setup_entry()  # type: ignore[operator]
    assert sim.finished_cycles(AURA)
    for serial in (AURA, ONYX):
        for key in ("cycle", "alarm"):
            assert fired(events, entity_id(hass, entry, "event", serial, key)) == []


async def test_each_finished_cycle_fires_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    cycle_entity = entity_id(hass, loaded_entry, "event", AURA, "cycle")
    problem = entity_id(hass, loaded_entry, "binary_sensor", AURA, "cycle_alarm")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    first = sim.start_cycle(AURA, "B134")
    await poll(hass, freezer, MINUTE)
    # A running cycle is not announced; the status says it runs.
    assert fired(events, cycle_entity) == []
    assert state_of(hass, loaded_entry, "sensor", AURA, "status").state == "running"
    freezer.tick(HALF_HOUR)
    sim.finish_cycle(AURA, "passed")
    await poll(hass, freezer, MINUTE)
    assert numbers(fired(events, cycle_entity)) == [("cycle_completed", first.number)]
    _, attributes = fired(events, cycle_entity)[0]
    assert attributes["program"] == "B134"
    assert attributes["serial"] == AURA
    assert attributes["result"] == "passed"
    assert hass.states.get(problem).state == "off"

    failed = await run(
        hass, freezer, sim, AURA, "failed", error_code="E05", error_text="Door opened"
    )
    await poll(hass, freezer, MINUTE)
    aborted = await run(hass, freezer, sim, AURA, "aborted")
    await poll(hass, freezer, MINUTE)
    assert numbers(fired(events, cycle_entity)) == [
        ("cycle_completed", first.number),
        ("cycle_failed", failed),
        ("cycle_aborted", aborted),
    ]
    assert fired(events, cycle_entity)[1][1]["error_text"] == "Door opened"
    assert hass.states.get(problem).state == "on"

    # Polls without news, a failed poll and its recovery fire nothing more.
    sim.inject("server_error", call="devices")
    await poll(hass, freezer, MINUTE)
    assert not coordinator_of(loaded_entry).last_update_success
    await poll(hass, freezer, MINUTE)
    await poll(hass, freezer, MINUTE)
    assert coordinator_of(loaded_entry).last_update_success
    assert len(fired(events, cycle_entity)) == 3
    # The other sterilizer announced nothing.
    assert fired(events, entity_id(hass, loaded_entry, "event", ONYX, "cycle")) == []


async def test_alarms_raised_and_cleared_fire_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    alarm_entity = entity_id(hass, loaded_entry, "event", ONYX, "alarm")
    problem = entity_id(hass, loaded_entry, "binary_sensor", ONYX, "cycle_alarm")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    warning = sim.raise_alarm(ONYX, "W03", "Waste water tank full", "warning")
    await poll(hass, freezer, MINUTE)
    assert hass.states.get(problem).state == "off"  # a warning stops nothing
    fatal = sim.raise_alarm(ONYX, "E12", "Vacuum pump overload", "alarm")
    await poll(hass, freezer, MINUTE)
    assert hass.states.get(problem).state == "on"
    active = state_of(hass, loaded_entry, "sensor", ONYX, "active_alarms")
    assert active.state == "2"
    assert [a["code"] for a in active.attributes["alarms"]] == ["W03", "E12"]

    sim.clear_alarm(ONYX, fatal.id)
    await poll(hass, freezer, MINUTE)
    assert hass.states.get(problem).state == "off"
    assert [
        (kind, a["code"], a["severity"]) for kind, a in fired(events, alarm_entity)
    ] == [
        ("alarm_raised", "W03", "warning"),
        ("alarm_raised", "E12", "alarm"),
        ("alarm_cleared", "E12", "alarm"),
    ]
    assert fired(events, alarm_entity)[0][1]["alarm_id"] == str(warning.id)
    await poll(hass, freezer, MINUTE)
    assert len(fired(events, alarm_entity)) == 3


async def test_what_happened_while_down_fires_once_in_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    cycle_entity = entity_id(hass, loaded_entry, "event", AURA, "cycle")
    alarm_entity = entity_id(hass, loaded_entry, "event", AURA, "alarm")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    # Home Assistant is down for a day: cycles run and an alarm comes and goes.
    ran = []
    for result in ("passed", "failed", "passed"):
        freezer.tick(timedelta(hours=6))
        cycle = sim.start_cycle(AURA, "B134")
        freezer.tick(HALF_HOUR)
        sim.finish_cycle(AURA, result)
        ran.append(cycle.number)
    alarm = sim.raise_alarm(AURA, "E21", "Air detected in the chamber", "alarm")
    freezer.tick(timedelta(minutes=10))
    sim.clear_alarm(AURA, alarm.id)

    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert numbers(fired(events, cycle_entity)) == [
        ("cycle_completed", ran[0]),
        ("cycle_failed", ran[1]),
        ("cycle_completed", ran[2]),
    ]
    assert [kind for kind, _ in fired(events, alarm_entity)] == [
        "alarm_raised",
        "alarm_cleared",
    ]

    # Another restart, and polls: nothing is announced twice.
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    await poll(hass, freezer, MINUTE)
    assert len(fired(events, cycle_entity)) == 3
    assert len(fired(events, alarm_entity)) == 2


async def test_news_older_than_the_catch_up_window_is_not_announced(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    cycle_entity = entity_id(hass, loaded_entry, "event", AURA, "cycle")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    freezer.tick(timedelta(hours=1))
    old = sim.start_cycle(AURA, "HELIX")
    freezer.tick(HALF_HOUR)
    sim.finish_cycle(AURA, "passed")
    freezer.tick(timedelta(days=8))
    recent = sim.start_cycle(AURA, "BD")
    freezer.tick(HALF_HOUR)
    sim.finish_cycle(AURA, "passed")

    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert numbers(fired(events, cycle_entity)) == [("cycle_completed", recent.number)]
    assert old.number < recent.number


async def test_stale_cdn_answers_neither_repeat_nor_lose_a_cycle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    cycle_entity = entity_id(hass, loaded_entry, "event", AURA, "cycle")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.stale_rate = 0.5
    sim.stale_age = 120
    ran = []
    for _ in range(6):
        ran.append(await run(hass, freezer, sim, AURA))
        await poll(hass, freezer, MINUTE)
    sim.stale_rate = 0.0
    for _ in range(3):
        await poll(hass, freezer, MINUTE)

    assert numbers(fired(events, cycle_entity)) == [
        ("cycle_completed", number) for number in ran
    ]


async def test_two_events_of_one_refresh_are_two_state_changes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """A `state` trigger with from/to filters sees both (the clock is frozen)."""
    cycle_entity = entity_id(hass, loaded_entry, "event", AURA, "cycle")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    for _ in range(2):
        sim.start_cycle(AURA, "B134")
        freezer.tick(HALF_HOUR)
        sim.finish_cycle(AURA, "failed")
    await poll(hass, freezer, MINUTE)
    states = [
        event.data["new_state"].state
        for event in events
        if event.data["entity_id"] == cycle_entity
    ]
    assert len(states) == 2
    assert states[0] < states[1]


async def test_catch_up_waits_until_home_assistant_has_started(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: TecnoGazSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """Automations start with Home Assistant: announcing earlier loses events."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    cycle_entity = entity_id(hass, config_entry, "event", AURA, "cycle")
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    sim.start_cycle(AURA, "B134")
    freezer.tick(HALF_HOUR)
    sim.finish_cycle(AURA, "failed")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    hass.set_state(CoreState.starting)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert fired(events, cycle_entity) == []

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert [kind for kind, _ in fired(events, cycle_entity)] == ["cycle_failed"]
