"""The loopback Elasticsearch's text fields, pattern queries, _msearch and _field_caps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import BadRequestError, Elasticsearch

from rca.testing.es_dsl import DslError, analyze, lucene_regex_to_python, wildcard_to_python
from rca.testing.es_server import FakeElasticsearch

DOCUMENTS = {
    "denied": {"message": "open /etc/go.mod: Permission denied", "host": {"name": "node-1"}},
    "refused": {"message": "dial tcp 10.0.0.1:443: connection refused",
                "host": {"name": "node-2"}},
    "chinese": {"message": "bash: ./agent: 权限不够"},
    "two-values": {"message": ["first line", "second line"]},
}


@pytest.fixture
def server() -> Iterator[FakeElasticsearch]:
    with FakeElasticsearch(text_fields=["message"],
                           subfields={"message.wildcard": "wildcard"}) as fake:
        fake.add_documents("logs-1", list(DOCUMENTS.values()), ids=list(DOCUMENTS))
        fake.add_documents("other-1", [{"host": {"name": "node-3"}}], ids=["no-message"])
        yield fake


@pytest.fixture
def client(server: FakeElasticsearch) -> Iterator[Elasticsearch]:
    es = Elasticsearch(server.url, max_retries=0)
    yield es
    es.close()


def _ids(client: Elasticsearch, query: dict[str, Any]) -> set[str]:
    response = client.search(index="logs-1", query=query, size=100)
    return {hit["_id"] for hit in response["hits"]["hits"]}


ANALYZED = {
    "path-and-case": ("open /etc/go.mod: Permission denied",
                      ["open", "etc", "go.mod", "permission", "denied"]),
    "address": ("dial tcp 10.0.0.1:443", ["dial", "tcp", "10.0.0.1", "443"]),
    "apostrophe": ("can't load", ["can't", "load"]),
    "ideographs": ("权限不够 x", ["权", "限", "不", "够", "x"]),
    "underscore": ("EACCES_X ok", ["eacces_x", "ok"]),
}


@pytest.mark.parametrize(("text", "words"), ANALYZED.values(), ids=ANALYZED.keys())
def test_analyze(text: str, words: list[str]) -> None:
    assert analyze(text) == words


PHRASES = {
    "case-folded": ("permission DENIED", {"denied"}),
    "punctuation-ignored": ("go.mod: permission", {"denied"}),
    "whole-words-only": ("ermission denied", set()),
    "ideographs": ("不够", {"chinese"}),
    "not-across-values": ("line second", set()),
    "within-one-value": ("second line", {"two-values"}),
    "no-words": (": :", set()),
}


@pytest.mark.parametrize(("phrase", "expected"), PHRASES.values(), ids=PHRASES.keys())
def test_match_phrase_on_text(client: Elasticsearch, phrase: str, expected: set[str]) -> None:
    assert _ids(client, {"match_phrase": {"message": {"query": phrase}}}) == expected


def test_match_phrase_on_keyword_is_whole_value(client: Elasticsearch) -> None:
    assert _ids(client, {"match_phrase": {"host.name": "node-1"}}) == {"denied"}
    assert _ids(client, {"match_phrase": {"host.name": "node"}}) == set()


def test_term_on_text_matches_a_word(client: Elasticsearch) -> None:
    assert _ids(client, {"term": {"message": "refused"}}) == {"refused"}


WILDCARDS = {
    "substring": ({"value": "*Permission denied*"}, {"denied"}),
    "case-sensitive": ({"value": "*permission denied*"}, set()),
    "case-insensitive": ({"value": "*permission DENIED*", "case_insensitive": True},
                         {"denied"}),
    "escaped-star": ({"value": "*\\**"}, set()),
    "question-mark": ({"value": "*10.0.0.?:443*"}, {"refused"}),
}


@pytest.mark.parametrize(("spec", "expected"), WILDCARDS.values(), ids=WILDCARDS.keys())
def test_wildcard_on_whole_value(client: Elasticsearch, spec: dict[str, Any],
                                 expected: set[str]) -> None:
    assert _ids(client, {"wildcard": {"message.wildcard": spec}}) == expected


REGEXPS = {
    "whole-value": ({"value": "connection refused"}, set()),
    "wrapped": ({"value": ".*connection refused.*"}, {"refused"}),
    "class-and-repeat": ({"value": ".*[0-9]{1,3}(\\.[0-9]{1,3}){3}\\:443.*"}, {"refused"}),
    "ascii-case-only": ({"value": ".*PERMISSION.*", "case_insensitive": True}, {"denied"}),
    "quoted-literal": ({"value": '.*"go.mod".*'}, {"denied"}),
    "negated-class": ({"value": "[^x]*权限[^x]*"}, {"chinese"}),
}


@pytest.mark.parametrize(("spec", "expected"), REGEXPS.values(), ids=REGEXPS.keys())
def test_regexp_on_whole_value(client: Elasticsearch, spec: dict[str, Any],
                               expected: set[str]) -> None:
    assert _ids(client, {"regexp": {"message.wildcard": spec}}) == expected


def test_regexp_on_text_matches_a_word(client: Elasticsearch) -> None:
    assert _ids(client, {"regexp": {"message": "refus.d"}}) == {"refused"}


def test_lucene_translation() -> None:
    assert lucene_regex_to_python('a.b[^c-e\\]]{2,}("x*")|\\#') == \
        "a.b(?:[^c-e\\]]){2,}(?:x\\*)|\\#"


@pytest.mark.parametrize("pattern", ["a&b", "~a", "a@", "#", "<1-5>", "\\d", "[]", "(a", "*a"],
                         ids=["and", "complement", "any-string", "empty", "interval",
                              "class-escape", "empty-class", "unclosed", "leading-repeat"])
def test_lucene_translation_rejects(pattern: str) -> None:
    with pytest.raises(DslError):
        lucene_regex_to_python(pattern)


def test_wildcard_translation() -> None:
    assert re.fullmatch(wildcard_to_python("a*b?\\*"), "axxbc*")
    assert not re.fullmatch(wildcard_to_python("a*b?\\*"), "axxbcd")


def test_unknown_option_is_rejected(client: Elasticsearch) -> None:
    with pytest.raises(BadRequestError):
        client.search(index="logs-1", query={"regexp": {"message.wildcard": {
            "value": "a", "flags": "ALL"}}})


def test_msearch_answers_each_search(client: Elasticsearch) -> None:
    response = client.msearch(index="logs-1", searches=[
        {}, {"size": 0, "track_total_hits": True,
             "query": {"match_phrase": {"message": "connection refused"}}},
        {"index": "missing"}, {"query": {"match_all": {}}},
        {}, {"query": {"regexp": {"message.wildcard": "\\d"}}},
    ])

    first, missing, rejected = response["responses"]
    assert first["status"] == 200
    assert first["hits"]["total"] == {"value": 1, "relation": "eq"}
    assert first["hits"]["hits"] == []
    assert missing["error"]["type"] == "index_not_found_exception"
    assert rejected["status"] == 400


def test_field_caps_reports_types(client: Elasticsearch) -> None:
    caps = client.field_caps(index="logs-1,other-1", fields="message,message.*,host.name",
                             include_unmapped=True)

    assert caps["fields"]["message"]["text"]["indices"] == ["logs-1"]
    assert caps["fields"]["message"]["unmapped"]["indices"] == ["other-1"]
    assert set(caps["fields"]["message.wildcard"]) == {"wildcard", "unmapped"}
    assert caps["fields"]["host.name"] == {"keyword": {
        "type": "keyword", "metadata_field": False, "searchable": True, "aggregatable": True}}


def test_field_caps_without_unmapped(client: Elasticsearch) -> None:
    caps = client.field_caps(index="logs-1,other-1", fields="message")

    assert caps["fields"]["message"] == {"text": {
        "type": "text", "metadata_field": False, "searchable": True, "aggregatable": False}}
