"""One bad station never takes the account down (issue 8, items 1 and 3)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json
import logging
import math

import orjson
import pytest

from custom_components.telemetry_hub.api import (
    TelemetryHubConnectionError,
    TelemetryHubRateLimitError,
)
from custom_components.telemetry_hub.api.rustech.client import RusTechClient
from custom_components.telemetry_hub.api.rustech.models import ArchiveRecord
from custom_components.telemetry_hub.api.rustech.state import Feed, SyncState
from custom_components.telemetry_hub.api.rustech.sync import RusTechSync
from simulators.rustech import ManualClock, RusTechSimulator


def now(clock: ManualClock) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


@pytest.fixture
def sync(client: RusTechClient) -> RusTechSync:
    return RusTechSync(client)


@pytest.mark.parametrize(
    "code",
    [10**30, -(2**64), 2**63, float("nan"), float("inf"), 1e308, 10**4000],
    ids=["1e30", "-2^64", "2^63", "nan", "inf", "1e308", "4000 digits"],
)
async def test_a_record_with_an_absurd_code_breaks_nothing(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock, code: float
) -> None:
    await sync.refresh(now(clock))
    clock.advance(1800)
    sim.numbers_as_strings = "never"
    sim.add_abnormal(3, clock() - 60, code, "Нештатная ситуация")  # type: ignore[arg-type]
    sim.new_session([3])

    result = await sync.refresh(now(clock))

    assert result.failed == {}
    [record] = sync.state.stations[3].take_abnormal()
    assert record.raw["NSText"] == "Нештатная ситуация"
    nscode = record.raw["NSCode"]
    assert nscode is None or isinstance(nscode, str | int | float)
    if isinstance(nscode, float):
        assert math.isfinite(nscode)
    # Whatever it was, the state and the event attributes stay JSON.
    sync.state.stations[3].pending_abnormal.append(record)
    stored = sync.state.as_dict()
    json.dumps(stored, allow_nan=False)
    orjson.dumps(stored)
    orjson.dumps(record.json_channels())
    assert SyncState.from_dict(json.loads(json.dumps(stored))).as_dict() == stored


async def test_an_unexpected_error_stays_with_its_station(
    sync: RusTechSync,
    sim: RusTechSimulator,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session([1, 2])
    archive = sync.client.archive

    async def broken_for_station_1(*args: object, **kwargs: object) -> object:
        if kwargs.get("station_id") == 1:
            msg = "a record nothing can read"
            raise RuntimeError(msg)
        return await archive(*args, **kwargs)  # type: ignore[arg-type]

    sync.client.archive = broken_for_station_1  # type: ignore[method-assign]
    result = await sync.refresh(now(clock))

    assert set(result.failed) == {1}
    assert "RuntimeError" in result.failed[1]
    assert 2 in result.changed
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]
    assert len(errors) == 1
    assert errors[0].exc_info is not None


async def test_one_connection_failure_stays_with_its_station(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session([1, 2])
    # station 1's hourly archive and the client's retry of it
    sim.inject("server_error", count=2, path="channel_data")

    result = await sync.refresh(now(clock))

    assert set(result.failed) == {1}
    assert "500" in result.failed[1]
    assert sync.state.stations[2].feeds[Feed.HOURLY].synced_session == sim.last_session(
        2
    )
    sim.clear_requests()
    await sync.refresh(now(clock))  # station 1's hourly feed is still due
    assert [
        r.params["equipment_id"] for r in sim.requests if r.path == "channel_data"
    ] == ["61"]


async def test_a_session_rejected_twice_aborts_the_refresh(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session([1])
    sim.inject("unauthorized", count=2, path="channel_data")

    with pytest.raises(TelemetryHubConnectionError, match="just opened"):
        await sync.refresh(now(clock))

    assert sync.client.sign_in_count == 2


async def test_a_rate_limit_aborts_the_refresh(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session([1])
    sim.inject("rate_limit", path="channel_data", retry_after=60)

    with pytest.raises(TelemetryHubRateLimitError):
        await sync.refresh(now(clock))


async def test_at_most_one_sign_in_per_refresh(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(3600)
    sim.new_session()
    sim.inject("expire_session", count=3, path="channel_data")

    with pytest.raises(TelemetryHubConnectionError):
        await sync.refresh(now(clock))

    assert sync.client.sign_in_count == 2  # the first refresh's, and one more
    assert len(sim.sessions("api@local.net")) <= 1


async def test_rows_dated_far_in_the_future_do_not_freeze_the_feed(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(1800)
    sim.add_abnormal(1, clock() - 60, 5, "Сейчас")
    sim.add_abnormal(1, 253_402_300_000, 6, "В 9999 году")
    sim.new_session([1])
    archive = sync.client.archive

    async def with_future_row(*args: object, **kwargs: object) -> list[ArchiveRecord]:
        records = await archive(*args, **kwargs)  # type: ignore[arg-type]
        future = ArchiveRecord.from_row(
            {"event_time": 253_402_300_000, "channel_data": [{"NSCode": 6}]}
        )
        assert future is not None
        return [*records, future]

    sync.client.archive = with_future_row  # type: ignore[method-assign]
    await sync.refresh(now(clock))

    state = sync.state.stations[1]
    assert [r.raw.get("NSCode") for r in state.take_abnormal()] == [5]
    assert state.feeds[Feed.ABNORMAL].cursor == int(clock()) - 60


async def test_settings_are_read_only_when_wanted(
    client: RusTechClient, sim: RusTechSimulator, clock: ManualClock
) -> None:
    sync = RusTechSync(client, wanted=lambda _station, feed: feed is not Feed.SETTINGS)

    await sync.refresh(now(clock))

    assert not any(r.params.get("archive_type") == "settings" for r in sim.requests)
    assert sync.state.stations[1].settings == []
    settings = await sync.read_settings(1)
    assert len(settings) == 13
    assert sync.state.stations[1].settings == settings
    assert await sync.read_settings(999) == []


async def test_refreshes_never_overlap(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    clock.advance(1800)
    sim.add_abnormal(2, clock() - 60, 11, "Низкий заряд батареи")
    sim.new_session([2])
    sim.latency = 0.02
    sim.clear_requests()

    await asyncio.gather(sync.refresh(now(clock)), sync.refresh(now(clock)))

    records = sync.state.stations[2].take_abnormal()
    assert [r.raw["NSText"] for r in records] == ["Низкий заряд батареи"]
    assert sim.request_count("channel_data") == 1  # nesht, once
    assert sim.request_count("stations") == 2  # the second refresh came after


async def test_a_session_that_moves_back_is_read(
    sync: RusTechSync, sim: RusTechSimulator, clock: ManualClock
) -> None:
    await sync.refresh(now(clock))
    state = sync.state.stations[1]
    state.feeds[Feed.ABNORMAL].synced_session = int(clock()) + 86400  # bogus

    sim.clear_requests()
    await sync.refresh(now(clock))

    assert [
        r.params["archive_type"] for r in sim.requests if r.path == "channel_data"
    ] == ["nesht"]
