"""Tests of the RusTech simulator over loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
import itertools
import json
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from simulators.rustech import ManualClock, RusTechSimulator
from simulators.rustech.__main__ import parse_args

START = 1_700_000_000  # 2023-11-15 03:13:20 in Tashkent (UTC+5)
EMAIL = "api@local.net"
PASSWORD = "Str0ngPas$"


class Api:
    """A tiny devise_token_auth client that keeps the latest non-blank token."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.headers: dict[str, str] = {}

    def absorb(self, headers: Any) -> None:
        token = headers.get("access-token", "").strip()
        if token:
            self.headers["access-token"] = token
            for key in ("client", "uid", "token-type"):
                self.headers[key] = headers[key]

    async def sign_in(
        self, email: str = EMAIL, password: str = PASSWORD
    ) -> aiohttp.ClientResponse:
        resp = await self.session.post(
            f"{self.url}/auth/sign_in", json={"email": email, "password": password}
        )
        await resp.read()
        self.absorb(resp.headers)
        return resp

    async def get(
        self, path: str, headers: dict[str, str] | None = None, **params: Any
    ) -> tuple[aiohttp.ClientResponse, Any]:
        resp = await self.session.get(
            f"{self.url}/{path}",
            params={k: str(v) for k, v in params.items()},
            headers=self.headers if headers is None else headers,
        )
        text = await resp.text()
        body = None
        if resp.content_type == "application/json":
            try:
                body = await resp.json()
            except ValueError:
                body = text
        else:
            body = text
        if headers is None:
            self.absorb(resp.headers)
        return resp, body


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> RusTechSimulator:
    return RusTechSimulator(clock=clock)


@pytest.fixture
async def url(socket_enabled: None, sim: RusTechSimulator) -> AsyncIterator[str]:
    async with sim.serve() as base_url:
        yield base_url


@pytest.fixture
async def api(url: str) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, url)


@pytest.fixture
async def signed_in(api: Api) -> Api:
    resp = await api.sign_in()
    assert resp.status == 200
    return api


TZ = ZoneInfo("Asia/Tashkent")
UNAUTH_RU = "Вам необходимо войти в систему или зарегистрироваться."
UNAUTH_EN = "You need to sign in or sign up before continuing."
BK_EQ, FG_EQ = 61, 63  # equipment of station 1 (BK) and 2 (Flowgaz)


def local_day(ts: int) -> date:
    return datetime.fromtimestamp(ts, TZ).date()


def flat(row: dict) -> dict:
    """Merge a row's one-key objects into one dict."""
    merged: dict = {}
    for item in row["channel_data"]:
        assert len(item) == 1
        merged.update(item)
    return merged


def hourly_params(equipment: int = BK_EQ, **extra: object) -> dict:
    return {
        "archive_type": "hourly",
        "equipment_id": equipment,
        "fp_start": "2023-11-01",
        "fp_end": "2023-11-30",
    } | extra


# ----------------------------------------------------------------- sign-in


async def test_sign_in_ok(api: Api, sim: RusTechSimulator) -> None:
    resp = await api.sign_in()
    assert resp.status == 200
    assert await resp.json() == {
        "data": {
            "id": 6,
            "email": EMAIL,
            "provider": "email",
            "uid": EMAIL,
            "name": "API user",
        }
    }
    assert len(resp.headers["access-token"]) == 22
    assert resp.headers["token-type"] == "Bearer"
    assert resp.headers["expiry"] == str(START + 14 * 86400)
    assert resp.headers["uid"] == EMAIL
    assert list(sim.sessions(EMAIL)) == [resp.headers["client"]]
    assert sim.requests[-1].authenticated
    assert sim.requests[-1].params == {"email": EMAIL, "password": PASSWORD}


async def test_sign_in_form_body(api: Api) -> None:
    resp = await api.session.post(
        f"{api.url}/auth/sign_in", data={"email": EMAIL, "password": PASSWORD}
    )
    assert resp.status == 200


