"""The repair issue about an account whose sessions keep being pushed out."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.const import DOMAIN
from simulators.rustech import RusTechSimulator
from tests.integration.rustech.common import coordinator_of, poll


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"session_evicted_{entry.entry_id}"
    )


async def evict(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    times: int,
) -> None:
    """Let another client push the session out before each of `times` polls."""
    for _ in range(times):
        sim.revoke_sessions()
        await poll(hass, freezer)


async def test_issue_after_three_evictions_in_a_day_until_a_quiet_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    coordinator = coordinator_of(loaded_entry)

    await evict(hass, freezer, sim, 2)
    assert issue(hass, loaded_entry) is None
    assert coordinator.last_update_success

    await evict(hass, freezer, sim, 1)

    found = issue(hass, loaded_entry)
    assert found is not None
    assert found.translation_key == "session_evicted"
    assert found.severity is ir.IssueSeverity.WARNING
    assert not found.is_fixable
    assert found.translation_placeholders == {
        "account": loaded_entry.title,
        "count": "3",
    }
    assert sim.request_count("auth/sign_in") == 4
    assert coordinator.last_update_success

    # Within the day, polls without a rejection keep it.
    await poll(hass, freezer, timedelta(hours=12))
    assert issue(hass, loaded_entry) is not None

    # A day after the last rejection, it goes.
    await poll(hass, freezer, timedelta(hours=12))
    assert issue(hass, loaded_entry) is None


async def test_evictions_spread_over_days_raise_no_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    for _ in range(3):
        await evict(hass, freezer, sim, 1)
        await poll(hass, freezer, timedelta(hours=13))

    assert sim.request_count("auth/sign_in") == 4
    assert issue(hass, loaded_entry) is None


async def test_removing_the_entry_deletes_the_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RusTechSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    await evict(hass, freezer, sim, 3)
    assert issue(hass, loaded_entry) is not None

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert issue(hass, loaded_entry) is None
