"""Deterministic dataset: customers, stations and the physics of each meter.

Nothing is stored per hour: every value is a closed-form function of the
seed, the station id and the time, so any archive row can be computed on
demand and two simulators with the same seed serve identical data.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import math
import random

from .catalog import (
    BK,
    BRANDS,
    CUSTOMER_NAMES,
    FLOWGAZ,
    KGF_CM2_IN_KPA,
    STATION_NAMES,
)
from .models import Customer, SimStation

DAY = 86400
WEEK = 7 * DAY
YEAR = 365.2425 * DAY
HOUR = 3600
_EPOCH = 946684800  # 2000-01-01: the counters start (near) there
_JULY = 964483200  # 2000-07-25: the yearly temperature peak (phase only)
_MASK = (1 << 64) - 1
_NO_PHONE_EVERY = 7
_OPERATORS = (90, 91, 93, 94, 97, 99, 88, 33, 95)


def stable_hash(*parts: object) -> int:
    """Return a 64-bit hash of ``parts`` that is stable across processes."""
    text = "\x1f".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def mix(key: int, *values: int) -> int:
    """Cheap 64-bit integer hash (splitmix64 chained over ``values``)."""
    z = key & _MASK
    for value in values:
        z = (z + 0x9E3779B97F4A7C15 + (value & _MASK)) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        z ^= z >> 31
    return z


def unit_noise(key: int, *values: int) -> float:
    """Return a deterministic number in [-1, 1) for ``values``."""
    return mix(key, *values) / 2**63 - 1.0


def phone(rng: random.Random) -> str:
    """Return an Uzbek phone number like ``+998-97-725-12-28``."""
    operator = rng.choice(_OPERATORS)
    a, b, c = rng.randrange(100, 1000), rng.randrange(100), rng.randrange(100)
    return f"+998-{operator}-{a:03d}-{b:02d}-{c:02d}"


def make_customers(count: int, seed: int) -> list[Customer]:
    """Return ``count`` customers with ids from 13 (as in the documents)."""
    customers = []
    for index in range(count):
        rng = random.Random(f"rustech-customer:{seed}:{index}")
        base = CUSTOMER_NAMES[index % len(CUSTOMER_NAMES)]
        lap = index // len(CUSTOMER_NAMES)
        customers.append(
            Customer(
                id=13 + index,
                name=base if lap == 0 else f"{base} ({lap + 1})",
                inn=f"{rng.randrange(2, 4):02d}{rng.randrange(10**8):08d}",
                contact_number=phone(rng),
            )
        )
    return customers


def make_station(
    *,
    index: int,
    station_id: int,
    equipment_id: int,
    equipment_type_id: int,
    customer_id: int,
    seed: int,
    period: int,
    language: str,
    name: str | None = None,
) -> SimStation:
    """Return station number ``index`` (0-based creation order)."""
    rng = random.Random(f"rustech-station:{seed}:{station_id}")
    if name is None:
        base = STATION_NAMES[index % len(STATION_NAMES)]
        lap = index // len(STATION_NAMES)
        name = base if lap == 0 else f"{base} #{lap + 1}"
    number = phone(rng)
    if (index + 1) % _NO_PHONE_EVERY == 0:  # some have none, as in the documents
        number = ""
    return SimStation(
        id=station_id,
        name=name,
        equipment_id=equipment_id,
        equipment_type_id=equipment_type_id,
        brand=brand_name(equipment_type_id, language),
        phone=number,
        customer_id=customer_id,
        session_period=period,
        session_offset=stable_hash("offset", seed, station_id) % max(1, period),
    )


def brand_name(equipment_type_id: int, language: str) -> str:
    """Return the brand shown in the station list (``БК``, ``Flowgaz``...)."""
    return BRANDS[language].get(equipment_type_id, str(equipment_type_id))


@dataclass(frozen=True)
class Physics:
    """Per-station constants of the closed-form value model.

    Standard-volume consumption rate, in m³/h:
    ``q * (1 + a_day*sin(2π(t-φd)/day) + a_week*sin(2π(t-φw)/week))`` (> 0);
    the standard counter is its exact integral plus ``v0``; the working counter
    is the standard counter times ``ratio``. Absolute pressure (kPa):
    ``p_mean * (1 + 0.012*sin(2π(t-φp)/day) + 0.004*noise(hour))``.
    Temperature (°C): ``t_mean + t_year*cos(2π(t-July)/year)
    + t_day*sin(2π(t-φt)/day) + 0.15*noise(hour)``.
    """

    key: int
    q: float
    a_day: float
    phase_day: float
    a_week: float
    phase_week: float
    v0: float
    p_mean: float
    p_phase: float
    t_mean: float
    t_year: float
    t_day: float
    t_phase: float
    ratio: float
    nak_offset_work: float
    nak_offset_std: float

    @classmethod
    def create(cls, seed: int, station_id: int) -> Physics:
        """Derive the constants of one station from the seed."""
        rng = random.Random(f"rustech-physics:{seed}:{station_id}")
        p_mean = rng.uniform(300.0, 600.0)
        t_mean = rng.uniform(9.0, 16.0)
        ratio = 101.325 / p_mean * (t_mean + 273.15) / 293.15
        return cls(
            key=stable_hash("physics", seed, station_id),
            q=round(rng.uniform(2.0, 9.0), 3),
            a_day=rng.uniform(0.3, 0.6),
            phase_day=rng.uniform(0, DAY),
            a_week=rng.uniform(0.05, 0.2),
            phase_week=rng.uniform(0, WEEK),
            v0=round(rng.uniform(1_000.0, 60_000.0), 2),
            p_mean=p_mean,
            p_phase=rng.uniform(0, DAY),
            t_mean=t_mean,
            t_year=rng.uniform(4.0, 8.0),
            t_day=rng.uniform(0.8, 2.5),
            t_phase=6 * HOUR + rng.uniform(-HOUR, HOUR),  # peak ~ 12:00 UTC
            ratio=min(0.4, max(0.15, ratio)),
            nak_offset_work=round(rng.uniform(3.0, 60.0), 2),
            nak_offset_std=round(rng.uniform(10.0, 250.0), 2),
        )

    def std_volume(self, t: float) -> float:
        """Return the exact standard-volume counter (m³) at ``t``."""
        w_d, w_w = 2 * math.pi / DAY, 2 * math.pi / WEEK
        rate = self.q / HOUR
        day = (
            self.a_day
            / w_d
            * (
                math.cos(w_d * (_EPOCH - self.phase_day))
                - math.cos(w_d * (t - self.phase_day))
            )
        )
        week = (
            self.a_week
            / w_w
            * (
                math.cos(w_w * (_EPOCH - self.phase_week))
                - math.cos(w_w * (t - self.phase_week))
            )
        )
        return self.v0 + rate * ((t - _EPOCH) + day + week)

    def work_volume(self, t: float) -> float:
        """Return the exact working-volume counter (m³) at ``t``."""
        return self.std_volume(t) * self.ratio

    def pressure_kpa(self, t: int) -> float:
        """Return the absolute pressure (kPa) of the hour ending at ``t``."""
        wave = math.sin(2 * math.pi * (t - self.p_phase) / DAY)
        noise = unit_noise(self.key, 1, t // HOUR)
        return self.p_mean * (1 + 0.012 * wave + 0.004 * noise)

    def temperature(self, t: int) -> float:
        """Return the gas temperature (°C) of the hour ending at ``t``."""
        year = math.cos(2 * math.pi * (t - _JULY) / YEAR)
        day = math.sin(2 * math.pi * (t - self.t_phase) / DAY)
        noise = unit_noise(self.key, 2, t // HOUR)
        return self.t_mean + self.t_year * year + self.t_day * day + 0.15 * noise


def pressure_in_unit(kpa: float, equipment_type_id: int) -> tuple[float, int]:
    """Return ``(value, decimals)`` of a pressure in the equipment's own unit.

    BK reports kgf/cm² (4 decimals), Flowgaz kPa (2 decimals).
    """
    if equipment_type_id == FLOWGAZ:
        return kpa, 2
    return kpa / KGF_CM2_IN_KPA, 4


__all__ = [
    "BK",
    "DAY",
    "FLOWGAZ",
    "HOUR",
    "Physics",
    "brand_name",
    "make_customers",
    "make_station",
    "mix",
    "pressure_in_unit",
    "stable_hash",
    "unit_noise",
]
