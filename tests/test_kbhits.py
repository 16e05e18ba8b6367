"""``rca kb hits``: each rule's count in Elasticsearch, from two requests and no documents."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rca import kbhits
from rca.errors import SourceError
from rca.kb import load_knowledge_base
from rca.kb.compile_es import EsFields
from rca.sources.elasticsearch import EsSettings
from rca.testing.ecs_documents import installer_document
from rca.testing.es_server import FakeElasticsearch

RULES = '''
cause network.dns {
    title en    "The host name could not be resolved"
    title zh-CN "无法解析主机名"
    explanation en    "The resolver found no address for the host."
    explanation zh-CN "解析器没有找到该主机的地址。"
    rule no_such_host when message ~ /lookup \\S+: no such host/
    rule temporary when message icontains "temporary failure in name resolution"
    rule after_refused when message contains "no such host"
        with message contains "refused" on same node within 5s
    fix en    "Check the resolver."
    fix zh-CN "检查解析器。"
}

cause network.refused {
    title en    "The connection was refused"
    title zh-CN "连接被拒绝"
    explanation en    "Nothing listens on the port."
    explanation zh-CN "该端口上没有程序监听。"
    rule refused when message contains "connection refused" and not node = "node-09"
    fix en    "Check the service."
    fix zh-CN "检查服务。"
}
'''
T0 = 1_796_263_200.0
MESSAGES = [
    (T0, "node-01", "go: lookup proxy.golang.org: no such host"),
    (T0 + 60, "node-02", "go: lookup sum.golang.org: no such host"),
    (T0 + 3600, "node-01", "dial tcp 10.0.0.1:443: connection refused"),
    (T0 + 7200, "node-09", "dial tcp 10.0.0.9:443: connection refused"),
    (T0 + 7300, "node-03", "Temporary failure in name resolution"),
]


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.rca"
    path.write_text(RULES, encoding="utf-8")
    return path


def _documents() -> list[dict[str, Any]]:
    return [installer_document(timestamp=timestamp, node=node, txn=f"run-{number}",
                               level="ERROR", message=message, offset=number * 100)
            for number, (timestamp, node, message) in enumerate(MESSAGES)]


@pytest.fixture
def server() -> Iterator[FakeElasticsearch]:
    with FakeElasticsearch(text_fields=["message"],
                           subfields={"message.wildcard": "wildcard"}) as fake:
        fake.add_documents("rca-logs-1", _documents())
        yield fake


@pytest.fixture
def analyzed_server() -> Iterator[FakeElasticsearch]:
    with FakeElasticsearch(text_fields=["message"]) as fake:
        fake.add_documents("rca-logs-1", _documents())
        yield fake


def _settings(server: FakeElasticsearch, index: str = "rca-logs-*") -> EsSettings:
    return EsSettings(url=server.url, index=index, max_retries=0, retry_backoff=0)


def _rows(output: str) -> dict[str, list[str]]:
    """The table's rows by rule id: the hits cell, then the approximate cell."""
    rows: dict[str, list[str]] = {}
    for line in output.splitlines():
        parts = line.split()
        if parts and "/" in parts[0] and not line[0].isspace() and \
                not line.startswith("Rule hits"):
            rows[parts[0]] = [parts[1], " ".join(parts[2:])]
    return rows


def test_counts_each_rule(server: FakeElasticsearch, rule_file: Path) -> None:
    out = io.StringIO()

    status = kbhits.hits([rule_file], _settings(server), None, None, out, "en")

    assert status == 0
    rows = _rows(out.getvalue())
    assert rows == {
        "network.dns/no_such_host": ["2", "no"],
        "network.dns/temporary": ["1", "no"],
        "network.dns/after_refused": ["2", "yes (a)"],
        "network.refused/refused": ["1", "no"],
    }
    assert "Message tests search the whole values of message.wildcard." in out.getvalue()
    assert "  a: with and without clauses relate two events and are not checked" \
        in out.getvalue()


def test_two_requests_and_no_documents(server: FakeElasticsearch, rule_file: Path) -> None:
    kbhits.hits([rule_file], _settings(server), None, None, io.StringIO(), "en")

    assert [request.endpoint for request in server.requests] == ["field_caps", "msearch"]
    msearch = server.requests[1]
    assert all(body["size"] == 0 for body in msearch.body[1::2])
    assert all(item["hits"]["hits"] == [] for item in msearch.response["responses"])


