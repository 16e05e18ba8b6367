"""Write one node's folder: installer.log, audit.log and journal.json, rotated as asked.

The installer log is written first, run by run in time order. The other two
logs then learn from it where the runs are, so that error noise stays away
from them. They also get the records that a failure needs there: a denial a few
milliseconds before the installer's "permission denied", or the kernel's OOM
kill before "signal: killed".
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from pathlib import Path

from corpus_audit import AuditStream
from corpus_files import FileRecord, IsoClock, PlainLog, RotatedLog
from corpus_installer import (
    Context,
    InstallerLog,
    Part,
    RunBuilder,
    RunText,
    apt_install,
    apt_update,
    apt_verify,
    go_build,
    go_preflight,
    go_verify,
    place_lines,
)
from corpus_journal import JournalStream
from corpus_plan import CorpusPlan, NodeInfo, RunPlan
from corpus_streams import QuietZones

log = logging.getLogger(__name__)

QUIET_MARGIN_MS = 60_000
"""Distance kept between error noise and any run: the 30 s window margin, twice."""


@dataclass(slots=True)
class FirstError:
    """Location and text of the expected first error of a failed run."""

    node: str
    source: str
    ms: int
    message: str

    def as_json(self) -> dict[str, object]:
        return {"node": self.node, "source": self.source,
                "time": IsoClock().format(self.ms), "message": self.message}


@dataclass(slots=True)
class NodeResult:
    """Output of one node job: its files and the first errors of the runs that failed there."""

    node: str
    files: list[FileRecord] = field(default_factory=list)
    first_errors: dict[str, FirstError] = field(default_factory=dict)


def write_node(plan: CorpusPlan, index: int, out_dir: Path) -> NodeResult:
    """Write the logs of node `index` under ``out_dir/<node name>/``."""
    node = plan.nodes[index]
    options = plan.options
    directory = out_dir / node.name
    directory.mkdir(parents=True, exist_ok=True)
    result = NodeResult(node=node.name)
    rotate = options.effective_rotate

    installer_log = RotatedLog(directory, "installer.log", kind="installer", node=node.name,
                               budget=plan.budget("installer"), rotate=rotate,
                               compress=options.compress)
    contexts = _write_installer(plan, node, InstallerLog(installer_log, node.clock_offset_ms),
                                result)
    result.files.extend(installer_log.close())

    offset = node.clock_offset_ms
    busy = [(run.start_ms + offset - QUIET_MARGIN_MS, run.end_ms + offset + QUIET_MARGIN_MS)
            for run in plan.node_runs(index)]
    span = (plan.start_ms + offset - 600_000, plan.end_ms + offset)

    audit_log = RotatedLog(directory, "audit.log", kind="audit", node=node.name,
                           budget=plan.budget("audit"), rotate=rotate, compress=options.compress)
    audit = AuditStream(audit_log, node, random.Random(f"{options.seed}:{node.name}:audit"),
                        plan.budget("audit"), *span, QuietZones(busy), options.noise_rate)
    journal_log = PlainLog(directory, "journal.json", kind="journal", node=node.name)
    journal = JournalStream(journal_log, node,
                            random.Random(f"{options.seed}:{node.name}:journal"),
                            plan.budget("journal"), *span, QuietZones(busy),
                            options.noise_rate)
    for txn, context, error_ms in contexts:
        _inject(txn, context, error_ms, node, audit, journal, result)
    audit.run()
    result.files.extend(audit_log.close())
    journal.run()
    result.files.extend(journal_log.close())
    log.debug("node %s: %d files, %d failed runs first seen here", node.name,
              len(result.files), len(result.first_errors))
    return result


def _write_installer(plan: CorpusPlan, node: NodeInfo, out: InstallerLog,
                     result: NodeResult) -> list[tuple[str, Context, int]]:
    """Write every run part of this node and return the contexts the other logs must add."""
    runs = plan.node_runs(node.index)
    remaining = plan.budget("installer")
    # A dispatching origin logs a few fixed lines; the nodes that build share the budget.
    builds_left = sum(1 for run in runs if not run.multi_node or run.worker == node.index)
    contexts: list[tuple[str, Context, int]] = []
    for run in runs:
        rng = random.Random(f"{run.seed}:{node.name}")
        builds_here = not run.multi_node or run.worker == node.index
        share = remaining / max(builds_left, 1)
        builds_left -= builds_here
        budget = max(1_500, int(share * rng.uniform(0.7, 1.3)))
        for part in build_parts(plan, run, node, rng, budget):
            times = place_lines(part.lines, part.start_ms, part.end_ms, rng)
            for line, true_ms in zip(part.lines, times, strict=True):
                ms, text = out.write(run.txn, line, true_ms)
                remaining -= len(text) + 1
                if line.first_error:
                    result.first_errors[run.txn] = FirstError(node.name, "installer", ms,
                                                              line.msg)
                    if part.context is not None:
                        contexts.append((run.txn, part.context, ms))
    return contexts


def build_parts(plan: CorpusPlan, run: RunPlan, node: NodeInfo, rng: random.Random,
                budget: int) -> list[Part]:
    """Build the lines this node logs for `run`: one part, or two for a dispatching origin."""
    origin = plan.nodes[run.origin]
    worker = plan.nodes[run.worker] if run.multi_node else None
    text = RunText.draw(run, origin, worker or origin)
    if worker is None:
        return [_single_node_part(run, text, rng, budget)]
    if node.index == run.origin:
        return _origin_parts(run, text, rng, worker)
    return [_worker_part(run, text, rng, budget, origin)]


def _single_node_part(run: RunPlan, text: RunText, rng: random.Random, budget: int) -> Part:
    builder = RunBuilder(rng, text, budget)
    if run.kind == "go":
        builder.add("INFO", "start", f"run started: install dlv v{text.delve} with go install")
        go_preflight(builder)
        succeeded = go_build(builder, run.cause)
        if succeeded:
            go_verify(builder)
        step = "go-install"
        what = f"dlv v{text.delve}"
    else:
        builder.add("INFO", "start",
                    f"run started: apt install {text.apt_target[1]} with apt-get")
        apt_update(builder)
        succeeded = apt_install(builder, run.cause)
        if succeeded:
            apt_verify(builder)
        step = "apt-install"
        what = text.apt_target[1]
    duration = (run.end_ms - run.start_ms) / 1000
    _finish(builder, succeeded, f"run finished: {what} installed in {duration:.1f}s",
            f"run failed: step {step} exited with status {1 if run.kind == 'go' else 100}",
            1 if run.kind == "go" else 100)
    return Part(builder.lines, run.start_ms, _end_ms(run.start_ms, run.end_ms, builder),
                builder.context)


def _origin_parts(run: RunPlan, text: RunText, rng: random.Random,
                  worker: NodeInfo) -> list[Part]:
    before = RunBuilder(rng, text, 0)
    before.add("INFO", "start", f"run started: install dlv v{text.delve}, built on "
               f"{worker.name}")
    before.add("INFO", "preflight", f"builder {worker.name} reachable, "
               f"{rng.randrange(0, 3)} jobs queued")
    before.add("INFO", "dispatch", f"dispatching build of dlv v{text.delve} to {worker.name}",
               f" target={worker.name}")

    after = RunBuilder(rng, text, 0)
    if run.failed:
        after.add("ERROR", "collect", f"{worker.name} reported failure: go install exited "
                  "with status 1", f" source={worker.name} exit=1")
        _finish(after, False, "", f"run failed: remote build on {worker.name} failed", 1)
    else:
        after.add("INFO", "collect", f"collected dlv v{text.delve} from {worker.name} "
                  f"({text.artifact_mb} MB)", f" source={worker.name}")
        after.add("INFO", "install", "installed /usr/local/bin/dlv",
                  ' cmd="install -m 0755 /var/cache/installer/dlv /usr/local/bin/dlv"')
        go_verify(after, binary="/usr/local/bin/dlv")
        duration = (run.end_ms - run.start_ms) / 1000
        _finish(after, True, f"run finished: dlv v{text.delve} installed in {duration:.1f}s",
                "", 0)
    return [Part(before.lines, run.start_ms, run.dispatch_ms),
            Part(after.lines, run.collect_ms, run.end_ms)]


def _worker_part(run: RunPlan, text: RunText, rng: random.Random, budget: int,
                 origin: NodeInfo) -> Part:
    builder = RunBuilder(rng, text, budget)
    builder.add("INFO", "build", f"build of dlv v{text.delve} requested by {origin.name}")
    go_preflight(builder)
    if go_build(builder, run.cause):
        builder.add("INFO", "upload", f"artifact dlv v{text.delve} ({text.artifact_mb} MB) "
                    f"sent to {origin.name}")
    else:
        builder.add("ERROR", "build", f"build failed, reported to {origin.name}", " exit=1")
    return Part(builder.lines, run.worker_start_ms,
                _end_ms(run.worker_start_ms, run.worker_end_ms, builder), builder.context)


def _finish(builder: RunBuilder, succeeded: bool, finished: str, failed: str,
            exit_code: int) -> None:
    if succeeded:
        builder.add("INFO", "finish", finished, " exit=0")
    else:
        builder.add("FATAL", "finish", failed, f" exit={exit_code}")


def _end_ms(start_ms: int, end_ms: int, builder: RunBuilder) -> int:
    """End a part at its planned time, or earlier in proportion for a run that failed early."""
    if not any(line.first_error for line in builder.lines) or builder.budget <= 0:
        return end_ms
    done = min(1.0, max(0.05, builder.size / builder.budget))
    return start_ms + max(2_000, int((end_ms - start_ms) * done))


def _inject(txn: str, context: Context, error_ms: int, node: NodeInfo, audit: AuditStream,
            journal: JournalStream, result: NodeResult) -> None:
    """Schedule the records of a failure's context in the audit log or the journal."""
    rng = random.Random(f"{txn}:{node.name}:context")
    if context.kind in ("avc", "apparmor"):
        records, avc = audit.denial_records(context.kind, context.values)
        denial_ms = error_ms - rng.randrange(2, 10)
        audit.schedule(denial_ms, lambda ms: audit.event(ms, records), required=True)
        result.first_errors[txn] = FirstError(node.name, "audit", denial_ms, avc)
    elif context.kind == "oom":
        kill_ms = error_ms - rng.randrange(150, 900)
        victim = rng.randrange(30_000, 90_000)
        first = FirstError(node.name, "journald", kill_ms, "")
        result.first_errors[txn] = first

        def kill(ms: int) -> None:
            first.message = journal.oom_kill(ms, victim)

        journal.schedule(kill_ms, kill, required=True)
    elif context.kind == "apt-daily":
        start_ms = error_ms - rng.randrange(5_000, 25_000)
        journal.schedule(start_ms, lambda ms: journal.unit_start(
            ms, "apt-daily-upgrade.service", "Daily apt upgrade and clean activities"),
            required=True)
