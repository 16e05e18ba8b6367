"""Parse rule files into the syntax tree of `rca.kb.ast`, collecting every problem.

A file is cut into top-level blocks (lines that start with ``cause`` or
``unknown``) and each block is parsed on its own, so one broken block does not
hide the problems of the others nor drop their causes. Line numbers stay those
of the whole file.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib.resources
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput, VisitError

from rca.kb import ast
from rca.kb.ast import Position
from rca.kb.problems import Problem
from rca.kb.syntax_errors import describe_syntax_error
from rca.kb.text import join_text_lines
from rca.model import Level, SourceKind

logger = logging.getLogger(__name__)

# NOTE: a line of a triple-quoted text that starts with "cause" or "unknown" in
# column 1 would also start a block. The texts in the shipped files are indented.
_BLOCK_START = re.compile(r"^(?:cause|unknown)\b", re.MULTILINE)
_UNPORTABLE = (
    (re.compile(r"\(\?<?[=!]"), "unportable-lookaround"),
    (re.compile(r"\\[1-9]|\(\?P="), "unportable-backreference"),
)
_KINDS = tuple(kind.value for kind in SourceKind)
_LEVELS = tuple(level.name.lower() for level in Level)
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


@functools.cache
def grammar_parser() -> Lark:
    """Build the LALR parser for the shipped grammar (once per process)."""
    grammar = importlib.resources.files("rca.kb").joinpath("grammar.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True)


@dataclass(slots=True)
class ParsedFile:
    rule_file: ast.RuleFile
    problems: list[Problem] = field(default_factory=list)


def parse_rule_file(text: str, path: str) -> ParsedFile:
    """Parse one rule file's text; `path` is only used in positions and messages."""
    lines = text.splitlines()
    parsed = ParsedFile(ast.RuleFile(path))

    blocks = _split_blocks(text)
    for index, (start_line, block) in enumerate(blocks):
        padded = "\n" * (start_line - 1) + block
        _parse_block(padded, path, lines, parsed, is_last=index == len(blocks) - 1)

    logger.debug("parsed %s: %d causes, %d problems", path, len(parsed.rule_file.causes),
                 len(parsed.problems))
    return parsed


def _split_blocks(text: str) -> list[tuple[int, str]]:
    """Cut the text at lines starting a top-level block; return (first line, text) pairs."""
    starts = [match.start() for match in _BLOCK_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)

    blocks = []
    for index, offset in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        blocks.append((text.count("\n", 0, offset) + 1, text[offset:end]))
    return blocks


def _parse_block(padded: str, path: str, lines: list[str], parsed: ParsedFile,
                 *, is_last: bool) -> None:
    """Parse one block; a block with any problem adds its problems but no causes."""
    try:
        tree = grammar_parser().parse(padded)
    except UnexpectedInput as error:
        parsed.problems.append(_syntax_problem(error, padded, path, lines, is_last))
        return

    builder = _Builder(path, lines)
    try:
        rule_file: ast.RuleFile = builder.transform(tree)
    except VisitError as error:
        # A bug in the builder, not in the file: keep the traceback.
        raise error.orig_exc from error

    if builder.problems:
        parsed.problems.extend(builder.problems)
        return
    parsed.rule_file.causes.extend(rule_file.causes)
    parsed.rule_file.unknown_examples.extend(rule_file.unknown_examples)


def _syntax_problem(error: UnexpectedInput, padded: str, path: str, lines: list[str],
                    is_last: bool) -> Problem:
    line, column = error.line, error.column
    code, params = describe_syntax_error(error, grammar_parser().parse)
    if code == "unexpected-end":
        line, column = _last_text_position(padded)
        if not is_last:
            code = "unclosed-block"

    source = lines[line - 1] if 0 < line <= len(lines) else ""
    return Problem(path, line, column, code, params, source)


def _last_text_position(text: str) -> tuple[int, int]:
    """Return the line and column just after the last non-blank character."""
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return line, column


def decode_string(token: Token) -> str:
    """Return the text of a STRING token, with quotes removed and escapes decoded."""
    raw = str(token)
    if raw.startswith('"""'):
        return raw[3:-3]
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match[1], match[0]), raw[1:-1])


def split_regex(token: Token) -> tuple[str, str]:
    """Split a REGEX token ``/pattern/flags`` into pattern and flags."""
    raw = str(token)
    end = raw.rfind("/")
    return raw[1:end].replace("\\/", "/"), raw[end + 1:]


