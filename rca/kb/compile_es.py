"""Compile knowledge-base conditions into Elasticsearch queries over ECS documents.

A condition (`rca.kb.ast`) becomes a ``bool`` query that the cluster evaluates
per document, so ``rca kb hits`` can count each rule's matches without
downloading a single document. Compilation goes through a small query tree
(`Node`), which `rca.kb.compile_kql` renders as KQL for Kibana links.

Condition fields map to the ECS fields that Filebeat and the ingest pipelines
of ``shipping/filebeat/`` write and that `rca.parsers.ecs` reads (`FIELD_SOURCES`).
Where the analyzer reads the first field present of several (``host.name``, else
``host.hostname``...), the query does the same: each later field counts only
when the earlier ones are missing.

=================  =========================================================
condition field    Elasticsearch
=================  =========================================================
``message``        ``message`` (analyzed text), or the whole-value field named
``raw``            in `EsFields.message_keyword` (a ``keyword`` or ``wildcard``
                   sub-field) when the index has one
``kind``           ``event.module``, ``data_stream.dataset``, ``event.dataset``,
                   ``input.type`` and ``log.file.path``, as `ecs.source_kind`
``level``          ``log.level`` words, else ``log.syslog.priority``
``node``           ``host.name``, ``host.hostname``, ``auditd.log.node``, ``agent.name``
``transaction``    ``transaction.id``, then the journal's ``TRANSACTION_ID``
``unit``           ``systemd.unit``, ``auditd.log.unit``, ``journald.unit``...
``type``           ``auditd.log.record_type``
``fields.NAME``    the fields in `EVENT_FIELD_SOURCES`, else ``auditd.log.NAME``
                   or ``journald.custom.name`` (approximate)
=================  =========================================================

``message`` and ``raw`` both search the document's ``message``: Elasticsearch
keeps the shipped line there, and ``event.original`` is not indexed. The
analyzer's `Event.message` can be a part of that line (the ``msg=`` of an
installer line, the summary of an audit record), so a test that the line
contains some text is a test on the shipped line.

Operators:

* ``=`` and ``in`` become ``term`` and ``terms``; ``!=`` and ``not`` become
  ``must_not``, which a document without the field passes, as the analyzer's
  ``!=`` does.
* ``contains`` on a whole-value field is a ``wildcard`` query (``*text*``, with
  ``case_insensitive`` for ``icontains``). On the analyzed ``message`` it is a
  ``match_phrase``, which is an approximation: the analyzer splits the text into
  lower-case words, so the phrase ignores case and punctuation and only matches
  whole words (``"denied"`` does not find ``undenied``).
* ``~`` becomes a ``regexp`` query on a whole-value field (`translate_regex`).
  Lucene patterns always match the whole value and lack anchors, classes such
  as ``\\d`` and word boundaries, so patterns are rewritten. A pattern that
  cannot be rewritten, and any pattern on the analyzed ``message``, falls back
  to its literal parts as ``contains`` tests, and the query is approximate.
* ``and`` and ``or`` become ``bool`` ``filter`` and ``should`` with
  ``minimum_should_match: 1``. The query only counts documents, so ``filter``
  (no scoring, cacheable) replaces ``must``.

`CompiledQuery.approximations` lists why a query may find other documents than
the condition would, one `Approximation` per reason. Context clauses
(``with``, ``without``) relate two events and are not compiled at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from rca.i18n import N_
from rca.kb import ast
from rca.kb.compile_regex import (
    DEFAULT_MAX_REGEX_LENGTH,
    RegexNotTranslatable,
    required_literals,
    translate_regex,
)
from rca.model import Level, SourceKind
from rca.parsers import ecs
from rca.parsers.levels import level_from_syslog_priority

logger = logging.getLogger(__name__)


class Approximation(StrEnum):
    """A reason why a compiled query may match other documents than its condition."""

    ANALYZED_TEXT = "analyzed-text"
    REGEX_FALLBACK = "regex-fallback"
    DERIVED_LEVEL = "derived-level"
    EVENT_FIELD = "event-field"
    NUMERIC_FIELD = "numeric-field"
    CASE_SENSITIVE_WILDCARD = "case-sensitive-wildcard"
    CONTEXT_IGNORED = "context-ignored"

    @property
    def explanation(self) -> str:
        """The English reason, a message id for `rca.i18n`."""
        return _EXPLANATIONS[self]


_EXPLANATIONS: Final = {
    Approximation.ANALYZED_TEXT: N_(
        "message text is searched as analyzed words (match_phrase): case, punctuation and "
        "parts of words are ignored"),
    Approximation.REGEX_FALLBACK: N_(
        "a regular expression is searched by its literal parts only, because the field is "
        "analyzed text or the pattern has no Lucene form"),
    Approximation.DERIVED_LEVEL: N_(
        "the level is read from log.level and the syslog priority only, while the analyzer "
        "also derives it from the message"),
    Approximation.EVENT_FIELD: N_(
        "fields.NAME is searched in the ECS field that usually holds it (auditd.log.NAME, "
        "journald.custom.name, process.exit_code), but ingest pipelines may store it "
        "elsewhere"),
    Approximation.NUMERIC_FIELD: N_(
        "a text test on a numeric field only checks that the field exists"),
    Approximation.CASE_SENSITIVE_WILDCARD: N_(
        "KQL wildcard values match case exactly, so a case-insensitive test may miss lines"),
    Approximation.CONTEXT_IGNORED: N_(
        "with and without clauses relate two events and are not checked"),
}


class CompileError(ValueError):
    """A condition the compiler cannot read: an unknown node type or field."""


# ---------------------------------------------------------------------------
# The query tree


@dataclass(frozen=True, slots=True)
class Term:
    field: str
    value: str


@dataclass(frozen=True, slots=True)
class Terms:
    field: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Phrase:
    """``match_phrase`` on an analyzed text field."""

    field: str
    text: str


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A ``wildcard`` query; `pattern` is already in wildcard syntax (``*``, ``?``, ``\\``)."""

    field: str
    pattern: str
    case_insensitive: bool = False


