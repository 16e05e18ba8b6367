"""Turn lark's raw syntax errors into friendly problem codes.

`BAD_EXAMPLES` maps each code of `rca.kb.problems.MESSAGES` to small invalid
files that fail the same way. The example whose parser state matches the real
error names it, the technique of lark's ``UnexpectedInput.match_examples``. A
few errors are recognized from the character itself (an unclosed string or
pattern, ``&&``). Anything else gets a generic message listing what the grammar
expected there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

_RULE = 'cause a.b {\n rule r when '

BAD_EXAMPLES: dict[str, list[str]] = {
    "cause-id-expected": [
        "cause dns {}",
        "cause {}",
        'cause "a.b" {}',
        "cause a.b.c {}",
    ],
    "top-level-statement": [
        'title en "x"',
        "rule r when message contains \"x\"",
        'cause a.b { title en "x" } title en "y"',
        'cause a.b { title en "x" } }',
    ],
    "unknown-statement": [
        'cause a.b { titel en "x" }',
        'cause a.b { title en "x" titel }',
        'cause a.b { rule r when message contains "x" fixes en "y" }',
        'cause a.b { "x" }',
    ],
    "language-expected": [
        'cause a.b { title "x" }',
        'cause a.b { explanation "x" }',
        'cause a.b { fix "x" }',
    ],
    "string-expected": [
        "cause a.b { title en x }",
        "cause a.b { reference https }",
        "cause a.b { fix en x }",
        "cause a.b { fix en \"x\" command x }",
        "unknown { example x }",
    ],
    "rule-name-expected": [
        'cause a.b { rule "r" when message contains "x" }',
        'cause a.b { rule R when message contains "x" }',
        'cause a.b { rule { }',
    ],
    "when-expected": [
        'cause a.b { rule r message contains "x" }',
        'cause a.b { rule r }',
        'cause a.b { rule r confidence 0.5 message contains "x" }',
        'cause a.b { rule r if message contains "x" }',
    ],
    "condition-expected": [
        _RULE + "}",
        _RULE + 'and message contains "x" }',
        _RULE + '"x" }',
        _RULE + 'message contains "x" and }',
        _RULE + 'not }',
        _RULE + '( }',
    ],
    "operator-expected": [
        _RULE + 'message "x" }',
        _RULE + "message }",
        _RULE + "message is x }",
        _RULE + "message has \"x\" }",
    ],
    "value-expected": [
        _RULE + "message = }",
        _RULE + "message == \"x\" }",
        _RULE + "kind != }",
        _RULE + "kind = /x/ }",
    ],
    "text-after-contains": [
        _RULE + "message contains x }",
        _RULE + "message contains /x/ }",
        _RULE + "message icontains }",
    ],
    "regex-expected": [
        _RULE + 'message ~ "x" }',
        _RULE + "message ~ x }",
        'cause a.b { extract message ~ "x" }',
    ],
    "list-expected": [
        _RULE + "kind in audit }",
        _RULE + 'kind in "audit" }',
    ],
    "unclosed-list": [
        _RULE + "kind in [audit }",
        _RULE + "kind in [audit journald] }",
        _RULE + "kind in [audit, }",
    ],
    "stray-word": [
        _RULE + "kind = audit stray }",
        _RULE + 'message contains "a" message contains "b" }',
        _RULE + "kind = tool output }",
    ],
    "unclosed-paren": [
        _RULE + '(message contains "x" }',
        _RULE + '(message contains "x" or message contains "y" }',
    ],
    "scope-expected": [
        _RULE + 'kind = audit with kind = audit on node }',
        _RULE + 'kind = audit with kind = audit in transaction }',
        _RULE + 'kind = audit with kind = audit on same host }',
    ],
    "duration-expected": [
        _RULE + 'kind = audit with kind = audit within 30 }',
        _RULE + 'kind = audit with kind = audit within }',
        _RULE + 'kind = audit with kind = audit within 5 seconds }',
    ],
    "expectation-expected": [
        'cause a.b { example "x" }',
        'cause a.b { example matches "x" }',
    ],
    "number-expected": [
        'cause a.b { rule r confidence high when message contains "x" }',
        'cause a.b { rule r confidence when message contains "x" }',
    ],
}

# Spelling of terminals in "expected ..." lists, as one would write them in a rule file.
_TERMINAL_SPELLING = {
    "STRING": '"…"',
    "REGEX": "/…/",
    "FIELD": "message",
    "CAUSE_ID": "area.name",
    "NAME": "rule_name",
    "WORD": "word",
    "LANG": "en",
    "NUMBER": "0.5",
    "DURATION": "30s",
    "WITH": "with",
    "WITHOUT": "without",
    "DIRECTION": "before",
    "EXPECTATION": "match",
}


def describe_syntax_error(error: UnexpectedInput,
                          parse: Callable[[str], Any]) -> tuple[str, dict[str, str]]:
    """Return the problem code and parameters for a lark syntax error."""
    found = _found(error)
    params = {"found": found, "expected": _expected(error)}

    if isinstance(error, UnexpectedToken) and error.token.type == "$END":
        return "unexpected-end", params

    by_character = _code_from_character(error)
    if by_character:
        return by_character, params

    return (_match_examples(error, parse) or "syntax"), params


def _match_examples(error: UnexpectedInput, parse: Callable[[str], Any]) -> str | None:
    """Return the code of the bad example that fails in the same parser state.

    Like lark's ``match_examples``, an example failing on the same token wins,
    then one failing on the same kind of token, then any in the same state. It
    is reimplemented because lark 1.3.1's version formats a debug message with
    ``%d`` and raises TypeError when the contextual lexer reports the error.
    """
    state = _state_number(error)
    same_type: str | None = None
    same_state: str | None = None
    for code, example in _example_errors(parse):
        if _state_number(example) != state:
            continue
        if isinstance(error, UnexpectedToken) and isinstance(example, UnexpectedToken):
            if example.accepts and error.accepts and example.accepts != error.accepts:
                continue
            if example.token == error.token:
                return code
            if example.token.type == error.token.type and same_type is None:
                same_type = code
        same_state = same_state or code
    return same_type or same_state


_EXAMPLE_ERRORS: list[tuple[str, UnexpectedInput]] = []


def _example_errors(parse: Callable[[str], Any]) -> list[tuple[str, UnexpectedInput]]:
    """Parse every bad example once and keep its error."""
    if not _EXAMPLE_ERRORS:
        for code, texts in BAD_EXAMPLES.items():
            for text in texts:
                try:
                    parse(text)
                except UnexpectedInput as example:
                    _EXAMPLE_ERRORS.append((code, example))
    return _EXAMPLE_ERRORS


def _state_number(error: UnexpectedInput) -> object:
    """Return the LALR state of an error, also when the lexer reported it with a ParserState."""
    state = error.state
    return getattr(state, "position", state)


def _code_from_character(error: UnexpectedInput) -> str | None:
    if not isinstance(error, UnexpectedCharacters):
        return None
    allowed = error.allowed or set()
    char = error.char
    if char == '"' and "STRING" in allowed:
        return "unterminated-string"
    if char == "/" and "REGEX" in allowed:
        return "unterminated-regex"
    if char in "&|!":
        return "boolean-word"
    return None


def _found(error: UnexpectedInput) -> str:
    if isinstance(error, UnexpectedToken):
        return repr(str(error.token))
    if isinstance(error, UnexpectedCharacters):
        return repr(error.char)
    return "?"


def _expected(error: UnexpectedInput) -> str:
    if isinstance(error, UnexpectedToken):
        names = error.accepts or error.expected
    elif isinstance(error, UnexpectedCharacters):
        names = error.allowed or set()
    else:
        names = set()
    spelled = sorted({_spell(name) for name in names if name != "$END"})
    return ", ".join(spelled) if spelled else "?"


def _spell(terminal: str) -> str:
    if terminal in _TERMINAL_SPELLING:
        return _TERMINAL_SPELLING[terminal]
    # Anonymous keyword and punctuation terminals: lark names them after the text.
    return "'" + _KEYWORD_TEXT.get(terminal, terminal.lower()) + "'"


_KEYWORD_TEXT = {
    "LBRACE": "{", "RBRACE": "}", "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]",
    "COMMA": ",", "EQUAL": "=", "TILDE": "~", "__ANON_0": "!=",
}
