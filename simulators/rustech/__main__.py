"""Run the RusTech simulator from the command line until interrupted."""

from __future__ import annotations

import argparse

from simulators.common import run_cli, serve_until_stopped

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
    await serve_until_stopped(
        sim.serve(args.host, args.port),
        lambda url: [
            f"RusTech simulator listening on {url}",
            f"  email:    {args.email}",
            f"  password: {args.password}",
            f"  stations: {len(sim.stations)}  language: {args.language}",
            f"  live:     {args.live}",
        ],
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m simulators.rustech``."""
    args = parse_args(argv)
    run_cli(lambda: run(args))


if __name__ == "__main__":
    main()
