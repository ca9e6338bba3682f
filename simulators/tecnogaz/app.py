"""The Tecno-Gaz simulator: the aiohttp request pipeline and the API views.

The control API (machines, tokens, faults, the request log) is in
`control.TecnoGazControl`, which `TecnoGazSimulator` extends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
import math
import random
import re
import time
from typing import Any

from aiohttp import web

from simulators.common import serve_app

from .catalog import HTML_404
from .control import DEFAULT_TOKEN, RequestRecord, TecnoGazControl
from .faults import (
    SHORT_CIRCUIT,
    Fault,
    error_response,
    html_response,
    json_response,
    mutate,
    raw_response,
    short_circuit,
    truncate,
)
from .machine import SimSterilizer
from .render import Renderer

BASE_PATH = "/tgzgateway/services"
TOKEN_HEADER = "x-tgz-distro-token"  # noqa: S105 - a header name
ROUTES: dict[str, re.Pattern[str]] = {
    "devices": re.compile(r"/devices"),
    "device": re.compile(r"/devices/(?P<serial>[^/]+)"),
    "cycles": re.compile(r"/devices/(?P<serial>[^/]+)/cycles"),
    "report": re.compile(r"/devices/(?P<serial>[^/]+)/cycles/(?P<number>[^/]+)/report"),
    "alarms": re.compile(r"/devices/(?P<serial>[^/]+)/alarms"),
}
"""The simulator's own copy of the contract (v1): call -> path."""
MAX_PAGE_SIZE = 500
EPOCH_MS_ABOVE = 100_000_000_000
HTTP_OK = 200


@dataclass(frozen=True)
class _Ask:
    """What one request asks for."""

    call: str
    args: dict[str, str]
    token: str
    now: float
    fault: Fault | None


class _BadRequestError(Exception):
    """A query parameter the server cannot read (400)."""