@pytest.mark.parametrize(
    ("email", "password"), [(EMAIL, "wrong"), ("nobody@local.net", PASSWORD)]
)
async def test_sign_in_bad_credentials(api: Api, email: str, password: str) -> None:
    resp = await api.sign_in(email, password)
    assert resp.status == 401
    assert await resp.json() == {
        "success": False,
        "errors": ["Invalid login credentials. Please try again."],
    }
    assert "access-token" not in resp.headers


async def test_sign_in_locked_and_password_change(
    api: Api, sim: RusTechSimulator
) -> None:
    sim.lock_account(EMAIL)
    resp = await api.sign_in()
    assert resp.status == 401
    locked = (
        "Your account has been locked due to an excessive number of "
        "unsuccessful sign in attempts."
    )
    assert (await resp.json())["errors"] == [locked]
    sim.set_password("new@local.net", "pw")
    assert (await api.sign_in("new@local.net", "pw")).status == 200
    assert (await api.sign_in("NEW@local.net", "pw")).status == 200  # devise: ci


# ----------------------------------------------------- rotation and batches


async def test_batch_window_and_rotation(
    signed_in: Api, sim: RusTechSimulator, clock: ManualClock
) -> None:
    api = signed_in
    first = api.headers["access-token"]
    clock.advance(1)
    resp, _ = await api.get("customers")
    assert resp.status == 200
    assert resp.headers["access-token"].strip() == ""  # batch: blank token
    assert resp.headers["expiry"].strip() == ""
    assert resp.headers["client"] == api.headers["client"]
    assert resp.headers["uid"] == EMAIL
    assert resp.headers["token-type"] == "Bearer"
    assert not sim.requests[-1].rotated
    assert api.headers["access-token"] == first

    clock.advance(5)  # outside the 5 s window: rotate
    resp, _ = await api.get("customers")
    second = resp.headers["access-token"]
    assert second.strip()
    assert second != first
    assert resp.headers["expiry"] == str(START + 6 + 14 * 86400)
    assert sim.requests[-1].rotated
    info = sim.sessions(EMAIL)[api.headers["client"]]
    assert (info.token, info.previous_token, info.rotated_at) == (
        second,
        first,
        START + 6,
    )

    # The previous token is still accepted inside the batch window ...
    old = dict(api.headers, **{"access-token": first})
    clock.advance(2)
    resp, _ = await api.get("customers", headers=old)
    assert resp.status == 200
    assert resp.headers["access-token"].strip() == ""
    # ... but not after it.
    clock.advance(4)
    resp, body = await api.get("customers", headers=old)
    assert resp.status == 401
    assert body == {"errors": [UNAUTH_RU]}
    assert "access-token" not in resp.headers
    assert not sim.requests[-1].authenticated
    # The current token still works and rotates.
    resp, _ = await api.get("customers")
    assert resp.status == 200
    assert resp.headers["access-token"].strip() not in {"", second}


