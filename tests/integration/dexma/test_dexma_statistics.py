"""DEXMA counters in long-term statistics: exact hours, corrections, gaps, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import itertools
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.const import CONF_HISTORY_DAYS
from simulators.dexma import DexmaSimulator
from tests.integration.common import poll
from tests.integration.dexma.common import (
    Row,
    calls_per_hour,
    coordinator_of,
    readings_calls,
    rows,
    statistic_id,
)

HOUR = timedelta(hours=1)
POLL = timedelta(minutes=15)
MADRID = ZoneInfo("Europe/Madrid")
ADELAIDE = ZoneInfo("Australia/Adelaide")


def assert_whole(found: list[Row]) -> None:
    """On the hour, one row per hour, no hour missing, sum never backwards."""
    starts = [row[0] for row in found]
    assert all(start.minute == start.second == 0 for start in starts)
    assert all(b - a == HOUR for a, b in itertools.pairwise(starts)), starts
    sums = [row[2] for row in found]
    assert sums == sorted(sums)


def assert_matches_counter(
    sim: DexmaSimulator, device: int, key: str, found: list[Row]
) -> None:
    """Between any two rows the sum grew by what the counter grew."""

    def counter(start: datetime) -> float:
        return round(sim.value_at(device, key, start + HOUR), 3)

    first = found[0]
    for row in found[1:]:
        assert row[2] - first[2] == pytest.approx(
            counter(row[0]) - counter(first[0]), abs=1e-6
        ), row[0]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)


async def test_first_backfill_then_a_rerun_changes_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    today = dt_util.utcnow().date()
    madrid = await rows(hass, statistic_id(1001, "EACTIVE"))
    assert_whole(madrid)
    # History from the local midnight two days back, to the newest hour served.
    assert madrid[0][0] == local_midnight(today - timedelta(days=2), MADRID)
    newest = dt_util.utcnow().replace(minute=0, second=0, microsecond=0) - 2 * HOUR
    assert madrid[-1][0] == newest
    assert_matches_counter(sim, 1001, "EACTIVE", madrid)
    for device, key in ((1002, "EACTIVE"), (1004, "EACTIVE"), (1006, "GASVOLUME")):
        found = await rows(hass, statistic_id(device, key))
        # A half-hour zone's first hour is half (the history starts at its
        # local midnight), and so may be its newest (half of it is served).
        assert_whole(found[1:])
        assert_matches_counter(sim, device, key, found[:-1])

    for _ in range(3):
        await poll(hass, freezer, POLL)
    again = await rows(hass, statistic_id(1001, "EACTIVE"))
    assert again[: len(madrid)] == madrid
    assert_whole(again)


async def test_a_corrected_hour_moves_only_the_later_sums(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    before = await rows(hass, statistic_id(1001, "EACTIVE"))
    hour = before[-10][0]
    old = before[-10][1]
    assert old is not None
    sim.correct_hour(1001, "EACTIVE", hour, old + 5.0)
    await poll(hass, freezer, POLL)
    after = await rows(hass, statistic_id(1001, "EACTIVE"))
    assert_whole(after)
    assert_matches_counter(sim, 1001, "EACTIVE", after)
    old_rows = {row[0]: row for row in before}
    # (The simulator rounds its counter to 3 decimals: 5 is 5 +- 0.001.)
    for start, state, total in after:
        if start not in old_rows:
            continue
        if start < hour:
            assert total == old_rows[start][2]
        elif start == hour:
            assert state == pytest.approx(old + 5.0, abs=2e-3)
        if start >= hour:
            assert total - old_rows[start][2] == pytest.approx(5.0, abs=2e-3)


async def test_an_outage_of_days_is_filled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    before = await rows(hass, statistic_id(1001, "EACTIVE"))
    await poll(hass, freezer, timedelta(days=4))
    await poll(hass, freezer, POLL)
    after = await rows(hass, statistic_id(1001, "EACTIVE"))
    assert_whole(after)
    assert after[0] == before[0]
    assert after[-1][0] - before[-1][0] >= timedelta(days=4)
    assert_matches_counter(sim, 1001, "EACTIVE", after)
    assert not coordinator_of(loaded_entry).sync.state.backfills


@pytest.mark.parametrize("options", [{CONF_HISTORY_DAYS: 30}])
async def test_a_restart_in_the_middle_of_a_backfill_resumes_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    config_entry: MockConfigEntry,
) -> None:
    sim.set_quota(hour_limit=40, day_limit=400)  # 20 calls an hour for us
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = coordinator_of(config_entry)
    assert coordinator.update_interval is not None
    await poll(hass, freezer, coordinator.update_interval)
    plans = coordinator.sync.state.backfills
    assert any(0 < plan.remaining_calls < plan.total_calls for plan in plans)
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = coordinator_of(config_entry)
    for _ in range(12):
        if not coordinator.sync.state.backfills:
            break
        assert coordinator.update_interval is not None
        await poll(hass, freezer, coordinator.update_interval)
    assert not coordinator.sync.state.backfills
    assert max(calls_per_hour(sim).values()) <= 20
    # Every history call was made once: none repeated after the restart.
    history = [
        (q["device_id"], q["parameter_key"], q["from"])
        for q in readings_calls(sim, operation="DELTA")
        if q["from"].endswith("T00:00:00")
    ]
    assert len(history) == len(set(history)) == 12
    for device, key in ((1001, "EACTIVE"), (1005, "GASENERGY")):
        found = await rows(hass, statistic_id(device, key))
        assert_whole(found)
        assert len(found) > 30 * 24
        assert_matches_counter(sim, device, key, found)


@pytest.mark.parametrize(
    ("portfolio", "now", "days", "changes"),
    [
        (
            2,
            "2025-04-08 12:00:00+00:00",
            10,
            {
                1001: (MADRID, date(2025, 3, 30), 23),
                1002: (ADELAIDE, date(2025, 4, 6), 25),
            },
        ),
        (
            2,
            "2025-10-28 12:00:00+00:00",
            24,
            {
                1001: (MADRID, date(2025, 10, 26), 25),
                1002: (ADELAIDE, date(2025, 10, 5), 23),
            },
        ),
    ],
)
async def test_hours_are_exact_across_both_dst_changes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    config_entry: MockConfigEntry,
    *,
    now: str,
    days: int,
    changes: dict[int, tuple[ZoneInfo, date, int]],
) -> None:
    freezer.move_to(now)
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_HISTORY_DAYS: days}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    for device, (zone, day, hours) in changes.items():
        found = await rows(hass, statistic_id(device, "EACTIVE"))
        assert_whole(found[1:])
        assert_matches_counter(sim, device, "EACTIVE", found)
        start, end = local_midnight(day, zone), local_midnight(day + timedelta(1), zone)
        assert len([row for row in found if start <= row[0] < end]) == hours
