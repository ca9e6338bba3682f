"""A simulated sterilizer: cycles and alarms over time, deterministic.

Everything a machine did has a time, so its state can be shown as of any
instant: a cycle is running between its start and its end, an alarm is
active between its raise and its clear. That is how the simulator serves
an older snapshot (a stale CDN page): it shows the machines as they were.

Cycles come from a generator seeded by the simulator's seed and the serial:
working days (07:30-19:00, no Sundays) that start with the vacuum test and
a Bowie-Dick or Helix test, then sterilization cycles with gaps; mostly
passed, some failed (fatal failures raise an `alarm`), some aborted, and
now and then a warning (water tank empty, waste tank full, door gasket).
`scale` shrinks every duration and gap (the CLI's live mode).
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import random

from .catalog import (
    BLOCKING_WARNINGS,
    DAILY_PROGRAMS,
    FAILURES,
    FATAL_CLEAR_AFTER,
    OPERATORS,
    PROGRAMS,
    WARNINGS,
    Failure,
    ProgramSpec,
)

DAY = 86400.0
OPENS = 7.5 * 3600
CLOSES = 19 * 3600
GAP = (600.0, 3600.0)
"""Seconds between two cycles on a working day."""
DONE_FOR = 600.0
"""Seconds a finished cycle shows as `done`/`failed` before `ready`."""
HEARTBEAT = 60.0
SUNDAY = 3
"""Days since 1970-01-01 (a Thursday) modulo 7 that are Sundays."""


@dataclass
class SimCycle:
    """One cycle; `end` None while a manually started one runs on."""

    number: int
    program: str
    program_name: str
    start: float
    end: float | None
    result: str
    """The outcome once it ends: passed, failed or aborted."""
    error_code: str | None = None
    error_text: str | None = None
    temperature: tuple[float, float] | None = None
    pressure: tuple[float, float] | None = None
    hold_seconds: int = 0
    operator: str | None = None

    def running_at(self, t: float) -> bool:
        """Whether the cycle runs at `t`."""
        return self.start <= t and (self.end is None or t < self.end)

    def finished_at(self, t: float) -> bool:
        """Whether the cycle is over at `t`."""
        return self.end is not None and self.end <= t


@dataclass
class SimAlarm:
    """An alarm or warning; `cleared_at` None while nobody cleared it."""

    id: int
    code: str
    text: str
    severity: str
    raised_at: float
    cleared_at: float | None = None
    cycle_number: int | None = None

    def active_at(self, t: float) -> bool:
        """Whether the alarm is active at `t`."""
        return self.raised_at <= t and (self.cleared_at is None or t < self.cleared_at)


class SimSterilizer:
    """One AURA or ONYX sterilizer."""

    def __init__(
        self,
        serial: str,
        model: str,
        *,
        index: int,
        seed: int,
        created: float,
        history_days: float,
        auto: bool,
        scale: float = 1.0,
        office_hours: bool = True,
        failure_rate: float = 0.06,
        abort_rate: float = 0.03,
        warning_rate: float = 0.04,
    ) -> None:
        """Generate the history up to `created`; `auto` keeps it running."""
        self.serial = serial
        self.model = model
        self.firmware = "3.2.1" if model == "AURA" else "2.8.4"
        self.auto = auto
        self.scale = scale
        self.office_hours = office_hours
        self.rates = (failure_rate, abort_rate, warning_rate)
        self.rng = random.Random(f"{seed}/{serial}")
        self.cycles: list[SimCycle] = []
        self.alarms: list[SimAlarm] = []
        self.offline_since: float | None = None
        self.counter_extra = self.rng.randint(50, 3000)
        self._first_number = self.rng.randint(100, 5000)
        self._alarm_ids = (index + 1) * 1_000_000
        self._last_day: int | None = None
        self._tests: list[str] = []
        self._next_start = self._plan(created - history_days * DAY)
        self._extend(created, history=True)
        self.created = created

    # ------------------------------------------------------------ time
    def extend(self, until: float) -> None:
        """Let the machine run (generate cycles) up to `until`."""
        if self.auto:
            self._extend(until, history=False)

    def _extend(self, until: float, *, history: bool) -> None:
        while self._next_start <= until and not self._open():
            spec = PROGRAMS[self._pick_program(self._next_start)]
            duration = self.rng.randint(*spec.duration) * self.scale
            quiet_by = until - DONE_FOR * self.scale  # a quiet machine is `ready`
            if history and not self.auto and self._next_start + duration > quiet_by:
                self._next_start = math.inf  # a quiet machine: nothing half-done
                return
            failure = self._pick_failure(spec)
            cycle = self._make_cycle(spec, self._next_start, duration, failure)
            self.cycles.append(cycle)
            end = cycle.end if cycle.end is not None else cycle.start
            resume = end
            if failure is not None and failure.fatal:
                alarm = self._add_alarm(failure.code, failure.text, "alarm", end)
                alarm.cycle_number = cycle.number
                clear = self.rng.uniform(*FATAL_CLEAR_AFTER) * self.scale
                alarm.cleared_at = end + clear
                resume = alarm.cleared_at
            if self.rng.random() < self.rates[2]:
                spec_w = self.rng.choice(WARNINGS)
                raised = end + self.rng.uniform(0, 60) * self.scale
                warning = self._add_alarm(spec_w.code, spec_w.text, "warning", raised)
                warning.cleared_at = raised + (
                    self.rng.uniform(*spec_w.clear_after) * self.scale
                )
                if spec_w.code in BLOCKING_WARNINGS:
                    resume = max(resume, warning.cleared_at)
            self._next_start = self._plan(resume)
        if history and not self.auto:
            self.alarms = [a for a in self.alarms if (a.cleared_at or 0) <= until]

    def _plan(self, after: float) -> float:
        """The start of the next cycle after `after`."""
        start = after + self.rng.uniform(*GAP) * self.scale
        if not self.office_hours:
            return start
        day = math.floor(start / DAY) * DAY
        if start - day < OPENS:
            start = day + OPENS + self.rng.uniform(0, 1800)
        elif start - day > CLOSES:
            start = day + DAY + OPENS + self.rng.uniform(0, 1800)
        if math.floor(start / DAY) % 7 == SUNDAY:
            start += DAY
        return start

    def _pick_program(self, start: float) -> str:
        day = int(start // (DAY * (1 if self.office_hours else self.scale)))
        if day != self._last_day:
            self._last_day = day
            self._tests = ["VACUUM", "BD" if day % 2 else "HELIX"]
        if self._tests:
            return self._tests.pop(0)
        codes = [code for code, _ in DAILY_PROGRAMS]
        weights = [weight for _, weight in DAILY_PROGRAMS]
        return self.rng.choices(codes, weights)[0]

    def _pick_failure(self, spec: ProgramSpec) -> Failure | None:
        failure_rate, abort_rate, _ = self.rates
        draw = self.rng.random()
        if draw < abort_rate:
            return self.rng.choice([f for f in FAILURES if f.result == "aborted"])
        if draw < abort_rate + failure_rate:
            fits = [
                f
                for f in FAILURES
                if f.result == "failed"
                and (spec.code in f.programs if spec.test else not f.programs)
            ]
            return self.rng.choice(fits) if fits else None
        return None

    def _make_cycle(
        self,
        spec: ProgramSpec,
        start: float,
        duration: float | None,
        failure: Failure | None,
        operator: str | None = None,
    ) -> SimCycle:
        number = self.cycles[-1].number + 1 if self.cycles else self._first_number
        hold = round(spec.hold * self.scale)
        if duration is not None and failure is not None:
            duration *= self.rng.uniform(0.3, 0.9)
            hold = round(hold * self.rng.uniform(0.0, 0.8))
        cycle = SimCycle(
            number=number,
            program=spec.code,
            program_name=spec.name,
            start=start,
            end=None if duration is None else start + max(1.0, duration),
            result="passed" if failure is None else failure.result,
            error_code=None if failure is None else failure.code,
            error_text=None if failure is None else failure.text,
            hold_seconds=max(0, hold),
            operator=operator or self.rng.choice(OPERATORS),
        )
        self._hold_values(cycle, spec)
        return cycle

    def _hold_values(self, cycle: SimCycle, spec: ProgramSpec) -> None:
        rng = self.rng
        low_temp = cycle.error_code == "E05"
        high_pressure = cycle.error_code == "E06"
        if spec.temperature is not None:
            low = spec.temperature + rng.uniform(0.0, 0.4)
            if low_temp:
                low = spec.temperature - rng.uniform(1.5, 3.0)
            cycle.temperature = (round(low, 1), round(low + rng.uniform(0.8, 1.8), 1))
        low_p = spec.pressure * rng.uniform(1.0, 1.01)
        high_p = low_p * rng.uniform(1.02, 1.06)
        if high_pressure:
            high_p = spec.pressure * 1.2
        if cycle.error_code == "E08":
            high_p = spec.pressure * 2.0
        cycle.pressure = (round(low_p, 3), round(high_p, 3))

    # ------------------------------------------------------------ control
    def _open(self) -> SimCycle | None:
        last = self.cycles[-1] if self.cycles else None
        return last if last is not None and last.end is None else None

    def running(self, t: float) -> SimCycle | None:
        """The cycle running at `t`, if any."""
        return next((c for c in reversed(self.cycles) if c.running_at(t)), None)

    def start_cycle(
        self,
        now: float,
        program: str,
        *,
        duration: float | None,
        result: str,
        error_code: str | None,
        error_text: str | None,
        operator: str | None,
    ) -> SimCycle:
        """Start a cycle now; with no `duration` it runs until finished."""
        self.extend(now)
        if self.running(now) is not None:
            msg = f"{self.serial} is running a cycle"
            raise ValueError(msg)
        spec = PROGRAMS.get(program) or ProgramSpec(
            program, f"Custom {program}", 134.0, 3.04, 240, (1800, 1800)
        )
        failure = None
        if result != "passed":
            failure = Failure(result, error_code or "E99", error_text or "Error")
        cycle = self._make_cycle(spec, now, None, failure, operator)
        if duration is not None:
            cycle.end = now + duration
            self._next_start = self._plan(cycle.end)
        else:
            self._next_start = math.inf
        self.cycles.append(cycle)
        return cycle

    def finish_cycle(
        self,
        now: float,
        result: str,
        error_code: str | None,
        error_text: str | None,
    ) -> SimCycle:
        """End the cycle started without a duration."""
        cycle = self._open()
        if cycle is None:
            msg = f"{self.serial} has no open cycle"
            raise ValueError(msg)
        cycle.end = max(now, cycle.start + 1)
        cycle.result = result
        if result != "passed":
            cycle.error_code = error_code or cycle.error_code or "E99"
            cycle.error_text = error_text or cycle.error_text or "Error"
        else:
            cycle.error_code = cycle.error_text = None
        spec = PROGRAMS.get(cycle.program)
        if spec is not None:
            self._hold_values(cycle, spec)
        self._next_start = self._plan(cycle.end)
        return cycle

    def _add_alarm(self, code: str, text: str, severity: str, at: float) -> SimAlarm:
        self._alarm_ids += 1
        alarm = SimAlarm(self._alarm_ids, code, text, severity, at)
        self.alarms.append(alarm)
        return alarm

    def raise_alarm(
        self,
        now: float,
        code: str,
        text: str,
        severity: str,
        *,
        cycle_number: int | None,
        clear_after: float | None,
    ) -> SimAlarm:
        """Raise an alarm now; a fatal one stops the running cycle."""
        self.extend(now)
        alarm = self._add_alarm(code, text, severity, now)
        alarm.cycle_number = cycle_number
        running = self.running(now)
        if severity == "alarm" and running is not None:
            alarm.cycle_number = running.number
            if running.end is None:
                self.finish_cycle(now, "failed", code, text)
            else:
                running.end, running.result = now, "failed"
                running.error_code, running.error_text = code, text
        if clear_after is not None:
            alarm.cleared_at = now + clear_after
        return alarm

    # ------------------------------------------------------------ views
    def visible_cycles(self, t: float) -> list[SimCycle]:
        """The cycles started by `t`, oldest first."""
        return [cycle for cycle in self.cycles if cycle.start <= t]

    def visible_alarms(self, t: float) -> list[SimAlarm]:
        """The alarms raised by `t`, oldest first."""
        return [alarm for alarm in self.alarms if alarm.raised_at <= t]

    def status(self, t: float) -> str:
        """`ready`, `running`, `done`, `failed`, `standby_error`, ..."""
        if self.offline_since is not None:
            return "offline"
        active = [alarm for alarm in self.alarms if alarm.active_at(t)]
        if any(alarm.severity == "alarm" for alarm in active):
            return "standby_error"
        if self.running(t) is not None:
            return "running"
        finished = [c for c in self.cycles if c.finished_at(t)]
        if finished and t - (finished[-1].end or t) < DONE_FOR * self.scale:
            return "done" if finished[-1].result == "passed" else "failed"
        if any(alarm.code in BLOCKING_WARNINGS for alarm in active):
            return "not_ready"
        return "ready"

    def last_seen(self, t: float) -> float:
        """The machine's last contact with the cloud, as of `t`."""
        if self.offline_since is not None and self.offline_since <= t:
            return self.offline_since
        return math.floor(t / HEARTBEAT) * HEARTBEAT

    def alarms_changed_at(self, t: float) -> float | None:
        """The newest raise or clear by `t`."""
        times = [
            when
            for alarm in self.alarms
            for when in (alarm.raised_at, alarm.cleared_at)
            if when is not None and when <= t
        ]
        return max(times, default=None)
