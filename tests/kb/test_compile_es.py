"""Compiled Elasticsearch queries find the documents the conditions match in Python.

The semantic checks load documents into the loopback Elasticsearch and compare
the ids a compiled query returns with the documents whose event the rule
evaluation (`rca.kb.evaluate`) matches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

import pytest
from compile_helpers import condition, line_event, rule
from elasticsearch import Elasticsearch

from rca.kb import ast, load_knowledge_base
from rca.kb.compile_es import (
    Approximation,
    CompileError,
    EsFields,
    compile_condition,
    compile_rule,
)
from rca.kb.evaluate import compile_condition as python_condition
from rca.model import Event
from rca.parsers import ecs
from rca.testing.ecs_documents import auditd_document, installer_document, journald_document
from rca.testing.es_server import FakeElasticsearch

SHIPPED = load_knowledge_base()
RULES = [compiled.rule for compiled in SHIPPED.rules]
RULE_IDS = [rule.qualified_name for rule in RULES]
EXACT = EsFields(message_keyword="message.wildcard")
INDEX = "examples"


def _lines() -> list[str]:
    """Every example line of the shipped knowledge base, with upper-case and newline variants.

    Each rule is checked against all of them, its own cause's examples included,
    so a rule is also tested on the lines it must not match.
    """
    lines = sorted({example.text for example, _cause in SHIPPED.examples()})
    return lines + [line.upper() for line in lines] + [f"{line}\n" for line in lines]


LINES = _lines()
LINE_IDS = [f"line-{number:05d}" for number in range(len(LINES))]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeElasticsearch]:
    with FakeElasticsearch(text_fields=["message"],
                           subfields={"message.wildcard": "wildcard"}) as fake:
        fake.add_documents(INDEX, [{"message": line} for line in LINES], ids=LINE_IDS)
        yield fake


@pytest.fixture(scope="module")
def client(server: FakeElasticsearch) -> Iterator[Elasticsearch]:
    es = Elasticsearch(server.url, max_retries=0)
    yield es
    es.close()


def _found_ids(client: Elasticsearch, query: dict[str, Any], index: str = INDEX) -> set[str]:
    response = client.search(index=index, query=query, size=10_000, source=False)
    return {hit["_id"] for hit in response["hits"]["hits"]}


# -- every shipped rule ------------------------------------------------------------------


@pytest.mark.parametrize("fields", [EsFields(), EXACT], ids=["analyzed-message", "exact-message"])
@pytest.mark.parametrize("shipped", RULES, ids=RULE_IDS)
def test_shipped_rule_compiles(shipped: ast.Rule, fields: EsFields) -> None:
    compiled = compile_rule(shipped, fields)

    assert compiled.query
    if fields.message_keyword is None and any(leaf.field in {"message", "raw"}
                                              for leaf in ast.leaves(shipped.condition)):
        assert Approximation.ANALYZED_TEXT in compiled.approximations


@pytest.mark.parametrize("shipped", RULES, ids=RULE_IDS)
def test_shipped_rule_matches_like_python(client: Elasticsearch, shipped: ast.Rule) -> None:
    compiled = compile_condition(shipped.condition, EXACT)
    if compiled.approximate:
        reasons = ", ".join(sorted(compiled.approximations))
        pytest.skip(f"{shipped.qualified_name} compiles approximately ({reasons})")
    predicate = python_condition(shipped.condition)
    expected = {line_id for line_id, line in zip(LINE_IDS, LINES, strict=True)
                if predicate(line_event(line)) is not None}

    found = _found_ids(client, compiled.query)

    by_id = dict(zip(LINE_IDS, LINES, strict=True))
    assert sorted(by_id[line_id] for line_id in found - expected)[:5] == []
    assert sorted(by_id[line_id] for line_id in expected - found)[:5] == []


@pytest.mark.parametrize("shipped", RULES, ids=RULE_IDS)
def test_shipped_patterns_translate(shipped: ast.Rule) -> None:
    # With a whole-value message field, only tests on parsed fields may be approximate.
    approximations = compile_condition(shipped.condition, EXACT).approximations

    assert approximations <= {Approximation.EVENT_FIELD, Approximation.DERIVED_LEVEL}


# -- the field table, against the events the ECS parser makes ------------------------------

T0 = 1_796_263_200.0
FIELD_DOCUMENTS: dict[str, dict[str, Any]] = {
    "installer-error": installer_document(timestamp=T0, node="node-01", txn="run-1",
                                          level="ERROR", message="go: permission denied",
                                          offset=0, exit_code=1),
    "installer-info": installer_document(timestamp=T0 + 1, node="node-02", txn="run-2",
                                         level="INFO", message="step done", offset=80),
    "journald-unit": journald_document(timestamp=T0 + 2, node="node-01", priority=3,
                                       message="Failed to start example-installer.service.",
                                       unit="example-installer.service"),
    "journald-systemd": journald_document(timestamp=T0 + 3, node="node-02", priority=6,
                                          message="Started fleet-install@dlv.service.",
                                          unit="init.scope",
                                          custom={"unit": "fleet-install@dlv.service",
                                                  "transaction_id": "run-2"}),
    "audit-avc": auditd_document(timestamp=T0 + 4, node="node-01", record_type="AVC",
                                 serial=7, body='avc:  denied  { read } for pid=7 comm="go" '
                                 'name="go.mod" tclass=file permissive=0',
                                 fields={"record_type": "AVC"}),
    "syslog": {"@timestamp": "2026-12-03T02:00:05.000Z", "host": {"name": "node-03"},
               "event": {"dataset": "system.syslog"},
               "log": {"file": {"path": "/var/log/syslog"}},
               "message": "kernel: Out of memory: Killed process 42 (go)"},
    "hostname-only": {"@timestamp": "2026-12-03T02:00:06.000Z",
                      "host": {"hostname": "node-04"}, "input": {"type": "filestream"},
                      "message": "installer started"},
}

FIELD_CONDITIONS = {
    "kind-audit": "kind = audit",
    "kind-journald": "kind = journald",
    "kind-syslog": "kind = syslog",
    "kind-installer": "kind = installer",
    "kind-in": "kind in [audit, syslog]",
    "kind-not-equal": "kind != installer",
    "kind-contains": 'kind contains "a"',
    "kind-tool-output": "kind = tool-output",
    "node-equal": 'node = "node-01"',
    "node-not-equal": 'node != "node-01"',
    "node-hostname-fallback": 'node = "node-04"',
    "node-pattern": "node ~ /-0[12]$/",
    "transaction-equal": 'transaction = "run-2"',
    "transaction-not-equal": 'transaction != "run-1"',
    "unit-equal": 'unit = "example-installer.service"',
    "unit-contains": 'unit icontains "INIT"',
    "unit-missing-not-equal": 'unit != "init.scope"',
    "combined": 'kind = journald and not unit = "init.scope" or node = "node-03"',
}


@pytest.fixture(scope="module")
def field_index(server: FakeElasticsearch) -> str:
    server.add_documents("fields", list(FIELD_DOCUMENTS.values()), ids=list(FIELD_DOCUMENTS))
    return "fields"


def _field_events() -> dict[str, Event]:
    return {doc_id: ecs.event_from_hit({"_index": "fields", "_id": doc_id, "_source": source})
            for doc_id, source in FIELD_DOCUMENTS.items()}


@pytest.mark.parametrize("text", FIELD_CONDITIONS.values(), ids=FIELD_CONDITIONS.keys())
def test_field_condition_matches_like_python(client: Elasticsearch, field_index: str,
                                             text: str) -> None:
    parsed = condition(text)
    compiled = compile_condition(parsed)
    predicate = python_condition(parsed)
    expected = {doc_id for doc_id, event in _field_events().items()
                if predicate(event) is not None}

    assert not compiled.approximate
    assert _found_ids(client, compiled.query, field_index) == expected


def test_level_is_approximate(client: Elasticsearch, field_index: str) -> None:
    compiled = compile_condition(condition("level = error"))

    assert compiled.approximations == {Approximation.DERIVED_LEVEL}
    assert _found_ids(client, compiled.query, field_index) == {"installer-error",
                                                                "journald-unit"}


def test_type_reads_audit_record_type(client: Elasticsearch, field_index: str) -> None:
    compiled = compile_condition(condition("type = AVC"))

    assert _found_ids(client, compiled.query, field_index) == {"audit-avc"}


def test_event_field_is_approximate(client: Elasticsearch, field_index: str) -> None:
    compiled = compile_condition(condition("fields.exit_code = 1"))

    assert compiled.approximations == {Approximation.EVENT_FIELD}
    assert _found_ids(client, compiled.query, field_index) == {"installer-error"}


# -- the analyzed message ------------------------------------------------------------------

TEXT_INDEX = "text"
TEXT_DOCUMENTS = {
    "upper": "OPEN /etc/x: PERMISSION DENIED",
    "lower": "open /etc/x: permission denied",
    "inside-word": "undenied permission",
    "other": "connection refused",
}


@pytest.fixture(scope="module")
def text_index(server: FakeElasticsearch) -> str:
    server.add_documents(TEXT_INDEX, [{"message": text} for text in TEXT_DOCUMENTS.values()],
                         ids=list(TEXT_DOCUMENTS))
    return TEXT_INDEX


def test_contains_on_analyzed_message_is_phrase(client: Elasticsearch, text_index: str) -> None:
    compiled = compile_condition(condition('message contains "permission denied"'))

    assert compiled.query == {"match_phrase": {"message": {"query": "permission denied"}}}
    assert compiled.approximations == {Approximation.ANALYZED_TEXT}
    # The analyzer lower-cases, so the phrase also finds the upper-case line.
    assert _found_ids(client, compiled.query, text_index) == {"upper", "lower"}


def test_regex_on_analyzed_message_uses_literals(client: Elasticsearch,
                                                 text_index: str) -> None:
    compiled = compile_condition(condition(r"message ~ /open \S+: permission denied/"))

    assert compiled.approximations == {Approximation.ANALYZED_TEXT,
                                       Approximation.REGEX_FALLBACK}
    assert _found_ids(client, compiled.query, text_index) == {"upper", "lower"}


def test_icontains_on_exact_message_is_wildcard(client: Elasticsearch, text_index: str) -> None:
    compiled = compile_condition(condition('message icontains "Permission Denied"'), EXACT)

    assert compiled.query == {"wildcard": {"message.wildcard": {
        "value": "*Permission Denied*", "case_insensitive": True}}}
    assert not compiled.approximate


def test_untranslatable_regex_falls_back_to_wildcards() -> None:
    compiled = compile_condition(condition(r"message ~ /x(?:a\b|b)y/"), EXACT)

    assert compiled.approximations == {Approximation.REGEX_FALLBACK}
    assert compiled.query == {"bool": {"filter": [
        {"wildcard": {"message.wildcard": {"value": "*x*"}}},
        {"bool": {"should": [{"wildcard": {"message.wildcard": {"value": "*a*"}}},
                             {"wildcard": {"message.wildcard": {"value": "*b*"}}}],
                  "minimum_should_match": 1}},
        {"wildcard": {"message.wildcard": {"value": "*y*"}}},
    ]}}


# -- query shapes --------------------------------------------------------------------------

SHAPES: Mapping[str, tuple[str, dict[str, Any]]] = {
    "not-equal": ('node != "a"', {"bool": {"must_not": [
        {"term": {"host.name": {"value": "a"}}},
        {"bool": {"filter": [{"term": {"host.hostname": {"value": "a"}}}],
                  "must_not": [{"exists": {"field": "host.name"}}]}},
        {"bool": {"filter": [{"term": {"auditd.log.node": {"value": "a"}}}],
                  "must_not": [{"exists": {"field": "host.name"}},
                               {"exists": {"field": "host.hostname"}}]}},
        {"bool": {"filter": [{"term": {"agent.name": {"value": "a"}}}],
                  "must_not": [{"exists": {"field": "host.name"}},
                               {"exists": {"field": "host.hostname"}},
                               {"exists": {"field": "auditd.log.node"}}]}},
    ]}}),
    "or": ('type = AVC or type = USER_AVC', {"bool": {"should": [
        {"term": {"auditd.log.record_type": {"value": "AVC"}}},
        {"term": {"auditd.log.record_type": {"value": "USER_AVC"}}},
    ], "minimum_should_match": 1}}),
    "and-not": ('type = AVC and not message contains "permissive=1"', {"bool": {
        "filter": [{"term": {"auditd.log.record_type": {"value": "AVC"}}}],
        "must_not": [{"wildcard": {"message.wildcard": {"value": "*permissive=1*"}}}],
    }}),
    "wildcard-escapes": ('message contains "a*b?c\\\\d"', {"wildcard": {"message.wildcard": {
        "value": "*a\\*b\\?c\\\\d*"}}}),
    "one-of": ("type in [AVC, USER_AVC]",
               {"terms": {"auditd.log.record_type": ["AVC", "USER_AVC"]}}),
}


@pytest.mark.parametrize(("text", "query"), SHAPES.values(), ids=SHAPES.keys())
def test_query_shape(text: str, query: dict[str, Any]) -> None:
    assert compile_condition(condition(text), EXACT).query == query


def test_context_clause_marks_rule_approximate() -> None:
    compiled = compile_rule(rule('message contains "EACCES" with type = AVC on same node'))

    assert Approximation.CONTEXT_IGNORED in compiled.approximations


def test_unknown_field_raises() -> None:
    with pytest.raises(CompileError, match="unknown field 'colour'"):
        compile_condition(ast.Compare("colour", ast.CompareOp.EQUAL, "red"))


def test_unknown_node_raises() -> None:
    with pytest.raises(CompileError, match="cannot compile condition node"):
        compile_condition(cast(ast.Condition, ast.Example("text", True)))



def test_level_words_match_model() -> None:
    # compile_es keeps its own copy of the level words because rca.model keeps them private.
    from rca import model
    from rca.kb import compile_es

    copied = {word: level for level, words in compile_es._LEVEL_WORDS.items() for word in words}

    assert copied == model._LEVEL_WORDS
