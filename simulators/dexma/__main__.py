"""Run the DEXMA simulator from the command line until interrupted."""

from __future__ import annotations

import argparse

from simulators.common import run_cli, serve_until_stopped

from .app import DEFAULT_TOKEN, DexmaSimulator

LIVE_LAG = 300
"""With --live, readings appear five minutes after their interval ends."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m simulators.dexma",
        description="Serve a simulated DEXMA Energy Manager API v3 on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8126)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--devices", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hour-limit", type=int, default=1000)
    parser.add_argument("--day-limit", type=int, default=10_000)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every answer"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="readings appear 5 minutes after their interval (not 1-3 hours)",
    )
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> DexmaSimulator:
    """The simulator the arguments describe."""
    sim = DexmaSimulator(
        devices=args.devices,
        seed=args.seed,
        tokens=(args.token,),
        hour_limit=args.hour_limit,
        day_limit=args.day_limit,
        lag=LIVE_LAG if args.live else None,
    )
    sim.latency = args.latency
    return sim


async def run(args: argparse.Namespace) -> None:
    """Serve until interrupted (Ctrl+C) or terminated (SIGTERM)."""
    sim = build(args)
    await serve_until_stopped(
        sim.serve(args.host, args.port),
        lambda url: [
            f"DEXMA simulator listening on {url}",
            f"  token:   {args.token}",
            f"  devices: {len(sim.devices)}",
            f"  quota:   {args.hour_limit}/h {args.day_limit}/day",
            f"  live:    {args.live}",
        ],
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m simulators.dexma``."""
    args = parse_args(argv)
    run_cli(lambda: run(args))


if __name__ == "__main__":
    main()
