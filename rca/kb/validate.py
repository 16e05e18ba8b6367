"""Checks that need a whole cause or the whole knowledge base.

The parser checks each statement. These checks look across the statements of a
cause (every text in both languages, fix placeholders that some rule captures)
and across files (duplicate ids, ``outranks`` targets and cycles).
"""

from __future__ import annotations

from collections.abc import Iterable

from rca.kb import ast
from rca.kb.problems import Problem
from rca.kb.text import placeholders

# Values every diagnosis carries, whatever the rule: see `rca.diagnose`.
BUILTIN_VALUES = ("node", "unit", "kind", "transaction")


def check_cause(cause: ast.Cause, lines: list[str]) -> list[Problem]:
    """Problems of one cause that leave it usable: a missing text, an unknown placeholder."""
    problems: list[Problem] = []
    position = cause.position or ast.Position("", 0, 0)

    def report(at: ast.Position, code: str, **params: str) -> None:
        source = lines[at.line - 1] if 0 < at.line <= len(lines) else ""
        problems.append(Problem(at.path, at.line, at.column, code, params, source))

    if not cause.rules:
        report(position, "no-rules", cause=cause.id)

    fix_languages = {fix.lang for fix in cause.fixes}
    for lang in ast.LANGUAGES:
        if lang not in cause.titles:
            report(position, "missing-text", cause=cause.id, what="title", lang=lang)
        if lang not in cause.explanations:
            report(position, "missing-text", cause=cause.id, what="explanation", lang=lang)
        if lang not in fix_languages:
            report(position, "missing-text", cause=cause.id, what="fix", lang=lang)

    known = captured_names(cause)
    for template, at in _templates(cause):
        for name in placeholders(template):
            if name not in known:
                report(at, "unknown-placeholder", name=name, cause=cause.id,
                       known=", ".join(sorted(known)))
    return problems


def captured_names(cause: ast.Cause) -> set[str]:
    """Return every value name a diagnosis of this cause may carry."""
    names = set(BUILTIN_VALUES)
    for rule in cause.rules:
        conditions = [rule.condition, *(context.condition for context in rule.contexts)]
        for condition in conditions:
            names.update(_group_names(condition))
    for extract in cause.extracts:
        names.update(extract.condition.group_names)
    return names


def _group_names(condition: ast.Condition) -> set[str]:
    return {name for leaf in ast.leaves(condition) if isinstance(leaf, ast.Matches)
            for name in leaf.group_names}


def _templates(cause: ast.Cause) -> Iterable[tuple[str, ast.Position]]:
    fallback = cause.position or ast.Position("", 0, 0)
    for text in [*cause.titles.values(), *cause.explanations.values()]:
        yield text, fallback
    for fix in cause.fixes:
        yield fix.text, fix.position or fallback
        if fix.command:
            yield fix.command, fix.position or fallback


def find_cycle(edges: dict[str, tuple[str, ...]]) -> list[str] | None:
    """Return one cycle of the ``outranks`` graph as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in edges.get(node, ()):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None
