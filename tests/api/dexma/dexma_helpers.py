"""A scripted HTTP server for the DEXMA client tests (canned answers)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json

from aiohttp import web


class Script:
    """A server that answers from a list of canned answers (the last repeats)."""

    def __init__(self) -> None:
        self.answers: list[Callable[[web.Request], web.StreamResponse]] = []
        self.requests: list[web.Request] = []
        self.queries: list[dict[str, str]] = []

    def add(
        self,
        status: int = 200,
        body: object = None,
        *,
        text: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
        delay: float = 0.0,
    ) -> Script:
        """Queue one answer: `body` as JSON, or a raw `text`."""

        async def answer(request: web.Request) -> web.StreamResponse:
            if delay:
                await asyncio.sleep(delay)
            if status == 204:
                return web.Response(status=204, headers=headers)
            raw = json.dumps(body) if text is None else text
            payload = raw.encode() if isinstance(raw, str) else raw
            return web.Response(
                status=status, body=payload, headers=headers, content_type=content_type
            )

        self.answers.append(answer)  # type: ignore[arg-type]
        return self

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        self.queries.append(dict(request.query))
        if not self.answers:
            return web.Response(status=500)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return await answer(request)
