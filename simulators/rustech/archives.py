"""Rows of the ``channel_data`` view: archives, abnormal situations, settings.

Time conventions (all event times are UNIX seconds):

* hourly: one row per whole UTC hour; P and T describe the hour ending at
  ``event_time``, the counters are read at ``event_time``;
* daily: ``event_time`` is the local midnight that ENDS the day;
* monthly / yearly: ``event_time`` is the local midnight starting the next
  month / year;
* a row is in ``fp_start..fp_end`` when the local date of its ``event_time``
  is in that (inclusive) range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import functools
from typing import Any, Literal
from zlib import crc32
from zoneinfo import ZoneInfo

from .catalog import (
    ABNORMAL,
    CHANNELS,
    FLOWGAZ,
    SETTING_UNITS,
    SETTINGS,
    UNITS,
    Z_METHOD,
    Channel,
    served_code,
)
from .data import HOUR, Physics, mix, pressure_in_unit
from .models import SimStation

type NumberMode = Literal["mixed", "never", "always"]
type Value = tuple[float, int]  # (value, decimals)

ARCHIVES = ("hourly", "daily", "monthly", "yearly")
ABNORMAL_EVERY_HOURS = 96  # about one abnormal situation per station in 4 days


@functools.cache
def _tag_hash(tag: str) -> int:
    return crc32(tag.encode())


def format_number(value: float, decimals: int) -> str:
    """Return ``value`` as a numeric string without trailing zeros."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def local_midnight(day: date, tz: ZoneInfo) -> int:
    """Return the UNIX time of the local midnight starting ``day``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def local_date(ts: float, tz: ZoneInfo) -> date:
    """Return the local date of the instant ``ts``."""
    return datetime.fromtimestamp(ts, tz).date()


def _shift_months(day: date, months: int) -> date:
    """Return the first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(archive: str, end: int, tz: ZoneInfo) -> int:
    """Return the start of the period whose row has ``event_time`` ``end``."""
    if archive == "hourly":
        return end - HOUR
    day = local_date(end, tz)
    if archive == "daily":
        return local_midnight(day - timedelta(days=1), tz)
    if archive == "monthly":
        return local_midnight(_shift_months(day, -1), tz)
    return local_midnight(date(day.year - 1, 1, 1), tz)


