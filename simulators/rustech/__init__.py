"""Simulator of the RusTech "Universal data collection server" web API.

A deterministic aiohttp server that mimics ``https://uztgs.uz/api/v1``:
devise_token_auth sessions (token rotation, 5 s batch window, 10 sessions
per user), the paged views of the vendor documents (customers, stations,
equipment types, channel table, archives, abnormal situations, settings) and
injectable faults. Typical use::

    sim = RusTechSimulator(clock=ManualClock(1_700_000_000))
    async with sim.serve() as base_url:
        ...  # point the client at base_url

Conventions: station ids 1, 2, ...; equipment ids 61, 63, ...; customer ids
13, 14, ...; station types alternate BK (even index) / Flowgaz. See
``archives`` for the event-time conventions and ``data.Physics`` for the value
model. The CLI is ``python -m simulators.rustech --help``.

Hostile servers: ``inject`` (or ``random_faults``, a seeded share of all
requests) spoils answers the ways ``faults`` lists (5xx, HTML, stalls before
the headers or mid-body, resets, bad gzip, truncated or deeply nested JSON,
paging lies, server-side expiry, a foreign ``uid``, a sign-in that opens a
session but answers 500); ``clock_skew`` moves every session expiry; and
``stale_token_count`` / ``open_session_count`` tell what a client lost.
"""

from .app import RusTechSimulator
from .clock import ManualClock
from .models import Customer, RequestRecord, SessionInfo, SimStation

__all__ = [
    "Customer",
    "ManualClock",
    "RequestRecord",
    "RusTechSimulator",
    "SessionInfo",
    "SimStation",
]
