"""The loaded knowledge base: causes, compiled rules, priorities and texts.

`load_knowledge_base` reads rule files and never lets one broken block take the
others down: a block with a problem is left out, the problem is logged and
kept in `KnowledgeBase.problems`, and the remaining causes load. ``strict=True``
raises `RuleFileError` listing every problem instead.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from rca.kb import ast
from rca.kb.evaluate import (
    CompiledRule,
    Predicate,
    RuleMatch,
    compile_condition,
    compile_rule,
    match_rule,
)
from rca.kb.parser import parse_rule_file
from rca.kb.problems import Problem, RuleFileError
from rca.kb.text import fill
from rca.kb.validate import check_cause, find_cycle
from rca.model import UNKNOWN_CAUSE, Diagnosis, Event, Fix

logger = logging.getLogger(__name__)

SHIPPED_PACKAGE = "rca.knowledge_base"

_UNKNOWN_TEXT = {
    "en": ("Unknown cause",
           "No rule of the knowledge base explains this error, and the classifier is not "
           "confident enough to name a cause. The evidence below is the first error; "
           "`rca kb unknowns` groups such errors and suggests a rule to add."),
    "zh-CN": ("原因未知",
              "知识库中没有规则能解释这个错误，分类器也没有足够的把握给出原因。"
              "下面的证据是第一个错误；`rca kb unknowns` 会把这类错误分组，"
              "并给出可添加的规则草稿。"),
}


@dataclass(slots=True)
class CauseText:
    """A diagnosis in one language, with its fixes filled from the evidence values."""

    cause: str
    title: str
    explanation: str
    fixes: list[Fix] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    remedy: str = "manual"
    severity: str = "error"


class KnowledgeBase:
    """Causes and rules from one or more rule files, ready to match events."""

    def __init__(self, causes: Sequence[ast.Cause], unknown_examples: Sequence[ast.Example],
                 problems: Sequence[Problem] = (), texts: dict[str, str] | None = None,
                 content_hash: str = "") -> None:
        self.causes: dict[str, ast.Cause] = {cause.id: cause for cause in causes}
        self.unknown_examples = list(unknown_examples)
        self.problems = list(problems)
        self.texts = dict(texts or {})
        self.content_hash = content_hash
        self.rules: list[CompiledRule] = [
            compile_rule(rule, order)
            for order, rule in enumerate(rule for cause in causes for rule in cause.rules)
        ]
        self._beaten = _beaten_causes(self.causes)
        self._extractors: dict[str, list[Predicate]] = {}

    @property
    def sources(self) -> list[str]:
        """The rule files read, in load order."""
        return list(self.texts)

    def source_line(self, path: str, line: int) -> str:
        """Line `line` (1-based) of a loaded rule file, or ``""``."""
        lines = self.texts.get(path, "").splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def __repr__(self) -> str:
        return f"KnowledgeBase({len(self.causes)} causes, {len(self.rules)} rules)"

    def match(self, event: Event, position: int, pool: Sequence[Event]) -> list[RuleMatch]:
        """Return every rule match on `event`, with context events looked up in `pool`."""
        matches = []
        for compiled in self.rules:
            found = match_rule(compiled, event, position, pool)
            if found is not None:
                matches.append(found)
        return matches

    def extractors(self, cause_id: str) -> list[Predicate]:
        """Predicates that take values for a cause: its extracts, then its rules' patterns."""
        if cause_id not in self._extractors:
            cause = self.causes[cause_id]
            patterns: list[ast.Matches] = [extract.condition for extract in cause.extracts]
            for rule in cause.rules:
                conditions = [rule.condition, *(context.condition for context in rule.contexts)]
                for condition in conditions:
                    patterns.extend(leaf for leaf in ast.leaves(condition)
                                    if isinstance(leaf, ast.Matches))
            self._extractors[cause_id] = [compile_condition(pattern) for pattern in patterns]
        return self._extractors[cause_id]

    def outranks(self, winner: ast.Rule, loser_cause: str) -> bool:
        """True when a match of `winner` beats any match of `loser_cause`."""
        if loser_cause == winner.cause:
            return False
        if loser_cause in self._beaten.get(winner.cause, frozenset()):
            return True
        return any(target == loser_cause or loser_cause in self._beaten.get(target, frozenset())
                   for target in winner.outranks)

    def examples(self) -> Iterator[tuple[ast.Example, str]]:
        """Yield every example line with its cause (``unknown`` for unknown blocks)."""
        for cause in self.causes.values():
            for example in cause.examples:
                yield example, cause.id
        for example in self.unknown_examples:
            yield example, UNKNOWN_CAUSE

    def describe(self, diagnosis: Diagnosis, lang: str) -> CauseText:
        """Title, explanation, fixes and references of a diagnosis in `lang` (en or zh-CN)."""
        cause = self.causes.get(diagnosis.cause)
        if cause is None:
            title, explanation = _UNKNOWN_TEXT.get(lang, _UNKNOWN_TEXT["en"])
            return CauseText(diagnosis.cause, title, explanation)

        values = diagnosis.values
        fixes = [fix for fix in cause.fixes if fix.lang == lang] or \
            [fix for fix in cause.fixes if fix.lang == "en"]
        return CauseText(
            cause=cause.id,
            title=fill(_in_language(cause.titles, lang), values),
            explanation=fill(_in_language(cause.explanations, lang), values),
            fixes=[Fix(fill(fix.text, values),
                       fill(fix.command, values, shell=True) if fix.command else None)
                   for fix in fixes],
            references=list(cause.references),
            remedy=cause.remedy,
            severity=cause.severity,
        )


