"""Measure child processes: wall time, CPU time and peak memory, with the standard library only.

CPU time comes from `os.wait4`, which returns the child's resource usage
including the descendants it waited for.

Peak memory needs more care. Linux fills `ru_maxrss` of a child with the
high-water mark of every address space the process had, and before `exec` a
child runs in a copy of the parent's (or in the parent's own, after `vfork`).
So a child of a 500 MB parent reports at least 500 MB, however little it uses.
`ru_maxrss` is also the largest single process, not the sum over a program's
worker processes. Therefore a `TreeSampler` reads `/proc` every 10 ms for the
child and all its descendants: each process's own high-water mark (`VmHWM`,
which starts afresh at `exec`) and the sum of their current resident sizes.
The peak is the largest of these, and `ru_maxrss` counts only when it exceeds
the parent's own high-water mark, which proves it is the child's.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

SAMPLE_INTERVAL = 0.01
STDERR_TAIL = 2_000


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured run of a command or pipeline."""

    wall: float
    cpu: float
    peak_rss_mb: float
    exit_code: int
    stderr_tail: str = ""
    timed_out: bool = False


@dataclass(frozen=True, slots=True)
class Summary:
    """Repeated runs of one measurement: best and median wall time, and the run count."""

    best_wall: float
    median_wall: float
    median_cpu: float
    peak_rss_mb: float
    count: int

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Summary:
        if not samples:
            raise ValueError("no samples to summarize")
        return cls(best_wall=min(sample.wall for sample in samples),
                   median_wall=statistics.median(sample.wall for sample in samples),
                   median_cpu=statistics.median(sample.cpu for sample in samples),
                   peak_rss_mb=max(sample.peak_rss_mb for sample in samples),
                   count=len(samples))

    def as_json(self) -> dict[str, object]:
        return {"best_wall_s": round(self.best_wall, 4),
                "median_wall_s": round(self.median_wall, 4),
                "median_cpu_s": round(self.median_cpu, 4),
                "peak_rss_mb": round(self.peak_rss_mb, 1), "runs": self.count}


class TreeSampler(threading.Thread):
    """Sample the memory of a process and its descendants until stopped.

    `peak_tree_bytes` is the largest sum of resident sizes seen at one time,
    `peak_process_bytes` the largest `VmHWM` of any one process in the tree.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_tree_bytes = 0
        self.peak_process_bytes = 0
        self._stop_event = threading.Event()
        self.sample()

    def run(self) -> None:
        while not self._stop_event.wait(SAMPLE_INTERVAL):
            self.sample()

    def sample(self) -> None:
        total = 0
        for pid in _process_tree(self.pid):
            resident, high_water = _memory_bytes(pid)
            total += resident
            self.peak_process_bytes = max(self.peak_process_bytes, high_water)
        self.peak_tree_bytes = max(self.peak_tree_bytes, total)

    def stop(self) -> int:
        """Stop sampling and return the peak in bytes."""
        self._stop_event.set()
        self.join()
        return max(self.peak_tree_bytes, self.peak_process_bytes)


def _process_tree(root: int) -> list[int]:
    found = [root]
    index = 0
    while index < len(found):
        pid = found[index]
        index += 1
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                    found.extend(int(child) for child in handle.read().split())
            except OSError:
                continue
    return found


def _memory_bytes(pid: int) -> tuple[int, int]:
    """Return the current resident size and the high-water mark (VmRSS, VmHWM) of `pid`."""
    resident = high_water = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    resident = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    high_water = int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        return 0, 0
    return resident, high_water


def _own_high_water() -> int:
    """This process's peak resident size in bytes, which every child's ru_maxrss inherits."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reap(process: subprocess.Popen[bytes], inherited: int) -> tuple[int, float, int]:
    """Wait for `process` with wait4, and return its exit code, CPU seconds and own ru_maxrss.

    The returned ru_maxrss is 0 unless it exceeds `inherited`, the parent's
    high-water mark when the child started.
    """
    _pid, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    # Popen must not wait again for a process reaped here.
    process.returncode = code
    maxrss = usage.ru_maxrss * 1024
    return code, usage.ru_utime + usage.ru_stime, maxrss if maxrss > inherited else 0


def run_command(argv: Sequence[str], *, env: Mapping[str, str] | None = None,
                cwd: Path | None = None, stdout: IO[bytes] | None = None,
                timeout: float | None = None, memory_limit: int | None = None) -> Sample:
    """Run one command to completion and measure it. Standard output goes to `stdout` or nowhere.

    After `timeout` seconds the command is killed and `Sample.timed_out` is set.
    `memory_limit` caps the command's address space in bytes (RLIMIT_AS, which
    its children inherit), so a runaway run fails with an out-of-memory error
    instead of pushing the whole machine into swap or the OOM killer.
    """
    with tempfile.TemporaryFile() as errors:
        inherited = _own_high_water()
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), env=dict(env) if env is not None else None,
                                   cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=stdout if stdout is not None else subprocess.DEVNULL,
                                   stderr=errors)
        if memory_limit is not None:
            # Set from the parent right after the start: a preexec_fn is unsafe with threads.
            # The child has only begun to start its interpreter by then.
            resource.prlimit(process.pid, resource.RLIMIT_AS, (memory_limit, memory_limit))
        sampler = TreeSampler(process.pid)
        sampler.start()
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            process.kill()

        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, kill)
            timer.start()
        code, cpu, maxrss = _reap(process, inherited)
        wall = time.perf_counter() - started
        if timer is not None:
            timer.cancel()
        sampled = sampler.stop()
        errors.seek(0)
        tail = errors.read()[-STDERR_TAIL:].decode("utf-8", errors="replace")
    return Sample(wall=wall, cpu=cpu, peak_rss_mb=max(maxrss, sampled) / 1e6,
                  exit_code=code, stderr_tail=tail, timed_out=expired.is_set())


def run_pipeline(first: Sequence[str], second: Sequence[str], *,
                 env: Mapping[str, str] | None = None, stdout: IO[bytes] | None = None) -> Sample:
    """Run ``first | second`` and measure both: wall time to the end of both, summed CPU and RSS.

    The two processes run at the same time, so their peak memory is added up.
    The exit code is the second command's, as a shell reports it.
    """
    environment = dict(env) if env is not None else None
    inherited = _own_high_water()
    started = time.perf_counter()
    producer = subprocess.Popen(list(first), env=environment, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    consumer = subprocess.Popen(list(second), env=environment, stdin=producer.stdout,
                                stdout=stdout if stdout is not None else subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    if producer.stdout is not None:
        # Only the consumer reads the pipe now, so the producer gets SIGPIPE if it quits.
        producer.stdout.close()
    samplers = [TreeSampler(producer.pid), TreeSampler(consumer.pid)]
    for sampler in samplers:
        sampler.start()
    consumer_code, consumer_cpu, consumer_rss = _reap(consumer, inherited)
    _producer_code, producer_cpu, producer_rss = _reap(producer, inherited)
    wall = time.perf_counter() - started
    peaks = [sampler.stop() for sampler in samplers]
    peak = max(producer_rss, peaks[0]) + max(consumer_rss, peaks[1])
    return Sample(wall=wall, cpu=producer_cpu + consumer_cpu, peak_rss_mb=peak / 1e6,
                  exit_code=consumer_code)


def read_through(paths: Sequence[Path], block: int = 1 << 20) -> int:
    """Read every file once so that later measurements find them in the page cache."""
    total = 0
    buffer = bytearray(block)
    for path in paths:
        with open(path, "rb", buffering=0) as handle:
            while count := handle.readinto(buffer):
                total += count
    return total
