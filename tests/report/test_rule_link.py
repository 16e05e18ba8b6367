"""Kibana Discover links to the documents a rule matches."""

from __future__ import annotations

from rca.kb import ast
from rca.kb.compile_es import EsFields
from rca.kb.parser import parse_rule_file
from rca.report.links import decode_discover_url, rule_link
from rca.settings import KibanaSettings

KIBANA = KibanaSettings(url="https://kibana.example.com", data_view="filebeat-*")
START = 1_796_263_200.0
END = START + 7 * 86_400


def rule(condition: str) -> ast.Rule:
    parsed = parse_rule_file(f"cause a.b {{ rule r when {condition} }}", "test.rca")
    assert parsed.problems == []
    return parsed.rule_file.causes[0].rules[0]


def test_rule_link_shows_rule_condition() -> None:
    url = rule_link(rule('message contains "no such host" and node = "node-01"'), KIBANA,
                    START, END)

    assert url is not None
    state = decode_discover_url(url)
    assert state.app_state["query"] == {
        "language": "kuery",
        "query": 'message: "no such host" and (host.name: "node-01" or (host.hostname: '
                 '"node-01" and not host.name: *) or (auditd.log.node: "node-01" and not '
                 'host.name: * and not host.hostname: *) or (agent.name: "node-01" and not '
                 'host.name: * and not host.hostname: * and not auditd.log.node: *))'}
    assert state.global_state["time"] == {"from": "2026-12-03T02:00:00.000Z",
                                          "to": "2026-12-10T02:00:00.000Z"}


def test_rule_link_uses_message_field() -> None:
    url = rule_link(rule('message contains "EACCES"'), KIBANA, START, END,
                    fields=EsFields(message_keyword="message.wildcard"))

    assert url is not None
    assert decode_discover_url(url).app_state["query"]["query"] == "message.wildcard: *EACCES*"


def test_rule_link_needs_kibana_url() -> None:
    assert rule_link(rule('message contains "x"'), KibanaSettings(), START, END) is None


def test_rule_link_none_for_impossible_rule() -> None:
    assert rule_link(rule("kind = tool-output"), KIBANA, START, END) is None