def _in_language(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def _beaten_causes(causes: dict[str, ast.Cause]) -> dict[str, frozenset[str]]:
    """For each cause, every cause it outranks directly or through a chain."""
    closure: dict[str, frozenset[str]] = {}

    def reach(cause_id: str, seen: frozenset[str]) -> frozenset[str]:
        if cause_id in closure:
            return closure[cause_id]
        found: set[str] = set()
        for target in causes[cause_id].outranks if cause_id in causes else ():
            if target in seen:
                continue
            found.add(target)
            found |= reach(target, seen | {target})
        closure[cause_id] = frozenset(found)
        return closure[cause_id]

    for cause_id in causes:
        reach(cause_id, frozenset({cause_id}))
    return closure


def load_knowledge_base(paths: Sequence[Path] | None = None, *,
                        strict: bool = False) -> KnowledgeBase:
    """Load rule files: None means the files shipped in the `rca.knowledge_base` package.

    A folder in `paths` stands for the ``*.rca`` files directly inside it, in
    name order. Raises `RuleFileError` when `strict` and any problem is found,
    or when problems leave no cause at all.
    """
    sources = list(_shipped_sources() if paths is None else _sources_from_paths(paths))

    causes: list[ast.Cause] = []
    unknown_examples: list[ast.Example] = []
    problems: list[Problem] = []
    digest = hashlib.sha256()

    for source in sources:
        if source.error is not None:
            problems.append(Problem(source.name, 0, 0, "unreadable-file", {"reason": source.error}))
            continue
        digest.update(source.name.encode() + b"\0" + source.text.encode() + b"\0")
        _add_file(source.name, source.text, causes, unknown_examples, problems)

    causes = _drop_duplicates(causes, problems)
    _check_outranks(causes, problems)

    for problem in problems:
        logger.warning("knowledge base: %s", problem.render("en"))
    if problems and (strict or not causes):
        raise RuleFileError(problems)

    logger.debug("loaded %d causes from %d rule files", len(causes), len(sources))
    texts = {source.name: source.text for source in sources}
    return KnowledgeBase(causes, unknown_examples, problems, texts, digest.hexdigest())


@dataclass(frozen=True, slots=True)
class _Source:
    """Display name and text of a rule file, or the reason it could not be read."""

    name: str
    text: str = ""
    error: str | None = None


def _shipped_sources() -> Iterator[_Source]:
    for entry in sorted(_shipped_folder().iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".rca"):
            yield _Source(entry.name, entry.read_text("utf-8"))


def _shipped_folder() -> Traversable:
    """Return the installed `rca.knowledge_base` package, or ``knowledge_base/`` of a checkout.

    The package name maps to the top-level folder only once the project is
    installed (``pip install -e .``), so a checkout falls back to the folder.
    """
    try:
        return importlib.resources.files(SHIPPED_PACKAGE)
    except ModuleNotFoundError:
        folder = Path(__file__).resolve().parents[2] / "knowledge_base"
        logger.debug("%s is not installed; reading rule files from %s", SHIPPED_PACKAGE, folder)
        return folder


def _sources_from_paths(paths: Sequence[Path]) -> Iterator[_Source]:
    for path in paths:
        files = sorted(path.glob("*.rca")) if path.is_dir() else [path]
        for file in files:
            try:
                yield _Source(str(file), file.read_text("utf-8"))
            except (OSError, UnicodeDecodeError) as error:
                yield _Source(str(file), error=str(error))


def _add_file(name: str, text: str, causes: list[ast.Cause],
              unknown_examples: list[ast.Example], problems: list[Problem]) -> None:
    parsed = parse_rule_file(text, name)
    problems.extend(parsed.problems)
    lines = text.splitlines()
    for cause in parsed.rule_file.causes:
        problems.extend(check_cause(cause, lines))
    causes.extend(parsed.rule_file.causes)
    unknown_examples.extend(parsed.rule_file.unknown_examples)


def _drop_duplicates(causes: list[ast.Cause], problems: list[Problem]) -> list[ast.Cause]:
    first_by_id: dict[str, ast.Cause] = {}
    for cause in causes:
        first = first_by_id.get(cause.id)
        if first is None:
            first_by_id[cause.id] = cause
            continue
        at = cause.position or ast.Position("", 0, 0)
        problems.append(Problem(at.path, at.line, at.column, "duplicate-cause",
                                {"cause": cause.id, "first": str(first.position)}))
    return list(first_by_id.values())


def _check_outranks(causes: list[ast.Cause], problems: list[Problem]) -> None:
    """Report unknown or circular ``outranks`` targets and drop the offending edges."""
    known = {cause.id for cause in causes}
    for cause in causes:
        at = cause.position or ast.Position("", 0, 0)
        for target in cause.outranks + tuple(t for rule in cause.rules for t in rule.outranks):
            if target == cause.id:
                problems.append(Problem(at.path, at.line, at.column, "self-outrank",
                                        {"cause": cause.id}))
            elif target not in known:
                problems.append(Problem(at.path, at.line, at.column, "unknown-cause-ref",
                                        {"value": target}))
        cause.outranks = tuple(t for t in cause.outranks if t in known and t != cause.id)

    edges = {cause.id: cause.outranks for cause in causes}
    by_id = {cause.id: cause for cause in causes}
    while (cycle := find_cycle(edges)) is not None:
        closing = by_id[cycle[-2]]
        at = closing.position or ast.Position("", 0, 0)
        problems.append(Problem(at.path, at.line, at.column, "outranks-cycle",
                                {"cycle": " -> ".join(cycle)}))
        closing.outranks = tuple(t for t in closing.outranks if t != cycle[-1])
        edges[closing.id] = closing.outranks
