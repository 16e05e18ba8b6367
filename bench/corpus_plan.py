"""The plan of a benchmark corpus: nodes, install runs, their timing and which ones fail.

The plan is small (one entry per run) and built up front from one seeded
`random.Random`, so every node can then be written on its own, in any process,
and still agree with the others about the runs they share.

Timing model. Time is cut into slots of `SLOT_SECONDS` per node. In each slot a
node starts its own run, or serves as the build worker of another node's run, or
(rarely) does both in turn. A run stays inside its slot, so the same node's runs
never overlap and every run has quiet time on both sides that is longer than the
analyzer's default window margin of 30 s.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

SLOT_SECONDS = 420
"""Spacing of a node's runs. A run ends at most 290 s into its slot, see `_schedule`."""

RUN_BYTES_TARGET = 24_000
"""Installer bytes per run when `--runs-per-node` is not given: about 150 lines."""

DEFAULT_START = "2026-12-03T00:00:00Z"

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
          "gb": 10**9, "t": 10**12, "tb": 10**12, "kib": 2**10, "ki": 2**10,
          "mib": 2**20, "mi": 2**20, "gib": 2**30, "gi": 2**30, "tib": 2**40, "ti": 2**40}


def parse_size(text: str) -> int:
    """Parse ``100MB`` (decimal units) or ``1GiB`` (binary units) into a number of bytes."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"invalid size {text!r}: use a number with an optional unit, "
                         "such as 500kB, 100MB, 1GB or 1GiB")
    unit = (match.group(2) or "").lower()
    if unit not in _UNITS:
        raise ValueError(f"invalid size unit in {text!r}: use B, kB, MB, GB, KiB, MiB or GiB")
    return int(float(match.group(1)) * _UNITS[unit])


def format_size(size: int) -> str:
    """Format a byte count in the decimal units `parse_size` reads back (``100MB``)."""
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


@dataclass(frozen=True, slots=True)
class CorpusOptions:
    """The arguments of one corpus. Two corpora with equal options are byte-identical."""

    size_bytes: int
    nodes: int = 50
    runs_per_node: int | None = None
    error_rate: float = 0.05
    audit_share: float = 0.3
    journal_share: float = 0.2
    rotate: bool = False
    compress: bool = False
    seed: int = 1
    multi_node_share: float = 0.1
    max_clock_offset: float = 1.5
    start: str = DEFAULT_START
    noise_rate: float = 0.01
    """Share of background audit and journal events that are unrelated errors (an AVC
    denial of another program, a failed unit), placed only away from every run."""

    def validate(self) -> None:
        """Raise ValueError naming the first option that is out of range."""
        if self.size_bytes < 10_000:
            raise ValueError(f"--size {self.size_bytes} is too small: use at least 10kB")
        if self.nodes < 1:
            raise ValueError(f"--nodes {self.nodes} must be at least 1")
        if self.runs_per_node is not None and self.runs_per_node < 1:
            raise ValueError(f"--runs-per-node {self.runs_per_node} must be at least 1")
        for name, value in (("--error-rate", self.error_rate),
                            ("--audit-share", self.audit_share),
                            ("--journal-share", self.journal_share),
                            ("--multi-node-share", self.multi_node_share),
                            ("--noise-rate", self.noise_rate)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} {value} must be between 0 and 1")
        if self.audit_share + self.journal_share >= 0.95:
            raise ValueError("--audit-share plus --journal-share must leave at least 5% of "
                             "the size to the installer logs")
        if self.max_clock_offset < 0 or self.max_clock_offset > 2.5:
            # Above 2.5 s a worker's error could appear after the dispatcher's collect
            # record, and the expected first error would no longer be well defined.
            raise ValueError(f"--max-clock-offset {self.max_clock_offset} must be 0 to 2.5 s")
        start_ms(self.start)

    @property
    def installer_share(self) -> float:
        return 1.0 - self.audit_share - self.journal_share

    @property
    def effective_rotate(self) -> bool:
        """Compression applies to rotated files, so `--compress` implies `--rotate`."""
        return self.rotate or self.compress

    def resolved_runs_per_node(self) -> int:
        if self.runs_per_node is not None:
            return self.runs_per_node
        per_node = self.size_bytes * self.installer_share / self.nodes
        return max(1, round(per_node / RUN_BYTES_TARGET))

    def as_json(self) -> dict[str, object]:
        return {
            "size": format_size(self.size_bytes),
            "size_bytes": self.size_bytes,
            "nodes": self.nodes,
            "runs_per_node": self.runs_per_node,
            "error_rate": self.error_rate,
            "audit_share": self.audit_share,
            "journal_share": self.journal_share,
            "rotate": self.rotate,
            "compress": self.compress,
            "seed": self.seed,
            "multi_node_share": self.multi_node_share,
            "max_clock_offset": self.max_clock_offset,
            "start": self.start,
            "noise_rate": self.noise_rate,
        }


def start_ms(text: str) -> int:
    """Parse the corpus start time (ISO-8601, UTC when no zone is given) into milliseconds."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"invalid --start {text!r}: use ISO-8601 such as "
                         f"{DEFAULT_START}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class Cause:
    """A root cause the generator can inject, with the run kinds it fits."""

    id: str
    weight: float
    kinds: tuple[str, ...]
    security: str = ""
    """The node's mandatory access control this cause needs (``selinux``, ``apparmor``)."""


