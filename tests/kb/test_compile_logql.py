"""Conditions compiled into LogQL stream selectors and line filters."""

from __future__ import annotations

import pytest
from compile_helpers import condition

from rca.kb import ast, load_knowledge_base
from rca.kb.compile_logql import (
    LogqlCompileError,
    LogqlQuery,
    LokiLabels,
    compile_logql,
    go_quote,
    quote_meta,
)

SELECTOR = ('job="fleet"',)
SHIPPED_RULES = [compiled.rule for compiled in load_knowledge_base().rules]

COMPILED = {
    "contains": ('message contains "no such host"', '{job="fleet"} |= "no such host"'),
    "icontains": ('message icontains "Permission denied"',
                  '{job="fleet"} |~ "(?i)Permission denied"'),
    "regex": (r"message ~ /lookup (?P<host>\S+): no such host/",
              r'{job="fleet"} |~ "lookup (?P<host>\\S+): no such host"'),
    "regex-ignore-case": (r"message ~ /timed? out/i", '{job="fleet"} |~ "(?i)timed? out"'),
    "not-contains": ('not message contains "permissive=1"',
                     '{job="fleet"} != "permissive=1"'),
    "not-regex": (r"not raw ~ /\d+/", r'{job="fleet"} !~ "\\d+"'),
    "equal-line": ('message = "done."', r'{job="fleet"} |~ "^done\\.$"'),
    "not-equal-line": ('message != "done"', '{job="fleet"} !~ "^done$"'),
    "labels-in-selector": ('node = "node-01" and transaction != "run-1" and message contains "x"',
                           '{job="fleet", host="node-01", transaction_id!="run-1"} |= "x"'),
    "label-one-of": ('node in ["a.b", c]', r'{job="fleet", host=~"a\\.b|c"}'),
    "label-contains": ('unit icontains "fleet"', '{job="fleet", unit=~"(?i).*fleet.*"}'),
    "label-regex": (r"node ~ /-0[12]$/", r'{job="fleet", host=~".*(?:-0[12]$).*"}'),
    "or-of-lines": (r'message contains "a.b" or message icontains "c" or message ~ /(?P<x>d)+/',
                    r'{job="fleet"} |~ "a\\.b|(?i:c)|(?:(d)+)"'),
    "or-of-labels": ('node = "a" or not unit = "b"',
                     '{job="fleet"} | host="a" or unit!="b"'),
    "nested-labels": ('node = "a" or (unit = "b" and transaction = "c")',
                      '{job="fleet"} | host="a" or (unit="b" and transaction_id="c")'),
    "negated-or": ('not (message contains "a" or message contains "b")',
                   '{job="fleet"} != "a" != "b"'),
}


@pytest.mark.parametrize(("text", "logql"), COMPILED.values(), ids=COMPILED.keys())
def test_condition_compiles(text: str, logql: str) -> None:
    assert compile_logql(condition(text)).render(SELECTOR) == logql


UNSUPPORTED = {
    "mixed-or": ('message contains "a" or node = "b"', "mixes tests on the log line and on labels"),
    "negated-and-of-lines": ('not (message contains "a" and message contains "b")',
                             "each branch is one test that is not negated"),
    "and-inside-or": ('message contains "a" or (message contains "b" and message contains "c")',
                      "each branch is one test"),
    "field-without-label": ("level = error", "level is not a Loki label"),
    "parsed-field": ("fields.exit_code = 1", "fields.exit_code is not a Loki label"),
    "not-equal-in-or": ('message != "a" or message contains "b"', "cannot be a branch"),
}


@pytest.mark.parametrize(("text", "reason"), UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_unsupported_condition_raises(text: str, reason: str) -> None:
    with pytest.raises(LogqlCompileError, match=reason):
        compile_logql(condition(text))


def test_python_only_anchor_raises() -> None:
    with pytest.raises(LogqlCompileError, match=r"\\Z"):
        compile_logql(ast.Matches("message", r"failed\Z"))


def test_labels_are_configurable() -> None:
    labels = LokiLabels(node="instance", level="level")

    query = compile_logql(condition('node = "a" and level = error'), labels)

    assert query == LogqlQuery(('instance="a"', 'level="error"'), ())


def test_label_missing_when_unset() -> None:
    with pytest.raises(LogqlCompileError, match="node is not a Loki label"):
        compile_logql(condition('node = "a"'), LokiLabels(node=None))


def test_render_needs_a_matcher() -> None:
    with pytest.raises(LogqlCompileError, match="stream selector"):
        compile_logql(condition('message contains "a"')).render()


def test_render_without_base_selector() -> None:
    assert compile_logql(condition('node = "a"')).render() == '{host="a"}'


QUOTES = {
    "plain": ("abc", '"abc"'),
    "quote-and-backslash": ('a"b\\c', '"a\\"b\\\\c"'),
    "control": ("a\nb\tc\x01", '"a\\nb\\tc\\x01"'),
    "unicode": ("权限不够", '"权限不够"'),
}


@pytest.mark.parametrize(("text", "quoted"), QUOTES.values(), ids=QUOTES.keys())
def test_go_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


def test_quote_meta() -> None:
    assert quote_meta("a.b*c(d)[e]{f}|g^h$i\\j+k?") == \
        "a\\.b\\*c\\(d\\)\\[e\\]\\{f\\}\\|g\\^h\\$i\\\\j\\+k\\?"


def test_group_names_leave_alternations() -> None:
    query = compile_logql(condition(
        r"message ~ /(?P<host>[^(?P<x>]+)/ or message ~ /\(?P<y>(?P<host>z)/"))

    assert query.stages == (r'|~ "(?:([^(?P<x>]+))|(?:\\(?P<y>(z))"',)


@pytest.mark.parametrize("shipped", SHIPPED_RULES,
                         ids=[shipped.qualified_name for shipped in SHIPPED_RULES])
def test_shipped_rule_compiles_or_names_its_field(shipped: ast.Rule) -> None:
    try:
        query = compile_logql(shipped.condition)
    except LogqlCompileError as error:
        # Only tests on fields Loki keeps no label for may fail.
        assert "is not a Loki label" in str(error)
    else:
        assert query.stages