class _Builder(Transformer[Token, Any]):
    """Turn a parse tree into `ast` objects, recording problems as it goes."""

    def __init__(self, path: str, lines: list[str]) -> None:
        super().__init__()
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    def _position(self, token: Token) -> Position:
        return Position(self.path, token.line or 0, token.column or 0)

    def _report(self, token: Token, code: str, column_offset: int = 0, **params: str) -> None:
        line = token.line or 0
        source = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        self.problems.append(
            Problem(self.path, line, (token.column or 0) + column_offset, code, params, source))

    # File and blocks

    def start(self, items: list[Any]) -> ast.RuleFile:
        rule_file = ast.RuleFile(self.path)
        for item in items:
            if isinstance(item, ast.Cause):
                rule_file.causes.append(item)
            else:
                rule_file.unknown_examples.extend(item)
        return rule_file

    def unknown_block(self, examples: list[ast.Example]) -> list[ast.Example]:
        return examples

    def unknown_example(self, items: list[Token]) -> ast.Example:
        return ast.Example(decode_string(items[0]), False, self._position(items[0]))

    def cause(self, items: list[Any]) -> ast.Cause:
        id_token, statements = items[0], items[1:]
        cause = ast.Cause(str(id_token), position=self._position(id_token))
        for statement in statements:
            self._add_statement(cause, statement)
        return cause

    def _add_statement(self, cause: ast.Cause, statement: tuple[Any, ...]) -> None:
        kind = statement[0]
        if kind in ("title", "explanation"):
            _, lang_token, text = statement
            texts = cause.titles if kind == "title" else cause.explanations
            if str(lang_token) in texts:
                self._report(lang_token, "duplicate-text", cause=cause.id, what=kind,
                             lang=str(lang_token))
            texts[str(lang_token)] = text
        elif kind == "severity":
            cause.severity = statement[1]
        elif kind == "remedy":
            cause.remedy = statement[1]
        elif kind == "outranks":
            cause.outranks = cause.outranks + statement[1]
        elif kind == "rule":
            self._add_rule(cause, statement[1], statement[2])
        elif kind == "extract":
            cause.extracts.append(statement[1])
        elif kind == "fix":
            cause.fixes.append(statement[1])
        elif kind == "reference":
            cause.references.append(statement[1])
        elif kind == "example":
            cause.examples.append(statement[1])

    def _add_rule(self, cause: ast.Cause, rule: ast.Rule, name_token: Token) -> None:
        if any(existing.name == rule.name for existing in cause.rules):
            self._report(name_token, "duplicate-rule", cause=cause.id, rule=rule.name)
            return
        cause.rules.append(dataclasses.replace(rule, cause=cause.id))

    # Cause statements, returned as tagged tuples for `cause`

    def title(self, items: list[Any]) -> tuple[str, Token, str]:
        return ("title", self._language(items[0]), items[1])

    def explanation(self, items: list[Any]) -> tuple[str, Token, str]:
        return ("explanation", self._language(items[0]), items[1])

    def _language(self, token: Token) -> Token:
        if str(token) not in ast.LANGUAGES:
            self._report(token, "bad-language", value=str(token))
        return token

    def text(self, strings: list[Token]) -> str:
        return join_text_lines("".join(decode_string(string) for string in strings))

    def severity(self, items: list[Token]) -> tuple[str, str]:
        if str(items[0]) not in ast.SEVERITIES:
            self._report(items[0], "bad-severity", value=str(items[0]))
        return ("severity", str(items[0]))

    def remedy(self, items: list[Token]) -> tuple[str, str]:
        if str(items[0]) not in ast.REMEDIES:
            self._report(items[0], "bad-remedy", value=str(items[0]))
        return ("remedy", str(items[0]))

    def outranks(self, items: list[tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
        return ("outranks", items[0])

    def cause_list(self, items: list[Token]) -> tuple[str, ...]:
        return tuple(str(item) for item in items)

    def extract(self, items: list[Token]) -> tuple[str, ast.Extract]:
        condition = self._matches(items[0], items[1])
        if _compiles(condition.pattern) and not condition.group_names:
            self._report(items[1], "extract-without-group")
        return ("extract", ast.Extract(condition, self._position(items[0])))

    def fix(self, items: list[Any]) -> tuple[str, ast.FixTemplate]:
        lang_token, text = self._language(items[0]), items[1]
        command = items[2] if len(items) > 2 else None
        template = ast.FixTemplate(str(lang_token), text, command, self._position(lang_token))
        return ("fix", template)

    def command(self, items: list[Token]) -> str:
        return decode_string(items[0])

    def reference(self, items: list[Token]) -> tuple[str, str]:
        return ("reference", decode_string(items[0]))

    def example(self, items: list[Token]) -> tuple[str, ast.Example]:
        expectation, string = items
        example = ast.Example(decode_string(string), str(expectation) == "match",
                              self._position(string))
        return ("example", example)

    # Rules and contexts

    def rule(self, items: list[Any]) -> tuple[str, ast.Rule, Token]:
        name_token = items[0]
        outranks: tuple[str, ...] = ()
        confidence = 0.9
        contexts = []
        condition: ast.Condition | None = None
        for item in items[1:]:
            if isinstance(item, tuple) and item[0] == "outranks":
                outranks = outranks + item[1]
            elif isinstance(item, tuple) and item[0] == "confidence":
                confidence = item[1]
            elif isinstance(item, ast.Context):
                contexts.append(item)
            else:
                condition = item
        assert condition is not None  # the grammar requires `when CONDITION`

        rule = ast.Rule(str(name_token), "", condition, tuple(contexts), outranks, confidence,
                        self._position(name_token))
        return ("rule", rule, name_token)

    def rule_outranks(self, items: list[tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
        return ("outranks", items[0])

    def rule_confidence(self, items: list[Token]) -> tuple[str, float]:
        value = float(items[0])
        if not 0 < value <= 1:
            self._report(items[0], "bad-confidence", value=str(items[0]))
        return ("confidence", value)

    def context(self, items: list[Any]) -> ast.Context:
        presence, condition = items[0], items[1]
        scope = ast.Scope.TRANSACTION
        window: float | None = None
        direction = ast.Direction.AROUND
        for item in items[2:]:
            if isinstance(item, ast.Scope):
                scope = item
            else:
                window, direction = item
        return ast.Context(condition, str(presence) == "with", scope, window, direction)

    def same_node(self, _items: list[Token]) -> ast.Scope:
        return ast.Scope.NODE

    def same_transaction(self, _items: list[Token]) -> ast.Scope:
        return ast.Scope.TRANSACTION

    def window(self, items: list[Token]) -> tuple[float, ast.Direction]:
        direction = ast.Direction(str(items[1])) if len(items) > 1 else ast.Direction.AROUND
        return (_seconds(str(items[0])), direction)

    # Conditions

    def or_test(self, items: list[ast.Condition]) -> ast.Or:
        return ast.Or(tuple(items))

    def and_test(self, items: list[ast.Condition]) -> ast.And:
        return ast.And(tuple(items))

    def negation(self, items: list[ast.Condition]) -> ast.Not:
        return ast.Not(items[0])

    def value(self, items: list[Token]) -> Token:
        token = items[0]
        if token.type == "STRING":
            return token.update(value=decode_string(token))
        return token

    def equal(self, items: list[Token]) -> ast.Compare:
        field_name = self._field(items[0])
        self._check_value(field_name, items[1])
        return ast.Compare(field_name, ast.CompareOp.EQUAL, str(items[1]))

    def not_equal(self, items: list[Token]) -> ast.Compare:
        field_name = self._field(items[0])
        self._check_value(field_name, items[1])
        return ast.Compare(field_name, ast.CompareOp.NOT_EQUAL, str(items[1]))

    def one_of(self, items: list[Token]) -> ast.OneOf:
        field_name = self._field(items[0])
        for value in items[1:]:
            self._check_value(field_name, value)
        return ast.OneOf(field_name, tuple(str(value) for value in items[1:]))

    def contains(self, items: list[Token]) -> ast.Contains:
        return ast.Contains(self._field(items[0]), self._needle(items[1]))

    def icontains(self, items: list[Token]) -> ast.Contains:
        return ast.Contains(self._field(items[0]), self._needle(items[1]), ignore_case=True)

    def matches(self, items: list[Token]) -> ast.Matches:
        return self._matches(items[0], items[1])

    def _matches(self, field_token: Token, regex_token: Token) -> ast.Matches:
        pattern, flags = split_regex(regex_token)
        for flag in flags:
            if flag != "i":
                self._report(regex_token, "bad-regex-flag", value=flag)
        self._check_pattern(regex_token, pattern)
        return ast.Matches(self._field(field_token), pattern, ignore_case="i" in flags)

    def _check_pattern(self, token: Token, pattern: str) -> None:
        try:
            re.compile(pattern)
        except re.error as error:
            offset = 1 + (error.pos or 0)
            self._report(token, "bad-regex", column_offset=offset, reason=error.msg)
            return
        for unportable, code in _UNPORTABLE:
            found = unportable.search(pattern)
            if found:
                self._report(token, code, column_offset=1 + found.start())

    def _needle(self, token: Token) -> str:
        text = decode_string(token)
        if not text:
            self._report(token, "empty-text")
        return text

    def _field(self, token: Token) -> str:
        name = str(token)
        if name in ast.FIELD_NAMES or name.startswith("fields."):
            return name
        close = difflib.get_close_matches(name, ast.FIELD_NAMES, n=1)
        if close:
            self._report(token, "unknown-field-close", value=name, close=close[0])
        else:
            self._report(token, "unknown-field", value=name)
        return name

    def _check_value(self, field_name: str, token: Token) -> None:
        value = str(token)
        if field_name == "kind" and value not in _KINDS:
            self._report(token, "bad-kind", value=value)
        if field_name == "level" and value not in _LEVELS:
            self._report(token, "bad-level", value=value)


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _seconds(duration: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration).groups()  # type: ignore[union-attr]
    return float(number) * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]

