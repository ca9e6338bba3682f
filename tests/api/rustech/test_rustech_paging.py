"""Paging that never ends stops, with one warning (issue 8, item 5)."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

import pytest

from custom_components.telemetry_hub.api import TelemetryHubProtocolError
from custom_components.telemetry_hub.api.rustech.client import RusTechClient
from custom_components.telemetry_hub.api.rustech.paging import MAX_PAGES, Page
from simulators.rustech import RusTechSimulator


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    ("lie", "per_page", "requests", "warned"),
    [
        ("next_page_forever", 4, 2, "next_page points past total_pages"),
        ("next_page_loop", 4, 2, None),
        ("endless_pages", 1000, 2, "page 2 repeats an earlier page"),
    ],
)
async def test_paging_lies_stop(
    make_client: Callable[..., RusTechClient],
    sim: RusTechSimulator,
    caplog: pytest.LogCaptureFixture,
    *,
    lie: str,
    per_page: int,
    requests: int,
    warned: str | None,
) -> None:
    client = make_client(per_page=per_page)
    sim.inject(lie, count=1000, path="stations")

    for _ in range(3):  # three refreshes, one warning
        stations = await client.stations()

    assert [s.id for s in stations] == [1, 2, 3, 4, 5, 6]
    assert sim.request_count("stations") == 3 * requests
    if warned is None:
        assert warnings(caplog) == []
    else:
        assert warnings(caplog) == [f"stations: {warned}"]


def fake_pages(
    client: RusTechClient, pages: Callable[[int], dict[str, Any]]
) -> list[int]:
    """Answer the client's list calls from `pages`; return the pages asked."""
    asked: list[int] = []

    async def call(_path: str, params: dict[str, str]) -> object:
        page = int(params.get("page", "1"))
        asked.append(page)
        return pages(page)

    client._call = call  # type: ignore[method-assign]
    return asked


def rows(page: int, count: int = 2) -> list[dict[str, Any]]:
    return [{"id": page * 100 + n, "name": f"S{page}.{n}"} for n in range(count)]


async def test_next_page_forever_without_a_count_stops_at_the_cap(
    client: RusTechClient, caplog: pytest.LogCaptureFixture
) -> None:
    asked = fake_pages(client, lambda page: {"data": rows(page), "next_page": page + 1})

    stations = await client.stations()

    assert len(asked) == MAX_PAGES
    assert len(stations) == 2 * MAX_PAGES
    assert warnings(caplog) == [
        f"stations: more than {MAX_PAGES} pages; the rest is not read"
    ]


async def test_a_server_that_ignores_the_page_stops_on_the_repeat(
    client: RusTechClient, caplog: pytest.LogCaptureFixture
) -> None:
    asked = fake_pages(
        client,
        lambda _page: {"data": rows(1), "current_page": 1, "next_page": 2},
    )

    stations = await client.stations()

    assert asked == [1, 2]
    assert len(stations) == 2
    assert warnings(caplog) == ["stations: page 2 repeats an earlier page"]


async def test_the_same_rows_under_another_page_number_stop(
    client: RusTechClient, caplog: pytest.LogCaptureFixture
) -> None:
    asked = fake_pages(
        client,
        lambda page: {
            "data": rows(min(page, 2)),
            "current_page": page,
            "next_page": page + 1,
        },
    )

    stations = await client.stations()

    assert asked == [1, 2, 3]
    assert len(stations) == 4
    assert warnings(caplog) == ["stations: page 3 repeats an earlier page"]


async def test_next_page_pointing_back_stops(
    client: RusTechClient, caplog: pytest.LogCaptureFixture
) -> None:
    asked = fake_pages(client, lambda page: {"data": rows(page), "next_page": 1})

    assert len(await client.stations()) == 2
    assert asked == [1]
    assert warnings(caplog) == ["stations: next_page points back to an earlier page"]


async def test_an_empty_page_ends_the_list(
    client: RusTechClient, caplog: pytest.LogCaptureFixture
) -> None:
    asked = fake_pages(
        client,
        lambda page: {
            "data": rows(page) if page < 3 else [],
            "total_pages": 9,
            "next_page": page + 1,
        },
    )

    assert len(await client.stations()) == 4
    assert asked == [1, 2, 3]
    assert warnings(caplog) == ["stations: page 3 is empty although the list goes on"]


async def test_pages_without_any_count_follow_next_page(
    client: RusTechClient, caplog: pytest.LogCaptureFixture
) -> None:
    asked = fake_pages(
        client,
        lambda page: {"data": rows(page), "next_page": page + 1 if page < 3 else None},
    )

    assert len(await client.stations()) == 6
    assert asked == [1, 2, 3]
    assert warnings(caplog) == []


async def test_a_list_that_keeps_moving_is_an_error(client: RusTechClient) -> None:
    moves = iter(range(100))
    fake_pages(
        client,
        lambda page: {
            "data": rows(page),
            "total_pages": 2 + next(moves),
            "next_page": page + 1,
        },
    )

    with pytest.raises(TelemetryHubProtocolError, match="changed while it was read"):
        await client.stations()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"data": [], "total_pages": -3}, (1, 0, None, False)),
        ({"data": [{}], "current_page": "x", "total_pages": "2"}, (1, 2, 2, True)),
        ({"data": [{}], "current_page": 0, "next_page": "--1"}, (1, 1, None, False)),
        ({"data": [{}], "total_pages": 10**30}, (1, 1, None, False)),
    ],
)
def test_envelope_fields(body: dict[str, Any], expected: tuple[object, ...]) -> None:
    page = Page.from_body(body, 1, "x")
    assert (
        page.current_page,
        page.total_pages,
        page.next_page,
        page.counted,
    ) == expected


@pytest.mark.parametrize("body", [None, [], {"data": {}}, {"data": "x"}, "page"])
def test_not_a_page(body: object) -> None:
    with pytest.raises(TelemetryHubProtocolError, match="not a page of data"):
        Page.from_body(body, 1, "x")


async def test_a_row_that_breaks_its_parser_is_skipped(
    client: RusTechClient, caplog: pytest.LogCaptureFixture
) -> None:
    def parse(row: Any) -> int | None:
        if row["id"] == 101:
            msg = "a bug the row triggers"
            raise RuntimeError(msg)
        return int(row["id"])

    for _ in range(2):
        parsed = client._parse_rows("stations", rows(1, 3), parse)

    assert parsed == [100, 102]
    assert warnings(caplog) == ["stations: skipped 1 rows without the fields we need"]
