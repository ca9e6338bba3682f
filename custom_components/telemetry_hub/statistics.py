"""Long-term statistics (Energy dashboard) of every vendor's meters.

A meter's archive knows, hour by hour, what it measured. A sensor only
knows the value at the moment of a poll, and archives arrive in batches (a
modem delivers a day at once), so the sensor would put a day's consumption
into one hour. Archives are imported as external statistics instead
(`telemetry_hub:<slug>`, an id stable for the life of the meter), each
amount at its own UTC hour. Two kinds of input:

* growing counter readings `(time, value)`: an hour's amount is the
  counter's rise across it; a counter that drops (meter replaced) counts 0;
* per-interval amounts (`Interval`): summed into UTC hours, split in
  proportion where an interval crosses an hour boundary (reported, so the
  caller can ask a finer resolution), negative amounts counted as 0.

Hours may arrive in any order: a trailing window re-written with corrected
hours, an outage of days filled later, a backfill arriving after newer
hours. The recorder never recomputes `sum`, so each import reads the stored
rows from its first hour on (and the one before it) on the recorder's
executor, and writes its hours together with every later stored row whose
sum they move (`statistics_hours.merge`). Imports of one statistic run one
at a time, each after the recorder has committed the previous one's rows.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial
import itertools
from typing import Any, cast

from homeassistant.components.recorder import statistics as recorder_statistics
from homeassistant.components.recorder.models import (
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .statistics_hours import Hours, Interval, counter_hours, interval_hours, plan

__all__ = [
    "CounterStatistic",
    "ExternalStatistic",
    "ImportResult",
    "Interval",
    "Overlap",
    "async_import_amounts",
    "async_import_counter",
    "async_import_readings",
    "async_statistic_name",
    "hour_start",
]

# Home Assistant 2025.11 added the unit class to statistics metadata (and
# requires it from 2026.11); older versions reject the unknown key.
_HAS_UNIT_CLASS = "unit_class" in StatisticMetaData.__annotations__
# `mean_type` replaced `has_mean`, which newer versions drop.
_HAS_MEAN_TYPE = "mean_type" in StatisticMetaData.__annotations__
BATCH_HOURS = 500
"""Rows handed to the recorder per job: each job's checks on the event loop
stay well under a millisecond per hundred rows."""
_DATA: HassKey[_Imports] = HassKey(f"{DOMAIN}_statistics")


class Overlap(StrEnum):
    """What happens to hours the recorder already has."""

    REPLACE = "replace"
    """The new hours replace them (late or corrected data, re-written windows)."""
    KEEP = "keep"
    """They stay; only hours the recorder lacks are added."""


@dataclass(frozen=True, slots=True)
class ExternalStatistic:
    """An external statistic: one meter's hourly amounts and running sum."""

    object_id: str
    """Identifies the meter for its whole life; slugified into the id."""
    name: str
    """Shown in the Energy dashboard (see `async_statistic_name`)."""
    unit: str | None
    unit_class: str | None
    """The unit converter's class (`EnergyConverter.UNIT_CLASS`), or None."""

    @property
    def statistic_id(self) -> str:
        """The external statistic id, `telemetry_hub:<slug>`."""
        return f"{DOMAIN}:{slugify(self.object_id)}"

    def metadata(self) -> StatisticMetaData:
        """The recorder metadata, in the form the running version wants."""
        metadata: dict[str, Any] = {
            "has_sum": True,
            "name": self.name,
            "source": DOMAIN,
            "statistic_id": self.statistic_id,
            "unit_of_measurement": self.unit,
        }
        if _HAS_MEAN_TYPE:
            metadata["mean_type"] = StatisticMeanType.NONE
        else:
            metadata["has_mean"] = False
        if _HAS_UNIT_CLASS:
            metadata["unit_class"] = self.unit_class
        return cast("StatisticMetaData", metadata)


