"""Static reference texts of the RusTech server, in Russian and English.

Everything here is copied from (or modelled on) the vendor's RU and EN API
documents: equipment types, the 28-row channel table, archive names, error
bodies, and realistic names for stations, customers, abnormal situations and
corrector settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

type Language = Literal["ru", "en"]

BK = 1
FLOWGAZ = 2
KGF_CM2_IN_KPA = 98.0665

BRANDS: dict[str, dict[int, str]] = {
    "ru": {BK: "БК", FLOWGAZ: "Флоугаз"},
    "en": {BK: "BK", FLOWGAZ: "Flowgaz"},
}

# Field order as in the documents' examples.
EQUIPMENT_TYPES: dict[str, list[dict[str, object]]] = {
    "ru": [
        {
            "id": BK,
            "name": "БК",
            "equipment_kind_name": "Корректор",
            "telemetry_type_name": "ББТ-3",
            "resource_name": "Газ",
            "description": "Корректор объема газа БК",
        },
        {
            "id": FLOWGAZ,
            "name": "Флоугаз",
            "equipment_kind_name": "Корректор",
            "telemetry_type_name": "ББТ-3",
            "resource_name": "Газ",
            "description": "Корректор объема газа Флоугаз",
        },
    ],
    "en": [
        {
            "id": BK,
            "name": "BK",
            "equipment_kind_name": "Corrector",
            "telemetry_type_name": "vdTel-1",
            "resource_name": "Gas",
            "description": "Gas volume corrector BK",
        },
        {
            "id": FLOWGAZ,
            "name": "Flowgaz",
            "equipment_kind_name": "Corrector",
            "telemetry_type_name": "vdTel-1",
            "resource_name": "Gas",
            "description": "Gas volume corrector Flowgaz",
        },
    ],
}

ARCHIVE_NAMES: dict[str, dict[str, str]] = {
    "ru": {
        "hourly": "Часовой архив показаний",
        "daily": "Суточный архив показаний",
        "monthly": "Месячный архив показаний",
        "yearly": "Годовой архив показаний",
    },
    "en": {
        "hourly": "Hourly readings archive",
        "daily": "Daily readings archive",
        "monthly": "Monthly readings archive",
        "yearly": "Annual readings archive",
    },
}

# Units: ru "°С" has a CYRILLIC С; en "kPа" has a CYRILLIC а (as in the EN doc's
# example); en "°C" is Latin.
UNITS: dict[str, dict[str, str]] = {
    "ru": {"kgf": "кгс/см2", "degc": "°С", "m3": "м3", "kpa": "кПа"},
    "en": {"kgf": "kgs/cm2", "degc": "°C", "m3": "m3", "kpa": "kPа"},
}


@dataclass(frozen=True)
class Channel:
    """One row of the channel table (``channel_archive_types``)."""

    equipment_type_id: int
    archive: str
    code: str  # channel_varname as the table spells it (e.g. "Vnakpriv")
    name_ru: str
    name_en: str
    unit: str | None  # a key of UNITS (or the literal unit if raw_unit), or None
    raw_unit: bool = False

    def unit_name(self, language: str) -> str | None:
        """Return the unit in ``language``, or None when dimensionless."""
        if self.unit is None or self.raw_unit:
            return self.unit
        return UNITS[language].get(self.unit, self.unit)

    def name(self, language: str) -> str:
        """Return the channel name in ``language``."""
        return self.name_ru if language == "ru" else self.name_en


# The documents' channel table (section 3.4.2): type | archive | code | ru | en | unit
_CHANNEL_TABLE = """
1|monthly|Vwork|Рабочий объем|Working volume|m3
1|monthly|Vpriv|Приведенный объем|Reduced volume|m3
1|monthly|Vnakwork|Накопленный рабочий объем|Accumulated working volume|m3
1|monthly|Vnakpriv|Накопленный приведенный объем|Accumulated reduced volume|m3
1|daily|P|Давление|Pressure|kgf
1|daily|T|Температура|Temperature|degc
1|daily|Vwork|Рабочий объем|Working volume|m3
1|daily|Vpriv|Приведенный объем|Reduced volume|m3
1|daily|Vnakwork|Накопленный рабочий объем|Accumulated working volume|m3
1|daily|Vnakpriv|Накопленный приведенный объем|Accumulated reduced volume|m3
1|hourly|P|Давление|Pressure|kgf
1|hourly|T|Температура|Temperature|degc
1|hourly|Vnakwork|Накопленный рабочий объем|Accumulated working volume|m3
1|hourly|Vnakpriv|Накопленный приведенный объем|Accumulated reduced volume|m3
2|monthly|Vwork|Общий накопленный объем РУ|Total accumulated volume RU|m3
2|monthly|Vst|Общий накопленный объем СУ|Total accumulated volume SU|m3
2|monthly|Vnakwork|Накопленный объем РУ|Accumulated volume RU|m3
2|monthly|Vnakst|Накопленный объем СУ|Accumulated volume SU|m3
2|daily|P|Среднее давление|Average pressure|kpa
2|daily|T|Средняя температура|Average temperature|degc
2|daily|Vwork|Общий накопленный объем РУ|Total accumulated volume RU|m3
2|daily|Vst|Общий накопленный объем СУ|Total accumulated volume SU|m3
2|daily|Vnakwork|Накопленный объем РУ|Accumulated volume RU|m3
2|daily|Vnakst|Накопленный объем СУ|Accumulated volume SU|m3
2|hourly|P|Среднее давление|Average pressure|kpa
2|hourly|T|Средняя температура|Average temperature|degc
2|hourly|Vwork|Общий накопленный объем РУ|Total accumulated volume RU|m3
2|hourly|Vst|Общий накопленный объем СУ|Total accumulated volume SU|m3
"""


def _table(text: str) -> list[list[str]]:
    """Split a pipe-separated table into rows of fields."""
    return [line.split("|") for line in text.strip().splitlines()]


CHANNELS: tuple[Channel, ...] = tuple(
    Channel(int(type_id), archive, code, ru, en, unit)
    for type_id, archive, code, ru, en, unit in _table(_CHANNEL_TABLE)
)


BUILTIN_CODES = frozenset(c.code for c in CHANNELS)


def served_code(code: str) -> str:
    """Return the archive spelling of a table channel code (Vnak... -> VNak...).

    The documents' own inconsistency: the channel table says ``Vnakwork`` while
    the archive example carries ``VNakwork``. Codes added with ``add_channel``
    are served as declared.
    """
    if code in BUILTIN_CODES and code.startswith("Vnak"):
        return "VNak" + code[4:]
    return code


UNAUTHENTICATED: dict[str, str] = {
    "ru": "Вам необходимо войти в систему или зарегистрироваться.",
    "en": "You need to sign in or sign up before continuing.",
}
BAD_CREDENTIALS = "Invalid login credentials. Please try again."
LOCKED = (
    "Your account has been locked due to an excessive number of unsuccessful "
    "sign in attempts."
)
SIGN_OUT_FAILED = "User was not found or was not logged in."

SUBDIVISION_TYPE: dict[str, str] = {"ru": "Владелец ПУУ", "en": "Unit Owner"}

CUSTOMER_NAMES: tuple[str, ...] = (
    "O'ZBEKISTON YENGIL ATLETIKA FEDERATSIYASI",
    '"TRANSYO`LQURILISH" DUK',
    'ООО "Coca-Cola Ichimligi Uzbekistan" LTD',
    'АО "Toshkent issiqlik markazi"',
    'ООО "Artel Electronics"',
    'ЧП "Baraka Non"',
    'ГУП "Suvsoz"',
    'МЧЖ "Samarqand Tekstil"',
    'АО "Кварц"',
    'АО "Navoiyazot"',
    "Юнусабадский районный отдел народного образования",
    'ООО "Yashil Vodiy Agro"',
)

STATION_NAMES: tuple[str, ...] = (
    'ООО "Coca-Cola Ichimligi Uzbekistan" LTD',
    'АО "Toshkent issiqlik markazi" котельная №3',
    "O'ZBEKISTON YENGIL ATLETIKA FEDERATSIYASI манеж",
    '"TRANSYO`LQURILISH" DUK АБК',
    'ООО "Artel Electronics" цех №2',
    'ЧП "Baraka Non" хлебозавод',
    'ГУП "Suvsoz" насосная станция №7',
    'МЧЖ "Samarqand Tekstil" котельная',
    'АО "Кварц" ГРП-2',
    'АО "Navoiyazot" ГРП-4',
    "Школа №110 Юнусабадского района",
    'Теплица "Yashil Vodiy"',
    'СП ООО "Uz-Kor Gas Chemical" АБК',
    "Городская больница №7 котельная",
    'МЧЖ "Chilonzor Savdo Markazi"',
    'ООО "Bukhara Brick" печь №1',
)

# Abnormal situations (archive "nesht"): code | Russian text | English text
_ABNORMAL_TABLE = """
1|Давление выше верхнего предела|Pressure above the upper limit
2|Давление ниже нижнего предела|Pressure below the lower limit
3|Отказ датчика температуры|Temperature sensor failure
4|Отказ датчика давления|Pressure sensor failure
5|Температура газа вне допустимого диапазона|Gas temperature out of range
8|Вскрытие корпуса корректора (открыта дверца)|Corrector housing opened (door open)
11|Низкий заряд батареи|Battery low
12|Отключение внешнего питания|External power supply lost
15|Расход газа выше максимального|Gas flow rate above the maximum
21|Изменение конфигурации корректора|Corrector configuration changed
"""
ABNORMAL: tuple[tuple[int, str, str], ...] = tuple(
    (int(code), ru, en) for code, ru, en in _table(_ABNORMAL_TABLE)
)


@dataclass(frozen=True)
class Setting:
    """One corrector setting; ``key`` selects how its value is computed."""

    key: str
    name_ru: str
    name_en: str
    unit: str | None  # "p" (the type's pressure unit), a unit key, or None


SETTING_UNITS: dict[str, dict[str, str]] = {
    "ru": {"h": "ч", "min": "мин", "pct": "%", "kgm3": "кг/м3"},
    "en": {"h": "h", "min": "min", "pct": "%", "kgm3": "kg/m3"},
}

# Corrector settings (archive "settings"): types | key | ru | en | unit ("-": none)
_SETTINGS_TABLE = """
12|contract_hour|Контрактный час|Contract hour|h
12|sub_p|Подстановочное значение давления|Substitute pressure value|p
12|sub_t|Подстановочное значение температуры|Substitute temperature value|degc
12|p_max|Верхний предел измерения датчика давления|Pressure sensor upper limit|p
12|p_min|Нижний предел измерения датчика давления|Pressure sensor lower limit|p
12|t_max|Верхняя уставка температуры газа|Gas temperature upper limit|degc
12|t_min|Нижняя уставка температуры газа|Gas temperature lower limit|degc
12|ambient|Наличие датчика температуры окружающей среды \
(1 - датчик установлен, 0 - датчик отсутствует)|Presence of ambient temperature \
sensor (1 – sensor installed, 0 – sensor absent)|-
12|z_method|Метод расчета коэффициента сжимаемости|Compressibility calculation method|-
12|density|Плотность газа при с.у.|Gas density at standard conditions|kgm3
12|n2|Молярная доля азота|Nitrogen mole fraction|pct
12|co2|Молярная доля диоксида углерода|Carbon dioxide mole fraction|pct
1|session_period|Период сеанса связи|Communication session period|min
2|modem_phone|Телефон модема|Modem phone|-
2|serial|Заводской номер корректора|Corrector serial number|-
2|p_atm|Атмосферное давление (условно-постоянное)|Barometric pressure (constant)|kpa
"""
SETTINGS: dict[int, tuple[Setting, ...]] = {
    type_id: tuple(
        Setting(key, ru, en, None if unit == "-" else unit)
        for types, key, ru, en, unit in _table(_SETTINGS_TABLE)
        if str(type_id) in types
    )
    for type_id in (BK, FLOWGAZ)
}

Z_METHOD: dict[int, dict[str, str]] = {
    BK: {"ru": "NX19 мод.", "en": "NX19 mod."},
    FLOWGAZ: {"ru": "GERG-91 мод.", "en": "GERG-91 mod."},
}

HTML_503 = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
    "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
HTML_404 = (
    "<!DOCTYPE html>\n<html>\n<head>\n  <title>The page you were looking for "
    'doesn\'t exist (404)</title>\n</head>\n<body>\n  <div class="dialog">\n'
    "    <h1>The page you were looking for doesn't exist.</h1>\n"
    "    <p>You may have mistyped the address or the page may have moved.</p>\n"
    "  </div>\n</body>\n</html>\n"
)
HTML_PROXY = (
    '<!DOCTYPE html>\n<html lang="ru">\n<head><meta charset="utf-8">'
    "<title>Авторизация в сети</title></head>\n<body>\n"
    '<form method="post" action="/login"><h2>Вход в сеть</h2>\n'
    '<input name="username"><input name="password" type="password">\n'
    '<button type="submit">Войти</button></form>\n</body>\n</html>\n'
)
