"""Time every step of an asyncio event loop: how long the loop was held.

An event loop runs one callback at a time (a task's step between two
awaits is one callback); while one runs, nothing else on the loop moves.
`LoopWatch.install` wraps `asyncio.Handle._run`, which runs every
callback, and records for each callback on the loop's thread its wall time
and the thread's CPU time, plus the garbage collection that ran meanwhile
(a full collection runs in whichever thread allocates, and holds every
thread while it runs). A sampler thread takes the loop thread's stack
every 5 ms while a step lasts longer than 20 ms, so the longest step says
where it spent its time.

Wall time is what the rest of Home Assistant waited; it also counts time
the loop thread waited for the GIL while another thread (the recorder, an
executor job) ran Python code. CPU time is the step's own work.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
import gc
import sys
import threading
import time
import traceback
from typing import Any

GOAL = 0.05
"""The longest a step may hold the loop (issue 8: 50 ms)."""
_SAMPLE_AFTER = 0.02
_SAMPLE_EVERY = 0.005
_OURS = "custom_components/telemetry_hub/"


@dataclass
class Step:
    """One callback of the loop."""

    wall: float = 0.0
    cpu: float = 0.0
    gc: float = 0.0
    """Garbage collection (any thread) while the step ran."""
    task: str = ""
    """The coroutine (or callback) the step belonged to."""
    where: str = ""
    """Where the samples of the step found the loop thread most often."""

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "wall": self.wall,
            "cpu": self.cpu,
            "gc": self.gc,
            "task": self.task,
            "where": self.where,
        }


@dataclass
class Phase:
    """What the loop did during one phase of the benchmark."""

    steps: int = 0
    over: int = 0
    """Steps longer than `GOAL` (wall)."""
    over_without_gc: int = 0
    """Steps longer than `GOAL` once the garbage collection in them is taken out."""
    longest: Step = field(default_factory=Step)
    longest_without_gc: Step = field(default_factory=Step)
    """The longest step by wall time minus the garbage collection in it."""
    cpu: float = 0.0
    """The loop thread's CPU time over the whole phase."""
    wall: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "steps": self.steps,
            "over": self.over,
            "over_without_gc": self.over_without_gc,
            "longest": self.longest.as_dict(),
            "longest_without_gc": self.longest_without_gc.as_dict(),
            "cpu": self.cpu,
            "wall": self.wall,
        }


class LoopWatch:
    """Times the steps of the loop running in the thread that installs it."""

    def __init__(self) -> None:
        """Nothing is recorded until `start`."""
        self.phase: Phase | None = None
        self._thread = threading.get_ident()
        self._step_start: float | None = None
        self._gc_in_step = 0.0
        self._gc_started: dict[int, float] = {}
        self._samples: list[tuple[str, ...]] = []
        self._cpu_start = 0.0
        self._wall_start = 0.0

    def install(self) -> None:
        """Wrap `Handle._run`; start the sampler and the GC callback."""
        original: Callable[[asyncio.Handle], None] = asyncio.Handle._run  # noqa: SLF001
        watch = self

        def _run(handle: asyncio.Handle) -> None:
            if watch.phase is None or threading.get_ident() != watch._thread:
                original(handle)
                return
            watch._begin()
            cpu = time.thread_time()
            start = time.perf_counter()
            try:
                original(handle)
            finally:
                wall = time.perf_counter() - start
                watch._end(handle, wall, time.thread_time() - cpu)

        setattr(asyncio.Handle, "_run", _run)  # noqa: B010 - replace a method
        gc.callbacks.append(self._on_gc)
        threading.Thread(target=self._sample, name="loopwatch", daemon=True).start()

    def start(self) -> None:
        """Start a phase."""
        self.phase = Phase()
        self._cpu_start = time.thread_time()
        self._wall_start = time.perf_counter()

    def stop(self) -> Phase:
        """End the phase; return what it recorded."""
        phase = self.phase or Phase()
        phase.cpu = time.thread_time() - self._cpu_start
        phase.wall = time.perf_counter() - self._wall_start
        self.phase = None
        return phase

    # ------------------------------------------------------------------

    def _begin(self) -> None:
        self._gc_in_step = 0.0
        self._samples = []
        self._step_start = time.perf_counter()

    def _end(self, handle: asyncio.Handle, wall: float, cpu: float) -> None:
        self._step_start = None
        phase = self.phase
        if phase is None:
            return
        spent_in_gc = min(self._gc_in_step, wall)
        phase.steps += 1
        phase.over += wall > GOAL
        phase.over_without_gc += wall - spent_in_gc > GOAL
        if wall > phase.longest.wall:
            phase.longest = self._step(handle, wall, cpu, spent_in_gc)
        best = phase.longest_without_gc
        if wall - spent_in_gc > best.wall - best.gc:
            phase.longest_without_gc = self._step(handle, wall, cpu, spent_in_gc)

    def _step(
        self, handle: asyncio.Handle, wall: float, cpu: float, gc_s: float
    ) -> Step:
        return Step(wall, cpu, gc_s, _describe(handle), _where(self._samples))

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        del info
        thread = threading.get_ident()
        if phase == "start":
            self._gc_started[thread] = time.perf_counter()
            return
        started = self._gc_started.pop(thread, None)
        if started is not None and self._step_start is not None:
            self._gc_in_step += time.perf_counter() - max(started, self._step_start)

    def _sample(self) -> None:
        while True:
            time.sleep(_SAMPLE_EVERY)
            started = self._step_start
            if started is None or time.perf_counter() - started < _SAMPLE_AFTER:
                continue
            frame = sys._current_frames().get(self._thread)  # noqa: SLF001
            if frame is None or self._step_start != started:
                continue
            stack = traceback.extract_stack(frame)
            self._samples.append(tuple(_frame(f) for f in stack))


def _frame(frame: traceback.FrameSummary) -> str:
    name = frame.filename
    for marker in (_OURS, "site-packages/", "/lib/python3"):
        if marker in name:
            name = name.split(marker, 1)[1]
            if marker == _OURS:
                name = "telemetry_hub/" + name
            break
    return f"{name}:{frame.lineno} {frame.name}"


def _where(samples: list[tuple[str, ...]]) -> str:
    """The innermost frame of ours, and the innermost frame, most sampled."""
    if not samples:
        return ""
    ours: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    for stack in samples:
        mine = [frame for frame in stack if frame.startswith("telemetry_hub/")]
        if mine:
            ours[mine[-1]] += 1
        innermost[stack[-1]] += 1
    top = innermost.most_common(1)[0][0]
    if not ours:
        return top
    return f"{ours.most_common(1)[0][0]} → {top}"


def _describe(handle: asyncio.Handle) -> str:
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        return getattr(coro, "__qualname__", repr(coro))
    name = getattr(callback, "__qualname__", None)
    return str(name) if name else repr(callback)[:80]
