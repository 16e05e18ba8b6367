"""`investigate_streaming`: the two-phase investigation of large incident folders.

Phase 1 scans every file in parallel (`rca.streaming.scan`). Between the phases,
the own records the scan kept give the transactions (`rca.align`), which of them
failed (`rca.detect`) and the clock offsets (`rca.skew`). The offsets equal those
of a full read, because the skew bounds use only each run's first and last
record per node and its ``dispatch`` and ``collect`` steps. Phase 2 parses, in
parallel again, the windows of the failed runs (`rca.streaming.context`). Its
events go through the same steps as in `rca.pipeline.investigate`: duplicate
removal, clock offsets, time range, alignment, detection and diagnosis, so each
failed run gets the events, first error, symptoms and diagnosis a full read
gives it.

What differs from a full read (docs/streaming.md lists it with the reasons):

* a successful run holds only the own records the scan parsed, so its
  `event_count` is smaller;
* `FileStats` counts in `parsed`, `unparsed` and `continuation` only the lines
  phase 1 parsed; the lines it skimmed are in `StreamingReport.skimmed`;
* `Investigation.unassigned_events` is not counted and is None.

Results are merged in file order, and event sequence numbers are assigned after
the merge in file order and then line order, so the report does not depend on
the number of worker processes.
"""

from __future__ import annotations

import copy
import logging
import resource
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rca.align import align, apply_clock_offsets
from rca.dedupe import Deduplicator
from rca.detect import detect
from rca.errors import SourceError
from rca.i18n import N_
from rca.model import Event, Investigation
from rca.settings import Settings
from rca.skew import SkewReport, collect_bounds, estimate_offsets
from rca.sources.files import FileSettings, LogFile, find_files
from rca.streaming.context import WindowEvents, WindowTask, read_windows
from rca.streaming.progress import ScanProgress
from rca.streaming.scan import FileScan, ScanMode, ScanTask, scan_file, worker_count

if TYPE_CHECKING:
    from rca.kb import KnowledgeBase
    from rca.pipeline import Query

logger = logging.getLogger(__name__)

ES_SCHEMES = ("es://", "es+https://")

Task = TypeVar("Task")
Result = TypeVar("Result")


@dataclass(slots=True)
class StreamingReport:
    """Counters of a streaming investigation that `Investigation` has no place for.

    `skimmed` maps a file's display path to the lines the scan read and checked
    but did not parse. `window_lines` counts the lines phase 2 parsed in the
    windows of failed runs, `window_files` the files it read again and
    `window_rewinds` the times it had to read a file again from its start to go
    back. `modes` maps a display path to the `ScanMode` the file was read with.
    """

    skimmed: dict[str, int] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    window_files: int = 0
    window_lines: int = 0
    window_rewinds: int = 0
    failed_runs: int = 0


def investigate_streaming(sources: Sequence[str], settings: Settings, kb: KnowledgeBase,
                          query: Query | None = None, *, workers: int | None = None,
                          quiet: bool = False,
                          report: StreamingReport | None = None) -> Investigation:
    """Investigate log files in two phases: scan everything, then parse failed runs' windows.

    Takes the same arguments as `rca.pipeline.investigate`. `workers` is the
    number of processes (default ``RCA_WORKERS``, else the core count; 1 runs
    everything in this process). A progress bar is drawn on standard error when
    it is a terminal and `quiet` is false. `report` receives the counters listed
    in `StreamingReport`. A source that is an Elasticsearch URL sends the whole
    investigation to `rca.pipeline.investigate`, which already queries the
    server only for what it needs.
    """
    from rca.pipeline import Query, investigate

    query = query or Query()
    if any(source.startswith(ES_SCHEMES) for source in sources):
        return investigate(sources, settings, kb, query)
    paths = _paths(sources)
    report = report if report is not None else StreamingReport()
    file_settings = FileSettings(
        default_timezone=settings.zone_for(""),
        node_timezones={node: settings.zone_for(node) for node in settings.node_timezones},
        lang=settings.lang or "en",
    )
    log_files = list(find_files(paths, file_settings.lang))
    count = worker_count(workers)
    started = time.perf_counter()
    with _Pool(count) as pool, ScanProgress(enabled=ScanProgress.wanted(quiet)) as progress:
        scans = _scan(log_files, file_settings, pool, progress)
        scanned = time.perf_counter()
        logger.info("scanned %d files in %.2f s with %d worker(s); peak memory %d MB",
                    len(scans), scanned - started, count, _peak_memory_mb())
        investigation = _investigate(scans, sources, settings, kb, query, file_settings,
                                     pool, progress, report)
        logger.info("read the windows of %d failed run(s) from %d files (%d lines) in %.2f s; "
                    "peak memory %d MB", report.failed_runs, report.window_files,
                    report.window_lines, time.perf_counter() - scanned, _peak_memory_mb())
    for scan in scans:
        report.skimmed[scan.stats.path] = scan.skimmed
        report.modes[scan.stats.path] = str(scan.mode)
    return investigation


