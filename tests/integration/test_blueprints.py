"""The automation blueprints, through Home Assistant's blueprint integration.

Each blueprint is copied into the test's config dir, loaded and validated
the way Home Assistant loads a user's blueprints; then an automation made
from it, with a simulator behind the integration, must run its action once
per event: not for another device, not for an event it does not want, and
not again when the entry reloads (a restart) or the entity's state is
written again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
import json
import logging
from pathlib import Path
import shutil
import time
from typing import Any
from urllib.parse import quote, urlsplit

from awesomeversion import AwesomeVersion
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.const import (
    CONF_EMAIL,
    CONF_PASSWORD,
    CONF_URL,
    EVENT_CALL_SERVICE,
    __version__ as ha_version,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import selector
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
import yaml

from custom_components.telemetry_hub.api.rustech.client import server_key
from custom_components.telemetry_hub.const import CONF_TOKEN, CONF_VENDOR, DOMAIN
from custom_components.telemetry_hub.vendors.tecnogaz.const import CONF_SERIAL
from simulators.rustech import RusTechSimulator
from simulators.tecnogaz import DEFAULT_TOKEN, TecnoGazSimulator
from tests.api.rustech.conftest import NO_SCHEDULE
from tests.conftest import EMAIL, PASSWORD
from tests.integration.common import poll
from tests.integration.rustech.common import entity_id as station_entity
from tests.integration.tecnogaz.common import entity_id as sterilizer_entity
from tests.integration.tecnogaz.conftest import AURA, ONYX

ROOT = Path(__file__).parents[2]
SOURCE = ROOT / "blueprints" / "automation" / DOMAIN
REPOSITORY = "https://github.com/telemetry-hub/telemetry-hub"
CYCLE = "sterilizer_cycle_failed.yaml"
ALARM = "sterilizer_alarm.yaml"
ABNORMAL = "gas_station_abnormal_situation.yaml"
OFFLINE = "device_stopped_reporting.yaml"
FILES = sorted(path.name for path in SOURCE.glob("*.yaml"))
FIRED = "test_blueprint_fired"
TIME_ZONE = "Asia/Tashkent"  # where the stations are; not UTC
MINUTE = timedelta(minutes=1)
HALF_HOUR = timedelta(minutes=30)
POWER_LOST = (12, "Отключение внешнего питания")
DOOR_OPEN = (8, "Вскрытие корпуса корректора (открыта дверца)")


def _now() -> float:
    """The current time, looked up at each call (follows `freezer`)."""
    return time.time()


def local(iso: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO time as the blueprints render it: in the user's time zone."""
    moment = dt_util.parse_datetime(iso)
    assert moment is not None
    return dt_util.as_local(moment).strftime(fmt)


# ------------------------------------------------------------------ fixtures
@pytest.fixture
async def blueprints(hass: HomeAssistant, tmp_path: Path) -> Path:
    """The blueprints copied into a config dir of the test's own.

    The plugin's default config dir is shared by every test (and the
    automation integration would copy Home Assistant's example blueprints
    into it): each test gets an empty one.
    """
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints", "automation", DOMAIN))
    await hass.async_add_executor_job(shutil.copytree, SOURCE, target)
    await hass.config.async_set_time_zone(TIME_ZONE)
    assert await async_setup_component(hass, "blueprint", {})
    return target


@pytest.fixture
def tecnogaz() -> TecnoGazSimulator:
    """An AURA and an ONYX; cycles and alarms on command."""
    return TecnoGazSimulator(sterilizers=2, clock=_now, auto=False)


