"""The coordinator of one DEXMA account.

Each refresh is one tick of the HA-free sync engine (`api/dexma/sync.py`):
the engine decides which calls the tick may make within the share of the
token's quotas; the coordinator imports the counter readings it read into
long-term statistics (`history`), builds the entities' views (values in
Home Assistant's units), follows the plan's interval, and says once, with
a repair issue, when the portfolio is too large for the interval asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.util import dt as dt_util, slugify

from ...api.dexma import DexmaClient, QuotaTracker, classify
from ...api.dexma.state import SyncState
from ...api.dexma.streams import Stream
from ...api.dexma.sync import DexmaSync
from ...const import DOCS_URL, DOMAIN, LOGGER
from ...coordinator import TelemetryHubConfigEntry, TelemetryHubCoordinator
from .const import ACCOUNT, CONF_ANCHOR, ISSUE_STRETCHED
from .entities import (
    ACCOUNT_SENSORS,
    LATEST_READING,
    AccountStatus,
    DexmaView,
    MeterValue,
    parameter_description,
    unit_factor,
)
from .history import DexmaHistory
from .options import settings_from

if TYPE_CHECKING:
    from ...vendor import VendorDescriptor

QUOTA_URL = f"{DOCS_URL}#dexma-quota-budget"


def stretched_issue_id(entry_id: str) -> str:
    """The repair issue about an entry's stretched schedule."""
    return f"{ISSUE_STRETCHED}_{entry_id}"