def _peak_memory_mb() -> int:
    """Peak resident memory of this process in MB (``ru_maxrss`` is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _paths(sources: Sequence[str]) -> list[Path]:
    paths = []
    for source in sources:
        path = Path(source)
        if not path.exists():
            raise SourceError(N_("%(source)s: no such file or folder. Give an incident "
                                 "folder, a log file, or es://HOST:PORT/INDEX."),
                              source=source)
        paths.append(path)
    return paths


class _Pool:
    """A process pool, or this process when one worker is asked for."""

    def __init__(self, workers: int) -> None:
        self._executor: Executor | None = None
        if workers > 1:
            self._executor = ProcessPoolExecutor(max_workers=workers)

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *details: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def run(self, function: Callable[[Task], Result],
            tasks: Sequence[Task]) -> Iterator[Result]:
        """Run `function` on every task; results come in the order they finish."""
        if self._executor is None:
            for task in tasks:
                yield function(task)
            return
        futures: list[Future[Result]] = [self._executor.submit(function, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def _scan(log_files: list[LogFile], settings: FileSettings, pool: _Pool,
          progress: ScanProgress) -> list[FileScan]:
    """Phase 1: scan every file, largest first; return the scans in file order."""
    tasks = [ScanTask(position, log_file, settings, _size(log_file))
             for position, log_file in enumerate(log_files)]
    progress.phase("scan", len(tasks), sum(task.size for task in tasks))
    sizes = {task.position: task.size for task in tasks}
    by_size = sorted(tasks, key=lambda task: (-task.size, task.position))
    scans: list[FileScan | None] = [None] * len(tasks)
    for scan in pool.run(scan_file, by_size):
        scans[scan.position] = scan
        progress.advance(sizes[scan.position])
    return [scan for scan in scans if scan is not None]


def _size(log_file: LogFile) -> int:
    if log_file.skipped is not None:
        return 0
    try:
        return log_file.path.stat().st_size
    except OSError:
        return 0


def _investigate(scans: list[FileScan], sources: Sequence[str], settings: Settings,
                 kb: KnowledgeBase, query: Query, file_settings: FileSettings, pool: _Pool,
                 progress: ScanProgress, report: StreamingReport) -> Investigation:
    from rca.pipeline import diagnose_failed, in_range

    # Phase-1 events are copies: full-mode files give their events to phase 2 as well,
    # and clock offsets must be applied to each event object once.
    scanned = [copy.copy(event) for event in _in_file_order(scans, own_only=True)]
    for scan in scans:
        if scan.mode is ScanMode.SCAN:
            scan.own_events = []
    _number(scanned)
    skew = estimate_offsets(collect_bounds(scanned), settings.clock_offsets)
    offsets = skew.offsets()
    spans = _own_spans(scanned)
    apply_clock_offsets(scanned, offsets)
    scanned = [event for event in scanned if in_range(event, query)]

    def is_causal(event: Event) -> bool:
        return bool(kb.match(event, 0, [event]))

    uncertainty = {node: estimate.uncertainty for node, estimate in skew.estimates.items()}
    runs = align(scanned, margin=settings.margin).transactions
    if query.transaction:
        runs = [txn for txn in runs if txn.id == query.transaction]
    detect(runs, is_causal=is_causal, causal_lead=settings.causal_lead,
           clock_uncertainty=uncertainty)
    failed_ids = {txn.id for txn in runs if txn.failed}
    report.failed_runs = len(failed_ids)

    windows = _node_windows(spans, failed_ids, settings.margin)
    started = time.perf_counter()
    events = _read_windows(scans, windows, failed_ids, file_settings, pool, progress, report)
    read = time.perf_counter()
    apply_clock_offsets(events, offsets)
    events = [event for event in events if in_range(event, query)]
    failed = [txn for txn in align(events, margin=settings.margin).transactions
              if txn.id in failed_ids]
    detect(failed, is_causal=is_causal, causal_lead=settings.causal_lead,
           clock_uncertainty=uncertainty)
    detected = time.perf_counter()
    diagnose_failed(failed, kb)
    logger.debug("windows read in %.2f s, runs aligned and detected in %.2f s, "
                 "diagnosed in %.2f s", read - started, detected - read,
                 time.perf_counter() - detected)

    succeeded = [txn for txn in runs if not txn.failed]
    for txn in succeeded:
        # Only the run's own boundary and error records were read.
        txn.complete = False
    transactions = succeeded + failed
    transactions.sort(key=lambda txn: (not txn.failed, txn.start is None, txn.start or 0.0,
                                       txn.id))
    return Investigation(
        sources=list(sources),
        transactions=transactions,
        files=[scan.stats for scan in scans],
        warnings=list(skew.warnings),
        generated_at=time.time(),
        # NOTE: events outside every run are not counted by the streaming path.
        unassigned_events=None,
        window_margin=settings.margin,
        clock_offsets=_clock_offsets(skew),
    )


def _in_file_order(scans: Iterable[FileScan], *, own_only: bool) -> Iterator[Event]:
    for scan in scans:
        for event in scan.own_events:
            if not own_only or event.transaction_id:
                yield event


def _number(events: list[Event]) -> None:
    """Number events in list order, which is file order and then line order."""
    for sequence, event in enumerate(events):
        event.sequence = sequence


def _own_spans(events: Iterable[Event]) -> dict[tuple[str, str], tuple[float, float]]:
    """First and last own time stamp per ``(transaction, node)``, on the node's clock."""
    spans: dict[tuple[str, str], tuple[float, float]] = {}
    for event in events:
        if event.timestamp is None or not event.transaction_id:
            continue
        key = (event.transaction_id, event.node)
        first, last = spans.get(key, (event.timestamp, event.timestamp))
        spans[key] = (min(first, event.timestamp), max(last, event.timestamp))
    return spans


