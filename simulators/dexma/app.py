"""The DEXMA simulator: public control API and the aiohttp request pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
import time
from typing import Any

from aiohttp import web

from simulators.common import serve_app

from .limits import (
    GARBAGE_QUOTA,
    Fault,
    FaultQueue,
    QuotaState,
    fault_response,
    json_response,
)
from .portfolio import HOUR, SimDevice, SimLocation, SimParameter, make_portfolio
from .readings import (
    OPERATIONS,
    RESOLUTIONS,
    RangeError,
    check_span,
    parse_local,
    values,
)

DEFAULT_TOKEN = "0123456789abcdef0123"  # noqa: S105 - the simulator's test token
ENTITY_NOT_FOUND = {"errors": [{"message": "Entity not found"}]}
MAX_LIMIT = 500
NO_CONTENT = 204
RESOLUTION_LIST = ["B", "FM", "QH", "H", "D", "W", "M"]


@dataclass(frozen=True)
class RequestRecord:
    """One request as it was answered (`status` 0 while a stall holds it)."""

    method: str
    path: str
    params: dict[str, str]
    status: int
    at: float
    charged: bool


def _validation(message: str, field: str) -> dict[str, Any]:
    """The 422 body in the shape of the documentation's example."""
    return {
        "status": 422,
        "code": "E422",
        "message": "Entity validation error",
        "errors": [1],
        "0": {"message": message, "field": field},
    }


def _int(text: str | None) -> int | None:
    if text is None or not text.strip().lstrip("-").isdigit():
        return None
    return int(text)


