"""Estimate each node's clock offset from events whose order is known.

Node clocks drift. When a run spans two nodes, some pairs of events must have
happened in a known order whatever the clocks showed. A dispatch on node A
(``step=dispatch target=B``) precedes the first record of the same run on B.
B's last record of the run precedes A's ``step=collect source=B`` record.

With ``offset(X)`` the amount node X's clock runs ahead, each ordered pair
``a`` before ``b`` gives ``offset(B) - offset(A) <= t_b - t_a``, and each pair in
the other direction gives a lower bound. Intersecting the bounds of all runs
gives an interval for the offset difference of each node pair. The estimate is
the value in that interval closest to zero (the smallest correction that puts
every known pair in order), and the distance to the farther end of the interval
is the uncertainty. Offsets are then propagated
from a reference node (offset 0) along the pairs, adding uncertainties. A pair
whose bounds contradict each other (a clock stepped in the middle of the
incident) is reported and estimated from the narrowest consistent bounds only.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rca.model import Event

log = logging.getLogger(__name__)

# Seconds an estimate stays inside its bounds, so corrected events never tie.
_INSET = 0.001

DISPATCH_STEP = "dispatch"
COLLECT_STEP = "collect"


@dataclass(slots=True)
class PairBounds:
    """Bounds on ``offset(second) - offset(first)`` in seconds, from `count` constraints."""

    low: float = -math.inf
    high: float = math.inf
    count: int = 0
    conflicts: int = 0

    def add(self, low: float, high: float) -> None:
        self.count += 1
        new_low, new_high = max(self.low, low), min(self.high, high)
        if new_low > new_high:
            # Contradicting evidence: keep the interval seen so far.
            self.conflicts += 1
            return
        self.low, self.high = new_low, new_high


@dataclass(slots=True)
class ClockEstimate:
    """Estimated clock offset of one node against the reference node, in seconds."""

    offset: float
    uncertainty: float
    reference: str
    constraints: int = 0
    configured: bool = False


@dataclass(slots=True)
class SkewReport:
    """All estimates plus the warnings worth showing in a report."""

    estimates: dict[str, ClockEstimate] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def offsets(self) -> dict[str, float]:
        return {node: estimate.offset for node, estimate in self.estimates.items()}


def collect_bounds(events: Iterable[Event]) -> dict[tuple[str, str], PairBounds]:
    """Derive offset-difference bounds for node pairs from ordered cross-node events."""
    by_txn: dict[str, list[Event]] = defaultdict(list)
    bounds: dict[tuple[str, str], PairBounds] = defaultdict(PairBounds)

    for event in events:
        if event.timestamp is None or not event.node:
            continue
        if event.transaction_id:
            by_txn[event.transaction_id].append(event)

    for txn_events in by_txn.values():
        _add_dispatch_bounds(txn_events, bounds)
    return dict(bounds)


def _add_dispatch_bounds(txn_events: list[Event],
                         bounds: dict[tuple[str, str], PairBounds]) -> None:
    per_node: dict[str, list[float]] = defaultdict(list)
    for event in txn_events:
        if event.timestamp is not None:
            per_node[event.node].append(event.timestamp)

    # Only the earliest dispatch and the latest collect record of each node pair
    # give sound bounds: a later "dispatch" line ("worker accepted the job") may
    # well be logged after the worker's first record.
    first_dispatch: dict[tuple[str, str], float] = {}
    last_collect: dict[tuple[str, str], float] = {}
    for event in txn_events:
        step = event.fields.get("step")
        peer = str(event.fields.get("target") or event.fields.get("source")
                   or event.fields.get("worker") or "")
        moment = event.timestamp
        if moment is None or peer == event.node or peer not in per_node:
            continue
        pair = (event.node, peer)
        if step == DISPATCH_STEP:
            first_dispatch[pair] = min(moment, first_dispatch.get(pair, moment))
        elif step == COLLECT_STEP:
            last_collect[pair] = max(moment, last_collect.get(pair, moment))

    for (node, peer), moment in first_dispatch.items():
        # dispatch on A before B's first record: off(B) - off(A) <= t_b - t_a
        _bound(bounds, node, peer, -math.inf, min(per_node[peer]) - moment)
    for (node, peer), moment in last_collect.items():
        # B's last record before the collect on A: off(B) - off(A) >= t_b - t_a
        _bound(bounds, node, peer, max(per_node[peer]) - moment, math.inf)


def _bound(bounds: dict[tuple[str, str], PairBounds], first: str, second: str,
           low: float, high: float) -> None:
    """Record ``low <= off(second) - off(first) <= high`` under a canonical pair order."""
    if first <= second:
        bounds[(first, second)].add(low, high)
    else:
        bounds[(second, first)].add(-high, -low)


def estimate_offsets(bounds: Mapping[tuple[str, str], PairBounds],
                     configured: Mapping[str, float] | None = None) -> SkewReport:
    """Turn pair bounds into per-node offsets; configured offsets win and anchor the rest."""
    report = SkewReport()
    configured = dict(configured or {})
    graph: dict[str, list[tuple[str, float, float, int]]] = defaultdict(list)

    for (first, second), pair in sorted(bounds.items()):
        if pair.conflicts:
            report.warnings.append(
                f"clock of {second} against {first}: {pair.conflicts} of {pair.count} "
                "ordering constraints contradict the others; a clock may have stepped")
        estimate, uncertainty = _interval_estimate(pair)
        if estimate is None:
            continue
        graph[first].append((second, estimate, uncertainty, pair.count))
        graph[second].append((first, -estimate, uncertainty, pair.count))

    for node, offset in configured.items():
        report.estimates[node] = ClockEstimate(offset, 0.0, node, configured=True)

    # Propagate from every configured node, then from the first remaining node of
    # each connected group, which becomes that group's reference.
    roots = list(configured) + sorted(graph)
    for root in roots:
        if root not in report.estimates:
            report.estimates[root] = ClockEstimate(0.0, 0.0, root)
        _propagate(root, graph, report.estimates)
    return report


def _interval_estimate(pair: PairBounds) -> tuple[float | None, float]:
    """Return the smallest correction the bounds allow, and how far off it may be.

    Fleet clocks are usually synchronized, so the offset closest to zero that
    satisfies every ordering constraint is the likeliest: a midpoint would shift
    well-synchronized nodes by half of a wide interval. The estimate stays a
    millisecond inside the interval so that corrected events do not tie exactly.
    The uncertainty is the distance to the farther bound, so the stated range
    always contains the true offset.
    A one-sided bound gives an estimate only when the clocks violate it, and its
    uncertainty is then unbounded.
    """
    if math.isfinite(pair.low) and math.isfinite(pair.high):
        inset = min(_INSET, (pair.high - pair.low) / 2)
        estimate = min(max(0.0, pair.low + inset), pair.high - inset)
        return estimate, max(estimate - pair.low, pair.high - estimate)
    if math.isfinite(pair.high) and pair.high < 0:
        return pair.high - _INSET, math.inf
    if math.isfinite(pair.low) and pair.low > 0:
        return pair.low + _INSET, math.inf
    # A one-sided bound that the clocks already satisfy gives nothing to correct.
    return None, math.inf


def _propagate(root: str, graph: Mapping[str, list[tuple[str, float, float, int]]],
               estimates: dict[str, ClockEstimate]) -> None:
    reference = estimates[root].reference
    queue = deque([root])
    while queue:
        node = queue.popleft()
        base = estimates[node]
        for neighbour, difference, uncertainty, count in graph.get(node, []):
            if neighbour in estimates:
                continue
            estimates[neighbour] = ClockEstimate(
                offset=base.offset + difference,
                uncertainty=base.uncertainty + uncertainty,
                reference=reference,
                constraints=count,
            )
            queue.append(neighbour)