@dataclass(frozen=True, slots=True)
class Regexp:
    """A ``regexp`` query in Lucene syntax, with the literal tests it implies.

    `literals` is a weaker condition that every matching value meets; KQL,
    which has no regular expressions, uses it instead.
    """

    field: str
    pattern: str
    case_insensitive: bool
    literals: Node


@dataclass(frozen=True, slots=True)
class Exists:
    field: str


@dataclass(frozen=True, slots=True)
class MatchAll:
    pass


@dataclass(frozen=True, slots=True)
class MatchNone:
    pass


@dataclass(frozen=True, slots=True)
class AllOf:
    terms: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    terms: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Negation:
    term: Node


Node = Term | Terms | Phrase | Wildcard | Regexp | Exists | MatchAll | MatchNone | AllOf | AnyOf \
    | Negation


def all_of(terms: Iterable[Node]) -> Node:
    """Conjunction, flattened and simplified: no clause matches everything."""
    kept: list[Node] = []
    for term in terms:
        if isinstance(term, MatchNone):
            return MatchNone()
        if isinstance(term, AllOf):
            kept.extend(term.terms)
        elif not isinstance(term, MatchAll):
            kept.append(term)
    if not kept:
        return MatchAll()
    return kept[0] if len(kept) == 1 else AllOf(tuple(kept))


def any_of(terms: Iterable[Node]) -> Node:
    """Disjunction, flattened and simplified: no clause matches nothing."""
    kept: list[Node] = []
    for term in terms:
        if isinstance(term, MatchAll):
            return MatchAll()
        if isinstance(term, AnyOf):
            kept.extend(term.terms)
        elif not isinstance(term, MatchNone):
            kept.append(term)
    if not kept:
        return MatchNone()
    return kept[0] if len(kept) == 1 else AnyOf(tuple(kept))


def negation(term: Node) -> Node:
    if isinstance(term, Negation):
        return term.term
    if isinstance(term, MatchAll):
        return MatchNone()
    if isinstance(term, MatchNone):
        return MatchAll()
    return Negation(term)


# ---------------------------------------------------------------------------
# Options and the field table