class DexmaSimulator:
    """A deterministic, in-process DEXMA Energy Manager API v3.

    Every constructor option is a public attribute that may change while
    the server runs. See the package docstring for the conventions.
    """

    def __init__(
        self,
        *,
        devices: int = 12,
        seed: int = 1,
        clock: Callable[[], float] = time.time,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        hour_limit: int = 1000,
        day_limit: int = 10_000,
        history_days: int = 800,
        lag: int | None = None,
        wrap_lists: bool = False,
        default_limit: int = 20,
        base_path: str = "/v3",
    ) -> None:
        """Create the portfolio; nothing listens until `serve`."""
        self.seed = seed
        self.clock = clock
        self.tokens = set(tokens)
        self.quota = QuotaState(hour_limit=hour_limit, day_limit=day_limit)
        self.history_days = history_days
        self.wrap_lists = wrap_lists
        self.default_limit = default_limit
        self.base_path = base_path
        self.latency = 0.0
        self.requests: list[RequestRecord] = []
        self.locations: list[SimLocation]
        self.devices: list[SimDevice]
        self.locations, self.devices = make_portfolio(devices, seed, lag=lag)
        self._faults = FaultQueue()
        self._start = float(clock())
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    # ----------------------------------------------------------- control API
    def serve(
        self, host: str = "127.0.0.1", port: int = 0
    ) -> AbstractAsyncContextManager[str]:
        """Listen on `host:port` (0 = any free port); yield the base URL."""
        return serve_app(self.app, self.base_path, host, port, shutdown_timeout=0.2)

    @property
    def history_start(self) -> float:
        """The first instant with data."""
        return self._start - self.history_days * 86400

    def device(self, device_id: int) -> SimDevice:
        """The device with this id (KeyError if none)."""
        for device in self.devices:
            if device.id == device_id:
                return device
        raise KeyError(device_id)

    def parameter(self, device_id: int, key: str) -> SimParameter:
        """A device's parameter (KeyError if none)."""
        return self.device(device_id).parameters[key]

    def value_at(self, device_id: int, key: str, when: datetime | float) -> float:
        """The exact (unrounded) value of a parameter at an instant."""
        at = when.timestamp() if isinstance(when, datetime) else when
        return self.parameter(device_id, key).value(at)

    def hide_device(self, device_id: int, *, hidden: bool = True) -> None:
        """Make a device answer 403 "Entity not found" (or visible again)."""
        self.device(device_id).hidden = hidden

    def correct_hour(
        self, device_id: int, key: str, hour_start: datetime | float, value: float
    ) -> None:
        """Change a past hour's consumption to `value`; later counters follow."""
        param = self.parameter(device_id, key)
        if not param.cumulative:
            raise ValueError(f"{key} is not cumulative")
        start = int(
            hour_start.timestamp() if isinstance(hour_start, datetime) else hour_start
        )
        current = param.value(start + HOUR) - param.value(start)
        param.corrections[start] = param.corrections.get(start, 0.0) + value - current

    def set_quota(
        self,
        *,
        hour_limit: int | None = None,
        day_limit: int | None = None,
        hour_remaining: int | None = None,
        day_remaining: int | None = None,
    ) -> None:
        """Change the limits and/or what is left in the current windows."""
        now = self.clock()
        self.quota.roll(now)
        if hour_limit is not None:
            self.quota.hour_limit = hour_limit
        if day_limit is not None:
            self.quota.day_limit = day_limit
        if hour_remaining is not None:
            self.quota.hour_used = max(0, self.quota.hour_limit - hour_remaining)
        if day_remaining is not None:
            self.quota.day_used = max(0, self.quota.day_limit - day_remaining)

    def inject(
        self, kind: str, *, count: int = 1, path: str | None = None, **options: Any
    ) -> None:
        """Make the next `count` requests (to `path`) fail as `kind`.

        Kinds: server_error (option status), unavailable (503 HTML),
        timeout (stall `delay` seconds, then answer), malformed_json, html
        (200 HTML), unauthorized, rate_limit (option retry_after),
        not_found, empty (204), garbage_quota, no_quota.
        """
        self._faults.add(kind, count, path, options)

    def request_count(self, path: str | None = None) -> int:
        """Requests received (of `path`, relative to the base path)."""
        if path is None:
            return len(self.requests)
        wanted = path.strip("/")
        return sum(1 for record in self.requests if record.path == wanted)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    # ------------------------------------------------------------- pipeline
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        base = "/" + self.base_path.strip("/")
        path = request.path
        rel = path[len(base) :].strip("/") if path.startswith(base + "/") else ""
        params = dict(request.query)
        fault = self._faults.take(rel)
        placeholder = RequestRecord(
            request.method, rel, params, 0, self.clock(), charged=False
        )
        self.requests.append(placeholder)
        if fault is not None and fault.kind == "timeout":
            await asyncio.sleep(float(fault.options.get("delay", 30)))
            fault = None
        response, charged = self._answer(request, rel, params, fault)
        index = self.requests.index(placeholder)
        self.requests[index] = RequestRecord(
            request.method, rel, params, response.status, placeholder.at, charged
        )
        return response

    def _answer(
        self,
        request: web.Request,
        rel: str,
        params: dict[str, str],
        fault: Fault | None,
    ) -> tuple[web.Response, bool]:
        now = self.clock()
        token = request.headers.get("x-dexcell-token", "")
        if token not in self.tokens or (fault and fault.kind == "unauthorized"):
            return json_response({"message": "Invalid token"}, 401), False
        wait = self.quota.charge(now)
        headers = self.quota.headers(now)
        if fault is not None and fault.kind == "garbage_quota":
            headers = dict(GARBAGE_QUOTA)
        elif fault is not None and fault.kind == "no_quota":
            headers = {}
        if wait is not None:
            headers["Retry-After"] = str(int(wait) + 1)
            body = {"message": "API rate limit exceeded"}
            return json_response(body, 429, headers), False
        canned = None if fault is None else fault_response(fault, headers)
        if canned is not None:
            return canned, True
        if request.method != "GET":
            return json_response({"message": "Method Not Allowed"}, 405, headers), True
        status, body = self._route(rel, params, now)
        if status == NO_CONTENT:
            return web.Response(status=204, headers=headers), True
        response = json_response(body, status, headers)
        if fault is not None and fault.kind == "malformed_json":
            text = response.text or "{}"
            response.text = text[: max(1, len(text) // 2)]
        return response, True

    def _route(self, rel: str, params: dict[str, str], now: float) -> tuple[int, Any]:
        parts = rel.split("/")
        visible = [device for device in self.devices if not device.hidden]
        answer: tuple[int, Any] = (404, {"message": "Not Found"})
        try:
            if rel == "devices":
                answer = self._page([d.as_json() for d in visible], params)
            elif rel == "locations":
                answer = self._page([loc.as_json() for loc in self.locations], params)
            elif rel == "parameters":
                answer = self._parameters(params)
            elif rel == "readings":
                answer = self._readings(params, now)
            elif parts[0] == "devices" and len(parts) == 2:  # noqa: PLR2004
                device = self._visible(_int(parts[1]))
                answer = (200, device.as_json()) if device else (403, ENTITY_NOT_FOUND)
            elif parts[0] == "locations" and len(parts) == 2:  # noqa: PLR2004
                found = [loc for loc in self.locations if str(loc.id) == parts[1]]
                answer = (200, found[0].as_json()) if found else answer
            elif parts[0] == "parameters" and parts[-1] == "resolutions":
                device = self._visible(_int(params.get("device_id")))
                answer = (200, RESOLUTION_LIST) if device else (403, ENTITY_NOT_FOUND)
        except RangeError as err:
            answer = 422, {"errors": [{"message": str(err), "field": err.field}]}
        return answer

    def _visible(self, device_id: int | None) -> SimDevice | None:
        for device in self.devices:
            if device.id == device_id and not device.hidden:
                return device
        return None

    def _page(self, rows: list[Any], params: dict[str, str]) -> tuple[int, Any]:
        start = _int(params.get("start", "0"))
        limit = _int(params.get("limit", str(self.default_limit)))
        if limit is None or limit < 1 or limit > MAX_LIMIT:
            return 422, _validation("must be less than or equal to 500", "limit")
        if start is None or start < 0:
            return 422, _validation("must be greater than or equal to 0", "start")
        page = rows[start : start + limit]
        return 200, {"data": page} if self.wrap_lists else page

    def _parameters(self, params: dict[str, str]) -> tuple[int, Any]:
        if "device_id" not in params:
            raise RangeError("'device_id' is required", "device_id")
        device = self._visible(_int(params.get("device_id")))
        if device is None:
            return 403, ENTITY_NOT_FOUND
        rows = [
            {
                "id": p.id,
                "key": p.key,
                "name": p.name,
                "units": p.units,
                "nature": p.nature,
            }
            for p in device.parameters.values()
        ]
        return self._page(rows, params)

    def _readings(self, params: dict[str, str], now: float) -> tuple[int, Any]:
        device = self._visible(_int(params.get("device_id")))
        if device is None:
            return 403, ENTITY_NOT_FOUND
        param = device.parameters.get(params.get("parameter_key", ""))
        if param is None:
            raise RangeError("unknown parameter_key for this device", "parameter_key")
        resolution = params.get("resolution", "")
        if resolution not in RESOLUTIONS:
            raise RangeError(f"resolution must be one of {RESOLUTIONS}", "resolution")
        operation = params.get("operation", "RAW")
        if operation not in OPERATIONS:
            raise RangeError(f"operation must be one of {OPERATIONS}", "operation")
        start = parse_local(params.get("from"), "from")
        end = parse_local(params.get("to"), "to")
        check_span(resolution, start, end)
        available = min(now - device.lag, now)
        rows = values(
            param,
            (resolution, operation),
            (start, end),
            device,
            (self.history_start, available),
        )
        if not rows:
            return 204, None
        body = {
            "timezone": device.location.timezone,
            "units": param.units,
            "values": rows,
        }
        return 200, body


__all__ = ["DEFAULT_TOKEN", "DexmaSimulator", "RequestRecord"]
