"""Corners of the DEXMA package the main tests do not reach."""

# ruff: noqa: DTZ001 - the API speaks naive local wall times

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.telemetry_hub.api import TelemetryHubProtocolError
from custom_components.telemetry_hub.api.dexma import (
    BackfillPlan,
    DexmaClient,
    Meter,
    Quota,
    QuotaTracker,
    Resolution,
    client as client_module,
    parse_quota,
    plan_refresh,
)
from custom_components.telemetry_hub.api.dexma.answers import (
    error_message,
    resolution_codes,
)
from custom_components.telemetry_hub.api.dexma.spans import _safe_boundary
from tests.api.dexma.dexma_helpers import Script

NOW = 1_763_802_000.0


def test_resolution_codes_from_any_shape() -> None:
    assert resolution_codes({"raw_resolutions": ["H", "D"], "other": 5}) == ["H", "D"]
    assert resolution_codes([{"resolution": "QH"}, {"key": 5}, 7]) == ["QH"]
    deep: list[object] = []
    for _ in range(2000):
        deep = [deep, "H"]
    assert len(resolution_codes(deep)) < 1000


def test_error_messages() -> None:
    token = "0123456789abcdef0123"
    body = {"errors": [1], "message": "Entity validation error"}
    assert error_message(body, token) == "Entity validation error"
    assert error_message({"errors": ["plain"]}, token) == "plain"
    assert error_message({"errors": [{"message": "inner"}]}, token) == "inner"
    assert error_message({"error": "x" * 500}, token) == "x" * 200
    assert error_message({"message": "\n"}, token) is None
    assert error_message("text", token) is None


async def test_duplicate_and_unknown_resolutions(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    scripted[0].add(200, ["H", " h ", "X", "D"])
    assert await scripted_client.resolutions(1, "EACTIVE") == [
        Resolution.H,
        Resolution.D,
    ]


async def test_endless_paging_is_cut(
    make_client: Callable[..., DexmaClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "_MAX_PAGES", 3)
    client = make_client(page_size=1)
    with pytest.raises(TelemetryHubProtocolError, match="more than 3 pages"):
        await client.devices()


def test_resolution_steps() -> None:
    assert Resolution.QH.step == timedelta(minutes=15)
    assert Resolution.M.step is None
    assert Resolution.B.max_span_months == 1


def test_safe_boundary_limits() -> None:
    zone = ZoneInfo("America/Santiago")
    gap = datetime(2025, 9, 7)
    assert _safe_boundary(gap, zone, gap) == gap  # cannot move below the floor
    assert _safe_boundary(gap, zone, gap - timedelta(hours=1)) == datetime(
        2025, 9, 6, 23, 45
    )


def test_quota_headers_of_other_types_are_ignored() -> None:
    quota = parse_quota({"X-Ratelimit-Hour-Limit": 5}, NOW)  # type: ignore[dict-item]
    assert not quota.known


def test_tracker_learns_remaining_after_the_window_started() -> None:
    tracker = QuotaTracker()
    tracker.observe(Quota(NOW, hour_reset=3600))
    tracker.observe(Quota(NOW + 1, hour_remaining=100, hour_reset=3599))
    assert tracker.spent() == (2, 2)
    plan = plan_refresh(1, 3600)
    # half of what was left when the window began (100 + our 2), minus our 2
    assert tracker.allowance(plan, NOW + 2).calls == 49


def test_exhausted_without_a_reset_has_no_retry_hint() -> None:
    tracker = QuotaTracker()
    tracker.observe(Quota(NOW, hour_remaining=0))
    allowance = tracker.allowance(plan_refresh(1, 900), NOW)
    assert allowance.calls == 0
    assert allowance.retry_after is None


def test_backfill_inputs_for_unknown_meters_and_missing_bounds() -> None:
    plan = BackfillPlan(
        [Meter(1, "EACTIVE")], date(2025, 1, 1), date(2025, 2, 1), done={"9/X": [0]}
    )
    assert plan.remaining_calls == 1
    assert BackfillPlan.from_dict({"version": 1, "end": "2025-02-01"}) is None


async def test_too_deep_json_is_a_protocol_error(
    client: DexmaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python 3.13's decoder raises RecursionError on deep nesting (3.14's copes):
    # the shared helper lets it through, so the client turns it into ours.
    async def deep(*args: object, **kwargs: object) -> None:
        raise RecursionError

    monkeypatch.setattr(client_module, "request_json", deep)
    with pytest.raises(TelemetryHubProtocolError, match="nested too deeply"):
        await client.check()
