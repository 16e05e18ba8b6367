"""Friendly loader messages for invalid rule files."""

from __future__ import annotations

import pytest
from lark.exceptions import UnexpectedInput

from rca.kb.parser import grammar_parser, parse_rule_file
from rca.kb.problems import MESSAGES, Problem, RuleFileError
from rca.kb.syntax_errors import BAD_EXAMPLES, describe_syntax_error


def _problems(text: str) -> list[Problem]:
    return parse_rule_file(text, "bad.rca").problems


SYNTAX_ERRORS = [
    ('cause a.b {\n  title en "Agent\n}', "unterminated-string", 2, 12),
    ("cause a.b {\n  rule r when message ~ /agent(\n}", "unterminated-regex", 2, 25),
    ('cause a.b {\n  rule r when message contains "a" && kind = audit\n}',
     "boolean-word", 2, 36),
    ('cause a.b {\n  rule r when message == "a"\n}', "value-expected", 2, 24),
    ('cause a.b {\n  rule r when message contains a\n}', "text-after-contains", 2, 32),
    ('cause a.b {\n  rule r when message ~ "a"\n}', "regex-expected", 2, 25),
    ('cause a.b {\n  rule r when kind in audit\n}', "list-expected", 2, 23),
    ("cause a.b {\n  rule r when kind = audit stray\n}", "stray-word", 2, 28),
    ('cause a.b {\n  rule r message contains "x"\n}', "when-expected", 2, 10),
    ('cause a.b {\n  rule r when (message contains "x"\n}', "unclosed-paren", 3, 1),
    ('cause a.b {\n  rule r when kind = audit with kind = audit within 30\n}',
     "duration-expected", 2, 53),
    ('cause a.b {\n  rule r when kind = audit with kind = audit on node\n}',
     "scope-expected", 2, 49),
    ('cause a.b {\n  example "x"\n}', "expectation-expected", 2, 11),
    ('cause a.b {\n  title "x"\n}', "language-expected", 2, 9),
    ("cause a.b {\n  title en x\n}", "string-expected", 2, 12),
    ('cause a.b {\n  titel en "x"\n}', "unknown-statement", 2, 3),
    ("cause dns {\n}", "cause-id-expected", 1, 7),
    ('title en "x"', "top-level-statement", 1, 1),
    ('cause a.b {\n  rule r confidence high when kind = audit\n}', "number-expected", 2, 21),
    ('cause a.b {\n  title en "x"\n', "unexpected-end", 2, 15),
    ('cause a.b {\n  title en "x"\n\ncause c.d {\n}\n', "unclosed-block", 2, 15),
]


@pytest.mark.parametrize(("text", "code", "line", "column"), SYNTAX_ERRORS,
                         ids=[code for _, code, _, _ in SYNTAX_ERRORS])
def test_syntax_error_codes(text: str, code: str, line: int, column: int) -> None:
    problems = _problems(text)

    assert [problem.code for problem in problems] == [code]
    assert (problems[0].line, problems[0].column) == (line, column)


@pytest.mark.parametrize("code", sorted(BAD_EXAMPLES))
def test_every_bad_example_maps_to_its_code(code: str) -> None:
    parse = grammar_parser().parse
    for text in BAD_EXAMPLES[code]:
        with pytest.raises(UnexpectedInput) as raised:
            parse(text)
        assert describe_syntax_error(raised.value, parse)[0] == code, text


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_has_both_languages(code: str) -> None:
    assert set(MESSAGES[code]) == {"en", "zh-CN"}


@pytest.mark.parametrize(("rule", "code", "caret_at"), [
    ('mesage contains "x"', "unknown-field-close", "mesage"),
    ("level = fatal", "bad-level", "fatal"),
    ("kind = container", "bad-kind", "container"),
    ("message ~ /a(b/", "bad-regex", "(b/"),
    ("message ~ /(?<=a)b/", "unportable-lookaround", "(?<="),
    (r"message ~ /(a)\1/", "unportable-backreference", "\\1"),
    ("message ~ /a/x", "bad-regex-flag", "/a/x"),
    ('message contains ""', "empty-text", '""'),
], ids=["field-typo", "level", "kind", "regex", "lookaround", "backreference", "flag", "empty"])
def test_condition_problems(rule: str, code: str, caret_at: str) -> None:
    text = f"cause a.b {{ rule r when {rule} }}"

    problems = _problems(text)

    assert [problem.code for problem in problems] == [code]
    assert problems[0].column == text.index(caret_at) + 1


@pytest.mark.parametrize(("statement", "code"), [
    ('title fr "Titre"', "bad-language"),
    ("severity fatal", "bad-severity"),
    ("remedy later", "bad-remedy"),
    ("extract message ~ /abc/", "extract-without-group"),
    ("extract message ~ /(abc/", "bad-regex"),
    ("rule s confidence 1.5 when kind = audit", "bad-confidence"),
    ("rule r when kind = audit", "duplicate-rule"),
    ('title en "Again"', "duplicate-text"),
], ids=["language", "severity", "remedy", "extract", "extract-bad-regex", "confidence",
        "duplicate-rule",
        "duplicate-title"])
def test_statement_problems(statement: str, code: str) -> None:
    text = f'cause a.b {{ title en "T" rule r when kind = audit {statement} }}'

    assert [problem.code for problem in _problems(text)] == [code]


def test_render_shows_line_and_caret() -> None:
    problem = _problems('cause a.b {\n  rule r when message ~ "a"\n}')[0]

    rendered = problem.render("en").splitlines()

    assert rendered[0].startswith("bad.rca:2:25: error: expected a regular expression")
    assert rendered[1] == '    2 |   rule r when message ~ "a"'
    assert rendered[2].index("^") == rendered[1].index('"a"')
    assert rendered[3].startswith("  how to fix: ")


def test_render_in_chinese() -> None:
    problem = _problems('cause a.b {\n  rule r when message ~ "a"\n}')[0]

    rendered = problem.render("zh-CN")

    assert rendered.startswith("bad.rca:2:25: 错误：")
    assert "修改方法：" in rendered


def test_caret_counts_wide_characters() -> None:
    problem = _problems('cause a.b { title zh-CN "标题" rule r when kind = x }')[0]

    source, caret = problem.render("en").splitlines()[1:3]

    assert caret.index("^") - source.index("标") == 3 + len(" rule r when kind = ") + 2


def test_rule_file_error_lists_every_problem() -> None:
    problems = _problems("cause a.b { rule r when kind = x and level = y }")

    error = RuleFileError(problems)

    assert len(error.problems) == 2
    assert str(error).count("bad.rca:1:") == 2
    assert error.render("zh-CN").count("错误") == 2
