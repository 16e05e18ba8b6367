"""Name the root cause of a failed transaction or of one error excerpt.

Rules come first. Every rule is tested on every candidate event (a
transaction's first error and symptoms, or each line of an excerpt), with
context clauses looked up among all the events. A match drops out when another
match's cause outranks it (``outranks`` in the rule files). Of the rest, the
earliest event wins, then the more specific rule, then the rule written first.
When no rule matches, the classifier (`rca.classify`) may name a cause, and
below its confidence threshold the cause is ``unknown``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rca.kb import KnowledgeBase
from rca.kb.evaluate import RuleMatch, Values
from rca.model import UNKNOWN_CAUSE, Diagnosis, Event, Level, Origin, SourceKind, Transaction

logger = logging.getLogger(__name__)

MAX_EVIDENCE = 5
_ERROR_WORDS = re.compile(
    r"\b(?:error|fatal|failed|failure|cannot|can't|unable|denied|refused|killed|panic)\b|^E: ",
    re.IGNORECASE)


@dataclass(slots=True)
class Ranking:
    """Every rule match of one diagnosis, sorted: `winners[0]` decides.

    `beaten` pairs each outranked match with a match that outranks it.
    """

    winners: list[RuleMatch] = field(default_factory=list)
    beaten: list[tuple[RuleMatch, RuleMatch]] = field(default_factory=list)


def diagnose_excerpt(events: list[Event], kb: KnowledgeBase, *, rules: bool = True,
                     classifier: bool = True) -> Diagnosis:
    """Diagnose one pasted or saved error output; every event is a candidate."""
    candidates = [event for event in events if event.message.strip()]
    return _diagnose(candidates, events, kb, rules=rules, classifier=classifier)


def diagnose_transaction(txn: Transaction, kb: KnowledgeBase) -> Diagnosis:
    """Diagnose a failed transaction from its first error and symptoms.

    Context clauses see every event of the transaction, including the same-node
    audit and journald events that alignment joined to it.
    """
    candidates: list[Event] = []
    for event in [txn.first_error, *txn.symptoms]:
        if event is not None and all(event is not seen for seen in candidates):
            candidates.append(event)
    if not candidates:
        candidates = [event for event in txn.events if event.is_error]
    return _diagnose(candidates, txn.events, kb, rules=True, classifier=True)


def _diagnose(candidates: list[Event], pool: Sequence[Event], kb: KnowledgeBase, *,
              rules: bool, classifier: bool) -> Diagnosis:
    if rules:
        ranking = rank_matches(find_matches(candidates, pool, kb), kb)
        if ranking.winners:
            return _rule_diagnosis(ranking, kb, candidates)

    if classifier and candidates:
        found = _classifier_diagnosis(candidates, kb)
        if found is not None:
            return found

    return unknown_diagnosis(candidates)


def find_matches(candidates: Sequence[Event], pool: Sequence[Event],
                 kb: KnowledgeBase) -> list[RuleMatch]:
    """Return every rule match on every candidate; `RuleMatch.position` is the candidate's index."""
    matches: list[RuleMatch] = []
    for position, event in enumerate(candidates):
        matches.extend(kb.match(event, position, pool))
    return matches


def rank_matches(matches: list[RuleMatch], kb: KnowledgeBase) -> Ranking:
    """Drop outranked matches and sort the rest: earliest event, most specific rule, file order."""
    ranking = Ranking()
    for match in matches:
        winner = next((other for other in matches if kb.outranks(other.rule, match.cause)), None)
        if winner is None:
            ranking.winners.append(match)
        else:
            ranking.beaten.append((match, winner))

    if not ranking.winners and matches:
        # Rule-level `outranks` can eliminate every match in a circle, so then none is dropped.
        logger.debug("outranks declarations eliminate every match; ignoring them")
        ranking.winners, ranking.beaten = list(matches), []

    ranking.winners.sort(key=lambda match: (match.position, -match.rule.specificity[0],
                                            -match.rule.specificity[1], match.order))
    return ranking


def _rule_diagnosis(ranking: Ranking, kb: KnowledgeBase, candidates: list[Event]) -> Diagnosis:
    best = ranking.winners[0]
    same_cause = [match for match in ranking.winners if match.cause == best.cause]

    evidence = _evidence(same_cause)
    values = dict(best.values)
    for match in same_cause[1:]:
        for key, value in match.values.items():
            values.setdefault(key, value)
    _add_extracted_values(values, kb, best.cause, evidence, candidates)
    _add_event_values(values, best.event)

    cause = kb.causes[best.cause]
    return Diagnosis(
        cause=best.cause,
        confidence=best.rule.confidence,
        decided_by=f"rule:{best.rule.qualified_name}",
        evidence=evidence,
        values=values,
        remedy=cause.remedy,
        severity=cause.severity,
        alternatives=_alternatives(ranking, best.cause),
    )


