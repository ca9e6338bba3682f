"""Parsing of what the RusTech server sends: numbers, units, channels, rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.telemetry_hub.api import TelemetryHubProtocolError
from custom_components.telemetry_hub.api.parsing import (
    as_float,
    as_int,
    as_text,
    as_time,
)
from custom_components.telemetry_hub.api.rustech.models import (
    ArchiveRecord,
    Customer,
    EquipmentType,
    Page,
    RusTechToken,
    Setting,
    Station,
)
from custom_components.telemetry_hub.api.rustech.units import (
    ChannelDefinition,
    ChannelKind,
    Quantity,
    classify_channel,
    parse_unit,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (25.19, 25.19),
        (3, 3.0),
        ("503.2795", 503.2795),
        (" 1,4 ", 1.4),
        ("1 204.5", 1204.5),
        ("", None),
        ("abc", None),
        (True, None),
        (None, None),
        ([], None),
        ("nan", None),
        (float("inf"), None),
    ],
)
def test_as_float(raw: object, expected: float | None) -> None:
    assert as_float(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (13, 13),
        ("13", 13),
        (" -2 ", -2),
        (13.0, 13),
        (13.5, None),
        ("x", None),
        (False, None),
    ],
)
def test_as_int(raw: object, expected: int | None) -> None:
    assert as_int(raw) == expected


def test_as_text_and_time() -> None:
    assert as_text("  name ") == "name"
    assert as_text("   ") is None
    assert as_text(7) == "7"
    assert as_text(None) is None
    assert as_time(1612292400) == datetime(2021, 2, 2, 19, tzinfo=UTC)
    assert as_time("1612292400") == datetime(2021, 2, 2, 19, tzinfo=UTC)
    assert as_time(0) is None
    assert as_time(1e20) is None


@pytest.mark.parametrize(
    ("raw", "quantity", "one_in_canonical"),
    [
        ("кгс/см2", Quantity.PRESSURE, 98.0665),
        ("кгс/см <sup>2</sup>", Quantity.PRESSURE, 98.0665),
        ("kgs/cm2", Quantity.PRESSURE, 98.0665),
        ("kgf/cm²", Quantity.PRESSURE, 98.0665),
        ("кПа", Quantity.PRESSURE, 1.0),
        ("kPа", Quantity.PRESSURE, 1.0),  # Cyrillic а, as in the English document
        ("kPa", Quantity.PRESSURE, 1.0),
        ("МПа", Quantity.PRESSURE, 1000.0),
        ("bar", Quantity.PRESSURE, 100.0),
        ("мм рт. ст.", Quantity.PRESSURE, 0.133322387415),
        ("°С", Quantity.TEMPERATURE, 1.0),  # Cyrillic С
        ("°C", Quantity.TEMPERATURE, 1.0),
        ("℃", Quantity.TEMPERATURE, 1.0),
        ("K", Quantity.TEMPERATURE, 1.0 - 273.15),
        ("м3", Quantity.VOLUME, 1.0),
        ("м <sup>3</sup>", Quantity.VOLUME, 1.0),
        ("m³", Quantity.VOLUME, 1.0),
        ("л", Quantity.VOLUME, 0.001),
    ],
)
def test_units(raw: str, quantity: Quantity, one_in_canonical: float) -> None:
    unit = parse_unit(raw)

    assert unit is not None
    assert unit.quantity is quantity
    assert unit.convert(1.0) == pytest.approx(one_in_canonical)


@pytest.mark.parametrize("raw", [None, "", "furlong", "кгс/м2", "%"])
def test_unknown_units(raw: str | None) -> None:
    assert parse_unit(raw) is None


@pytest.mark.parametrize(
    ("code", "name", "unit", "kind"),
    [
        ("P", "Давление", "кгс/см2", ChannelKind.PRESSURE),
        ("T", "Температура", "°С", ChannelKind.TEMPERATURE),
        ("Vwork", "Рабочий объем", "м3", ChannelKind.WORKING_VOLUME_PERIOD),
        ("Vpriv", "Приведенный объем", "м3", ChannelKind.STANDARD_VOLUME_PERIOD),
        (
            "Vnakwork",
            "Накопленный рабочий объем",
            "м3",
            ChannelKind.WORKING_VOLUME_ACCUMULATED,
        ),
        (
            "Vnakpriv",
            "Накопленный приведенный объем",
            "м3",
            ChannelKind.STANDARD_VOLUME_ACCUMULATED,
        ),
        ("Vwork", "Общий накопленный объем РУ", "м3", ChannelKind.WORKING_VOLUME_TOTAL),
        ("Vst", "Общий накопленный объем СУ", "м3", ChannelKind.STANDARD_VOLUME_TOTAL),
        (
            "Vnakst",
            "Накопленный объем СУ",
            "м3",
            ChannelKind.STANDARD_VOLUME_ACCUMULATED,
        ),
        (
            "Vwork",
            "total accumulated volume RU",
            "m3",
            ChannelKind.WORKING_VOLUME_TOTAL,
        ),
        ("Vst", "total accumulated volume SU", "m3", ChannelKind.STANDARD_VOLUME_TOTAL),
        ("Vpriv", "reduced volume", "m3", ChannelKind.STANDARD_VOLUME_PERIOD),
        ("Q", "standard volume per hour", "м3", ChannelKind.STANDARD_VOLUME_PERIOD),
        ("Qr", "объем РУ", "м3", ChannelKind.WORKING_VOLUME_PERIOD),
        ("Vx", "что-то", "м3", ChannelKind.OTHER),
        ("dP", "Перепад давления", "кПа", ChannelKind.OTHER),
        # A known code with an unknown unit keeps its kind (shown unavailable).
        ("P", "Давление", "кгс/м2", ChannelKind.PRESSURE),
        ("T", "Температура", None, ChannelKind.TEMPERATURE),
        ("Vnakpriv", None, "?", ChannelKind.STANDARD_VOLUME_ACCUMULATED),
        ("X", "Неизвестно", None, ChannelKind.OTHER),
    ],
)
def test_classify_channel(
    code: str, name: str | None, unit: str | None, kind: ChannelKind
) -> None:
    assert classify_channel(code, name, parse_unit(unit)) is kind


def test_channel_definition_row() -> None:
    channel = ChannelDefinition.from_row(
        {
            "equipment_type_id": "2",
            "archive_type_name": "Суточный архив показаний",
            "archive_type_varname": "Daily",
            "channel_name": "Среднее давление",
            "channel_varname": "P",
            "unit_name": "кПа",
        }
    )

    assert channel is not None
    assert channel.archive_type == "daily"
    assert channel.key == "p"
    assert channel.kind is ChannelKind.PRESSURE
    assert ChannelDefinition.from_row({"channel_varname": "P"}) is None


def test_archive_record_is_tolerant() -> None:
    record = ArchiveRecord.from_row(
        {
            "event_time": "1612292400",
            "channel_data": [
                {"T": 25.193481},
                {"VNakpriv": "89519.01"},
                {"P": None},
                {"": 1},
                "junk",
                {"Text": "Вскрытие"},
                {"List": [1, 2]},
            ],
        }
    )

    assert record is not None
    assert record.value("vnakpriv") == 89519.01
    assert record.value("VNAKPRIV") == 89519.01
    assert record.value("P") is None
    assert record.raw["Text"] == "Вскрытие"
    assert record.raw["List"] is None
    assert set(record.values) == {"t", "vnakpriv"}
    single = ArchiveRecord.from_row({"event_time": 1, "channel_data": {"T": 1}})
    assert single is not None
    assert single.value("t") == 1
    assert ArchiveRecord.from_row({"channel_data": []}) is None


def test_rows_without_ids_are_rejected() -> None:
    assert Station.from_row({"name": "x"}) is None
    assert Customer.from_row({"name": "x"}) is None
    assert EquipmentType.from_row({"name": "x"}) is None
    assert Setting.from_row({"channel_data_value": "1"}) is None
    station = Station.from_row({"id": "18"})
    assert station is not None
    assert station.name == "Station 18"
    assert not station.reports_session
    setting = Setting.from_row(
        {"channel_name": "Наличие датчика\n  (1 – есть)", "channel_data_value": 0}
    )
    assert setting == Setting("Наличие датчика (1 – есть)", "0", None)


def test_page_envelope() -> None:
    page = Page.from_body(
        {"data": [{"id": 1}, "junk"], "total_pages": 7, "current_page": 2},
        2,
        "stations",
    )
    assert (len(page.rows), page.current_page, page.total_pages, page.next_page) == (
        1,
        2,
        7,
        3,
    )
    last = Page.from_body(
        {"data": [], "total_pages": 0, "current_page": 1, "next_page": None}, 1, "x"
    )
    assert last.next_page is None
    no_count = Page.from_body({"data": [{"id": 1}]}, 1, "x")
    assert (no_count.total_pages, no_count.next_page) == (1, None)
    with pytest.raises(TelemetryHubProtocolError, match="stations"):
        Page.from_body(["not", "a", "page"], 1, "stations")


def test_token_storage_round_trip() -> None:
    token = RusTechToken("secret-token", "secret-client", "api@local.net", 1700000000)

    assert RusTechToken.from_dict(token.as_dict()) == token
    assert RusTechToken.from_dict(None) is None
    assert RusTechToken.from_dict({"access_token": "x"}) is None
    assert "secret" not in repr(token)
    assert "api@local.net" not in repr(token)
    assert token.headers()["access-token"] == "secret-token"
    assert token.is_valid(1699999000)
    assert not token.is_valid(1699999990)
