"""A first set-up that stays light: current values first, history after."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.telemetry_hub.const import CONF_HISTORY_DAYS
from simulators.rustech import RusTechSimulator
from tests.integration.rustech.common import coordinator_of, state_of
from tests.integration.rustech.conftest import drain_backfill
from tests.integration.rustech.test_rustech_statistics import (
    HOUR,
    assert_continuous,
    hourly_rows,
    start_of,
    statistic_id,
)


def archive_requests(sim: RusTechSimulator, kind: str) -> int:
    return sum(
        1
        for r in sim.requests
        if r.path == "channel_data" and r.params.get("archive_type") == kind
    )


def chunks(sim: RusTechSimulator) -> set[tuple[str, str]]:
    """(station, first day) of every hourly archive request."""
    return {
        (r.params.get("station_id", ""), r.params.get("fp_start", ""))
        for r in sim.requests
        if r.path == "channel_data" and r.params.get("archive_type") == "hourly"
    }


@pytest.fixture
def long_sim(sim: RusTechSimulator) -> RusTechSimulator:
    """Two stations whose archives reach 40 days back."""
    sim.history_days = 40
    for station in sim.stations[2:]:
        sim.remove_station(station.id)
    return sim


async def step(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the background backfill's pause pass once."""
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_setup_loads_current_values_then_reads_the_history(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    long_sim: RusTechSimulator,
    url: str,
    setup_entry: Any,
) -> None:
    entry = await setup_entry()

    # Loaded with current values from the newest rows, not a month of them.
    assert entry.state is ConfigEntryState.LOADED
    pressure = state_of(hass, entry, "sensor", 1, "channel_p")
    assert pressure.state != STATE_UNAVAILABLE
    coordinator = coordinator_of(entry)
    assert coordinator.sync.backfill_pending == 2
    rows = await hourly_rows(hass, statistic_id(url, 1))
    assert len(rows) < 48
    # Settings feed no entity: they wait for a diagnostics download.
    assert archive_requests(long_sim, "settings") == 0

    # The history comes in the background, one paced request at a time.
    long_sim.clear_requests()
    steps = 0
    while coordinator.sync.backfill_pending and steps < 50:
        before = len(long_sim.requests)
        await step(hass, freezer)
        assert len(long_sim.requests) - before <= 1
        steps += 1
    assert coordinator.sync.backfill_pending == 0
    assert archive_requests(long_sim, "hourly") == steps
    for station in (1, 2):
        rows = await hourly_rows(hass, statistic_id(url, station))
        assert_continuous(rows)
        # The history window (31 days) and not more; the newest hour kept.
        assert start_of(rows[0]) <= dt_util.utcnow().timestamp() - 30 * 86400
        assert start_of(rows[0]) >= dt_util.utcnow().timestamp() - 32 * 86400
        assert start_of(rows[-1]) >= dt_util.utcnow().timestamp() - 3 * HOUR


async def test_a_restart_in_the_middle_continues_where_it_stopped(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    long_sim: RusTechSimulator,
    url: str,
    setup_entry: Any,
) -> None:
    entry = await setup_entry()
    long_sim.clear_requests()
    for _ in range(3):
        await step(hass, freezer)
    assert coordinator_of(entry).sync.backfill_pending
    before = chunks(long_sim)
    assert len(before) == 3
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    long_sim.clear_requests()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await drain_backfill(hass, entry) > 0

    # No chunk read before the restart is read again.
    assert not before & chunks(long_sim)
    for station in (1, 2):
        assert_continuous(await hourly_rows(hass, statistic_id(url, station)))


async def test_no_history_window_no_backfill(
    hass: HomeAssistant,
    long_sim: RusTechSimulator,
    config_entry: MockConfigEntry,
    setup_entry: Any,
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options={CONF_HISTORY_DAYS: 0})
    entry = await setup_entry()
    assert coordinator_of(entry).sync.backfill_pending == 0
