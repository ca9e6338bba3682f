"""Simulator of the Tecno-Gaz DISTRO API (steam sterilizers), contract v1.

A deterministic aiohttp server that mimics
``https://s.tecnogaz.com/tgzgateway/services`` as our provisional contract
describes it: tokens tied to serial lists (401, 403, 404 with
``{"error", "message"}`` bodies), AURA and ONYX sterilizers that run cycles
over time (programs, outcomes, daily tests), alarms and warnings raised and
cleared, reports with phases and samples, the 100 calls per rolling minute
per token (429 with Retry-After), CDN staleness, fault switches and answer
variations. Typical use::

    sim = TecnoGazSimulator(sterilizers=2, clock=ManualClock(START), auto=False)
    async with sim.serve() as base_url:
        sim.run_cycle(sim.serials[0], "B134", "failed", error_code="E05")
        ...  # TecnoGazClient(session, sim.token, base_url=base_url)

The first two serials are the examples of Tecno-Gaz's documentation
(``PXZPB5899``, an AURA; ``OWZXY8927``, an ONYX). The CLI is
``python -m simulators.tecnogaz --help``.
"""

from simulators.common import ManualClock

from .app import BASE_PATH, ROUTES, TecnoGazSimulator
from .control import DEFAULT_TOKEN, RequestRecord
from .machine import SimAlarm, SimCycle, SimSterilizer
from .render import Style

__all__ = [
    "BASE_PATH",
    "DEFAULT_TOKEN",
    "ROUTES",
    "ManualClock",
    "RequestRecord",
    "SimAlarm",
    "SimCycle",
    "SimSterilizer",
    "Style",
    "TecnoGazSimulator",
]
