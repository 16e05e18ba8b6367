"""Pacing of the background logs (audit.log, journal): fill a byte budget over a time span.

A stream writes routine records at increasing times until its byte budget is
spent. The gap before each record is the remaining time divided by the records
that still fit, times a random factor, so the stream ends near the end of the
span whatever the record sizes are. Records that belong to a failed run, and
records a routine event schedules for later (the end of an SSH session), wait
in a heap and are written when the stream's time passes theirs. Once the
budget is spent, only the records of failed runs are still written. Routine
follow-ups due later (a logout after the last login) are left out, as in a log
that was collected while they were still pending.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
from collections.abc import Callable, Sequence
from typing import Protocol


class LineSink(Protocol):
    def write(self, line: str, ms: int) -> None: ...


class QuietZones:
    """Times on one node's clock where no run's window (plus a margin) reaches.

    Error-level background records (an unrelated AVC denial, a failed unit) are
    written only there, so they never become the first error of a run and the
    expected causes in the manifest stay exact. Queries must come in time order.
    """

    def __init__(self, busy: Sequence[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(busy):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self._busy = merged
        self._next = 0

    def is_quiet(self, ms: int) -> bool:
        while self._next < len(self._busy) and self._busy[self._next][1] < ms:
            self._next += 1
        return self._next >= len(self._busy) or ms < self._busy[self._next][0]


class WeightedChoice:
    """Pick from fixed weights with one `random()` call and a bisection."""

    def __init__(self, weights: Sequence[float]) -> None:
        self._cumulative = list(itertools.accumulate(weights))
        self._total = self._cumulative[-1]

    def pick(self, rng: random.Random) -> int:
        return bisect.bisect_right(self._cumulative, rng.random() * self._total)


Emit = Callable[[int], None]


class BackgroundStream:
    """Base of the audit and journal streams: budget, pacing, scheduled records.

    Subclasses implement `routine(ms)` and `noise(ms)`, which write records
    through `self.sink` and may `schedule` later ones, and report the bytes
    they wrote through `self.written`.
    """

    def __init__(self, sink: LineSink, rng: random.Random, budget: int, start_ms: int,
                 end_ms: int, quiet: QuietZones, noise_rate: float) -> None:
        self.sink = sink
        self.rng = rng
        self.budget = budget
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.quiet = quiet
        self.noise_rate = noise_rate
        self.written = 0
        self.events = 0
        self._pending: list[tuple[int, int, Emit, bool]] = []
        self._counter = itertools.count()

    def schedule(self, ms: int, emit: Emit, *, required: bool = False) -> None:
        """Write a record later: `emit(ms)` runs once the stream reaches `ms`.

        A `required` record is written even after the budget is spent.
        """
        heapq.heappush(self._pending, (ms, next(self._counter), emit, required))

    def run(self) -> None:
        """Write routine records until the budget is spent, then everything still scheduled."""
        now = self.start_ms
        average = 300.0
        while self.written < self.budget:
            remaining = self.budget - self.written
            step = (self.end_ms - now) * average / remaining
            now += max(0, int(step * 2 * self.rng.random()))
            self._release(now)
            before = self.written
            if self.rng.random() < self.noise_rate and self.quiet.is_quiet(now):
                self.noise(now)
            else:
                self.routine(now)
            self.events += 1
            average += (self.written - before - average) / min(self.events, 500)
        self._release(None)

    def _release(self, until: int | None) -> None:
        """Write the scheduled records due by `until`, or every required one if it is None."""
        pending = self._pending
        while pending and (until is None or pending[0][0] <= until):
            ms, _order, emit, required = heapq.heappop(pending)
            if until is not None or required:
                emit(ms)

    def routine(self, ms: int) -> None:
        raise NotImplementedError

    def noise(self, ms: int) -> None:
        raise NotImplementedError