@pytest.fixture
async def tecnogaz_entry(
    hass: HomeAssistant, tecnogaz: TecnoGazSimulator, socket_enabled: None
) -> AsyncIterator[MockConfigEntry]:
    """A loaded Tecno-Gaz entry with both sterilizers."""
    async with tecnogaz.serve() as url:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"Tecno-Gaz {ONYX}, {AURA}",
            unique_id=f"{urlsplit(url).netloc}:{ONYX}",
            data={
                CONF_VENDOR: "tecnogaz",
                CONF_URL: url,
                CONF_TOKEN: DEFAULT_TOKEN,
                CONF_SERIAL: ONYX,
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        yield entry


@pytest.fixture
def rustech() -> RusTechSimulator:
    """Four stations that report on command (a short history: fast setup)."""
    simulator = RusTechSimulator(
        stations=4, session_periods=NO_SCHEDULE, clock=_now, history_days=1
    )
    simulator.new_session()
    return simulator


@pytest.fixture
async def rustech_entry(
    hass: HomeAssistant, rustech: RusTechSimulator, socket_enabled: None
) -> AsyncIterator[MockConfigEntry]:
    """A loaded RusTech entry with its four stations."""
    async with rustech.serve() as url:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="API user (127.0.0.1)",
            unique_id=f"{server_key(url)}:{EMAIL}",
            data={
                CONF_VENDOR: "rustech",
                CONF_URL: url,
                CONF_EMAIL: EMAIL,
                CONF_PASSWORD: PASSWORD,
                CONF_TOKEN: None,
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        yield entry


type Automate = Callable[..., Awaitable[list[Event]]]


@pytest.fixture
async def automate(
    hass: HomeAssistant, blueprints: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Automate]:
    """Set up automations from blueprints; the events their actions fire.

    `automate(file, name=inputs, ...)` makes one automation per keyword,
    whose action (unless its inputs give one) fires `FIRED` with the
    automation's name and the blueprint's title and message. At the end of
    the test, no automation, script or template logged a warning or error.
    """

    async def setup(file: str, **automations: dict[str, Any]) -> list[Event]:
        fired = async_capture_events(hass, FIRED)
        config = []
        for name, inputs in automations.items():
            notify = [
                {
                    "event": FIRED,
                    "event_data": {
                        "automation": name,
                        "title": "{{ title }}",
                        "message": "{{ message }}",
                    },
                }
            ]
            config.append(
                {
                    "id": name,
                    "alias": name,
                    "use_blueprint": {
                        "path": f"{DOMAIN}/{file}",
                        "input": {"notify": notify, **inputs},
                    },
                }
            )
        assert await async_setup_component(hass, "automation", {"automation": config})
        await hass.async_block_till_done()
        for name in automations:
            state = hass.states.get(f"automation.{name}")
            assert state is not None, name
            assert state.state == "on", (name, state)
        return fired

    yield setup
    await hass.async_block_till_done()
    complaints = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.levelno >= logging.WARNING
        and record.name.startswith(
            (
                "homeassistant.components.automation",
                "homeassistant.components.blueprint",
                "homeassistant.helpers.script",
                "homeassistant.helpers.template",
                "homeassistant.helpers.config_validation",
            )
        )
    ]
    assert complaints == []


async def restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Reload the entry, as a restart of Home Assistant does, a while later.

    The frozen clock would otherwise make the reload happen in the very
    instant of the last event, which no restart does.
    """
    freezer.tick(timedelta(seconds=10))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


def messages(fired: list[Event], automation: str) -> list[tuple[str, str]]:
    """(title, message) of each run of one automation's action, in order."""
    return [
        (event.data["title"], event.data["message"])
        for event in fired
        if event.data["automation"] == automation
    ]


# -------------------------------------------------------------- validation
def test_every_blueprint_is_there() -> None:
    assert sorted([ABNORMAL, ALARM, CYCLE, OFFLINE]) == FILES


@pytest.mark.parametrize("file", FILES)
async def test_blueprint_loads_and_validates(
    hass: HomeAssistant, blueprints: Path, file: str
) -> None:
    assert await async_setup_component(hass, "automation", {})
    blueprint = await async_get_blueprints(hass).async_get_blueprint(f"{DOMAIN}/{file}")

    assert blueprint.validate() is None  # this Home Assistant can run it
    metadata = blueprint.metadata
    assert metadata["domain"] == "automation"
    assert metadata["name"].startswith("Telemetry Hub: ")
    assert metadata["description"]
    assert metadata["author"] == "Telemetry Hub"
    assert metadata["source_url"] == (
        f"{REPOSITORY}/blob/main/blueprints/automation/{DOMAIN}/{file}"
    )
    # The integration's own minimum, as HACS declares it.
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    min_version = metadata["homeassistant"]["min_version"]
    assert min_version == hacs["homeassistant"]
    assert AwesomeVersion(min_version) <= AwesomeVersion(ha_version)

    raw = yaml.safe_load(
        (SOURCE / file).read_text(encoding="utf-8").replace("!input", "")
    )
    assert raw["mode"] == "queued"
    assert {"triggers", "actions"} <= set(raw)
    assert not {"trigger", "condition", "action"} & set(raw)  # the old keys
    assert all(t["trigger"] == "state" for t in raw["triggers"])

    for key, spec in blueprint.inputs.items():
        assert spec["name"], key
        assert spec["description"], key
        validate = selector.selector(spec["selector"])
        if "default" in spec:
            validate(spec["default"])
        if "entity" in spec["selector"]:
            (entity_filter,) = spec["selector"]["entity"]["filter"]
            assert entity_filter["integration"] == DOMAIN
            assert entity_filter["domain"] in (["event"], ["binary_sensor"])
    notify = blueprint.inputs["notify"]
    assert "action" in notify["selector"]
    (default,) = notify["default"]
    assert default["action"] == "persistent_notification.create"
    assert default["data"] == {"title": "{{ title }}", "message": "{{ message }}"}


async def test_blueprints_are_listed_without_errors(
    hass: HomeAssistant, blueprints: Path, hass_ws_client: Any
) -> None:
    assert await async_setup_component(hass, "automation", {})
    client = await hass_ws_client(hass)
    await client.send_json({"id": 1, "type": "blueprint/list", "domain": "automation"})
    response = await client.receive_json()

    assert response["success"]
    listed = {
        path.removeprefix(f"{DOMAIN}/"): entry
        for path, entry in response["result"].items()
        if path.startswith(f"{DOMAIN}/")
    }
    assert sorted(listed) == FILES
    for file, entry in listed.items():
        assert "error" not in entry, (file, entry)
        assert entry["metadata"]["input"], file


@pytest.mark.parametrize("file", FILES)
async def test_import_link_imports_the_blueprint(
    hass: HomeAssistant,
    blueprints: Path,
    hass_ws_client: Any,
    aioclient_mock: AiohttpClientMocker,
    file: str,
) -> None:
    """What the README's "import blueprint" link makes Home Assistant do."""
    assert await async_setup_component(hass, "automation", {})
    url = f"{REPOSITORY}/blob/main/blueprints/automation/{DOMAIN}/{file}"
    raw = f"https://raw.githubusercontent.com/telemetry-hub/telemetry-hub/main/blueprints/automation/{DOMAIN}/{file}"
    aioclient_mock.get(raw, text=(SOURCE / file).read_text(encoding="utf-8"))
    link = (
        "https://my.home-assistant.io/redirect/blueprint_import/"
        f"?blueprint_url={quote(url, safe='')}"
    )
    assert link.endswith(
        f"%2Fblob%2Fmain%2Fblueprints%2Fautomation%2F{DOMAIN}%2F{file}"
    )
    client = await hass_ws_client(hass)

    await client.send_json({"id": 1, "type": "blueprint/import", "url": url})
    response = await client.receive_json()

    assert response["success"], response
    result = response["result"]
    assert result["validation_errors"] is None
    assert result["suggested_filename"] == f"telemetry-hub/{file.removesuffix('.yaml')}"
    assert result["blueprint"]["metadata"]["source_url"] == url


# ------------------------------------------------- which state writes notify
EVENT_BLUEPRINTS = {
    # file: (input, attributes of an event it wants, of one it does not)
    CYCLE: (
        "cycle_events",
        {"event_type": "cycle_failed", "serial": "S1", "program": "B134"},
        {"event_type": "cycle_completed", "serial": "S1", "program": "B134"},
    ),
    ALARM: (
        "alarm_events",
        {"event_type": "alarm_raised", "code": "E12", "severity": "alarm"},
        {"event_type": "alarm_cleared", "code": "E12", "severity": "alarm"},
    ),
    ABNORMAL: (
        "abnormal_events",
        {"event_type": "abnormal_situation", "channels": {"NSText": "Door"}},
        {"event_type": "alarm_raised", "code": "E12", "severity": "alarm"},
    ),
}


@pytest.mark.parametrize("file", sorted(EVENT_BLUEPRINTS))
async def test_only_new_events_notify(
    hass: HomeAssistant, automate: Automate, file: str
) -> None:
    """Every kind of state write an event entity makes, with exact times.

    The integration's tests cannot place two writes a fraction of a second
    apart (their clock is frozen): here the writes are made by hand, as
    Home Assistant makes them, with their own times.
    """
    key, wanted, unwanted = EVENT_BLUEPRINTS[file]
    entity = "event.blueprint_test"
    fired = await automate(file, watch={key: [entity]})
    start = time.time()
    count = 0

    def write(state: str, attributes: dict[str, Any], at: float) -> None:
        hass.states.async_set(entity, state, attributes, timestamp=start + at)

    def event(fired_at: float, attributes: dict[str, Any], number: int) -> None:
        """An event entity's write: its state is when it fired, to the ms."""
        moment = datetime.fromtimestamp(start + fired_at, dt_util.UTC)
        state = moment.isoformat(timespec="milliseconds")
        write(state, {**attributes, "n": number}, fired_at + 0.0001)

    async def check(new: int) -> None:
        nonlocal count
        await hass.async_block_till_done()
        count += new
        assert len(fired) == count

    write("unknown", {}, 0)  # added, nothing fired yet
    await check(0)
    event(10, wanted, 1)  # an event
    await check(1)
    event(15, unwanted, 2)  # an event the automation does not want
    await check(0)
    event(20, wanted, 3)
    await check(1)
    state = hass.states.get(entity)
    assert state is not None
    write(state.state, {**state.attributes, "friendly_name": "Renamed"}, 25)
    await check(0)  # a rename writes the same event again
    # A reload a moment after an event: unavailable, then the restored event.
    event(30.2, wanted, 4)
    await check(1)
    state = hass.states.get(entity)
    assert state is not None
    write("unavailable", {"restored": True}, 30.5)
    await check(0)
    write(state.state, dict(state.attributes), 30.8)
    await check(0)
    # A reload, then what happened meanwhile: each event once.
    write("unavailable", {"restored": True}, 40)
    await check(0)
    event(45, wanted, 5)
    await check(1)
    # Two events in the same millisecond: a second write of the same state.
    event(50.0003, wanted, 6)
    event(50.0006, wanted, 7)
    await check(2)
    # A poll that failed, and its recovery: the last event again.
    state = hass.states.get(entity)
    assert state is not None
    write("unavailable", {}, 60)
    write(state.state, dict(state.attributes), 75)
    await check(0)
    # Disabled or removed: no state at all.
    hass.states.async_remove(entity)
    await check(0)
    event(80, wanted, 8)  # enabled again, and an event
    await check(1)


# ----------------------------------------------------------- cycle failed
async def test_cycle_failed_or_aborted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tecnogaz: TecnoGazSimulator,
    tecnogaz_entry: MockConfigEntry,
    automate: Automate,
) -> None:
    aura = sterilizer_entity(hass, tecnogaz_entry, "event", AURA, "cycle")
    onyx_alarm = sterilizer_entity(hass, tecnogaz_entry, "event", ONYX, "alarm")
    fired = await automate(
        CYCLE,
        both={"cycle_events": [aura, onyx_alarm]},
        aborted={"cycle_events": [aura], "outcomes": ["cycle_aborted"]},
    )

    async def cycle(result: str, serial: str = AURA, **details: str) -> int:
        started = tecnogaz.start_cycle(serial, "B134")
        freezer.tick(HALF_HOUR)
        tecnogaz.finish_cycle(serial, result, **details)
        return started.number

    # A passed cycle notifies nothing.
    await cycle("passed")
    await poll(hass, freezer, MINUTE)
    assert fired == []

    # A failed one, once, with its details.
    failed = await cycle("failed", error_code="E05", error_text="Door opened")
    await poll(hass, freezer, MINUTE)
    state = hass.states.get(aura)
    assert state is not None
    assert state.attributes["event_type"] == "cycle_failed"
    ended = local(state.attributes["end_time"])
    program = state.attributes["program_name"] or "B134"
    assert messages(fired, "both") == [
        (
            f"AURA {AURA}: cycle {failed} failed",
            (
                f"Cycle {failed} ({program}{' (B134)' if program != 'B134' else ''}) "
                f"failed at {ended}. Error E05: Door opened."
            ),
        )
    ]
    assert messages(fired, "aborted") == []

    # Polls, and another sterilizer's failed cycle, notify nothing more.
    await poll(hass, freezer, MINUTE)
    await cycle("failed", ONYX, error_code="E07", error_text="Low water")
    await poll(hass, freezer, MINUTE)
    assert len(fired) == 1

    # Two cycles in one refresh: both notify, in order.
    second = await cycle("aborted")
    third = await cycle("failed", error_code="E21", error_text="Air in the chamber")
    await poll(hass, freezer, MINUTE)
    titles = [title for title, _ in messages(fired, "both")]
    assert titles[1:] == [
        f"AURA {AURA}: cycle {second} aborted",
        f"AURA {AURA}: cycle {third} failed",
    ]
    assert [t for t, _ in messages(fired, "aborted")] == [titles[1]]
    assert "Error E21: Air in the chamber." in messages(fired, "both")[2][1]
    assert len(fired) == 4

    # A restart (reload of the entry) repeats nothing.
    await restart(hass, freezer, tecnogaz_entry)
    await poll(hass, freezer, MINUTE)
    assert len(fired) == 4

    # A cycle that failed while the entry was down notifies once when back.
    assert await hass.config_entries.async_unload(tecnogaz_entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(hours=1))
    down = await cycle("failed", error_code="E05", error_text="Door opened")
    assert await hass.config_entries.async_setup(tecnogaz_entry.entry_id)
    await hass.async_block_till_done()
    assert [t for t, _ in messages(fired, "both")][3:] == [
        f"AURA {AURA}: cycle {down} failed"
    ]
    await restart(hass, freezer, tecnogaz_entry)
    await poll(hass, freezer, MINUTE)
    assert len(fired) == 5


