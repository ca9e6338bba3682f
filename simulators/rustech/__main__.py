"""Run the RusTech simulator from the command line until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from .app import RusTechSimulator

LIVE_SESSION_PERIODS = (600, 900, 1800)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m simulators.rustech",
        description="Serve a simulated RusTech data server on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument("--stations", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--email", default="dev@telemetry-hub.local")
    parser.add_argument("--password", default="devpassword")
    parser.add_argument("--language", choices=("ru", "en"), default="ru")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every response"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="short session periods (10, 15, 30 min) so values change quickly",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    """Serve until interrupted (Ctrl+C) or terminated (SIGTERM)."""
    sim = RusTechSimulator(
        stations=args.stations,
        seed=args.seed,
        users={args.email: args.password},
        language=args.language,
        session_periods=LIVE_SESSION_PERIODS if args.live else (3600, 86400),
    )
    sim.latency = args.latency
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with sim.serve(args.host, args.port) as base_url:
        out = sys.stdout
        out.write(f"RusTech simulator listening on {base_url}\n")
        out.write(f"  email:    {args.email}\n  password: {args.password}\n")
        out.write(f"  stations: {len(sim.stations)}  language: {args.language}")
        out.write(f"  live: {args.live}\nPress Ctrl+C to stop.\n")
        out.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m simulators.rustech``."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