def _node_windows(spans: dict[tuple[str, str], tuple[float, float]], failed: set[str],
                  margin: float) -> dict[str, list[tuple[float, float]]]:
    """Per node, the merged windows of the failed runs, on the node's clock."""
    windows: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for (txn, node), (first, last) in spans.items():
        if txn in failed:
            windows[node].append((first - margin, last + margin))
    return {node: _merge(spans_of_node) for node, spans_of_node in windows.items()}


def _merge(windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    from rca.streaming.context import WINDOW_SLACK

    merged: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if merged and start - WINDOW_SLACK <= merged[-1][1] + WINDOW_SLACK:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _read_windows(scans: list[FileScan], windows: dict[str, list[tuple[float, float]]],
                  failed: set[str], settings: FileSettings, pool: _Pool,
                  progress: ScanProgress, report: StreamingReport) -> list[Event]:
    """Phase 2: parse the failed runs' windows; return the events in file order."""
    tasks = []
    for scan in scans:
        if scan.mode is not ScanMode.SCAN or not scan.points:
            continue
        node = scan.log_file.node
        if node:
            file_windows = windows.get(node, [])
        else:
            # Records name their node: read the windows of every node.
            file_windows = _merge([window for spans in windows.values() for window in spans])
        if file_windows:
            tasks.append(WindowTask(scan.position, scan.log_file, scan.stats.format,
                                    settings, scan.reference_time, tuple(scan.points),
                                    tuple(file_windows), scan.last_time, frozenset(failed)))
    report.window_files = len(tasks)
    progress.phase("runs", len(tasks), len(tasks))
    results: dict[int, WindowEvents] = {}
    for result in pool.run(read_windows, tasks):
        results[result.position] = result
        report.window_lines += result.lines_parsed
        report.window_rewinds += result.rewinds
        progress.advance(1)

    nodes = set(windows)
    events: list[Event] = []
    for scan in scans:
        if scan.mode is ScanMode.FULL:
            events.extend(event for event in scan.own_events
                          if event.node in nodes
                          and (event.transaction_id is None or event.transaction_id in failed))
        elif scan.position in results:
            events.extend(results[scan.position].events)
    events = list(Deduplicator().filter(events))
    _number(events)
    return events


def _clock_offsets(skew: SkewReport) -> dict[str, tuple[float, float]]:
    return {node: (estimate.offset, estimate.uncertainty)
            for node, estimate in sorted(skew.estimates.items())}
