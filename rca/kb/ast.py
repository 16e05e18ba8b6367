"""The syntax tree of knowledge-base files, as plain dataclasses.

A condition is a small boolean language over event fields, close to a subset of
SQL's WHERE clause. Every leaf tests one field with one operator, so a condition
can be evaluated in Python (`rca.kb.evaluate`) or compiled into a server-side
query: an Elasticsearch ``bool`` query or a LogQL line filter.

Field names a condition may use (`FIELD_NAMES`, plus ``fields.NAME``):

==============  ==============================================================
``message``     `Event.message`
``raw``         `Event.raw`, the record as read
``kind``        `Event.kind`: ``installer``, ``audit``, ``journald``, ``syslog``, ``tool-output``
``level``       `Event.level` in lower case: ``debug`` ... ``critical``
``node``        `Event.node`
``unit``        the systemd unit: ``fields["unit"]``, else ``UNIT``, ``_SYSTEMD_UNIT``,
                ``USER_UNIT``
``type``        the audit record type: ``fields["type"]``, else ``_AUDIT_TYPE_NAME``
``transaction`` `Event.transaction_id`
``fields.X``    ``Event.fields["X"]`` as a string (audit keys, journald fields)
==============  ==============================================================

A field the event lacks satisfies only ``!=`` (and ``not``); it never satisfies
``=``, ``in``, ``contains``, ``icontains`` or ``~``. That is how an Elasticsearch
``must_not`` and a LogQL ``!=`` label matcher treat a missing field too.

Regular expressions use the part of Python's syntax that RE2 (Loki) also reads:
no look-around and no back-references. Named groups ``(?P<name>...)`` capture
values for fix texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

FIELD_NAMES = ("message", "raw", "kind", "level", "node", "unit", "type", "transaction")
LANGUAGES = ("en", "zh-CN")
SEVERITIES = ("critical", "error", "warning")
REMEDIES = ("auto", "manual")


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a rule file: 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class CompareOp(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="


@dataclass(frozen=True, slots=True)
class Compare:
    """``field = "value"`` or ``field != "value"``: whole-value, case-sensitive."""

    field: str
    op: CompareOp
    value: str


@dataclass(frozen=True, slots=True)
class OneOf:
    """``field in [a, b]``: the whole value equals one of the values."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Contains:
    """``field contains "text"`` or, with `ignore_case`, ``field icontains "text"``."""

    field: str
    text: str
    ignore_case: bool = False


@dataclass(frozen=True, slots=True)
class Matches:
    """``field ~ /pattern/``, a search anywhere in the value (not anchored)."""

    field: str
    pattern: str
    ignore_case: bool = False

    @property
    def group_names(self) -> tuple[str, ...]:
        """The names of the pattern's named groups, in pattern order."""
        compiled = re.compile(self.pattern)
        return tuple(sorted(compiled.groupindex, key=compiled.groupindex.__getitem__))


@dataclass(frozen=True, slots=True)
class And:
    terms: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    terms: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    term: Condition


Condition = Compare | OneOf | Contains | Matches | And | Or | Not
Leaf = Compare | OneOf | Contains | Matches


def leaves(condition: Condition) -> list[Leaf]:
    """Return the field tests of a condition, left to right."""
    if isinstance(condition, And | Or):
        return [leaf for term in condition.terms for leaf in leaves(term)]
    if isinstance(condition, Not):
        return leaves(condition.term)
    return [condition]


def specificity(condition: Condition) -> int:
    """Count the field tests an event must pass: an ``or`` counts as its weakest branch."""
    if isinstance(condition, And):
        return sum(specificity(term) for term in condition.terms)
    if isinstance(condition, Or):
        return min(specificity(term) for term in condition.terms)
    if isinstance(condition, Not):
        return specificity(condition.term)
    return 1


class Scope(StrEnum):
    """The events a context clause searches: the same node's, or the whole transaction's."""

    NODE = "node"
    TRANSACTION = "transaction"


class Direction(StrEnum):
    BEFORE = "before"
    AFTER = "after"
    AROUND = "around"


@dataclass(frozen=True, slots=True)
class Context:
    """A condition on another event: ``with COND on same node within 5s before``.

    `present` is False for ``without``. `window` is in seconds, None for no time
    limit. In an excerpt, whose lines carry no time, any other line counts.
    """

    condition: Condition
    present: bool = True
    scope: Scope = Scope.TRANSACTION
    window: float | None = None
    direction: Direction = Direction.AROUND


@dataclass(frozen=True, slots=True)
class Rule:
    """One way to recognize a cause.

    `outranks` adds causes this rule beats on top of its cause's own list.
    `name` is unique within its cause; `qualified_name` is unique in the
    knowledge base and appears in ``decided_by`` as ``rule:<qualified_name>``.
    """

    name: str
    cause: str
    condition: Condition
    contexts: tuple[Context, ...] = ()
    outranks: tuple[str, ...] = ()
    confidence: float = 0.9
    position: Position | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.cause}/{self.name}"

    @property
    def specificity(self) -> tuple[int, int]:
        """Rank among rules matching the same event: context clauses first, then field tests."""
        return (len(self.contexts), specificity(self.condition))


@dataclass(frozen=True, slots=True)
class FixTemplate:
    """A remedy in one language; ``{name}`` placeholders take evidence values."""

    lang: str
    text: str
    command: str | None = None
    position: Position | None = None


@dataclass(frozen=True, slots=True)
class Example:
    """An example line: `matches` True for ``example match``, False for ``nomatch``."""

    text: str
    matches: bool
    position: Position | None = None


@dataclass(frozen=True, slots=True)
class Extract:
    """``extract FIELD ~ /(?P<name>...)/``: takes values without deciding a match."""

    condition: Matches
    position: Position | None = None


@dataclass(slots=True)
class Cause:
    """A root cause as one ``cause`` block declares it."""

    id: str
    titles: dict[str, str] = field(default_factory=dict)
    explanations: dict[str, str] = field(default_factory=dict)
    severity: str = "error"
    remedy: str = "manual"
    outranks: tuple[str, ...] = ()
    rules: list[Rule] = field(default_factory=list)
    extracts: list[Extract] = field(default_factory=list)
    fixes: list[FixTemplate] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    position: Position | None = None


@dataclass(slots=True)
class RuleFile:
    """One parsed ``*.rca`` file: its causes and its ``unknown`` example lines."""

    path: str
    causes: list[Cause] = field(default_factory=list)
    unknown_examples: list[Example] = field(default_factory=list)
