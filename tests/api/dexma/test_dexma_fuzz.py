"""Fuzz: mutated answers to every call raise only our errors and never hang."""

# ruff: noqa: DTZ001 - the API speaks naive local wall times

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import copy
from datetime import datetime
import json
import random
from typing import Any

import pytest

from custom_components.telemetry_hub.api import TelemetryHubError
from custom_components.telemetry_hub.api.dexma import (
    DexmaClient,
    Operation,
    ReadingsCall,
    Resolution,
)
from tests.api.dexma.dexma_helpers import Script

DEVICE = {
    "id": 7,
    "name": "Main",
    "description": "d",
    "local_id": "L7",
    "status": "ACTIVE",
    "location": {"id": 3},
    "datasource": {"id": 9},
}
LOCATION = {"id": 3, "name": "HQ", "timezone": "Europe/Madrid"}
PARAMETER = {"id": 1, "key": "EACTIVE", "name": "Energy", "units": "kWh", "nature": "E"}
READINGS = {
    "timezone": "Europe/Madrid",
    "units": "kWh",
    "values": [
        {"ts": "2025-03-30T01:00:00+01:00", "v": 1.5},
        {"ts": "2025-03-30T03:00:00+02:00", "v": "2.5"},
    ],
}
QUOTA = {
    "X-Ratelimit-Hour-Limit": "1000",
    "X-Ratelimit-Hour-Remaining": "999",
    "X-Ratelimit-Hour-Reset": "296",
    "X-Ratelimit-Day-Limit": "10000",
    "X-Ratelimit-Day-Remaining": "9999",
    "X-Ratelimit-Day-Reset": "36296",
}
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    1e308,
    "",
    "NaN",
    "Infinity",
    "1e999",
    "x" * 5000,
    [],
    {},
    [None],
    {"id": None},
    "2025-13-45T99:99:99",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
]
ODD_HEADERS = [
    "",
    "-1",
    "abc",
    "1e999",
    "NaN",
    "99999999999999999999999",
    " 7 ",
    "0x10",
]
RAW_BODIES: list[bytes] = [
    b"",
    b"   ",
    b"<html><body>Bad gateway</body></html>",
    b'{"values": [',
    b"[" * 50_000 + b"]" * 50_000,
    b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    b"NaN",
    b"1e400",
    b"9" * 10_000,
    b'"just a string"',
    b"\xff\xfe\x00garbage",
    b"null",
    b"[[[]]]",
]
STATUSES = [200, 200, 200, 204, 302, 400, 401, 403, 404, 422, 429, 500, 503]


def _mutate(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """Drop keys, swap types, re-wrap lists: one random change deep inside."""
    if isinstance(value, dict) and value and depth < 4:
        key = rng.choice(list(value))
        roll = rng.random()
        result = dict(value)
        if roll < 0.3:
            del result[key]
        elif roll < 0.7:
            result[key] = rng.choice(ODD_VALUES)
        else:
            result[key] = _mutate(value[key], rng, depth + 1)
        return result
    if isinstance(value, list) and value and depth < 4:
        roll = rng.random()
        if roll < 0.2:
            return {"data": value[0]}
        if roll < 0.4:
            return [value]
        result = list(value)
        index = rng.randrange(len(result))
        result[index] = _mutate(result[index], rng, depth + 1)
        return result
    return rng.choice(ODD_VALUES)


def _answers(base: Any, rng: random.Random, count: int) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    for index in range(count):
        headers = dict(QUOTA)
        if rng.random() < 0.5:
            for name in rng.sample(list(QUOTA), 3):
                headers[name] = rng.choice(ODD_HEADERS)
        if rng.random() < 0.2:
            headers = {}
        if rng.random() < 0.3:
            headers["Retry-After"] = rng.choice(
                [*ODD_HEADERS, "Wed, 21 Oct 2015 07:28:00 GMT"]
            )
        status = rng.choice(STATUSES)
        if index < len(RAW_BODIES):
            body: bytes = RAW_BODIES[index]
        else:
            mutated = _mutate(copy.deepcopy(base), rng)
            body = json.dumps(mutated, allow_nan=True).encode()
            if rng.random() < 0.1:
                body = body[: rng.randrange(1, max(2, len(body)))]
        content_type = rng.choice(["application/json", "text/html", "text/plain"])
        answers.append(
            {
                "status": status,
                "text": body,
                "headers": headers,
                "content_type": content_type,
            }
        )
    return answers


def _calls(client: DexmaClient) -> dict[str, tuple[Any, Callable[[], Awaitable[Any]]]]:
    call = ReadingsCall(
        7,
        "EACTIVE",
        Resolution.H,
        Operation.DELTA,
        datetime(2025, 3, 30),
        datetime(2025, 3, 30, 23, 59, 59),
        "Europe/Madrid",
    )
    return {
        "devices": ([DEVICE, DEVICE | {"id": 8}], client.devices),
        "device": (DEVICE, lambda: client.device(7)),
        "locations": ([LOCATION], client.locations),
        "location": (LOCATION, lambda: client.location(3)),
        "parameters": ([PARAMETER], lambda: client.parameters(7)),
        "resolutions": (["H", "D"], lambda: client.resolutions(7, "EACTIVE")),
        "readings": (
            READINGS,
            lambda: client.readings(
                7,
                "EACTIVE",
                Resolution.H,
                datetime(2025, 3, 30),
                datetime(2025, 3, 30, 23),
                operation=Operation.DELTA,
                tz="Europe/Madrid",
            ),
        ),
        "fetch": (READINGS, lambda: client.fetch(call)),
        "check": ([DEVICE], client.check),
    }


@pytest.mark.parametrize(
    "name",
    [
        "devices",
        "device",
        "locations",
        "location",
        "parameters",
        "resolutions",
        "readings",
        "fetch",
        "check",
    ],
)
async def test_mutated_answers_raise_only_our_errors(
    scripted: tuple[Script, str], scripted_client: DexmaClient, name: str
) -> None:
    script, _ = scripted
    base, invoke = _calls(scripted_client)[name]
    rng = random.Random(f"dexma-fuzz-{name}")  # noqa: S311 - reproducible fuzz
    outcomes: dict[str, int] = {}
    messages: list[str] = []
    for answer in _answers(base, rng, 60):
        script.answers.clear()
        script.add(
            answer["status"],
            text=answer["text"],
            headers=answer["headers"],
            content_type=answer["content_type"],
        )
        try:
            await asyncio.wait_for(invoke(), timeout=10)
        except TelemetryHubError as err:
            outcomes[type(err).__name__] = outcomes.get(type(err).__name__, 0) + 1
            messages.append(str(err))
        else:
            outcomes["ok"] = outcomes.get("ok", 0) + 1
        quota = scripted_client.quota
        if quota is not None:
            for value in (quota.hour_limit, quota.hour_remaining, quota.day_remaining):
                assert value is None or 0 <= value <= 1_000_000_000
    assert sum(outcomes.values()) == 60
    assert not [m for m in messages if "0123456789abcdef0123" in m]
    assert len(outcomes) > 2  # the mutations reached several outcomes


async def test_a_stalled_server_times_out(
    scripted: tuple[Script, str], scripted_client: DexmaClient
) -> None:
    scripted[0].add(200, [DEVICE], delay=5)
    with pytest.raises(TelemetryHubError):
        await asyncio.wait_for(scripted_client.devices(), timeout=10)
