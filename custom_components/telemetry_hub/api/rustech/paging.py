"""Reading every page of a list view, whatever the paging envelope claims.

The envelope (`total_pages`, `current_page`, `next_page`) comes from the
server and may lie: `next_page` forever, `next_page` looping back, a page
that is the previous one again, an empty page before the announced last,
counts in the millions. Reading stops at `total_pages`, on a repeated or
empty page, or at `MAX_PAGES`, and says so once (a warning); a list that
really changed while it was read (its page count moved) is read again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
import logging
from typing import Any, Self

from ..errors import TelemetryHubProtocolError
from ..parsing import as_int

_LOGGER = logging.getLogger(__name__)

MAX_PAGES = 200
"""200,000 rows at the default page size: more is a paging lie."""

type Row = Mapping[str, Any]
type FetchPage = Callable[[int], Awaitable[Any]]
type Warn = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list view."""

    rows: list[Row]
    current_page: int
    total_pages: int
    """As stated; when not stated (or absurd), this page's number if it has
    rows, else 0."""
    next_page: int | None
    counted: bool = True
    """Whether the answer stated a usable `total_pages`."""

    @classmethod
    def from_body(cls, body: Any, requested: int, what: str) -> Self:
        """Read the paging envelope; raise when the body is not one."""
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, list):
            msg = f"{what}: the answer is not a page of data"
            raise TelemetryHubProtocolError(msg)
        rows = [row for row in data if type(row) is dict or isinstance(row, Mapping)]
        current = as_int(body.get("current_page"))
        if current is None or current < 1:
            current = requested
        total = as_int(body.get("total_pages"))
        counted = total is not None and total >= 0
        if total is None or total < 0:
            total = current if rows else 0
        if "next_page" in body:
            next_page = as_int(body.get("next_page"))
        else:
            # One documented example omits next_page: fall back to the count.
            next_page = current + 1 if current < total else None
        return cls(rows, current, total, next_page, counted)


class _Moved(Exception):  # noqa: N818 - a signal, not an error
    """The list changed while it was read (its page count moved)."""


async def read_pages(what: str, fetch: FetchPage, warn: Warn) -> list[Row]:
    """Every row of a list view, read page by page from page 1.

    A list whose page count moves while it is read is read once more from
    the start, then reported as a protocol error: a partial list must never
    pass for the whole one.
    """
    for attempt in range(2):
        try:
            return await _read_once(what, fetch, warn)
        except _Moved:
            if attempt:
                break
            _LOGGER.debug("%s changed while it was read; reading it again", what)
    msg = f"{what}: the list changed while it was read, twice in a row"
    raise TelemetryHubProtocolError(msg)


async def _read_once(what: str, fetch: FetchPage, warn: Warn) -> list[Row]:
    rows: list[Row] = []
    seen: set[tuple[int, int, int]] = set()
    expected: int | None = None
    page = 1
    while True:
        envelope = Page.from_body(await fetch(page), page, what)
        total = envelope.total_pages if envelope.counted else None
        if page == 1:
            expected = total
        elif total is not None and expected is not None and total != expected:
            raise _Moved
        if not envelope.rows:
            if page > 1:
                warn(what, f"page {page} is empty although the list goes on")
            return rows
        fingerprint = _fingerprint(envelope.rows)
        if envelope.current_page != page or fingerprint in seen:
            warn(what, f"page {page} repeats an earlier page")
            return rows
        seen.add(fingerprint)
        rows.extend(envelope.rows)
        if _last_page(what, envelope, page, expected, warn):
            return rows
        page += 1


def _last_page(
    what: str, envelope: Page, page: int, expected: int | None, warn: Warn
) -> bool:
    """Whether reading stops after this page (saying why, if it is a lie)."""
    more = envelope.next_page is not None and envelope.next_page > page
    if expected is not None and page >= expected:
        if more:
            warn(what, "next_page points past total_pages")
        return True
    if not more:
        if envelope.next_page is not None:
            warn(what, "next_page points back to an earlier page")
        return True
    if page >= MAX_PAGES:
        warn(what, f"more than {MAX_PAGES} pages; the rest is not read")
        return True
    return False


def _fingerprint(rows: list[Row]) -> tuple[int, int, int]:
    """What tells one page from another: its size and its first and last rows."""
    return len(rows), _row_hash(rows[0]), _row_hash(rows[-1])


def _row_hash(row: Row) -> int:
    try:
        return hash(repr(row))
    except (RecursionError, ValueError):  # pragma: no cover - json bounds depth
        return id(row)
