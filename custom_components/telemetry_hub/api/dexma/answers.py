"""Reading DEXMA answer bodies: error envelopes, list rows, resolutions."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from ..parsing import as_list, as_mapping, as_text

_MAX_MESSAGE = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def row_identity(row: Mapping[str, Any]) -> tuple[str, str] | None:
    """What makes a list row unique (its id, else its key), to drop repeats."""
    for field in ("id", "key"):
        value = row.get(field)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return field, str(value)
    return None


def error_message(body: Any, token: str) -> str | None:
    """The server's message in either envelope, cleaned and without the token."""
    mapping = as_mapping(body)
    message = as_text(mapping.get("message"))
    errors = mapping.get("errors")
    first = as_list(errors)[0] if as_list(errors) else None
    if isinstance(first, Mapping):
        message = as_text(first.get("message")) or message
    elif first is not None:
        message = as_text(first) if isinstance(first, str) else message
    message = message or as_text(mapping.get("error"))
    if message is None:
        return None
    message = _CONTROL.sub(" ", message.replace(token, "***"))
    return message[:_MAX_MESSAGE].strip() or None


def resolution_codes(body: Any) -> list[str]:
    """Resolution codes from a list of codes or objects, or an object of lists."""
    found: list[str] = []
    stack: list[Any] = [body]
    for _ in range(1000):
        if not stack:
            break
        item = stack.pop(0)
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, list):
            stack.extend(item[:100])
        elif isinstance(item, Mapping):
            code = item.get("resolution") or item.get("key") or item.get("id")
            if isinstance(code, str):
                found.append(code)
            else:
                stack.extend(
                    value
                    for value in list(item.values())[:20]
                    if isinstance(value, list)
                )
    return found
