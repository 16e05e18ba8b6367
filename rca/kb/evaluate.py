"""Evaluate rule conditions against events.

A condition compiles once into a predicate: a function from an event to the
values its named groups captured (a dict, empty when there are none) or None
when the event does not match. Context clauses then look for another event in a
pool: the transaction's events, or the other lines of an excerpt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rca.kb import ast
from rca.model import Event

Values = dict[str, str]
Predicate = Callable[[Event], Values | None]

_UNIT_KEYS = ("unit", "UNIT", "_SYSTEMD_UNIT", "USER_UNIT", "_SYSTEMD_USER_UNIT")
_TYPE_KEYS = ("type", "record_type", "_AUDIT_TYPE_NAME")


def field_value(event: Event, name: str) -> str | None:
    """Return the value of a condition field for an event, or None when the event lacks it."""
    if name == "message":
        return event.message
    if name == "raw":
        return event.raw
    if name == "kind":
        return event.kind.value
    if name == "level":
        return event.level.name.lower()
    if name == "node":
        return event.node or None
    if name == "transaction":
        return event.transaction_id
    if name == "unit":
        return _first_field(event, _UNIT_KEYS)
    if name == "type":
        return _first_field(event, _TYPE_KEYS)
    if name.startswith("fields."):
        return _first_field(event, (name[len("fields."):],))
    raise ValueError(f"unknown condition field {name!r}")


def _first_field(event: Event, keys: Sequence[str]) -> str | None:
    for key in keys:
        value = event.fields.get(key)
        if value is not None and value != "":
            return value if isinstance(value, str) else str(value)
    return None


def compile_condition(condition: ast.Condition) -> Predicate:
    """Build the predicate of a condition."""
    if isinstance(condition, ast.And):
        return _all_of([compile_condition(term) for term in condition.terms])
    if isinstance(condition, ast.Or):
        return _any_of([compile_condition(term) for term in condition.terms])
    if isinstance(condition, ast.Not):
        return _negate(compile_condition(condition.term))
    if isinstance(condition, ast.Matches):
        return _regex(condition)
    return _plain_test(condition)


def _all_of(predicates: list[Predicate]) -> Predicate:
    def test(event: Event) -> Values | None:
        values: Values = {}
        for predicate in predicates:
            found = predicate(event)
            if found is None:
                return None
            values.update(found)
        return values

    return test


def _any_of(predicates: list[Predicate]) -> Predicate:
    def test(event: Event) -> Values | None:
        for predicate in predicates:
            found = predicate(event)
            if found is not None:
                return found
        return None

    return test


def _negate(predicate: Predicate) -> Predicate:
    def test(event: Event) -> Values | None:
        return {} if predicate(event) is None else None

    return test


def _regex(condition: ast.Matches) -> Predicate:
    compiled = re.compile(condition.pattern, re.IGNORECASE if condition.ignore_case else 0)
    name = condition.field

    def test(event: Event) -> Values | None:
        value = field_value(event, name)
        if value is None:
            return None
        match = compiled.search(value)
        if match is None:
            return None
        return {key: text for key, text in match.groupdict().items() if text}

    return test


def _plain_test(condition: ast.Compare | ast.OneOf | ast.Contains) -> Predicate:
    name = condition.field
    check = _value_check(condition)

    def test(event: Event) -> Values | None:
        value = field_value(event, name)
        if value is None:
            return {} if _missing_field_passes(condition) else None
        return {} if check(value) else None

    return test


def _missing_field_passes(condition: ast.Compare | ast.OneOf | ast.Contains) -> bool:
    """Only ``!=`` holds for a field the event lacks."""
    return isinstance(condition, ast.Compare) and condition.op == ast.CompareOp.NOT_EQUAL


def _value_check(condition: ast.Compare | ast.OneOf | ast.Contains) -> Callable[[str], bool]:
    if isinstance(condition, ast.Compare):
        expected = condition.value
        if condition.op == ast.CompareOp.EQUAL:
            return lambda value: value == expected
        return lambda value: value != expected
    if isinstance(condition, ast.OneOf):
        allowed = frozenset(condition.values)
        return lambda value: value in allowed
    if condition.ignore_case:
        needle = condition.text.casefold()
        return lambda value: needle in value.casefold()
    text = condition.text
    return lambda value: text in value


@dataclass(frozen=True, slots=True)
class CompiledContext:
    context: ast.Context
    predicate: Predicate


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run; `order` is its place in the knowledge base."""

    rule: ast.Rule
    order: int
    predicate: Predicate
    contexts: tuple[CompiledContext, ...]


def compile_rule(rule: ast.Rule, order: int) -> CompiledRule:
    contexts = tuple(CompiledContext(context, compile_condition(context.condition))
                     for context in rule.contexts)
    return CompiledRule(rule, order, compile_condition(rule.condition), contexts)


@dataclass(slots=True)
class RuleMatch:
    """A rule that matched one event; `position` is the event's place among the candidates."""

    rule: ast.Rule
    order: int
    event: Event
    position: int
    values: Values = field(default_factory=dict)
    context_events: list[Event] = field(default_factory=list)

    @property
    def cause(self) -> str:
        return self.rule.cause


def match_rule(compiled: CompiledRule, event: Event, position: int,
               pool: Sequence[Event]) -> RuleMatch | None:
    """Test a rule on `event`, looking for its context events in `pool`."""
    values = compiled.predicate(event)
    if values is None:
        return None

    context_events: list[Event] = []
    for context in compiled.contexts:
        found = find_context_event(context, event, pool)
        if context.context.present != (found is not None):
            return None
        if found is not None:
            other, other_values = found
            context_events.append(other)
            values = {**other_values, **values}

    return RuleMatch(compiled.rule, compiled.order, event, position, values, context_events)


def find_context_event(context: CompiledContext, event: Event,
                       pool: Sequence[Event]) -> tuple[Event, Values] | None:
    """Find the event of `pool` nearest in time to `event` that satisfies the context clause.

    Events without a timestamp (excerpt lines) pass any time window, so in an
    excerpt the clause means "another line of the same excerpt".
    """
    best: tuple[float, Event, Values] | None = None
    for other in pool:
        if other is event or not _in_scope(context.context, event, other):
            continue
        distance = _time_distance(context.context, event, other)
        if distance is None:
            continue
        values = context.predicate(other)
        if values is not None and (best is None or distance < best[0]):
            best = (distance, other, values)
    return (best[1], best[2]) if best else None


def _in_scope(context: ast.Context, event: Event, other: Event) -> bool:
    """Apply ``on same node``; an event without a node (a pasted line) may be on any node."""
    if context.scope == ast.Scope.NODE and event.node and other.node:
        return other.node == event.node
    return True


def _time_distance(context: ast.Context, event: Event, other: Event) -> float | None:
    """Seconds between the events, or None when `other` is outside the window."""
    if event.timestamp is None or other.timestamp is None:
        return 0.0
    delta = other.timestamp - event.timestamp
    if context.direction == ast.Direction.BEFORE and delta > 0:
        return None
    if context.direction == ast.Direction.AFTER and delta < 0:
        return None
    if context.window is not None and abs(delta) > context.window:
        return None
    return abs(delta)
