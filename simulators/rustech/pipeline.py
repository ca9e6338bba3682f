"""The simulator's aiohttp request pipeline: auth, views, injected faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import json
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDictProxy

from .auth import AuthPolicy, SessionStore, token_headers
from .catalog import HTML_404, SIGN_OUT_FAILED, UNAUTHENTICATED, Language
from .faults import (
    AFTER,
    PAGING_LIES,
    SHORT_CIRCUIT,
    Fault,
    FaultQueue,
    html_response,
    json_response,
    lie_about_pages,
    short_circuit_response,
    spoil,
    stream_spoiled,
)
from .models import RequestRecord, SessionInfo
from .views import VIEWS, envelope, to_int

if TYPE_CHECKING:
    from .app import RusTechSimulator

_STREAMED = frozenset({"stall_body", "reset_body"})


@dataclass
class _Outcome:
    response: web.Response
    authenticated: bool = False
    rotated: bool = False


class Pipeline:
    """Answers requests; `RusTechSimulator` supplies the state it reads."""

    clock: Callable[[], float]
    latency: float
    base_path: str
    batch_window: float
    accept_previous_token: bool
    token_lifespan: float
    max_sessions: int
    clock_skew: float
    requests: list[RequestRecord]
    _store: SessionStore
    _faults: FaultQueue

    @property
    def language(self) -> Language:  # pragma: no cover - defined by the app
        """Language of names, units and the 401 text."""
        raise NotImplementedError

    def _policy(self) -> AuthPolicy:
        return AuthPolicy(
            batch_window=self.batch_window,
            accept_previous_token=self.accept_previous_token,
            token_lifespan=self.token_lifespan,
            max_sessions=self.max_sessions,
            clock_skew=self.clock_skew,
        )

    def _relative(self, path: str) -> tuple[str, bool]:
        """Return the path relative to the base and whether it is under it."""
        base = "/" + self.base_path.strip("/")
        if base == "/":
            return path.strip("/"), True
        if path == base or path.startswith(base + "/"):
            return path[len(base) :].strip("/"), True
        return path.strip("/"), False

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        rel, inside = self._relative(request.path)
        params = await _read_params(request)
        fault = self._faults.take(rel, max(1, to_int(params.get("page")) or 1))
        if (
            fault is not None
            and fault.kind == "timeout"
            and fault.options.get("finish")
        ):
            # Rails finishes a request whose client gave up (rotation included).
            return await asyncio.shield(
                self._answer(request, rel, inside, params, fault)
            )
        return await self._answer(request, rel, inside, params, fault)

    async def _answer(
        self,
        request: web.Request,
        rel: str,
        inside: bool,  # noqa: FBT001
        params: dict[str, str],
        fault: Fault | None,
    ) -> web.StreamResponse:
        placeholder: RequestRecord | None = None
        if fault is not None and fault.kind == "timeout":
            placeholder = RequestRecord(
                method=request.method,
                path=rel,
                params=params,
                status=0,
                authenticated=False,
                rotated=False,
                at=self.clock(),
                fault=fault.kind,
            )
            self.requests.append(placeholder)
            await asyncio.sleep(float(fault.options.get("delay", 30)))
            fault = None
        if fault is not None and fault.kind == "expire_session":
            self._store.expire(request.headers.get("uid", ""), request.headers)
        now = self.clock()
        outcome = self._dispatch(request, rel if inside else "", params, now, fault)
        record = RequestRecord(
            method=request.method,
            path=rel,
            params=params,
            status=outcome.response.status,
            authenticated=outcome.authenticated,
            rotated=outcome.rotated,
            at=now,
            fault=None if fault is None else fault.kind,
        )
        index = next((i for i, r in enumerate(self.requests) if r is placeholder), None)
        if index is None:
            self.requests.append(record)
        else:
            self.requests[index] = record
        if fault is not None and fault.kind in _STREAMED:
            return await stream_spoiled(request, outcome.response, fault)
        return outcome.response

    def _dispatch(
        self,
        request: web.Request,
        rel: str,
        params: dict[str, str],
        now: float,
        fault: Fault | None,
    ) -> _Outcome:
        unauthenticated = UNAUTHENTICATED[self.language]
        if fault is not None and fault.kind in SHORT_CIRCUIT:
            return _Outcome(short_circuit_response(fault, unauthenticated))
        if (request.method, rel) == ("POST", "auth/sign_in"):
            outcome = self._sign_in(params, now)
        elif (request.method, rel) == ("DELETE", "auth/sign_out"):
            outcome = self._sign_out(request.headers, now)
        elif request.method == "GET" and rel in VIEWS:
            outcome = self._view(request.headers, rel, params, now, fault)
        else:
            return _Outcome(html_response(HTML_404, 404))
        if fault is not None and fault.kind in AFTER - _STREAMED:
            outcome.response = spoil(outcome.response, fault)
        return outcome

    def _sign_in(self, params: dict[str, str], now: float) -> _Outcome:
        email, password = params.get("email", ""), params.get("password", "")
        result = self._store.sign_in(email, password, now, self._policy())
        if isinstance(result, str):
            return _Outcome(json_response({"success": False, "errors": [result]}, 401))
        uid = self._store.user_email(email) or email
        data = {
            "id": self._store.user_id(uid),
            "email": uid,
            "provider": "email",
            "uid": uid,
            "name": "API user",
        }
        response = json_response({"data": data}, 200, token_headers(result, uid))
        return _Outcome(response, authenticated=True, rotated=True)

    def _authenticate(
        self, headers: CIMultiDictProxy[str], now: float, *, count_stale: bool = True
    ) -> tuple[str, SessionInfo] | None:
        uid = headers.get("uid", "")
        session = self._store.find(
            uid,
            headers.get("client", ""),
            headers.get("access-token", ""),
            now,
            self._policy(),
            count_stale=count_stale,
        )
        return None if session is None else (uid, session)

    def _sign_out(self, headers: CIMultiDictProxy[str], now: float) -> _Outcome:
        found = self._authenticate(headers, now, count_stale=False)
        if found is None:
            body = {"success": False, "errors": [SIGN_OUT_FAILED]}
            return _Outcome(json_response(body, 404))
        self._store.sign_out(*found)
        return _Outcome(json_response({"success": True}), authenticated=True)

    def _view(
        self,
        headers: CIMultiDictProxy[str],
        rel: str,
        params: dict[str, str],
        now: float,
        fault: Fault | None,
    ) -> _Outcome:
        found = self._authenticate(headers, now)
        if found is None:
            body = {"errors": [UNAUTHENTICATED[self.language]]}
            return _Outcome(json_response(body, 401))
        uid, session = found
        sim = cast("RusTechSimulator", self)
        page = max(1, to_int(params.get("page")) or 1)
        kind = "" if fault is None else fault.kind
        if kind == "vanish_page":
            status, payload = 200, envelope(sim, [], page - 1, page)
        else:
            status, payload = VIEWS[rel](sim, params, now)
        if kind in PAGING_LIES and isinstance(payload.get("data"), list):
            total = int(payload.get("total_pages") or 0)
            if kind == "endless_pages" and page > max(1, total):
                # Past the end: the last real page again, as if it were this one.
                last = {**params, "page": str(max(1, total))}
                status, payload = VIEWS[rel](sim, last, now)
                payload["current_page"] = page
            lie_about_pages(payload, kind, page)
        unbatch = params.get("unbatch", "").strip().lower() == "true"
        token, rotated = self._store.after_request(
            uid, session, now, self._policy(), unbatch=unbatch
        )
        response = json_response(payload, status, token)
        return _Outcome(response, authenticated=True, rotated=rotated)


def _stringify(value: Any) -> str:
    """Render a JSON body value the way Rails params would see it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


async def _read_params(request: web.Request) -> dict[str, str]:
    """Merge the JSON (or form) body and the query string; the query wins."""
    merged: dict[str, str] = {}
    if request.can_read_body:
        text = (await request.read()).decode("utf-8", "replace").strip()
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = dict(parse_qsl(text, keep_blank_values=True))
        if isinstance(body, dict):
            merged.update({str(k): _stringify(v) for k, v in body.items()})
    for key in request.query:
        merged[key] = request.query[key]
    return merged