async def test_blank_token_is_a_single_space_on_the_wire(
    signed_in: Api, url: str
) -> None:
    host_port = url.split("/")[2]
    host, port = host_port.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = [f"GET {url.split(host_port, 1)[1]}/customers HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in signed_in.headers.items()]
    writer.write(("\r\n".join([*lines, "Connection: close", "", ""])).encode())
    raw = await reader.read()
    writer.close()
    await writer.wait_closed()
    assert b"\r\naccess-token:  \r\n" in raw
    assert b"\r\nexpiry:  \r\n" in raw


async def test_unbatch_forces_rotation(signed_in: Api, sim: RusTechSimulator) -> None:
    first = signed_in.headers["access-token"]
    resp, _ = await signed_in.get("customers", unbatch="true")
    assert resp.headers["access-token"] not in {first, " ", ""}
    assert sim.requests[-1].rotated


async def test_accept_previous_token(
    signed_in: Api, sim: RusTechSimulator, clock: ManualClock
) -> None:
    sim.accept_previous_token = True
    t0 = signed_in.headers["access-token"]
    clock.advance(10)
    await signed_in.get("customers")
    t1 = signed_in.headers["access-token"]
    clock.advance(60)  # long after the batch window: the previous token is OK
    stale = dict(signed_in.headers, **{"access-token": t0})
    resp, _ = await signed_in.get("customers", headers=stale)
    assert resp.status == 200
    new = resp.headers["access-token"]
    assert new not in {t0, t1}
    clock.advance(60)  # t0 is now two rotations old
    resp, _ = await signed_in.get("customers", headers=stale)
    assert resp.status == 401
    resp, _ = await signed_in.get(
        "customers", headers=dict(stale, **{"access-token": t1})
    )
    assert resp.status == 200


async def test_token_expiry(
    api: Api, sim: RusTechSimulator, clock: ManualClock
) -> None:
    sim.token_lifespan = 100
    await api.sign_in()
    clock.advance(99)
    assert (await api.get("customers"))[0].status == 200
    clock.advance(100)  # the rotation at +99 extended the expiry to +199
    assert (await api.get("customers"))[0].status == 401


async def test_unauthenticated_languages(api: Api, sim: RusTechSimulator) -> None:
    resp, body = await api.get("stations")
    assert (resp.status, body) == (401, {"errors": [UNAUTH_RU]})
    sim.language = "en"
    resp, body = await api.get("stations")
    assert (resp.status, body) == (401, {"errors": [UNAUTH_EN]})


async def test_session_eviction_after_ten(
    api: Api, sim: RusTechSimulator, clock: ManualClock
) -> None:
    clients = []
    for _ in range(11):
        await api.sign_in()
        clients.append(dict(api.headers))
        clock.advance(1)
    sessions = sim.sessions(EMAIL)
    assert len(sessions) == 10
    assert clients[0]["client"] not in sessions
    assert (await api.get("customers", headers=clients[0]))[0].status == 401
    assert (await api.get("customers", headers=clients[1]))[0].status == 200


async def test_sign_out_and_revoke(signed_in: Api, sim: RusTechSimulator) -> None:
    headers = dict(signed_in.headers)
    resp = await signed_in.session.delete(
        f"{signed_in.url}/auth/sign_out", headers=headers
    )
    assert (resp.status, await resp.json()) == (200, {"success": True})
    assert sim.sessions(EMAIL) == {}
    assert (await signed_in.get("customers", headers=headers))[0].status == 401
    resp = await signed_in.session.delete(
        f"{signed_in.url}/auth/sign_out", headers=headers
    )
    assert resp.status == 404
    assert await resp.json() == {
        "success": False,
        "errors": ["User was not found or was not logged in."],
    }
    await signed_in.sign_in()
    sim.revoke_sessions()
    assert (await signed_in.get("customers"))[0].status == 401


# -------------------------------------------------------------- list views


async def test_paging_envelope(signed_in: Api, sim: RusTechSimulator) -> None:
    seen = []
    for page, next_page in ((1, 2), (2, 3), (3, None)):
        _, body = await signed_in.get("stations", page=page, per_page=5)
        assert body["total_pages"] == 3
        assert body["current_page"] == page
        assert body["next_page"] == next_page
        seen += [row["id"] for row in body["data"]]
    assert seen == [s.id for s in sim.stations] == list(range(1, 13))
    _, body = await signed_in.get("stations", page=9, per_page=5)
    assert body == {"data": [], "total_pages": 3, "current_page": 9, "next_page": None}
    _, body = await signed_in.get("stations")  # default per_page 25
    assert (len(body["data"]), body["total_pages"], body["next_page"]) == (12, 1, None)
    sim.max_per_page = 4
    _, body = await signed_in.get("stations", per_page=5000)
    assert (len(body["data"]), body["total_pages"]) == (4, 3)
    sim.next_page_in_envelope = False
    _, body = await signed_in.get("stations", per_page=5)
    assert "next_page" not in body
    _, body = await signed_in.get(
        "channel_data", **hourly_params(equipment=9999), page=2
    )
    assert body == {"data": [], "total_pages": 0, "current_page": 2}


async def test_json_body_params_and_query_wins(
    signed_in: Api, sim: RusTechSimulator
) -> None:
    resp = await signed_in.session.get(
        f"{signed_in.url}/stations?per_page=4",
        json={"page": "2", "per_page": "3"},
        headers=signed_in.headers,
    )
    body = await resp.json()
    assert (body["current_page"], len(body["data"])) == (2, 4)
    assert sim.requests[-1].params == {"page": "2", "per_page": "4"}
    assert sim.request_count("stations") == 1


async def test_stations_and_customers(signed_in: Api, sim: RusTechSimulator) -> None:
    _, body = await signed_in.get("stations")
    row = body["data"][0]
    assert list(row) == [
        "id",
        "name",
        "seances_event_time",
        "equipment_type_id",
        "equipment_brand_name",
        "phone",
        "equipment_id",
        "customer_id",
    ]
    assert {r["equipment_brand_name"] for r in body["data"]} == {"БК", "Флоугаз"}
    assert [r["equipment_type_id"] for r in body["data"][:4]] == [1, 2, 1, 2]
    for r in body["data"]:
        assert r["seances_event_time"] == sim.last_session(r["id"])
        assert r["phone"] == "" or r["phone"].startswith("+998-")
    sim.language = "en"
    sim.session_times_in_list = False
    _, body = await signed_in.get("stations")
    assert "seances_event_time" not in body["data"][0]
    assert {r["equipment_brand_name"] for r in body["data"]} == {"BK", "Flowgaz"}
    _, body = await signed_in.get("customers")
    customer_ids = {r["id"] for r in body["data"]}
    assert len(customer_ids) == 4
    assert {s.customer_id for s in sim.stations} == customer_ids
    assert set(body["data"][0]) == {
        "id",
        "name",
        "subdivision_type_name",
        "inn",
        "contact_number",
    }


async def test_last_seance_event_time(signed_in: Api, sim: RusTechSimulator) -> None:
    resp, body = await signed_in.get("stations/last_seance_event_time", id=2)
    assert resp.status == 200
    assert body == {
        "data": {
            "station_name": sim.stations[1].name,
            "last_seance_event_time": sim.last_session(2),
        }
    }
    resp, body = await signed_in.get("stations/last_seance_event_time", id=999)
    assert (resp.status, body) == (404, {"errors": ["Not found"]})
    assert resp.headers["access-token"].strip() == ""  # handled, so batched


async def test_equipment_types_and_channel_table(
    signed_in: Api, sim: RusTechSimulator
) -> None:
    _, body = await signed_in.get("equipment_types")
    assert body["data"][0] == {
        "id": 1,
        "name": "БК",
        "equipment_kind_name": "Корректор",
        "telemetry_type_name": "ББТ-3",
        "resource_name": "Газ",
        "description": "Корректор объема газа БК",
    }
    _, body = await signed_in.get("channel_archive_types", per_page=100)
    assert len(body["data"]) == 28
    _, body = await signed_in.get("channel_archive_types", equipment_type_id=1)
    bk = body["data"]
    assert len(bk) == 14
    assert bk[4] == {
        "equipment_type_id": 1,
        "archive_type_name": "Суточный архив показаний",
        "archive_type_varname": "daily",
        "channel_name": "Давление",
        "channel_varname": "P",
        "unit_name": "кгс/см2",
    }
    assert bk[5]["unit_name"] == "°\u0421"  # Cyrillic Es
    assert [
        r["channel_varname"] for r in bk if r["archive_type_varname"] == "hourly"
    ] == [
        "P",
        "T",
        "Vnakwork",
        "Vnakpriv",
    ]
    sim.language = "en"
    _, body = await signed_in.get("channel_archive_types", equipment_type_id=2)
    fg = body["data"]
    assert fg[4]["channel_name"] == "Average pressure"
    assert fg[4]["archive_type_name"] == "Daily readings archive"
    assert fg[4]["unit_name"] == "kP\u0430"  # Latin kP, Cyrillic a
    assert fg[5]["unit_name"] == "°C"
    _, body = await signed_in.get("channel_archive_types", equipment_type_id=7)
    assert body["data"] == []
    assert body["total_pages"] == 0


# ---------------------------------------------------------------- archives


async def test_hourly_rows_descending_and_visible(
    signed_in: Api, sim: RusTechSimulator
) -> None:
    _, body = await signed_in.get("channel_data", **hourly_params(), per_page=1000)
    rows = body["data"]
    last = sim.last_session(1)
    assert last is not None
    times = [r["event_time"] for r in rows]
    assert times[0] == last // 3600 * 3600
    assert all(a - b == 3600 for a, b in itertools.pairwise(times))
    assert local_day(times[-1]) == date(2023, 11, 1)
    for row in rows[:50]:
        values = flat(row)
        assert set(values) == {"P", "T", "VNakwork", "VNakpriv"}
        expected = sim.hourly_values(1, row["event_time"])
        assert {k: float(v) for k, v in values.items()} == {
            "P": expected["P"],
            "T": expected["T"],
            "VNakwork": expected["Vnakwork"],
            "VNakpriv": expected["Vnakpriv"],
        }
        assert 3.0 < float(values["P"]) < 6.2  # kgf/cm2 of 300..600 kPa
    counters = [float(flat(r)["VNakpriv"]) for r in reversed(rows)]
    assert counters == sorted(counters)
    steps = [b - a for a, b in itertools.pairwise(counters)]
    assert min(steps) > 0
    assert max(steps) < 20
    kinds = {type(v) for r in rows for v in flat(r).values()}
    assert kinds == {str, float}  # mixed numbers and numeric strings
    orders = {tuple(next(iter(i)) for i in r["channel_data"]) for r in rows[:30]}
    assert len(orders) > 1  # shuffled


async def test_flowgaz_hourly_and_daily(signed_in: Api, sim: RusTechSimulator) -> None:
    _, body = await signed_in.get("channel_data", **hourly_params(FG_EQ))
    values = flat(body["data"][0])
    assert set(values) == {"P", "T", "Vwork", "Vst"}
    assert 290 < float(values["P"]) < 620  # kPa
    _, body = await signed_in.get(
        "channel_data", **hourly_params(FG_EQ, archive_type="daily")
    )
    row = flat(body["data"][0])
    assert set(row) == {"P", "T", "Vwork", "Vst", "VNakwork", "VNakst"}
    assert 0 < float(row["Vst"]) - float(row["VNakst"]) < 300
    assert 0 < float(row["Vwork"]) / float(row["Vst"]) < 0.45


async def test_new_session_makes_data_visible(
    signed_in: Api, sim: RusTechSimulator, clock: ManualClock
) -> None:
    station = sim.stations[1]  # daily sessions
    assert station.session_period == 86400
    last = sim.last_session(2)
    assert last is not None
    assert START - 86400 < last <= START
    _, body = await signed_in.get("channel_data", **hourly_params(FG_EQ))
    assert body["data"][0]["event_time"] == last // 3600 * 3600
    clock.advance(2 * 3600)
    sim.new_session([2])
    assert sim.last_session(2) == START + 7200
    _, body = await signed_in.get("channel_data", **hourly_params(FG_EQ))
    assert body["data"][0]["event_time"] == (START + 7200) // 3600 * 3600
    sim.new_session(at=START + 7300)  # all stations, in the future: not yet
    assert sim.last_session(1) != START + 7300


async def test_date_filtering_and_daily_conventions(
    signed_in: Api, sim: RusTechSimulator
) -> None:
    _, body = await signed_in.get(
        "channel_data", **hourly_params(fp_start="2023-11-10", fp_end="2023-11-10")
    )
    assert body["total_pages"] == 1
    assert {local_day(r["event_time"]) for r in body["data"]} == {date(2023, 11, 10)}
    assert len(body["data"]) == 24
    _, body = await signed_in.get(
        "channel_data",
        **hourly_params(
            archive_type="daily", fp_start="2023-11-05", fp_end="2023-11-10"
        ),
    )
    days = [r["event_time"] for r in body["data"]]
    assert [local_day(t) for t in days] == [
        date(2023, 11, 10) - timedelta(days=n) for n in range(6)
    ]
    assert all(datetime.fromtimestamp(t, TZ).hour == 0 for t in days)
    # Daily volumes are the difference of the counters at the day bounds.
    first, second = flat(body["data"][0]), flat(body["data"][1])
    assert float(first["Vpriv"]) == pytest.approx(
        float(first["VNakpriv"]) - float(second["VNakpriv"]), abs=0.011
    )
    end = body["data"][0]["event_time"]
    assert float(first["VNakpriv"]) == sim.hourly_values(1, end)["Vnakpriv"]
    _, body = await signed_in.get(
        "channel_data", **hourly_params(archive_type="monthly", fp_start="2023-01-01")
    )
    assert [local_day(r["event_time"]) for r in body["data"]] == [
        date(2023, 11, 1),
        date(2023, 10, 1),
    ]
    assert set(flat(body["data"][0])) == {"Vwork", "Vpriv", "VNakwork", "VNakpriv"}
    # Before the history start (60 days): nothing.
    _, body = await signed_in.get(
        "channel_data", **hourly_params(fp_start="2023-01-01", fp_end="2023-01-31")
    )
    assert body["data"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"archive_type": "hourly", "equipment_id": BK_EQ},
        {
            "archive_type": "hourly",
            "equipment_id": BK_EQ,
            "fp_start": "2023-11-01",
            "fp_end": "01.11.2023",
        },
        {
            "archive_type": "weekly",
            "equipment_id": BK_EQ,
            "fp_start": "2023-11-01",
            "fp_end": "2023-11-02",
        },
        {"archive_type": "hourly", "fp_start": "2023-11-01", "fp_end": "2023-11-02"},
    ],
)
async def test_channel_data_422(signed_in: Api, params: dict) -> None:
    resp, body = await signed_in.get("channel_data", **params)
    assert resp.status == 422
    assert isinstance(body["errors"][0], str)


