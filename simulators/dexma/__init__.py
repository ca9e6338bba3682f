"""Simulator of the DEXMA Energy Manager API v3.

A deterministic aiohttp server that mimics ``https://api.dexma.com/v3``:
token header ``x-dexcell-token``, bare-array lists paged with
``start``/``limit`` (max 500), devices, locations, parameters, resolutions
and readings at every resolution and operation, both error envelopes, 403
"Entity not found" for a device the token cannot see, 422 for bad ranges,
204 for empty ones, hourly and daily quotas with the documented headers on
every answer and 429 + ``Retry-After`` beyond them, late and corrected
data, and injectable faults. Typical use::

    sim = DexmaSimulator(devices=12, clock=ManualClock(1_763_802_000))
    async with sim.serve() as base_url:
        ...  # DexmaClient(session, DEFAULT_TOKEN, base_url=base_url)

Conventions: locations 501 Madrid (DST), 502 Adelaide (DST, +9:30/+10:30),
503 UTC, 504 without a time zone; device ``1001 + i`` stands in location
``i % 4`` and is an electricity meter (EACTIVE kWh, POWER kW, TEMP ºC,
VOLTAGE V), gas meter (GASVOLUME m³, GASENERGY kWh), water meter (WATERVOL
m3) or climate sensor (TEMP °C, POWER W) for ``(i // 4) % 4`` = 0..3.
Readings of an interval appear once it ended at least the device's lag
(1, 2 or 3 hours, cycling) ago. The CLI is ``python -m simulators.dexma``.
"""

from simulators.common import ManualClock

from .app import DEFAULT_TOKEN, DexmaSimulator, RequestRecord
from .portfolio import SimDevice, SimLocation, SimParameter

__all__ = [
    "DEFAULT_TOKEN",
    "DexmaSimulator",
    "ManualClock",
    "RequestRecord",
    "SimDevice",
    "SimLocation",
    "SimParameter",
]