CounterStatistic = ExternalStatistic
"""The name of the first version (a statistic fed by a counter)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    """What one import did to a statistic."""

    statistic_id: str
    written: int = 0
    """Hours of the input written (new, or different from what was stored)."""
    shifted: int = 0
    """Later stored hours re-written because the new hours moved their sum."""
    kept: int = 0
    """Hours of the input left as stored (`Overlap.KEEP`, or an hour the
    input covers only in part while the recorder has all of it)."""
    first: datetime | None = None
    last: datetime | None = None
    """The first and last hour of the input written (UTC)."""
    straddling: int = 0
    """Intervals that crossed a UTC hour boundary and were split in
    proportion: ask the vendor a finer resolution if it has one."""
    clamped: int = 0
    """Negative amounts counted as 0."""
    skipped: int = 0
    """Values that are not finite numbers, or intervals without length."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for an action's response."""
        data = asdict(self)
        for key in ("first", "last"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(slots=True)
class _Imports:
    """One import at a time per statistic, each after the previous is stored."""

    locks: defaultdict[str, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    pending: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    """The recorder's signal that a statistic's last rows are committed."""
    warned: set[str] = field(default_factory=set)
    """Statistics that logged their negative amounts already."""


async def async_statistic_name(
    hass: HomeAssistant, translation_key: str, placeholders: dict[str, str]
) -> str:
    """A statistic's name in the system language (English if untranslated).

    Statistics have no entity to translate their name at display time: it
    is written when the statistic is created, from the `entity.sensor`
    translation `translation_key` (a template with placeholders).
    """
    translations = await async_get_translations(
        hass, hass.config.language, "entity", {DOMAIN}
    )
    template = translations.get(
        f"component.{DOMAIN}.entity.sensor.{translation_key}.name", translation_key
    )
    for name, value in placeholders.items():
        template = template.replace(f"{{{name}}}", value)
    return template


def hour_start(reading_time: datetime) -> datetime:
    """The hour a counter reading closes.

    A counter read at 10:00 closes the hour 09:00-10:00; one read at 10:20
    belongs to the hour 10:00-11:00 (its latest reading wins).
    """
    moment = reading_time.astimezone(UTC) - timedelta(seconds=1)
    return moment.replace(minute=0, second=0, microsecond=0)


async def async_import_counter(
    hass: HomeAssistant,
    statistic: ExternalStatistic,
    readings: Iterable[tuple[datetime, float]],
) -> int:
    """Add counter readings for hours not stored yet; return how many.

    The first version's call: stored hours are kept (`Overlap.KEEP`).
    """
    result = await async_import_readings(
        hass, statistic, readings, overlap=Overlap.KEEP
    )
    return result.written


async def async_import_readings(
    hass: HomeAssistant,
    statistic: ExternalStatistic,
    readings: Iterable[tuple[datetime, float]],
    *,
    overlap: Overlap = Overlap.REPLACE,
) -> ImportResult:
    """Import growing counter readings `(aware time, value)`, in any order.

    Each hour's amount is the counter's rise from the hour before it (the
    stored row before the first new hour included); a drop counts 0. The
    last reading closing an hour wins (see `hour_start`).
    """
    return await _async_import(
        hass, statistic, partial(counter_hours, list(readings)), overlap
    )


async def async_import_amounts(
    hass: HomeAssistant,
    statistic: ExternalStatistic,
    intervals: Iterable[Interval],
    *,
    overlap: Overlap = Overlap.REPLACE,
) -> ImportResult:
    """Import per-interval amounts, summed into UTC hours, in any order.

    In a half-hour zone, pass half-hour intervals so that each falls whole
    into a UTC hour; a UTC hour the input covers only in part (the edge of
    a window starting at a local midnight there) replaces nothing stored.
    """
    result = await _async_import(
        hass, statistic, partial(interval_hours, list(intervals)), overlap
    )
    imports = _imports(hass)
    if result.clamped and statistic.statistic_id not in imports.warned:
        imports.warned.add(statistic.statistic_id)
        LOGGER.warning(
            "%s: %d negative amounts counted as 0 (the vendor sent values "
            "that would make the total go backwards)",
            statistic.statistic_id,
            result.clamped,
        )
    return result


# ----------------------------------------------------------------------
# The recorder side


def _imports(hass: HomeAssistant) -> _Imports:
    if (imports := hass.data.get(_DATA)) is None:
        imports = hass.data[_DATA] = _Imports()
    return imports


async def _async_import(
    hass: HomeAssistant,
    statistic: ExternalStatistic,
    cut: Callable[[], Hours],
    overlap: Overlap,
) -> ImportResult:
    """Merge the input's hours with the stored series; write what changes.

    Cutting, reading and merging run on the recorder's executor (a year of
    hours is tens of milliseconds of work); the event loop only hands the
    rows to the recorder, a batch at a time.
    """
    statistic_id = statistic.statistic_id
    imports = _imports(hass)
    async with imports.locks[statistic_id]:
        if (pending := imports.pending.get(statistic_id)) is not None:
            # The rows of the previous import must be readable first.
            await asyncio.shield(pending)
            imports.pending.pop(statistic_id, None)
        hours, merged, rows = await get_instance(hass).async_add_executor_job(
            partial(plan, hass, statistic_id, cut, replace=overlap is Overlap.REPLACE)
        )
        if rows:
            LOGGER.debug(
                "%s: writing %d hours, %d later hours shifted",
                statistic_id,
                merged.written,
                merged.shifted,
            )
            metadata = statistic.metadata()
            for batch in itertools.batched(rows, BATCH_HOURS, strict=False):
                recorder_statistics.async_add_external_statistics(
                    hass, metadata, list(batch)
                )
                await asyncio.sleep(0)
            imports.pending[statistic_id] = _committed(hass, statistic_id)
    return ImportResult(
        statistic_id=statistic_id,
        written=merged.written,
        shifted=merged.shifted,
        kept=merged.kept,
        first=_utc(merged.first),
        last=_utc(merged.last),
        straddling=hours.straddling,
        clamped=hours.clamped,
        skipped=hours.skipped,
    )


@callback
def _committed(hass: HomeAssistant, statistic_id: str) -> asyncio.Future[None]:
    """A future the recorder resolves once the rows queued so far are stored.

    The recorder runs its jobs in order; a metadata update that changes
    nothing is queued behind the import jobs and reports when it ran.
    """
    future: asyncio.Future[None] = hass.loop.create_future()

    def done() -> None:  # in the recorder's thread
        hass.loop.call_soon_threadsafe(future.set_result, None)

    get_instance(hass).async_update_statistics_metadata(statistic_id, on_done=done)
    return future


def _utc(hour: int | None) -> datetime | None:
    return None if hour is None else datetime.fromtimestamp(hour, UTC)