@dataclass(frozen=True, slots=True)
class EsFields:
    """The mapping of the message field in the searched indices.

    `message_keyword` names a ``keyword`` or ``wildcard`` field that contains the
    whole message, such as a ``message.wildcard`` multi-field. With it,
    ``contains`` and ``~`` on the message compile exactly. Without it they
    search the analyzed `message_text` field and are approximate.
    """

    message_text: str = "message"
    message_keyword: str | None = None
    max_regex_length: int = DEFAULT_MAX_REGEX_LENGTH


@dataclass(frozen=True, slots=True)
class FieldSource:
    """The ECS fields a condition field is read from, first present first.

    `numeric` marks fields mapped as numbers, on which ``wildcard`` and
    ``regexp`` queries fail.
    """

    fields: tuple[str, ...]
    numeric: frozenset[str] = frozenset()


FIELD_SOURCES: Final[dict[str, FieldSource]] = {
    "node": FieldSource((ecs.HOST_FIELD, "host.hostname", "auditd.log.node", "agent.name")),
    "transaction": FieldSource((ecs.TRANSACTION_FIELD, "journald.custom.transaction_id",
                                "journald.custom.txn", "journald.custom.rca_txn")),
    # The journald parser sets fields["unit"] from _SYSTEMD_UNIT and the audit
    # parser from the record's unit=; then come UNIT, USER_UNIT, _SYSTEMD_USER_UNIT.
    "unit": FieldSource(("systemd.unit", "auditd.log.unit", "journald.unit",
                         "journald.custom.unit", "journald.custom.user_unit",
                         "systemd.user_unit")),
    "type": FieldSource(("auditd.log.record_type",)),
}

# The ECS fields in which ingest pipelines usually store some Event.fields
# keys. Parsers read these keys from the record's text, and pipelines may
# rename them, so a fields.NAME query is always approximate.
EVENT_FIELD_SOURCES: Final[dict[str, FieldSource]] = {
    "exit_code": FieldSource((ecs.EXIT_CODE_FIELD, "journald.custom.exit_status",
                              "journald.custom.exit_code"),
                             numeric=frozenset({ecs.EXIT_CODE_FIELD})),
    "program": FieldSource(("process.name", "log.syslog.appname")),
    "pid": FieldSource(("process.pid", "journald.pid"),
                       numeric=frozenset({"process.pid", "journald.pid"})),
}

_LEVEL_WORDS: Final[dict[Level, tuple[str, ...]]] = {
    Level.DEBUG: ("trace", "debug", "dbg"),
    Level.INFO: ("info", "inf", "information"),
    Level.NOTICE: ("notice",),
    Level.WARNING: ("warn", "warning", "wrn"),
    Level.ERROR: ("error", "err", "erro", "fail", "failed"),
    Level.CRITICAL: ("crit", "critical", "fatal", "ftl", "alert", "emerg", "emergency",
                     "panic"),
}
_SYSLOG_PRIORITIES: Final = range(8)


def _event_field_source(name: str) -> FieldSource:
    """Return the ECS fields most likely to contain Event.fields[`name`].

    Audit keys are lower case and kept under ``auditd.log``. Journal fields are
    upper case, and Filebeat keeps them under ``journald.custom`` in lower
    case without leading underscores.
    """
    known = EVENT_FIELD_SOURCES.get(name)
    if known is not None:
        return known
    journal = f"journald.custom.{name.lower().lstrip('_')}"
    if name.isupper() or name.startswith("_"):
        return FieldSource((journal,))
    return FieldSource((f"auditd.log.{name}", journal))


# ---------------------------------------------------------------------------
# Compilation


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled condition as a query tree, and why it may be approximate."""

    node: Node
    approximations: frozenset[Approximation] = frozenset()

    @property
    def approximate(self) -> bool:
        return bool(self.approximations)


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """An Elasticsearch query and the reasons it may differ from its condition."""

    query: dict[str, Any]
    approximations: frozenset[Approximation] = frozenset()

    @property
    def approximate(self) -> bool:
        return bool(self.approximations)


def compile_condition(condition: ast.Condition, fields: EsFields | None = None
                      ) -> CompiledQuery:
    """Compile a condition into a query.

    Raises:
        CompileError: the condition contains an unknown node type or field.
    """
    plan = plan_condition(condition, fields)
    return CompiledQuery(to_query(plan.node), plan.approximations)


def compile_rule(rule: ast.Rule, fields: EsFields | None = None) -> CompiledQuery:
    """Compile a rule's condition; its context clauses only mark the query approximate."""
    plan = plan_rule(rule, fields)
    return CompiledQuery(to_query(plan.node), plan.approximations)


