"""Archive rows of the RusTech data server: parsing, JSON safety, de-duplication.

A month of hourly rows is read per station on a first refresh, so this is
the hot path of the client: the parser handles the shapes the server
really sends (a list of one-key objects holding numbers or numeric
strings) without a function call per value, and falls back to the
tolerant readers of `parsing` for anything else.

Every value a record keeps is JSON-safe (it ends up in event attributes,
the recorder and the integration's Store): a string with lone surrogates,
an integer beyond 64 bits or a NaN never leaves this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from math import isfinite
from typing import Any, Self

from ..parsing import as_float, as_time, valid_unicode

type RawValue = str | int | float | bool | None

MAX_TEXT = 1024
"""Longer text in a record is cut: no channel legitimately sends more."""
MAX_CODE = 128
"""A channel code longer than this is not a code; the channel is dropped."""
_MAX_JSON_INT = 2**63 - 1
_MAX_EPOCH = 253_402_300_799
"""9999-12-31 23:59:59 UTC, the last second a datetime can hold."""
_CODE_CACHE_SIZE = 4096
_MAX_NUMBER_TEXT = 64
"""Longer text is not a number (as `as_float` has it)."""
_TIME_CACHE_SIZE = 8192
_MAX_PLAIN_CHANNELS = 256
"""A row with more channels is read by the tolerant reader."""

_folds: dict[str, str] = {}
"""Clean channel code -> folded code (a cache: codes repeat on every row)."""
_times: dict[int, datetime] = {}
"""Event time -> datetime (a cache: every station's rows share the hours)."""
_fromtimestamp = datetime.fromtimestamp


def json_safe(value: Any) -> RawValue:
    """A value any JSON encoder (orjson, the recorder's) accepts.

    Integers beyond 64 bits become their decimal text (None beyond 64
    digits), NaN and infinities None, text is cut at `MAX_TEXT` characters
    with lone surrogates replaced, and anything that is not a scalar None.
    """
    if isinstance(value, bool) or value is None:
        return bool(value) if value is not None else None
    if isinstance(value, str):
        text = str(value)
        return text if len(text) <= MAX_TEXT and text.isascii() else _safe_text(text)
    if isinstance(value, float):
        number = float(value)
        return number if isfinite(number) else None
    if isinstance(value, int):
        integer = int(value)
        if -_MAX_JSON_INT <= integer <= _MAX_JSON_INT:
            return integer
        return _big_int_text(integer)
    return None


def json_safe_channels(raw: Mapping[Any, Any]) -> dict[str, RawValue]:
    """A record's raw channels as a JSON-safe dict (for event attributes)."""
    return {
        code if isinstance(code, str) else str(code): json_safe(value)
        for code, value in raw.items()
    }


def _safe_text(text: str) -> str:
    return valid_unicode(text[:MAX_TEXT])


def _big_int_text(value: int) -> str | None:
    # A JSON document cannot hold more than 4300 digits (Python's limit), but
    # be safe for ints made elsewhere: measure before converting.
    if value.bit_length() > 213:  # noqa: PLR2004 - 2**213 has 65 digits
        return None
    text = str(value)
    return text if len(text.lstrip("-")) <= 64 else None  # noqa: PLR2004


def _code_names(key: Any) -> tuple[str, str] | None:
    """(code, folded code) of a raw channel key; None if it is not a code."""
    if not isinstance(key, str):
        return None
    code = key.strip()
    if not code or len(code) > MAX_CODE:
        return None
    code = _safe_text(code)
    return code, code.casefold()


@dataclass(frozen=True, slots=True)
class ArchiveRecord:
    """One archive row: a time and the value of each channel.

    `values` is keyed by the channel code folded to lower case (codes change
    case between the channel table and the archives) and holds only numeric
    values; `raw` keeps every channel as sent, made JSON-safe (see
    `json_safe`): abnormal-situation records carry text.
    """

    event_time: datetime
    values: Mapping[str, float]
    raw: Mapping[str, RawValue]

    def value(self, code: str) -> float | None:
        """The numeric value of a channel, matched case-insensitively."""
        return self.values.get(code.casefold())

    def json_channels(self) -> dict[str, RawValue]:
        """The raw channels as a new JSON-safe dict (for event attributes)."""
        return json_safe_channels(self.raw)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self | None:
        """Parse a `channel_data` archive row; None without an event time."""
        when = row.get("event_time")
        if type(when) is int and 0 < when <= _MAX_EPOCH:
            event_time = _times.get(when)
            if event_time is None:
                if len(_times) >= _TIME_CACHE_SIZE:
                    _times.clear()
                event_time = _times[when] = _fromtimestamp(when, UTC)
        else:
            parsed = as_time(when)
            if parsed is None:
                return None
            event_time = parsed
        data = row.get("channel_data")
        channels = _plain_channels(data) or _tolerant_channels(data)
        record = _new_record(cls)
        _set_event_time(record, event_time)
        _set_values(record, channels[0])
        _set_raw(record, channels[1])
        return record


# A frozen dataclass's __init__ costs three object.__setattr__ calls, a
# third of the parse of a row: `from_row` fills the slots directly.
_new_record = object.__new__
_set_event_time = vars(ArchiveRecord)["event_time"].__set__
_set_values = vars(ArchiveRecord)["values"].__set__
_set_raw = vars(ArchiveRecord)["raw"].__set__

type _Channels = tuple[dict[str, float], dict[str, RawValue]]


def _plain_channels(data: Any) -> _Channels | None:  # noqa: C901, PLR0911, PLR0912
    """Values and raw channels of the usual shape, or None to read it slowly.

    The usual shape: a list of one-key objects, whose codes are clean text
    and whose values are finite numbers, short ASCII text, null or booleans.
    (One function, no call per value: this runs for every row read.)
    """
    if type(data) is not list:
        return None
    raw: dict[str, Any] = {}
    for item in data:
        if type(item) is not dict:
            return None
        raw.update(item)
    folds = _folds
    values: dict[str, float] = {}
    try:
        for key, value in raw.items():
            kind = type(value)
            if kind is float:
                if value - value:  # NaN or an infinity
                    return None
                values[folds[key]] = value
            elif kind is str:
                if len(value) > _MAX_NUMBER_TEXT or not value.isascii():
                    if len(value) > MAX_TEXT or not value.isascii():
                        return None
                    continue
                try:
                    number = float(value)
                except ValueError:
                    if (parsed := as_float(value)) is None:
                        continue
                    number = parsed
                if not number - number:
                    values[folds[key]] = number
            elif kind is int:
                if not -_MAX_JSON_INT <= value <= _MAX_JSON_INT:
                    return None
                values[folds[key]] = float(value)
            elif value is not None and kind is not bool:
                return None
    except KeyError:  # a code not seen before: learn it, then read again
        return _plain_channels(data) if _learn_codes(raw) else None
    return values, raw


def _learn_codes(raw: dict[str, Any]) -> bool:
    """Cache the folded form of new clean codes; False if one is not clean."""
    if len(raw) > _MAX_PLAIN_CHANNELS:
        return False
    for key in raw:
        if key not in _folds:
            names = _code_names(key)
            if names is None or names[0] != key:
                return False
            if len(_folds) >= _CODE_CACHE_SIZE:
                _folds.clear()
            _folds[key] = names[1]
    return True


def _tolerant_channels(data: Any) -> _Channels:
    """Values and raw channels of any shape: whatever can be read of it."""
    values: dict[str, float] = {}
    raw: dict[str, RawValue] = {}
    for item in data if isinstance(data, list) else (data,):
        if not isinstance(item, Mapping):
            continue
        for key, value in item.items():
            names = _code_names(key)
            if names is None:
                continue
            code, folded = names
            number = as_float(value)
            if number is not None:
                values[folded] = number
            raw[code] = json_safe(value)
    return values, raw


def unique_records(records: Iterable[ArchiveRecord]) -> list[ArchiveRecord]:
    """The records oldest first, each once.

    Overlapping pages or windows repeat rows; two different rows may share
    a time (two abnormal situations in one second), so a row is the same
    only if its time and its content are. Only rows sharing a time are
    compared, so this costs a sort (linear for the server's newest-first
    order) and nothing per row.
    """
    ordered = sorted(records, key=_event_time)
    result: list[ArchiveRecord] = []
    previous: datetime | None = None
    seen: set[frozenset[tuple[str, RawValue]]] | None = None
    for record in ordered:
        if record.event_time != previous:
            previous = record.event_time
            seen = None
            result.append(record)
            continue
        if seen is None:
            seen = {frozenset(result[-1].raw.items())}
        content = frozenset(record.raw.items())
        if content not in seen:
            seen.add(content)
            result.append(record)
    return result


def _event_time(record: ArchiveRecord) -> datetime:
    return record.event_time


@dataclass(frozen=True, slots=True)
class ConsolidatedRecord:
    """A row of the consolidated (vendor-neutral) view.

    The server states no units for this view; `pressure` is passed through
    as sent (for BK correctors that is likely kgf/cm², not kPa).
    """

    event_time: datetime
    gas_consume: float | None
    """Standard volume in the period, m³."""
    reading_value: float | None
    """Accumulated standard volume, m³."""
    accumulated_working_volume: float | None
    working_volume: float | None
    pressure: float | None
    temperature: float | None

    @classmethod
    def from_record(cls, record: ArchiveRecord) -> Self:
        """Read the consolidated channel names off an archive row."""
        return cls(
            event_time=record.event_time,
            gas_consume=record.value("gas_consume"),
            reading_value=record.value("reading_value"),
            accumulated_working_volume=record.value("VNakwork"),
            working_volume=record.value("Vwork"),
            pressure=record.value("P"),
            temperature=record.value("T"),
        )
