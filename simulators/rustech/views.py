"""The authenticated GET views: each returns ``(status, JSON body)``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
import re
from typing import TYPE_CHECKING, Any

from .archives import ARCHIVES, event_times, local_midnight
from .catalog import ARCHIVE_NAMES, CHANNELS, EQUIPMENT_TYPES, SUBDIVISION_TYPE
from .data import brand_name
from .models import SimStation

if TYPE_CHECKING:
    from .app import RusTechSimulator

type Params = dict[str, str]
type Result = tuple[int, dict[str, Any]]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NOT_FOUND: Result = (404, {"errors": ["Not found"]})


def to_int(text: str | None) -> int | None:
    """Parse an integer parameter; None if absent or not an integer."""
    try:
        return int(str(text).strip()) if text is not None else None
    except ValueError:
        return None


def page_of[T](
    sim: RusTechSimulator,
    params: Params,
    items: Sequence[T],
    render: Callable[[T], dict[str, Any]],
) -> Result:
    """Return the requested page of ``items`` in the paging envelope."""
    page = max(1, to_int(params.get("page")) or 1)
    per_page = to_int(params.get("per_page")) or sim.default_per_page
    per_page = min(max(1, per_page), max(1, sim.max_per_page))
    total = -(-len(items) // per_page)
    chunk = items[(page - 1) * per_page : page * per_page]
    return 200, envelope(sim, [render(item) for item in chunk], total, page)


def envelope(
    sim: RusTechSimulator, data: list[dict[str, Any]], total: int, page: int
) -> dict[str, Any]:
    """Wrap ``data`` with ``total_pages``, ``current_page`` (and ``next_page``)."""
    body: dict[str, Any] = {"data": data, "total_pages": total, "current_page": page}
    if sim.next_page_in_envelope:
        body["next_page"] = page + 1 if page < total else None
    return body


def _extra(sim: RusTechSimulator, row: dict[str, Any]) -> dict[str, Any]:
    """Add unknown keys to a list row when ``extra_fields`` is on."""
    if sim.extra_fields:
        row["created_at"] = "2019-03-14T09:26:53.589+05:00"
        row["updated_at"] = "2023-01-26T11:10:05.000+05:00"
    return row


def customers(sim: RusTechSimulator, params: Params, now: float) -> Result:
    """``customers``: the consumers."""
    del now
    kind = SUBDIVISION_TYPE[sim.language]
    return page_of(
        sim,
        params,
        sim.customers,
        lambda c: _extra(
            sim,
            {
                "id": c.id,
                "name": c.name,
                "subdivision_type_name": kind,
                "inn": c.inn,
                "contact_number": c.contact_number,
            },
        ),
    )


def stations(sim: RusTechSimulator, params: Params, now: float) -> Result:
    """``stations``: the metering units (with the last session, RU-doc style)."""

    def render(station: SimStation) -> dict[str, Any]:
        row: dict[str, Any] = {"id": station.id, "name": station.name}
        if sim.session_times_in_list:
            row["seances_event_time"] = sim.last_session_at(station.id, now)
        row |= {
            "equipment_type_id": station.equipment_type_id,
            "equipment_brand_name": brand_name(station.equipment_type_id, sim.language),
            "phone": station.phone,
            "equipment_id": station.equipment_id,
            "customer_id": station.customer_id,
        }
        return _extra(sim, row)

    return page_of(sim, params, sim.stations, render)


def last_seance(sim: RusTechSimulator, params: Params, now: float) -> Result:
    """``stations/last_seance_event_time?id=N`` (not paged)."""
    station = sim.find_station(station_id=to_int(params.get("id")))
    if station is None:
        return NOT_FOUND
    data = {
        "station_name": station.name,
        "last_seance_event_time": sim.last_session_at(station.id, now),
    }
    return 200, {"data": data}


def equipment_types(sim: RusTechSimulator, params: Params, now: float) -> Result:
    """``equipment_types``: BK and Flowgaz."""
    del now
    rows = EQUIPMENT_TYPES[sim.language]
    return page_of(sim, params, rows, lambda row: _extra(sim, dict(row)))


def channel_archive_types(sim: RusTechSimulator, params: Params, now: float) -> Result:
    """``channel_archive_types``: the channel table (all types if no filter)."""
    del now
    lang = sim.language
    wanted = params.get("equipment_type_id")
    type_id = to_int(wanted)
    rows = [
        c
        for c in (*CHANNELS, *sim.extra_channels)
        if wanted is None or c.equipment_type_id == type_id
    ]
    return page_of(
        sim,
        params,
        rows,
        lambda c: _extra(
            sim,
            {
                "equipment_type_id": c.equipment_type_id,
                "archive_type_name": ARCHIVE_NAMES[lang].get(c.archive, c.archive),
                "archive_type_varname": c.archive,
                "channel_name": c.name(lang),
                "channel_varname": c.code,
                "unit_name": c.unit_name(lang),
            },
        ),
    )


def _parse_date(text: str | None) -> date | None:
    """Parse ``YYYY-MM-DD``; None if absent or invalid."""
    if text is None or not _DATE.fullmatch(text.strip()):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _unprocessable(message: str) -> Result:
    return 422, {"errors": [message]}


def _check_channel_data(params: Params) -> Result | None:
    """Return the 422 answer of invalid ``channel_data`` parameters, if any."""
    archive = params.get("archive_type", "")
    if archive not in {*ARCHIVES, "nesht", "settings"}:
        return _unprocessable(
            f"archive_type is invalid: {archive!r} (expected one of "
            "hourly, daily, monthly, yearly, nesht, settings)"
        )
    if "equipment_id" not in params and "station_id" not in params:
        return _unprocessable("equipment_id is required")
    dates = (_parse_date(params.get("fp_start")), _parse_date(params.get("fp_end")))
    if archive != "settings" and None in dates:
        return _unprocessable("fp_start and fp_end must be dates (YYYY-MM-DD)")
    return None


def _bounds(
    sim: RusTechSimulator, params: Params, station: SimStation | None, now: float
) -> tuple[int, int] | None:
    """Return the ``[lo, hi]`` event-time window visible now, or None."""
    start, end = _parse_date(params.get("fp_start")), _parse_date(params.get("fp_end"))
    last = sim.last_session_at(station.id, now) if station else None
    if start is None or end is None or last is None:
        return None
    tz = sim.timezone
    lo = max(sim.history_start, local_midnight(start, tz))
    try:
        hi = min(last, local_midnight(end + timedelta(days=1), tz) - 1)
    except OverflowError:
        hi = last
    return lo, hi


def channel_data(sim: RusTechSimulator, params: Params, now: float) -> Result:
    """``channel_data``: archives, abnormal situations and settings."""
    if (error := _check_channel_data(params)) is not None:
        return error
    archive = params["archive_type"]
    station = sim.find_station(
        station_id=to_int(params.get("station_id")),
        equipment_id=to_int(params.get("equipment_id")),
        require_station="station_id" in params,
        require_equipment="equipment_id" in params,
    )
    builder = sim.archive_builder()
    if station is None:
        return page_of(sim, params, [], lambda row: row)
    ph = sim.physics(station.id)
    if archive == "settings":
        return page_of(sim, params, builder.settings(station, ph), lambda row: row)
    bounds = _bounds(sim, params, station, now)
    lo, hi = bounds or (1, 0)
    if archive == "nesht":
        manual = sim.abnormal_records(station.id)
        return page_of(sim, params, builder.abnormal(ph, lo, hi, manual), lambda r: r)
    consolidated = params.get("channel_consolidation", "").strip() in {"1", "true"}

    def render(end_time: int) -> dict[str, Any]:
        if consolidated:
            values = builder.consolidated(station, ph, archive, end_time)
            return builder.serve(ph, end_time, values, tag="c" + archive, strings=True)
        values = builder.values(station, ph, archive, end_time)
        return builder.serve(ph, end_time, values, tag=archive)

    times = event_times(archive, lo, hi, sim.timezone)
    return page_of(sim, params, times, render)


VIEWS: dict[str, Callable[[RusTechSimulator, Params, float], Result]] = {
    "customers": customers,
    "stations": stations,
    "stations/last_seance_event_time": last_seance,
    "equipment_types": equipment_types,
    "channel_archive_types": channel_archive_types,
    "channel_data": channel_data,
}