def plan_rule(rule: ast.Rule, fields: EsFields | None = None) -> Plan:
    plan = plan_condition(rule.condition, fields)
    if rule.contexts:
        return Plan(plan.node, plan.approximations | {Approximation.CONTEXT_IGNORED})
    return plan


def plan_condition(condition: ast.Condition, fields: EsFields | None = None) -> Plan:
    """Compile a condition into a query tree.

    Raises:
        CompileError: the condition contains an unknown node type or field.
    """
    planner = _Planner(fields or EsFields())
    node = planner.condition(condition)
    return Plan(node, frozenset(planner.approximations))


class _Planner:
    def __init__(self, fields: EsFields) -> None:
        self.fields = fields
        self.approximations: set[Approximation] = set()

    def condition(self, condition: ast.Condition) -> Node:
        match condition:
            case ast.And(terms):
                return all_of(self.condition(term) for term in terms)
            case ast.Or(terms):
                return any_of(self.condition(term) for term in terms)
            case ast.Not(term):
                return negation(self.condition(term))
            case ast.Compare() | ast.OneOf() | ast.Contains() | ast.Matches():
                return self.leaf(condition)
            case _:
                raise CompileError(f"cannot compile condition node {type(condition).__name__}")

    def leaf(self, leaf: ast.Leaf) -> Node:
        name = leaf.field
        if name in {"message", "raw"}:
            return self.message(leaf)
        if name == "kind":
            return any_of(_kind_query(kind) for kind in SourceKind if _holds(leaf, kind.value))
        if name == "level":
            self.approximations.add(Approximation.DERIVED_LEVEL)
            return any_of(_level_query(level) for level in Level
                          if _holds(leaf, level.name.lower()))
        if name in FIELD_SOURCES:
            return self.keyword_leaf(leaf, FIELD_SOURCES[name])
        if name.startswith("fields.") and len(name) > len("fields."):
            self.approximations.add(Approximation.EVENT_FIELD)
            return self.keyword_leaf(leaf, _event_field_source(name.removeprefix("fields.")))
        raise CompileError(f"cannot compile a test on the unknown field {name!r}")

    # -- message ----------------------------------------------------------

    def message(self, leaf: ast.Leaf) -> Node:
        exact = self.fields.message_keyword
        if exact is not None:
            return self.value_test(leaf, exact, numeric=False)
        text_field = self.fields.message_text
        match leaf:
            case ast.Compare(op=op, value=value):
                self.approximations.add(Approximation.ANALYZED_TEXT)
                found = Phrase(text_field, value)
                return found if op == ast.CompareOp.EQUAL else negation(found)
            case ast.OneOf(values=values):
                self.approximations.add(Approximation.ANALYZED_TEXT)
                return any_of(Phrase(text_field, value) for value in values)
            case ast.Contains(text=text):
                self.approximations.add(Approximation.ANALYZED_TEXT)
                return Phrase(text_field, text) if text else Exists(text_field)
            case ast.Matches():
                self.approximations.update({Approximation.ANALYZED_TEXT,
                                            Approximation.REGEX_FALLBACK})
                literals = required_literals(leaf.pattern, leaf.ignore_case,
                                             whole_words=True)
                return self.condition(_retarget(literals, leaf.field))
        raise CompileError(f"cannot compile condition node {type(leaf).__name__}")

    # -- keyword fields ---------------------------------------------------

    def keyword_leaf(self, leaf: ast.Leaf, source: FieldSource) -> Node:
        """Build a test on the first present field of `source.fields`.

        ``!=`` is the negated ``=``, so a document without any of the fields passes it.
        """
        if isinstance(leaf, ast.Compare) and leaf.op == ast.CompareOp.NOT_EQUAL:
            equal = ast.Compare(leaf.field, ast.CompareOp.EQUAL, leaf.value)
            return negation(self.keyword_leaf(equal, source))

        alternatives: list[Node] = []
        for position, name in enumerate(source.fields):
            earlier = [negation(Exists(other)) for other in source.fields[:position]]
            test = self.value_test(leaf, name, numeric=name in source.numeric)
            alternatives.append(all_of([test, *earlier]))
        return any_of(alternatives)

    def value_test(self, leaf: ast.Leaf, name: str, *, numeric: bool) -> Node:
        """Build a test on one whole-value field (keyword, wildcard or number)."""
        match leaf:
            case ast.Compare(op=op, value=value):
                found: Node = Term(name, value)
                return found if op == ast.CompareOp.EQUAL else negation(found)
            case ast.OneOf(values=values):
                return Terms(name, tuple(values))
            case ast.Contains(text=text, ignore_case=ignore_case):
                if numeric:
                    self.approximations.add(Approximation.NUMERIC_FIELD)
                    return Exists(name)
                if not text:
                    return Exists(name)
                return Wildcard(name, f"*{escape_wildcard(text)}*", ignore_case)
            case ast.Matches(pattern=pattern, ignore_case=ignore_case):
                if numeric:
                    self.approximations.add(Approximation.NUMERIC_FIELD)
                    return Exists(name)
                return self.regexp(name, pattern, ignore_case)
        raise CompileError(f"cannot compile condition node {type(leaf).__name__}")

    def regexp(self, name: str, pattern: str, ignore_case: bool) -> Node:
        literals = required_literals(pattern, ignore_case, whole_words=False)
        literal_node = _Planner(self.fields).value_literals(literals, name)
        try:
            lucene = translate_regex(pattern, ignore_case,
                                     max_length=self.fields.max_regex_length)
        except RegexNotTranslatable as error:
            logger.debug("regex %r falls back to its literal parts: %s", pattern, error.reason)
            self.approximations.add(Approximation.REGEX_FALLBACK)
            return literal_node
        return Regexp(name, lucene.pattern, lucene.case_insensitive, literal_node)

    def value_literals(self, literals: ast.Condition | None, name: str) -> Node:
        """Turn the literal tests of a pattern into ``wildcard`` queries on field `name`."""
        if literals is None:
            return MatchAll()
        match literals:
            case ast.And(terms):
                return all_of(self.value_literals(term, name) for term in terms)
            case ast.Or(terms):
                return any_of(self.value_literals(term, name) for term in terms)
            case ast.Contains(text=text, ignore_case=ignore_case):
                return Wildcard(name, f"*{escape_wildcard(text)}*", ignore_case)
        raise CompileError(f"unexpected literal test {literals!r}")