def _parse_time(value: str | None, name: str) -> float | None:
    """Read a query time: ISO 8601 or epoch seconds/milliseconds."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise _BadRequestError(f"'{name}' is not a time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    if not math.isfinite(number):
        raise _BadRequestError(f"'{name}' is not a time")
    return number / 1000 if number > EPOCH_MS_ABOVE else number


def _parse_int(value: str | None, name: str, default: int) -> int:
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise _BadRequestError(f"'{name}' is not a number") from None
    if number < 1:
        raise _BadRequestError(f"'{name}' must be positive")
    return number


class TecnoGazSimulator(TecnoGazControl):
    """A deterministic, in-process Tecno-Gaz DISTRO API (contract v1).

    Typical use::

        sim = TecnoGazSimulator(sterilizers=2, clock=ManualClock(START))
        async with sim.serve() as base_url:
            ...  # a client with base_url and the token sim.token

    See `TecnoGazControl` for what a test can change and inspect.
    """

    def __init__(
        self,
        *,
        sterilizers: int = 2,
        seed: int = 1,
        clock: Callable[[], float] = time.time,
        token: str = DEFAULT_TOKEN,
        auto: bool = True,
        history_days: float = 14,
        scale: float = 1.0,
        office_hours: bool = True,
        base_path: str = BASE_PATH,
    ) -> None:
        """Create the machines; nothing listens until `serve`."""
        super().__init__(
            sterilizers=sterilizers,
            seed=seed,
            clock=clock,
            token=token,
            auto=auto,
            history_days=history_days,
            scale=scale,
            office_hours=office_hours,
        )
        self.base_path = "/" + base_path.strip("/")
        self.rate_limit = 100
        """Calls per `rate_window` seconds per token; more answer 429."""
        self.rate_window = 60.0
        self.cdn_max_age = 60
        """The `Cache-Control: max-age` every answer carries."""
        self.cache_ttl = 0.0
        """Seconds an answer is served from the CDN cache (0: no cache)."""
        self.stale_rate = 0.0
        """Share of answers served as an older snapshot."""
        self.stale_age = (30.0, 300.0)
        """Seconds back a random stale snapshot is (range)."""
        self.latency = 0.0
        self.received = 0
        """Requests received since the start (the log may be cleared)."""
        self._stale_rng = random.Random(f"stale/{seed}")
        self._cache: dict[tuple[str, str, str], float] = {}
        self._answers = 0
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    def serve(
        self, host: str = "127.0.0.1", port: int = 0
    ) -> AbstractAsyncContextManager[str]:
        """Listen on `host:port` (0: any free port); yield the base URL."""
        return serve_app(self.app, self.base_path, host, port, shutdown_timeout=0.1)

    # ------------------------------------------------------------- pipeline
    def _route(self, path: str) -> tuple[str | None, dict[str, str]]:
        if path != self.base_path and not path.startswith(self.base_path + "/"):
            return None, {}
        rel = "/" + path[len(self.base_path) :].strip("/")
        for call, pattern in ROUTES.items():
            if match := pattern.fullmatch(rel):
                return call, match.groupdict()
        return None, {}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        now = self.clock()
        call, args = self._route(request.path)
        token = request.headers.get(TOKEN_HEADER)
        record = RequestRecord(
            request.method, request.path, call, dict(request.query), token, 0, now
        )
        self.requests.append(record)
        self.received += 1
        fault = self._faults.take(call)
        if fault is not None and fault.kind == "timeout":
            await asyncio.sleep(float(fault.options.get("delay", 30)))
            fault = None
        if fault is not None and fault.kind == "reset":
            request.transport.close()  # type: ignore[union-attr]
            return web.Response(status=500)
        response = self._refusal(request, call, token, now, fault)
        if response is None:
            assert call is not None  # noqa: S101 - _refusal checked it
            assert token is not None  # noqa: S101
            response = self._answer(request, _Ask(call, args, token, now, fault))
        record.status = response.status
        if fault is not None and fault.kind == "partial":
            return await self._partial(request, response)
        return response

    def _refusal(
        self,
        request: web.Request,
        call: str | None,
        token: str | None,
        now: float,
        fault: Fault | None,
    ) -> web.Response | None:
        """The answer of a request that gets no data, if it gets none."""
        if fault is not None and fault.kind in SHORT_CIRCUIT:
            return short_circuit(fault)
        if fault is not None and fault.kind == "raw":
            return raw_response(fault)
        if call is None or call in self.broken_calls or request.method != "GET":
            return html_response(HTML_404, 404)
        if token is None or not self.token_valid(token, now):
            return error_response(401, "unauthorized", "Invalid or expired token")
        return self._over_limit(token, now)

    def _answer(self, request: web.Request, ask: _Ask) -> web.Response:
        """The data a request asks for, as of the snapshot it gets."""
        age = self._snapshot_age(ask.token, request, ask.now, ask.fault)
        try:
            response = self._view(ask, request.query, ask.now - age)
        except _BadRequestError as err:
            return error_response(400, "bad_request", str(err))
        if response.status == HTTP_OK:
            response.headers["Cache-Control"] = f"public, max-age={self.cdn_max_age}"
            response.headers["Age"] = str(round(age))
        if ask.fault is not None and ask.fault.kind == "malformed_json":
            truncate(response)
        if ask.fault is not None and ask.fault.kind == "mutate":
            return mutate(response, ask.fault)
        return response

    async def _partial(
        self, request: web.Request, response: web.Response
    ) -> web.StreamResponse:
        body = response.body if isinstance(response.body, bytes) else b"{}"
        stream = web.StreamResponse(
            headers={"Content-Type": "application/json"}, status=response.status
        )
        stream.content_length = len(body)
        await stream.prepare(request)
        await stream.write(body[: len(body) // 2])
        request.transport.close()  # type: ignore[union-attr]
        return stream

    def _over_limit(self, token: str, now: float) -> web.Response | None:
        """429 when the token used up its calls in the rolling window."""
        window = self._windows.setdefault(token, [])
        window[:] = [t for t in window if t > now - self.rate_window]
        if len(window) >= self.rate_limit:
            retry = max(1, math.ceil(window[0] + self.rate_window - now))
            return error_response(
                429,
                "rate_limited",
                f"More than {self.rate_limit} calls per minute",
                {"Retry-After": str(retry)},
            )
        window.append(now)
        return None

    def _snapshot_age(
        self, token: str, request: web.Request, now: float, fault: Fault | None
    ) -> float:
        """How old the answer is (CDN cache, a stale region, a stale fault)."""
        if fault is not None and fault.kind == "stale":
            return float(fault.options.get("age", 120))
        if self.stale_rate > 0 and self._stale_rng.random() < self.stale_rate:
            return self._stale_rng.uniform(*self.stale_age)
        if self.cache_ttl > 0:
            key = (token, request.path, request.query_string)
            filled = self._cache.get(key)
            if filled is not None and now - filled < self.cache_ttl:
                return now - filled
            self._cache[key] = now
        return 0.0

    # ---------------------------------------------------------------- views
    def _view(self, ask: _Ask, query: Any, at: float) -> web.Response:
        for each in self.machines.values():
            each.extend(self.clock())
        self._answers += 1
        render = Renderer(self.style, self._answers, self.seed)
        if ask.call == "devices":
            tied = self.tokens[ask.token]
            rows = [render.device(m, at) for s, m in self.machines.items() if s in tied]
            return json_response(render.listing("devices", rows, {}))
        machine = self._machine_for(ask)
        if isinstance(machine, web.Response):
            return machine
        if ask.call == "device":
            return json_response(render.device(machine, at))
        if ask.call == "report":
            return self._report(render, machine, ask.args["number"], at)
        start = _parse_time(query.get("from"), "from") or -math.inf
        end = _parse_time(query.get("to"), "to") or math.inf
        if ask.call == "alarms":
            active = query.get("active", "").strip().lower() == "true"
            return self._alarms(render, machine, (start, end), at, active=active)
        page = _parse_int(query.get("page"), "page", 1)
        size = min(_parse_int(query.get("pageSize"), "pageSize", 100), MAX_PAGE_SIZE)
        cycles = [c for c in machine.visible_cycles(at) if start <= c.start <= end]
        cycles.reverse()
        rows = [render.cycle(c, at) for c in cycles[(page - 1) * size : page * size]]
        extra = {
            "page": render.number(page),
            "pageSize": render.number(size),
            "total": render.number(len(cycles)),
        }
        return json_response(render.listing("cycles", rows, extra))

    def _machine_for(self, ask: _Ask) -> SimSterilizer | web.Response:
        """The machine a request names, or its 404 (unknown) or 403 (foreign)."""
        serial = ask.args["serial"]
        machine = self.machines.get(serial)
        if machine is None:
            return error_response(404, "not_found", f"Unknown serial {serial}")
        if serial not in self.tokens[ask.token]:
            return error_response(403, "forbidden", "Serial not tied to this token")
        return machine

    @staticmethod
    def _alarms(
        render: Renderer,
        machine: SimSterilizer,
        window: tuple[float, float],
        at: float,
        *,
        active: bool,
    ) -> web.Response:
        start, end = window
        alarms = [
            render.alarm(alarm, at)
            for alarm in machine.visible_alarms(at)
            if start <= alarm.raised_at <= end and (not active or alarm.active_at(at))
        ]
        return json_response(render.listing("alarms", alarms, {}))

    @staticmethod
    def _report(
        render: Renderer, machine: SimSterilizer, number: str, at: float
    ) -> web.Response:
        cycle = next(
            (c for c in machine.visible_cycles(at) if str(c.number) == number), None
        )
        if cycle is None or not cycle.finished_at(at):
            return error_response(404, "not_found", f"No report for cycle {number}")
        return json_response(render.report(machine, cycle))


__all__ = ["BASE_PATH", "DEFAULT_TOKEN", "ROUTES", "TecnoGazSimulator"]