async def test_station_id_must_match_equipment(signed_in: Api) -> None:
    _, body = await signed_in.get("channel_data", **hourly_params(station_id=1))
    assert body["data"]
    _, body = await signed_in.get("channel_data", **hourly_params(station_id=2))
    assert body["data"] == []


async def test_consolidated_view(signed_in: Api) -> None:
    _, body = await signed_in.get(
        "channel_data", **hourly_params(channel_consolidation=1)
    )
    rows = [flat(r) for r in body["data"][:5]]
    for row in rows:
        assert set(row) == {
            "gas_consume",
            "reading_value",
            "VNakwork",
            "Vwork",
            "P",
            "T",
        }
        assert all(isinstance(v, str) for v in row.values())
    assert float(rows[0]["gas_consume"]) == pytest.approx(
        float(rows[0]["reading_value"]) - float(rows[1]["reading_value"]), abs=0.011
    )


async def test_number_modes_and_extra_fields(
    signed_in: Api, sim: RusTechSimulator
) -> None:
    sim.numbers_as_strings = "never"
    _, body = await signed_in.get("channel_data", **hourly_params())
    assert {type(v) for r in body["data"] for v in flat(r).values()} == {float}
    sim.numbers_as_strings = "always"
    sim.extra_fields = True
    _, body = await signed_in.get("channel_data", **hourly_params())
    assert {type(v) for r in body["data"] for v in flat(r).values()} == {str}
    assert {"created_at", "updated_at"} <= set(body["data"][0])
    _, body = await signed_in.get("stations")
    assert "updated_at" in body["data"][0]


