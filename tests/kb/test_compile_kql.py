"""Conditions rendered as KQL for Kibana links."""

from __future__ import annotations

import pytest
from compile_helpers import condition, rule

from rca.kb import ast, load_knowledge_base
from rca.kb.compile_es import Approximation, EsFields
from rca.kb.compile_kql import compile_kql, escape_unquoted, kql_quote, rule_kql

EXACT = EsFields(message_keyword="message.wildcard")
SHIPPED_RULES = [compiled.rule for compiled in load_knowledge_base().rules]

RENDERED = {
    "phrase": ('message contains "permission denied"', EsFields(),
               'message: "permission denied"'),
    "wildcard": ('message contains "no such host"', EXACT,
                 "message.wildcard: *no such host*"),
    "one-of": ("type in [AVC, USER_AVC]", EsFields(),
               'auditd.log.record_type: ("AVC" or "USER_AVC")'),
    "and-or-not": ('type = AVC and not (message contains "x" or message contains "y")',
                   EsFields(),
                   'auditd.log.record_type: "AVC" and not (message: "x" or message: "y")'),
    "first-present-field": ('transaction = "run-1"', EsFields(),
                            'transaction.id: "run-1" or (journald.custom.transaction_id: '
                            '"run-1" and not transaction.id: *) or (journald.custom.txn: '
                            '"run-1" and not transaction.id: * and not '
                            'journald.custom.transaction_id: *) or (journald.custom.rca_txn: '
                            '"run-1" and not transaction.id: * and not '
                            'journald.custom.transaction_id: * and not journald.custom.txn: *)'),
    "kind": ("kind = audit", EsFields(),
             'event.module: ("auditd") or data_stream.dataset: ("auditd.log" or "rca.audit") '
             'or event.dataset: ("auditd.log" or "rca.audit") or '
             'log.file.path: ("/var/log/audit/audit.log")'),
}


@pytest.mark.parametrize(("text", "fields", "kql"), RENDERED.values(), ids=RENDERED.keys())
def test_condition_renders(text: str, fields: EsFields, kql: str) -> None:
    assert compile_kql(condition(text), fields).text == kql


QUOTED = {
    "plain": ("run-0042", '"run-0042"'),
    "double-quote": ('say "hi"', '"say \\"hi\\""'),
    "backslash": ("back\\slash", '"back\\\\slash"'),
    "star-and-colon": ("glob*:x", '"glob*:x"'),
}


@pytest.mark.parametrize(("value", "quoted"), QUOTED.values(), ids=QUOTED.keys())
def test_kql_quote(value: str, quoted: str) -> None:
    assert kql_quote(value) == quoted


UNQUOTED = {
    "specials": ('a*b:(c)<d>"e"{f}\\', 'a\\*b\\:\\(c\\)\\<d\\>\\"e\\"\\{f\\}\\\\'),
    "and-or": ("this and that or so", "this \\and that \\or so"),
    "not-inside-word": ("cannot run", "can\\u006Eot run"),
    "not-capital": ("Not now", "\\u004Eot now"),
    "whitespace": ("a\tb\nc\rd", "a\\tb\\nc\\rd"),
    "spaces-kept": ("no such host", "no such host"),
}


@pytest.mark.parametrize(("text", "escaped"), UNQUOTED.values(), ids=UNQUOTED.keys())
def test_escape_unquoted(text: str, escaped: str) -> None:
    assert escape_unquoted(text) == escaped


def test_wildcard_value_escapes_text() -> None:
    kql = compile_kql(condition('message contains "a*b: not x"'), EXACT)

    assert kql.text == "message.wildcard: *a\\*b\\: \\u006Eot x*"


def test_regex_renders_its_literals() -> None:
    kql = compile_kql(condition(r"message ~ /open \S+: permission denied/"), EXACT)

    assert kql.text == "message.wildcard: *open * and message.wildcard: *\\: permission denied*"
    assert kql.approximations == {Approximation.REGEX_FALLBACK}


def test_regex_without_literals_drops_out() -> None:
    kql = compile_kql(condition(r'message ~ /\d+/ and type = AVC'), EXACT)

    assert kql.text == 'auditd.log.record_type: "AVC"'
    assert Approximation.REGEX_FALLBACK in kql.approximations


def test_case_insensitive_wildcard_is_approximate() -> None:
    kql = compile_kql(condition('message icontains "Denied"'), EXACT)

    assert kql.text == "message.wildcard: *Denied*"
    assert kql.approximations == {Approximation.CASE_SENSITIVE_WILDCARD}


def test_impossible_condition_matches_nothing() -> None:
    kql = compile_kql(condition("kind = tool-output"))

    assert kql.matches_nothing
    assert kql.text == ""


def test_context_clause_marks_rule_approximate() -> None:
    kql = rule_kql(rule('message contains "EACCES" with type = AVC on same node'))

    assert kql.text == 'message: "EACCES"'
    assert Approximation.CONTEXT_IGNORED in kql.approximations


@pytest.mark.parametrize("fields", [EsFields(), EXACT], ids=["analyzed-message", "exact-message"])
@pytest.mark.parametrize("shipped", SHIPPED_RULES,
                         ids=[shipped.qualified_name for shipped in SHIPPED_RULES])
def test_shipped_rule_renders(shipped: ast.Rule, fields: EsFields) -> None:
    kql = rule_kql(shipped, fields)

    assert kql.text
    assert not kql.matches_nothing
