"""Python patterns rewritten for Lucene find the same lines as Python's search."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.kb import ast
from rca.kb.compile_regex import (
    PYTHON_WHITESPACE,
    RegexNotTranslatable,
    required_literals,
    translate_regex,
)
from rca.testing.es_dsl import lucene_regex_to_python


def lucene_matches(pattern: str, ignore_case: bool, line: str) -> bool:
    """Run a translated pattern as the loopback Elasticsearch runs a ``regexp`` query."""
    lucene = translate_regex(pattern, ignore_case)
    flags = re.DOTALL | (re.IGNORECASE | re.ASCII if lucene.case_insensitive else 0)
    return re.fullmatch(lucene_regex_to_python(lucene.pattern), line, flags) is not None


def python_matches(pattern: str, ignore_case: bool, line: str) -> bool:
    return re.search(pattern, line, re.IGNORECASE if ignore_case else 0) is not None


# (pattern, ignore case, lines that must agree)
AGREEMENT_CASES = {
    "plain-text": (r"permission denied", False,
                   ["open x: permission denied", "Permission denied", "", "denied"]),
    "start-anchor": (r"^E: ", False, ["E: Unable", "W: E: x", "\nE: x", "E:"]),
    "end-anchor": (r"failed$", False, ["it failed", "it failed\n", "failed twice", "failed\n\n"]),
    "end-of-string": (r"failed\Z", False, ["it failed", "it failed\n"]),
    "word-boundaries": (r"\bEACCES\b", False,
                        ["EACCES", "x EACCES y", "xEACCES", "EACCESx", "(EACCES)", "_EACCES"]),
    "boundary-before-nonword": (r"\b: denied", False, ["x: denied", " : denied", ": denied"]),
    "boundary-before-repeat": (r"\bgo install\b.*@", False,
                               ["go install x@v1", "go installer@v1", "go install@",
                                "ago install @", "go install\n@"]),
    "boundary-after-optional": (r"reset(?: by peer)?\b", False,
                                ["reset", "reset by peer", "resets", "reset by peers", "reset!"]),
    "boundary-then-repeat-then-word": (r"SEIZE\b.*EPERM", False,
                                       ["SEIZE: EPERM", "SEIZEEPERM", "SEIZE EPERM",
                                        "SEIZE_EPERM"]),
    "alternation-with-anchors": (r"(?:^|\s)Killed\s*$", False,
                                 ["Killed", "x Killed ", "xKilled", "Killed x", "a\tKilled\n"]),
    "group-with-end-alternative": (r"lock (/\S+?)(?:\.|\s|$)", False,
                                   ["lock /var/lib/dpkg/lock", "lock /a.", "lock /a b", "lock "]),
    "dot-and-newline": (r"a.b", False, ["a\nb", "axb", "ab"]),
    "dotall-flag": (r"(?s)a.b", False, ["a\nb", "axb"]),
    "classes": (r"[^\s:]+: \d{2,3}\w", False,
                ["path: 123x", "path: 1x", ": 12_", "a:\u00a012x", "a: 12-"]),
    "ignore-case": (r"are you root\?|must be (?:run as )?root", True,
                    ["Are You ROOT?", "MUST BE RUN AS ROOT", "must beroot", "are you root"]),
    "ignore-case-non-ascii": (r"temporärer fehlschlag", True,
                              ["TEMPORÄRER FEHLSCHLAG", "Temporärer Fehlschlag", "temporarer"]),
    "ignore-case-class": (r"[a-c]x[^d]", True, ["Ax!", "AXD", "bXd", "cXe"]),
    "scoped-ignore-case": (r"(?i:error) CODE", False, ["ERROR CODE", "error code", "Error CODE"]),
    "inline-ignore-case": (r"(?i)no such host", False, ["No Such Host", "no such hosts"]),
    "lazy-repeat": (r"open (?P<path>\S+?): no", False, ["open /a/b: no", "open : no"]),
    "bounded-repeats": (r"x{2}y{1,3}z{2,}", False, ["xxyzz", "xxyyyyzz", "xyzz", "xxyzzz"]),
    "lucene-operators": (r'a#b@c&d~e<f>g"h', False, ['a#b@c&d~e<f>g"h', "ab"]),
    "non-ascii-text": (r"无法执行二进制文件", False, ["bash: ./x: 无法执行二进制文件", "无法执行"]),
    "empty-alternative": (r"x(?:a|)y", False, ["xy", "xay", "xby"]),
}


@pytest.mark.parametrize(("pattern", "ignore_case", "lines"), AGREEMENT_CASES.values(),
                         ids=AGREEMENT_CASES.keys())
def test_translation_agrees_with_python(pattern: str, ignore_case: bool,
                                        lines: list[str]) -> None:
    for line in lines:
        assert lucene_matches(pattern, ignore_case, line) == \
            python_matches(pattern, ignore_case, line), line


# Characters that exercise classes, boundaries, case and line ends.
ALPHABET = "aAbB_09 \t\n:./-éÉ中()"
PROPERTY_PATTERNS = [
    r"\bab\b", r"a\b.*b", r"^a.*b$", r"(?:^|\s)a\s*$", r"[^\s:]+:", r"\d+\w", r"\W\w",
    r"(?i)ab|é", r"a(?:b|\s)?$", r"\bé", r"(?s)a.b",
]


@settings(max_examples=300, deadline=None)
@given(line=st.text(alphabet=ALPHABET, max_size=12),
       pattern=st.sampled_from(PROPERTY_PATTERNS))
def test_translation_agrees_on_random_lines(line: str, pattern: str) -> None:
    # \w and \b take their ASCII meaning in Lucene; Python's count é and 中 as
    # letters, so the lines that differ only there are left out.
    if any(char in line for char in "éÉ中") and re.search(r"\\[bBwW]", pattern):
        return
    assert lucene_matches(pattern, False, line) == python_matches(pattern, False, line)


def test_word_class_is_ascii() -> None:
    # A known difference: Python's \w also matches letters of other scripts.
    assert python_matches(r"12\w", False, "12é")
    assert not lucene_matches(r"12\w", False, "12é")


def test_translation_wraps_unanchored_pattern() -> None:
    assert translate_regex("abc").pattern == ".*abc.*"


def test_translation_escapes_lucene_operators() -> None:
    assert translate_regex("a#b").pattern == ".*a\\#b.*"


def test_translation_sets_case_flag() -> None:
    result = translate_regex("root", ignore_case=True)

    assert result.case_insensitive
    assert result.pattern == ".*root.*"


def test_translation_spells_out_non_ascii_case() -> None:
    assert translate_regex("ä", ignore_case=True).pattern == ".*[Ää].*"


def test_whitespace_set_is_pythons() -> None:
    expected = [code for code in range(0x110000) if chr(code).isspace()]
    listed = [code for first, last in PYTHON_WHITESPACE for code in range(first, last + 1)]

    assert listed == expected


UNTRANSLATABLE = {
    "boundary-inside-group": r"x(?:a\b|b)y",
    "anchor-inside": r"a^b",
    "possessive": r"a++b",
    "atomic-group": r"(?>ab)c",
    "back-reference": r"(a)\1",
    "look-ahead": r"a(?=b)",
    "non-boundary": r"a\Bb",
}


@pytest.mark.parametrize("pattern", UNTRANSLATABLE.values(), ids=UNTRANSLATABLE.keys())
def test_untranslatable_patterns_raise(pattern: str) -> None:
    with pytest.raises(RegexNotTranslatable):
        translate_regex(pattern)


def test_too_long_translation_raises() -> None:
    with pytest.raises(RegexNotTranslatable, match="longer than 20"):
        translate_regex("a" * 30, max_length=20)


LITERAL_CASES = {
    "sequence": (r"open (\S+): permission denied", False,
                 ast.And((ast.Contains("message", "open "),
                          ast.Contains("message", ": permission denied")))),
    "alternation": (r"EACCES|\(13: Permission denied\)", False,
                    ast.Or((ast.Contains("message", "EACCES"),
                            ast.Contains("message", "(13: Permission denied)")))),
    "case-pair-class": (r"[Pp]ermission denied", False,
                        ast.Contains("message", "permission denied", ignore_case=True)),
    "group-joins-literals": (r"no (?:such) host", False, ast.Contains("message", "no such host")),
    "required-repeat": (r"x(?:ab)+y", False,
                        ast.And((ast.Contains("message", "x"), ast.Contains("message", "ab"),
                                 ast.Contains("message", "y")))),
}


@pytest.mark.parametrize(("pattern", "ignore_case", "expected"), LITERAL_CASES.values(),
                         ids=LITERAL_CASES.keys())
def test_required_literals(pattern: str, ignore_case: bool, expected: ast.Condition) -> None:
    assert required_literals(pattern, ignore_case) == expected


def test_required_literals_none_without_text() -> None:
    assert required_literals(r"\d+|x") is None


WHOLE_WORD_CASES = {
    "partial-word-after-class": (r"\w+ould not connect", "not connect"),
    "word-after-space-class": (r"\s+could not", "could not"),
    "partial-word-before-repeat": (r"permission den\w*", "permission"),
    "punctuation-edge-kept": (r"[^\s:]+: Permission denied", ": Permission denied"),
}


@pytest.mark.parametrize(("pattern", "text"), WHOLE_WORD_CASES.values(),
                         ids=WHOLE_WORD_CASES.keys())
def test_required_literals_whole_words(pattern: str, text: str) -> None:
    assert required_literals(pattern, whole_words=True) == ast.Contains("message", text)


def test_required_literals_keep_ideographs() -> None:
    # The standard analyzer makes each ideograph its own word, so none is trimmed.
    found = required_literals(r"(?:不能|无法)解析域名“(?P<host>[\w.-]+)”", whole_words=True)

    assert found == ast.And((ast.Or((ast.Contains("message", "不能"),
                                     ast.Contains("message", "无法"))),
                             ast.Contains("message", "解析域名“")))