def _evidence(matches: list[RuleMatch]) -> list[Event]:
    """Return the matched events, then their context events, without repeats.

    At most `MAX_EVIDENCE` events are kept.
    """
    evidence: list[Event] = []
    ordered = [match.event for match in matches] + \
        [event for match in matches for event in match.context_events]
    for event in ordered:
        if len(evidence) == MAX_EVIDENCE:
            break
        if all(event is not seen for seen in evidence):
            evidence.append(event)
    return evidence


def _alternatives(ranking: Ranking, chosen: str) -> list[tuple[str, float]]:
    """Other causes whose rules matched, best first, with their rules' confidence."""
    best: dict[str, float] = {}
    for match in ranking.winners + [beaten for beaten, _ in ranking.beaten]:
        if match.cause != chosen:
            best[match.cause] = max(best.get(match.cause, 0.0), match.rule.confidence)
    return sorted(best.items(), key=lambda item: -item[1])


def _add_extracted_values(values: Values, kb: KnowledgeBase, cause: str,
                          evidence: Sequence[Event], candidates: Sequence[Event]) -> None:
    """Fill values from the cause's extract and rule patterns; the first value found stays.

    The evidence is searched first, then the other candidates (the ``file``
    output after an "exec format error" names the architecture).
    """
    others = [event for event in candidates if all(event is not seen for seen in evidence)]
    for event in [*evidence, *others]:
        for predicate in kb.extractors(cause):
            for key, value in (predicate(event) or {}).items():
                values.setdefault(key, value)


# Decoded record fields offered to fix templates: audit paths and SELinux labels,
# AppArmor profiles, the command. Values matched by a rule's pattern come first.
_EVENT_FIELD_VALUES = ("path", "name", "cwd", "comm", "exe", "scontext", "tcontext", "tclass",
                       "profile", "operation", "requested_mask", "denied_mask")


def _add_event_values(values: Values, event: Event) -> None:
    for key, value in (("node", event.node), ("kind", event.kind.value),
                       ("transaction", event.transaction_id or "")):
        if value:
            values.setdefault(key, value)
    for key in _EVENT_FIELD_VALUES:
        field_value = event.fields.get(key)
        if isinstance(field_value, str) and field_value:
            values.setdefault(key, field_value)
    permissions = event.fields.get("permissions")
    if isinstance(permissions, list) and permissions:
        values.setdefault("permission", " ".join(str(item) for item in permissions))
    unit = event.fields.get("unit") or event.fields.get("UNIT") or event.fields.get("_SYSTEMD_UNIT")
    if isinstance(unit, str) and unit:
        values.setdefault("unit", unit)


def _classifier_diagnosis(candidates: list[Event], kb: KnowledgeBase) -> Diagnosis | None:
    from rca.classify import classify_events

    result = classify_events(candidates, kb)
    if result is None:
        return None

    values: Values = {}
    _add_extracted_values(values, kb, result.cause, [result.event], candidates)
    _add_event_values(values, result.event)
    cause = kb.causes[result.cause]
    return Diagnosis(
        cause=result.cause,
        confidence=result.score,
        decided_by="classifier",
        evidence=[result.event],
        values=values,
        remedy=cause.remedy,
        severity=cause.severity,
        alternatives=result.alternatives,
    )


def unknown_diagnosis(candidates: Sequence[Event]) -> Diagnosis:
    """Return the abstention: cause ``unknown``, with the first error-looking event as evidence."""
    evidence = first_error_line(candidates)
    values: Values = {}
    if evidence is not None:
        _add_event_values(values, evidence)
    return Diagnosis(UNKNOWN_CAUSE, 0.0, "none", evidence=[evidence] if evidence else [],
                     values=values)


def first_error_line(events: Sequence[Event]) -> Event | None:
    """Return the first event at error level or worded like an error, else the last event."""
    for event in events:
        if event.level >= Level.ERROR:
            return event
    for event in events:
        if _ERROR_WORDS.search(event.message):
            return event
    return events[-1] if events else None


def events_from_text(text: str, path: str = "-", node: str = "") -> list[Event]:
    """Make one tool-output event per line of an excerpt, without timestamps.

    This is how an excerpt is read when no log format applies: each line keeps
    its 1-based line number in its origin and its text as message and raw.
    """
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        events.append(Event(timestamp=None, node=node, kind=SourceKind.TOOL_OUTPUT,
                            level=Level.INFO, message=line, raw=line,
                            origin=Origin(path, number), sequence=number))
    return events


def events_from_file(path: Path) -> list[Event]:
    """Read a saved excerpt as one event per line (undecodable bytes replaced)."""
    return events_from_text(path.read_text("utf-8", errors="replace"), str(path))