async def test_abnormal_situations(signed_in: Api, sim: RusTechSimulator) -> None:
    sim.add_abnormal(1, START - 7200, 77, "Тестовое событие")
    sim.add_abnormal(1, START + 1000, 78, "Future")  # after the last session
    params = hourly_params(archive_type="nesht", fp_start="2023-09-01", per_page=1000)
    _, body = await signed_in.get("channel_data", **params)
    rows = body["data"]
    assert 5 <= len(rows) <= 40
    times = [r["event_time"] for r in rows]
    assert times == sorted(times, reverse=True)
    assert all(t <= sim.last_session(1) for t in times)
    texts = {r["channel_data"][1]["NSText"] for r in rows}
    assert "Тестовое событие" in texts
    assert "Future" not in texts
    assert [next(iter(i)) for i in rows[0]["channel_data"]] == ["NSCode", "NSText"]
    assert any(t % 3600 for t in times)
    sim.language = "en"
    _, body = await signed_in.get("channel_data", **params)
    assert all(
        r["channel_data"][1]["NSText"].isascii()
        for r in body["data"]
        if r["channel_data"][1]["NSText"] != "Тестовое событие"
    )


async def test_settings(signed_in: Api, sim: RusTechSimulator) -> None:
    for equipment, unit in ((BK_EQ, "кгс/см2"), (FG_EQ, "кПа")):
        _, body = await signed_in.get(
            "channel_data", archive_type="settings", equipment_id=equipment
        )
        rows = body["data"]
        assert 8 <= len(rows) <= 15
        assert all(isinstance(r["channel_data_value"], str) for r in rows)
        assert rows[0] == {
            "channel_name": "Контрактный час",
            "channel_data_value": "10",
            "unit_name": "ч",
        }
        assert rows[1]["unit_name"] == unit
        ambient = next(r for r in rows if r["channel_name"].startswith("Наличие"))
        assert ambient["channel_data_value"] in {"0", "1"}
        assert ambient["unit_name"] is None