# ------------------------------------------------------------------ alarm
async def test_alarm_fatal_only_or_warnings_too(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tecnogaz: TecnoGazSimulator,
    tecnogaz_entry: MockConfigEntry,
    automate: Automate,
) -> None:
    onyx = sterilizer_entity(hass, tecnogaz_entry, "event", ONYX, "alarm")
    onyx_cycle = sterilizer_entity(hass, tecnogaz_entry, "event", ONYX, "cycle")
    fired = await automate(
        ALARM,
        fatal={"alarm_events": [onyx, onyx_cycle]},
        any={"alarm_events": [onyx], "alarm_severity": "any"},
    )

    warning = tecnogaz.raise_alarm(ONYX, "W03", "Waste water tank full", "warning")
    await poll(hass, freezer, MINUTE)
    state = hass.states.get(onyx)
    assert state is not None
    raised = local(state.attributes["raised_at"])
    assert messages(fired, "fatal") == []
    assert messages(fired, "any") == [
        (
            f"ONYX {ONYX}: warning W03",
            f"W03 Waste water tank full (warning), raised at {raised}.",
        )
    ]

    started = tecnogaz.start_cycle(ONYX, "B134")
    await poll(hass, freezer, MINUTE)
    fatal = tecnogaz.raise_alarm(
        ONYX, "E12", "Vacuum pump overload", "alarm", cycle_number=started.number
    )
    await poll(hass, freezer, MINUTE)
    state = hass.states.get(onyx)
    assert state is not None
    raised = local(state.attributes["raised_at"])
    expected = (
        f"ONYX {ONYX}: alarm E12",
        (
            f"E12 Vacuum pump overload (alarm), raised at {raised} "
            f"during cycle {started.number}."
        ),
    )
    assert messages(fired, "fatal") == [expected]
    assert messages(fired, "any")[1:] == [expected]

    # Clearing notifies nothing; nor polls, nor the other sterilizer.
    tecnogaz.clear_alarm(ONYX, fatal.id)
    tecnogaz.clear_alarm(ONYX, warning.id)
    await poll(hass, freezer, MINUTE)
    tecnogaz.raise_alarm(AURA, "E12", "Vacuum pump overload", "alarm")
    await poll(hass, freezer, MINUTE)
    await poll(hass, freezer, MINUTE)
    assert len(fired) == 3

    # A restart repeats nothing; what was raised meanwhile notifies once.
    await restart(hass, freezer, tecnogaz_entry)
    assert len(fired) == 3
    assert await hass.config_entries.async_unload(tecnogaz_entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=10))
    tecnogaz.raise_alarm(ONYX, "E21", "Air detected in the chamber", "alarm")
    assert await hass.config_entries.async_setup(tecnogaz_entry.entry_id)
    await hass.async_block_till_done()
    await poll(hass, freezer, MINUTE)
    assert [t for t, _ in messages(fired, "fatal")] == [
        f"ONYX {ONYX}: alarm E12",
        f"ONYX {ONYX}: alarm E21",
    ]
    assert len(fired) == 5


