"""Compile knowledge-base conditions into LogQL: label matchers and line filters.

Loki stores each log line with a few stream labels, so a condition becomes

* label matchers in the stream selector for tests on fields that are labels.
  ``node`` is ``host`` and ``transaction`` is ``transaction_id``, the labels
  ``shipping/loki/loki_handler.py`` sets, and ``unit`` is ``unit``, as
  Promtail's journal relabelling usually names it (see `LokiLabels`);
* line filters for tests on ``message`` and ``raw``, which both mean the
  log line: ``|= "text"``, ``|~ "(?i)text"``, ``|~ "pattern"`` and their
  negations ``!=`` and ``!~``.

Top-level ``and`` terms chain: each becomes one matcher or one pipeline stage.
Negations are pushed down to the tests first (``not (a or b)`` is ``not a and
not b``), so negated tests become ``!=``, ``!~`` and ``!=`` matchers.

An ``or`` of positive line tests becomes one ``|~`` alternation; an ``or`` of
label tests becomes a label filter expression (``| host="a" or unit=~"x.*"``).
These cannot be compiled and raise `LogqlCompileError`:

* an ``or`` that mixes line and label tests, or that contains a negated line test
  or an ``and`` of line tests (RE2 has no look-around to say "contains A and
  B in any order, possibly overlapping");
* tests on fields that are not labels: ``kind``, ``level``, ``type`` and
  ``fields.NAME`` unless `LokiLabels` names a label for them.

Loki runs RE2, where ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII-only and
``$`` matches only at the very end of the line; Python's also match other
scripts and before a final newline. Patterns are otherwise passed as written:
the knowledge base only accepts the part of Python's syntax that RE2 reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from re import _constants as sre_constants
from re import _parser as sre_parse
from typing import Any, Final

from rca.kb import ast

LINE_FIELDS: Final = frozenset({"message", "raw"})
# Go's regexp.QuoteMeta escapes exactly these.
_RE2_SPECIAL: Final = frozenset("\\.+*?()|[]{}^$")
_UNSUPPORTED_OPS: Final = {
    sre_constants.ASSERT: "look-around",
    sre_constants.ASSERT_NOT: "look-around",
    sre_constants.GROUPREF: "a back-reference",
    sre_constants.GROUPREF_EXISTS: "a conditional group",
    sre_constants.ATOMIC_GROUP: "an atomic group",
    sre_constants.POSSESSIVE_REPEAT: "a possessive repeat",
}


class LogqlCompileError(ValueError):
    """A condition LogQL cannot express; the message names the part and the reason."""


@dataclass(frozen=True, slots=True)
class LokiLabels:
    """The stream labels that hold condition fields; None for a field that is no label."""

    node: str | None = "host"
    transaction: str | None = "transaction_id"
    unit: str | None = "unit"
    kind: str | None = None
    level: str | None = None
    type: str | None = None

    def label_for(self, field_name: str) -> str | None:
        if field_name in {"node", "transaction", "unit", "kind", "level", "type"}:
            label: str | None = getattr(self, field_name)
            return label
        return None


@dataclass(frozen=True, slots=True)
class LogqlQuery:
    """Stream matchers (``host="node-1"``) and pipeline stages (``|= "text"``)."""

    matchers: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()

    def render(self, selector: Sequence[str] = ()) -> str:
        """Write the query, adding the `selector` matchers (such as ``job="fleet"``) first.

        Loki needs at least one matcher that does not match the empty value;
        the condition's own matchers may all be negative.

        Raises:
            LogqlCompileError: there is no matcher at all.
        """
        matchers = [*selector, *self.matchers]
        if not matchers:
            raise LogqlCompileError("a LogQL query needs a stream selector: give at least one "
                                    'matcher such as job=~".+"')
        return " ".join(["{" + ", ".join(matchers) + "}", *self.stages])


def compile_logql(condition: ast.Condition, labels: LokiLabels | None = None) -> LogqlQuery:
    """Compile a condition into stream matchers and line filters.

    Raises:
        LogqlCompileError: the condition cannot be written in LogQL (see the module
            documentation), or contains an unknown node type.
    """
    compiler = _Compiler(labels or LokiLabels())
    matchers: list[str] = []
    stages: list[str] = []
    for term in _conjuncts(_push_negations(condition, negated=False)):
        if isinstance(term, _Test) and not compiler.is_line(term):
            matchers.append(compiler.label_test(term))
        else:
            stages.append(compiler.stage(term))
    return LogqlQuery(tuple(matchers), tuple(stages))


def go_quote(text: str) -> str:
    """Quote text as a Go string literal, the form LogQL reads between double quotes."""
    parts = ['"']
    for char in text:
        if char in '"\\':
            parts.append("\\" + char)
        elif char == "\n":
            parts.append("\\n")
        elif char == "\t":
            parts.append("\\t")
        elif char == "\r":
            parts.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            parts.append(f"\\x{ord(char):02x}")
        else:
            parts.append(char)
    parts.append('"')
    return "".join(parts)


def quote_meta(text: str) -> str:
    """Escape RE2's special characters, as Go's ``regexp.QuoteMeta`` does."""
    return "".join("\\" + char if char in _RE2_SPECIAL else char for char in text)


# ---------------------------------------------------------------------------
# Negation normal form


@dataclass(frozen=True, slots=True)
class _Test:
    """A leaf test, possibly negated."""

    leaf: ast.Leaf
    negated: bool = False


@dataclass(frozen=True, slots=True)
class _All:
    terms: tuple[_Term, ...]


@dataclass(frozen=True, slots=True)
class _Any:
    terms: tuple[_Term, ...]


_Term = _Test | _All | _Any


def _push_negations(condition: ast.Condition, *, negated: bool) -> _Term:
    match condition:
        case ast.Not(term):
            return _push_negations(term, negated=not negated)
        case ast.And(terms):
            parts = tuple(_push_negations(term, negated=negated) for term in terms)
            return _Any(parts) if negated else _All(parts)
        case ast.Or(terms):
            parts = tuple(_push_negations(term, negated=negated) for term in terms)
            return _All(parts) if negated else _Any(parts)
        case ast.Compare() | ast.OneOf() | ast.Contains() | ast.Matches():
            return _Test(condition, negated)
    raise LogqlCompileError(f"cannot compile condition node {type(condition).__name__}")


def _conjuncts(term: _Term) -> list[_Term]:
    if isinstance(term, _All):
        return [part for inner in term.terms for part in _conjuncts(inner)]
    return [term]


def _tests(term: _Term) -> list[_Test]:
    if isinstance(term, _Test):
        return [term]
    return [test for inner in term.terms for test in _tests(inner)]


# ---------------------------------------------------------------------------
# Compilation


class _Compiler:
    def __init__(self, labels: LokiLabels) -> None:
        self.labels = labels

    def is_line(self, test: _Test) -> bool:
        """True for a test on the log line; False for a label; raise for anything else."""
        name = test.leaf.field
        if name in LINE_FIELDS:
            return True
        if self.labels.label_for(name) is not None:
            return False
        raise LogqlCompileError(
            f"{name} is not a Loki label here, so a test on it cannot be compiled; name its "
            "label in LokiLabels if the streams carry one")

    def stage(self, term: _Term) -> str:
        """Build the pipeline stage of a top-level ``and`` term."""
        tests = _tests(term)
        line = [self.is_line(test) for test in tests]
        if all(line):
            return self.line_stage(term)
        if not any(line):
            return "| " + self.label_expression(term, top=True)
        raise LogqlCompileError("an 'or' that mixes tests on the log line and on labels "
                                "cannot be compiled")

    # -- line filters -----------------------------------------------------

    def line_stage(self, term: _Term) -> str:
        if isinstance(term, _Test):
            return self.line_filter(term)
        if isinstance(term, _Any) and all(isinstance(part, _Test) and not part.negated
                                          for part in term.terms):
            fragments = [self.line_regex(part.leaf) for part in term.terms
                         if isinstance(part, _Test)]
            return "|~ " + go_quote("|".join(fragments))
        raise LogqlCompileError("an 'or' of line tests compiles only when each branch is one "
                                "test that is not negated")

    def line_filter(self, test: _Test) -> str:
        leaf, negated = test.leaf, test.negated
        if isinstance(leaf, ast.Compare) and leaf.op == ast.CompareOp.NOT_EQUAL:
            leaf, negated = ast.Compare(leaf.field, ast.CompareOp.EQUAL, leaf.value), not negated
        match leaf:
            case ast.Contains(text=text, ignore_case=False):
                return f"{'!=' if negated else '|='} {go_quote(text)}"
            case ast.Contains(text=text):
                regex = "(?i)" + quote_meta(text)
            case ast.Matches(pattern=pattern, ignore_case=ignore_case):
                checked = _checked_pattern(pattern)
                regex = f"(?i){checked}" if ignore_case else checked
            case _:
                regex = self.line_regex(leaf)
        return f"{'!~' if negated else '|~'} {go_quote(regex)}"

    def line_regex(self, leaf: ast.Leaf) -> str:
        """Build a regex fragment that finds the test's match in a line, for an alternation.

        ``!=`` cannot be an alternation branch; `line_filter` handles it as a
        negated ``=``.
        """
        match leaf:
            case ast.Contains(text=text, ignore_case=ignore_case):
                quoted = quote_meta(text)
                return f"(?i:{quoted})" if ignore_case else quoted
            case ast.Matches(pattern=pattern, ignore_case=ignore_case):
                body = _strip_group_names(_checked_pattern(pattern))
                return f"(?i:{body})" if ignore_case else f"(?:{body})"
            case ast.Compare(value=value, op=ast.CompareOp.EQUAL):
                return f"^{quote_meta(value)}$"
            case ast.OneOf(values=values):
                return "^(?:" + "|".join(quote_meta(value) for value in values) + ")$"
            case ast.Compare():
                raise LogqlCompileError("a '!=' test on the line cannot be a branch of an "
                                        "'or'")
        raise LogqlCompileError(f"cannot compile condition node {type(leaf).__name__}")

    # -- labels -----------------------------------------------------------

    def label_expression(self, term: _Term, *, top: bool = False) -> str:
        """Build a label filter expression (``host="a" or unit=~"x.*"``)."""
        if isinstance(term, _Test):
            return self.label_test(term)
        joiner = " and " if isinstance(term, _All) else " or "
        text = joiner.join(self.label_expression(part) for part in term.terms)
        return text if top else f"({text})"

    def label_test(self, test: _Test) -> str:
        """Build one label matcher, valid in a stream selector and in a label filter."""
        leaf = test.leaf
        label = self.labels.label_for(leaf.field)
        if label is None:
            raise LogqlCompileError(f"{leaf.field} is not a Loki label here")
        match leaf:
            case ast.Compare(op=op, value=value):
                equal = (op == ast.CompareOp.EQUAL) != test.negated
                return f"{label}{'=' if equal else '!='}{go_quote(value)}"
            case ast.OneOf(values=values):
                regex = "|".join(quote_meta(value) for value in values)
            case ast.Contains(text=text, ignore_case=ignore_case):
                regex = f"{'(?i)' if ignore_case else ''}.*{quote_meta(text)}.*"
            case ast.Matches(pattern=pattern, ignore_case=ignore_case):
                body = _checked_pattern(pattern)
                regex = f"{'(?i)' if ignore_case else ''}.*(?:{body}).*"
            case _:
                raise LogqlCompileError(f"cannot compile condition node {type(leaf).__name__}")
        # Label regexes are anchored at both ends, hence the .* around searches.
        return f"{label}{'!~' if test.negated else '=~'}{go_quote(regex)}"


def _checked_pattern(pattern: str) -> str:
    """Return the pattern if RE2 reads it as Python does; raise for what RE2 lacks."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as error:
        raise LogqlCompileError(f"invalid pattern {pattern!r}: {error}") from error
    problem = _re2_problem(list(parsed))
    if problem is not None:
        raise LogqlCompileError(f"pattern {pattern!r} uses {problem}, which RE2 does not have")
    return pattern


