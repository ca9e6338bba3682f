"""The coordinator of one Tecno-Gaz DISTRO contract.

It runs the HA-free sync engine (`api/tecnogaz/`) on every poll: one
`/devices` call, and cycle or alarm calls only for sterilizers with news.
The engine's state (with its exactly-once ledger) lives in the entry's
store; the events it announces go to the Cycle and Alarm event entities.
A call that answers 404 means the real service differs from our
provisional contract: a repair issue names the call until it answers again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.util import dt as dt_util

from ...api import TelemetryHubNotFoundError
from ...api.tecnogaz import (
    CONTRACT_VERSION,
    PATHS,
    Call,
    SterilizerView,
    TecnoGazClient,
    TecnoGazRefresh,
    TecnoGazState,
    TecnoGazSync,
)
from ...const import DOCS_URL, DOMAIN
from ...coordinator import TelemetryHubConfigEntry, TelemetryHubCoordinator
from .const import CATCH_UP, ISSUE_CONTRACT_MISMATCH
from .entities import BINARY_SENSORS, EVENTS, SENSORS, SterilizerData

if TYPE_CHECKING:
    from ...vendor import VendorDescriptor

CONTRACT_URL = f"{DOCS_URL}#tecno-gaz-provisional-contract"


class TecnoGazCoordinator(TelemetryHubCoordinator[SterilizerData]):
    """Poll one Tecno-Gaz contract."""

    catch_up = CATCH_UP

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TelemetryHubConfigEntry,
        vendor: VendorDescriptor,
        client: TecnoGazClient,
    ) -> None:
        """Set up the contract's client and sync engine."""
        super().__init__(hass, entry, vendor)
        self.client = client
        self.sync = TecnoGazSync(client, catch_up=CATCH_UP)
        self._mismatches: set[str] = set()

    def restore(self, sections: Mapping[str, Mapping[str, Any]]) -> None:
        """Continue from the sync state (and its ledger) the last run stored."""
        self.sync.state = TecnoGazState.from_dict(
            sections.get("sync"), catch_up=CATCH_UP
        )

    def persist(self) -> dict[str, Any]:
        """The sync state to store (after every refresh, failed ones too)."""
        return {"sync": self.sync.state.as_dict()}

    async def _async_fetch(self) -> dict[str, SterilizerData]:
        """One refresh of the contract; raise when the listing is unreadable."""
        result = await self.sync.refresh(dt_util.utcnow())
        self._track_mismatches(result)
        if not result.listing_ok:
            message = result.not_found.get(Call.DEVICES, "the devices call failed")
            raise TelemetryHubNotFoundError(message, call=Call.DEVICES)
        return {serial: self._data(view) for serial, view in result.sterilizers.items()}

    def _data(self, view: SterilizerView) -> SterilizerData:
        """A sterilizer's view with its events made ready to fire."""
        cycles = [e for e in view.events if e.cycle is not None]
        alarms = [e for e in view.events if e.alarm is not None]
        return SterilizerData(
            view=view,
            cycle_events=self.emit((e.kind.value, e.attributes()) for e in cycles),
            alarm_events=self.emit((e.kind.value, e.attributes()) for e in alarms),
        )

    # ------------------------------------------------------------------
    # Entities

    def descriptions(
        self, platform: Platform
    ) -> Iterable[tuple[str, EntityDescription]]:
        """Every entity of a platform, per sterilizer."""
        descriptions: tuple[EntityDescription, ...] = {
            Platform.SENSOR: SENSORS,
            Platform.BINARY_SENSOR: BINARY_SENSORS,
            Platform.EVENT: EVENTS,
        }.get(platform, ())
        for serial in self.device_keys():
            for description in descriptions:
                yield serial, description

    def describe_device(self, device_key: str, view: SterilizerData) -> DeviceInfo:
        """A sterilizer: model, serial number and firmware."""
        sterilizer = view.view.sterilizer
        model = sterilizer.model
        return DeviceInfo(
            name=f"{model} {device_key}" if model else device_key,
            model=model,
            serial_number=device_key,
            sw_version=sterilizer.firmware,
        )

    async def async_diagnostics(self) -> dict[str, Any]:
        """The contract's state for support (the token is redacted later)."""
        limiter = self.client.limiter
        return {
            "base_url": self.client.base_url,
            "contract_version": CONTRACT_VERSION,
            "paths": dict(PATHS),
            "requests": self.client.request_count,
            "rate_limiter": {
                "calls": limiter.calls,
                "peak_in_a_minute": limiter.peak,
                "seconds_waited": round(limiter.waited, 1),
            },
            "contract_mismatches": sorted(self._mismatches),
            "sterilizers": [
                await self.async_device_diagnostics(serial)
                for serial in self.device_keys()
            ],
        }

    async def async_device_diagnostics(self, device_key: str) -> dict[str, Any]:
        """One sterilizer's state, for support."""
        data = self.device_data(device_key)
        if data is None:
            return {}
        view = data.view
        return {
            "listing": view.sterilizer.to_json(),
            "latest_cycle": view.latest_cycle.to_json() if view.latest_cycle else None,
            "last_finished_cycle": (
                view.last_finished_cycle.to_json() if view.last_finished_cycle else None
            ),
            "active_alarms": [alarm.to_json() for alarm in view.active_alarms],
            "error": view.error,
            "not_found_call": view.not_found_call,
        }

    # ------------------------------------------------------------------
    # Contract mismatches

    def _track_mismatches(self, result: TecnoGazRefresh) -> None:
        """Raise a repair issue per call answering 404; clear those that work."""
        broken = set(result.not_found)
        if result.listing_ok:
            # Views keep the call that failed until the sterilizer reads fine.
            broken |= {
                view.not_found_call
                for view in result.sterilizers.values()
                if view.not_found_call
            }
        else:
            broken |= self._mismatches - {Call.DEVICES}
        for call in broken - self._mismatches:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._issue_id(call),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_CONTRACT_MISMATCH,
                translation_placeholders={
                    "call": call,
                    "path": PATHS.get(Call(call), "?") if call in Call else "?",
                    "version": CONTRACT_VERSION,
                    "title": self.config_entry.title,
                },
                learn_more_url=CONTRACT_URL,
            )
        for call in self._mismatches - broken:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(call))
        self._mismatches = broken

    def _issue_id(self, call: str) -> str:
        return f"{ISSUE_CONTRACT_MISMATCH}_{self.config_entry.entry_id}_{call}"