CAUSES: tuple[Cause, ...] = (
    Cause("network.timeout", 3.0, ("go", "apt")),
    Cause("network.dns", 2.0, ("go", "apt")),
    Cause("network.tls_untrusted", 1.5, ("go", "apt")),
    Cause("perm.selinux_avc", 1.5, ("go",), security="selinux"),
    Cause("perm.apparmor_denied", 1.0, ("go",), security="apparmor"),
    Cause("perm.denied", 1.0, ("go",)),
    Cause("disk.full", 1.5, ("go", "apt")),
    Cause("apt.lock_held", 2.0, ("apt",)),
    Cause("apt.package_not_found", 1.0, ("apt",)),
    Cause("apt.dpkg_failed", 1.0, ("apt",)),
    Cause("go.version_too_old", 1.5, ("go",)),
    Cause("go.checksum_mismatch", 1.0, ("go",)),
    Cause("proc.oom_killed", 1.5, ("go",)),
)

CAUSE_IDS: tuple[str, ...] = tuple(cause.id for cause in CAUSES)


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """One node of the fleet: identity, clock offset and installed software."""

    index: int
    name: str
    machine_id: str
    boot_id: str
    seqnum_id: str
    boot_ms: int
    clock_offset_ms: int
    distro: str
    security: str
    go_version: str
    phase_ms: int

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "clock_offset_s": self.clock_offset_ms / 1000,
            "distro": self.distro,
            "security": self.security,
            "go_version": self.go_version,
        }


@dataclass(frozen=True, slots=True)
class RunPlan:
    """One install run. Times are true (not skewed) POSIX milliseconds.

    A multi-node run has a `worker`: the origin node dispatches the build at
    `dispatch_ms`, the worker builds from `worker_start_ms` to `worker_end_ms`,
    and the origin collects the result at `collect_ms`. A failure of a
    multi-node run always happens on the worker.
    """

    txn: str
    kind: str
    origin: int
    slot: int
    start_ms: int
    end_ms: int
    cause: str
    seed: str
    worker: int = -1
    dispatch_ms: int = 0
    worker_start_ms: int = 0
    worker_end_ms: int = 0
    collect_ms: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.cause)

    @property
    def multi_node(self) -> bool:
        return self.worker >= 0


@dataclass(slots=True)
class CorpusPlan:
    """Nodes and runs of a corpus, with every node's share of each log's byte budget."""

    options: CorpusOptions
    nodes: list[NodeInfo]
    runs: list[RunPlan]
    slots: int
    start_ms: int
    end_ms: int
    runs_by_node: dict[int, list[RunPlan]] = field(default_factory=dict)

    def node_runs(self, index: int) -> list[RunPlan]:
        """Return the runs node `index` takes part in, as origin or as worker, in time order."""
        return self.runs_by_node.get(index, [])

    def budget(self, kind: str) -> int:
        """Bytes of one node's log of `kind`: ``installer``, ``audit`` or ``journal``."""
        share = {"installer": self.options.installer_share, "audit": self.options.audit_share,
                 "journal": self.options.journal_share}[kind]
        return int(self.options.size_bytes * share / self.options.nodes)


GO_VERSIONS = ("1.22.5", "1.22.5", "1.23.4", "1.23.4", "1.21.13")
DISTROS = (("bookworm", "selinux"), ("bookworm", "apparmor"), ("jammy", "apparmor"),
           ("noble", "apparmor"))