def event_times(archive: str, lo: int, hi: int, tz: ZoneInfo) -> list[int]:
    """Return the event times of ``archive`` within ``[lo, hi]``, newest first."""
    if hi < lo:
        return []
    if archive == "hourly":
        first = -(-lo // HOUR) * HOUR
        return list(range(hi // HOUR * HOUR, first - 1, -HOUR))
    first_day, last_day = local_date(lo, tz), local_date(hi, tz)
    days: list[date] = []
    if archive == "daily":
        days = [
            first_day + timedelta(days=n)
            for n in range((last_day - first_day).days + 1)
        ]
    elif archive == "monthly":
        months = (last_day.year - first_day.year) * 12 + last_day.month
        months -= first_day.month
        days = [_shift_months(first_day, n) for n in range(months + 1)]
    else:
        days = [date(y, 1, 1) for y in range(first_day.year, last_day.year + 1)]
    times = (local_midnight(day, tz) for day in days)
    return sorted((t for t in times if lo <= t <= hi), reverse=True)


@dataclass
class ArchiveBuilder:
    """Builds ``channel_data`` rows for one request's settings."""

    tz: ZoneInfo
    language: str
    numbers: NumberMode
    extra_fields: bool
    extra_channels: list[Channel] = field(default_factory=list)

    def channels(self, type_id: int, archive: str) -> list[Channel]:
        """Return the declared channels of a type's archive (yearly = monthly)."""
        table = "monthly" if archive == "yearly" else archive
        builtin = [
            c for c in CHANNELS if c.equipment_type_id == type_id and c.archive == table
        ]
        extra = [
            c
            for c in self.extra_channels
            if c.equipment_type_id == type_id and c.archive == archive
        ]
        return builtin + extra

    def values(
        self, station: SimStation, ph: Physics, archive: str, end: int
    ) -> dict[str, Value]:
        """Return the values of one archive row, keyed by the table's code."""
        type_id = station.equipment_type_id
        start = period_start(archive, end, self.tz)
        std_e, std_s = ph.std_volume(end), ph.std_volume(start)
        work_e, work_s = std_e * ph.ratio, std_s * ph.ratio  # = ph.work_volume
        result: dict[str, Value] = {}
        for channel in self.channels(type_id, archive):
            code = channel.code
            value: float
            if code in {"P", "T"}:
                result[code] = self._p_t(
                    code, ph, type_id, archive, start=start, end=end
                )
                continue
            if code in {"Vnakpriv", "Vst"}:
                value = std_e
            elif code == "Vnakst":
                value = std_e - ph.nak_offset_std
            elif code == "Vnakwork":
                value = work_e - (ph.nak_offset_work if type_id == FLOWGAZ else 0.0)
            elif code == "Vwork" and type_id == FLOWGAZ:
                value = work_e
            elif code == "Vwork":
                value = round(work_e, 2) - round(work_s, 2)
            elif code == "Vpriv":
                value = round(std_e, 2) - round(std_s, 2)
            else:  # a channel added with add_channel()
                value = mix(ph.key, crc32(code.encode()), 5, end) / 2**64 * 100
                result[code] = (round(value, 3), 3)
                continue
            result[code] = (round(value, 2), 2)
        return result

    def _p_t(
        self,
        code: str,
        ph: Physics,
        type_id: int,
        archive: str,
        *,
        start: int,
        end: int,
    ) -> Value:
        """Return P (equipment unit) or T: the hour's value or a period mean."""
        step = HOUR if archive in {"hourly", "daily"} else 6 * HOUR
        samples = range(start + step, end + 1, step)
        if code == "T":
            mean = sum(ph.temperature(t) for t in samples) / len(samples)
            return round(mean, 2), 2
        mean = sum(ph.pressure_kpa(t) for t in samples) / len(samples)
        value, decimals = pressure_in_unit(mean, type_id)
        return round(value, decimals), decimals

    def consolidated(
        self, station: SimStation, ph: Physics, archive: str, end: int
    ) -> dict[str, Value]:
        """Return the vendor-neutral values of one row (channel_consolidation=1)."""
        type_id = station.equipment_type_id
        start = period_start(archive, end, self.tz)
        std_e, work_e = round(ph.std_volume(end), 2), round(ph.work_volume(end), 2)
        std_s, work_s = round(ph.std_volume(start), 2), round(ph.work_volume(start), 2)
        return {
            "gas_consume": (round(std_e - std_s, 4), 4),
            "reading_value": (std_e, 4),
            "VNakwork": (work_e, 4),
            "Vwork": (round(work_e - work_s, 4), 4),
            "P": self._p_t("P", ph, type_id, archive, start=start, end=end),
            "T": self._p_t("T", ph, type_id, archive, start=start, end=end),
        }

    def serve(
        self,
        ph: Physics,
        end: int,
        values: dict[str, Value],
        *,
        tag: str,
        strings: bool = False,
    ) -> dict[str, Any]:
        """Return one row: values formatted, one-key objects shuffled.

        One hash per row decides which values are numeric strings (about a
        third in "mixed" mode) and the order of the one-key objects.
        """
        bits = mix(ph.key, end, _tag_hash(tag))
        items: list[dict[str, Any]] = []
        for index, (table_code, (value, decimals)) in enumerate(values.items()):
            code = served_code(table_code)
            served: float | str = value
            if strings or self._as_string(bits >> (4 * index) & 0xF):
                served = format_number(value, decimals)
            items.append({code: served})
        # Rotate, and maybe reverse: a cheap, deterministic shuffle.
        turn = (bits >> 48) % max(1, len(items))
        items = items[turn:] + items[:turn]
        if bits >> 63:
            items.reverse()
        return self._row({"event_time": end, "channel_data": items}, end)

    def _as_string(self, nibble: int) -> bool:
        """Decide whether one value is served as a numeric string."""
        if self.numbers == "mixed":
            return nibble % 3 == 0
        return self.numbers == "always"

    def _row(self, row: dict[str, Any], stamp: int) -> dict[str, Any]:
        """Add unknown keys to a row when ``extra_fields`` is on."""
        if self.extra_fields:
            iso = datetime.fromtimestamp(stamp, self.tz).isoformat(
                timespec="milliseconds"
            )
            row["created_at"] = iso
            row["updated_at"] = iso
        return row

    def abnormal(
        self,
        ph: Physics,
        lo: int,
        hi: int,
        manual: list[tuple[int, int, str]],
    ) -> list[dict[str, Any]]:
        """Return the abnormal-situation rows within ``[lo, hi]``, newest first."""
        found: list[tuple[int, int, str]] = [
            (at, code, text) for at, code, text in manual if lo <= at <= hi
        ]
        if hi >= lo:
            for hour in range(lo // HOUR - 1, hi // HOUR + 1):
                if mix(ph.key, 7, hour) % ABNORMAL_EVERY_HOURS:
                    continue
                at = hour * HOUR + 60 * (2 + mix(ph.key, 8, hour) % 55)
                at += mix(ph.key, 9, hour) % 60
                code, ru, en = ABNORMAL[mix(ph.key, 10, hour) % len(ABNORMAL)]
                if lo <= at <= hi:
                    found.append((at, code, ru if self.language == "ru" else en))
        found.sort(key=lambda item: item[0], reverse=True)
        rows = []
        for at, code, text in found:
            served: int | str = code
            if self.numbers == "always" or (
                self.numbers == "mixed" and mix(ph.key, at, 11) % 3 == 0
            ):
                served = str(code)
            data = [{"NSCode": served}, {"NSText": text}]
            rows.append(self._row({"event_time": at, "channel_data": data}, at))
        return rows

    def settings(self, station: SimStation, ph: Physics) -> list[dict[str, Any]]:
        """Return the corrector configuration rows of one station."""
        type_id = station.equipment_type_id
        lang = self.language
        rows = []
        for setting in SETTINGS.get(type_id, ()):
            unit: str | None = setting.unit
            if unit == "p":
                unit = "kpa" if type_id == FLOWGAZ else "kgf"
            if unit is not None:
                unit = {**UNITS[lang], **SETTING_UNITS[lang]}.get(unit, unit)
            value = _setting_value(setting.key, station, ph, lang)
            row = {
                "channel_name": setting.name_ru if lang == "ru" else setting.name_en,
                "channel_data_value": value,
                "unit_name": unit,
            }
            rows.append(self._row(row, 0))
        return rows


def _setting_value(key: str, station: SimStation, ph: Physics, lang: str) -> str:
    """Return the value of one corrector setting, always as a string."""
    fg = station.equipment_type_id == FLOWGAZ
    sub_p, decimals = pressure_in_unit(ph.p_mean, station.equipment_type_id)
    values = {
        "contract_hour": "10",
        "sub_p": format_number(sub_p, decimals - 1),
        "sub_t": "20",
        "p_max": "1000" if fg else "10",
        "p_min": "80" if fg else "0",
        "t_max": "60",
        "t_min": "-40" if fg else "-30",
        "ambient": str(mix(ph.key, 21) % 2),
        "z_method": Z_METHOD[station.equipment_type_id][lang],
        "density": format_number(0.668 + (mix(ph.key, 22) % 300) / 10000, 4),
        "n2": format_number(0.5 + (mix(ph.key, 23) % 80) / 100, 2),
        "co2": format_number(0.05 + (mix(ph.key, 24) % 20) / 100, 2),
        "session_period": str(station.session_period // 60),
        "modem_phone": station.phone,
        "serial": f"8652930{mix(ph.key, 25) % 10**8:08d}",
        "p_atm": "96.3",
    }
    return values.get(key, "0")
