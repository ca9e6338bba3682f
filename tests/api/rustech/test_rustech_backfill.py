"""Current values first, the history afterwards in paced chunks (issue 8, item 8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.telemetry_hub.api.rustech.client import RusTechClient
from custom_components.telemetry_hub.api.rustech.state import Feed, SyncState
from custom_components.telemetry_hub.api.rustech.sync import RusTechSync
from simulators.rustech import ManualClock, RusTechSimulator

HOUR = 3600


def now(clock: ManualClock) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def hourly_windows(sim: RusTechSimulator) -> list[tuple[str, str]]:
    return [
        (r.params["fp_start"], r.params["fp_end"])
        for r in sim.requests
        if r.params.get("archive_type") == "hourly"
    ]


class Handed:
    """Every hourly row handed over, per station, as the importer sees them."""

    def __init__(self) -> None:
        self.times: dict[int, list[int]] = {}

    def take(self, sync: RusTechSync) -> None:
        for station_id, state in sync.state.stations.items():
            rows = state.take_hourly()
            self.times.setdefault(station_id, []).extend(
                int(row.event_time.timestamp()) for row in rows
            )

    def assert_contiguous(self, sync: RusTechSync, oldest: int) -> None:
        """Each station's rows: oldest first, each once, no hour missing."""
        for station_id, times in self.times.items():
            newest = sync.state.stations[station_id].feeds[Feed.HOURLY].cursor
            assert times, station_id
            assert times == sorted(set(times)), station_id
            assert times == list(range(times[0], times[-1] + 1, HOUR)), station_id
            assert times[0] <= oldest + HOUR, station_id
            assert times[-1] == newest, station_id


@pytest.fixture
def deferred(client: RusTechClient) -> RusTechSync:
    return RusTechSync(client, background_backfill=True)


async def backfill(sync: RusTechSync, clock: ManualClock, handed: Handed) -> int:
    steps = 0
    while await sync.backfill_step(now(clock)):
        handed.take(sync)
        steps += 1
        assert steps < 100
    handed.take(sync)
    return steps + 1


async def test_first_refresh_reads_only_the_newest_rows(
    deferred: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await deferred.refresh(now(clock))

    assert {start for start, _ in hourly_windows(sim)} == {"2025-11-21"}
    state = deferred.state.stations[1]
    last = sim.last_session(1)
    assert last is not None
    assert state.readings["vnakpriv"].event_time == last - last % HOUR
    assert state.pending_hourly == []
    assert deferred.backfill_pending == 6


async def test_the_history_comes_in_chunks_oldest_first(
    deferred: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    start = now(clock)
    await deferred.refresh(start)
    handed = Handed()
    sim.clear_requests()

    steps = await backfill(deferred, clock, handed)

    assert sim.request_count() == steps  # one request per chunk
    assert 6 * 4 <= steps <= 6 * 6
    assert deferred.backfill_pending == 0
    handed.assert_contiguous(deferred, int((start - timedelta(days=31)).timestamp()))
    # From now on, new rows follow the history.
    clock.advance(2 * HOUR)
    sim.new_session()
    await deferred.refresh(now(clock))
    handed.take(deferred)
    handed.assert_contiguous(deferred, int((start - timedelta(days=31)).timestamp()))


async def test_new_rows_during_the_backfill_wait_for_it(
    deferred: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    start = now(clock)
    await deferred.refresh(start)
    handed = Handed()
    await deferred.backfill_step(now(clock))
    handed.take(deferred)
    clock.advance(3 * HOUR)
    sim.new_session()
    await deferred.refresh(now(clock))  # new readings, rows held back
    assert (
        deferred.state.stations[1].readings["p"].event_time
        == int(clock()) // HOUR * HOUR
    )

    await backfill(deferred, clock, handed)

    handed.assert_contiguous(deferred, int((start - timedelta(days=31)).timestamp()))


async def test_a_restart_continues_the_backfill(
    deferred: RusTechSync,
    make_client: Callable[..., RusTechClient],
    sim: RusTechSimulator,
    clock: ManualClock,
) -> None:
    start = now(clock)
    await deferred.refresh(start)
    handed = Handed()
    for _ in range(7):
        await deferred.backfill_step(now(clock))
        handed.take(deferred)
    stored = json.loads(json.dumps(deferred.state.as_dict()))

    restarted = RusTechSync(
        make_client(), SyncState.from_dict(stored), background_backfill=True
    )
    assert restarted.backfill_pending == deferred.backfill_pending > 0
    await backfill(restarted, clock, handed)

    handed.assert_contiguous(restarted, int((start - timedelta(days=31)).timestamp()))


async def test_no_history_window(
    client: RusTechClient, sim: RusTechSimulator, clock: ManualClock
) -> None:
    sync = RusTechSync(client, backfill=timedelta(0), background_backfill=True)

    await sync.refresh(now(clock))

    assert sync.backfill_pending == 0
    assert sync.state.stations[1].readings
    assert not await sync.backfill_step(now(clock))
    clock.advance(HOUR)
    sim.new_session()
    await sync.refresh(now(clock))
    assert [
        int(r.event_time.timestamp()) for r in sync.state.stations[1].take_hourly()
    ] == [int(clock()) // HOUR * HOUR]


async def test_an_unreadable_history_is_given_up(
    deferred: RusTechSync,
    sim: RusTechSimulator,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await deferred.refresh(now(clock))
    for _ in range(3):
        sim.inject("malformed_json", count=2, path="channel_data")
        await deferred.backfill_step(now(clock))

    assert deferred.state.stations[1].history is None
    assert "Station 1" in caplog.text
    assert "giving up its history" in caplog.text
    assert deferred.backfill_pending == 5


async def test_a_station_without_hourly_channels_has_no_history(
    deferred: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await deferred.refresh(now(clock))
    for state in deferred.state.stations.values():
        state.station = replace(state.station, equipment_type_id=99)

    while await deferred.backfill_step(now(clock)):
        pass

    assert deferred.backfill_pending == 0
    assert all(s.pending_hourly == [] for s in deferred.state.stations.values())


async def test_a_history_that_reached_the_newest_row_ends(
    deferred: RusTechSync, clock: ManualClock
) -> None:
    await deferred.refresh(now(clock))
    state = deferred.state.stations[1]
    assert state.history is not None
    state.history.done = int(clock())

    await deferred.backfill_step(now(clock))

    assert state.history is None
    assert state.pending_hourly == []
