"""Import of meter counters into long-term statistics (Energy dashboard).

A meter's archive knows, hour by hour, what its counter read. A sensor
only knows the value at the moment of a poll, and archives arrive in
batches (a modem delivers a day at once), so the sensor would put a day's
consumption into one hour. The archive rows are imported as external
statistics instead, each at its own hour.

The recorder never recomputes `sum`, so a wrong starting sum would be a
permanent spike: every import continues from the last stored row, and rows
at or before it are never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import slugify

from .const import DOMAIN, LOGGER

# Home Assistant 2025.11 added the unit class to statistics metadata (and
# requires it from 2026.11); older versions reject the unknown key.
_HAS_UNIT_CLASS = "unit_class" in StatisticMetaData.__annotations__


@dataclass(frozen=True, slots=True)
class CounterStatistic:
    """An external statistic fed by a growing counter."""

    object_id: str
    """Identifies the counter; slugified into the statistic id."""
    name: str
    unit: str
    unit_class: str | None

    @property
    def statistic_id(self) -> str:
        """The external statistic id, `telemetry_hub:<slug>`."""
        return f"{DOMAIN}:{slugify(self.object_id)}"

    def metadata(self) -> StatisticMetaData:
        """The recorder metadata, in the form the running version wants."""
        metadata: dict[str, Any] = {
            "has_sum": True,
            "mean_type": StatisticMeanType.NONE,
            "name": self.name,
            "source": DOMAIN,
            "statistic_id": self.statistic_id,
            "unit_of_measurement": self.unit,
        }
        if _HAS_UNIT_CLASS:
            metadata["unit_class"] = self.unit_class
        return cast("StatisticMetaData", metadata)


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
    statistic: CounterStatistic,
    readings: Iterable[tuple[datetime, float]],
) -> int:
    """Append counter readings as hourly rows; return how many were added."""
    by_hour: dict[datetime, float] = {}
    for reading_time, value in sorted(readings):
        by_hour[hour_start(reading_time)] = value
    if not by_hour:
        return 0
    last = await get_instance(hass).async_add_executor_job(
        get_last_statistics,
        hass,
        1,
        statistic.statistic_id,
        True,  # noqa: FBT003 - convert_units, positional in the recorder API
        {"state", "sum"},
    )
    last_row = last[statistic.statistic_id][0] if last else None
    last_start = last_row["start"] if last_row else None
    previous = last_row.get("state") if last_row else None
    total = (last_row.get("sum") if last_row else None) or 0.0
    rows: list[StatisticData] = []
    for start, value in sorted(by_hour.items()):
        if last_start is not None and start.timestamp() <= last_start:
            continue
        # A counter that drops was replaced or reset: count nothing for
        # that hour rather than a negative (or huge) spike.
        if previous is not None:
            total += max(0.0, value - previous)
        previous = value
        rows.append(StatisticData(start=start, state=value, sum=total))
    if rows:
        LOGGER.debug("Importing %d hours into %s", len(rows), statistic.statistic_id)
        async_add_external_statistics(hass, statistic.metadata(), rows)
    return len(rows)
