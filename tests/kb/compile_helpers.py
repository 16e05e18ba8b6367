"""Conditions and rules written in the rule language, for the compiler tests."""

from __future__ import annotations

from rca.kb import ast
from rca.kb.parser import parse_rule_file
from rca.model import Event, Level, Origin, SourceKind


def rule(text: str) -> ast.Rule:
    """Parse ``rule r when TEXT`` (with any context clauses) in a cause ``a.b``."""
    parsed = parse_rule_file(f"cause a.b {{ rule r when {text} }}", "test.rca")
    assert parsed.problems == []
    return parsed.rule_file.causes[0].rules[0]


def condition(text: str) -> ast.Condition:
    return rule(text).condition


def line_event(line: str) -> Event:
    """The event an excerpt line gives: message and raw text are the line."""
    return Event(timestamp=None, node="", kind=SourceKind.TOOL_OUTPUT, level=Level.INFO,
                 message=line, raw=line, origin=Origin("excerpt", 1))
