"""Tolerant reading of JSON values, shared by every vendor client.

Vendor servers are lenient about types: numbers arrive as numbers or as
numeric strings, times as epoch seconds, milliseconds or ISO 8601 text, and
lists bare or wrapped in an object. Every reader here returns None for what
it cannot read instead of raising, so one odd field never fails an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
import math
import re
from typing import Any

_isfinite = math.isfinite

_INTEGER = re.compile(r"-?[0-9]{1,18}")
"""What an id or a count looks like as text: ASCII digits, at most 18."""
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_NUMBER_TEXT = 64
"""Longer numeric text is garbage, not a measurement."""
_MAX_INT = 10**18
"""Ids and counts are below this (18 digits)."""
_EPOCH_MS_ABOVE = 100_000_000_000
"""Epoch values above this are milliseconds (year 5138 in seconds)."""


def as_int(value: Any) -> int | None:
    """Read an id or a count: an int, or a string or float holding one.

    Only plain ASCII digits count (`str.isdigit` also accepts "²"), and
    nothing beyond 18 digits: such a value is not an id, and turning
    thousands of digits into an int is slow.
    """
    if type(value) is int:  # the common case first (bool is not int here)
        return value if -_MAX_INT < value < _MAX_INT else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < _MAX_INT else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:  # noqa: PLR2004
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
    return None


def as_float(value: Any) -> float | None:
    """Read a measurement: a number, or a numeric string ("503.2795", "1,4").

    Not-a-number, infinities and numbers beyond a float read as None.
    """
    kind = type(value)
    if kind is float:  # the common cases first: this runs for every value
        number = value
    elif kind is str:
        number = _text_number(value)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        return None
    else:
        try:
            number = float(value)
        except OverflowError:
            return None
    return number if number is not None and _isfinite(number) else None


def _text_number(text: str) -> float | None:
    """A number written as text, with a decimal comma or spaces if need be."""
    if len(text) > _MAX_NUMBER_TEXT:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return float(text.strip().replace(",", ".").replace(" ", ""))
    except ValueError:
        return None


def as_text(value: Any) -> str | None:
    """Read a text field; blank and non-text values become None.

    Lone surrogates (what a JSON escape of half a surrogate pair decodes
    to) cannot be stored or sent as UTF-8: they become U+FFFD.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return text if text.isascii() else valid_unicode(text)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def valid_unicode(text: str) -> str:
    """The text with lone surrogates replaced, so it encodes as UTF-8."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def as_time(value: Any) -> datetime | None:
    """Read a UNIX time in seconds (UTC) as an aware datetime."""
    seconds = as_float(value)
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, or an empty one for anything else."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """A JSON array, or an empty one for anything else."""
    return value if isinstance(value, list) else []


def as_datetime(value: Any) -> datetime | None:
    """Read a time in any form the vendors send, as an aware UTC datetime.

    ISO 8601 text with `Z` or an offset (text without one is taken as UTC),
    or epoch seconds or milliseconds as a number or numeric text.
    """
    if isinstance(value, str) and not _looks_numeric(value):
        text = value.strip()
        if not text or len(text) > _MAX_NUMBER_TEXT:
            return None
        if text[-1] in "zZ":
            text = f"{text[:-1]}+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    number = as_float(value)
    if number is None:
        return None
    return as_time(number / 1000 if abs(number) > _EPOCH_MS_ABOVE else number)


def _looks_numeric(text: str) -> bool:
    return as_float(text) is not None


def unwrap_list(body: Any, *keys: str) -> list[Any] | None:
    """A list sent bare (`[...]`) or wrapped (`{"devices": [...]}`).

    The first of `keys` that holds a list wins; None when the body is
    neither, so the caller can report an answer of the wrong shape.
    """
    if isinstance(body, list):
        return body
    if isinstance(body, Mapping):
        for key in keys:
            if isinstance(found := body.get(key), list):
                return found
    return None
