"""DEXMA counters in long-term statistics (the Energy dashboard).

Every followed counter whose hours are energy or volume (EACTIVE,
GASENERGY, ... in kWh; GASVOLUME, WATERVOL in m³) has an external
statistic `telemetry_hub:dexma_<account anchor>_<device id>_<key>`, stable
for the life of the meter. The sync engine reads `DELTA` per interval (an
hour, or the half or quarter hours of a zone whose offset is not whole
hours); each interval is imported at its own UTC hour with
`Overlap.REPLACE`, so the trailing correction window read on every refresh
replaces late or corrected hours, and the statistics engine moves the sum
of every later hour by exactly the change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import dataclasses
import logging

from homeassistant.const import UnitOfEnergy, UnitOfVolume
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from ...api.dexma import Quantity, parameter_info
from ...api.dexma.plan import Meter
from ...api.dexma.streams import HISTORY_QUANTITIES, Fetched
from ...const import DOMAIN
from ...statistics import (
    ExternalStatistic,
    ImportResult,
    Interval,
    Overlap,
    async_import_amounts,
    async_statistic_name,
)
from .const import STATISTIC_NAME

_LOGGER = logging.getLogger(__name__)

_UNITS = {
    Quantity.ENERGY: (UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS),
    Quantity.VOLUME: (UnitOfVolume.CUBIC_METERS, VolumeConverter.UNIT_CLASS),
}


def statistic_object_id(account: str, meter: Meter) -> str:
    """The object id of a meter's statistic (slugified into the id)."""
    return f"dexma_{account}_{meter.device_id}_{meter.parameter_key}"


def add_results(total: ImportResult | None, result: ImportResult) -> ImportResult:
    """Two imports of one statistic as one."""
    if total is None:
        return result
    firsts = [moment for moment in (total.first, result.first) if moment]
    lasts = [moment for moment in (total.last, result.last) if moment]
    return dataclasses.replace(
        total,
        written=total.written + result.written,
        shifted=total.shifted + result.shifted,
        kept=total.kept + result.kept,
        first=min(firsts, default=None),
        last=max(lasts, default=None),
        straddling=total.straddling + result.straddling,
        clamped=total.clamped + result.clamped,
        skipped=total.skipped + result.skipped,
    )


class DexmaHistory:
    """Import one account's counter readings into long-term statistics."""

    def __init__(self, hass: HomeAssistant, account: str) -> None:
        """`account` is the entry's anchor (`location:501`), part of every id."""
        self.hass = hass
        self.account = account
        self._statistics: dict[str, ExternalStatistic] = {}
        self._warned: set[str] = set()

    def statistic_id(self, meter: Meter) -> str:
        """The statistic id of a meter (whether or not it exists yet)."""
        return ExternalStatistic(
            statistic_object_id(self.account, meter), "", None, None
        ).statistic_id

    async def async_import(
        self, fetched: Iterable[Fetched], device_name: Callable[[int], str]
    ) -> dict[str, ImportResult]:
        """Import counter series; return what changed, by statistic id."""
        results: dict[str, ImportResult] = {}
        for item in fetched:
            info = parameter_info(item.meter.parameter_key)
            if info is None or info.quantity not in HISTORY_QUANTITIES:
                continue
            unit = item.series.classification.unit
            step = item.series.resolution.step
            if unit is None or unit.quantity is not info.quantity or step is None:
                self._warn(item, f"unit {item.series.units!r}")
                continue
            intervals = [
                Interval(reading.ts, step, unit.convert(reading.value))
                for reading in item.series.readings
            ]
            if not intervals:
                continue
            statistic = await self._statistic(
                item.meter, info.quantity, device_name(item.meter.device_id)
            )
            result = await async_import_amounts(
                self.hass, statistic, intervals, overlap=Overlap.REPLACE
            )
            key = statistic.statistic_id
            results[key] = add_results(results.get(key), result)
        return results

    async def _statistic(
        self, meter: Meter, quantity: Quantity, device: str
    ) -> ExternalStatistic:
        """The meter's statistic, named in the system language (once a run)."""
        if (known := self._statistics.get(meter.key)) is not None:
            return known
        info = parameter_info(meter.parameter_key)
        assert info is not None  # noqa: S101 - checked by the caller
        translations = await async_get_translations(
            self.hass, self.hass.config.language, "entity", {DOMAIN}
        )
        parameter = translations.get(
            f"component.{DOMAIN}.entity.sensor.param_{info.key.lower()}.name",
            meter.parameter_key,
        )
        unit, unit_class = _UNITS[quantity]
        statistic = self._statistics[meter.key] = ExternalStatistic(
            object_id=statistic_object_id(self.account, meter),
            name=await async_statistic_name(
                self.hass, STATISTIC_NAME, {"device": device, "parameter": parameter}
            ),
            unit=unit,
            unit_class=unit_class,
        )
        return statistic

    def _warn(self, item: Fetched, problem: str) -> None:
        if item.meter.key not in self._warned:
            self._warned.add(item.meter.key)
            _LOGGER.warning(
                "DEXMA meter %s: readings not imported into statistics (%s)",
                item.meter.key,
                problem,
            )
