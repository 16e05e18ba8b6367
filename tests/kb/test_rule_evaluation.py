"""Evaluating conditions and context clauses against events."""

from __future__ import annotations

from typing import Any

import pytest

from rca.kb import ast
from rca.kb.evaluate import (
    CompiledContext,
    compile_condition,
    compile_rule,
    field_value,
    find_context_event,
    match_rule,
)
from rca.kb.parser import parse_rule_file
from rca.model import Event, Level, Origin, SourceKind


def _event(message: str = "", *, kind: SourceKind = SourceKind.TOOL_OUTPUT,
           level: Level = Level.ERROR, node: str = "node-01", timestamp: float | None = None,
           fields: dict[str, Any] | None = None, raw: str | None = None) -> Event:
    return Event(timestamp=timestamp, node=node, kind=kind, level=level, message=message,
                 raw=message if raw is None else raw, origin=Origin("test.log", 1),
                 fields=fields or {})


def _rule(text: str) -> ast.Rule:
    result = parse_rule_file(f"cause a.b {{ rule r when {text} }}", "t.rca")
    assert result.problems == []
    return result.rule_file.causes[0].rules[0]


def _matches(condition: str, event: Event) -> bool:
    return compile_condition(_rule(condition).condition)(event) is not None


AUDIT = _event("avc:  denied  { write }", kind=SourceKind.AUDIT,
               fields={"type": "AVC", "exit_code": -13, "scontext": "a_t"})
JOURNAL = _event("Failed to start agent.service.", kind=SourceKind.JOURNALD, level=Level.CRITICAL,
                 fields={"_SYSTEMD_UNIT": "init.scope", "UNIT": "agent.service"})


@pytest.mark.parametrize(("condition", "event", "expected"), [
    ('message = "avc:  denied  { write }"', AUDIT, True),
    ('message = "avc"', AUDIT, False),
    ('message != "avc"', AUDIT, True),
    ('message contains "denied"', AUDIT, True),
    ('message contains "DENIED"', AUDIT, False),
    ('message icontains "DENIED"', AUDIT, True),
    (r"message ~ /denied\s+\{/", AUDIT, True),
    ("message ~ /DENIED/i", AUDIT, True),
    ("kind = audit", AUDIT, True),
    ("kind in [journald, syslog]", AUDIT, False),
    ("level = critical", JOURNAL, True),
    ("level in [error, critical]", AUDIT, True),
    ("node = node-01", AUDIT, True),
    ("type = AVC", AUDIT, True),
    ('unit = "agent.service"', JOURNAL, True),
    ("fields.exit_code = -13", AUDIT, True),
    ('fields.scontext = "a_t"', AUDIT, True),
    ('raw contains "write"', AUDIT, True),
], ids=["equal", "equal-whole-value", "not-equal", "contains", "contains-case", "icontains",
        "regex", "regex-ignore-case", "kind", "kind-list", "level", "level-list", "node",
        "audit-type", "unit-from-journald", "number-field", "string-field", "raw"])
def test_operator(condition: str, event: Event, expected: bool) -> None:
    assert _matches(condition, event) is expected


@pytest.mark.parametrize(("condition", "expected"), [
    ('fields.profile = "x"', False),
    ('fields.profile != "x"', True),
    ('fields.profile in ["x"]', False),
    ('fields.profile contains "x"', False),
    ('fields.profile icontains "x"', False),
    ("fields.profile ~ /x/", False),
    ("unit = x", False),
    ('not fields.profile = "x"', True),
], ids=["equal", "not-equal", "in", "contains", "icontains", "regex", "unit", "not"])
def test_missing_field(condition: str, expected: bool) -> None:
    assert _matches(condition, AUDIT) is expected


def test_icontains_folds_non_ascii_case() -> None:
    assert _matches('message icontains "straße"', _event("STRASSE gesperrt"))


def test_regex_captures_named_groups() -> None:
    rule = _rule(r"message ~ /lookup (?P<host>\S+) on (?P<dns>\S+):/")
    predicate = compile_condition(rule.condition)

    assert predicate(_event("dial tcp: lookup db.example on 10.0.0.2:53: no such host")) == \
        {"host": "db.example", "dns": "10.0.0.2:53"}


def test_or_captures_from_matching_branch() -> None:
    condition = _rule(r"message ~ /port (?P<port>\d+)/ or message ~ /host (?P<host>\S+)/").condition

    assert compile_condition(condition)(_event("host db.example")) == {"host": "db.example"}


def test_and_merges_captures() -> None:
    condition = _rule(r"message ~ /a=(?P<a>\d)/ and message ~ /b=(?P<b>\d)/").condition

    assert compile_condition(condition)(_event("a=1 b=2")) == {"a": "1", "b": "2"}


def test_unmatched_optional_group_is_left_out() -> None:
    condition = _rule(r"message ~ /x(?: (?P<extra>\d+))?/").condition

    assert compile_condition(condition)(_event("x")) == {}


def test_field_value_of_unknown_field_raises() -> None:
    with pytest.raises(ValueError, match="bogus"):
        field_value(AUDIT, "bogus")


AVC_CONTEXT = 'message icontains "permission denied" with type = AVC on same node within 5s before'


def _context_match(first_error: Event, other: Event) -> bool:
    compiled = compile_rule(_rule(AVC_CONTEXT), 0)
    return match_rule(compiled, first_error, 0, [other, first_error]) is not None


def _avc(node: str = "node-01", timestamp: float | None = 98.0) -> Event:
    return _event("avc: denied", kind=SourceKind.AUDIT, node=node, timestamp=timestamp,
                  fields={"type": "AVC"})


DENIED = _event("open /opt/x: permission denied", timestamp=100.0)


@pytest.mark.parametrize(("other", "expected"), [
    (_avc(), True),
    (_avc(node="node-02"), False),
    (_avc(timestamp=90.0), False),
    (_avc(timestamp=101.0), False),
    (_avc(timestamp=None), True),
    (_avc(node=""), True),
], ids=["same-node-before", "other-node", "outside-window", "after", "no-timestamp", "no-node"])
def test_context_window_and_scope(other: Event, expected: bool) -> None:
    assert _context_match(DENIED, other) is expected


def test_context_never_matches_the_event_itself() -> None:
    rule = _rule('message contains "x" with message contains "x"')

    assert match_rule(compile_rule(rule, 0), _event("x"), 0, []) is None


def test_without_context_rejects() -> None:
    rule = _rule('message contains "denied" without message contains "permissive=1"')
    compiled = compile_rule(rule, 0)
    denied = _event("avc: denied")

    assert match_rule(compiled, denied, 0, [denied]) is not None
    assert match_rule(compiled, denied, 0, [denied, _event("permissive=1")]) is None


def test_context_takes_nearest_event_and_its_values() -> None:
    rule = _rule(r'message contains "killed" with message ~ /Killed process (?P<pid>\d+)/')
    near = _event("Killed process 22", timestamp=99.0)
    far = _event("Killed process 11", timestamp=40.0)
    killed = _event("signal: killed", timestamp=100.0)

    found = match_rule(compile_rule(rule, 0), killed, 0, [far, near, killed])

    assert found is not None
    assert found.values == {"pid": "22"}
    assert found.context_events == [near]


def test_find_context_event_transaction_scope_crosses_nodes() -> None:
    context = ast.Context(ast.Contains("message", "avc"), scope=ast.Scope.TRANSACTION)
    compiled = CompiledContext(context, compile_condition(context.condition))
    other = _avc(node="node-09")

    assert find_context_event(compiled, DENIED, [other]) == (other, {})
