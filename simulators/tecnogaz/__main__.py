"""Run the Tecno-Gaz simulator from the command line until interrupted."""

from __future__ import annotations

import argparse

from simulators.common import run_cli, serve_until_stopped

from .app import TecnoGazSimulator
from .control import DEFAULT_TOKEN

LIVE_SCALE = 1 / 12
"""Live mode: a 45-minute cycle takes about 4 minutes, round the clock."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m simulators.tecnogaz",
        description="Serve a simulated Tecno-Gaz DISTRO API on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8125)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--sterilizers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every answer"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="cycles every few minutes round the clock, failures and alarms now "
        "and then (for a developer's running Home Assistant)",
    )
    return parser.parse_args(argv)


def make_simulator(args: argparse.Namespace) -> TecnoGazSimulator:
    """The simulator the command line describes."""
    live = bool(args.live)
    sim = TecnoGazSimulator(
        sterilizers=0,
        seed=args.seed,
        token=args.token,
        scale=LIVE_SCALE if live else 1.0,
        office_hours=not live,
        history_days=2 if live else 14,
    )
    if live:
        sim.rates = (0.12, 0.05, 0.10)
    for _ in range(max(0, args.sterilizers)):
        sim.add_sterilizer()
    sim.latency = args.latency
    return sim


async def run(args: argparse.Namespace) -> None:
    """Serve until interrupted (Ctrl+C) or terminated (SIGTERM)."""
    sim = make_simulator(args)
    await serve_until_stopped(
        sim.serve(args.host, args.port),
        lambda url: [
            f"Tecno-Gaz simulator listening on {url}",
            f"  token:       {args.token}",
            f"  sterilizers: {', '.join(sim.serials)}",
            f"  live: {args.live}",
        ],
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of `python -m simulators.tecnogaz`."""
    args = parse_args(argv)
    run_cli(lambda: run(args))


if __name__ == "__main__":
    main()
