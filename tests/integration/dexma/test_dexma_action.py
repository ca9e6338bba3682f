"""The import_history action for DEXMA: a device or the whole account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.const import DOMAIN
from custom_components.telemetry_hub.services import SERVICE_IMPORT_HISTORY
from simulators.dexma import DexmaSimulator
from tests.integration.dexma.common import (
    coordinator_of,
    readings_calls,
    rows,
    statistic_id,
)
from tests.integration.dexma.test_dexma_statistics import (
    MADRID,
    assert_matches_counter,
    assert_whole,
    local_midnight,
)


def device_id(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    device = coordinator_of(entry).find_device(dr.async_get(hass), key)
    assert device is not None
    return device.id


async def import_history(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, SERVICE_IMPORT_HISTORY, data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


@pytest.mark.parametrize("portfolio", [2])
async def test_a_year_for_the_account_in_the_fewest_calls(
    hass: HomeAssistant, sim: DexmaSimulator, loaded_entry: MockConfigEntry
) -> None:
    today = dt_util.utcnow().date()
    start = today - timedelta(days=365)
    sim.clear_requests()
    result = await import_history(
        hass, config_entry_id=loaded_entry.entry_id, start=start.isoformat()
    )
    # Two counters (Madrid and Adelaide); a year is two calls each (the
    # hourly resolutions read at most a year per call).
    assert result["meters"] == 2
    assert result["calls_planned"] == result["minimum_calls"] == 4
    assert result["calls_made"] == 4
    assert result["calls_remaining"] == 0
    assert result["hours"] > 365 * 24
    calls = readings_calls(sim, device_id="1001", operation="DELTA")
    year_later = start.replace(year=start.year + 1) - timedelta(days=1)
    assert [(c["from"], c["to"]) for c in calls] == [
        (f"{start}T00:00:00", f"{year_later}T23:59:59"),
        (f"{year_later + timedelta(days=1)}T00:00:00", f"{today}T23:59:59"),
    ]
    assert not [r for r in sim.requests if r.status == 422]
    found = await rows(hass, statistic_id(1001, "EACTIVE"))
    assert_whole(found)
    assert found[0][0] == local_midnight(start, MADRID)
    assert_matches_counter(sim, 1001, "EACTIVE", found)


async def test_a_range_for_one_device(
    hass: HomeAssistant, sim: DexmaSimulator, loaded_entry: MockConfigEntry
) -> None:
    today = dt_util.utcnow().date()
    start, end = today - timedelta(days=20), today - timedelta(days=10)
    sim.clear_requests()
    result = await import_history(
        hass,
        config_entry_id=loaded_entry.entry_id,
        device_id=device_id(hass, loaded_entry, "1005"),
        start=start.isoformat(),
        end=end.isoformat(),
    )
    assert result["meters"] == 2  # gas volume and gas energy
    assert result["calls_made"] == 2
    assert set(result["statistics"]) == {
        statistic_id(1005, "GASVOLUME"),
        statistic_id(1005, "GASENERGY"),
    }
    found = await rows(hass, statistic_id(1005, "GASVOLUME"))
    assert found[0][0] == local_midnight(start, MADRID)
    sums = [row[2] for row in found]
    assert sums == sorted(sums)
    # Only the gas meter was read.
    assert {q["device_id"] for q in readings_calls(sim)} == {"1005"}


async def test_a_device_without_counters_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await import_history(
            hass,
            config_entry_id=loaded_entry.entry_id,
            device_id=device_id(hass, loaded_entry, "account"),
            start=dt_util.utcnow().date().isoformat(),
        )
    assert raised.value.translation_key == "dexma_no_counters"


async def test_a_failing_server_is_reported_and_the_range_stays_queued(
    hass: HomeAssistant, sim: DexmaSimulator, loaded_entry: MockConfigEntry
) -> None:
    today = dt_util.utcnow().date()
    sim.inject("server_error", path="readings", count=100)
    with pytest.raises(HomeAssistantError) as raised:
        await import_history(
            hass,
            config_entry_id=loaded_entry.entry_id,
            start=(today - timedelta(days=30)).isoformat(),
        )
    assert raised.value.translation_key == "cannot_connect"
    assert coordinator_of(loaded_entry).sync.state.backfills