async def test_add_channel_and_stations(signed_in: Api, sim: RusTechSimulator) -> None:
    sim.add_channel(1, "hourly", "Tnv", "Температура окружающей среды", "°С")
    _, body = await signed_in.get("channel_archive_types", equipment_type_id=1)
    assert body["data"][-1]["channel_varname"] == "Tnv"
    _, body = await signed_in.get("channel_data", **hourly_params())
    row = body["data"][0]
    assert "Tnv" in flat(row)
    assert sim.hourly_values(1, row["event_time"])["Tnv"] == float(flat(row)["Tnv"])
    new = sim.add_station(equipment_type_id=2, name="Новый узел")
    assert (new.id, new.equipment_id, new.brand) == (13, 85, "Флоугаз")
    sim.remove_station(1)
    _, body = await signed_in.get("stations")
    assert body["data"][0]["id"] == 2
    assert body["data"][-1]["name"] == "Новый узел"
    _, body = await signed_in.get("channel_data", **hourly_params())
    assert body["data"] == []


# ------------------------------------------------------------------ faults


async def test_fault_server_error_and_rate_limit(
    signed_in: Api, sim: RusTechSimulator, clock: ManualClock
) -> None:
    clock.advance(10)
    token = signed_in.headers["access-token"]
    sim.inject("server_error", path="stations")
    sim.inject("rate_limit", retry_after=7)
    resp, body = await signed_in.get("customers")  # rate_limit: matches any path
    assert (resp.status, body) == (429, {"errors": ["Rate limit exceeded"]})
    assert resp.headers["Retry-After"] == "7"
    resp, body = await signed_in.get("stations")
    assert (resp.status, body) == (
        500,
        {"status": 500, "error": "Internal Server Error"},
    )
    assert "access-token" not in resp.headers
    assert sim.sessions(EMAIL)[signed_in.headers["client"]].token == token
    sim.inject("server_error", status=502, count=2)
    assert (await signed_in.get("stations"))[0].status == 502
    assert (await signed_in.get("stations"))[0].status == 502
    resp, _ = await signed_in.get("stations")
    assert resp.status == 200
    assert sim.requests[-1].rotated


