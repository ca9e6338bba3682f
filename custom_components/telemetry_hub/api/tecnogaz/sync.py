"""Incremental synchronisation of one Tecno-Gaz DISTRO contract.

Every refresh makes exactly one `/devices` call. A sterilizer gets a cycles
call only when the listing shows a cycle not seen finished (a cycle number
above the highest read, or the newest cycle read as running while the
listing no longer says `running`), and an alarms call only when its
`alarmsChangedAt` is newer than the newest alarm change read. With nothing
new a refresh costs one call.

First sight of a sterilizer reads its newest cycles and its alarms over the
catch-up window and announces nothing (history is not news). Afterwards each
finished cycle (`cycle_completed`, `cycle_failed`, `cycle_aborted`) and each
alarm raised or cleared is announced exactly once, through one
`EventLedger` (streams `<serial>/cycles` and `<serial>/alarms`; keys the
cycle number, `<alarm id>:raised`, `<alarm id>:cleared`): what happened
while Home Assistant was down is announced once, in order, back to the
catch-up window (7 days by default).

CDN answers may be stale. A listing older than one already merged never
moves a value back (counters and times merge by max), absence from an
answer is never a deletion, and what a listing promised that the detail
call did not show yet is fetched again next refresh.

Errors: a 403 or a protocol error while reading one sterilizer is recorded
for it and the refresh goes on; a 404 is reported in the result with the
call's name. Auth, connection and rate-limit errors abort the refresh by
raising; what was read is kept, and events already taken wait in the
state's outbox for the next refresh. Every call goes through the client's
rate limiter, so a catch-up that needs more calls than the budget spreads
over the following minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging

from ..errors import (
    TelemetryHubDeviceAccessError,
    TelemetryHubNotFoundError,
    TelemetryHubProtocolError,
)
from .announce import (
    LATE,
    alarms_stream,
    announce_alarms,
    announce_cycles,
    cycles_stream,
    plus_second,
)
from .client import DeviceListing, TecnoGazClient
from .contract import Call
from .listing import merge_listing, plausible
from .models import EventKind, Sterilizer, SterilizerStatus
from .state import SterilizerState, TecnoGazState
from .view import SterilizerView, TecnoGazEvent, TecnoGazRefresh

_LOGGER = logging.getLogger(__name__)

DEFAULT_CATCH_UP = timedelta(days=7)
REMOVAL_AFTER = 3
"""Consecutive successful listings a sterilizer must miss to be removed."""
REFUSED_AFTER = 3
"""Consecutive 403s after which a sterilizer is removed."""
REFUSED_RETRY = timedelta(hours=1)
"""How often a refused sterilizer that is still listed is probed."""
FIRST_SIGHT_WINDOW = timedelta(days=366)
"""How far back first sight looks for the newest cycle and active alarms."""
FIRST_SIGHT_PAGE = 10
CYCLE_OVERLAP = timedelta(hours=6)
"""A cycles window starts this long before the newest known cycle."""
AHEAD = timedelta(days=1)
"""How far into the future a window reaches (device clocks run ahead)."""
_KIND_ORDER = {kind: index for index, kind in enumerate(EventKind)}


def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


class TecnoGazSync:
    """Keep a `TecnoGazState` current with as few calls as possible."""

    def __init__(
        self,
        client: TecnoGazClient,
        state: TecnoGazState | None = None,
        *,
        catch_up: timedelta = DEFAULT_CATCH_UP,
    ) -> None:
        """Use `client` for every call; `catch_up` bounds what is replayed."""
        self.client = client
        self.catch_up = catch_up
        self.state = state or TecnoGazState.new(catch_up)
        self.state.ledger.window = catch_up
        self._warned: set[str] = set()

    # ------------------------------------------------------------------

    async def refresh(self, now: datetime) -> TecnoGazRefresh:
        """Bring the state up to date; see the module docstring."""
        now = _aware(now)
        before = self.client.request_count
        result = TecnoGazRefresh()
        try:
            listing = await self.client.listing()
        except TelemetryHubNotFoundError as err:
            result.not_found[err.call or Call.DEVICES] = str(err)
            result.listing_ok = False
            self._log_once("devices", logging.WARNING, "Tecno-Gaz: %s", err)
            return self._finish(result, before)
        self._warned.discard("devices")
        listed = await self._apply_listing(listing, result, now)
        for serial in sorted(listed):
            await self._sync_sterilizer(self.state.sterilizers[serial], result, now)
        return self._finish(result, before)

    def views(self) -> dict[str, SterilizerView]:
        """The current view of every sterilizer (no call)."""
        return {serial: _view(state, ()) for serial, state in self.sterilizers()}

    def sterilizers(self) -> list[tuple[str, SterilizerState]]:
        """Every sterilizer's state, by serial."""
        return sorted(self.state.sterilizers.items())

    # ------------------------------------------------------------------
    # The listing

    async def _apply_listing(
        self, listing: DeviceListing, result: TecnoGazRefresh, now: datetime
    ) -> set[str]:
        """Merge the listing, add and remove sterilizers; return those to read.

        A listing with unreadable rows says nothing about who is missing.
        """
        state = self.state
        listed = {sterilizer.serial: sterilizer for sterilizer in listing.sterilizers}
        to_read: set[str] = set()
        for serial, fresh in listed.items():
            if serial in state.refused and not await self._probe(serial, now, result):
                continue
            known = state.sterilizers.get(serial)
            if known is None:
                known = SterilizerState(merge_listing(None, fresh, now))
                state.sterilizers[serial] = known
                result.added.add(serial)
            else:
                status = known.listing.status_raw
                known.listing = merge_listing(known.listing, fresh, now)
                if known.listing.status_raw != status:
                    known.finish.given_up = None  # a new status is news again
            known.missing = 0
            self._offer(known, fresh, now)
            to_read.add(serial)
        unlisted = [s for s in state.sterilizers if s not in listed]
        for serial in unlisted if listing.complete else []:
            known = state.sterilizers[serial]
            known.missing += 1
            if known.missing >= REMOVAL_AFTER:
                self._remove(serial, result)
        state.refused = {s: t for s, t in state.refused.items() if s in listed}
        return to_read

    async def _probe(self, serial: str, now: datetime, result: TecnoGazRefresh) -> bool:
        """Whether a sterilizer removed for 403s may come back (once an hour)."""
        refused_at = self.state.refused[serial]
        if now.timestamp() - refused_at < REFUSED_RETRY.total_seconds():
            return False
        try:
            await self.client.device(serial)
        except TelemetryHubNotFoundError as err:
            result.not_found[err.call or Call.DEVICE] = str(err)
        except (TelemetryHubDeviceAccessError, TelemetryHubProtocolError):
            pass
        else:
            del self.state.refused[serial]
            return True
        self.state.refused[serial] = now.timestamp()
        return False

    def _offer(self, state: SterilizerState, fresh: Sterilizer, now: datetime) -> None:
        """Turn what the listing shows into promises the detail calls keep."""
        state.new_cycle.offer(fresh.last_cycle_number, state.cycles_seen)
        newest = state.newest_open()
        if state.listing.status is SterilizerStatus.RUNNING:
            state.finish.given_up = None
        elif newest is not None and newest >= (state.cycles_seen or 0):
            state.finish.offer(newest, None)
        changed = plausible(fresh.alarms_changed_at, now)
        state.alarm_change.offer(changed, state.alarms_read)
        state.alarms_with_cycles = False
        if fresh.alarms_changed_at is None and state.alarms_ready:
            state.alarms_with_cycles = state.new_cycle.due or state.finish.due
            self._log_once(
                "no-alarms-changed",
                logging.INFO,
                "The Tecno-Gaz listing has no %s; alarms are read with new cycles",
                "alarmsChangedAt",
            )

    def _remove(self, serial: str, result: TecnoGazRefresh) -> None:
        state = self.state.sterilizers.pop(serial)
        self.state.ledger.forget(cycles_stream(serial))
        self.state.ledger.forget(alarms_stream(serial))
        result.removed[serial] = state.listing
        _LOGGER.info("Sterilizer %s left the Tecno-Gaz contract", serial)

    # ------------------------------------------------------------------
    # One sterilizer

    async def _sync_sterilizer(
        self, state: SterilizerState, result: TecnoGazRefresh, now: datetime
    ) -> None:
        """Read what is due for one sterilizer; failures stay with it."""
        serial = state.serial
        had_error, state.error, state.not_found_call = state.error, None, None
        for part in (self._sync_cycles, self._sync_alarms):
            try:
                await part(state, now)
            except TelemetryHubDeviceAccessError as err:
                state.error = str(err)
                state.refused += 1
                if state.refused >= REFUSED_AFTER:
                    self.state.refused[serial] = now.timestamp()
                    self._remove(serial, result)
                break
            except TelemetryHubProtocolError as err:
                state.error = str(err)
                if isinstance(err, TelemetryHubNotFoundError):
                    state.not_found_call = err.call
                    result.not_found[err.call or "unknown"] = str(err)
            else:
                state.refused = 0
        if state.error is not None:
            result.failed[serial] = state.error
            level = logging.DEBUG if had_error else logging.WARNING
            _LOGGER.log(level, "Sterilizer %s: %s", serial, state.error)

    async def _sync_cycles(self, state: SterilizerState, now: datetime) -> None:
        if not state.cycles_ready:
            page = await self.client.cycles(
                state.serial,
                now - FIRST_SIGHT_WINDOW,
                now + AHEAD,
                page_size=FIRST_SIGHT_PAGE,
            )
            state.absorb_cycles(page.cycles)
            announce_cycles(self.state, state, page.cycles, now, first_sight=True)
            state.cycles_ready = True
            self._settle_cycles(state)
            return
        self.state.ledger.start(cycles_stream(state.serial), now - LATE)
        if not (state.new_cycle.due or state.finish.due):
            return
        floor = now - self.catch_up - CYCLE_OVERLAP
        starts = [s for s in state.open_cycles.values() if s is not None]
        if state.latest_cycle is not None and state.latest_cycle.start is not None:
            starts.append(state.latest_cycle.start)
        start = max(min(starts) - CYCLE_OVERLAP, floor) if starts else floor
        known = [n for n in (state.cycles_seen, *state.open_cycles) if n is not None]
        cycles = await self.client.cycles_until(
            state.serial, start, now + AHEAD, stop_at=min(known, default=None)
        )
        state.absorb_cycles(cycles)
        announce_cycles(self.state, state, cycles, now)
        self._settle_cycles(state)
        state.prune(now - self.catch_up - CYCLE_OVERLAP)

    def _settle_cycles(self, state: SterilizerState) -> None:
        if state.new_cycle.settle(state.cycles_seen):
            _LOGGER.info(
                "Sterilizer %s: the listing announces a cycle its cycles do not "
                "show; no longer asking for it",
                state.serial,
            )
        newest = state.finish.wanted
        if state.finish.settle(None if newest in state.open_cycles else newest):
            _LOGGER.info(
                "Sterilizer %s: cycle %s still reads as running", state.serial, newest
            )

    async def _sync_alarms(self, state: SterilizerState, now: datetime) -> None:
        serial = state.serial
        if not state.alarms_ready:
            window_start = now - self.catch_up
            alarms = await self.client.alarms(serial, window_start, now + AHEAD)
            listed_active = state.listing.active_alarms or 0
            if listed_active > sum(1 for alarm in alarms if alarm.active):
                older = await self.client.alarms(
                    serial, now - FIRST_SIGHT_WINDOW, now + AHEAD, active_only=True
                )
                alarms = list({a.id: a for a in [*older, *alarms]}.values())
            state.absorb_alarms(alarms)
            # Changes before the window are history, read as far as wanted: an
            # older `alarmsChangedAt` in the listing asks for nothing more.
            if state.alarms_read is None or state.alarms_read < window_start:
                state.alarms_read = window_start
            announce_alarms(self.state, state, alarms, now, first_sight=True)
            state.alarms_ready = True
            state.alarm_change.settle(plus_second(state.alarms_read))
            return
        self.state.ledger.start(alarms_stream(serial), now - LATE)
        if not (state.alarm_change.due or state.alarms_with_cycles):
            return
        state.alarms_with_cycles = False
        since = state.alarms_read or now - self.catch_up
        oldest = [a.raised_at for a in state.active_alarms() if a.raised_at]
        start = max(min([since, *oldest]) - LATE, now - FIRST_SIGHT_WINDOW)
        alarms = await self.client.alarms(serial, start, now + AHEAD)
        state.absorb_alarms(alarms)
        announce_alarms(self.state, state, alarms, now)
        if state.alarm_change.settle(plus_second(state.alarms_read)):
            _LOGGER.info(
                "Sterilizer %s: the listing announces an alarm change its alarms "
                "do not show; no longer asking for it",
                serial,
            )
        state.prune(now - self.catch_up - CYCLE_OVERLAP)

    # ------------------------------------------------------------------
    # Events and the result

    def _finish(self, result: TecnoGazRefresh, before: int) -> TecnoGazRefresh:
        """Hand over the outbox and build the views."""
        events = sorted(
            self.state.outbox,
            key=lambda e: (e.time, e.serial, _KIND_ORDER[e.kind]),
        )
        self.state.outbox = []
        result.events = events
        for serial, state in self.sterilizers():
            mine = tuple(event for event in events if event.serial == serial)
            result.sterilizers[serial] = _view(state, mine)
        result.calls = self.client.request_count - before
        return result

    def _log_once(self, key: str, level: int, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            _LOGGER.log(level, message, *args)


def _view(state: SterilizerState, events: tuple[TecnoGazEvent, ...]) -> SterilizerView:
    return SterilizerView(
        serial=state.serial,
        sterilizer=state.listing,
        latest_cycle=state.latest_cycle,
        last_finished_cycle=state.last_finished,
        active_alarms=tuple(state.active_alarms()),
        events=events,
        error=state.error,
        not_found_call=state.not_found_call,
    )