def build_plan(options: CorpusOptions) -> CorpusPlan:
    """Draw the nodes, the schedule and the failures of a corpus from its seed."""
    options.validate()
    rng = random.Random(options.seed)
    begin = start_ms(options.start)
    width = max(2, len(str(options.nodes)))
    nodes = [_draw_node(rng, index, f"node-{index + 1:0{width}d}", begin, options)
             for index in range(options.nodes)]
    slots = options.resolved_runs_per_node()
    runs = _schedule(rng, nodes, slots, begin, options)

    by_node: dict[int, list[RunPlan]] = {}
    for run in runs:
        by_node.setdefault(run.origin, []).append(run)
        if run.worker >= 0:
            by_node.setdefault(run.worker, []).append(run)
    for node_runs in by_node.values():
        node_runs.sort(key=lambda run: (_node_start(run, run.origin), run.txn))
    end = begin + (slots + 1) * SLOT_SECONDS * 1000
    return CorpusPlan(options=options, nodes=nodes, runs=runs, slots=slots, start_ms=begin,
                      end_ms=end, runs_by_node=by_node)


def _node_start(run: RunPlan, node: int) -> int:
    return run.start_ms if node == run.origin else run.worker_start_ms


def _draw_node(rng: random.Random, index: int, name: str, begin: int,
               options: CorpusOptions) -> NodeInfo:
    distro, security = rng.choice(DISTROS)
    offset = round(rng.uniform(-options.max_clock_offset, options.max_clock_offset) * 1000)
    return NodeInfo(
        index=index,
        name=name,
        machine_id=f"{rng.getrandbits(128):032x}",
        boot_id=f"{rng.getrandbits(128):032x}",
        seqnum_id=f"{rng.getrandbits(128):032x}",
        boot_ms=begin - rng.randrange(3_600_000, 30 * 86_400_000),
        clock_offset_ms=offset,
        distro=distro,
        security=security,
        go_version=rng.choice(GO_VERSIONS),
        phase_ms=rng.randrange(0, 60_000),
    )


def _schedule(rng: random.Random, nodes: list[NodeInfo], slots: int, begin: int,
              options: CorpusOptions) -> list[RunPlan]:
    """Place every run in its slot and draw its kind, worker and failure.

    A run starts 0 to 20 s after its node's slot start plus the node's phase
    (at most 60 s), and takes at most 210 s. So the latest end is 290 s into a
    420 s slot, and more than twice the 30 s window margin separates two runs
    of a node. A worker's part ends at least 6 s before the collect record. That
    is more than two maximal clock offsets, so the worker's first error comes
    before the collect record on every node's clock.
    """
    runs: list[RunPlan] = []
    count = len(nodes)
    for slot in range(slots):
        slot_ms = begin + slot * SLOT_SECONDS * 1000
        order = list(range(count))
        rng.shuffle(order)
        # Expected pairs per slot; the fraction is drawn, so small fleets get some too.
        expected = count * options.multi_node_share / 2 if count > 1 else 0.0
        pairs = min(count // 2, int(expected) + (rng.random() < expected % 1))
        workers = {order[2 * pair + 1]: order[2 * pair] for pair in range(pairs)}
        origins_with_worker = {origin: worker for worker, origin in workers.items()}
        for index in range(count):
            if index in workers:
                continue
            worker = origins_with_worker.get(index, -1)
            kind = "go" if worker >= 0 or rng.random() < 0.55 else "apt"
            cause = ""
            if rng.random() < options.error_rate:
                cause = _draw_cause(rng, kind, nodes[worker if worker >= 0 else index])
            node = nodes[index]
            start = slot_ms + node.phase_ms + rng.randrange(0, 20_000)
            txn = f"run-{len(runs) + 1:06d}"
            seed = f"{options.seed}:{txn}"
            if worker < 0:
                duration = rng.randrange(40_000, 210_000)
                runs.append(RunPlan(txn=txn, kind=kind, origin=index, slot=slot,
                                    start_ms=start, end_ms=start + duration, cause=cause,
                                    seed=seed))
                continue
            dispatch = start + rng.randrange(3_000, 12_000)
            worker_start = dispatch + rng.randrange(300, 1_500)
            worker_end = worker_start + rng.randrange(40_000, 170_000)
            collect = worker_end + rng.randrange(6_000, 9_000)
            end = collect + rng.randrange(2_000, 9_000)
            runs.append(RunPlan(txn=txn, kind=kind, origin=index, slot=slot, start_ms=start,
                                end_ms=end, cause=cause, seed=seed, worker=worker,
                                dispatch_ms=dispatch, worker_start_ms=worker_start,
                                worker_end_ms=worker_end, collect_ms=collect))
    return runs


def _draw_cause(rng: random.Random, kind: str, failing_node: NodeInfo) -> str:
    fitting = [cause for cause in CAUSES if kind in cause.kinds
               and cause.security in ("", failing_node.security)]
    return rng.choices(fitting, weights=[cause.weight for cause in fitting])[0].id
