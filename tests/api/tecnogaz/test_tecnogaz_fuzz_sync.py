"""The sync engine through hours of garbage answers: nothing lost, nothing twice.

The machines run on their own; now and then an answer is mutated (see
test_tecnogaz_fuzz.py) or fails (5xx, stall, malformed, HTML, stale, 429).
Only mutations that destroy values are used here: garbage that turns one
id into another valid-looking id cannot be told from the truth by anyone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
import json
import random

import pytest

from custom_components.telemetry_hub.api import TelemetryHubError
from custom_components.telemetry_hub.api.tecnogaz import (
    TecnoGazClient,
    TecnoGazEvent,
    TecnoGazSync,
)
from simulators.tecnogaz import ManualClock, TecnoGazSimulator
from tests.api.tecnogaz.conftest import at
from tests.api.tecnogaz.test_tecnogaz_catchup import MONDAY, event_key, truth
from tests.api.tecnogaz.test_tecnogaz_fuzz import CALLS, MUTATIONS

pytestmark = pytest.mark.timeout(120)

# Garbage that destroys values (it never turns one id into another): the
# sync engine must lose and duplicate nothing through it.
SYNC_MUTATIONS = [
    "drop_some_keys",
    "drop_more_keys",
    "all_objects_empty",
    "swap_types",
    "swap_row_types",
    "numbers_as_text",
    "nulls",
    "bools",
    "huge_ints",
    "huge_digits",
    "infinity",
    "nan_literal",
    "nan_strings",
    "empty_body",
    "empty_object",
    "empty_list",
    "null",
    "list_of_scalars",
    "rows_are_scalars",
    "html",
    "truncated",
    "deeply_nested",
    "wrong_wrapper",
    "double_wrapped",
    "odd_headers",
    "gzip_lie",
    "error_body_200",
    "status_418",
]
FAULTS = [
    ("server_error", {}),
    ("timeout", {"delay": 5.0}),
    ("malformed_json", {}),
    ("html", {}),
    ("stale", {"age": 900}),
    ("rate_limit", {"retry_after": 20}),
]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
def sim(clock: ManualClock) -> TecnoGazSimulator:
    """Three busy sterilizers that run on their own."""
    simulator = TecnoGazSimulator(sterilizers=0, clock=clock, seed=11)
    simulator.rates = (0.12, 0.06, 0.25)
    for _ in range(3):
        simulator.add_sterilizer()
    return simulator


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_sync_loses_and_repeats_nothing_through_garbage(
    sim: TecnoGazSimulator,
    clock: ManualClock,
    make_client: Callable[..., TecnoGazClient],
    seed: int,
) -> None:
    sync = TecnoGazSync(make_client(request_timeout=0.05))
    await sync.refresh(at(clock))
    start = clock()
    rng = random.Random(seed)  # noqa: S311 - deterministic, not crypto
    seen: list[TecnoGazEvent] = []
    errors = 0
    for _ in range(150):  # 12.5 hours, a refresh every 5 minutes
        clock.advance(300)
        for _ in range(rng.randint(0, 3)):
            call = rng.choice(CALLS)
            if rng.random() < 0.7:
                sim.inject("mutate", call=call, **MUTATIONS[rng.choice(SYNC_MUTATIONS)])
            else:
                kind, options = rng.choice(FAULTS)
                sim.inject(kind, call=call, **options)
        try:
            result = await sync.refresh(at(clock))
        except TelemetryHubError:
            errors += 1
        else:
            seen += result.events
            assert not set(result.removed) & set(sim.serials)
        sim.clear_faults()
    assert errors > 0
    for _ in range(2):  # the server is sane again
        clock.advance(60)
        seen += (await sync.refresh(at(clock))).events
    keys = [event_key(event) for event in seen]
    assert [key for key, n in Counter(keys).items() if n > 1] == []
    assert sorted(keys) == sorted(truth(sim, start))
    for event in seen:
        json.dumps(event.attributes(), allow_nan=False)
