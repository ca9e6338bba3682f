"""What every vendor simulator shares: a manual clock, serving, the CLI loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
import contextlib
from contextlib import AbstractAsyncContextManager, asynccontextmanager
import signal
import sys

from aiohttp import web


class ManualClock:
    """Callable clock: returns the current time, then advances it by ``tick``."""

    def __init__(self, start: float, *, tick: float = 0.0) -> None:
        """Start at ``start`` (unix seconds); every call advances by ``tick``."""
        self._now = float(start)
        self.tick = float(tick)

    def __call__(self) -> float:
        """Return the current time, then advance it by ``tick``."""
        now = self._now
        self._now += self.tick
        return now

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or backward, if negative) by ``seconds``."""
        self._now += seconds

    def set(self, timestamp: float) -> None:
        """Set the clock to ``timestamp`` (unix seconds)."""
        self._now = float(timestamp)

    def __repr__(self) -> str:
        """Show the current time without advancing it."""
        return f"ManualClock({self._now!r}, tick={self.tick!r})"


@asynccontextmanager
async def serve_app(
    app: web.Application,
    base_path: str,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    shutdown_timeout: float = 0.2,
) -> AsyncIterator[str]:
    """Listen on ``host:port`` (0 = any free port); yield the API's base URL."""
    runner = web.AppRunner(
        app,
        handler_cancellation=True,
        shutdown_timeout=shutdown_timeout,
        access_log=None,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        shown = f"[{host}]" if ":" in host else host
        yield f"http://{shown}:{bound}{base_path.rstrip('/')}"
    finally:
        await runner.cleanup()


async def serve_until_stopped(
    serving: AbstractAsyncContextManager[str],
    banner: Callable[[str], Sequence[str]],
) -> None:
    """Serve, print the banner lines for the base URL, wait for SIGTERM."""
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with serving as base_url:
        out = sys.stdout
        for line in banner(base_url):
            out.write(f"{line}\n")
        out.write("Press Ctrl+C to stop.\n")
        out.flush()
        await stop.wait()


def run_cli(serve: Callable[[], Coroutine[object, object, None]]) -> None:
    """Run a simulator's CLI until interrupted (Ctrl+C) or terminated."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