async def test_fault_html_pages(signed_in: Api, sim: RusTechSimulator) -> None:
    sim.inject("unavailable")
    sim.inject("html")
    sim.inject("not_found")
    for status in (503, 200, 404):
        resp, body = await signed_in.get("customers")
        assert resp.status == status
        assert resp.content_type == "text/html"
        assert body.lstrip().lower().startswith(("<html", "<!doctype"))
        assert "access-token" not in resp.headers
    assert [r.status for r in sim.requests[-3:]] == [503, 200, 404]


async def test_unknown_routes_are_rails_404_pages(
    signed_in: Api, sim: RusTechSimulator, url: str
) -> None:
    root = url.rsplit("/api/v1", 1)[0]
    for target in (f"{root}/stations", f"{url}/meters"):
        resp = await signed_in.session.get(target, headers=signed_in.headers)
        assert resp.status == 404
        assert resp.content_type == "text/html"
    resp = await signed_in.session.post(f"{url}/stations", headers=signed_in.headers)
    assert resp.status == 404
    assert sim.requests[-1].path == "stations"
    assert not sim.requests[-1].authenticated


async def test_fault_unauthorized_keeps_session(
    signed_in: Api, sim: RusTechSimulator
) -> None:
    sim.inject("unauthorized", path="channel_data")
    assert (await signed_in.get("customers"))[0].status == 200
    resp, body = await signed_in.get("channel_data", **hourly_params())
    assert (resp.status, body) == (401, {"errors": [UNAUTH_RU]})
    assert (await signed_in.get("channel_data", **hourly_params()))[0].status == 200


