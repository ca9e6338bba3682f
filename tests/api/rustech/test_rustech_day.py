"""A simulated (short) day of polling under fire loses nothing (issue 8).

The full day, with its figures, is in `scripts/bench`.
"""

from __future__ import annotations

import pytest

from tests.api.rustech.day import DayPlan, simulate_day


@pytest.mark.parametrize(
    "skew", [0.0, -30 * 86400.0], ids=["clocks agree", "server clock a month behind"]
)
async def test_a_day_of_faults_loses_nothing(socket_enabled: None, skew: float) -> None:
    report = await simulate_day(
        DayPlan(
            polls=32,
            stations=4,
            seed=3,
            restart_every=10,
            cancel_polls=(6, 19),
            clock_skew=skew,
        )
    )

    assert report.faulted > 10  # the faults did happen
    assert report.restarts >= 4
    assert report.lost_tokens == 0
    assert report.abandoned_sessions == 0
    assert report.live_sessions == 1
    assert report.sign_ins <= report.polls
    assert report.escaped == 0
    assert report.unexplained_failures == 0
    assert report.events > 5
    assert (report.duplicate_events, report.missed_events) == (0, 0)
    assert report.hourly_rows > 0
    assert (report.duplicate_rows, report.missing_rows) == (0, 0)
    assert len(report.lines()) == 7
