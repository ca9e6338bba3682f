"""Fuzzing: mutated answers raise only our errors, hang nowhere, lose nothing.

Every call gets every mutation of its genuine answer (missing keys, swapped
types, empty and HTML bodies, truncated and deeply nested JSON, huge
numbers, NaN, odd headers, wrong list wrapping, ...): the client either
returns models that are safe to hand to Home Assistant or raises a
`TelemetryHubError`. Then the sync engine runs for hours of simulated time
with garbage sprinkled over its answers (test_tecnogaz_fuzz_sync.py); once
the server is sane again, no event is lost and none is announced twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import json
import math
import random
from typing import Any

import pytest

from custom_components.telemetry_hub.api import TelemetryHubError
from custom_components.telemetry_hub.api.tecnogaz import TecnoGazClient
from simulators.tecnogaz import ManualClock, TecnoGazSimulator
from tests.api.tecnogaz.conftest import at

pytestmark = pytest.mark.timeout(60)

AURA = "PXZPB5899"
CALLS = ("devices", "device", "cycles", "report", "alarms")


def walk(body: Any, leaf: Callable[[Any], Any]) -> Any:
    """Rebuild a JSON value, replacing every scalar with `leaf(scalar)`."""
    if isinstance(body, dict):
        return {key: walk(value, leaf) for key, value in body.items()}
    if isinstance(body, list):
        return [walk(value, leaf) for value in body]
    return leaf(body)


def numbers(change: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def mutate(body: Any) -> Any:
        def leaf(value: Any) -> Any:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return change(value)
            return value

        return walk(body, leaf)

    return mutate


def drop_keys(seed: int) -> Callable[[Any], Any]:
    def mutate(body: Any) -> Any:
        rng = random.Random(seed)  # noqa: S311 - deterministic, not crypto

        def prune(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: prune(v) for k, v in value.items() if rng.random() < 0.6}
            if isinstance(value, list):
                return [prune(v) for v in value]
            return value

        return prune(body)

    return mutate


def swap_types(body: Any) -> Any:
    if isinstance(body, dict):
        return [swap_types(value) for value in body.values()]
    if isinstance(body, list):
        return {str(i): swap_types(value) for i, value in enumerate(body)}
    if isinstance(body, str):
        return [body]
    if isinstance(body, int | float) and not isinstance(body, bool):
        return {"value": body}
    return body


def swap_row_types(body: Any) -> Any:
    """Keep the envelope, swap the types inside every row."""
    if isinstance(body, dict):
        return {
            key: [swap_types(row) for row in value]
            if isinstance(value, list)
            else value
            for key, value in body.items()
        }
    return swap_types(body)


def strings(text: str) -> Callable[[Any], Any]:
    return lambda body: walk(body, lambda v: text if isinstance(v, str) else v)


def wrap(key: str) -> Callable[[Any], Any]:
    return lambda body: {key: body}


def rows_as(body: Any, shape: Callable[[Any], Any]) -> Any:
    if isinstance(body, dict):
        return {k: shape(v) if isinstance(v, list) else v for k, v in body.items()}
    return shape(body)


def empty_objects(body: Any) -> Any:
    """Every row (or the single object) without any field."""
    if isinstance(body, dict) and not any(isinstance(v, list) for v in body.values()):
        return {}
    return rows_as(body, lambda rows: [{} for _ in rows])


def huge_digits(body: Any) -> str:
    """Every number with 5000 digits (beyond what json reads by default)."""
    marked = json.dumps(numbers(lambda _v: "__N__")(body))
    return marked.replace('"__N__"', "9" * 5000)


DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000

MUTATIONS: dict[str, dict[str, Any]] = {
    "drop_some_keys": {"fn": drop_keys(1)},
    "drop_more_keys": {"fn": drop_keys(2)},
    "all_objects_empty": {"fn": empty_objects},
    "swap_types": {"fn": swap_types},
    "swap_row_types": {"fn": swap_row_types},
    "numbers_as_text": {"fn": numbers(str)},
    "numbers_as_words": {"fn": numbers(lambda _v: "many")},
    "nulls": {"fn": lambda b: walk(b, lambda _v: None)},
    "bools": {"fn": numbers(lambda _v: True)},
    "negative": {"fn": numbers(lambda v: -abs(v) - 1)},
    "fractions": {"fn": numbers(lambda v: v + 0.5)},
    "huge_ints": {"fn": numbers(lambda _v: 10**30)},
    "huge_digits": {"fn": huge_digits},
    "infinity": {"fn": lambda b: json.dumps(numbers(lambda _v: math.inf)(b))},
    "nan_literal": {"fn": lambda b: json.dumps(numbers(lambda _v: math.nan)(b))},
    "nan_strings": {"fn": numbers(lambda _v: "NaN")},
    "long_strings": {"fn": strings("x" * 100_000)},
    "lone_surrogates": {"fn": strings("\ud800")},
    "empty_body": {"fn": lambda _b: b""},
    "empty_object": {"fn": lambda _b: {}},
    "empty_list": {"fn": lambda _b: []},
    "null": {"fn": lambda _b: None},
    "scalar": {"fn": lambda _b: 42},
    "text": {"fn": lambda _b: '"just text"'},
    "list_of_scalars": {"fn": lambda _b: [1, "x", None, True, 2.5]},
    "rows_are_scalars": {"fn": lambda b: rows_as(b, lambda r: list(range(len(r))))},
    "html": {"fn": lambda _b: "<html><body>Gateway</body></html>"},
    "truncated": {"fn": lambda b: json.dumps(b)[: max(1, len(json.dumps(b)) // 2)]},
    "deeply_nested": {"fn": lambda _b: DEEP},
    "deeply_nested_object": {"fn": lambda _b: DEEP_OBJECT},
    "wrong_wrapper": {"fn": wrap("data")},
    "double_wrapped": {"fn": lambda b: rows_as(b, lambda rows: {"items": rows})},
    "odd_headers": {
        "fn": lambda b: b,
        "headers": {"Retry-After": "soon", "Age": "-7", "Cache-Control": "max-age=x"},
        "content_type": "text/plain",
    },
    "gzip_lie": {"fn": lambda b: b, "headers": {"Content-Encoding": "gzip"}},
    "error_body_200": {"fn": lambda _b: {"error": "oops", "message": "it broke"}},
    "status_418": {"fn": lambda b: b, "status": 418},
    "status_204": {"fn": lambda _b: b"", "status": 204},
}


async def invoke(
    client: TecnoGazClient, call: str, clock: ManualClock, number: int
) -> Any:
    now = at(clock)
    week = timedelta(days=7)
    if call == "devices":
        return await client.devices()
    if call == "device":
        return await client.device(AURA)
    if call == "cycles":
        return await client.cycles_until(AURA, now - week, now, page_size=5)
    if call == "report":
        return await client.report(AURA, number)
    return await client.alarms(AURA, now - week, now)


def assert_safe(result: Any) -> None:
    """What a call returns is safe for Home Assistant."""
    items = result if isinstance(result, list) else [result]
    for item in items:
        if hasattr(item, "attributes"):
            json.dumps(item.attributes(), allow_nan=False)
        if hasattr(item, "as_dict"):
            json.dumps(item.as_dict(), allow_nan=False)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@pytest.mark.parametrize("call", CALLS)
async def test_mutated_answers_raise_only_our_errors(
    make_client: Callable[..., TecnoGazClient],
    sim: TecnoGazSimulator,
    clock: ManualClock,
    call: str,
    mutation: str,
) -> None:
    client = make_client(request_timeout=2.0)
    cycle = sim.run_cycle(AURA)
    sim.raise_alarm(AURA, "W01", "Clean water tank empty", "warning")
    sim.inject("mutate", call=call, **MUTATIONS[mutation])
    try:
        result = await invoke(client, call, clock, cycle.number)
    except TelemetryHubError:
        pass
    else:
        assert_safe(result)
    sim.clear_faults()
    assert_safe(await invoke(client, call, clock, cycle.number))


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("timeout", {"delay": 5.0}),
        ("reset", {"count": 2}),
        ("partial", {"count": 2}),
        ("malformed_json", {}),
        ("server_error", {"status": 504}),
        ("html", {"status": 502}),
    ],
)
async def test_faults_never_hang(  # noqa: PLR0917 - fixtures and parameters
    make_client: Callable[..., TecnoGazClient],
    sim: TecnoGazSimulator,
    clock: ManualClock,
    call: str,
    kind: str,
    options: dict[str, Any],
) -> None:
    client = make_client(request_timeout=0.05)
    cycle = sim.run_cycle(AURA)
    sim.inject(kind, call=call, **options)
    with pytest.raises(TelemetryHubError):
        await invoke(client, call, clock, cycle.number)