async def test_default_action_is_a_persistent_notification(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tecnogaz: TecnoGazSimulator,
    tecnogaz_entry: MockConfigEntry,
    blueprints: Path,
) -> None:
    onyx = sterilizer_entity(hass, tecnogaz_entry, "event", ONYX, "alarm")
    assert await async_setup_component(hass, "persistent_notification", {})
    calls = async_capture_events(hass, EVENT_CALL_SERVICE)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Alarm",
                "use_blueprint": {
                    "path": f"{DOMAIN}/{ALARM}",
                    "input": {"alarm_events": [onyx]},
                },
            }
        },
    )

    tecnogaz.raise_alarm(ONYX, "E12", "Vacuum pump overload", "alarm")
    await poll(hass, freezer, MINUTE)

    created = [
        call.data["service_data"]
        for call in calls
        if (call.data["domain"], call.data["service"])
        == ("persistent_notification", "create")
    ]
    assert len(created) == 1
    assert created[0]["title"] == f"ONYX {ONYX}: alarm E12"
    assert created[0]["message"].startswith("E12 Vacuum pump overload (alarm)")


# ------------------------------------------------------ abnormal situation
def report(sim: RusTechSimulator, station: int, *records: tuple[int, str]) -> int:
    """Records a few seconds after the station's last session, then a session.

    The window is kept to seconds, so that none of the simulator's own
    pseudo-random abnormal situations falls into it.
    """
    last = sim.last_session(station)
    assert last is not None
    for record in records:
        sim.add_abnormal(station, last + 2, *record)
    sim.new_session([station], at=last + 3)
    return last + 2


