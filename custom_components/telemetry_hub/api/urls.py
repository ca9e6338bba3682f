"""Server addresses in one canonical form (no Home Assistant imports).

Two spellings of one server must be one address: the unique ids, the
duplicate-entry check and the device links depend on it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_url(raw: str) -> str:
    """Return the API base URL in canonical form; raise ValueError if invalid.

    A missing scheme means https; the host is lower-cased and loses a
    trailing dot; the scheme's default port is dropped; the path keeps its
    case but loses empty, `.` and `..` segments and trailing slashes; query
    and fragment go. So `HOST:443/api/./v1/` and `https://host/api/v1` are
    one server. An address with a user name or password is refused: the
    credentials have their own fields and must never be stored in the URL.
    The messages never quote the address.
    """
    text = raw.strip()
    if not text:
        msg = "no address given"
        raise ValueError(msg)
    if _CONTROL.search(text):
        msg = "the address contains control characters"
        raise ValueError(msg)
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        msg = "not a valid address (check the host name and the port)"
        raise ValueError(msg) from None
    if parts.scheme not in _DEFAULT_PORTS:
        msg = "not an http(s) address"
        raise ValueError(msg)
    if "@" in parts.netloc:
        msg = (
            "the address must not contain a user name or password; "
            "enter the email and password in their own fields"
        )
        raise ValueError(msg)
    host = _host(parts.hostname)
    if port == 0:
        msg = "the port must be between 1 and 65535"
        raise ValueError(msg)
    netloc = host if port in (None, _DEFAULT_PORTS[parts.scheme]) else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, _clean_path(parts.path), "", ""))


def _host(hostname: str | None) -> str:
    """A host name or IP address, lower-case, bracketed if IPv6."""
    host = (hostname or "").rstrip(".")
    if ":" in host:
        with contextlib.suppress(ValueError):
            return f"[{ipaddress.IPv6Address(host.split('%', 1)[0]).compressed}]"
    elif host and _HOST_NAME.fullmatch(host):
        return host
    msg = "not an http(s) address with a valid host name"
    raise ValueError(msg)


def _clean_path(path: str) -> str:
    """Drop empty and `.` segments, resolve `..`; no trailing slash."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in {"", "."}:
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments) if segments else ""
