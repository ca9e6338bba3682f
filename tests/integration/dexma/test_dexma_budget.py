"""The quota budget: never more than the share, 429 back-off, the repair issue."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.const import (
    CONF_HISTORY_DAYS,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.telemetry_hub.coordinator import _SUPPORTS_RETRY_AFTER
from custom_components.telemetry_hub.vendors.dexma.const import CONF_QUOTA_SHARE
from simulators.dexma import DexmaSimulator
from tests.integration.common import poll, set_options
from tests.integration.dexma.common import calls_per_hour, coordinator_of, state_of

POLL = timedelta(minutes=15)


def issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    return {
        issue_id: issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN
    }


@pytest.mark.parametrize(
    ("portfolio", "options"),
    [
        (8, {CONF_HISTORY_DAYS: 5}),
        (40, {CONF_HISTORY_DAYS: 5}),
        (40, {CONF_HISTORY_DAYS: 5, CONF_QUOTA_SHARE: 30}),
    ],
)
async def test_calls_never_exceed_the_share_in_any_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    config_entry: MockConfigEntry,
    options: dict[str, int],
) -> None:
    """Quotas of 200 an hour and 2000 a day; drive nine hours of refreshes.

    40 devices have 96 meters: at 15 minutes they would need 384 calls an
    hour, so the schedule stretches (and discovery and backfill wait their
    turn); the simulator's log never shows more than the share of a window.
    """
    sim.set_quota(hour_limit=200, day_limit=2000)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = coordinator_of(config_entry)
    share = options.get(CONF_QUOTA_SHARE, 50) / 100
    end = sim.clock() + 9 * 3600
    ticks = 0
    while sim.clock() < end:
        assert coordinator.update_interval is not None
        await poll(hass, freezer, coordinator.update_interval)
        ticks += 1
    assert coordinator.last_update_success
    assert max(calls_per_hour(sim).values()) <= 200 * share
    assert len([r for r in sim.requests if r.charged]) <= 2000 * share
    assert not [r for r in sim.requests if r.status == 429]
    sync = coordinator.sync
    assert sync.state.discovered
    assert not sync.state.backfills  # the history was read within the share
    if len(sync.streams()) > 24:
        assert sync.plan.stretched
        assert ticks < 9 * 4


async def test_a_429_backs_off_and_recovers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    sim.inject("rate_limit", path="readings", retry_after=120)
    await poll(hass, freezer, POLL)
    assert not coordinator.last_update_success
    error = coordinator.last_exception
    assert isinstance(error, UpdateFailed)
    assert error.translation_key == "rate_limited"
    if _SUPPORTS_RETRY_AFTER:
        assert getattr(error, "retry_after", None) == 120
    assert state_of(hass, loaded_entry, "1001", "param_POWER").state == (
        STATE_UNAVAILABLE
    )
    await poll(hass, freezer, POLL)
    assert coordinator.last_update_success


async def test_a_used_up_quota_waits_without_calling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: DexmaSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    now = dt_util.utcnow()
    ten_to = now.replace(minute=50, second=0, microsecond=0)
    if ten_to <= now:
        ten_to += timedelta(hours=1)
    freezer.move_to(ten_to)
    sim.set_quota(hour_remaining=0)
    await coordinator.async_refresh()  # one 429 tells how long to wait
    assert not coordinator.last_update_success
    sim.clear_requests()
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert sim.requests == []  # the quota is known used up: no call is made
    error = coordinator.last_exception
    assert isinstance(error, UpdateFailed)
    assert error.translation_key == "rate_limited"
    if _SUPPORTS_RETRY_AFTER:
        assert 0 < getattr(error, "retry_after", 0) <= 600
    freezer.move_to(ten_to + timedelta(minutes=11))  # the hour has turned
    await coordinator.async_refresh()
    assert coordinator.last_update_success


async def test_a_stretched_schedule_raises_one_repair_issue_until_it_fits(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(loaded_entry)
    assert not issues(hass)
    # 24 meters every 5 minutes: 6912 calls a day, over the 5000 share.
    await set_options(
        hass, loaded_entry, {CONF_UPDATE_INTERVAL: 5, CONF_HISTORY_DAYS: 2}
    )
    found = issues(hass)
    issue_id = f"dexma_quota_stretched_{loaded_entry.entry_id}"
    assert list(found) == [issue_id]
    issue = found[issue_id]
    assert issue.translation_key == "dexma_quota_stretched"
    placeholders = issue.translation_placeholders or {}
    assert placeholders["requested"] == "5"
    assert int(placeholders["interval"]) > 5
    assert placeholders["streams"] == "24"
    created = issue.created
    for _ in range(3):
        assert coordinator.update_interval is not None
        await poll(hass, freezer, coordinator.update_interval)
    assert issues(hass)[issue_id].created == created

    await set_options(
        hass, loaded_entry, {CONF_UPDATE_INTERVAL: 60, CONF_HISTORY_DAYS: 2}
    )
    assert not issues(hass)
    await poll(hass, freezer, timedelta(minutes=60))
    assert coordinator.last_update_success
    assert not issues(hass)