async def test_abnormal_situation(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    rustech: RusTechSimulator,
    rustech_entry: MockConfigEntry,
    automate: Automate,
) -> None:
    first = station_entity(hass, rustech_entry, "event", 1, "abnormal_situation")
    fired = await automate(ABNORMAL, station={"abnormal_events": [first]})
    station = hass.states.get(first)
    assert station is not None
    name = station.name.removesuffix(" Abnormal situation")

    freezer.tick(MINUTE)
    at = report(rustech, 1, POWER_LOST)
    await poll(hass, freezer)
    when = local(
        datetime.fromtimestamp(at, dt_util.UTC).isoformat(), "%Y-%m-%d %H:%M:%S"
    )
    assert messages(fired, "station") == [
        (
            f"{name}: abnormal situation",
            f"{POWER_LOST[1]} (code {POWER_LOST[0]}) at {when}.",
        )
    ]

    # Another station's record, and polls without news, notify nothing.
    report(rustech, 2, DOOR_OPEN)
    await poll(hass, freezer)
    await poll(hass, freezer)
    assert len(fired) == 1

    # Two records in one session: both, once each.
    report(rustech, 1, DOOR_OPEN, POWER_LOST)
    await poll(hass, freezer)
    assert sorted(m.split(" (code")[0] for _, m in messages(fired, "station")[1:]) == (
        sorted([DOOR_OPEN[1], POWER_LOST[1]])
    )
    assert len(fired) == 3

    # A restart after a new session (the archive is read again): nothing.
    freezer.tick(timedelta(minutes=5))
    last = rustech.last_session(1)
    assert last is not None
    rustech.new_session([1], at=last + 1)
    await restart(hass, freezer, rustech_entry)
    await poll(hass, freezer)
    assert len(fired) == 3