def _retarget(literals: ast.Condition | None, name: str) -> ast.Condition:
    """Point the ``contains`` tests of `required_literals` at field `name`."""
    match literals:
        case None:
            return ast.And(())
        case ast.And(terms):
            return ast.And(tuple(_retarget(term, name) for term in terms))
        case ast.Or(terms):
            return ast.Or(tuple(_retarget(term, name) for term in terms))
        case ast.Contains(text=text, ignore_case=ignore_case):
            return ast.Contains(name, text, ignore_case)
    raise CompileError(f"unexpected literal test {literals!r}")


def _holds(leaf: ast.Leaf, value: str) -> bool:
    """Evaluate a leaf on a known value, for fields with few values (kind, level)."""
    match leaf:
        case ast.Compare(op=op, value=expected):
            return (value == expected) == (op == ast.CompareOp.EQUAL)
        case ast.OneOf(values=values):
            return value in values
        case ast.Contains(text=text, ignore_case=True):
            return text.casefold() in value.casefold()
        case ast.Contains(text=text):
            return text in value
        case ast.Matches(pattern=pattern, ignore_case=ignore_case):
            return re.search(pattern, value, re.IGNORECASE if ignore_case else 0) is not None
    raise CompileError(f"cannot compile condition node {type(leaf).__name__}")


