"""Render knowledge-base conditions as KQL, for Kibana Discover links to a rule's hits.

The query tree is the one `rca.kb.compile_es` builds, so KQL and the
Elasticsearch query read the same ECS fields. Each node becomes::

    term, match_phrase     field: "value"         quoted, with \\ and " escaped
    terms                  field: ("a" or "b")
    wildcard               field: *text*          unquoted, special characters escaped
    exists                 field: *
    bool                   and, or, not           parenthesized as needed

KQL has no regular expressions, so a ``regexp`` node is written as the
literal texts every match contains (`rca.kb.compile_regex.required_literals`),
and the query is approximate. KQL wildcards on keyword fields match case
exactly (unless Kibana is configured otherwise), so a case-insensitive
``wildcard`` is approximate too. A leading ``*`` needs Kibana's
``query:allowLeadingWildcards`` setting, which is on by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from rca.kb import ast
from rca.kb.compile_es import (
    AllOf,
    AnyOf,
    Approximation,
    CompileError,
    EsFields,
    Exists,
    MatchAll,
    MatchNone,
    Negation,
    Node,
    Phrase,
    Plan,
    Regexp,
    Term,
    Terms,
    Wildcard,
    all_of,
    any_of,
    negation,
    plan_condition,
    plan_rule,
)

# Characters with a meaning in an unquoted KQL value (the SpecialCharacter
# rule of Kibana's KQL grammar).
_UNQUOTED_SPECIAL: Final = frozenset('\\():<>"*{}')
_KEYWORD_RE: Final = re.compile(r"(\s)(and|or)(?=\s)", re.IGNORECASE)
_NOT_RE: Final = re.compile(r"([nN])([oO][tT]\s)")


@dataclass(frozen=True, slots=True)
class KqlQuery:
    """A KQL query and why it may show other documents than its condition matches.

    `matches_nothing` is True when the condition can match no document (it
    asks for ``kind = tool-output``, which Elasticsearch documents never are);
    `text` is then empty.
    """

    text: str
    approximations: frozenset[Approximation] = frozenset()
    matches_nothing: bool = False

    @property
    def approximate(self) -> bool:
        return bool(self.approximations)


def compile_kql(condition: ast.Condition, fields: EsFields | None = None) -> KqlQuery:
    """Render a condition as KQL; an empty text matches every document.

    Raises:
        CompileError: the condition contains an unknown node type or field.
    """
    return _render_plan(plan_condition(condition, fields))


def rule_kql(rule: ast.Rule, fields: EsFields | None = None) -> KqlQuery:
    """Render a rule's condition as KQL; context clauses make it approximate."""
    return _render_plan(plan_rule(rule, fields))


def kql_quote(value: str) -> str:
    """Quote a value for KQL: double quotes, with ``\\`` and ``"`` escaped by a backslash.

    Inside quotes KQL reads ``*`` and ``:`` literally, so a quoted value
    matches exactly.
    """
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def escape_unquoted(text: str) -> str:
    """Escape text for an unquoted KQL value.

    As Kibana's ``escapeUnquotedLiteral`` does, special characters get a
    backslash, ``and`` and ``or`` between spaces get a backslash, and tabs and
    line breaks become ``\\t``, ``\\r`` and ``\\n``. A ``not`` before a space
    has its first letter written as ``\\u006E``, because ``\\not`` would
    start with the escape ``\\n``.
    """
    escaped = "".join("\\" + char if char in _UNQUOTED_SPECIAL else char for char in text)
    escaped = _KEYWORD_RE.sub(r"\1\\\2", escaped)
    escaped = _NOT_RE.sub(lambda match: f"\\u{ord(match.group(1)):04X}{match.group(2)}",
                          escaped)
    return escaped.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


def _render_plan(plan: Plan) -> KqlQuery:
    approximations = set(plan.approximations)
    node = _kql_tree(plan.node, approximations)
    if isinstance(node, MatchNone):
        return KqlQuery("", frozenset(approximations), matches_nothing=True)
    text = "" if isinstance(node, MatchAll) else _render(node)
    return KqlQuery(text, frozenset(approximations))


def _kql_tree(node: Node, approximations: set[Approximation]) -> Node:
    """Replace what KQL cannot express (regexp, by its literal texts), noting approximations.

    The literal texts of a pattern may be no text at all, which matches
    everything; rebuilding the tree simplifies that away.
    """
    match node:
        case Regexp(literals=literals):
            approximations.add(Approximation.REGEX_FALLBACK)
            return _kql_tree(literals, approximations)
        case Wildcard(case_insensitive=True):
            approximations.add(Approximation.CASE_SENSITIVE_WILDCARD)
            return node
        case AllOf(terms):
            return all_of(_kql_tree(term, approximations) for term in terms)
        case AnyOf(terms):
            return any_of(_kql_tree(term, approximations) for term in terms)
        case Negation(term):
            return negation(_kql_tree(term, approximations))
    return node


def _render(node: Node) -> str:
    match node:
        case Term(name, value) | Phrase(name, value):
            return f"{name}: {kql_quote(value)}"
        case Terms(name, values):
            return f"{name}: ({' or '.join(kql_quote(value) for value in values)})"
        case Wildcard(name, pattern):
            return f"{name}: {_unquoted_wildcard(pattern)}"
        case Exists(name):
            return f"{name}: *"
        case AllOf(terms):
            return " and ".join(_operand(term) for term in terms)
        case AnyOf(terms):
            return " or ".join(_operand(term) for term in terms)
        case Negation(term):
            return f"not {_operand(term)}"
    raise CompileError(f"cannot render query node {type(node).__name__} as KQL")


def _operand(node: Node) -> str:
    text = _render(node)
    return f"({text})" if isinstance(node, AllOf | AnyOf) else text


def _unquoted_wildcard(pattern: str) -> str:
    """Turn a ``wildcard`` query value into an unquoted KQL value.

    Values come from `rca.kb.compile_es`, which escapes every ``?``, so ``*``
    is the only wildcard to keep.
    """
    parts: list[str] = []
    literal: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            literal.append(pattern[index + 1])
            index += 2
            continue
        if char == "*":
            parts.append(escape_unquoted("".join(literal)))
            parts.append("*")
            literal = []
        else:
            literal.append(char)
        index += 1
    parts.append(escape_unquoted("".join(literal)))
    return "".join(parts)