def _re2_problem(items: Sequence[tuple[Any, Any]]) -> str | None:
    for op, value in items:
        if op in _UNSUPPORTED_OPS:
            return _UNSUPPORTED_OPS[op]
        if op is sre_constants.AT and value is sre_constants.AT_END_STRING:
            return "\\Z (RE2 spells it \\z)"
        nested: list[Sequence[tuple[Any, Any]]] = []
        if op is sre_constants.SUBPATTERN:
            nested = [value[3]]
        elif op is sre_constants.BRANCH:
            nested = list(value[1])
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            nested = [value[2]]
        for inner in nested:
            problem = _re2_problem(list(inner))
            if problem is not None:
                return problem
    return None


def _strip_group_names(pattern: str) -> str:
    """Turn ``(?P<name>`` into ``(``, so patterns joined in one alternation share no names."""
    result: list[str] = []
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            result.append(pattern[index:index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # A ] right after [ or [^ is a literal member of the class.
            following = pattern[index + 1:index + 3]
            if following.startswith("]") or following == "^]":
                skip = 2 if following.startswith("]") else 3
                result.append(pattern[index:index + skip])
                index += skip
                continue
        elif pattern.startswith("(?P<", index):
            end = pattern.index(">", index)
            result.append("(")
            index = end + 1
            continue
        result.append(char)
        index += 1
    return "".join(result)