def _kind_query(kind: SourceKind) -> Node:
    """Documents `ecs.source_kind` classifies as `kind`, in its order of checks."""
    datasets = ecs.DATASET_FIELDS
    audit = any_of([Terms("event.module", ecs.AUDIT_MODULES),
                    *(Terms(name, ecs.AUDIT_DATASETS) for name in datasets),
                    Terms("log.file.path", ecs.AUDIT_PATHS)])
    journald = any_of([Terms("input.type", ecs.JOURNALD_INPUTS),
                       *(Terms(name, ecs.JOURNALD_DATASETS) for name in datasets)])
    syslog = any_of([*(Terms(name, ecs.SYSLOG_DATASETS) for name in datasets),
                     Terms("log.file.path", ecs.SYSLOG_PATHS)])
    match kind:
        case SourceKind.AUDIT:
            return audit
        case SourceKind.JOURNALD:
            return all_of([journald, negation(audit)])
        case SourceKind.SYSLOG:
            return all_of([syslog, negation(audit), negation(journald)])
        case SourceKind.INSTALLER:
            return all_of([negation(audit), negation(journald), negation(syslog)])
        case SourceKind.TOOL_OUTPUT:
            return MatchNone()
    raise CompileError(f"unknown source kind {kind!r}")


def _level_query(level: Level) -> Node:
    """Documents whose ``log.level`` word, or else syslog priority, means `level`.

    Keyword fields compare exactly, so each word is given in lower, upper and
    title case, as the Elasticsearch source's failure query does.
    """
    words = [variant for word in _LEVEL_WORDS[level]
             for variant in (word, word.upper(), word.title())]
    priorities = [str(priority) for priority in _SYSLOG_PRIORITIES
                  if level_from_syslog_priority(priority) == level]
    by_word: Node = Terms(ecs.LEVEL_FIELD, tuple(words))
    if not priorities:
        return by_word
    by_priority = all_of([Terms(ecs.PRIORITY_FIELD, tuple(priorities)),
                          negation(Exists(ecs.LEVEL_FIELD))])
    return any_of([by_word, by_priority])


def escape_wildcard(text: str) -> str:
    """Escape ``\\``, ``*`` and ``?`` for a ``wildcard`` query value."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


# ---------------------------------------------------------------------------
# Query DSL


def to_query(node: Node) -> dict[str, Any]:
    """Render a query tree as Elasticsearch query DSL."""
    match node:
        case Term(name, value):
            return {"term": {name: {"value": value}}}
        case Terms(name, values):
            return {"terms": {name: list(values)}}
        case Phrase(name, text):
            return {"match_phrase": {name: {"query": text}}}
        case Wildcard(name, pattern, case_insensitive):
            spec: dict[str, Any] = {"value": pattern}
            if case_insensitive:
                spec["case_insensitive"] = True
            return {"wildcard": {name: spec}}
        case Regexp(name, pattern, case_insensitive, _literals):
            spec = {"value": pattern}
            if case_insensitive:
                spec["case_insensitive"] = True
            return {"regexp": {name: spec}}
        case Exists(name):
            return {"exists": {"field": name}}
        case MatchAll():
            return {"match_all": {}}
        case MatchNone():
            return {"match_none": {}}
        case AllOf(terms):
            required = [to_query(term) for term in terms if not isinstance(term, Negation)]
            excluded = [to_query(excluded_term) for term in terms if isinstance(term, Negation)
                        for excluded_term in _alternatives_of(term.term)]
            body: dict[str, Any] = {}
            if required:
                body["filter"] = required
            if excluded:
                body["must_not"] = excluded
            return {"bool": body}
        case AnyOf(terms):
            return {"bool": {"should": [to_query(term) for term in terms],
                             "minimum_should_match": 1}}
        case Negation(term):
            return {"bool": {"must_not": [to_query(excluded)
                                          for excluded in _alternatives_of(term)]}}
    raise CompileError(f"cannot render query node {type(node).__name__}")


def _alternatives_of(node: Node) -> tuple[Node, ...]:
    """Return the branches of an ``or``, which ``must_not`` lists one by one, else the node."""
    return node.terms if isinstance(node, AnyOf) else (node,)
