"""Group events into transactions (install runs) across nodes.

An event that carries a transaction id belongs to that transaction, on whatever
node it was logged. Events without an id (audit records, journald entries,
kernel lines, installer lines printed outside a run) join every transaction
whose window on the same node contains them. A transaction's window on a node is
the span of its own events there, widened by the margin on both sides. Two runs
that overlap on one node therefore share the context events of the overlap;
detection later decides which of them an error explains.

Clock offsets are applied before anything is compared: an offset of +2.0 for a
node means its clock runs two seconds ahead, so 2.0 is subtracted from every
timestamp logged there.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rca.model import Event, Transaction

log = logging.getLogger(__name__)

DEFAULT_MARGIN = 30.0


@dataclass(slots=True)
class Alignment:
    """Transactions built from an event stream, and the events that joined none."""

    transactions: list[Transaction] = field(default_factory=list)
    unassigned: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class _NodeWindow:
    start: float
    end: float
    transaction: Transaction


def apply_clock_offsets(events: Iterable[Event], offsets: Mapping[str, float]) -> None:
    """Shift each event's timestamp by its node's clock offset, in place."""
    if not offsets:
        return
    for event in events:
        offset = offsets.get(event.node)
        if offset and event.timestamp is not None:
            event.timestamp -= offset


def align(events: Iterable[Event], *, margin: float = DEFAULT_MARGIN) -> Alignment:
    """Build transactions from `events` and join same-node context events by window.

    Transactions come back ordered by their start time, with runs without any
    timestamp last, by id. Each transaction's events are sorted by
    `Event.sort_key`, which breaks timestamp ties by origin order.
    """
    by_id: dict[str, list[Event]] = defaultdict(list)
    context: list[Event] = []
    for event in events:
        if event.transaction_id:
            by_id[event.transaction_id].append(event)
        else:
            context.append(event)

    transactions = [_new_transaction(txn_id, own) for txn_id, own in by_id.items()]
    windows = _node_windows(transactions, margin)

    # Windows are sorted by start, so the windows that can contain an event are
    # those starting at or before it and no more than the longest window earlier.
    unassigned: list[Event] = []
    for event in context:
        joined = _join_windows(event, windows.get(event.node))
        if not joined:
            unassigned.append(event)
        for txn in joined:
            txn.events.append(event)

    for txn in transactions:
        txn.events.sort(key=Event.sort_key)
    transactions.sort(key=_transaction_order)
    log.debug("aligned %d transactions; %d events joined none",
              len(transactions), len(unassigned))
    return Alignment(transactions=transactions, unassigned=unassigned)


def _new_transaction(txn_id: str, own: list[Event]) -> Transaction:
    times = [event.timestamp for event in own if event.timestamp is not None]
    return Transaction(
        id=txn_id,
        events=list(own),
        nodes=sorted({event.node for event in own if event.node}),
        start=min(times) if times else None,
        end=max(times) if times else None,
    )


def _node_windows(transactions: list[Transaction],
                  margin: float) -> dict[str, tuple[list[float], list[_NodeWindow], float]]:
    """Index each node's transaction windows by start time.

    Returns, per node, the sorted start times, the windows in the same order and
    the longest window length, which bounds the backward search in `_join_windows`.
    """
    spans: dict[tuple[str, str], list[float]] = {}
    owners: dict[str, Transaction] = {}
    for txn in transactions:
        owners[txn.id] = txn
        for event in txn.events:
            if event.timestamp is None or not event.node:
                continue
            span = spans.setdefault((event.node, txn.id), [event.timestamp, event.timestamp])
            span[0] = min(span[0], event.timestamp)
            span[1] = max(span[1], event.timestamp)

    per_node: dict[str, list[_NodeWindow]] = defaultdict(list)
    for (node, txn_id), (first, last) in spans.items():
        per_node[node].append(_NodeWindow(first - margin, last + margin, owners[txn_id]))

    index: dict[str, tuple[list[float], list[_NodeWindow], float]] = {}
    for node, node_windows in per_node.items():
        node_windows.sort(key=lambda window: (window.start, window.transaction.id))
        longest = max(window.end - window.start for window in node_windows)
        index[node] = ([window.start for window in node_windows], node_windows, longest)
    return index


def _join_windows(event: Event,
                  node_index: tuple[list[float], list[_NodeWindow], float] | None,
                  ) -> list[Transaction]:
    if node_index is None or event.timestamp is None:
        return []
    starts, node_windows, longest = node_index
    moment = event.timestamp
    upper = bisect.bisect_right(starts, moment)
    lower = bisect.bisect_left(starts, moment - longest)
    return [window.transaction for window in node_windows[lower:upper] if window.end >= moment]


def _transaction_order(txn: Transaction) -> tuple[bool, float, str]:
    return (txn.start is None, txn.start if txn.start is not None else 0.0, txn.id)