async def test_fault_malformed_json(
    signed_in: Api, sim: RusTechSimulator, clock: ManualClock
) -> None:
    clock.advance(10)
    sim.inject("malformed_json")
    resp = await signed_in.session.get(
        f"{signed_in.url}/stations", headers=signed_in.headers
    )
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert resp.headers["access-token"].strip()  # rotated all the same
    with pytest.raises(json.JSONDecodeError):
        json.loads(await resp.text())
    assert sim.requests[-1].rotated


async def test_fault_vanish_page(signed_in: Api, sim: RusTechSimulator) -> None:
    sim.inject("vanish_page")
    _, body = await signed_in.get("stations", page=1, per_page=5)
    assert len(body["data"]) == 5  # page 1 does not use the fault up
    _, body = await signed_in.get("stations", page=3, per_page=5)
    assert body == {"data": [], "total_pages": 2, "current_page": 3, "next_page": None}
    _, body = await signed_in.get("stations", page=3, per_page=5)
    assert len(body["data"]) == 2


async def test_fault_timeout(signed_in: Api, sim: RusTechSimulator) -> None:
    sim.inject("timeout", delay=30)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await signed_in.session.get(
            f"{signed_in.url}/stations",
            headers=signed_in.headers,
            timeout=aiohttp.ClientTimeout(total=0.2),
        )
    assert time.monotonic() - started < 2
    assert sim.request_count("stations") == 1
    assert sim.requests[-1].status == 0
    sim.inject("timeout", delay=0.01)  # a slow but successful answer
    resp, _ = await signed_in.get("stations")
    assert resp.status == 200
    assert sim.requests[-1].status == 200
    assert sim.request_count("stations") == 2


async def test_hanging_request_does_not_delay_teardown(
    socket_enabled: None, sim: RusTechSimulator
) -> None:
    sim.inject("timeout", delay=30)
    async with aiohttp.ClientSession() as session:
        async with sim.serve() as url:
            task = asyncio.ensure_future(session.get(f"{url}/stations"))
            for _ in range(300):  # wait until the server holds the request
                if sim.request_count("stations"):
                    break
                await asyncio.sleep(0.01)
            started = time.monotonic()
        assert time.monotonic() - started < 2
        with pytest.raises(aiohttp.ClientError):
            await task


async def test_latency_and_unknown_fault(signed_in: Api, sim: RusTechSimulator) -> None:
    sim.latency = 0.05
    started = time.monotonic()
    await signed_in.get("customers")
    assert time.monotonic() - started >= 0.05
    with pytest.raises(ValueError, match="unknown fault"):
        sim.inject("meteor")


# ------------------------------------------------------------ determinism


async def test_determinism(socket_enabled: None) -> None:
    async def snapshot(seed: int) -> list:
        sim = RusTechSimulator(seed=seed, clock=ManualClock(START))
        bodies = []
        async with sim.serve() as url, aiohttp.ClientSession() as session:
            api = Api(session, url)
            await api.sign_in()
            for path, params in (
                ("stations", {}),
                ("customers", {}),
                ("channel_data", hourly_params(per_page=200)),
                ("channel_data", hourly_params(FG_EQ, archive_type="daily")),
                ("channel_data", hourly_params(archive_type="nesht")),
                ("channel_data", {"archive_type": "settings", "equipment_id": FG_EQ}),
            ):
                bodies.append((await api.get(path, **params))[1])
        return bodies

    first, again, other = await snapshot(5), await snapshot(5), await snapshot(6)
    assert first == again
    assert first[2] != other[2]


def test_manual_clock_and_cli_args() -> None:
    clock = ManualClock(100, tick=0.5)
    assert (clock(), clock()) == (100, 100.5)
    clock.advance(10)
    assert clock() == 111
    clock.set(5)
    assert clock() == 5
    args = parse_args(["--live", "--port", "0", "--language", "en"])
    assert (args.live, args.port, args.language, args.email) == (
        True,
        0,
        "en",
        "dev@telemetry-hub.local",
    )
