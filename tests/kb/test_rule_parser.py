"""Parsing rule files into the syntax tree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.kb import ast
from rca.kb.parser import parse_rule_file

FULL_CAUSE = '''
# A comment line.
cause net.sample {
    title en    "Sample title"
    title zh-CN "示例标题"
    explanation en """
        First line
        second line.

        Next paragraph.
        """
    explanation zh-CN """
        第一行
        第二行。
        """
    severity warning
    remedy   auto
    outranks net.other, disk.full

    rule first confidence 0.7 outranks apt.lock_held
        when message ~ /lookup (?P<host>\\S+): no such host/ and kind = tool-output
        with type = AVC on same node within 5s before
        without message contains "permissive=1"
    rule second when level in [error, critical]

    extract message ~ /port (?P<port>\\d+)/
    fix en    "Check {host}." command "getent hosts {host}"
    fix zh-CN "检查 {host}。"
    reference "https://example.com/doc"
    example match   "lookup a.example: no such host"
    example nomatch "all good"
}

unknown {
    example "make: *** [all] Error 2"
}
'''


@pytest.fixture(scope="module")
def parsed() -> ast.RuleFile:
    result = parse_rule_file(FULL_CAUSE, "sample.rca")
    assert result.problems == []
    return result.rule_file


def test_cause_texts(parsed: ast.RuleFile) -> None:
    cause = parsed.causes[0]

    assert cause.id == "net.sample"
    assert cause.titles == {"en": "Sample title", "zh-CN": "示例标题"}
    assert cause.explanations["en"] == "First line second line.\n\nNext paragraph."
    assert cause.explanations["zh-CN"] == "第一行第二行。"


def test_cause_settings(parsed: ast.RuleFile) -> None:
    cause = parsed.causes[0]

    assert cause.severity == "warning"
    assert cause.remedy == "auto"
    assert cause.outranks == ("net.other", "disk.full")
    assert cause.references == ["https://example.com/doc"]
    assert cause.position == ast.Position("sample.rca", 3, 7)


def test_rule_condition_and_options(parsed: ast.RuleFile) -> None:
    rule = parsed.causes[0].rules[0]

    assert rule.name == "first"
    assert rule.cause == "net.sample"
    assert rule.qualified_name == "net.sample/first"
    assert rule.confidence == 0.7
    assert rule.outranks == ("apt.lock_held",)
    assert rule.condition == ast.And((
        ast.Matches("message", r"lookup (?P<host>\S+): no such host"),
        ast.Compare("kind", ast.CompareOp.EQUAL, "tool-output"),
    ))


def test_rule_contexts(parsed: ast.RuleFile) -> None:
    with_context, without_context = parsed.causes[0].rules[0].contexts

    assert with_context == ast.Context(ast.Compare("type", ast.CompareOp.EQUAL, "AVC"), True,
                                       ast.Scope.NODE, 5.0, ast.Direction.BEFORE)
    assert without_context.present is False
    assert without_context.scope == ast.Scope.TRANSACTION
    assert without_context.window is None
    assert without_context.direction == ast.Direction.AROUND


def test_rule_defaults(parsed: ast.RuleFile) -> None:
    rule = parsed.causes[0].rules[1]

    assert rule.condition == ast.OneOf("level", ("error", "critical"))
    assert rule.confidence == 0.9
    assert rule.contexts == ()


def test_fixes_extracts_examples(parsed: ast.RuleFile) -> None:
    cause = parsed.causes[0]

    assert cause.fixes[0].command == "getent hosts {host}"
    assert cause.fixes[1].lang == "zh-CN"
    assert cause.fixes[1].command is None
    assert cause.extracts[0].condition.group_names == ("port",)
    assert [example.matches for example in cause.examples] == [True, False]


def test_unknown_block_examples(parsed: ast.RuleFile) -> None:
    assert [example.text for example in parsed.unknown_examples] == ["make: *** [all] Error 2"]
    assert parsed.unknown_examples[0].matches is False


def _condition(text: str) -> ast.Condition:
    result = parse_rule_file(f"cause a.b {{ rule r when {text} }}", "t.rca")
    assert result.problems == []
    return result.rule_file.causes[0].rules[0].condition


A = ast.Contains("message", "a")
B = ast.Contains("message", "b")
C = ast.Contains("message", "c")


@pytest.mark.parametrize(("text", "expected"), [
    ('message contains "a" or message contains "b" and message contains "c"',
     ast.Or((A, ast.And((B, C))))),
    ('(message contains "a" or message contains "b") and message contains "c"',
     ast.And((ast.Or((A, B)), C))),
    ('not message contains "a" and message contains "b"', ast.And((ast.Not(A), B))),
    ('not (message contains "a" or message contains "b")', ast.Not(ast.Or((A, B)))),
    ('message icontains "a"', ast.Contains("message", "a", ignore_case=True)),
    ("message ~ /x/i", ast.Matches("message", "x", ignore_case=True)),
    (r"message ~ /a\/b/", ast.Matches("message", "a/b")),
    ('fields.exit_code = -13', ast.Compare("fields.exit_code", ast.CompareOp.EQUAL, "-13")),
    ('unit != "agent.service"', ast.Compare("unit", ast.CompareOp.NOT_EQUAL, "agent.service")),
    ('kind in [audit, "journald"]', ast.OneOf("kind", ("audit", "journald"))),
], ids=["and-binds-tighter", "parentheses", "not-binds-tightest", "not-group", "icontains",
        "regex-flag", "escaped-slash", "negative-number", "not-equal", "list"])
def test_condition_syntax(text: str, expected: ast.Condition) -> None:
    assert _condition(text) == expected


@pytest.mark.parametrize(("duration", "seconds"), [
    ("250ms", 0.25), ("30s", 30.0), ("2m", 120.0), ("1h", 3600.0), ("1.5s", 1.5),
], ids=["ms", "s", "m", "h", "fraction"])
def test_window_units(duration: str, seconds: float) -> None:
    text = f'cause a.b {{ rule r when kind = audit with kind = audit within {duration} after }}'
    result = parse_rule_file(text, "t.rca")

    context = result.rule_file.causes[0].rules[0].contexts[0]
    assert context.window == seconds
    assert context.direction == ast.Direction.AFTER


def test_string_escapes() -> None:
    text = r'cause a.b { rule r when message contains "say \"hi\" \\ \t" }'
    condition = _condition_from(text)

    assert condition == ast.Contains("message", 'say "hi" \\ \t')


def _condition_from(text: str) -> ast.Condition:
    return parse_rule_file(text, "t.rca").rule_file.causes[0].rules[0].condition


def test_adjacent_strings_joined() -> None:
    text = 'cause a.b { title en "one " "two" rule r when kind = audit }'

    cause = parse_rule_file(text, "t.rca").rule_file.causes[0]

    assert cause.titles["en"] == "one two"


def test_broken_block_keeps_others() -> None:
    text = ("cause a.b {\n  rule r when message contains\n}\n\n"
            "cause c.d {\n  rule r when kind = audit\n}\n")

    result = parse_rule_file(text, "t.rca")

    assert [cause.id for cause in result.rule_file.causes] == ["c.d"]
    assert len(result.problems) == 1
    assert result.problems[0].line == 3


def test_block_with_semantic_problem_is_left_out() -> None:
    text = "cause a.b { rule r when kind = audits }\ncause c.d { rule r when kind = audit }\n"

    result = parse_rule_file(text, "t.rca")

    assert [cause.id for cause in result.rule_file.causes] == ["c.d"]
    assert [problem.code for problem in result.problems] == ["bad-kind"]


def test_positions_count_from_file_start() -> None:
    text = ("\n\ncause a.b {\n  rule r when kind = audit\n}\n"
            "cause c.d {\n  rule s when kind = audit\n}\n")

    result = parse_rule_file(text, "t.rca")

    positions = [cause.rules[0].position for cause in result.rule_file.causes]
    assert positions == [ast.Position("t.rca", 4, 8), ast.Position("t.rca", 7, 8)]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('cause a.b{}"/~=!()[],rule when message \n#x')),
               max_size=80))
def test_any_text_gives_problems_not_exceptions(text: str) -> None:
    result = parse_rule_file(text, "fuzz.rca")

    for problem in result.problems:
        assert problem.render("en").startswith("fuzz.rca")
        assert problem.render("zh-CN").startswith("fuzz.rca")
