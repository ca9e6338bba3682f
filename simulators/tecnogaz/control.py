"""The control API of the Tecno-Gaz simulator, for tests and scripts.

Machines (add, take out of the contract, run cycles, raise and clear
alarms), tokens (tie serials, revoke), faults and switches, and the request
log. Every change takes effect at the simulator's clock; with a
`ManualClock` a test moves time with `advance` and the machines run on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
import random
from typing import Any

from .catalog import EXAMPLE_SERIALS, MODELS
from .faults import FaultQueue
from .machine import SimAlarm, SimCycle, SimSterilizer
from .render import Style

DEFAULT_TOKEN = "tgz-test-token"  # noqa: S105 - the simulator's demo token
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class RequestRecord:
    """One request the simulator received, as it was answered.

    `call` is the contract call the path matched (None: no such path);
    `status` is 0 while a stalled answer is pending or when the connection
    was dropped; `at` is the simulator's clock when the request arrived.
    """

    method: str
    path: str
    call: str | None
    params: dict[str, str]
    token: str | None
    status: int
    at: float


class TecnoGazControl:
    """State and control API shared by the simulator's pipeline."""

    def __init__(
        self,
        *,
        sterilizers: int,
        seed: int,
        clock: Callable[[], float],
        token: str,
        auto: bool,
        history_days: float,
        scale: float,
        office_hours: bool,
    ) -> None:
        """Create `sterilizers` machines tied to `token`."""
        self.seed = seed
        self.clock = clock
        self.token = token
        self.auto = auto
        self.history_days = history_days
        self.scale = scale
        self.office_hours = office_hours
        self.style = Style()
        """Variations: time format, list style, numbers as strings, extras."""
        self.machines: dict[str, SimSterilizer] = {}
        self.tokens: dict[str, set[str]] = {token: set()}
        """Token -> the serials tied to it."""
        self.revoked: set[str] = set()
        self.expiry: dict[str, float] = {}
        """Token -> when it expires (the contract ends); none: never."""
        self.broken_calls: set[str] = set()
        """Calls whose path answers 404, as if the contract were wrong."""
        self.requests: list[RequestRecord] = []
        self.rates = (0.06, 0.03, 0.04)
        """Failure, abort and warning rates of machines made from now on."""
        self._faults = FaultQueue()
        self._windows: dict[str, list[float]] = {}
        self._serials = random.Random(f"serials/{seed}")
        for _ in range(sterilizers):
            self.add_sterilizer()

    # ---------------------------------------------------------------- time
    def now(self) -> float:
        """The simulator's clock."""
        return self.clock()

    def advance(self, seconds: float) -> None:
        """Move a manual clock forward; the machines run on meanwhile."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            msg = "advance() needs a clock with an advance() method (ManualClock)"
            raise TypeError(msg)
        advance(seconds)
        for machine in self.machines.values():
            machine.extend(self.clock())

    # ------------------------------------------------------------ machines
    @property
    def serials(self) -> list[str]:
        """Every machine's serial, in creation order."""
        return list(self.machines)

    def machine(self, serial: str) -> SimSterilizer:
        """The machine with this serial (KeyError if none)."""
        return self.machines[serial]

    def add_sterilizer(
        self,
        model: str | None = None,
        *,
        serial: str | None = None,
        tokens: Iterable[str] | None = None,
    ) -> SimSterilizer:
        """Make a machine (with its history) and tie it to `tokens`."""
        index = len(self.machines)
        model = model or MODELS[index % len(MODELS)]
        if serial is None:
            serial = self._new_serial(index, model)
        failure, abort, warning = self.rates
        machine = SimSterilizer(
            serial,
            model,
            index=index,
            seed=self.seed,
            created=self.clock(),
            history_days=self.history_days,
            auto=self.auto,
            scale=self.scale,
            office_hours=self.office_hours,
            failure_rate=failure,
            abort_rate=abort,
            warning_rate=warning,
        )
        self.machines[serial] = machine
        for token in [self.token] if tokens is None else tokens:
            self.tokens.setdefault(token, set()).add(serial)
        return machine

    def _new_serial(self, index: int, model: str) -> str:
        if index < len(EXAMPLE_SERIALS) and EXAMPLE_SERIALS[index] not in self.machines:
            return EXAMPLE_SERIALS[index]
        while True:
            letters = "".join(self._serials.choice(_LETTERS) for _ in range(3))
            serial = f"{'PX' if model == 'AURA' else 'OW'}{letters}{index:04d}"
            if serial not in self.machines:
                return serial

    def remove_from_contract(self, serial: str, token: str | None = None) -> None:
        """Untie a serial from a token (all tokens if None): 403, unlisted."""
        for name, serials in self.tokens.items():
            if token is None or name == token:
                serials.discard(serial)

    def delete_sterilizer(self, serial: str) -> None:
        """Forget a machine: its serial answers 404."""
        self.remove_from_contract(serial)
        del self.machines[serial]

    def set_offline(self, serial: str, offline: bool = True) -> None:  # noqa: FBT001, FBT002
        """A machine stops (or resumes) talking to the cloud."""
        self.machines[serial].offline_since = self.clock() if offline else None

    def start_cycle(
        self,
        serial: str,
        program: str = "B134",
        *,
        duration: float | None = None,
        result: str = "passed",
        error_code: str | None = None,
        error_text: str | None = None,
        operator: str | None = None,
    ) -> SimCycle:
        """Start a cycle now; without `duration` it runs until `finish_cycle`."""
        return self.machines[serial].start_cycle(
            self.clock(),
            program,
            duration=duration,
            result=result,
            error_code=error_code,
            error_text=error_text,
            operator=operator,
        )

    def finish_cycle(
        self,
        serial: str,
        result: str = "passed",
        *,
        error_code: str | None = None,
        error_text: str | None = None,
    ) -> SimCycle:
        """End the running cycle now with `result` (passed, failed, aborted)."""
        return self.machines[serial].finish_cycle(
            self.clock(), result, error_code, error_text
        )

    def run_cycle(
        self,
        serial: str,
        program: str = "B134",
        result: str = "passed",
        *,
        duration: float = 1800,
        error_code: str | None = None,
        error_text: str | None = None,
    ) -> SimCycle:
        """A whole cycle now: start, let `duration` pass, finish."""
        self.start_cycle(serial, program)
        self.advance(duration)
        return self.finish_cycle(
            serial, result, error_code=error_code, error_text=error_text
        )

    def raise_alarm(
        self,
        serial: str,
        code: str = "E12",
        text: str = "Vacuum pump overload",
        severity: str = "alarm",
        *,
        cycle_number: int | None = None,
        clear_after: float | None = None,
    ) -> SimAlarm:
        """Raise an alarm now; a fatal one (`alarm`) stops the running cycle."""
        return self.machines[serial].raise_alarm(
            self.clock(),
            code,
            text,
            severity,
            cycle_number=cycle_number,
            clear_after=clear_after,
        )

    def clear_alarm(self, serial: str, alarm_id: int) -> SimAlarm:
        """Clear an alarm now."""
        alarm = next(a for a in self.machines[serial].alarms if a.id == alarm_id)
        alarm.cleared_at = self.clock()
        return alarm

    # --------------------------------------------------------- ground truth
    def finished_cycles(self, serial: str) -> list[SimCycle]:
        """The machine's cycles finished by now, oldest first."""
        now = self.clock()
        self.machines[serial].extend(now)
        return [c for c in self.machines[serial].cycles if c.finished_at(now)]

    def alarm_changes(self, serial: str) -> list[tuple[int, str, float]]:
        """Every raise and clear by now: (alarm id, raised|cleared, time)."""
        now = self.clock()
        self.machines[serial].extend(now)
        changes = []
        for alarm in self.machines[serial].alarms:
            if alarm.raised_at <= now:
                changes.append((alarm.id, "raised", alarm.raised_at))
            if alarm.cleared_at is not None and alarm.cleared_at <= now:
                changes.append((alarm.id, "cleared", alarm.cleared_at))
        return sorted(changes, key=lambda change: change[2])

    # ---------------------------------------------------------------- tokens
    def add_token(
        self,
        token: str,
        serials: Iterable[str] = (),
        *,
        expires_at: float | None = None,
    ) -> None:
        """A new contract token with its serials (and the contract's end)."""
        self.tokens[token] = set(serials)
        self.revoked.discard(token)
        self.expiry.pop(token, None)
        if expires_at is not None:
            self.expiry[token] = expires_at

    def revoke_token(self, token: str | None = None) -> None:
        """A token (the default one if None) is refused from now on (401)."""
        self.revoked.add(token or self.token)

    def token_valid(self, token: str | None, now: float) -> bool:
        """Whether a token is known, not revoked and not expired at `now`."""
        if token is None or token not in self.tokens or token in self.revoked:
            return False
        return now < self.expiry.get(token, float("inf"))

    # ---------------------------------------------------------------- faults
    def inject(
        self, kind: str, *, count: int = 1, call: str | None = None, **options: Any
    ) -> None:
        """Make the next `count` requests (of `call`) fail as `kind`."""
        self._faults.add(kind, count, call, options)

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._faults.clear()

    def break_call(self, call: str) -> None:
        """Make a call's path answer 404 until `restore_call`."""
        self.broken_calls.add(call)

    def restore_call(self, call: str) -> None:
        """Undo `break_call`."""
        self.broken_calls.discard(call)

    # ----------------------------------------------------------- request log
    def request_count(self, call: str | None = None) -> int:
        """Requests received (of `call`)."""
        if call is None:
            return len(self.requests)
        return sum(1 for record in self.requests if record.call == call)

    def calls(self) -> list[str | None]:
        """The call of every request, in order."""
        return [record.call for record in self.requests]

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.requests.clear()

    def request_times(self, token: str | None = None) -> list[float]:
        """When requests (with `token`) arrived."""
        return [r.at for r in self.requests if token is None or r.token == token]

    def max_in_window(self, token: str | None = None, window: float = 60.0) -> int:
        """The most requests (with `token`) in any rolling `window` seconds."""
        times = sorted(self.request_times(token))
        best = first = 0
        for last, moment in enumerate(times):
            while times[first] <= moment - window:
                first += 1
            best = max(best, last - first + 1)
        return best
