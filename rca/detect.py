"""Decide which transactions failed, and find each one's first error.

A transaction failed when one of its own events (those carrying its id) is an
error or fatal record, or reports a non-zero exit status. Context events (audit,
journald, kernel) never mark a run as failed by themselves: a permissive-mode AVC
next to a run that succeeded is not a failure.

The first error is the earliest causal event. Every own error is a candidate. A
context error is a candidate too when the knowledge base recognizes it as a cause
(an AVC denial, an OOM kill, a failed unit). It must also have happened on one of
the run's nodes, no more than the causal lead before the run's first own error. That is how
an AVC denial logged a few milliseconds before the installer's "permission
denied" becomes the first error, with the installer's line as its symptom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

from rca.model import Event, Transaction

DEFAULT_CAUSAL_LEAD = 10.0

# Seconds within which the same message from two collectors is one record.
ECHO_WINDOW = 2.0

CausalTest = Callable[[Event], bool]


def detect(transactions: Iterable[Transaction], *,
           is_causal: CausalTest | None = None,
           causal_lead: float = DEFAULT_CAUSAL_LEAD,
           clock_uncertainty: Mapping[str, float] | None = None) -> None:
    """Set `failed`, `first_error` and `symptoms` on each transaction, in place.

    `clock_uncertainty` gives, per node, how many seconds its corrected clock may
    still be off. Errors on other nodes closer than that to the first error are
    listed in `Transaction.ambiguous_order`.
    """
    recognizes = is_causal or (lambda event: True)
    uncertainty = clock_uncertainty or {}
    for txn in transactions:
        _detect_one(txn, recognizes, causal_lead)
        txn.ambiguous_order = _ambiguous_candidates(txn, uncertainty)


def _detect_one(txn: Transaction, is_causal: CausalTest, causal_lead: float) -> None:
    own_errors = [event for event in txn.events
                  if event.transaction_id == txn.id and event.is_error]
    txn.failed = bool(own_errors)
    txn.first_error = None
    txn.symptoms = []
    if not own_errors:
        return

    first_own = own_errors[0]
    candidates = list(own_errors)
    if first_own.timestamp is not None:
        earliest_allowed = first_own.timestamp - causal_lead
        candidates.extend(
            event for event in txn.events
            if event.transaction_id is None
            and event.is_error
            and event.node in txn.nodes
            and event.timestamp is not None
            and event.timestamp >= earliest_allowed
            and is_causal(event)
        )

    # `txn.events` is already sorted; keep that order for the candidates.
    position = {id(event): index for index, event in enumerate(txn.events)}
    candidates.sort(key=lambda event: position[id(event)])
    candidates = without_echoes(candidates)
    txn.first_error = candidates[0]
    txn.symptoms = candidates[1:]


def without_echoes(candidates: list[Event]) -> list[Event]:
    """Drop copies of one record that a second collector logged on the same node.

    Installers that also write to the journal, and the journal's audit transport,
    deliver the same message twice: once in the installer log or audit.log and
    once in journald, a millisecond apart. Only the first copy is kept, so a
    symptom chain does not list each error twice.
    """
    kept: list[Event] = []
    for event in candidates:
        if not any(_is_echo(event, earlier) for earlier in kept):
            kept.append(event)
    return kept


def _is_echo(event: Event, earlier: Event) -> bool:
    if event.kind == earlier.kind or event.node != earlier.node:
        return False
    if event.timestamp is None or earlier.timestamp is None:
        return False
    return (abs(event.timestamp - earlier.timestamp) <= ECHO_WINDOW
            and event.message.strip() == earlier.message.strip())


def _ambiguous_candidates(txn: Transaction, uncertainty: Mapping[str, float]) -> list[Event]:
    first = txn.first_error
    if first is None or first.timestamp is None or not uncertainty:
        return []
    ambiguous = []
    for event in txn.symptoms:
        if event.node == first.node or event.timestamp is None:
            continue
        slack = uncertainty.get(first.node, 0.0) + uncertainty.get(event.node, 0.0)
        if math.isfinite(slack) and event.timestamp - first.timestamp <= slack:
            ambiguous.append(event)
    return ambiguous