class DexmaCoordinator(TelemetryHubCoordinator[DexmaView]):
    """Poll one DEXMA account within its quota share."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TelemetryHubConfigEntry,
        vendor: VendorDescriptor,
        client: DexmaClient,
        tracker: QuotaTracker,
        *,
        clock: Callable[[], float],
    ) -> None:
        """Set up the account's client, quota tracker and sync engine."""
        super().__init__(hass, entry, vendor)
        self.client = client
        self.tracker = tracker
        self.sync = DexmaSync(
            client, tracker, settings_from(entry.options), clock=clock
        )
        self.history = DexmaHistory(hass, slugify(entry.data[CONF_ANCHOR]))
        self._issue: dict[str, str] | None = None
        self._warned: set[str] = set()
        self.update_interval = timedelta(seconds=self.sync.plan.interval)

    def restore(self, sections: Mapping[str, Mapping[str, Any]]) -> None:
        """Continue from the engine state the last run stored."""
        self.sync.restore(SyncState.from_dict(sections.get("sync")))
        self.update_interval = timedelta(seconds=self.sync.plan.interval)

    def persist(self) -> dict[str, Any]:
        """The engine state to store (after every tick, failed ones too)."""
        return {"sync": self.sync.state.as_dict()}

    async def _async_fetch(self) -> dict[str, DexmaView]:
        """One tick; import what it read even when it fails."""
        try:
            await self.sync.refresh(dt_util.utcnow())
        finally:
            await self._import()
            self.update_interval = timedelta(seconds=self.sync.plan.interval)
            self._track_stretch()
        return self._views()

    async def async_import_history(
        self, device_keys: list[str] | None, start: date, end: date
    ) -> dict[str, Any]:
        """Queue a date range of counters; read what the budget allows now."""
        ids = None
        if device_keys is not None:
            ids = [int(key) for key in device_keys if key != ACCOUNT]
        async with self._refresh_lock:
            plans = self.sync.queue_history(ids, start, end)
            if not plans:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="dexma_no_counters",
                )
            try:
                calls = await self.sync.backfill_now(dt_util.utcnow())
            finally:
                results = await self._import()
                self.store.schedule_save()
        meters = {key for plan in plans for key in plan.meters}
        return {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "meters": len(meters),
            "calls_planned": sum(plan.total_calls for plan in plans),
            "minimum_calls": sum(plan.minimum_calls() for plan in plans),
            "calls_made": calls,
            "calls_remaining": sum(plan.remaining_calls for plan in plans),
            "hours": sum(result.written for result in results.values()),
            "statistics": {key: result.as_dict() for key, result in results.items()},
        }

    @callback
    def apply_options(self, options: Mapping[str, Any]) -> None:
        """Follow other devices or parameters, another interval or share."""
        self.sync.configure(settings_from(options))
        self.update_interval = timedelta(seconds=self.sync.plan.interval)
        self._track_stretch()
        if self.data is not None:
            self.async_set_updated_data(self._views())

    # ------------------------------------------------------------------
    # Entities

    def descriptions(
        self, platform: Platform
    ) -> Iterable[tuple[str, EntityDescription]]:
        """The account's sensors, and per device its followed parameters."""
        if platform is not Platform.SENSOR:
            return
        for device_key, view in (self.data or {}).items():
            if view.account is not None:
                yield from ((device_key, sensor) for sensor in ACCOUNT_SENSORS)
                continue
            yield device_key, LATEST_READING
            for key in view.meters:
                if (parameter := parameter_description(key)) is not None:
                    yield device_key, parameter

    def describe_device(self, device_key: str, view: DexmaView) -> DeviceInfo:
        """A DEXMA device (or the account, a service)."""
        if view.account is not None:
            return DeviceInfo(
                name=view.name,
                model=view.model,
                entry_type=DeviceEntryType.SERVICE,
            )
        return DeviceInfo(name=view.name, model=view.model, suggested_area=view.area)

    async def async_diagnostics(self) -> dict[str, Any]:
        """The account's state for support (the token is never in it)."""
        state = self.sync.state
        plan = self.sync.plan
        report = self.sync.last
        now = dt_util.utcnow().timestamp()
        quota = self.tracker.latest
        return {
            "base_url": self.client.base_url,
            "requests": self.client.request_count,
            "quota": None if quota is None else quota.as_dict(),
            "our_calls": {
                "last_hour": state.ledger.since(now - 3600),
                "last_day": state.ledger.since(now - 86400),
            },
            "plan": {**asdict(plan), "stretched": plan.stretched, "cycle": plan.cycle},
            "last_tick": None
            if report is None
            else {
                "listing": report.listing,
                "discovery": report.discovery,
                "steady": report.steady,
                "backfill": report.backfill,
            },
            "portfolio": {
                "devices": len(state.devices),
                "locations": len(state.locations),
                "discovered": sum(
                    1 for d in state.devices.values() if d.parameters is not None
                ),
                "meters": len(state.meters),
                "listed_at": state.listed_at,
            },
            "backfills": [
                {
                    "start": str(plan.start),
                    "end": str(plan.end),
                    "resolution": str(plan.resolution),
                    "meters": len(plan.meters),
                    "remaining_calls": plan.remaining_calls,
                    "total_calls": plan.total_calls,
                }
                for plan in state.backfills
            ],
            "devices": [
                await self.async_device_diagnostics(str(device_id))
                for device_id in state.devices
            ],
        }

    async def async_device_diagnostics(self, device_key: str) -> dict[str, Any]:
        """One device's state, for support."""
        if device_key == ACCOUNT:
            return {"account": self.config_entry.title}
        state = self.sync.state
        known = state.devices.get(int(device_key))
        if known is None:
            return {}
        location = state.locations.get(known.device.location_id or -1)
        return {
            "device": asdict(known.device),
            "location": None if location is None else asdict(location),
            "parameters": None
            if known.parameters is None
            else [asdict(parameter) for parameter in known.parameters],
            "missing_from_listings": known.missing,
            "denied_at": known.denied_at,
            "meters": {
                key: {
                    **meter.as_dict(),
                    "statistic_id": self.history.statistic_id(stream.meter),
                }
                for stream in self.sync.streams()
                if stream.device_id == known.device.id
                and (meter := state.meters.get(key := stream.meter_key)) is not None
            },
        }

    # ------------------------------------------------------------------
    # Internals

    async def _import(self) -> dict[str, Any]:
        """Import the counter series the engine read."""
        devices = self.sync.state.devices

        def name(device_id: int) -> str:
            known = devices.get(device_id)
            return known.device.name if known else str(device_id)

        return await self.history.async_import(self.sync.take_fetched(), name)

    def _views(self) -> dict[str, DexmaView]:
        """Every followed device's view, and the account's."""
        state = self.sync.state
        streams: dict[int, list[Stream]] = {}
        for stream in self.sync.streams():
            streams.setdefault(stream.device_id, []).append(stream)
        views = {ACCOUNT: self._account_view()}
        for device_id, known in sorted(state.devices.items()):
            if not self.sync.followed(device_id):
                continue
            device = known.device
            location = state.locations.get(device.location_id or -1)
            meters = {
                stream.parameter.key: self._meter_value(stream)
                for stream in streams.get(device_id, [])
            }
            times = [m.reading_time for m in meters.values() if m.reading_time]
            views[str(device_id)] = DexmaView(
                name=device.name,
                model=f"Datasource {device.datasource_id}"
                if device.datasource_id is not None
                else None,
                area=location.name if location else None,
                reachable=known.reachable,
                meters=meters,
                latest_reading=max(times, default=None),
            )
        return views

    def _meter_value(self, stream: Stream) -> MeterValue:
        """A followed parameter's newest value, in its sensor's unit."""
        meter = self.sync.state.meters.get(stream.meter_key)
        units = (meter.units if meter else None) or stream.parameter.units
        classification = classify(stream.parameter.key, units)
        if classification.problem is not None or classification.unit is None:
            if stream.meter_key not in self._warned:
                self._warned.add(stream.meter_key)
                LOGGER.warning(
                    "DEXMA device %s: %s; its sensor stays unavailable",
                    stream.device_id,
                    classification.problem,
                )
            return MeterValue(available=False)
        if meter is None or meter.latest is None:
            return MeterValue(available=meter is None or meter.invalid is None)
        value = classification.unit.convert(meter.latest.value)
        return MeterValue(
            value=round(value * unit_factor(stream.parameter.key), 6),
            reading_time=meter.latest.ts,
            available=meter.invalid is None,
        )

    def _account_view(self) -> DexmaView:
        plan = self.sync.plan
        now = dt_util.utcnow().timestamp()
        quota = self.tracker.latest
        return DexmaView(
            name=self.config_entry.title,
            model="Energy Manager API",
            account=AccountStatus(
                hour_remaining=quota.hour_remaining_at(now) if quota else None,
                day_remaining=quota.day_remaining_at(now) if quota else None,
                interval_minutes=plan.interval / 60,
                requested_minutes=plan.requested_interval / 60,
                streams=plan.streams,
                batches=plan.batches,
                calls_per_refresh=plan.calls_per_refresh,
            ),
        )

    def _track_stretch(self) -> None:
        """Raise the repair issue once the portfolio is known; clear it after."""
        plan = self.sync.plan
        issue_id = stretched_issue_id(self.config_entry.entry_id)
        if not plan.stretched:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            self._issue = None
            return
        if not self.sync.state.discovered:
            return  # the figures settle once every device's parameters are known
        placeholders = {
            "title": self.config_entry.title,
            "requested": _minutes(plan.requested_interval),
            "interval": _minutes(plan.interval),
            "cycle": _minutes(plan.cycle),
            "streams": str(plan.streams),
            "batches": str(plan.batches),
            "hour_budget": str(self.sync.budgets[0]),
            "day_budget": str(self.sync.budgets[1]),
        }
        if placeholders == self._issue:
            return
        self._issue = placeholders
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_STRETCHED,
            translation_placeholders=placeholders,
            learn_more_url=QUOTA_URL,
        )


def _minutes(seconds: float) -> str:
    """Seconds as whole minutes, rounded up."""
    return str(-(-int(seconds) // 60))