# --------------------------------------------------------- stopped reporting
async def test_sterilizer_stopped_reporting(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tecnogaz: TecnoGazSimulator,
    tecnogaz_entry: MockConfigEntry,
    automate: Automate,
) -> None:
    onyx = sterilizer_entity(
        hass, tecnogaz_entry, "binary_sensor", ONYX, "connectivity"
    )
    fired = await automate(
        OFFLINE, onyx={"connectivity": [onyx], "offline_for": {"minutes": 30}}
    )
    assert hass.states.get(onyx).state == "on"

    # Back within the half hour: nothing.
    tecnogaz.set_offline(ONYX)
    await poll(hass, freezer, MINUTE)
    assert hass.states.get(onyx).state == "off"
    await poll(hass, freezer, timedelta(minutes=20))
    tecnogaz.set_offline(ONYX, offline=False)
    await poll(hass, freezer, MINUTE)
    assert hass.states.get(onyx).state == "on"
    for _ in range(4):
        await poll(hass, freezer, timedelta(minutes=15))
    assert fired == []

    # Off for the half hour: once, when it is over.
    tecnogaz.set_offline(ONYX)
    await poll(hass, freezer, MINUTE)
    state = hass.states.get(onyx)
    assert state.state == "off"
    since = dt_util.as_local(state.last_changed).strftime("%Y-%m-%d %H:%M")
    await poll(hass, freezer, timedelta(minutes=29))
    assert fired == []
    await poll(hass, freezer, timedelta(minutes=2))
    assert messages(fired, "onyx") == [
        (
            f"ONYX {ONYX} stopped reporting",
            (
                f"ONYX {ONYX} has not been reporting since {since} "
                "(connectivity off for 0:30:00)."
            ),
        )
    ]

    # Still off: no more; nor after a restart, nor for the other sterilizer.
    for _ in range(4):
        await poll(hass, freezer, timedelta(minutes=15))
    await restart(hass, freezer, tecnogaz_entry)
    assert hass.states.get(onyx).state == "off"
    tecnogaz.set_offline(AURA)
    for _ in range(4):
        await poll(hass, freezer, timedelta(minutes=15))
    aura = sterilizer_entity(
        hass, tecnogaz_entry, "binary_sensor", AURA, "connectivity"
    )
    assert hass.states.get(aura).state == "off"
    assert len(fired) == 1


async def test_station_stopped_reporting(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    rustech: RusTechSimulator,
    rustech_entry: MockConfigEntry,
    automate: Automate,
) -> None:
    first = station_entity(hass, rustech_entry, "binary_sensor", 1, "connectivity")
    fired = await automate(
        OFFLINE, station={"connectivity": [first], "offline_for": {"hours": 2}}
    )
    name = hass.states.get(first).name.removesuffix(" Connectivity")
    assert hass.states.get(first).state == "on"

    # No session for 27 h: the station's connectivity turns off (after the
    # default 26 h), the others' too; the automation waits its two hours.
    await poll(hass, freezer, timedelta(hours=27))
    assert hass.states.get(first).state == "off"
    await poll(hass, freezer, timedelta(minutes=90))
    assert fired == []
    await poll(hass, freezer, timedelta(minutes=45))

    assert [title for title, _ in messages(fired, "station")] == [
        f"{name} stopped reporting"
    ]
    await poll(hass, freezer, timedelta(hours=3))
    assert len(fired) == 1
