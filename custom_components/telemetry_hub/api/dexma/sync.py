"""One DEXMA account, tick by tick, within a share of its quotas (no Home Assistant).

Each `DexmaSync.refresh` is one tick of the coordinator:

1. **Listing** (once a day): devices and locations. A device missing from
   a listing is unreachable; after `MISSING_LISTINGS` listings it is gone.
2. **Discovery**: the parameters of each followed device, read once and
   again weekly, paced: at most `DISCOVERY_SHARE` of the hourly budget per
   hour, and only what the tick can spare after its steady calls
   (`Allowance.extra`). Meters appear as their parameters become known.
3. **Steady refresh**: the followed meters (device x parameter) are planned
   with `plan_refresh`; each tick reads the meters refreshed longest ago,
   as many as the plan's batch and the tick's allowance allow. A counter
   (cumulative key) reads `DELTA` over the trailing `CORRECTION` window at
   the hourly resolution of its zone (`HH` or `QH` where the zone's offset
   is not whole hours), so late or corrected hours are read again; an
   instantaneous one reads its newest raw values.
4. **Backfill**: what the tick may still spend goes to the queued ranges
   (first set-up's history window, a gap after an outage longer than the
   correction window, the import_history action), oldest request first,
   each meter's calls oldest first.

Counter series read in 2 and 4 are handed to the caller (`take_fetched`)
to become statistics. The state (`SyncState`) is plain JSON and survives
restarts, the ledger of our own calls included. When the token's quota is
used up (`retry_after`) the tick raises `TelemetryHubRateLimitError`;
whatever was read before a failure stays in the state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
import logging
import math
import time

from ..errors import TelemetryHubDeviceAccessError, TelemetryHubRateLimitError
from .budget import RefreshPlan, plan_refresh
from .client import DexmaClient
from .errors import DexmaValidationError
from .plan import BackfillPlan, ReadingsCall
from .quota import DAY, HOUR, Allowance, QuotaTracker
from .spans import Operation
from .state import DeviceState, MeterState, SyncState
from .streams import (
    CORRECTION,
    DISCOVERY_SHARE,
    INSTANT_WINDOW,
    MISSING_LISTINGS,
    PARAMETERS_EVERY,
    RETRY_REFUSED,
    STEADY_SHARE,
    Fetched,
    Portfolio,
    Stream,
    SyncSettings,
    TickReport,
)

_LOGGER = logging.getLogger(__name__)


class DexmaSync(Portfolio):
    """The engine of one account; its `state` is what to store."""

    def __init__(
        self,
        client: DexmaClient,
        tracker: QuotaTracker,
        settings: SyncSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Bind the client (whose `on_quota` feeds `tracker`)."""
        super().__init__(settings or SyncSettings())
        self.client = client
        self.tracker = tracker
        self.last: TickReport | None = None
        self._clock = clock
        self._fetched: list[Fetched] = []
        self.plan: RefreshPlan = plan_refresh(0, self.settings.interval)
        self._budgets = (self.plan.hour_budget, self.plan.day_budget)

    @property
    def budgets(self) -> tuple[int, int]:
        """The share of the hourly and daily quotas (calls)."""
        return self._budgets

    def restore(self, state: SyncState) -> None:
        """Continue from a stored state (the last quota seeds the tracker)."""
        self.state = state
        if state.quota is not None:
            self.tracker.observe(state.quota)
        self.replan()

    def configure(self, settings: SyncSettings) -> None:
        """Apply new settings (options) from the next call on."""
        self.settings = settings
        self.tracker.share = min(max(settings.share, 0.0), 1.0)
        self.replan()

    def replan(self, now: float | None = None) -> RefreshPlan:
        """The steady schedule of the streams due (stretched to fit the share)."""
        moment = self._clock() if now is None else now
        count = sum(1 for stream in self.streams() if self.due(stream, moment))
        settings = self.settings
        quota = self.tracker.latest
        full = plan_refresh(count, settings.interval, share=settings.share, quota=quota)
        self._budgets = (full.hour_budget, full.day_budget)
        self.plan = full
        if full.stretched:
            self.plan = plan_refresh(
                count,
                settings.interval,
                share=settings.share * STEADY_SHARE,
                quota=quota,
            )
        return self.plan

    def allowance(self, now: float) -> Allowance:
        """What a tick at `now` may spend: the server's view and our ledger."""
        self.state.ledger.prune(now)
        hour_budget, day_budget = self._budgets
        plan = replace(self.plan, hour_budget=hour_budget, day_budget=day_budget)
        server = self.tracker.allowance(plan, now)
        ours = self.state.ledger.allowance(
            now,
            interval=plan.interval,
            steady=plan.calls_per_refresh,
            budgets=((HOUR, hour_budget), (DAY, day_budget)),
        )
        calls = min(server.calls, ours)
        steady = min(plan.calls_per_refresh, calls)
        return Allowance(
            calls, steady, calls - steady, plan.calls_per_refresh, server.retry_after
        )

    # ------------------------------------------------------------------
    # The tick

    async def refresh(self, now: datetime) -> TickReport:
        """One tick; raise the client's errors (what was read stays)."""
        moment = now.timestamp()
        report = self.last = TickReport()
        self.state.tick += 1
        self.replan(moment)
        allowance = report.allowance = self.allowance(moment)
        if allowance.calls == 0 and allowance.retry_after is not None:
            msg = "the token's DEXMA quota is used up"
            raise TelemetryHubRateLimitError(msg, retry_after=allowance.retry_after)
        listed_at = self.state.listed_at
        if listed_at is None or moment - listed_at >= DAY:
            report.listing = await self._spend(self._list(moment))
            self.replan(moment)
            allowance = self.allowance(moment)
        cap = max(
            1,
            math.floor(self._budgets[0] * DISCOVERY_SHARE * self.plan.interval / HOUR),
        )
        report.discovery = await self._discover(moment, min(cap, allowance.extra))
        self._adopt(now)
        if report.discovery:
            self.replan(moment)
            allowance = self.allowance(moment)
        report.steady = await self._steady(now, allowance.steady)
        report.backfill = await self._backfill(self.allowance(moment).calls)
        report.allowance = allowance
        return report

    async def backfill_now(self, now: datetime) -> int:
        """Spend what a tick could spare now on the queued ranges."""
        return await self._backfill(self.allowance(now.timestamp()).extra)

    def queue_history(
        self, device_ids: Iterable[int] | None, start: date, end: date
    ) -> list[BackfillPlan]:
        """Queue the local days `start`..`end` of the devices' counters."""
        wanted = None if device_ids is None else set(device_ids)
        streams = [
            stream
            for stream in self.streams()
            if stream.history and (wanted is None or stream.device_id in wanted)
        ]
        return self._queue(streams, start, end + timedelta(days=1))

    def take_fetched(self) -> list[Fetched]:
        """The counter series read since the last call (once each)."""
        fetched, self._fetched = self._fetched, []
        return fetched

    # ------------------------------------------------------------------
    # Phases

    async def _spend(self, work: Awaitable[None]) -> int:
        """Run calls; count them in the ledger (failed ones too)."""
        before = self.client.request_count
        try:
            await work
        finally:
            spent = self.client.request_count - before
            self.state.ledger.record(self._clock(), spent)
            if self.tracker.latest is not None:
                self.state.quota = self.tracker.latest
        return spent

    async def _list(self, moment: float) -> None:
        devices = await self.client.devices()
        locations = await self.client.locations()
        self.state.listed_at = moment
        self.state.locations = {location.id: location for location in locations}
        listed = {device.id: device for device in devices}
        for device_id, device in listed.items():
            known = self.state.devices.get(device_id)
            if known is None:
                self.state.devices[device_id] = DeviceState(device)
            else:
                known.device, known.missing = device, 0
        for device_id, known in list(self.state.devices.items()):
            if device_id in listed:
                continue
            known.missing += 1
            if known.missing >= MISSING_LISTINGS:
                _LOGGER.info(
                    "DEXMA device %s (%s) left the account: missing from %d listings",
                    device_id,
                    known.device.name,
                    known.missing,
                )
                self.state.drop_device(device_id)
            elif known.missing == 1:
                _LOGGER.info(
                    "DEXMA device %s (%s) is missing from the device listing",
                    device_id,
                    known.device.name,
                )

    async def _discover(self, moment: float, budget: int) -> int:
        candidates = [
            known
            for device_id, known in sorted(self.state.devices.items())
            if self.followed(device_id) and known.missing == 0
        ]
        due = [
            known
            for known in candidates
            if known.parameters is None
            and (known.denied_at is None or moment - known.denied_at >= RETRY_REFUSED)
        ]
        due += sorted(
            (
                known
                for known in candidates
                if known.parameters is not None
                and moment - (known.parameters_at or 0) >= PARAMETERS_EVERY
            ),
            key=lambda known: known.parameters_at or 0,
        )
        spent = 0
        for known in due:
            if spent >= budget:
                break
            spent += await self._spend(self._read_parameters(known, moment))
        return spent

    async def _read_parameters(self, known: DeviceState, moment: float) -> None:
        try:
            parameters = await self.client.parameters(known.device.id)
        except TelemetryHubDeviceAccessError as err:
            self._deny(known, moment, err)
            return
        except DexmaValidationError as err:
            self._warn_once(
                f"params:{known.device.id}", "DEXMA device %s: %s", known.device.id, err
            )
            parameters = []
        known.parameters = tuple(parameters)
        known.parameters_at = moment

    def _adopt(self, now: datetime) -> None:
        """Start a state for new meters (with their history); forget old ones."""
        streams = self.streams()
        new = [s for s in streams if s.meter_key not in self.state.meters]
        for stream in new:
            self.state.meters[stream.meter_key] = MeterState(
                stream.device_id, stream.parameter.key, stream.resolution
            )
        kept = {stream.meter_key for stream in streams}
        for key in [key for key in self.state.meters if key not in kept]:
            self.state.drop_meter(key)
        days = self.settings.history_days
        if days > 0:
            today = now.astimezone(UTC).date()
            history = [stream for stream in new if stream.history]
            self._queue(history, today - timedelta(days=days), today)

    async def _steady(self, now: datetime, budget: int) -> int:
        moment = now.timestamp()
        due = [stream for stream in self.streams() if self.due(stream, moment)]
        due.sort(
            key=lambda s: (
                self.state.meters[s.meter_key].refreshed_at or -math.inf,
                s.meter_key,
            )
        )
        spent = 0
        for stream in due[: min(budget, self.plan.calls_per_refresh)]:
            device = self.state.devices[stream.device_id]
            if device.denied_at is not None and device.denied_at >= moment:
                continue  # refused earlier in this tick
            spent += await self._spend(self._read_steady(stream, now))
        return spent

    async def _read_steady(self, stream: Stream, now: datetime) -> None:
        meter = self.state.meters[stream.meter_key]
        device = self.state.devices[stream.device_id]
        moment = now.timestamp()
        meter.refreshed_at = moment
        if stream.info.cumulative:
            start = (
                (now - CORRECTION)
                .astimezone(UTC)
                .replace(minute=0, second=0, microsecond=0)
            )
            operation = Operation.DELTA
        else:
            start = now - INSTANT_WINDOW
            if meter.latest is not None and meter.latest.ts > start:
                start = meter.latest.ts + timedelta(seconds=1)
            start = min(start, now - timedelta(minutes=5))
            operation = Operation.RAW
        try:
            series = await self.client.readings(
                stream.device_id,
                stream.parameter.key,
                stream.resolution,
                start,
                now,
                operation=operation,
                tz=stream.timezone,
            )
        except TelemetryHubDeviceAccessError as err:
            self._deny(device, moment, err)
            return
        except DexmaValidationError as err:
            if meter.invalid is None:
                _LOGGER.warning("DEXMA meter %s is refused: %s", stream.meter_key, err)
            meter.invalid, meter.invalid_at = str(err), moment
            return
        meter.invalid = meter.invalid_at = device.denied_at = None
        meter.units = series.units or meter.units
        meter.latest = series.latest or meter.latest
        if stream.info.cumulative:
            if (
                stream.history
                and meter.read_to is not None
                and meter.read_to < start.timestamp()
            ):
                gap_start = datetime.fromtimestamp(meter.read_to, UTC) - CORRECTION
                gap_start = gap_start.replace(minute=0, second=0, microsecond=0)
                self._queue([stream], gap_start, start)
            meter.read_to = moment
            self._fetched.append(Fetched(stream.meter, series))

    async def _backfill(self, budget: int) -> int:
        spent = 0
        for plan in list(self.state.backfills):
            for call in plan.pending():
                if spent >= budget:
                    break
                device = self.state.devices.get(call.device_id)
                if (
                    call.meter_key not in plan.meters
                    or device is None
                    or not device.reachable
                ):
                    continue
                spent += await self._spend(self._read_backfill(plan, call, device))
            if plan.finished or not plan.meters:
                self.state.backfills.remove(plan)
            if spent >= budget:
                break
        return spent

    async def _read_backfill(
        self, plan: BackfillPlan, call: ReadingsCall, device: DeviceState
    ) -> None:
        try:
            series = await self.client.fetch(call)
        except TelemetryHubDeviceAccessError as err:
            self._deny(device, self._clock(), err)
            return
        except DexmaValidationError as err:
            self._warn_once(
                f"range:{call.meter_key}",
                "DEXMA meter %s: a history range is refused: %s",
                call.meter_key,
                err,
            )
            series = None
        plan.mark_done(call)
        if series is not None:
            meter = plan.meters[call.meter_key]
            self._fetched.append(Fetched(meter, series))

    # ------------------------------------------------------------------
    # Helpers

    def _deny(self, device: DeviceState, moment: float, err: Exception) -> None:
        if device.denied_at is None:
            _LOGGER.warning(
                "DEXMA device %s (%s) is not visible to the token any more: %s",
                device.device.id,
                device.device.name,
                err,
            )
        device.denied_at = moment
