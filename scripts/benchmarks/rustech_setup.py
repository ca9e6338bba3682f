"""RusTech first set-up in a real Home Assistant, with the recorder.

For each size, two processes besides the benchmark itself:

* the RusTech simulator (`python -m simulators.rustech`, N stations on the
  real clock, with the benchmark's latency per request);
* a Home Assistant started the way `hass` starts it (`bootstrap`, a
  configuration with the recorder on SQLite in `.bench/setup-<N>/`), whose
  event loop `LoopWatch` times step by step. The account is added through
  the integration's config flow, as a user does.

Measured there: from submitting the credentials until the entry is loaded
with current values (the first refresh with `background_backfill=True`);
then the background history (31 days, the default window) until every
station's hours are in the recorder's statistics. The coordinator pauses
0.5 s between two history steps; here the pause is taken out, so the
backfill runs back to back (the loop is at least as busy as in Home
Assistant) and the pauses are added to its time by computation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import sqlite3
import subprocess
import sys
import time
from typing import Any

from homeassistant import bootstrap, runner
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import (
    CONF_EMAIL,
    CONF_PASSWORD,
    CONF_URL,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.recorder import get_instance

from custom_components.telemetry_hub.const import DOMAIN
from custom_components.telemetry_hub.vendors.rustech import coordinator

from .common import seconds, table, verdict, where_and_when
from .loopwatch import GOAL, LoopWatch, Phase, Step

ROOT = Path(__file__).resolve().parent.parent.parent
EMAIL = "api@local.net"
PASSWORD = "Str0ngPas$"  # noqa: S105 - the simulator's demo account
HISTORY_DAYS = 31
STALL = 300.0
"""Seconds without backfill progress after which the run is abandoned."""


@dataclass
class SetupResult:
    """What one size measured (the child's JSON)."""

    stations: int
    setup: Phase
    setup_requests: int
    sensors: int
    sensors_with_value: int
    backfill: Phase
    backfill_requests: int
    backfill_steps: int
    statistics_rows: int

    @property
    def pauses(self) -> float:
        """The coordinator's pauses between history steps, taken out here."""
        return self.backfill_steps * coordinator.BACKFILL_PAUSE


# ----------------------------------------------------------------------
# The benchmark's side


def bench(sizes: list[int], latency: float, script: Path) -> list[SetupResult]:
    """Run every size (a simulator and a Home Assistant each)."""
    subprocess.run([ROOT / "scripts" / "frontend", sys.executable], check=True)
    return [_run_size(size, latency, script) for size in sizes]


def _run_size(size: int, latency: float, script: Path) -> SetupResult:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulators.rustech",
            *("--stations", str(size), "--latency", str(latency), "--port", "0"),
            *("--email", EMAIL, "--password", PASSWORD),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sim.stdout is not None  # noqa: S101 - piped above
        first = sim.stdout.readline()
        if "listening on" not in first:
            msg = f"the RusTech simulator did not start: {first!r}"
            raise RuntimeError(msg)
        url = first.split()[-1]
        child = subprocess.run(
            [sys.executable, str(script), "--ha-child", str(size), "--ha-url", url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        sim.terminate()
        sim.wait(10)
    log = ROOT / ".bench" / f"setup-{size}.log"
    log.parent.mkdir(exist_ok=True)
    log.write_text(child.stderr, encoding="utf-8")
    if child.returncode != 0 or not child.stdout.strip():
        msg = f"the Home Assistant run of {size} stations failed; see {log}"
        raise RuntimeError(msg)
    return _from_json(json.loads(child.stdout.strip().splitlines()[-1]))


def _from_json(data: dict[str, Any]) -> SetupResult:
    def phase(raw: dict[str, Any]) -> Phase:
        return Phase(
            raw["steps"],
            raw["over"],
            raw["over_without_gc"],
            Step(**raw["longest"]),
            Step(**raw["longest_without_gc"]),
            raw["cpu"],
            raw["wall"],
        )

    return SetupResult(
        stations=data["stations"],
        setup=phase(data["setup"]),
        setup_requests=data["setup_requests"],
        sensors=data["sensors"],
        sensors_with_value=data["sensors_with_value"],
        backfill=phase(data["backfill"]),
        backfill_requests=data["backfill_requests"],
        backfill_steps=data["backfill_steps"],
        statistics_rows=data["statistics_rows"],
    )


# ----------------------------------------------------------------------
# The Home Assistant side (`scripts/bench --ha-child N --ha-url URL`)


def run_child(size: int, url: str) -> None:
    """Set up one account in a fresh Home Assistant; print the figures (JSON)."""
    config = ROOT / ".bench" / f"setup-{size}"
    shutil.rmtree(config, ignore_errors=True)
    config.mkdir(parents=True)
    database = config / "home-assistant_v2.db"
    (config / "configuration.yaml").write_text(
        "homeassistant:\n  name: bench\n  unit_system: metric\n"
        "  time_zone: Europe/Moscow\n  country: RU\n  currency: RUB\n"
        "  latitude: 55.75\n  longitude: 37.62\n  elevation: 150\n"
        f"recorder:\n  db_url: sqlite:///{database}\n"
        "logger:\n  default: warning\n",
        encoding="utf-8",
    )
    figures = asyncio.run(_child(size, url, config))
    figures["statistics_rows"] = _statistics_rows(database)
    print(json.dumps(figures))


async def _child(size: int, url: str, config: Path) -> dict[str, Any]:
    watch = LoopWatch()
    watch.install()
    hass = await bootstrap.async_setup_hass(
        runner.RuntimeConfig(
            config_dir=str(config),
            skip_pip=True,
            log_file=str(config / "home-assistant.log"),
            log_no_color=True,
        )
    )
    if hass is None:
        msg = "Home Assistant did not start"
        raise RuntimeError(msg)
    await hass.async_start()
    await hass.async_block_till_done()
    _without_backfill_pause()
    flows = hass.config_entries.flow
    flow = await flows.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow = await flows.async_configure(flow["flow_id"], {"next_step_id": "rustech"})
    watch.start()
    result = await flows.async_configure(
        flow["flow_id"], {CONF_URL: url, CONF_EMAIL: EMAIL, CONF_PASSWORD: PASSWORD}
    )
    # Home Assistant adds a large account's entities in steps after set-up.
    await hass.async_block_till_done()
    setup = watch.stop()
    entry = result.get("result")
    if entry is None:
        msg = f"the config flow did not create the entry: {result}"
        raise RuntimeError(msg)
    account = entry.runtime_data
    sensors, with_value = _sensor_values(hass, entry.entry_id)
    setup_requests = account.client.request_count
    steps = _count_steps(account.sync)
    watch.start()
    await _until_backfilled(account.sync)
    await hass.async_block_till_done(wait_background_tasks=True)
    await get_instance(hass).async_block_till_done()
    backfill = watch.stop()
    figures = {
        "stations": size,
        "setup": setup.as_dict(),
        "setup_requests": setup_requests,
        "sensors": sensors,
        "sensors_with_value": with_value,
        "backfill": backfill.as_dict(),
        "backfill_requests": account.client.request_count - setup_requests,
        "backfill_steps": steps(),
    }
    await hass.async_stop()
    return figures


def _without_backfill_pause() -> None:
    """Run the coordinator's history steps back to back (see the module doc)."""

    def at_once(hass: HomeAssistant, delay: float, action: Any) -> Callable[[], None]:
        del delay
        return async_call_later(hass, 0, action)

    setattr(coordinator, "async_call_later", at_once)  # noqa: B010


def _count_steps(sync: Any) -> Callable[[], int]:
    """Count the engine's history steps; return the counter."""
    original = sync.backfill_step
    count = [0]

    async def counted(*args: Any, **kwargs: Any) -> bool:
        count[0] += 1
        return bool(await original(*args, **kwargs))

    sync.backfill_step = counted
    return lambda: count[0]


async def _until_backfilled(sync: Any) -> None:
    last, since = sync.backfill_pending, time.monotonic()
    while sync.backfill_pending:
        await asyncio.sleep(0.1)
        if sync.backfill_pending != last:
            last, since = sync.backfill_pending, time.monotonic()
        elif time.monotonic() - since > STALL:
            msg = f"the history backfill stalled with {last} stations to go"
            raise RuntimeError(msg)


def _sensor_values(hass: HomeAssistant, entry_id: str) -> tuple[int, int]:
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    sensors = [e for e in entries if e.domain == "sensor" and not e.disabled_by]
    with_value = 0
    for entity in sensors:
        state = hass.states.get(entity.entity_id)
        if state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            with_value += 1
    return len(sensors), with_value


def _statistics_rows(database: Path) -> int:
    """Hourly statistics rows of the integration in the recorder's database."""
    with sqlite3.connect(database) as connection:
        (rows,) = connection.execute(
            "SELECT COUNT(*) FROM statistics JOIN statistics_meta "
            "ON statistics.metadata_id = statistics_meta.id "
            "WHERE statistics_meta.source = ?",
            (DOMAIN,),
        ).fetchone()
    return int(rows)


# ----------------------------------------------------------------------


def _longest(step: Step) -> str:
    return f"{seconds(step.wall)} (CPU {seconds(step.cpu)}, GC {seconds(step.gc)})"


def _without_gc(step: Step) -> str:
    cpu = max(0.0, step.cpu - step.gc)
    return f"{seconds(step.wall - step.gc)} (CPU {seconds(cpu)}) in {step.task}"


def render(results: list[SetupResult], latency: float) -> str:
    """The set-up rows as a Markdown table, with their heading and notes."""
    heading = (
        "**RusTech, first set-up in Home Assistant with the recorder** (the "
        "account added through the config flow, time counted from submitting "
        "the credentials, requests of the entry's own client (the flow's "
        "validating sign-in not counted); the simulator in its own "
        f"process, {latency * 1000:.0f} ms per request; the 31-day history "
        "imported into the recorder's statistics (SQLite); loop CPU is the "
        "event loop thread's CPU time; a loop step is one callback of the "
        "event loop, timed in wall time, with the garbage collection that ran "
        "in it (wall time beyond the step's CPU is mostly the loop thread "
        "waiting for the GIL held by the recorder's threads); the goal is "
        "judged without garbage collection, which Python runs over the whole "
        "process whenever allocations add up, in whichever step is running "
        "then (its length follows Home Assistant's heap, not the step); the "
        "history is "
        "read back to back here, the coordinator's "
        f"{coordinator.BACKFILL_PAUSE} s pauses between its steps are added to "
        f"its time; {where_and_when()}):"
    )
    cells = []
    notes = []
    for result in results:
        n, steps = result.stations, result.backfill_steps
        for name, phase, requests, detail in (
            (
                "until the entry is loaded with values",
                result.setup,
                result.setup_requests,
                f"{result.sensors_with_value} of {result.sensors} sensors have a value",
            ),
            (
                f"history, {HISTORY_DAYS} days, into the recorder",
                result.backfill,
                result.backfill_requests,
                f"{result.statistics_rows} statistics rows, {steps} steps",
            ),
        ):
            time_text = seconds(phase.wall)
            if phase is result.backfill:
                time_text = (
                    f"{seconds(phase.wall)} + {seconds(result.pauses)} of pauses "
                    f"= {seconds(phase.wall + result.pauses)}"
                )
            longest, clean = phase.longest, phase.longest_without_gc
            cells.append(
                (
                    n,
                    name,
                    time_text,
                    requests,
                    f"{phase.cpu / n * 1000:.1f} ms",
                    _longest(longest),
                    _without_gc(clean),
                    f"{phase.over} ({phase.over_without_gc})",
                    verdict(clean.wall - clean.gc <= GOAL),
                    detail,
                )
            )
            if clean.where:
                notes.append(f"- {n} stations, {name}: {clean.where}")
    headers = (
        "stations",
        "phase",
        "time",
        "requests",
        "loop CPU per station",
        "longest loop step (its CPU, its garbage collection)",
        "longest step without garbage collection (its CPU) in",
        "steps over 50 ms (without GC)",
        "goal: ≤ 50 ms without GC",
        "",
    )
    text = f"{heading}\n\n{table(headers, cells, 'rlrrrrlrll')}"
    if notes:
        text += (
            "\n\nWhere the longest step without garbage collection spent its "
            "time (ours → innermost frame, most sampled):\n\n" + "\n".join(notes)
        )
    return text
