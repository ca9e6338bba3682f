"""The incremental sync engine: what each refresh fetches, and its state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import json
import logging

import pytest

from custom_components.telemetry_hub.api import TelemetryHubConnectionError
from custom_components.telemetry_hub.api.rustech.client import RusTechClient
from custom_components.telemetry_hub.api.rustech.state import Feed, SyncState
from custom_components.telemetry_hub.api.rustech.sync import (
    RusTechSync,
    daily_only_channels,
)
from simulators.rustech import ManualClock, RusTechSimulator


def now(clock: ManualClock) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def ours(caplog: pytest.LogCaptureFixture, level: str) -> list[logging.LogRecord]:
    """Our log records of a level (asyncio's slow-step warnings are not ours)."""
    return [
        r
        for r in caplog.records
        if r.levelname == level and r.name.startswith("custom_components")
    ]


def archive_requests(sim: RusTechSimulator) -> list[tuple[str, str]]:
    return [
        (r.params["equipment_id"], r.params["archive_type"])
        for r in sim.requests
        if r.path == "channel_data"
    ]


@pytest.fixture
def sync(client: RusTechClient) -> RusTechSync:
    return RusTechSync(client)


async def test_first_refresh_reads_everything_once(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    result = await sync.refresh(now(clock))

    assert result.added == {1, 2, 3, 4, 5, 6}
    # sign-in, stations, channels of 2 types, then hourly + daily + settings
    # per station; abnormal situations start from now (history is not news).
    assert sim.request_count() == 1 + 1 + 2 + 6 * 3
    kinds = [kind for _, kind in archive_requests(sim)]
    assert kinds.count("hourly") == kinds.count("daily") == kinds.count("settings") == 6
    assert "nesht" not in kinds
    bk = sync.state.stations[1]
    assert set(bk.readings) == {"p", "t", "vnakwork", "vnakpriv", "vwork", "vpriv"}
    last = sim.last_session(1)
    assert last is not None
    newest_hour = last - last % 3600
    assert bk.readings["vnakpriv"].event_time == newest_hour
    expected = sim.hourly_values(1, newest_hour)
    assert bk.readings["vnakpriv"].value == pytest.approx(expected["Vnakpriv"])
    assert bk.readings["p"].value == pytest.approx(expected["P"])
    assert bk.readings["vwork"].archive == "daily"
    # a month of hourly rows waits for the statistics import
    assert 24 * 30 <= len(bk.pending_hourly) <= 24 * 33
    assert bk.feeds[Feed.ABNORMAL].cursor == last
    assert len(bk.settings) == 13


async def test_steady_refresh_without_news_reads_only_the_list(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.clear_requests()

    result = await sync.refresh(now(clock))

    assert [r.path for r in sim.requests] == ["stations"]
    assert not result.changed


async def test_new_session_fetches_that_station_only(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session([2, 5])
    sim.clear_requests()

    result = await sync.refresh(now(clock))

    assert result.changed == {2, 5}
    assert sorted(archive_requests(sim)) == [
        ("63", "hourly"),
        ("63", "nesht"),
        ("69", "hourly"),
        ("69", "nesht"),
    ]
    assert sim.request_count() == 1 + 4
    window = next(r for r in sim.requests if r.path == "channel_data").params
    start = datetime.fromisoformat(window["fp_start"]).date()
    assert (now(clock).date() - start).days <= 2  # only since the newest row


async def test_daily_feeds_once_a_day(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(86400)
    sim.new_session([1])
    sim.clear_requests()

    await sync.refresh(now(clock))

    # the next day: channel metadata is a day old too
    assert sorted(kind for _, kind in archive_requests(sim)) == [
        "daily",
        "hourly",
        "nesht",
        "settings",
    ]
    assert sim.request_count("channel_archive_types") == 2
    clock.advance(3600)
    sim.new_session([1])
    sim.clear_requests()

    await sync.refresh(now(clock))

    assert sorted(kind for _, kind in archive_requests(sim)) == ["hourly", "nesht"]


async def test_session_within_the_hour_cannot_bring_an_hourly_row(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))  # newest hourly row: 09:00
    clock.advance(20 * 60)
    sim.new_session([1])  # 09:20: the 10:00 row does not exist yet
    sim.clear_requests()

    await sync.refresh(now(clock))

    assert archive_requests(sim) == [("61", "nesht")]
    clock.advance(45 * 60)
    sim.new_session([1])  # 10:05: it does now
    sim.clear_requests()

    await sync.refresh(now(clock))

    assert archive_requests(sim) == [("61", "hourly"), ("61", "nesht")]
    assert (
        sync.state.stations[1].readings["p"].event_time == int(clock()) // 3600 * 3600
    )


async def test_new_abnormal_situation_is_pending_once(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(1800)
    sim.add_abnormal(3, clock() - 60, 11, "Низкий заряд батареи")
    sim.new_session([3])

    await sync.refresh(now(clock))

    records = sync.state.stations[3].take_abnormal()
    assert [r.raw["NSText"] for r in records] == ["Низкий заряд батареи"]
    assert sync.state.stations[3].take_abnormal() == []
    # a restart continues from the stored cursor: nothing is announced again
    restored = RusTechSync(sync.client, SyncState.from_dict(sync.state.as_dict()))
    clock.advance(600)
    sim.new_session([3])
    await restored.refresh(now(clock))
    assert restored.state.stations[3].take_abnormal() == []


async def test_unwanted_feeds_are_skipped(
    client: RusTechClient, sim: RusTechSimulator, clock: ManualClock
) -> None:
    sync = RusTechSync(client, wanted=lambda _station, feed: feed is Feed.HOURLY)
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.add_abnormal(1, clock() - 30, 1, "Давление выше верхней уставки")
    sim.new_session([1])
    sim.clear_requests()

    await sync.refresh(now(clock))

    assert archive_requests(sim) == [("61", "hourly")]
    # skipped, not queued: turning the entity on later does not replay it
    assert sync.state.stations[1].feeds[Feed.ABNORMAL].cursor == sim.last_session(1)
    assert "vwork" not in sync.state.stations[1].readings


async def test_state_survives_a_json_round_trip(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    sync.state.stations[1].take_hourly()
    sim.add_abnormal(2, sim.last_session(2) or 0, 3, "Отказ датчика температуры")

    stored = json.loads(json.dumps(sync.state.as_dict()))
    restored = SyncState.from_dict(stored)

    assert restored.as_dict() == sync.state.as_dict()
    assert restored.stations[2].readings == sync.state.stations[2].readings
    assert restored.stations[2].pending_hourly == sync.state.stations[2].pending_hourly


@pytest.mark.parametrize(
    "stored", [None, {}, {"version": 99}, {"version": 1, "stations": []}]
)
def test_unreadable_state_starts_afresh(stored: dict[str, object] | None) -> None:
    assert SyncState.from_dict(stored).stations == {}


def test_state_skips_broken_parts() -> None:
    state = SyncState.from_dict(
        {
            "version": 1,
            "types": {
                "x": {},
                "1": "junk",
                "2": {"channels": ["junk", {"channel_varname": "P"}]},
            },
            "stations": {
                "1": "junk",
                "2": {"station": {}},
                "3": {
                    "station": {"id": 3},
                    "readings": {
                        "p": [1.5, 10, "hourly"],
                        "t": ["x", 1, "hourly"],
                        "v": [1],
                    },
                    "settings": [
                        ["Контрактный час", "10", "ч"],
                        ["short"],
                        [None, "1", None],
                    ],
                    "pending_hourly": [
                        {"t": 3600, "raw": {"P": 1}},
                        "junk",
                        {"raw": {}},
                    ],
                },
            },
        }
    )

    assert list(state.types) == [2]
    assert state.types[2].channels == []
    assert list(state.stations) == [3]
    station = state.stations[3]
    assert list(station.readings) == ["p"]
    assert [s.name for s in station.settings] == ["Контрактный час"]
    assert len(station.pending_hourly) == 1


async def test_vanished_station_is_removed_after_two_listings(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    sim.remove_station(4)

    first = await sync.refresh(now(clock))
    second = await sync.refresh(now(clock))

    assert not first.removed
    assert 4 in sync.state.stations or second.removed
    assert list(second.removed) == [4]
    assert 4 not in sync.state.stations


async def test_station_back_before_removal_is_kept(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    state = sync.state.stations[4]
    state.missing = 1  # missed one listing (a glitch)

    result = await sync.refresh(now(clock))

    assert not result.removed
    assert sync.state.stations[4].missing == 0


async def test_new_station_is_added(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    added = sim.add_station(equipment_type_id=2)
    clock.advance(60)
    sim.new_session([added.id])

    result = await sync.refresh(now(clock))

    assert result.added == {added.id}
    assert sync.state.stations[added.id].readings


async def test_broken_archive_of_one_station_does_not_stop_the_others(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session([1, 2])
    # station 1's hourly archive, and the client's retry of it
    sim.inject("malformed_json", count=2, path="channel_data")

    result = await sync.refresh(now(clock))

    assert set(result.failed) == {1}
    assert "hourly" in result.failed[1]
    assert sync.state.stations[2].feeds[Feed.HOURLY].synced_session == sim.last_session(
        2
    )
    # station 1's hourly feed stays due: the next refresh tries again
    sim.clear_requests()
    await sync.refresh(now(clock))
    assert archive_requests(sim) == [("61", "hourly")]
    assert sync.state.stations[1].error is None


async def test_connection_errors_abort_but_keep_progress(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session([1, 2])
    calls = 0
    client_archive = sync.client.archive

    async def archive_then_fail(*args: object, **kwargs: object) -> object:
        # station 1: hourly and nesht succeed; then the server is down
        nonlocal calls
        calls += 1
        if calls >= 3:
            raise TelemetryHubConnectionError("down")
        return await client_archive(*args, **kwargs)  # type: ignore[arg-type]

    sync.client.archive = archive_then_fail  # type: ignore[method-assign]
    with pytest.raises(TelemetryHubConnectionError):
        await sync.refresh(now(clock))

    assert sync.state.stations[1].feeds[Feed.HOURLY].synced_session == sim.last_session(
        1
    )
    assert sync.state.stations[2].feeds[Feed.HOURLY].synced_session != sim.last_session(
        2
    )


async def test_station_list_without_session_times(
    sync: RusTechSync,
    sim: RusTechSimulator,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.session_times_in_list = False
    sim.remove_station(6)
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session([1])
    sim.clear_requests()

    await sync.refresh(now(clock))

    assert sim.request_count("stations/last_seance_event_time") == 5
    assert archive_requests(sim) == [("61", "hourly"), ("61", "nesht")]
    assert caplog.text.count("no session times") == 1


async def test_missing_last_session_is_tolerated(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    sim.session_times_in_list = False
    sim.inject("not_found", path="stations/last_seance_event_time")

    result = await sync.refresh(now(clock))

    assert result.added == {1, 2, 3, 4, 5, 6}
    assert sync.state.stations[1].station.last_session is None
    assert not sync.state.stations[1].readings


async def test_broken_channel_metadata_is_retried(
    sync: RusTechSync,
    sim: RusTechSimulator,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.inject("malformed_json", count=2, path="channel_archive_types")

    await sync.refresh(now(clock))

    assert "Cannot read the channels of equipment type 1" in caplog.text
    assert 1 not in sync.state.types
    assert not sync.state.stations[1].readings  # BK: no channels, nothing due
    sim.clear_requests()
    await sync.refresh(now(clock))
    assert sim.request_count("channel_archive_types") == 1
    assert sync.state.stations[1].readings


async def test_backfill_is_limited(
    make_client: Callable[..., RusTechClient], sim: RusTechSimulator, clock: ManualClock
) -> None:
    sync = RusTechSync(make_client(), backfill=timedelta(days=2))

    await sync.refresh(now(clock))

    first = next(r for r in sim.requests if r.params.get("archive_type") == "hourly")
    start = datetime.fromisoformat(first.params["fp_start"]).date()
    assert (now(clock).date() - start).days == 2
    assert len(sync.state.stations[1].pending_hourly) <= 3 * 24


def test_daily_only_channels(sync: RusTechSync) -> None:
    assert daily_only_channels([]) == []


async def test_a_station_that_stays_broken_warns_once(
    sync: RusTechSync,
    sim: RusTechSimulator,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session([1])
    for _ in range(3):  # station 1's hourly archive is broken three polls long
        sim.inject("malformed_json", count=2, path="channel_data")
        await sync.refresh(now(clock))
    warnings = ours(caplog, "WARNING")
    assert len(warnings) == 1
    assert "Station 1" in warnings[0].getMessage()

    await sync.refresh(now(clock))  # readable again
    assert sync.state.stations[1].error is None
    sim.inject("malformed_json", count=2, path="channel_data")
    clock.advance(3600)
    sim.new_session([1])
    await sync.refresh(now(clock))  # broken anew: a new warning
    assert len(ours(caplog, "WARNING")) == 2


async def test_unreadable_channels_warn_once(
    sync: RusTechSync,
    sim: RusTechSimulator,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for _ in range(3):
        sim.inject("malformed_json", count=2, path="channel_archive_types")
        await sync.refresh(now(clock))

    assert caplog.text.count("Cannot read the channels of equipment type 1") == 3
    warnings = ours(caplog, "WARNING")
    assert len(warnings) == 1