def test_time_range_limits_counts(server: FakeElasticsearch, rule_file: Path) -> None:
    out = io.StringIO()

    kbhits.hits([rule_file], _settings(server), T0 + 30, T0 + 3600, out, "en")

    rows = _rows(out.getvalue())
    assert rows["network.dns/no_such_host"][0] == "1"
    assert rows["network.refused/refused"][0] == "1"
    assert rows["network.dns/temporary"][0] == "0"
    assert out.getvalue().startswith("Rule hits in es://127.0.0.1:")


def test_analyzed_message_is_approximate(analyzed_server: FakeElasticsearch,
                                         rule_file: Path) -> None:
    out = io.StringIO()

    kbhits.hits([rule_file], _settings(analyzed_server), None, None, out, "en")

    rows = _rows(out.getvalue())
    assert rows["network.dns/no_such_host"] == ["2", "yes (a, b)"]
    assert rows["network.refused/refused"] == ["1", "yes (a)"]
    assert "Message tests search the analyzed field message" in out.getvalue()


def test_failed_searches_set_status(server: FakeElasticsearch, rule_file: Path) -> None:
    out = io.StringIO()

    status = kbhits.hits([rule_file], _settings(server, "missing-index"), None, None, out,
                         "en")

    assert status == 1
    rows = _rows(out.getvalue())
    assert {row[0] for row in rows.values()} == {"error"}
    assert "Failed searches:" in out.getvalue()
    assert "no such index [missing-index]" in out.getvalue()


def test_timed_out_search_warns(server: FakeElasticsearch, rule_file: Path) -> None:
    server.time_out_searches = True
    out = io.StringIO()

    status = kbhits.hits([rule_file], _settings(server), None, None, out, "en")

    assert status == 0
    assert "the count of network.dns/no_such_host may be too low" in out.getvalue()


def test_rejected_request_raises(server: FakeElasticsearch, rule_file: Path) -> None:
    server.inject_error(403, path_contains="_field_caps")

    with pytest.raises(SourceError, match="access denied"):
        kbhits.hits([rule_file], _settings(server), None, None, io.StringIO(), "en")


def test_shipped_rules_in_one_msearch(server: FakeElasticsearch) -> None:
    report = kbhits.count_hits(load_knowledge_base(), _settings(server), None, None)

    assert [request.endpoint for request in server.requests] == ["field_caps", "msearch"]
    assert report.counts
    assert all(count.error is None for count in report.counts)


def test_chinese_table_aligns_wide_headers(server: FakeElasticsearch, rule_file: Path) -> None:
    out = io.StringIO()

    kbhits.hits([rule_file], _settings(server), None, None, out, "zh-CN")

    table = [line for line in out.getvalue().splitlines() if "network.dns/temporary" in line]
    assert len(table) == 1


CAPABILITIES = {
    "wildcard-subfield": ({"message": {"text": {"type": "text"}},
                           "message.wildcard": {"wildcard": {"type": "wildcard"}}},
                          "message.wildcard"),
    "keyword-message": ({"message": {"keyword": {"type": "keyword"}}}, "message"),
    "keyword-subfield-ignored": ({"message": {"text": {"type": "text"}},
                                  "message.keyword": {"keyword": {"type": "keyword"}}}, None),
    "subfield-missing-somewhere": (
        {"message": {"text": {"type": "text"}},
         "message.wildcard": {"wildcard": {"type": "wildcard", "indices": ["a"]},
                              "unmapped": {"type": "unmapped", "indices": ["b"]}}}, None),
    "message-missing-where-subfield-missing": (
        {"message": {"text": {"type": "text", "indices": ["a"]},
                     "unmapped": {"type": "unmapped", "indices": ["b"]}},
         "message.wildcard": {"wildcard": {"type": "wildcard", "indices": ["a"]},
                              "unmapped": {"type": "unmapped", "indices": ["b"]}}},
        "message.wildcard"),
    "mixed-message-types": ({"message": {"text": {"type": "text", "indices": ["a"]},
                                         "keyword": {"type": "keyword", "indices": ["b"]}}},
                            None),
    "nothing": ({}, None),
}


@pytest.mark.parametrize(("fields", "chosen"), CAPABILITIES.values(), ids=CAPABILITIES.keys())
def test_message_field_choice(fields: dict[str, Any], chosen: str | None) -> None:
    assert kbhits.message_fields({"fields": fields}) == EsFields(message_keyword=chosen)


def test_width_counts_wide_characters() -> None:
    assert kbhits._width("规则") == 4
    assert kbhits._pad("规则", 6) == "规则  "
